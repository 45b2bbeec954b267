"""`ssc-conform plan` with and without a card, the ICS deciding applicability, and a run that
stores the plan it executed beside each case's observations (issue: ICS, plan, evidence)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import yaml

from tests.e2e.cli import PROJECT, run_cli

ABSENT = {"format": "ssc-ics/1", "generation": 2, "pse": False, "local_extension": False, "optional_dfs": []}


def _plan(*args: str) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "plan", *args], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


def _ics(tmp_path: Path, doc: dict[str, object]) -> str:
    path = tmp_path / "vendor-ics.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_plan_without_a_card_leaves_undeclared_options_not_run(tmp_path: Path) -> None:
    code, out = _plan("--csv", str(tmp_path / "plan.csv"))
    assert code == 0, out
    assert "card plan, gen2; ICS: none; latency 20 ms/APDU (default)" in out
    rows = _rows(tmp_path / "plan.csv")
    firewall = [r for r in rows if r["requirements"] == "SEC-FW-1"]
    assert firewall and all(r["applicability"] == "not-run" and "ICS does not declare" in r["reason"] for r in firewall)
    atr = [r for r in rows if r["requirements"] == "STD-ATR-1"]
    assert atr and all(r["applicability"] == "runs" and int(r["apdus"]) >= 0 and r["clause"] for r in atr)
    # every requirement of the card plan has its cases in this suite version (SEC-ROB-1, the last to come, included)
    assert not any(r["reason"] == "no scenario in this suite version" for r in rows)
    assert any(r["requirements"] == "SEC-ROB-1" and r["applicability"] == "runs" for r in rows)


def test_plan_with_a_card_measures_latency_and_an_absent_option_is_not_applicable(tmp_path: Path) -> None:
    code, out = _plan("--card", "reference", "--ics", _ics(tmp_path, ABSENT), "--csv", str(tmp_path / "plan.csv"))
    assert code == 0, out
    assert "ms/APDU (measured on" in out
    rows = _rows(tmp_path / "plan.csv")
    firewall = [r for r in rows if r["requirements"] == "SEC-FW-1"]
    assert firewall and all(r["applicability"] == "not-applicable" for r in firewall), firewall
    df80 = [r for r in rows if "SSSE/DF80" in r["title"]]
    assert df80 and all(r["applicability"] == "not-applicable" for r in df80)
    keys = [r for r in rows if r["requirements"] == "SEC-KEY-2"]
    assert keys and all(r["applicability"] == "not-run" and "key versions loaded" in r["reason"] for r in keys)


def test_the_reader_plan_lists_the_rdr_requirements() -> None:
    code, out = _plan("--plan", "reader", "--csv", "-")
    assert code == 0 and "reader plan" in out and "RDR-1" in out and "STD-ATR-1" not in out, out
    # the reader plan's cases come from reader_suite/ (RDR-1..6, the library cases included)
    assert "TC-RDR-6-01" in out and "0 requirement(s) of the plan without a case" in out, out


def test_a_run_under_the_ics_shows_the_plan_and_the_evidence_of_passes(tmp_path: Path) -> None:
    ics = _ics(tmp_path, ABSENT)
    code, out, doc, _ = run_cli(
        "run", "-q", "--ics", ics, "--tags", "SEC-FW-1 or INT-XR-5 or STD-ATR-2", "--report-dir", str(tmp_path / "r")
    )
    assert doc is not None and code == 4, out
    assert doc["requirements"]["SEC-FW-1"]["verdict"] == "not-applicable"
    assert doc["requirements"]["INT-XR-5"]["verdict"] == "not-applicable"
    assert doc["dut"]["ics"]["file"] == ics
    atr = [s for s in doc["scenarios"] if "STD-ATR-2" in s["requirements"]]
    assert atr and all(s["verdict"] == "passed" for s in atr)
    seen = {o["what"]: o for s in atr for o in s["observations"]}
    assert seen["ATR"]["observed"].startswith("3B 6D 00 00")
    plan = doc["run"]["plan"]
    assert plan["ics"] == ics and {r["id"] for r in plan["rows"] if r["id"]} >= {s["id"] for s in doc["scenarios"]}
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert 'id="plan"' in html and "observed vs expected" in html and "ATR historical bytes decoded" in html
