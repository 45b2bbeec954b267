"""The programmable reader-test card: a card model whose behaviour the reader kit steers in-band.

It wraps a card (the reference card, so a full basic-information flow still works in the same slot)
and answers the hook commands of ssc/data/reader-test.yaml (class byte `hook_cla`) itself: answers
of any length up to `max_response`, 61xx chains, 6Cxx, echoes of case 3/4 commands, the previous
command as received (so the kit proves a command crossed the reader byte for byte), slow answers,
a programmable ATR for the next insertion, and "leave the reader for N ms" (`ssc.card.Withdraw`;
over vpcd the card disconnects and connects again). Every other command goes to the wrapped card,
the tearing hook FF 7E included. The hook is a test facility of virtual cards only (S).
"""

from __future__ import annotations

import time

from ssc.card import CardModel, Withdraw
from ssc.readertest import ReaderTest, load_reader_test, pattern

OK = b"\x90\x00"
WRONG_LENGTH = b"\x67\x00"  # ISO 7816-4: wrong length (Lc or Le)
WRONG_P1P2 = b"\x6b\x00"  # ISO 7816-4: wrong parameters P1-P2
GET_RESPONSE = (0x00, 0xC0)


def _parts(apdu: bytes) -> tuple[bytes, int | None] | None:
    """(data, Le or None) of a short command APDU (Le 00 → 256); None when the length is not one."""
    body = apdu[4:]
    if not body:
        return b"", None
    if len(body) == 1:
        return b"", body[0] or 256
    lc = body[0]
    if lc and len(body) == 1 + lc:
        return body[1:], None
    if lc and len(body) == 2 + lc:
        return body[1 : 1 + lc], body[-1] or 256
    return None


class ReaderTestCard:
    """`CardModel` for reader certification: `inner` plus the in-band hook (see module docstring)."""

    def __init__(self, inner: CardModel, hooks: ReaderTest | None = None) -> None:
        self.inner = inner
        self.hooks = hooks if hooks is not None else load_reader_test()
        self._by_ins = {ins: name for name, ins in self.hooks.ins.items()}
        self.next_atr: bytes | None = None  # set_atr: the ATR of the next insertion
        self.presented = b""  # the ATR of this insertion
        self._previous = b""
        self._pending = b""  # the rest of a 61xx chain
        self._chunk = 256

    def power_on(self) -> bytes:
        own = self.inner.power_on()
        self.presented = self.next_atr if self.next_atr is not None else own
        self._previous = b""
        self._pending = b""
        return self.presented

    def power_off(self) -> None:
        self._pending = b""
        self.inner.power_off()

    def process(self, apdu: bytes) -> bytes:
        previous, self._previous = self._previous, apdu
        if len(apdu) >= 4 and apdu[0] == self.hooks.cla and apdu[1] in self._by_ins:
            self._pending = b""
            return self._hook(self._by_ins[apdu[1]], apdu, previous)
        if self._pending and len(apdu) == 5 and (apdu[0], apdu[1]) == GET_RESPONSE:
            return self._next_chunk(apdu[4] or 256)
        self._pending = b""
        return self.inner.process(apdu)

    def _next_chunk(self, le: int) -> bytes:
        out, self._pending = self._pending[:le], self._pending[le:]
        return out + self._more()

    def _more(self) -> bytes:
        if not self._pending:
            return OK
        return bytes((0x61, min(len(self._pending), self._chunk) & 0xFF))

    def _hook(self, name: str, apdu: bytes, previous: bytes) -> bytes:
        parts = _parts(apdu)
        if parts is None:
            return WRONG_LENGTH
        data, le = parts
        p1p2 = (apdu[2] << 8) | apdu[3]
        limit = self.hooks.limits.max_response
        if name == "atr":
            return self.presented + OK
        if name == "last":
            return previous + OK
        if name == "echo":
            if not data:
                return WRONG_LENGTH
            return (data if le is not None else b"") + OK
        if name == "respond":
            return pattern(p1p2) + OK if 1 <= p1p2 <= limit else WRONG_P1P2
        if name == "wrong_le":
            if not 1 <= p1p2 <= 256:
                return WRONG_P1P2
            if le != p1p2:
                return bytes((0x6C, p1p2 & 0xFF))
            return pattern(p1p2) + OK
        if name == "chain":
            if len(data) != 3 or not 1 <= int.from_bytes(data[:2], "big") <= limit:
                return WRONG_LENGTH
            self._pending = pattern(int.from_bytes(data[:2], "big"))
            self._chunk = data[2] or 256
            return self._more()
        if name == "set_atr":
            self.next_atr = data or None
            return OK
        if name == "delay":
            time.sleep(p1p2 / 1000)
            return OK
        # remove: answer, then leave the reader for P1P2 ms
        raise Withdraw(OK, p1p2 / 1000)
