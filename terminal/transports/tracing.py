"""The APDU evidence log: every exchange on the wire, timed, with secrets masked at recording time.

`TracingTransport` wraps any transport (as httpx wraps transports for cross-cutting behaviour), so
the log shows the raw exchange below all terminal policy — each GET RESPONSE and 6Cxx re-issue
appears as its own entry.

Masking happens when an entry is recorded: PIN values, key-derivation inputs and the like are
overwritten before the entry is stored, so the unmasked bytes never reach the recorder, a report or
a JSON dump. Lengths stay visible ("**" per masked byte). Which commands are secret is data supplied
by the caller (the harness builds `MaskRule`s from the profile).

Bounded: an entry keeps at most `max_response` bytes of a response (masked first, then cut) and
notes the full length, so whatever a card answers, a run's trace — and every artefact made from
it — stays small.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from terminal.t0 import SW1_MORE_DATA
from terminal.transports.base import ResponseTooLongError, Transport, WrappingTransport

MASK_TEXT = "**"
# Bytes of one response kept in a trace entry unless the recorder is told otherwise: a short
# response APDU (256 data bytes + SW1 SW2) fits whole.
DEFAULT_MAX_RESPONSE = 258


@dataclass(frozen=True, slots=True)
class MaskRule:
    """Mask the data field of commands with this INS (and CLA, unless None) and/or their response data.

    A masked response that ends in 61xx also masks the data of the response that follows (the
    GET RESPONSE carrying the rest).
    """

    cla: int | None
    ins: int
    mask_command_data: bool
    mask_response_data: bool
    reason: str

    def matches(self, command: bytes) -> bool:
        return len(command) >= 2 and command[1] == self.ins and (self.cla is None or command[0] == self.cla)


@dataclass(frozen=True, slots=True)
class Masked:
    """Bytes with a masked span: the span is zeroed in `value` and rendered as "**" per byte."""

    value: bytes
    span: tuple[int, int] | None = None  # [start, end) of the masked bytes

    def hex(self) -> str:
        text = self.value.hex().upper()
        if self.span is None:
            return text
        start, end = self.span
        return text[: 2 * start] + MASK_TEXT * (end - start) + text[2 * end :]

    def truncated(self, length: int) -> Masked:
        """The first `length` bytes, the masked span cut to match."""
        if len(self.value) <= length:
            return self
        span = None
        if self.span is not None and self.span[0] < length:
            span = (self.span[0], min(self.span[1], length))
        return Masked(self.value[:length], span)

    @classmethod
    def mask(cls, raw: bytes, start: int, end: int) -> Masked:
        end = min(end, len(raw))
        if start >= end:
            return cls(bytes(raw))
        return cls(raw[:start] + bytes(end - start) + raw[end:], (start, end))


def _command_data_span(command: bytes) -> tuple[int, int]:
    """The Lc data field of a short APDU; everything after the header if Lc is inconsistent."""
    if len(command) <= 5:
        return (5, 5)
    lc = command[4]
    if lc and len(command) in (5 + lc, 6 + lc):
        return (5, 5 + lc)
    return (4, len(command))  # malformed: hide all but the header, better safe than sorry


class Masker:
    """Applies `MaskRule`s; remembers a masked response left pending with 61xx."""

    def __init__(self, rules: Sequence[MaskRule] = ()) -> None:
        self.rules = tuple(rules)
        self._carry: MaskRule | None = None

    def apply(self, command: bytes, response: bytes, *, complete: bool = True) -> tuple[Masked, Masked, str | None]:
        """Mask `command` and `response`; `complete=False` says `response` is only a prefix (no
        status word at its end), so all of it is data."""
        rule = next((r for r in self.rules if r.matches(command)), None)
        carry, self._carry = self._carry, None
        reasons = []
        masked_command = Masked(bytes(command))
        if rule is not None and rule.mask_command_data:
            masked_command = Masked.mask(command, *_command_data_span(command))
            reasons.append(rule.reason)
        response_rule = rule if rule is not None and rule.mask_response_data else carry
        masked_response = Masked(bytes(response))
        if response_rule is not None:
            masked_response = Masked.mask(response, 0, max(len(response) - (2 if complete else 0), 0))
            if response_rule.reason not in reasons:
                reasons.append(response_rule.reason)
            if complete and len(response) >= 2 and response[-2] == SW1_MORE_DATA:
                self._carry = response_rule
        return masked_command, masked_response, "; ".join(reasons) or None


@dataclass(frozen=True, slots=True)
class TraceEntry:
    index: int
    kind: str  # "apdu" or "reset"
    command: Masked
    response: Masked
    duration_ns: int
    label: str | None = None
    masked: str | None = None  # why something was masked, None if nothing was
    error: str | None = None  # the TransportError raised instead of a response
    response_length: int | None = None  # the full length when `response` keeps only a prefix

    def to_dict(self) -> dict[str, object]:
        """The JSON form; "response_length" appears only when the response was cut."""
        out: dict[str, object] = {
            "index": self.index,
            "kind": self.kind,
            "command": self.command.hex(),
            "response": self.response.hex(),
            "duration_ns": self.duration_ns,
            "label": self.label,
            "masked": self.masked,
            "error": self.error,
        }
        if self.response_length is not None:
            out["response_length"] = self.response_length
        return out


class TraceRecorder:
    """Keeps the entries of one session (not thread-safe; one recorder per test)."""

    def __init__(self, masker: Masker | None = None, *, max_response: int = DEFAULT_MAX_RESPONSE) -> None:
        self.masker = masker or Masker()
        self.max_response = max_response
        self.entries: list[TraceEntry] = []
        self.label: str | None = None
        self.summarizing = False
        self.keep_errors = True
        self.unrecorded = 0  # exchanges counted but not kept (inside `summarized`)

    @contextmanager
    def summarized(self, *, keep_errors: bool = True) -> Iterator[None]:
        """Inside the block, exchanges are counted, not kept: a bulk check (tens of thousands of
        APDUs) keeps its own summary instead, so the trace — and results.json — stays small.
        Exchanges that raised (no answer, card removed) are still recorded unless `keep_errors`
        is false (a check that removes the card on purpose, again and again)."""
        previous = self.summarizing, self.keep_errors
        self.summarizing, self.keep_errors = True, keep_errors
        try:
            yield
        finally:
            self.summarizing, self.keep_errors = previous

    @contextmanager
    def labelled(self, label: str) -> Iterator[None]:
        """Tag entries recorded inside the block (e.g. with the current BDD step)."""
        previous, self.label = self.label, label
        try:
            yield
        finally:
            self.label = previous

    def record(
        self,
        command: bytes,
        response: bytes,
        duration_ns: int,
        *,
        kind: str = "apdu",
        error: str | None = None,
        response_length: int | None = None,
    ) -> TraceEntry | None:
        """Record one exchange; `response_length` is the full length when `response` is already a
        prefix (the rest never reached the host side). Inside `summarized` an exchange without
        an error is only counted (None is returned)."""
        if self.summarizing and (error is None or not self.keep_errors):
            self.unrecorded += 1
            return None
        if kind == "apdu":
            complete = response_length is None or response_length <= len(response)
            masked_command, masked_response, reason = self.masker.apply(command, response, complete=complete)
        else:
            masked_command, masked_response, reason = Masked(command), Masked(response), None
        full = max(len(response), response_length or 0)
        masked_response = masked_response.truncated(self.max_response)
        entry = TraceEntry(
            len(self.entries),
            kind,
            masked_command,
            masked_response,
            duration_ns,
            self.label,
            reason,
            error,
            full if full > len(masked_response.value) else None,
        )
        self.entries.append(entry)
        return entry

    def clear(self) -> None:
        self.entries.clear()

    def to_dicts(self) -> list[dict[str, object]]:
        return [entry.to_dict() for entry in self.entries]

    def __len__(self) -> int:
        return len(self.entries)


class TracingTransport(WrappingTransport):
    """Records every transmit and reset of `inner` into `recorder`."""

    def __init__(self, inner: Transport, recorder: TraceRecorder) -> None:
        super().__init__(inner)
        self.recorder = recorder

    def transmit(self, command: bytes) -> bytes:
        start = time.perf_counter_ns()
        try:
            response = self.inner.transmit(command)
        except ResponseTooLongError as exc:
            self.recorder.record(
                command, exc.prefix, time.perf_counter_ns() - start, error=f"{type(exc).__name__}: {exc}", response_length=exc.length
            )
            raise
        except Exception as exc:
            self.recorder.record(command, b"", time.perf_counter_ns() - start, error=f"{type(exc).__name__}: {exc}")
            raise
        self.recorder.record(command, response, time.perf_counter_ns() - start)
        return response

    def transmit_with_power_cut(self, command: bytes, delay: float) -> bytes | None:
        """Recorded like a transmit; a command the cut left unanswered shows the error "power cut"."""
        start = time.perf_counter_ns()
        response = self.inner.transmit_with_power_cut(command, delay)
        elapsed = time.perf_counter_ns() - start
        if response is None:
            self.recorder.record(command, b"", elapsed, error=f"PowerCut: the reader cut the power {delay * 1000:g} ms after sending")
        else:
            self.recorder.record(command, response, elapsed)
        return response

    def reset(self, **options: float) -> bytes:
        """Reset through `inner`; backend options (e.g. PcscTransport's timeout) pass through."""
        return self._traced_reset(lambda: self.inner.reset(**options))

    def power_cycle(self) -> bytes:
        """A cold reset through `inner`, traced as a reset."""
        return self._traced_reset(self.inner.power_cycle)

    def _traced_reset(self, call: Callable[[], bytes]) -> bytes:
        start = time.perf_counter_ns()
        try:
            atr = call()
        except Exception as exc:
            self.recorder.record(
                b"",
                b"",
                time.perf_counter_ns() - start,
                kind="reset",
                error=f"{type(exc).__name__}: {exc}",
            )
            raise
        self.recorder.record(b"", atr, time.perf_counter_ns() - start, kind="reset")
        return atr
