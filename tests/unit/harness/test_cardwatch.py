"""The card watch: one grace period after a card is lost, then no more waiting; resume when it is back."""

from __future__ import annotations

from harness.cardwatch import MUTE, REMOVED, CardWatch, loss_of
from terminal.transports.base import NoCardError


class FakeReader:
    def __init__(self) -> None:
        self.present = False
        self.timeouts: list[float] = []

    def reset(self, timeout: float) -> bytes:
        self.timeouts.append(timeout)
        if not self.present:
            raise NoCardError("no card in the reader")
        return b"\x3b"


def test_a_lost_card_gets_one_grace_period_then_checks_that_do_not_wait() -> None:
    reader, watch = FakeReader(), CardWatch(grace=3.0)
    assert watch.check(reader.reset) is None and reader.timeouts == []  # nothing lost: no reset at all
    watch.note_loss(REMOVED)
    assert [watch.check(reader.reset) for _ in range(3)] == [REMOVED] * 3
    assert reader.timeouts == [3.0, 0.0, 0.0]


def test_a_card_that_comes_back_is_used_again() -> None:
    reader, watch = FakeReader(), CardWatch(grace=1.0)
    watch.note_loss(MUTE)
    assert watch.check(reader.reset) == MUTE
    reader.present = True
    assert watch.check(reader.reset) is None and watch.lost is None
    watch.note_loss(REMOVED)
    reader.present = False
    assert watch.check(reader.reset) == REMOVED and reader.timeouts[-1] == 1.0, "a new loss gets a new grace period"


def test_trace_errors_name_the_loss() -> None:
    assert loss_of("CardRemovedError: card removed") == REMOVED
    assert loss_of("ApduTimeoutError: no answer within 5 s to 00 B2 01 2C") == MUTE
    assert loss_of("CardMuteError: the card does not answer") == MUTE
    assert loss_of("ResponseTooLongError: …") is None and loss_of(None) is None
