"""The card as a system under learning: restored queries, the guard, the output abstraction, the budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.learn.alphabet import ALPHABETS_DIR, default_alphabet_path, load_alphabet
from harness.learn.sul import GUARD, BudgetExceeded, CardSUL, CountingTransport
from reference_card import ReferenceCard
from terminal.transports.inprocess import InProcessTransport
from tests.unit import rig

TEARING = ALPHABETS_DIR / "focus" / "tearing.yaml"


def card_sul(
    gen: str = "gen2", *, faults: tuple[str, ...] = (), destructive: bool = False, alphabet: Path | None = None, hook: bool = False
) -> CardSUL:
    profile = rig.PROFILES[gen]
    card = ReferenceCard.default(gen, faults=list(faults), tearing_hook=hook)
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


def test_a_card_that_refuses_the_right_pin_at_set_up_cannot_be_learned() -> None:
    from harness.learn.sul import RestoreFailed

    profile = rig.PROFILES["gen2"]
    card = InProcessTransport(rig.new_reference_card("gen2"))
    psam = rig.open_psam(profile)
    chosen = load_alphabet(default_alphabet_path("gen2"), profile)
    with pytest.raises(RestoreFailed, match="verify.*wrong PIN"):
        CardSUL(card, profile, psam, "999999", chosen, destructive=False)


def test_a_key_the_card_refuses_is_its_answer_and_never_sent_again() -> None:
    sul = card_sul(faults=("swapped_diversification",))
    assert set(sul.refused) == {"UKSSSE"} and "UKSSSE" not in sul.plan.keys and sul.notes
    sent = sul.transport.apdus
    assert sul.query(("auth_right", "auth_wrong", "update_ef05")) == ["63C2", GUARD, "6982"]
    assert sul.query(("auth_right",)) == ["63C2"]
    log, restore, outputs = sul.record(("auth_right",))
    assert outputs == ["63C2"] and log[restore][0].name == "external_authenticate" and log[restore][1][-1].sw == 0x63C2
    external = bytes.fromhex("0082")
    assert sul.transport.apdus - sent < 20  # the refused key's authentication is not among them
    assert not any(e.command.upper().startswith(external.hex().upper()) for _, ex in log[:restore] for e in ex)


def test_a_card_that_refuses_reading_by_tag_is_learned_through_its_identity_by_number() -> None:
    sul = card_sul(faults=("no_read_record_by_tag",))
    assert sul.query(("read_ef05", "auth_right", "update_ef05")) == ["6A86", "9000", "9000"]


def test_a_pin_restore_that_cannot_be_verified_is_evidence_not_a_crash() -> None:
    from harness.learn.sul import RestoreUnverified

    sul = card_sul(faults=("reload_pin_no_effect",), alphabet=ALPHABETS_DIR / "focus" / "pin-admin.yaml")
    assert sul.query(("change_temp",)) == ["9000"]
    with pytest.raises(RestoreUnverified, match="verify") as caught:
        sul.query(("verify_right",))
    e = caught.value.evidence
    assert e.sequence == ("change_temp", "reset", "change_back", "verify_right")
    assert e.outputs[0] == "9000" and e.outputs[-1].startswith("63C")
    log, restore, outputs = sul.record(e.sequence[:2])
    assert outputs == list(e.outputs[:2]) and [op.name for op, _ in log[restore:]] == ["change_pin", "reset"]
    clean = card_sul(alphabet=ALPHABETS_DIR / "focus" / "pin-admin.yaml")
    assert clean.query(e.sequence) == ["9000", "-", "9000", "9000"]


def test_the_restore_puts_back_only_what_the_query_left() -> None:
    from harness.learn.sul import Leftover

    sul = card_sul()
    names = lambda left: [op.name for op in sul.plan.operations(left)]  # noqa: E731
    assert names(Leftover(frozenset({"verify", "read_record"}))) == ["reset"]
    assert names(Leftover(frozenset({"verify"}), pin_spent=True)) == ["reset", "verify", "reset"]
    assert names(Leftover(frozenset({"external_authenticate"}), keys_spent=frozenset({"UKSSSE"}))) == [
        "reset",
        "external_authenticate",
        "reset",
    ]
    assert names(Leftover(frozenset({"external_authenticate"}))) == ["reset"]
    assert names(None)[:3] == ["reset", "change_pin", "verify"]


def test_a_refused_write_is_read_back_and_an_accepted_one_written_back() -> None:
    def restore_ops(faults: tuple[str, ...], word: tuple[str, ...]) -> list[str]:
        sul = card_sul(faults=faults)
        sul.query(word)
        sul._log = []
        sul.pre()
        return [op.name for op, _ in sul._log]

    assert restore_ops((), ("update_ef05",)) == ["reset", "read_record", "reset"]
    assert "update_record" in restore_ops((), ("auth_right", "update_ef05"))
    assert "update_record" in restore_ops(("write_despite_refusal",), ("update_ef05",))
    sul = card_sul(faults=("write_despite_refusal",))
    word = ("update_ef05", "read_ef05")
    assert sul.query(word) == sul.query(word) == ["6982", "9000 other"]


def test_internal_authentication_is_judged_valid_and_fresh(tmp_path: Path) -> None:
    alphabet = tmp_path / "ia.yaml"
    alphabet.write_text(
        "format: ssc-alphabet/1\nprofiles: [gen2]\nsymbols:\n  - {name: ia, op: internal_authenticate}\n  - {name: reset, op: reset}\n",
        encoding="utf-8",
    )
    assert card_sul(alphabet=alphabet).query(("ia", "reset", "ia")) == ["9000 valid fresh", "-", "9000 valid fresh"]
    assert card_sul(faults=("swapped_diversification",), alphabet=alphabet).query(("ia",)) == ["9000 invalid fresh"]


def test_a_power_cycle_clears_the_pin_state_like_a_reset() -> None:
    sul = card_sul(alphabet=ALPHABETS_DIR / "focus" / "internal.yaml")
    assert sul.query(("verify_right", "read_ef07", "power_cycle", "read_ef07")) == ["9000", "9000 orig", "-", "6982"]
    assert sul.query(("ia", "ia", "ia_v2")) == ["9000 valid fresh", "9000 valid fresh", "9000 valid fresh"]
    identical = card_sul(faults=("irk_versions_identical",), alphabet=ALPHABETS_DIR / "focus" / "internal.yaml")
    assert identical.query(("ia", "ia_v2")) == ["9000 valid fresh", "9000 invalid fresh"]


def test_a_torn_write_leaves_the_old_record_unless_the_card_lacks_anti_tearing() -> None:
    word = ("torn_update_ef05", "read_ef05", "torn_update_ef05", "read_ef05")
    assert card_sul(alphabet=TEARING, hook=True).query(word) == ["cut", "9000 orig", "cut", "9000 orig"]
    torn = card_sul(faults=("no_anti_tearing",), alphabet=TEARING, hook=True)
    assert torn.query(word[:2]) == torn.query(word[:2]) == ["cut", "9000 torn"]  # the restore wrote the record back


def test_a_torn_verify_never_answers_and_costs_no_try_when_cut_at_the_counter() -> None:
    word = ("torn_verify_wrong", "verify_wrong", "torn_verify_right")
    assert card_sul(alphabet=TEARING, hook=True).query(word) == ["cut", "63C2", GUARD]  # a torn VERIFY counts as a wrong one
    late = card_sul(faults=("try_counter_after_compare",), alphabet=TEARING, hook=True)
    assert late.query(("torn_verify_right",)) == ["9000 answered"]  # compared first: nothing to write, it answers


def test_a_write_under_a_wrong_tag_shows_what_it_left() -> None:
    assert card_sul(alphabet=TEARING, hook=True).query(("update_ef05_wrong_tag", "read_ef05")) == ["6A80 orig", "9000 orig"]
    stored = card_sul(faults=("wrong_tag_written",), alphabet=TEARING, hook=True)
    assert stored.query(("update_ef05_wrong_tag",)) == stored.query(("update_ef05_wrong_tag",)) == ["6A80 other"]


def test_a_card_without_the_tearing_hook_says_so_through_its_torn_symbols() -> None:
    sul = card_sul(alphabet=TEARING)
    assert sul.hook is not None and any("no tearing test hook" in n for n in sul.notes)
    assert sul.query(("torn_update_ef05", "read_ef05", "torn_verify_right")) == ["6E00 nohook", "9000 orig", "6E00 nohook"]


def test_a_cut_armed_past_the_write_commits_it_and_a_transparent_file_tears_too(tmp_path: Path) -> None:
    late = ("torn_update_ef05_late", "read_ef05")
    assert card_sul(alphabet=TEARING, hook=True).query(late) == ["cut", "9000 other"]  # written, then the power lost
    assert card_sul(faults=("tearing_hook_p2_only",), alphabet=TEARING, hook=True).query(late) == ["cut", "9000 orig"]
    binary = tmp_path / "binary.yaml"
    binary.write_text(
        "format: ssc-alphabet/1\nprofiles: [gen2]\nsymbols:\n"
        "  - {name: torn, op: torn_update, args: {path: SSSE/EF08, length: '16'}}\n"
        "  - {name: read, op: read_binary, args: {path: SSSE/EF08, length: '16'}}\n",
        encoding="utf-8",
    )
    assert card_sul(alphabet=binary, hook=True).query(("torn", "read")) == ["cut", "9000 orig"]
    assert card_sul(faults=("no_anti_tearing",), alphabet=binary, hook=True).query(("torn", "read", "read")) == [
        "cut",
        "9000 torn",
        "9000 torn",
    ]
