"""A transport backed by a plain function, for unit tests of everything above the transport."""

from __future__ import annotations

from collections.abc import Callable

from .base import Transport

# ISO/IEC 7816-3: TS 3B, T0 00 — direct convention, T=0, no interface or historical bytes.
DEFAULT_MOCK_ATR = bytes.fromhex("3B00")


class MockTransport(Transport):
    """`handler(command) -> response` becomes a transport (as httpx's MockTransport).

    The handler may raise any `TransportError` to simulate reader failures. `reset()` returns the
    given ATR and counts resets in `resets`.
    """

    def __init__(self, handler: Callable[[bytes], bytes], atr: bytes = DEFAULT_MOCK_ATR) -> None:
        self.handler = handler
        self._atr = atr
        self.resets = 0
        self.closed = False
        self.description = f"mock: {getattr(handler, '__qualname__', repr(handler))}"

    def transmit(self, command: bytes) -> bytes:
        return self.handler(command)

    def reset(self) -> bytes:
        self.resets += 1
        return self._atr

    @property
    def atr(self) -> bytes | None:
        return self._atr

    def close(self) -> None:
        self.closed = True
