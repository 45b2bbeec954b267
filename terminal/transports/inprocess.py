"""A card model called directly in this process: the fast path (about a microsecond per APDU)."""

from __future__ import annotations

from ssc.card import CardModel, PowerCut

from .base import CardRemovedError, Transport, TransportError


class InProcessTransport(Transport):
    """Drives a `CardModel` by plain method calls.

    Construction "inserts" the card (powers it on). A `PowerCut` from the model (armed tearing
    hook) is a removal: it raises `CardRemovedError`, and every transmit fails the same way until
    `reset()` powers the card on again — the in-process equivalent of re-inserting it.
    """

    def __init__(self, card: CardModel) -> None:
        self.card = card
        self.description = f"in-process: {type(card).__name__}"
        self._removed = False
        self._closed = False
        self._atr: bytes | None = card.power_on()
        self._process = card.process  # bound once: transmit is on the hot path

    def transmit(self, command: bytes) -> bytes:
        if self._removed:
            raise TransportError("transport is closed") if self._closed else CardRemovedError()
        try:
            return self._process(command)
        except PowerCut as exc:
            self._removed = True
            self.card.power_off()
            raise CardRemovedError() from exc

    def reset(self) -> bytes:
        if self._closed:
            raise TransportError("transport is closed")
        if not self._removed:
            self.card.power_off()
        self._removed = False
        self._atr = self.card.power_on()
        return self._atr

    @property
    def atr(self) -> bytes | None:
        return self._atr

    @property
    def removed(self) -> bool:
        return self._removed

    def close(self) -> None:
        if not self._removed:
            self.card.power_off()
        self._removed = self._closed = True
