"""Hostile card models of the test tools: a reference card that misbehaves on purpose from its n-th APDU.

They are served through `terminal.vpcd` by the `serve_card` fixture, so the harness meets them
exactly as it would meet a misbehaving physical card: through pcscd, vpcd and pyscard. They wrap
the product's reference card from the outside (power and APDUs only); the reference card itself
has no hostile mode.
"""

from __future__ import annotations

import threading

from reference_card import ReferenceCard
from ssc.card import PowerCut


class Hostile:
    """Counts command APDUs and answers like `inner` until `misbehave_at`; subclasses say what then."""

    def __init__(self, inner: ReferenceCard, misbehave_at: int) -> None:
        self.inner = inner
        self.misbehave_at = misbehave_at
        self.received = 0
        self.triggered = threading.Event()  # set when the misbehaviour started

    def power_on(self) -> bytes:
        return self.inner.power_on()

    def power_off(self) -> None:
        self.inner.power_off()

    def process(self, apdu: bytes) -> bytes:
        self.received += 1
        if self.received >= self.misbehave_at:
            first = not self.triggered.is_set()
            self.triggered.set()
            return self.misbehave(apdu, first)
        return self.inner.process(apdu)

    def misbehave(self, apdu: bytes, first: bool) -> bytes:
        raise NotImplementedError


class StallOnce(Hostile):
    """The `misbehave_at`-th APDU is answered (correctly) only after `stall` seconds, or as soon as
    `release()` is called; every other APDU at once."""

    def __init__(self, inner: ReferenceCard, misbehave_at: int, stall: float) -> None:
        super().__init__(inner, misbehave_at)
        self.stall = stall
        self._released = threading.Event()

    def misbehave(self, apdu: bytes, first: bool) -> bytes:
        if first:
            self._released.wait(self.stall)
        return self.inner.process(apdu)

    def release(self) -> None:
        self._released.set()


class GoesMute(Hostile):
    """From the `misbehave_at`-th APDU on, answers every command with a 0-byte response: through
    vpcd the terminal's SCardTransmit then never returns."""

    def misbehave(self, apdu: bytes, first: bool) -> bytes:
        return b""


class HugeAnswers(Hostile):
    """From the `misbehave_at`-th APDU on, answers every command with `size` data bytes and 9000."""

    def __init__(self, inner: ReferenceCard, misbehave_at: int, size: int = 65_000) -> None:
        super().__init__(inner, misbehave_at)
        self.answer = bytes(range(256)) * (size // 256) + bytes(size % 256) + b"\x90\x00"

    def misbehave(self, apdu: bytes, first: bool) -> bytes:
        return self.answer


class Vanishes(Hostile):
    """Is pulled out of the reader at the `misbehave_at`-th APDU (serve it with a long
    `reinsert_delay`: it does not come back during the run)."""

    def misbehave(self, apdu: bytes, first: bool) -> bytes:
        if first:
            raise PowerCut(f"test: card pulled at APDU {self.received}")
        return self.inner.process(apdu)


class LateOnInconsistentLc:
    """A reference card that answers an APDU whose Lc disagrees with its length only after `late`
    seconds (with the status word the clean card gives), every other APDU at once: past the
    harness's APDU time limit it is a card that did not answer, and the exchange still ends, as a
    reader's own timeout ends it — unlike a served card that never answers, which vpcd waits for
    until the card leaves the reader."""

    def __init__(self, inner: ReferenceCard, late: float) -> None:
        self.inner = inner
        self.late = late
        self.late_answers = 0
        self._stop = threading.Event()

    def power_on(self) -> bytes:
        return self.inner.power_on()

    def power_off(self) -> None:
        self.inner.power_off()

    def process(self, apdu: bytes) -> bytes:
        if len(apdu) > 5 and apdu[4] and len(apdu) not in (5 + apdu[4], 6 + apdu[4]):
            self.late_answers += 1
            self._stop.wait(self.late)
        return self.inner.process(apdu)

    def release(self) -> None:
        self._stop.set()
