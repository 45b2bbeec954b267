"""A run lists its own plan's requirements and nothing else (harness.plan, harness.results): a card
run's per-requirement verdicts are the card plan's, the reader plan's requirements (and the card
plan's of other generations) are named once in ``verdict.out_of_plan``; a reader run lists no card
requirement. results.json, the console summary and report.html agree on it, and a scenario has one
identity, its test-case ID ``id``."""

from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.plan import card_plan, out_of_plan_line, overall_verdict, reader_plan
from harness.results import PASSED, ScenarioResult, write_results
from harness.summary import print_summary
from reports.page import build_page
from ssc.catalogue import load_catalogue

CATALOGUE = load_catalogue()
CARD = [rid for rid, req in CATALOGUE.requirements.items() if req.review in ("STD", "SEC", "INT", "PER")]
RDR = [rid for rid, req in CATALOGUE.requirements.items() if req.review == "RDR"]
GEN3_ONLY = "SEC-AC-7"


def _tags(rid: str) -> list[str]:
    return [rid, "gen3"] if rid == GEN3_ONLY else [rid]


def _scenario(rid: str, **kw: Any) -> ScenarioResult:
    tags = _tags(rid)
    return ScenarioResult(id=f"TC-{rid}-01", feature="f", name=rid, requirements=[rid], tags=tags, verdict=PASSED, **kw)


def _card_run(tmp_path: Path) -> dict[str, Any]:
    """A full gen2 card run on which every requirement of the plan passed (the gen3-only one did not apply)."""
    plan = card_plan(CATALOGUE, [_tags(rid) for rid in CARD], "gen2")
    scenarios = [_scenario(rid) for rid in CARD if rid != GEN3_ONLY]
    scenarios.append(_scenario(GEN3_ONLY, applicable=False, reason="applies to gen3 only; the card under test is gen2"))
    scenarios[-1].verdict = "not-run"
    return write_results(
        tmp_path / "results.json",
        {"card": "reference:gen2"},
        {"run_id": "r"},
        scenarios,
        CATALOGUE,
        verdict=lambda reqs: overall_verdict(plan, reqs, partial=False),
        plan="card",
        in_plan=plan.requirements,
    )


def _reader_run(tmp_path: Path) -> dict[str, Any]:
    plan = reader_plan(CATALOGUE, [[rid] for rid in RDR], "gen2")
    return write_results(
        tmp_path / "reader.json",
        {"plan": "reader"},
        {"run_id": "r"},
        [_scenario(rid) for rid in RDR],
        CATALOGUE,
        verdict=lambda reqs: overall_verdict(plan, reqs, partial=False),
        plan="reader",
        in_plan=plan.requirements,
    )


def _summary(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    print_summary(doc, Path("r/results.json"), out=out)
    return out.getvalue()


def test_a_card_runs_requirements_are_the_card_plans_and_rdr_is_only_out_of_plan(tmp_path: Path) -> None:
    doc = _card_run(tmp_path)
    assert set(doc["requirements"]) == set(CARD) - {GEN3_ONLY}
    assert not any(rid.startswith("RDR") for rid in doc["requirements"])
    assert doc["verdict"]["overall"] == "pass" and doc["verdict"]["requirements"] == len(doc["requirements"])
    assert doc["verdict"]["out_of_plan"] == {"other_generation": [GEN3_ONLY], "reader_plan": RDR}
    assert all(rid not in RDR for rid in (i["requirement"] for i in doc["verdict"]["not_run"]))


def test_a_reader_runs_requirements_are_rdr_only_and_no_card_requirement_is_not_run(tmp_path: Path) -> None:
    doc = _reader_run(tmp_path)
    assert list(doc["requirements"]) == RDR
    assert doc["verdict"]["overall"] == "pass" and doc["verdict"]["not_run"] == []
    assert doc["verdict"]["out_of_plan"] == {"card_plan": CARD}
    text = _summary(doc)
    assert "STD-ATR-1" not in text and f"卡检测计划（STD、SEC、INT、PER）的 {len(CARD)} 个检测项目" in text


def test_the_console_summary_and_report_agree_with_the_per_requirement_verdicts(tmp_path: Path) -> None:
    doc = _card_run(tmp_path)
    text = _summary(doc)
    line = out_of_plan_line(doc["verdict"])
    assert line is not None and line.startswith("不属于本计划：读写器检测计划的 6 个检测项目")
    assert text.count(line) == 1 and "RDR-1 " not in text.replace(line, "")
    n = len(doc["requirements"])
    assert (
        f"计划中 {n} 个检测项目通过 {n} 个" in text and f"合计（有场景的 {n} 个检测项目）：通过 {n}，不通过 0，无结论 0，未执行 0" in text
    )
    page = build_page(doc, None)
    assert page.overall is not None and page.overall.out_of_plan == line
    assert (page.overall.passed, page.overall.failed, page.overall.inconclusive, page.overall.not_run) == (n, 0, 0, 0)
    assert page.reviews is not None and [r.code for r in page.reviews] == ["STD", "SEC", "INT", "PER"]
    shown = [line.requirement for r in page.reviews for line in r.requirements]
    assert sorted(shown) == sorted(doc["requirements"])
    assert page.summary is not None and sum(r.passed for r in page.summary) == n and sum(r.not_run for r in page.summary) == 0


def test_the_report_renders_the_out_of_plan_line_once(tmp_path: Path) -> None:
    from reports.html import render_report

    doc = _card_run(tmp_path)
    html = render_report(doc, None)
    assert html.count('id="out-of-plan"') == 1 and 'id="review-RDR"' not in html


def test_a_scenario_has_one_identity_its_test_case_id() -> None:
    row = asdict(_scenario("SEC-PIN-1"))
    assert row["id"] == "TC-SEC-PIN-1-01" and "case_id" not in row
