"""The reader plan with a card that is not the programmable reader-test card (a lab's physical
test card): the kit says so (not programmable), and RDR-1 asks the operator to take the card out
and put it back, then judges what PC/SC reported. Here the "operator" is scripted: the prompt
callback removes and re-inserts a reference card served on vpcd."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from checks.readers import presence
from harness.reader_session import ReaderSession
from reference_card import ReferenceCard
from terminal.vpcd import VpcdServer
from tests.e2e.conftest import PCSCD_POLL, ServedCard

pytestmark = pytest.mark.pcsc


def test_a_plain_card_is_not_programmable_and_the_operator_drives_insertion(serve_card: Callable[..., ServedCard]) -> None:
    card = ReferenceCard.default("gen2")
    served = serve_card(card)
    session = ReaderSession(served.reader)
    session.open()
    try:
        assert session.error is None
        assert not session.programmable and session.expected_atr is None
        assert session.profile.name == "gen2"
    finally:
        session.close()

    prompts: list[str] = []

    def operator(change: str, text: str) -> None:
        prompts.append(text)
        if len(prompts) == 1:  # take the card out
            time.sleep(2 * PCSCD_POLL)  # let pcscd settle on the inserted card first
            served.handle.stop()
        else:  # put it back
            served.handle = VpcdServer(card, port=35963).run_in_thread()

    events = presence.by_operator(served.reader, operator, limit=3.0)
    assert [e.change for e in events] == ["removal", "insertion"]
    assert all(e.ok and e.driven_by == "operator" for e in events), [e.describe() for e in events]
    assert "取出" in prompts[0] and "插回" in prompts[1]
