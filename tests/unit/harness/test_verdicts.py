"""Verdicts a lab can sign: the scenario verdicts (harness.results), the per-requirement fold, the
card plan and the overall verdict (harness.plan), the exit status that follows (harness.run), and
how the console summary and the report state it.

Each rule of the issue has a case here that fails when the rule is broken: a requirement with an
inconclusive case is never passed, a partial plan never passes, a full plan with a requirement
that did not run is incomplete, a failure anywhere fails the run.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from checks.verdicts import Inconclusive
from harness.exitstatus import BAD_INPUT, INCOMPLETE_OR_PARTIAL, UNFINISHED
from harness.exitstatus import FAILED as EXIT_FAILED
from harness.exitstatus import PASSED as EXIT_PASSED
from harness.plan import (
    DESELECTED,
    FAIL,
    FULL,
    INCOMPLETE,
    NO_SCENARIO,
    PARTIAL,
    PASS,
    card_plan,
    certification_statement,
    overall_verdict,
)
from harness.results import (
    FAILED,
    INCONCLUSIVE,
    NOT_APPLICABLE_VERDICT,
    NOT_RUN,
    PASSED,
    ScenarioResult,
    inconclusive_reason,
    requirement_verdicts,
    write_results,
)
from harness.run import _exit_code
from harness.summary import print_summary
from ssc.catalogue import Catalogue, Requirement, load_catalogue
from ssc.profile.model import Text
from terminal.grants import GrantError
from terminal.psam_client import PsamError
from terminal.session import OperationError
from terminal.transports.base import CardRemovedError
from terminal.transports.tryguard import TryGuardRefusal

CATALOGUE = Catalogue(
    reviews={code: Text(code, code) for code in ("STD", "SEC", "PER", "RDR")},
    requirements={
        rid: Requirement(rid, rid.split("-", 1)[0], Text(rid, rid), "§0")
        for rid in ("STD-A-1", "STD-A-2", "SEC-G3-1", "SEC-NONE-1", "PER-1", "RDR-1")
    },
)
# The suite as collected: STD-A-1 and PER-1 for every generation, STD-A-2 on gen2 and gen3,
# SEC-G3-1 on gen3 only, SEC-NONE-1 and RDR-1 without any scenario.
SUITE = [["STD-A-1"], ["STD-A-2", "gen2"], ["STD-A-2", "gen3"], ["SEC-G3-1", "gen3"], ["PER-1", "destructive"]]


def scenario(name: str, verdict: str, rid: str = "STD-A-1", *, reason: str = "", applicable: bool = True) -> ScenarioResult:
    return ScenarioResult(
        id=name, feature="f", name=name, requirements=[rid], tags=[rid], verdict=verdict, reason=reason, applicable=applicable
    )


# -- scenario verdicts: which errors are inconclusive ----------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        Inconclusive("EF06 absent, nothing to read back"),
        TryGuardRefusal("EXTERNAL AUTHENTICATE UKSSSE not sent: 1 try left"),
        GrantError("access rule never cannot be satisfied before the command"),
        PsamError("PSAM could not derive: 6A88", b"", None),
    ],
)
def test_set_up_errors_that_are_not_the_cards_answer_are_inconclusive(exc: Exception) -> None:
    reason = inconclusive_reason(exc)
    assert reason is not None and reason.startswith("inconclusive (") and str(exc) in reason


@pytest.mark.parametrize(
    "exc",
    [
        AssertionError("expected 6982, got 9000"),
        OperationError(b"", None, "VERIFY answered 63C2"),  # the card's answer: a finding on the card
        CardRemovedError("card removed"),  # handled by the card watch, as before
        TypeError("a bug"),
    ],
)
def test_the_cards_answer_and_anything_else_is_not_inconclusive(exc: Exception) -> None:
    assert inconclusive_reason(exc) is None


# -- per requirement ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cases, expected",
    [
        ([scenario("a", PASSED), scenario("b", PASSED)], PASSED),
        ([scenario("a", PASSED), scenario("b", FAILED), scenario("c", INCONCLUSIVE)], FAILED),  # failed beats inconclusive
        ([scenario("a", PASSED), scenario("b", INCONCLUSIVE), scenario("c", NOT_RUN)], INCONCLUSIVE),  # beats not run
        ([scenario("a", PASSED), scenario("b", NOT_RUN, reason="destructive")], NOT_RUN),  # every applicable case must run
        ([scenario("a", PASSED), scenario("b", NOT_RUN, reason="applies to gen3 only", applicable=False)], PASSED),
        ([scenario("a", PASSED), scenario("b", NOT_APPLICABLE_VERDICT, reason="not applicable: absent", applicable=False)], PASSED),
        ([scenario("a", NOT_APPLICABLE_VERDICT, reason="not applicable: absent", applicable=False)], NOT_APPLICABLE_VERDICT),
        ([scenario("a", NOT_RUN, reason="applies to gen3 only", applicable=False)], NOT_RUN),
        ([], NOT_RUN),
    ],
)
def test_the_per_requirement_fold(cases: list[ScenarioResult], expected: str) -> None:
    entry = requirement_verdicts(cases, CATALOGUE)["STD-A-1"]
    assert entry["verdict"] == expected, entry
    assert entry["reason"]


def test_an_inconclusive_requirement_names_its_cases() -> None:
    entry = requirement_verdicts([scenario("a", INCONCLUSIVE, reason="inconclusive (…): keys")], CATALOGUE)["STD-A-1"]
    assert entry["verdict"] == INCONCLUSIVE and entry["reason"] == "a: inconclusive (…): keys"


# -- the card plan -----------------------------------------------------------------------------


def test_the_card_plan_of_each_generation() -> None:
    gen2 = card_plan(CATALOGUE, SUITE, "gen2")
    assert gen2.requirements == ("STD-A-1", "STD-A-2", "SEC-NONE-1", "PER-1")  # RDR is the reader plan
    assert gen2.without_scenario == ("SEC-NONE-1",) and gen2.other_generation == ("SEC-G3-1",)
    gen3 = card_plan(CATALOGUE, SUITE, "gen3")
    assert "SEC-G3-1" in gen3.requirements and gen3.other_generation == ()
    gen1 = card_plan(CATALOGUE, SUITE, "gen1")
    assert gen1.other_generation == ("STD-A-2", "SEC-G3-1")


def test_the_real_card_plan_keeps_the_requirements_without_scenarios() -> None:
    catalogue = load_catalogue()
    plan = card_plan(catalogue, [[rid] for rid in catalogue.requirements if rid not in ("SEC-TEAR-1", "SEC-TEAR-2", "SEC-ROB-1")], "gen2")
    assert plan.without_scenario == ("SEC-TEAR-1", "SEC-TEAR-2", "SEC-ROB-1")
    assert not any(rid.startswith("RDR") for rid in plan.requirements)


# -- the overall verdict -----------------------------------------------------------------------


def _requirements(**verdicts: str) -> dict[str, dict[str, Any]]:
    """STD_A_1="passed" → {"STD-A-1": {"verdict": "passed", "scenarios": [...], "reason": ...}};
    "deselected" → not run without scenarios (the run did not select it)."""
    out = {}
    for key, v in verdicts.items():
        rid = key.replace("_", "-")
        out[rid] = {"verdict": NOT_RUN if v == "deselected" else v, "scenarios": [] if v == "deselected" else ["s"], "reason": f"{rid} why"}
    return out


COMPLETE_PLAN = card_plan(CATALOGUE, [*SUITE, ["SEC-NONE-1"]], "gen2")  # a suite with a scenario for every requirement
ALL_PASS = {"STD_A_1": PASSED, "STD_A_2": PASSED, "SEC_NONE_1": PASSED, "PER_1": PASSED}


def test_a_full_plan_that_passed_is_pass_with_a_statement() -> None:
    v = overall_verdict(COMPLETE_PLAN, _requirements(**ALL_PASS), partial=False)
    assert (v["overall"], v["plan"], v["not_run"], v["inconclusive"]) == (PASS, FULL, [], [])
    statement = certification_statement(v)
    assert statement is not None and "gen2" in statement[1] and "4" in statement[1]


@pytest.mark.parametrize(
    "change, overall, listed",
    [
        ({"PER_1": NOT_APPLICABLE_VERDICT}, PASS, None),  # declared absent: does not block
        ({"SEC_G3_1": NOT_RUN}, PASS, None),  # out of the gen2 plan
        ({"RDR_1": NOT_RUN}, PASS, None),  # the reader plan does not judge a card
        ({"STD_A_2": NOT_RUN}, INCOMPLETE, ("not_run", "STD-A-2")),
        ({"STD_A_2": "deselected"}, INCOMPLETE, ("not_run", "STD-A-2")),
        ({"STD_A_2": INCONCLUSIVE}, INCOMPLETE, ("inconclusive", "STD-A-2")),
        ({"STD_A_2": INCONCLUSIVE, "PER_1": FAILED}, FAIL, ("failed", "PER-1")),
        ({"RDR_1": FAILED}, FAIL, ("failed", "RDR-1")),  # a failure anywhere fails
        ({"SEC_G3_1": FAILED}, FAIL, ("failed", "SEC-G3-1")),
    ],
)
def test_the_overall_verdict_rules(change: dict[str, str], overall: str, listed: tuple[str, str] | None) -> None:
    v = overall_verdict(COMPLETE_PLAN, _requirements(**(ALL_PASS | change)), partial=False)
    assert v["overall"] == overall, v
    if listed is not None:
        key, rid = listed
        assert [i["requirement"] for i in v[key]] == [rid]
    assert (certification_statement(v) is not None) == (overall == PASS)


def test_a_requirement_without_a_scenario_keeps_a_full_run_incomplete() -> None:
    plan = card_plan(CATALOGUE, SUITE, "gen2")
    v = overall_verdict(plan, _requirements(**(ALL_PASS | {"SEC_NONE_1": "deselected"})), partial=False)
    assert v["overall"] == INCOMPLETE and v["not_run"] == [{"requirement": "SEC-NONE-1", "reason": NO_SCENARIO}]
    assert certification_statement(v) is None


def test_a_partial_plan_never_passes_and_lists_the_deselected() -> None:
    v = overall_verdict(COMPLETE_PLAN, _requirements(**ALL_PASS), partial=True)
    assert (v["overall"], v["plan"]) == (INCOMPLETE, PARTIAL) and certification_statement(v) is None
    narrowed = overall_verdict(COMPLETE_PLAN, _requirements(**(ALL_PASS | {"STD_A_1": "deselected"})), partial=True)
    assert narrowed["not_run"] == [{"requirement": "STD-A-1", "reason": DESELECTED}]
    failing = overall_verdict(COMPLETE_PLAN, _requirements(**(ALL_PASS | {"STD_A_1": FAILED})), partial=True)
    assert failing["overall"] == FAIL


def test_an_interrupted_or_empty_plan_never_passes() -> None:
    assert overall_verdict(COMPLETE_PLAN, _requirements(**ALL_PASS), partial=False, interrupted=True)["overall"] == INCOMPLETE
    empty = card_plan(Catalogue(reviews={}, requirements={}), [], "gen2")
    assert overall_verdict(empty, {}, partial=False)["overall"] == INCOMPLETE


# -- the exit status (a constructed results document: no clean card run can be complete yet) --


def _doc(plan_requirements: dict[str, str], *, partial: bool = False, **extra: Any) -> dict[str, Any]:
    reqs = _requirements(**plan_requirements)
    return {"verdict": overall_verdict(COMPLETE_PLAN, reqs, partial=partial), "requirements": reqs, "dut": {}} | extra


@pytest.mark.parametrize(
    "doc, pytest_code, expected",
    [
        (_doc(ALL_PASS), 0, EXIT_PASSED),
        (_doc(ALL_PASS | {"STD_A_1": FAILED}), 1, EXIT_FAILED),
        (_doc(ALL_PASS | {"STD_A_1": INCONCLUSIVE}), 1, INCOMPLETE_OR_PARTIAL),
        (_doc(ALL_PASS | {"SEC_NONE_1": NOT_RUN}), 0, INCOMPLETE_OR_PARTIAL),
        (_doc(ALL_PASS, partial=True), 0, INCOMPLETE_OR_PARTIAL),
        (_doc(ALL_PASS, partial=True), 5, INCOMPLETE_OR_PARTIAL),
        (_doc(ALL_PASS), 2, UNFINISHED),  # pytest interrupted
        (_doc(ALL_PASS, dut={"error_type": "NoCardError", "error": "no card"}), 0, BAD_INPUT),
        ({"requirements": _requirements(**ALL_PASS), "dut": {}}, 0, INCOMPLETE_OR_PARTIAL),  # no verdict block: never 0
    ],
)
def test_exit_status_follows_the_overall_verdict(doc: dict[str, Any], pytest_code: int, expected: int) -> None:
    assert _exit_code(doc, pytest_code) == expected


# -- what the operator reads -------------------------------------------------------------------


def _summary(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    print_summary(doc, Path("r/results.json"), out=out)
    return out.getvalue()


def test_the_summary_starts_with_the_verdict_and_states_certification_only_on_a_full_pass() -> None:
    passed = _summary(_doc(ALL_PASS))
    assert passed.lstrip().startswith("总体结论 overall verdict: 通过 / PASS — 完整计划 / full plan (card, gen2)")
    assert "The card under test conforms" in passed
    partial = _summary(_doc(ALL_PASS, partial=True))
    assert partial.lstrip().startswith("总体结论 overall verdict: 未完成 / INCOMPLETE — 部分计划 / partial plan")
    assert "conforms" not in partial and "partial plan: narrowed" in partial
    failed = _summary(_doc(ALL_PASS | {"STD_A_2": INCONCLUSIVE, "PER_1": FAILED}))
    assert failed.lstrip().startswith("总体结论 overall verdict: 不通过 / FAIL")
    assert "无结论 inconclusive (1):\n    STD-A-2: STD-A-2 why" in failed and "不通过 failed (1):\n    PER-1: PER-1 why" in failed
    assert "conforms" not in failed


def test_write_results_puts_the_verdict_first(tmp_path: Path) -> None:
    doc = write_results(
        tmp_path / "results.json",
        {},
        {},
        [scenario("a", PASSED)],
        CATALOGUE,
        verdict=lambda reqs: overall_verdict(COMPLETE_PLAN, reqs, partial=False),
    )
    assert next(iter(doc)) == "verdict" and doc["verdict"]["overall"] == INCOMPLETE
    assert {i["requirement"] for i in doc["verdict"]["not_run"]} == {"STD-A-2", "SEC-NONE-1", "PER-1"}


def test_the_report_shows_the_verdict_first_and_no_statement_unless_a_full_pass() -> None:
    from reports.page import build_page

    page = build_page(_doc(ALL_PASS), None)
    assert page.overall is not None and page.overall.badge.text == "通过 PASS" and page.overall.statement is not None
    partial = build_page(_doc(ALL_PASS, partial=True), None).overall
    assert partial is not None and partial.badge.text == "未完成 INCOMPLETE" and partial.statement is None
    forged = _doc(ALL_PASS | {"STD_A_1": FAILED})
    forged["verdict"]["overall"] = PASS  # a hand-edited verdict cannot hide a failed requirement
    shown = build_page(forged, None).overall
    assert shown is not None and shown.badge.text == "不通过 FAIL" and shown.statement is None
