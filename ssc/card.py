"""What a card model must offer to be served by any transport (in-process or the vpcd server).

This is the electrical/ISO contract only — power and APDUs — so `terminal` can serve or drive any
card model (the reference card, a PSAM, a trivial test card, a vendor's simulator adapter) without
importing `reference_card`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class PowerCut(Exception):
    """Raised by a card model when an armed tearing hook cuts power mid-write.

    The card has already kept whatever it committed; the transport must treat the card as removed
    (no response) and may power it on again to "re-insert" it.
    """


class Withdraw(PowerCut):
    """Raised by a card model that answers a command and then leaves the reader (the reader-test
    card's "remove" hook): a transport that can deliver `answer` first does so, then treats the
    card as removed for `away_s` seconds and re-inserts it. One that cannot treats it as a
    `PowerCut` (removed, no answer).
    """

    def __init__(self, answer: bytes, away_s: float) -> None:
        super().__init__(f"the card leaves the reader for {away_s:g} s")
        self.answer = answer
        self.away_s = away_s


@runtime_checkable
class CardModel(Protocol):
    def power_on(self) -> bytes:
        """Cold reset: clear volatile state, return the ATR."""

    def power_off(self) -> None:
        """Remove power: volatile state is lost."""

    def process(self, apdu: bytes) -> bytes:
        """Answer one command APDU with a response APDU (data ‖ SW1 SW2). May raise PowerCut."""
