"""Hostile cards through pcscd + vpcd + pyscard: a card that stalls, goes mute, vanishes for good or
answers huge responses must cost the run a bounded time and bounded artefacts, never the run itself.

Each card misbehaves from its `AT`-th APDU on: the harness's identification and the first
scenarios run normally, so the report has something that ran before the trouble.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reference_card import ReferenceCard
from tests.e2e.cli import PROJECT, run_cli
from tests.e2e.hostile_cards import GoesMute, HugeAnswers, StallOnce, Vanishes

AT = 40  # inside an early scenario, as in test_card_removal
RUN_LIMIT = 90.0  # seconds: a clean run through vpcd takes well under 20
# Scenarios a reader run leaves out whatever the card does (decided before the card is checked).
OPT_IN_REASONS = {
    "destructive (blocks or irreversibly changes the card): not run without --allow-destructive",
    "no issuer declaration given (--declaration)",
}
# ...and the cases an option the ICS does not declare decides (a reader run without --ics)
UNDECLARED_OPTION = "ICS does not declare "
# The single-file Allure report carries the Allure viewer itself (~6 MB for a clean run).
ALLURE_REPORT = "allure-report/index.html"


def _by_verdict(doc: dict[str, Any], verdict: str) -> list[dict[str, Any]]:
    return [s for s in doc["scenarios"] if s["verdict"] == verdict]


@pytest.mark.pcsc
def test_a_card_that_stops_answering_fails_one_case_and_the_run_finishes(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    card = GoesMute(ReferenceCard.default("gen2"), AT)
    served = serve_card(card)
    started = time.monotonic()
    code, out, doc, _ = run_cli("run", "--card", f"reader:{served.reader}", "-q", "--report-dir", str(tmp_path), timeout=RUN_LIMIT)
    elapsed = time.monotonic() - started
    assert card.triggered.is_set(), out
    assert doc is not None, out
    failed = _by_verdict(doc, "failed")
    assert len(failed) == 1, [(s["name"], s["reason"]) for s in failed]
    assert "no answer within 5 s" in failed[0]["reason"], failed[0]["reason"]
    after = doc["scenarios"][doc["scenarios"].index(failed[0]) + 1 :]
    assert after and all(s["verdict"] == "not-run" for s in after), {(s["verdict"], s["reason"]) for s in after}
    reasons = [s["reason"] for s in after if s["applicable"]]
    assert reasons.count("card does not answer") > 100
    assert {r for r in set(reasons) - {"card does not answer"} if not r.startswith(UNDECLARED_OPTION)} <= OPT_IN_REASONS, set(reasons)
    assert elapsed < 5 + 3 + 30, f"{elapsed:.1f} s: one 5 s deadline, one 3 s grace, then the rest at once"
    assert (tmp_path / "report.html").is_file()
    assert code == 1, out


@pytest.mark.pcsc
def test_a_slow_answer_fails_its_case_after_apdu_timeout_and_the_run_resumes(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    card = StallOnce(ReferenceCard.default("gen2"), AT, stall=3.0)
    served = serve_card(card)
    try:
        code, out, doc, _ = run_cli(
            "run", "--card", f"reader:{served.reader}", "-q", "--apdu-timeout", "1", "--report-dir", str(tmp_path), timeout=RUN_LIMIT
        )
    finally:
        card.release()
    assert doc is not None, out
    failed = _by_verdict(doc, "failed")
    assert len(failed) == 1, [(s["name"], s["reason"]) for s in failed]
    assert failed[0]["reason"].startswith("no answer within 1 s to "), failed[0]["reason"]
    after = doc["scenarios"][doc["scenarios"].index(failed[0]) + 1 :]
    left_out = {s["reason"] for s in after if s["verdict"] == "not-run"}
    assert not left_out & {"card removed", "card does not answer"}, f"the card answered again: the run must resume ({left_out})"
    assert sum(1 for s in after if s["verdict"] == "passed") > 100
    assert code == 1, out


@pytest.mark.pcsc
def test_a_card_that_is_gone_for_good_ends_the_run_quickly(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    card = Vanishes(ReferenceCard.default("gen2"), AT)
    served = serve_card(card)
    served.server.reinsert_delay = 3600  # never re-inserted while the run lasts
    started = time.monotonic()
    code, out, doc, _ = run_cli("run", "--card", f"reader:{served.reader}", "-q", "--report-dir", str(tmp_path), timeout=RUN_LIMIT)
    elapsed = time.monotonic() - started
    assert doc is not None, out
    failed = _by_verdict(doc, "failed")
    assert len(failed) == 1 and "card removed" in failed[0]["reason"], [(s["name"], s["reason"]) for s in failed]
    after = doc["scenarios"][doc["scenarios"].index(failed[0]) + 1 :]
    assert len(after) > 100 and all(s["verdict"] == "not-run" for s in after)
    reasons = [s["reason"] for s in after if s["applicable"]]
    assert reasons.count("card removed") > 100
    assert {r for r in set(reasons) - {"card removed"} if not r.startswith(UNDECLARED_OPTION)} <= OPT_IN_REASONS, set(reasons)
    assert elapsed < 3 + 30, f"{elapsed:.1f} s: one 3 s grace, then the rest at once"
    assert code == 1, out


@pytest.mark.pcsc
def test_huge_answers_fail_their_cases_and_the_artefacts_stay_small(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    card = HugeAnswers(ReferenceCard.default("gen2"), AT)
    served = serve_card(card)
    code, out, doc, _ = run_cli("run", "--card", f"reader:{served.reader}", "-q", "--report-dir", str(tmp_path), timeout=RUN_LIMIT)
    assert card.triggered.is_set() and doc is not None, out
    failed = _by_verdict(doc, "failed")
    assert len(failed) > 100
    assert all("65002-byte response" in s["reason"] and "at most 258" in s["reason"] for s in failed), {s["reason"] for s in failed}
    sizes = {p.relative_to(tmp_path).as_posix(): p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()}
    big = {name: size for name, size in sizes.items() if size > (10_000_000 if name == ALLURE_REPORT else 4_000_000)}
    assert not big, f"artefacts too big: {big}"
    assert sum(sizes.values()) < 25_000_000, sizes
    huge = [e for s in failed for e in s["trace"] if e.get("response_length") == 65_002]
    assert huge and all(len(e["response"]) <= 2 * 258 for e in huge), "the trace keeps a bounded prefix and notes the full length"
    assert code == 1, out


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.pcsc
def test_ctrl_c_during_a_stalled_apdu_writes_an_interrupted_report(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    card = StallOnce(ReferenceCard.default("gen2"), AT, stall=60.0)
    served = serve_card(card)
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "--card", f"reader:{served.reader}", "--report-dir", str(tmp_path)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Ctrl-C's default disposition in the child: a shell without job control starts background
        # jobs (a CI script's `cmd &`) with SIGINT ignored, and children inherit that
        preexec_fn=_sigint_default,
    )
    try:
        assert card.triggered.wait(60), "the run never reached the stalling APDU"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        card.release()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    results = tmp_path / "results.json"
    assert results.is_file(), out
    doc = json.loads(results.read_text(encoding="utf-8"))
    assert doc["run"]["interrupted"] is True
    assert _by_verdict(doc, "passed"), "the scenarios that ran before Ctrl-C are in the report"
    assert {s["reason"] for s in _by_verdict(doc, "not-run") if s["applicable"]} >= {"the run was interrupted (Ctrl-C)"}
    assert (tmp_path / "report.html").is_file(), out
    assert "interrupted" in out.lower()
    assert proc.returncode == 3, out
