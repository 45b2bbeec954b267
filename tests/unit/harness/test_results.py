"""Folding scenario outcomes into requirement verdicts (harness/results.py) and the --card option
(harness/cardspec.py).

REQUIREMENTS.md: a requirement passes only when all its scenarios ran and passed; any failure fails
it; otherwise it is not run, with the reasons — never silently passed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cardspec import CardSpec, CardSpecError, parse_card_spec
from harness.results import (
    FAILED,
    NOT_APPLICABLE_VERDICT,
    NOT_RUN,
    PASSED,
    ScenarioResult,
    any_failed,
    requirement_verdicts,
    write_results,
)
from ssc.catalogue import Catalogue, Requirement
from ssc.profile.model import Text

CATALOGUE = Catalogue(
    reviews={"STD": Text("标准", "standards"), "SEC": Text("安全", "security")},
    requirements={
        rid: Requirement(rid, rid.split("-", 1)[0], Text(f"{rid} 中文", f"{rid} english"), "§0")
        for rid in ("STD-A-1", "STD-A-2", "SEC-B-1")
    },
)


def scenario(name: str, verdict: str, reason: str = "", requirements: tuple[str, ...] = ("STD-A-1",)) -> ScenarioResult:
    return ScenarioResult(
        id=f"suite/test_x.py::{name}",
        feature="f",
        name=name,
        requirements=list(requirements),
        tags=list(requirements),
        verdict=verdict,
        reason=reason,
    )


def test_a_requirement_passes_only_when_all_its_scenarios_passed() -> None:
    out = requirement_verdicts([scenario("a", PASSED), scenario("b", PASSED)], CATALOGUE)
    assert out["STD-A-1"]["verdict"] == PASSED
    assert out["STD-A-1"]["reason"] == "2 scenario(s) passed"
    assert out["STD-A-1"]["scenarios"] == ["suite/test_x.py::a", "suite/test_x.py::b"]
    assert out["STD-A-1"]["review"] == "STD"
    assert out["STD-A-1"]["title"] == {"zh": "STD-A-1 中文", "en": "STD-A-1 english"}


@pytest.mark.parametrize(
    "others",
    [
        [scenario("ok", PASSED)],
        [scenario("ok", PASSED), scenario("skipped", NOT_RUN, "gen3 only")],
        [],
    ],
)
def test_any_failed_scenario_fails_the_requirement_with_its_reason(others: list[ScenarioResult]) -> None:
    out = requirement_verdicts([*others, scenario("bad", FAILED, "expected 6700, got 9000")], CATALOGUE)
    assert out["STD-A-1"]["verdict"] == FAILED
    assert out["STD-A-1"]["reason"] == "bad: expected 6700, got 9000"


def test_every_failed_scenario_is_named() -> None:
    out = requirement_verdicts([scenario("x", FAILED, "r1"), scenario("y", FAILED, "r2")], CATALOGUE)
    assert out["STD-A-1"]["reason"] == "x: r1; y: r2"


def test_not_run_scenarios_without_failures_make_the_requirement_not_run_with_reasons() -> None:
    out = requirement_verdicts(
        [
            scenario("ok", PASSED),
            scenario("s1", NOT_RUN, "destructive"),
            scenario("s2", NOT_RUN, "gen3 only"),
        ],
        CATALOGUE,
    )
    entry = out["STD-A-1"]
    assert entry["verdict"] == NOT_RUN
    assert "s1: destructive" in entry["reason"] and "s2: gen3 only" in entry["reason"]


def test_a_requirement_without_scenarios_is_not_run_no_scenario() -> None:
    out = requirement_verdicts([scenario("ok", PASSED)], CATALOGUE)
    for rid in ("STD-A-2", "SEC-B-1"):
        assert out[rid]["verdict"] == NOT_RUN and "no scenario" in out[rid]["reason"] and out[rid]["scenarios"] == []
    assert set(out) == set(CATALOGUE.requirements)


def test_a_scenario_counts_for_every_requirement_it_carries() -> None:
    out = requirement_verdicts([scenario("both", FAILED, "boom", ("STD-A-1", "SEC-B-1"))], CATALOGUE)
    assert out["STD-A-1"]["verdict"] == out["SEC-B-1"]["verdict"] == FAILED


def test_an_id_outside_the_catalogue_still_gets_a_verdict() -> None:
    out = requirement_verdicts([scenario("x", PASSED, requirements=("STD-Z-9",))], CATALOGUE)
    assert out["STD-Z-9"]["verdict"] == PASSED and out["STD-Z-9"]["title"] is None


def _doc(*verdicts: str) -> dict:
    return {"requirements": {f"STD-A-{i}": {"verdict": v} for i, v in enumerate(verdicts)}}


@pytest.mark.parametrize(
    "verdicts, expected",
    [
        ((PASSED,), False),
        ((PASSED, NOT_RUN), False),
        ((NOT_RUN,), False),
        ((), False),
        ((PASSED, FAILED), True),
        ((FAILED, NOT_RUN), True),
    ],
)
def test_any_failed(verdicts: tuple[str, ...], expected: bool) -> None:
    assert any_failed(_doc(*verdicts)) is expected


def test_write_results_round_trips_and_folds(tmp_path: Path) -> None:
    path = tmp_path / "out" / "results.json"
    doc = write_results(path, {"card": "reference"}, {"python": "3"}, [scenario("a", PASSED), scenario("b", FAILED, "why")], CATALOGUE)
    assert json.loads(path.read_text(encoding="utf-8")) == doc
    assert doc["requirements"]["STD-A-1"]["verdict"] == FAILED
    assert [s["verdict"] for s in doc["scenarios"]] == [PASSED, FAILED]
    assert any_failed(doc)
    assert "verdict" not in doc  # only with a plan to judge against (harness.plan)
    assert not list(tmp_path.glob("out/*.tmp"))


# -- --card ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("reference", CardSpec("reference", generation="gen2")),
        ("reference:", CardSpec("reference", generation="gen2")),
        ("reference:gen1", CardSpec("reference", generation="gen1")),
        ("reference:gen3", CardSpec("reference", generation="gen3")),
        ("reader:Virtual PCD 00 00", CardSpec("reader", reader="Virtual PCD 00 00")),
        ("reader:*PCD*", CardSpec("reader", reader="*PCD*")),
        ("reader:ACS:ACR39U", CardSpec("reader", reader="ACS:ACR39U")),  # only the first colon separates
    ],
)
def test_parse_card_spec(text: str, expected: CardSpec) -> None:
    spec = parse_card_spec(text)
    assert spec == expected
    assert spec.is_virtual_reference == (expected.kind == "reference")
    assert parse_card_spec(str(spec)) == spec


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("reference:gen9", ["unknown generation 'gen9'", "gen1, gen2, gen3"]),
        ("reader:", ["give the reader name"]),
        ("floppy:A", ["--card 'floppy:A'", "expected 'reference'"]),
        ("", ["expected 'reference'"]),
        ("Reference", ["expected 'reference'"]),
    ],
)
def test_bad_card_specs_are_refused_clearly(text: str, fragments: list[str]) -> None:
    with pytest.raises(CardSpecError) as info:
        parse_card_spec(text)
    for fragment in fragments:
        assert fragment in str(info.value)


def _inapplicable(name: str) -> ScenarioResult:
    s = scenario(name, NOT_APPLICABLE_VERDICT, "not applicable: SSSE/DF80/EF05 is local and absent from this card")
    s.applicable = False
    return s


def test_inapplicable_scenarios_neither_pass_nor_block_a_requirement() -> None:
    out = requirement_verdicts([scenario("a", PASSED), _inapplicable("b")], CATALOGUE)
    assert out["STD-A-1"]["verdict"] == PASSED and "1 not applicable" in out["STD-A-1"]["reason"]
    only = requirement_verdicts([_inapplicable("b")], CATALOGUE)
    assert only["STD-A-1"]["verdict"] == NOT_APPLICABLE_VERDICT and "absent" in only["STD-A-1"]["reason"]
    failing = requirement_verdicts([scenario("a", FAILED, "boom"), _inapplicable("b")], CATALOGUE)
    assert failing["STD-A-1"]["verdict"] == FAILED
