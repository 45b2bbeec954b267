"""The host-side terminal: one `send` over any transport, with T=0 handling and tracing as layers.

As in httpx's client, policy sits above a byte-only transport, one layer per concern: the trace
wraps the transport (so it records every raw step), the T=0 policy resolves 61xx/6Cxx on top of
it. Conformance tests need the card's first answer untouched, so T=0 handling can be switched off
for the whole terminal (``t0=False``) or per call (``send(..., raw=True)``). Status words are
explained with the profile's own table, never with a hard-coded one.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from ssc.apdu import CommandApdu
from ssc.profile.model import Profile, StatusWord
from terminal.transports.tracing import TraceRecorder, TracingTransport

from .t0 import T0Policy
from .transports.base import Transport

__all__ = ["Response", "Terminal", "describe_sw"]


@dataclass(slots=True, eq=True)
class Response:
    """The outcome of one logical command.

    `exchanges` are the raw (command, response) pairs on the wire, GET RESPONSEs and 6Cxx
    re-issues included; `status` is the profile's entry for `sw` (None if the profile lists no
    such status word — itself a finding).
    """

    data: bytes
    sw: int
    exchanges: tuple[tuple[bytes, bytes], ...]
    status: StatusWord | None

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status.name == "ok"

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    @property
    def first_sw(self) -> int:
        """The status word of the card's first answer, before any T=0 handling."""
        return int.from_bytes(self.exchanges[0][1][-2:], "big")

    def means(self, name: str) -> bool:
        """True if `sw` is the profile's status word `name` (e.g. "verification_failed")."""
        return self.status is not None and self.status.name == name

    def describe(self) -> str:
        return _describe(self.sw, self.status)

    def __repr__(self) -> str:
        return f"Response(data={self.data.hex().upper()!r}, sw={self.describe()!r}, steps={len(self.exchanges)})"


def _describe(sw: int, status: StatusWord | None) -> str:
    if status is None:
        return f"{sw:04X} (not a status word of the profile)"
    return f"{sw:04X} {status.en} ({status.zh})"


def describe_sw(profile: Profile, sw: int) -> str:
    """``"6A82 file not found (未找到文件)"`` — the profile's meaning of a status word."""
    return _describe(sw, profile.sw.describe(sw))


class Terminal:
    """``Terminal(transport, profile, t0=True, trace=None)``; ``send(apdu) -> Response``.

    `trace` is a `TraceRecorder`: every raw exchange and reset is recorded (masked per its rules).
    """

    def __init__(self, transport: Transport, profile: Profile, *, t0: bool = True, trace: TraceRecorder | None = None) -> None:
        self.profile = profile
        self.trace = trace
        self.transport: Transport = TracingTransport(transport, trace) if trace is not None else transport
        get_response = profile.command("get_response")
        self._policy = T0Policy(
            self.transport,
            get_response_cla=get_response.cla[0],
            get_response_ins=get_response.ins,
            auto_get_response=t0,
            auto_reissue_6c=t0,
        )
        self._raw = T0Policy(self.transport, auto_get_response=False, auto_reissue_6c=False)
        self._describe = profile.sw.describe

    @property
    def t0(self) -> bool:
        """Whether 61xx/6Cxx are resolved automatically (both switch together)."""
        return self._policy.auto_get_response

    @t0.setter
    def t0(self, on: bool) -> None:
        self._policy.auto_get_response = on
        self._policy.auto_reissue_6c = on

    def send(self, apdu: CommandApdu | bytes, *, raw: bool = False) -> Response:
        """Send one command; `raw=True` returns the card's first answer with no T=0 handling."""
        # Hot path (benchmarked): bytes go straight through; the status is a memoized lookup.
        command = apdu if type(apdu) is bytes else apdu.to_bytes() if isinstance(apdu, CommandApdu) else bytes(apdu)
        exchange = (self._raw if raw else self._policy).exchange(command)
        sw = exchange.sw
        return Response(exchange.data, sw, exchange.steps, self._describe(sw))

    def describe(self, sw: int) -> str:
        return describe_sw(self.profile, sw)

    @property
    def atr(self) -> bytes | None:
        return self.transport.atr

    def reset(self) -> bytes:
        """Reset the card; returns the new ATR. Volatile card state (selection, security) is gone."""
        return self.transport.reset()

    def power_cycle(self) -> bytes:
        """Cold reset (power removed, then applied: `Transport.power_cycle`); returns the new ATR."""
        return self.transport.power_cycle()

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
