"""How `ssc-conform mutants` judges its runs: caught, MISSED, not covered, error; per requirement,
kills / NOT KILLED / NO FAULT — and the exit status that follows. The run outcomes here are built by hand, so each verdict rule is exercised."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from harness.mutants import (
    CAUGHT,
    ERROR,
    KILLS,
    MISSED,
    NO_FAULT,
    NO_SCENARIO,
    NOT_COVERED,
    NOT_IN_RUN,
    NOT_KILLED,
    NOT_KILLED_HERE,
    RequirementVerdict,
    RunOutcome,
    evaluate,
    passed,
    plan,
    print_requirements,
    print_table,
    requirement_table,
    write_report,
)
from reference_card import FAULTS


def _run(
    fault: str | None, verdicts: dict[str, str], *, generation: str = "gen2", code: int | None = None, error: str | None = None
) -> RunOutcome:
    failed = [r for r, v in verdicts.items() if v == "failed"]
    return RunOutcome(
        generation,
        fault,
        code if code is not None else (1 if failed else 0),
        "/tmp/x",
        1.0,
        dict(verdicts),
        [{"name": f"scenario of {r}", "feature": "f", "requirements": [r], "reason": "r"} for r in failed],
        error,
    )


CLEAN = _run(None, {"SEC-PIN-1": "passed", "STD-DATA-1": "passed", "INT-XR-7": "passed", "SEC-AC-7": "not-run"})


@pytest.mark.parametrize(
    "mutant, verdict",
    [
        (_run("pin_counter_not_decremented", {"SEC-PIN-1": "failed"}), CAUGHT),
        (_run("pin_counter_not_decremented", {"SEC-PIN-1": "passed", "STD-DATA-1": "failed"}), MISSED),
        (_run("bad_card_id_mac", {"STD-DATA-1": "passed", "INT-XR-7": "failed"}), CAUGHT),
        (_run("no_anti_tearing", {"SEC-PIN-1": "passed"}), NOT_COVERED),
        (_run("gen3_ef06_free_read", {"SEC-AC-7": "not-run"}), NOT_COVERED),  # its only requirement does not run here
        (_run("pin_counter_not_decremented", {}, code=3, error="no results.json"), ERROR),
    ],
)
def test_fault_verdict(mutant: RunOutcome, verdict: str) -> None:
    clean, verdicts = evaluate([CLEAN, mutant])
    assert [v.verdict for v in verdicts] == [verdict]
    assert passed(clean, verdicts) == (verdict in (CAUGHT, NOT_COVERED))


def test_caught_by_and_other_failures_are_told_apart() -> None:
    _, [v] = evaluate([CLEAN, _run("bad_card_id_mac", {"STD-DATA-1": "failed", "SEC-PIN-1": "failed", "INT-XR-7": "passed"})])
    assert (
        v.caught_by == ["STD-DATA-1"] and v.other_failed == ["SEC-PIN-1"] and v.expected == list(FAULTS["bad_card_id_mac"].requirement_ids)
    )


def test_a_clean_card_failure_fails_the_command() -> None:
    dirty = _run(None, {"SEC-PIN-1": "failed"})
    clean, verdicts = evaluate([dirty, _run("pin_counter_not_decremented", {"SEC-PIN-1": "failed"})])
    assert not passed(clean, verdicts)


@pytest.mark.parametrize(
    "code, open_requirements, clean_ok",
    [
        (4, [], True),  # 未完成 only because SEC-TEAR-1/2 and SEC-ROB-1 have no scenario: clean
        (0, [], True),
        (4, ["SEC-PIN-1"], False),  # a requirement with scenarios left not run or inconclusive: not clean
        (3, [], False),  # the run could not complete
    ],
)
def test_a_clean_run_is_clean_when_only_requirements_without_scenarios_kept_it_incomplete(
    code: int, open_requirements: list[str], clean_ok: bool
) -> None:
    run = _run(None, {"SEC-PIN-1": "passed"}, code=code)
    run.open_requirements = open_requirements
    clean, verdicts = evaluate([run, _run("pin_counter_not_decremented", {"SEC-PIN-1": "failed"}, code=1)])
    assert passed(clean, verdicts) is clean_ok


def test_plan_runs_each_fault_on_its_generations_after_the_clean_cards() -> None:
    runs = plan(["gen3_ef06_free_read", "pin_counter_not_decremented"], ["gen1", "gen2", "gen3"])
    assert runs[:3] == [("gen1", None), ("gen2", None), ("gen3", None)]
    assert ("gen3", "gen3_ef06_free_read") in runs and ("gen2", "gen3_ef06_free_read") not in runs
    assert [g for g, f in runs if f == "pin_counter_not_decremented"] == ["gen1", "gen2", "gen3"]


def test_table_and_report_list_not_covered_faults(tmp_path: Path) -> None:
    clean, verdicts = evaluate([CLEAN, _run("no_anti_tearing", {}), _run("pin_counter_not_decremented", {"SEC-PIN-1": "failed"})])
    out = io.StringIO()
    print_table(clean, verdicts, out)
    text = out.getvalue()
    assert "not covered by this suite version" in text and "no_anti_tearing (SEC-TEAR-1)" in text
    assert "scenario of SEC-PIN-1" in text
    write_report(tmp_path / "mutants.json", clean, verdicts, 1.0)
    doc = json.loads((tmp_path / "mutants.json").read_text(encoding="utf-8"))
    assert doc["passed"] is True and doc["not_covered"] == ["no_anti_tearing"]


# -- per requirement ---------------------------------------------------------------------------
def _rows(outcomes: list[RunOutcome], *, complete: bool) -> dict[str, RequirementVerdict]:
    clean, verdicts = evaluate(outcomes)
    return {r.requirement: r for r in requirement_table(clean, verdicts, complete=complete)}


def test_a_requirement_kills_the_faults_it_failed_on() -> None:
    rows = _rows([CLEAN, _run("bad_card_id_mac", {"STD-DATA-1": "passed", "INT-XR-7": "failed"})], complete=True)
    assert rows["INT-XR-7"].state == KILLS and rows["INT-XR-7"].killed == ["bad_card_id_mac (gen2)"]
    # STD-DATA-1 names the fault too, but passed on the mutant: the fault is caught, the requirement killed nothing
    assert rows["STD-DATA-1"].state == NOT_KILLED and rows["STD-DATA-1"].survived == ["bad_card_id_mac (gen2)"]


def test_requirements_without_a_scenario_that_ran_are_listed_not_failed() -> None:
    rows = _rows([CLEAN, _run("no_anti_tearing", {})], complete=True)
    assert rows["SEC-TEAR-1"].state == NO_SCENARIO and rows["SEC-TEAR-1"].faults == ["no_anti_tearing"]
    assert rows["SEC-AC-7"].state == NO_SCENARIO  # not run on the clean card
    assert rows["RDR-1"].state == NO_SCENARIO and not rows["RDR-1"].failing


def test_a_requirement_with_scenarios_and_no_killed_fault_fails_the_complete_run() -> None:
    outcomes = [CLEAN, _run("pin_counter_not_decremented", {"SEC-PIN-1": "failed"})]
    rows = _rows(outcomes, complete=True)
    assert rows["SEC-PIN-1"].state == KILLS
    assert rows["STD-DATA-1"].state == NO_FAULT and rows["INT-XR-7"].state == NO_FAULT
    clean, verdicts = evaluate(outcomes)
    assert not passed(clean, verdicts, complete=True)
    # a run of chosen faults (--fault) judges only the requirements its faults name
    assert _rows(outcomes, complete=False)["STD-DATA-1"].state == NOT_IN_RUN
    assert passed(clean, verdicts)


def test_a_named_requirement_that_kills_nothing_fails_only_the_complete_run() -> None:
    outcomes = [CLEAN, _run("bad_card_id_mac", {"STD-DATA-1": "passed", "INT-XR-7": "failed"})]
    clean, verdicts = evaluate(outcomes)
    assert [v.verdict for v in verdicts] == [CAUGHT]
    assert not passed(clean, verdicts, complete=True)  # STD-DATA-1 names the fault and killed nothing
    assert _rows(outcomes, complete=False)["STD-DATA-1"].state == NOT_KILLED_HERE
    assert passed(clean, verdicts)  # with --fault bad_card_id_mac: another fault may kill STD-DATA-1


def test_requirement_table_is_printed_and_written(tmp_path: Path) -> None:
    outcomes = [CLEAN, _run("pin_counter_not_decremented", {"SEC-PIN-1": "failed"})]
    clean, verdicts = evaluate(outcomes)
    out = io.StringIO()
    print_requirements(requirement_table(clean, verdicts, complete=True), out)
    text = out.getvalue()
    assert "SEC-PIN-1" in text and "killed pin_counter_not_decremented (gen2)" in text
    assert "no scenario in this suite version" in text and "kill none: STD-DATA-1, INT-XR-7" in text
    write_report(tmp_path / "mutants.json", clean, verdicts, 1.0, complete=True)
    doc = json.loads((tmp_path / "mutants.json").read_text(encoding="utf-8"))
    assert doc["passed"] is False and doc["complete"] is True
    assert doc["requirements"]["SEC-PIN-1"]["state"] == KILLS
    assert doc["requirements"]["SEC-PIN-1"]["killed"] == ["pin_counter_not_decremented (gen2)"]
    assert doc["requirements"]["STD-DATA-1"]["state"] == NO_FAULT
