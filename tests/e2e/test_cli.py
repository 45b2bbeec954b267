"""`ssc-conform` end to end, as a user runs it: in-process, against mutants, and through the real
PC/SC stack (pcscd + vpcd + pyscard) against the served reference card."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reference_card import ReferenceCard
from tests.e2e.cli import assert_only_selected, run_cli, verdicts
from tests.e2e.lab_cards import OTHER_REGION, card_of, invalid_card_set

SLICE = ("STD-ATR-1", "STD-FS-1", "STD-DATA-1", "STD-DATA-2", "SEC-PIN-1", "INT-XR-1")
# The reader review (RDR-1..6): the reader plan's, out of a card run's plan (verdict.out_of_plan only).
READER_PLAN = ["RDR-1", "RDR-2", "RDR-3", "RDR-4", "RDR-5", "RDR-6"]


@pytest.mark.parametrize("generation", ["gen1", "gen2", "gen3"])
def test_run_on_the_embedded_reference_card_passes_every_requirement_with_a_scenario(tmp_path: Path, generation: str) -> None:
    """Every requirement of the card plan passes — SEC-TEAR-1/2 through the embedded card's tearing
    hook and SEC-ROB-1 included — so the full run is 通过 (exit 0)."""
    code, out, doc, _ = run_cli("run", "--card", f"reference:{generation}", "--report-dir", str(tmp_path))
    assert doc is not None, out
    assert code == 0, out
    verdict = doc["verdict"]
    assert (verdict["overall"], verdict["plan"], verdict["generation"]) == ("pass", "full", generation), verdict
    assert verdict["not_run"] == [] and verdict["failed"] == [] and verdict["inconclusive"] == [], verdict
    assert doc["plan"] == "card" and verdict["plan_of"] == "card", "a card run is judged against the card plan"
    assert ("SEC-AC-7" in verdict["out_of_plan"]["other_generation"]) == (generation != "gen3")
    summary = out[out.index("总体结论") :]
    assert summary.startswith("总体结论 overall verdict: 通过 / PASS — 完整计划 / full plan"), summary[:300]
    for rid in ("SEC-TEAR-1", "SEC-TEAR-2", "SEC-ROB-1"):
        assert doc["requirements"][rid]["verdict"] == "passed", (rid, doc["requirements"][rid])
    robustness = next(s for s in doc["scenarios"] if "SEC-ROB-1" in s["requirements"])
    assert robustness["apdus"] >= 20_000 and robustness["summary"]["ins_outcomes"] and len(robustness["trace"]) < 200
    reqs = doc["requirements"]
    assert all(reqs[rid]["verdict"] == "passed" for rid in SLICE), out
    assert all(r["verdict"] == "passed" for r in reqs.values()), out  # the card plan's requirements only
    assert verdict["out_of_plan"]["reader_plan"] == READER_PLAN and not set(READER_PLAN) & set(reqs)
    assert not set(verdict["out_of_plan"]["other_generation"]) & set(reqs)
    assert "不属于本计划：读写器检测计划的 6 个检测项目" in summary
    assert doc["dut"]["atr"].startswith("3B6D0000") and doc["dut"]["generation"] == int(generation[-1])
    pin = [s for s in doc["scenarios"] if "SEC-PIN-1" in s["requirements"]]
    assert pin and all(s["trace"] and s["apdus"] > 0 for s in pin)
    matrix = doc["run"]["interop_matrix"]
    assert len(matrix["columns"]) >= 8 and matrix["summary"]["INT-XR-1"]["failed"] == 0


@pytest.mark.parametrize(
    "fault, requirement",
    [
        ("pin_counter_not_decremented", "SEC-PIN-1"),
        ("bad_card_id_mac", "STD-DATA-1"),
        ("bad_card_number_check", "STD-DATA-2"),
        ("swapped_diversification", "INT-XR-1"),
    ],
)
def test_run_fails_the_requirement_a_fault_violates(tmp_path: Path, fault: str, requirement: str) -> None:
    code, out, doc, _ = run_cli("run", "--fault", fault, "--report-dir", str(tmp_path))
    assert doc is not None, out
    assert doc["requirements"][requirement]["verdict"] == "failed", out
    assert doc["dut"]["faults"] == [fault]
    assert doc["verdict"]["overall"] == "fail" and requirement in {i["requirement"] for i in doc["verdict"]["failed"]}
    assert "总体结论 overall verdict: 不通过 / FAIL" in out
    assert code == 1, out


def test_a_run_narrowed_by_tags_is_a_partial_plan_and_exits_4(tmp_path: Path) -> None:
    code, out, doc, _ = run_cli("run", "-q", "--tags", "SEC-PIN-1", "--report-dir", str(tmp_path))
    assert doc is not None, out
    assert_only_selected(doc, {"SEC-PIN-1"}, out)
    assert (doc["verdict"]["overall"], doc["verdict"]["plan"]) == ("incomplete", "partial"), doc["verdict"]
    deselected = {i["requirement"] for i in doc["verdict"]["not_run"] if i["reason"].startswith("deselected")}
    assert "STD-ATR-1" in deselected and "SEC-PIN-1" not in deselected
    assert "总体结论 overall verdict: 未完成 / INCOMPLETE — 部分计划 / partial plan" in out
    assert "no certification statement" in out and "conforms" not in out
    assert code == 4, out
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'data-overall="incomplete" data-plan="partial"' in html and 'id="statement"' not in html


def test_bad_card_option_is_a_clear_usage_error(tmp_path: Path) -> None:
    code, out, _, _ = run_cli("run", "--card", "floppy:A", "--report-dir", str(tmp_path))
    assert code == 2 and "expected 'reference'" in out


def test_pins_never_appear_in_results(tmp_path: Path) -> None:
    """Every VERIFY in the trace is masked, and the PIN's BCD never follows a VERIFY header."""
    _, out, doc, results = run_cli("run", "--fault", "pin_counter_not_decremented", "--report-dir", str(tmp_path))
    assert doc is not None, out
    verify = [e for s in doc["scenarios"] for e in s["trace"] if e["command"].replace(" ", "").startswith("00200000")]
    assert verify, "the run sent no VERIFY, so this test proves nothing"
    assert all("**" in e["command"] and e["masked"] for e in verify)
    compact = results.read_text(encoding="utf-8").replace(" ", "")
    for pin_bcd in ("123456", "123457"):  # the initial test PIN and the wrong PIN the suite derives from it
        assert f"0020000003{pin_bcd}" not in compact


