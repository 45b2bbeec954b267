"""The printed test plan (harness.testplan): case IDs, applicability under the ICS, flags,
estimates, the rows of requirements without a case, and the CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from harness.apdu_estimates import ApduEstimates
from harness.cases import Case, case_id
from harness.ics import load_ics
from harness.testplan import NO_CASE, NOT_APPLICABLE, NOT_RUN, RUNS, build_test_plan, print_plan, write_csv
from ssc.catalogue import load_catalogue
from ssc.profile import load_profile

CATALOGUE = load_catalogue()
GEN2 = load_profile("gen2")
CASES = [
    Case("TC-SEC-FW-1-01", "n1", "f", "firewall", ("SEC-FW-1",), ("SEC-FW-1", "TC-SEC-FW-1-01"), uses_psam=True),
    Case("n2", "n2", "f", "pin blocks", ("SEC-PIN-1",), ("SEC-PIN-1", "destructive")),
    Case("n3", "n3", "f", "gen3 only", ("SEC-AC-7",), ("SEC-AC-7", "gen3")),
    Case("n4", "n4", "f", "declaration", ("PER-1",), ("PER-1",)),
    Case("n5", "n5", "f", "atr", ("STD-ATR-1",), ("STD-ATR-1",)),
]
ESTIMATES = ApduEstimates.model_validate(
    {
        "format": "ssc-apdu-estimates/1",
        "measured_with": "test",
        "generations": {"gen2": {"TC-SEC-FW-1-01": {"apdus": 40}, "n5": {"apdus": 1}}},
    }
)


def _plan(ics_path: Path | None, **kw: object) -> object:
    ics = load_ics(ics_path) if ics_path else None
    args = {"allow_destructive": False, "declaration": False, "latency_ms": 25.0, "latency_source": "test"} | kw
    return build_test_plan(CASES, CATALOGUE, GEN2, ics, ESTIMATES, **args)  # type: ignore[arg-type]


def test_a_case_is_named_by_its_tc_tag_else_its_node_id() -> None:
    assert case_id("a", ["SEC-PIN-1", "TC-SEC-PIN-1-02", "gen2"]) == "TC-SEC-PIN-1-02"
    assert case_id("a", ["@TC-X-01"]) == "TC-X-01"
    assert case_id("d", ["STD-ATR-1"]) == "d"


def test_plan_rows_carry_one_id_the_one_results_json_scenarios_carry() -> None:
    plan = _plan(None)
    rows = plan.to_json()["rows"]  # type: ignore[attr-defined]
    assert all("case_id" not in r for r in rows) and "TC-SEC-FW-1-01" in {r["id"] for r in rows}


def test_applicability_follows_the_run_rules_and_the_ics(tmp_path: Path) -> None:
    path = tmp_path / "ics.yaml"
    path.write_text(yaml.safe_dump({"format": "ssc-ics/1", "pse": False}), encoding="utf-8")
    plan = _plan(path)
    rows = {r.id or r.requirements: r for r in plan.rows}  # type: ignore[attr-defined]
    assert (
        rows["TC-SEC-FW-1-01"].applicability == NOT_APPLICABLE
        and "ics.yaml declares financial application (PSE) absent" in rows["TC-SEC-FW-1-01"].reason
    )
    assert rows["n2"].applicability == NOT_RUN and "not run without --allow-destructive" in rows["n2"].reason
    assert rows["n2"].destructive and not rows["n5"].destructive
    assert rows["n3"].applicability == NOT_RUN and "gen3 only" in rows["n3"].reason
    assert rows["n4"].applicability == NOT_RUN and rows["n4"].needs_declaration
    assert rows["n5"].applicability == RUNS and rows["n5"].apdus == 1 and rows["n5"].duration_s == 0.03
    assert rows["TC-SEC-FW-1-01"].needs_psam and rows["TC-SEC-FW-1-01"].clause == CATALOGUE.requirements["SEC-FW-1"].ref
    assert rows["SEC-ROB-1"].reason == NO_CASE  # a requirement of the card plan without a case still shows
    assert "RDR-1" not in rows


def test_the_pin_case_is_not_run_without_the_ics_declaring_the_pin(tmp_path: Path) -> None:
    plan = _plan(None, allow_destructive=True)
    (pin,) = [r for r in plan.rows if r.id == "n2"]  # type: ignore[attr-defined]
    assert pin.applicability == NOT_RUN and pin.reason.startswith("ICS does not declare PIN length and tries")


def test_totals_estimate_the_running_cases_at_the_latency(tmp_path: Path) -> None:
    plan = _plan(None, allow_destructive=True, declaration=True)
    totals = plan.totals()  # type: ignore[attr-defined]
    assert totals["runs"] == 2 and totals["apdus"] == 1 and totals["unmeasured"] == ["n4"]
    out = io.StringIO()
    print_plan(plan, out)  # type: ignore[arg-type]
    assert "latency 25 ms/APDU (test)" in out.getvalue()


def test_csv_has_one_row_per_case_and_requirement_without_case(tmp_path: Path) -> None:
    plan = _plan(None)
    write_csv(plan, tmp_path / "plan.csv")  # type: ignore[arg-type]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "plan.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == len(plan.rows)  # type: ignore[attr-defined]
    fw = next(r for r in rows if r["id"] == "TC-SEC-FW-1-01")
    assert fw["needs_psam"] == "yes" and fw["applicability"] == NOT_RUN and fw["apdus"] == "40" and fw["duration_s"] == "1.0"
