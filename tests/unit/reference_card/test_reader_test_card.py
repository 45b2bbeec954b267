"""The programmable reader-test card answers its in-band hook as ssc/data/reader-test.yaml says,
and hands every other command to the card it wraps."""

from __future__ import annotations

import pytest

from reference_card import ReferenceCard
from reference_card.reader_test import ReaderTestCard
from ssc.card import PowerCut, Withdraw
from ssc.readertest import load_reader_test, pattern
from terminal.testcards import EchoOkCard

HOOKS = load_reader_test()
OK = b"\x90\x00"


@pytest.fixture
def card() -> ReaderTestCard:
    c = ReaderTestCard(ReferenceCard.default("gen2"))
    c.power_on()
    return c


def test_atr_hook_reports_the_atr_of_this_insertion(card: ReaderTestCard) -> None:
    assert card.process(HOOKS.command("atr", le=256)) == ReferenceCard.default("gen2").atr + OK


@pytest.mark.parametrize("n", [1, 255, 256, 4096])
def test_respond_gives_n_pattern_bytes(card: ReaderTestCard, n: int) -> None:
    assert card.process(HOOKS.command("respond", n, le=n)) == pattern(n) + OK


def test_respond_refuses_lengths_outside_the_limit(card: ReaderTestCard) -> None:
    assert card.process(HOOKS.command("respond", 0, le=1)) == b"\x6b\x00"
    assert card.process(HOOKS.command("respond", HOOKS.limits.max_response + 1, le=1)) == b"\x6b\x00"


def test_echo_case_3_and_case_4(card: ReaderTestCard) -> None:
    data = bytes(range(255))
    assert card.process(HOOKS.command("echo", 0, data)) == OK
    assert card.process(HOOKS.command("echo", 0, data, le=256)) == data + OK
    assert card.process(HOOKS.command("echo")) == b"\x67\x00"  # case 1: nothing to echo


def test_last_returns_the_previous_command_exactly(card: ReaderTestCard) -> None:
    sent = HOOKS.command("echo", 0, b"\x01\x02\x03", le=3)
    card.process(sent)
    assert card.process(HOOKS.command("last", le=256)) == sent + OK


def test_a_malformed_length_is_refused(card: ReaderTestCard) -> None:
    assert card.process(bytes((HOOKS.cla, HOOKS.ins["echo"], 0, 0, 5, 1, 2))) == b"\x67\x00"


@pytest.mark.parametrize(("total", "chunk"), [(1, 256), (256, 256), (257, 256), (1000, 100), (300, 0)])
def test_chain_delivers_the_pattern_through_61xx(card: ReaderTestCard, total: int, chunk: int) -> None:
    answer = card.process(HOOKS.command("chain", 0, total.to_bytes(2, "big") + bytes((chunk & 0xFF,))))
    size = chunk or 256
    data = b""
    while answer[-2] == 0x61:
        assert answer[-1] == min(total - len(data), size) & 0xFF
        answer = card.process(bytes((0x00, 0xC0, 0x00, 0x00, answer[-1])))
        data += answer[:-2]
    assert answer[-2:] == OK
    assert data == pattern(total)


def test_wrong_le_answers_6c_then_the_data(card: ReaderTestCard) -> None:
    assert card.process(HOOKS.command("wrong_le", 200, le=0)) == b"\x6c\xc8"
    assert card.process(HOOKS.command("wrong_le", 200, le=200)) == pattern(200) + OK
    assert card.process(HOOKS.command("wrong_le", 256, le=256)) == pattern(256) + OK


def test_set_atr_applies_from_the_next_insertion(card: ReaderTestCard) -> None:
    own = card.presented
    assert card.process(HOOKS.command("set_atr", 0, bytes.fromhex("3B0180"))) == OK
    assert card.presented == own
    assert card.power_on() == bytes.fromhex("3B0180")
    card.process(HOOKS.command("set_atr"))
    assert card.power_on() == own


def test_remove_answers_then_withdraws_for_the_time_asked(card: ReaderTestCard) -> None:
    with pytest.raises(Withdraw) as caught:
        card.process(HOOKS.command("remove", 1500))
    assert caught.value.answer == OK
    assert caught.value.away_s == 1.5
    assert isinstance(caught.value, PowerCut)  # a transport that cannot answer first treats it as a power cut


def test_other_commands_reach_the_wrapped_card() -> None:
    card = ReaderTestCard(EchoOkCard())
    card.power_on()
    assert card.process(bytes.fromhex("00A4040000")) == OK
    tearing = ReaderTestCard(ReferenceCard.default("gen2"))
    tearing.power_on()
    assert tearing.process(bytes.fromhex("FF7E0000")) == b"\x6e\x00"  # the tearing hook is the inner card's, off here


def test_hook_codes_do_not_collide_with_the_tearing_hook() -> None:
    assert 0x7E not in HOOKS.ins.values()
    assert len(set(HOOKS.ins.values())) == len(HOOKS.ins)
