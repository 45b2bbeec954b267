"""SEC-ROB-1 and SEC-TEAR-1/2 through pcscd + vpcd: the served reference card with its tearing hook
(`serve-card --tearing-hook`) is torn at sampled byte offsets and passes; a card that does not
answer one malformed APDU in time fails SEC-ROB-1 with that APDU, and the run completes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reference_card import ReferenceCard
from tests.e2e.cli import run_cli

TEAR = "SEC-TEAR-1 or SEC-TEAR-2"


@pytest.mark.pcsc
def test_tearing_through_vpcd_with_the_hook_passes(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    served = serve_card(ReferenceCard.default("gen2", tearing_hook=True))
    code, out, doc, _ = run_cli(
        "run",
        "-q",
        "--card",
        f"reader:{served.reader}",
        "--allow-destructive",
        "--tags",
        TEAR,
        "--tearing-offsets",
        "2",
        "--report-dir",
        str(tmp_path),
        timeout=300,
    )
    assert doc is not None, out
    reqs = doc["requirements"]
    assert reqs["SEC-TEAR-1"]["verdict"] == reqs["SEC-TEAR-2"]["verdict"] == "passed", (reqs["SEC-TEAR-1"], reqs["SEC-TEAR-2"])
    hooked = [s for s in doc["scenarios"] if "SEC-TEAR-1" in s["requirements"] and s["summary"] and s["summary"].get("items")]
    assert len(hooked) == 4 and all(item["left"][-1]["left"] in ("new", "old") for s in hooked for item in s["summary"]["items"])
    # the reader's power cut lands only after the card answered (PC/SC): on a card with the hook it
    # would prove nothing, so that case does not apply (tests/unit/steps/test_tearing_steps.py judges it)
    reader = next(s for s in doc["scenarios"] if s["id"] == "TC-SEC-TEAR-1-05")
    assert reader["verdict"] == "not-applicable" and "tearing hook" in reader["reason"], reader
    assert code == 4, out  # --tags: a partial plan


STALL_ON = bytes.fromhex("00A4000001")  # SELECT with Le 1 and no data: a probe of the Lc/Le phase


class _StallOnce:
    """The reference card, except that the first `STALL_ON` APDU is answered only after `stall`
    seconds (or when released)."""

    def __init__(self, stall: float) -> None:
        self.inner = ReferenceCard.default("gen2")
        self.stall = stall
        self.released = threading.Event()
        self.stalled = False

    def power_on(self) -> bytes:
        return self.inner.power_on()

    def power_off(self) -> None:
        self.inner.power_off()

    def process(self, apdu: bytes) -> bytes:
        if apdu == STALL_ON and not self.stalled:
            self.stalled = True
            self.released.wait(self.stall)
        return self.inner.process(apdu)


@pytest.mark.pcsc
def test_a_card_that_does_not_answer_in_time_fails_robustness_and_the_run_completes(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    card = _StallOnce(stall=3.0)
    served = serve_card(card)
    try:
        code, out, doc, _ = run_cli(
            "run",
            "-q",
            "--card",
            f"reader:{served.reader}",
            "--tags",
            "SEC-ROB-1",
            "--apdu-timeout",
            "1",
            "--report-dir",
            str(tmp_path),
            timeout=120,
        )
    finally:
        card.released.set()
    assert doc is not None and card.stalled, out
    rob = doc["requirements"]["SEC-ROB-1"]
    assert rob["verdict"] == "failed" and "no answer" in rob["reason"], rob
    scenario = next(s for s in doc["scenarios"] if "SEC-ROB-1" in s["requirements"])
    summary = scenario["summary"]
    assert summary["stopped"] is None and summary["apdus"] >= 1900, summary  # the battery went on after the reset
    assert summary["ins_outcomes"]["A4"]["no answer"] == 1
    assert [f["problem"] for f in summary["failing_apdus"]] == ["no answer: ApduTimeoutError"]
    assert (tmp_path / "report.html").is_file()
    assert code == 1, out
