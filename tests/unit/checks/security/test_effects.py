"""Checks that prove an effect instead of trusting a status word (PIN replacement, counter, refused
secure writes), run on the in-process reference card: clean, they pass; each "answers 9000 but does
nothing" mutant is exposed, and the card is left with its PIN."""

from __future__ import annotations

import pytest

from checks.security.auth_probes import other_key_of_df, secured_record_update, send_secured
from checks.security.pin_admin import counter_full_proof, prove_pin_replacement, wrong_pin
from checks.writeback import refused_record_write
from ssc.profile import load_profile
from tests.unit import rig
from tests.unit.checks.zh import chinese_first

PROFILE = load_profile("gen2")
PIN = rig.PIN
INITIAL = PROFILE.security.pin.initial


@pytest.mark.parametrize("command", ["change_pin", "reload_pin"])
def test_pin_replacement_is_proved_on_the_clean_card(command: str) -> None:
    card, psam = rig.open_session("gen2"), rig.open_psam(PROFILE)
    proof = prove_pin_replacement(card, psam, PIN, INITIAL, command)
    assert proof.problems == [] and proof.restored
    assert [s.ok for s in proof.steps] == [True] * 4


@pytest.mark.parametrize(("command", "fault"), [("change_pin", "change_pin_no_effect"), ("reload_pin", "reload_pin_no_effect")])
def test_a_replacement_without_effect_is_exposed_and_the_pin_kept(command: str, fault: str) -> None:
    card, psam = rig.open_session("gen2", faults=(fault,)), rig.open_psam(PROFILE)
    proof = prove_pin_replacement(card, psam, PIN, INITIAL, command)
    replaced = next(s for s in proof.steps if "temporary PIN" in s.what)
    assert replaced.ok  # the card answers 9000 …
    assert any("old PIN" in p for p in proof.problems)  # … but the old PIN still works
    assert proof.problems and all(chinese_first(p) for p in proof.problems), proof.problems
    assert any(p.startswith(("修改 PIN 之后以旧 PIN 校验 PIN", "PUK 认证后重装 PIN 之后以旧 PIN 校验 PIN")) for p in proof.problems), (
        proof.problems
    )
    assert proof.restored and card.verify_pin(PIN, check=False).ok


def test_counter_full_proof_exposes_an_unblock_without_effect() -> None:
    failed = PROFILE.sw["verification_failed"]
    for faults, full in (((), True), (("unblock_pin_no_effect",), False)):
        card, psam = rig.open_session("gen2", faults=faults), rig.open_psam(PROFILE)
        assert card.verify_pin(wrong_pin(PIN), check=False).sw == failed.with_value(PROFILE.security.pin.tries - 1)
        assert card.unblock_pin(psam, check=False).ok
        proof = counter_full_proof(card, PIN)
        assert (proof.problems == []) is full, proof.problems
        assert card.verify_pin(PIN, check=False).ok


@pytest.mark.parametrize(("faults", "refused"), [((), True), (("sm_any_key_mac",), False)])
def test_a_mac_under_another_key_of_the_df_is_refused_and_writes_nothing(faults: tuple[str, ...], refused: bool) -> None:
    card, psam = rig.open_session("gen2", faults=faults), rig.open_psam(PROFILE)
    path = "SSSE/DF04/EF06"
    other = other_key_of_df(PROFILE, path, "update")
    assert other.name not in PROFILE.file(path).rule("update").keys  # type: ignore[union-attr]  # the file has an update rule in the built-in profiles
    result = refused_record_write(
        card,
        path,
        1,
        lambda record: send_secured(card, secured_record_update(card, psam, path, record, other.name)),
        lambda record: card.secure_update_record(path, record, psam, number=1, check=False),
    )
    assert PROFILE.sw["sm_data_incorrect"].matches(result.write.sw) is refused
    assert result.unchanged is refused
    assert card.read_record(path, 1, check=True).data == result.original  # restored either way


def test_an_inconclusive_case_fails_with_a_reason_starting_inconclusive() -> None:
    """Until the harness has a verdict for it, an inconclusive case fails (never passes), and its
    reason in results.json reads "inconclusive: …" rather than the exception's class."""
    from types import SimpleNamespace

    from checks.verdicts import Inconclusive
    from harness.plugin import _failure_text

    with pytest.raises(Inconclusive) as raised:
        raise Inconclusive("SSSE/EF99 cannot be read back by any right")
    report = SimpleNamespace(longrepr=raised.getrepr())  # what pytest stores for a failed step
    assert _failure_text(report) == "inconclusive: SSSE/EF99 cannot be read back by any right"  # type: ignore[arg-type]  # a hand-built report stands in for pytest's
