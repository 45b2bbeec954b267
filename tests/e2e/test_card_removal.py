"""A card pulled out of the reader in the middle of a run, through pcscd + vpcd + pyscard.

The harness must fail exactly the scenario that was running ("card removed"), get the card back
when it is re-inserted, and run every later scenario normally — one lost scenario, not a lost run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reference_card import ReferenceCard
from ssc.card import PowerCut
from tests.e2e.cli import run_cli

# The served card receives a few APDUs while the harness identifies it, then the scenarios' APDUs:
# the 40th falls inside an early scenario, so most of the suite runs after the re-insertion.
CUT_AT_APDU = 40


class CutOnce:
    """Wraps a card model; the `cut_at`-th command APDU it receives raises PowerCut, once.

    `terminal.vpcd.VpcdServer` treats PowerCut as a removal: it drops the connection without an
    answer and re-inserts the card `reinsert_delay` (0.5 s) later, keeping what the model committed.
    """

    def __init__(self, inner: ReferenceCard, cut_at: int) -> None:
        self.inner = inner
        self.cut_at = cut_at
        self.received = 0
        self.cut_done = False

    def power_on(self) -> bytes:
        return self.inner.power_on()

    def power_off(self) -> None:
        self.inner.power_off()

    def process(self, apdu: bytes) -> bytes:
        self.received += 1
        if not self.cut_done and self.received == self.cut_at:
            self.cut_done = True
            raise PowerCut(f"test: card pulled at APDU {self.received}")
        return self.inner.process(apdu)


@pytest.mark.pcsc
def test_a_card_removed_mid_run_fails_one_scenario_and_the_run_goes_on(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    # Baseline: the same run on an identical card that stays in its reader (the second vpcd reader).
    clean = serve_card(ReferenceCard.default("gen2"), port=35964)
    _, out, baseline, _ = run_cli(
        "run", "--card", f"reader:{clean.reader}", "--allow-destructive", "--report-dir", str(tmp_path / "baseline")
    )
    assert baseline is not None, out
    assert not [s for s in baseline["scenarios"] if s["verdict"] == "failed"], f"the uncut run already fails\n{out}"

    card = CutOnce(ReferenceCard.default("gen2"), CUT_AT_APDU)
    served = serve_card(card)
    code, out, doc, _ = run_cli("run", "--card", f"reader:{served.reader}", "--allow-destructive", "--report-dir", str(tmp_path / "cut"))

    assert card.cut_done, f"the run sent only {card.received} APDUs; the cut at {CUT_AT_APDU} never happened\n{out}"
    assert served.server.connections >= 2, "the card was never re-inserted"
    assert doc is not None, out
    scenarios = doc["scenarios"]
    failed = [s for s in scenarios if s["verdict"] == "failed"]
    assert len(failed) == 1, f"expected exactly one failed scenario, got {[(s['name'], s['reason']) for s in failed]}\n{out}"
    assert "card removed" in failed[0]["reason"], failed[0]["reason"]
    expected = {s["id"]: s["verdict"] for s in baseline["scenarios"]}
    assert expected[failed[0]["id"]] == "passed"
    others = {s["id"]: s["verdict"] for s in scenarios if s is not failed[0]}
    assert others == {i: v for i, v in expected.items() if i != failed[0]["id"]}, (
        "apart from the scenario that lost its card, every scenario must end as in the uncut run (passed, or not run for "
        f"the same applicability reason): {[(s['name'], s['verdict'], s['reason']) for s in scenarios if s['verdict'] != expected.get(s['id'])]}"
    )
    assert "passed" in others.values()
    after = scenarios[scenarios.index(failed[0]) + 1 :]
    assert any(e["kind"] == "apdu" for s in after for e in s["trace"]), (
        "no scenario after the removal talked to the card: recovery was not exercised"
    )
    for rid in failed[0]["requirements"]:
        assert doc["requirements"][rid]["verdict"] == "failed"
    assert code == 1, out
