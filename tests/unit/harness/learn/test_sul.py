"""The card as a system under learning: restored queries, the guard, the output abstraction, the budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.learn.alphabet import ALPHABETS_DIR, default_alphabet_path, load_alphabet
from harness.learn.sul import GUARD, BudgetExceeded, CardSUL, CountingTransport
from terminal.transports.inprocess import InProcessTransport
from tests.unit import rig


def card_sul(gen: str = "gen2", *, faults: tuple[str, ...] = (), destructive: bool = False, alphabet: Path | None = None) -> CardSUL:
    profile = rig.PROFILES[gen]
    card = rig.new_reference_card(gen, faults=faults)
    psam = rig.open_psam(profile)
    psam.select_for(profile.algorithm)
    chosen = load_alphabet(alphabet or default_alphabet_path(gen), profile)
    return CardSUL(InProcessTransport(card), profile, psam, rig.initial_pin(profile), chosen, destructive=destructive)


def test_every_query_starts_from_the_restored_card() -> None:
    sul = card_sul()
    word = ("verify_wrong", "verify_wrong", "auth_wrong", "auth_right", "update_ef05", "read_ef05")
    first = sul.query(word)
    assert first == ["63C2", "63C1", "63C2", "9000", "9000", "9000 other"]
    assert sul.query(word) == first
    assert sul.query(("read_ef05", "verify_wrong")) == ["9000 orig", "63C2"]


def test_without_destructive_the_guard_keeps_one_pin_try() -> None:
    sul = card_sul()
    assert sul.query(("verify_wrong",) * 3) == ["63C2", "63C1", GUARD]
    assert sul.query(("auth_wrong",) * 3) == ["63C2", "63C1", GUARD]


def test_with_destructive_a_blocked_pin_is_unblocked_before_the_next_query() -> None:
    sul = card_sul(destructive=True)
    assert sul.query(("verify_wrong",) * 4) == ["63C2", "63C1", "63C0", "6983"]
    assert sul.query(("verify_right",)) == ["9000"]


def test_a_challenge_is_fresh_unless_the_card_repeats_it() -> None:
    word = ("get_challenge", "reset", "get_challenge")
    assert card_sul().query(word) == ["9000 fresh", "-", "9000 fresh"]
    assert card_sul(faults=("challenge_restarts_at_reset",)).query(word) == ["9000 fresh", "-", "9000 repeat"]


def test_a_read_shows_whether_the_write_took_effect() -> None:
    word = ("auth_right", "update_ef05", "read_ef05")
    assert card_sul().query(word)[-1] == "9000 other"
    assert card_sul(faults=("write_ignored",)).query(word) == ["9000", "9000", "9000 orig"]


def test_a_replayed_authentication_is_refused_by_a_clean_card_only() -> None:
    assert card_sul().query(("auth_replay",)) != ["9000"]
    assert card_sul(faults=("reusable_challenge",)).query(("auth_replay",)) == ["9000"]


def test_record_returns_the_restore_and_the_word_as_operations() -> None:
    sul = card_sul()
    log, restore, outputs = sul.record(("verify_wrong", "reset"))
    assert outputs == ["63C2", "-"]
    assert [op.name for op, _ in log[:restore]][0] == "reset" and [op.name for op, _ in log[restore:]] == ["verify", "reset"]
    assert log[restore][1][-1].sw == 0x63C2


def test_the_budget_stops_the_card() -> None:
    transport = CountingTransport(InProcessTransport(rig.new_reference_card("gen2")))
    transport.budget = 1
    transport.transmit(bytes.fromhex("0084000008"))
    with pytest.raises(BudgetExceeded, match="more than --max-apdus 1 APDUs"):
        transport.transmit(bytes.fromhex("0084000008"))
    assert transport.apdus == 1


def test_a_card_that_answers_a_query_differently_stops_learning() -> None:
    from harness.learn.engine import NonDeterministicCard, learn_machine

    sul = card_sul(alphabet=ALPHABETS_DIR / "focus" / "sm.yaml")
    answers = iter(range(10**6))
    real = sul.step

    def flaky(letter: str | None) -> str:
        out = real(letter)
        return f"{out} #{next(answers)}" if letter == "get_challenge" else out

    sul.step = flaky  # type: ignore[method-assign]
    with pytest.raises(NonDeterministicCard, match="answered the same query differently"):
        learn_machine(sul, sul.alphabet.names)


def test_a_card_that_refuses_the_restore_cannot_be_learned() -> None:
    from harness.learn.sul import RestoreFailed

    with pytest.raises(RestoreFailed, match="external_authenticate.*wrong keys or PIN"):
        card_sul(faults=("swapped_diversification",))
