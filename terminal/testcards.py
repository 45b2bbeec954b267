"""Trivial card models for exercising transports, the vpcd server and benchmarks.

They implement `ssc.card.CardModel` and know nothing about the SSC profile: every status word they
return comes from the caller, except `EchoOkCard`'s fixed "9000" (ISO/IEC 7816-4 "no further
qualification"), which is the whole point of that card — the cheapest possible answer, so a
benchmark measures the transport and not the card.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ssc.card import PowerCut

# ISO/IEC 7816-3 ATR: TS 3B (direct convention), T0 04 (no interface bytes, so T=0 only and no TCK,
# 4 historical bytes), historical bytes "ECHO" (first byte 45: proprietary category, free content).
ECHO_ATR = bytes.fromhex("3B04") + b"ECHO"
SW_OK = b"\x90\x00"


class EchoOkCard:
    """Answers every command with 9000 and no data, at once."""

    def __init__(self, atr: bytes = ECHO_ATR) -> None:
        self.atr = atr
        self.powered = False

    def power_on(self) -> bytes:
        self.powered = True
        return self.atr

    def power_off(self) -> None:
        self.powered = False

    def process(self, apdu: bytes) -> bytes:
        return SW_OK


class ScriptedCard:
    """Answers from a table `command bytes -> response bytes`; anything else gets `otherwise`.

    Commands listed in `power_cut_on` raise `PowerCut` instead of answering (simulated tearing), so
    transports' card-removal paths can be tested with no real card model. Every command received is
    appended to `received` (cleared by `power_on`) so tests can check what actually reached the card.
    """

    def __init__(
        self,
        responses: Mapping[bytes, bytes],
        *,
        otherwise: bytes,
        atr: bytes = ECHO_ATR,
        power_cut_on: Iterable[bytes] = (),
    ) -> None:
        self.responses = dict(responses)
        self.otherwise = otherwise
        self.atr = atr
        self.power_cut_on = frozenset(power_cut_on)
        self.received: list[bytes] = []
        self.power_ons = 0
        self.powered = False

    def power_on(self) -> bytes:
        self.powered = True
        self.power_ons += 1
        self.received.clear()
        return self.atr

    def power_off(self) -> None:
        self.powered = False

    def process(self, apdu: bytes) -> bytes:
        self.received.append(apdu)
        if apdu in self.power_cut_on:
            self.powered = False
            raise PowerCut(f"scripted power cut on {apdu.hex().upper()}")
        return self.responses.get(apdu, self.otherwise)