@pytest.mark.pcsc
def test_run_through_pcscd_and_vpcd_gives_the_same_verdicts(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    _, _, in_process, _ = run_cli("run", "--report-dir", str(tmp_path / "inproc"))
    # with the §6.5 hook, as the embedded card: a reader's power cut lands after the answer and
    # proves nothing (inconclusive), so SEC-TEAR-1/2 are judged through the hook, sampled at 2 offsets
    served = serve_card(ReferenceCard.default("gen2", tearing_hook=True))
    # INT-XR-7 on a real card needs a card the lab declares invalid (the embedded run issues its own)
    bad = serve_card(card_of(OTHER_REGION, ("bad_card_id_mac",)), port=35964)
    code, out, doc, _ = run_cli(
        "run",
        "--card",
        f"reader:{served.reader}",
        "--card-set",
        str(invalid_card_set(tmp_path / "cards.yaml", bad.reader)),
        "--allow-destructive",
        "--tearing-offsets",
        "2",
        "--ics",
        "fixtures/ics/reference-gen2.yaml",  # the served card's own ICS: the embedded card gets it by default
        "--report-dir",
        str(tmp_path / "vpcd"),
    )
    assert doc is not None and in_process is not None, out
    assert verdicts(doc) == verdicts(in_process), out
    assert code == 0, out  # as in-process: 通过
    assert doc["dut"]["atr"] == in_process["dut"]["atr"]
    assert doc["dut"]["kind"] == "PC/SC reader"


@pytest.mark.pcsc
def test_destructive_scenarios_are_not_run_on_a_reader_without_opt_in(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    served = serve_card(ReferenceCard.default("gen3"))
    code, out, doc, _ = run_cli("run", "--card", f"reader:{served.reader}", "--report-dir", str(tmp_path))
    assert doc is not None, out
    pin = doc["requirements"]["SEC-PIN-1"]
    assert pin["verdict"] == "not-run" and "--allow-destructive" in pin["reason"], out
    assert doc["dut"]["generation"] == 3  # detected from the card's spec-version item
    assert code == 4, out  # nothing failed, but SEC-PIN-1 (destructive) did not run: 未完成
    assert "SEC-PIN-1" in {i["requirement"] for i in doc["verdict"]["not_run"]}


@pytest.mark.pcsc
def test_readers_lists_the_served_card_with_its_atr(serve_card: Callable[..., Any]) -> None:
    card = ReferenceCard.default("gen2")
    served = serve_card(card)
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "readers"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    line = next(row for row in proc.stdout.splitlines() if row.startswith(served.reader))
    assert "card present" in line and card.atr.hex(" ").upper() in line


@pytest.mark.pcsc
def test_stock_pcsc_client_selects_ssse_and_reads_ef05(serve_card: Callable[..., Any]) -> None:
    """The README's opensc-tool command against the served reference card."""
    served = serve_card(ReferenceCard.default("gen2"))
    proc = subprocess.run(
        ["opensc-tool", "-r", served.reader, "-s", "00A404000F7378312E73682EC9E7BBE1B1A3D5CF", "-s", "00B2072C0B"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("SW1=0x90, SW2=0x00") == 2, proc.stdout
    assert "07 09" in proc.stdout  # the card-number record: tag 07, length 9
