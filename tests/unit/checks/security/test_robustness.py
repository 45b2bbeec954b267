"""SEC-ROB-1's battery (checks/security/robustness*.py) on the in-process reference card: the plan
keeps its budget and never risks a try; the clean card passes; each robustness fault, and a card
that stops answering, is reported with the failing APDUs."""

from __future__ import annotations

import pytest

from checks.security.robustness import NO_ANSWER, BatteryReport, outcome_of, protected_content, protected_files, run_battery
from checks.security.robustness_plan import NO_DATA, REFUSED, TRY_COMMANDS, build_probes
from reference_card import ReferenceCard
from ssc.profile import load_profile
from terminal.channel import Terminal
from terminal.session import CardSession
from terminal.transports.base import ApduTimeoutError, Transport, WrappingTransport
from terminal.transports.inprocess import InProcessTransport
from tests.unit import rig
from tests.unit.checks.zh import chinese_first

PROFILE = load_profile("gen2")
SPEC = PROFILE.robustness
assert SPEC is not None
BUDGET = 4000  # a quick look; the profile's budgets are 2,000 (reader) and 20,000 (embedded)


def _battery(card: CardSession, budget: int = BUDGET) -> tuple[list[bytes], BatteryReport]:
    assert SPEC is not None
    files = protected_files(PROFILE)
    secrets = protected_content(card, rig.open_psam(PROFILE), rig.PIN, files)
    probes, counts = build_probes(PROFILE, SPEC, budget, files)
    return secrets, run_battery(card, probes, secrets, counts, budget=budget)


@pytest.mark.parametrize("budget", [SPEC.budget_reader, SPEC.budget_embedded])
def test_the_plan_keeps_its_budget_and_never_sends_a_try(budget: int) -> None:
    assert SPEC is not None
    probes, counts = build_probes(PROFILE, SPEC, budget, protected_files(PROFILE))
    assert len(probes) == budget == sum(c["sent"] for c in counts.values())
    assert counts["random"]["sent"] >= budget // 10
    tries = {(cla, PROFILE.command(n).ins) for n in TRY_COMMANDS for cla in PROFILE.command(n).cla}
    assert not [p for p in probes if len(p.apdu) > 5 and (p.apdu[0], p.apdu[1]) in tries], "a try command carried data"
    hook = PROFILE.command("tearing_hook")
    assert not [p for p in probes if len(p.apdu) >= 2 and p.apdu[0] in hook.cla and p.apdu[1] == hook.ins]
    assert {p.rule for p in probes if len(p.apdu) < 4} == {NO_DATA}
    if budget == SPEC.budget_embedded:  # every systematic phase whole
        assert all(c["sent"] == c["planned"] for phase, c in counts.items() if phase != "random")
        assert any(p.rule == REFUSED and p.apdu[:2] == b"\x00\xca" for p in probes)  # an undefined INS under CLA 00


def test_the_clean_card_passes_and_its_protected_data_is_known() -> None:
    card = rig.session_on(ReferenceCard.default("gen2", tearing_hook=True))
    secrets, report = _battery(card)
    assert secrets, "no protected content read: a leak could not be recognized"
    assert report.failed == 0 and report.stopped is None, report.message()
    assert report.sent == BUDGET
    summary = report.summary()
    assert summary["ins_outcomes"]["CA"] and "9000" not in summary["ins_outcomes"]["CA"]
    assert len(summary["failing_apdus"]) == 0


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        ("undefined_ins_answers_ok", "an undefined or malformed APDU was accepted"),
        ("truncated_apdu_answers_data", "an APDU shorter than its header was answered with data or success"),
        ("inconsistent_lc_mute", "answered without a status word"),
        ("malformed_p2_reads_protected", "protected data returned without the right"),
    ],
)
def test_each_robustness_fault_is_reported(fault: str, problem: str) -> None:
    card = rig.session_on(ReferenceCard.default("gen2", faults=[fault]))
    _, report = _battery(card)
    assert report.problems[problem] > 0, report.message()
    assert chinese_first(report.message())
    assert report.findings and report.findings[0].apdu


class _MuteOnce(WrappingTransport):
    """Gives no answer (the deadline's error) to the first APDU starting with `prefix`."""

    def __init__(self, inner: Transport, prefix: bytes) -> None:
        super().__init__(inner)
        self.prefix = prefix
        self.fired = False

    def transmit(self, command: bytes) -> bytes:
        if not self.fired and command.startswith(self.prefix):
            self.fired = True
            raise ApduTimeoutError("no answer within 5 s to " + command[:4].hex())
        return self.inner.transmit(command)


def test_a_command_without_an_answer_fails_its_case_and_the_battery_goes_on() -> None:
    mute = _MuteOnce(InProcessTransport(ReferenceCard.default("gen2")), bytes.fromhex("00A4000001"))  # SELECT, Le 1
    card = CardSession(Terminal(mute, PROFILE), check=False)
    _, report = _battery(card, 2000)
    assert mute.fired and report.stopped is None and report.sent == 2000
    assert [f.problem for f in report.findings] == [f"{NO_ANSWER}: ApduTimeoutError"]
    assert report.by_ins["A4"][NO_ANSWER] == 1


def test_outcomes_fold_patterns_and_name_what_has_no_status_word() -> None:
    assert outcome_of(PROFILE, bytes.fromhex("6C12")) == "6CXX"
    assert outcome_of(PROFILE, bytes.fromhex("6D00")) == "6D00"
    assert outcome_of(PROFILE, bytes.fromhex("6F00")) == "6F00?"
    assert outcome_of(PROFILE, b"\x90") == "no status word"
