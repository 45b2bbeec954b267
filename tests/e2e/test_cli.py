"""`ssc-conform` end to end, as a user runs it: in-process, against mutants, and through the real
PC/SC stack (pcscd + vpcd + pyscard) against the served reference card."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from reference_card import ReferenceCard

SLICE = ("STD-ATR-1", "STD-FS-1", "STD-DATA-1", "STD-DATA-2", "SEC-PIN-1", "INT-XR-1")
PROJECT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: float = 240) -> tuple[int, str, dict[str, Any] | None, Path]:
    report_dir = Path(args[args.index("--report-dir") + 1]) if "--report-dir" in args else None
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", *args], cwd=PROJECT, capture_output=True, text=True, timeout=timeout,
    )
    results = report_dir / "results.json" if report_dir else PROJECT / "reports/latest/results.json"
    doc = json.loads(results.read_text(encoding="utf-8")) if results.exists() else None
    return proc.returncode, proc.stdout + proc.stderr, doc, results


def verdicts(doc: dict[str, Any]) -> dict[str, str]:
    return {rid: r["verdict"] for rid, r in doc["requirements"].items() if r["scenarios"]}


@pytest.mark.parametrize("generation", ["gen1", "gen2", "gen3"])
def test_run_on_the_embedded_reference_card_passes_every_requirement(tmp_path: Path, generation: str) -> None:
    code, out, doc, _ = run_cli("run", "--card", f"reference:{generation}", "--report-dir", str(tmp_path))
    assert doc is not None, out
    assert verdicts(doc) == {rid: "passed" for rid in SLICE}, out
    assert code == 0, out
    assert doc["dut"]["atr"].startswith("3B6D0000") and doc["dut"]["generation"] == int(generation[-1])
    assert all(s["trace"] for s in doc["scenarios"] if s["verdict"] == "passed" and "STD-ATR-1" not in s["requirements"])
    not_in_slice = [r for rid, r in doc["requirements"].items() if rid not in SLICE]
    assert all(r["verdict"] == "not-run" and r["reason"] for r in not_in_slice)


@pytest.mark.parametrize("fault, requirement", [
    ("pin_counter_not_decremented", "SEC-PIN-1"),
    ("bad_card_id_mac", "STD-DATA-1"),
    ("bad_card_number_check", "STD-DATA-2"),
    ("swapped_diversification", "INT-XR-1"),
])
def test_run_fails_the_requirement_a_fault_violates(tmp_path: Path, fault: str, requirement: str) -> None:
    code, out, doc, _ = run_cli("run", "--fault", fault, "--report-dir", str(tmp_path))
    assert doc is not None, out
    assert doc["requirements"][requirement]["verdict"] == "failed", out
    assert doc["dut"]["faults"] == [fault]
    assert code == 1, out


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
    served = serve_card(ReferenceCard.default("gen2"))
    code, out, doc, _ = run_cli("run", "--card", f"reader:{served.reader}", "--allow-destructive", "--report-dir", str(tmp_path / "vpcd"))
    assert doc is not None and in_process is not None, out
    assert verdicts(doc) == verdicts(in_process), out
    assert code == 0, out
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
    assert code == 0, out  # every requirement that ran passed


@pytest.mark.pcsc
def test_readers_lists_the_served_card_with_its_atr(serve_card: Callable[..., Any]) -> None:
    card = ReferenceCard.default("gen2")
    served = serve_card(card)
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "readers"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    line = next(l for l in proc.stdout.splitlines() if l.startswith(served.reader))
    assert "card present" in line and card.atr.hex(" ").upper() in line


@pytest.mark.pcsc
def test_stock_pcsc_client_selects_ssse_and_reads_ef05(serve_card: Callable[..., Any]) -> None:
    """The README's opensc-tool command against the served reference card."""
    served = serve_card(ReferenceCard.default("gen2"))
    proc = subprocess.run(
        ["opensc-tool", "-r", served.reader, "-s", "00A404000F7378312E73682EC9E7BBE1B1A3D5CF", "-s", "00B2072C0B"],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("SW1=0x90, SW2=0x00") == 2, proc.stdout
    assert "07 09" in proc.stdout  # the card-number record: tag 07, length 9
