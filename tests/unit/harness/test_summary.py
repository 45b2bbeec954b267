"""The end-of-run summary: one table per review, titled from the requirement catalogue."""

from __future__ import annotations

import io
from pathlib import Path

from harness.results import FAILED, NOT_RUN, PASSED, ScenarioResult, requirement_verdicts
from harness.summary import print_summary, review_tables
from ssc.catalogue import load_catalogue


def scenario(name: str, verdict: str, rid: str) -> ScenarioResult:
    return ScenarioResult(id=name, feature="f", name=name, requirements=[rid], tags=[rid], verdict=verdict, reason="because")


def test_one_table_per_review_in_catalogue_order_with_counts() -> None:
    doc = {
        "dut": {"card": "reference"},
        "requirements": requirement_verdicts(
            [scenario("a", PASSED, "STD-ATR-1"), scenario("b", FAILED, "SEC-PIN-1"), scenario("c", NOT_RUN, "SEC-PIN-2")], load_catalogue()
        ),
    }
    tables = review_tables(doc)
    assert [code for code, _, _ in tables] == ["STD", "SEC"]
    assert tables[0][1] == "STD — 标准符合性审核（standards conformance）"
    out = io.StringIO()
    print_summary(doc, Path("r/results.json"), out=out)
    text = out.getvalue()
    assert (
        "SEC — 安全性审核（security）：通过 0，不通过 1，无结论 0，未执行 1，不适用 0 / 0 passed, 1 failed, 0 inconclusive, 1 not run"
        in text
    )
    assert "合计（有场景的 3 个检测项目）：通过 1，不通过 1，无结论 0，未执行 1，不适用 0 / 1 passed, 1 failed" in text
    lines = text.strip().splitlines()
    assert lines[-2] == "结果 results: r/results.json"
    # the overall verdict opens and closes the summary; without a verdict block it is never a pass
    assert lines[0] == lines[-1] == "总体结论 overall verdict: 未完成 / INCOMPLETE — results.json carries no overall verdict"
