"""The parent side of `checks.readers.libcall`: a vendor library living in a child process.

`LibraryProcess(path)` starts ``python -m checks.readers.libcall PATH`` and sends it one function
call at a time. A crash (segfault, abort) or a hang of the library ends or stalls the child only:
the call comes back as a `CallOutcome` whose `crash` says what happened, and the next call starts
a fresh child. So a bad library is a failed case, never a crashed harness.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.wording import bilingual

__all__ = ["CallOutcome", "InBytes", "LibraryProcess", "OUT", "OutBuffer"]

CALL_TIMEOUT = 30.0  # seconds one library call may take (card and PSAM exchanges included)
OUT = {"out": True}  # an output-buffer argument


def InBytes(data: bytes) -> dict[str, str]:
    """A NUL-terminated input string argument (bytes as given, e.g. GBK)."""
    return {"in": data.hex()}


@dataclass(frozen=True)
class OutBuffer:
    """What the library left in one output buffer."""

    data: bytes  # up to the first NUL (or the whole buffer when there is none)
    terminated: bool  # a NUL within the buffer's size
    guard_intact: bool  # nothing written past the buffer's size


@dataclass(frozen=True)
class CallOutcome:
    function: str
    rc: int | None = None
    out: tuple[OutBuffer, ...] = ()
    crash: str | None = None  # the child died or hung: what happened
    missing: bool = False  # the library exports no such function

    @property
    def first(self) -> OutBuffer:
        return self.out[0] if self.out else OutBuffer(b"", True, True)


@dataclass
class LibraryProcess:
    """``LibraryProcess(path, stdcall=False, env={...})``; `call()` runs one function."""

    path: Path
    stdcall: bool = False
    env: dict[str, str] = field(default_factory=dict)
    _child: subprocess.Popen[str] | None = None
    load_error: str | None = None

    def load(self) -> str | None:
        """Start the child and load the library; the loader's error, or None."""
        return self.load_error if self._ensure_child() is None else None

    def call(self, function: str, *args: Any, env: dict[str, str | None] | None = None) -> CallOutcome:
        child = self._ensure_child()
        if child is None:
            return CallOutcome(
                function, crash=bilingual(f"无法加载读卡库：{self.load_error}", f"the library could not be loaded: {self.load_error}")
            )
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(json.dumps({"fn": function, "args": list(args), "env": env or {}}) + "\n")
            child.stdin.flush()
        except BrokenPipeError:
            return self._died(function)
        ready, _, _ = select.select([child.stdout], [], [], CALL_TIMEOUT)
        if not ready:
            self.close()
            return CallOutcome(
                function,
                crash=bilingual(
                    f"{function} 在 {CALL_TIMEOUT:.0f} 秒内未返回（子进程已被终止）",
                    f"{function} did not return within {CALL_TIMEOUT:.0f} s (the child was killed)",
                ),
            )
        line = child.stdout.readline()
        if not line:
            return self._died(function)
        answer = json.loads(line)
        if "missing" in answer:
            return CallOutcome(function, missing=True)
        outs = tuple(OutBuffer(bytes.fromhex(o["hex"]), o["terminated"], o["guard_intact"]) for o in answer["out"])
        return CallOutcome(function, rc=int(answer["rc"]), out=outs)

    def close(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        if child.poll() is None:
            child.kill()
        child.wait()
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()

    def _ensure_child(self) -> subprocess.Popen[str] | None:
        if self._child is not None and self._child.poll() is None:
            return self._child
        command = [sys.executable, "-m", "checks.readers.libcall", *(["--stdcall"] if self.stdcall else []), str(self.path)]
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, **self.env, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert child.stdout is not None
        first = json.loads(child.stdout.readline() or '{"load_error": "the child exited at once"}')
        if "load_error" in first:
            self.load_error = first["load_error"]
            child.wait()
            return None
        self._child = child
        return child

    def _died(self, function: str) -> CallOutcome:
        child, self._child = self._child, None
        code = child.wait() if child is not None else None
        for stream in (child.stdin, child.stdout) if child is not None else ():
            if stream is not None:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()
        how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        return CallOutcome(function, crash=bilingual(f"读卡库在 {function} 中崩溃（{how}）", f"the library crashed in {function} ({how})"))
