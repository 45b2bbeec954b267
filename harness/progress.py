"""Progress of `ssc-conform run` while the suite works: scenarios done / total, the requirement
running now, failures so far, elapsed and estimated remaining time.

On a terminal this is one status line rewritten in place (failures also stay on screen as lines of
their own); anywhere else — a CI log, a pipe — it is one plain line per finished scenario, so a log
reads top to bottom without control characters.
"""

from __future__ import annotations

import shutil
import sys
import time
import unicodedata
from collections.abc import Callable
from typing import TextIO

MARK = {"passed": "PASS", "failed": "FAIL", "inconclusive": "INC ", "not-run": "n/r ", "not-applicable": "n/a "}


def format_duration(seconds: float) -> str:
    """``"8 s"``, ``"2 min 05 s"``, ``"1 h 02 min"``: short enough for a status line."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def fit(text: str, columns: int) -> str:
    """`text` cut to `columns` terminal cells (CJK characters take two), so the status line never
    wraps — a wrapped line could not be rewritten in place."""
    used = 0
    out: list[str] = []
    for ch in text:
        cells = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used + cells > columns - 1:
            return "".join(out) + "…"
        used += cells
        out.append(ch)
    return text


class Progress:
    """Tells the operator where the run is. `stream` is resolved at each write (pytest swaps
    sys.stderr while it captures a test's output), `tty` decides the style on first use."""

    def __init__(
        self,
        total: int,
        stream: Callable[[], TextIO] = lambda: sys.stderr,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self._stream = stream
        self._tty = tty
        self._clock = clock
        self._started = clock()
        self._status_shown = False

    @property
    def tty(self) -> bool:
        if self._tty is None:
            isatty = getattr(self._stream(), "isatty", None)
            self._tty = bool(isatty and isatty())
        return self._tty

    def timing(self) -> str:
        elapsed = self._clock() - self._started
        text = f"{format_duration(elapsed)} elapsed"
        if 0 < self.done < self.total:
            text += f", ~{format_duration(elapsed / self.done * (self.total - self.done))} left"
        return text

    def started(self, requirements: list[str], name: str) -> None:
        """A scenario begins: on a terminal, the status line names it."""
        if self.tty:
            current = ",".join(requirements) or "-"
            self._status(f"[{self.done}/{self.total}] {self.failed} failed · running {current} {name} · {self.timing()}")

    def finished(self, verdict: str, requirements: list[str], name: str, reason: str = "") -> None:
        self.done += 1
        self.failed += verdict == "failed"
        reqs = ",".join(requirements) or "-"
        line = f"[{self.done}/{self.total}] {MARK.get(verdict, verdict)} {reqs} {name}"
        if verdict != "passed" and reason:
            line += f" — {reason}"
        if not self.tty:
            self._write(f"{line} ({self.failed} failed, {self.timing()})\n")
            return
        if verdict == "failed":  # a failure stays on screen above the status line
            self._clear()
            self._write(line + "\n")
        self._status(f"[{self.done}/{self.total}] {self.failed} failed · {reqs} · {self.timing()}")

    def note(self, text: str) -> None:
        """A line of its own for the operator (on a terminal, above the status line)."""
        self._clear()
        self._write(text + "\n")

    def close(self) -> None:
        """The run is over: leave the terminal on a fresh line."""
        if self.tty and self._status_shown:
            self._clear()
            self._write(f"{self.done}/{self.total} scenarios, {self.failed} failed, {self.timing()}\n")
        self._status_shown = False

    def _status(self, text: str) -> None:
        self._write("\r\x1b[2K" + fit(text, shutil.get_terminal_size((100, 24)).columns - 1))
        self._status_shown = True

    def _clear(self) -> None:
        if self._status_shown:
            self._write("\r\x1b[2K")
            self._status_shown = False

    def _write(self, text: str) -> None:
        stream = self._stream()
        stream.write(text)
        stream.flush()
