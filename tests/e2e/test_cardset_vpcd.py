"""The interop matrix on several cards in several readers, through pcscd + vpcd + pyscard.

The device under test sits in the first vpcd reader and a card of another region, listed in a
card-set file, in the second: it is a row of its own, and with no card declared invalid INT-XR-7
is inconclusive rather than a repeat of STD-DATA-1. (A declared-invalid card, swapping and a
repeated --card are shown with in-process readers in tests/unit/harness/test_labcards.py: each
vpcd run costs about 15 s.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reference_card import ReferenceCard
from tests.e2e.cli import run_cli
from tests.e2e.lab_cards import OTHER_REGION as OTHER
from tests.e2e.lab_cards import card_of

HOME = "441800"  # the embedded card's region


def _matrix(doc: dict[str, Any], requirement: str) -> dict[str, dict[str, Any]]:
    return doc["run"]["interop_matrix"]["cells"][requirement]


@pytest.mark.pcsc
def test_a_card_of_the_card_set_is_a_row_and_int_xr_7_needs_a_declared_invalid_card(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    dut = serve_card(ReferenceCard.default("gen2"), port=35963)
    other = serve_card(card_of(OTHER), port=35964)
    card_set = tmp_path / "cards.yaml"
    card_set.write_text(
        f'format: ssc-card-set/1\ncards:\n  - {{reader: "{other.reader}", region: "{OTHER}", generation: gen2}}\n', encoding="utf-8"
    )
    code, out, doc, _ = run_cli(
        "run", "--card", f"reader:{dut.reader}", "--card-set", str(card_set), "--regions", f"{HOME},{OTHER}",
        "--tags", "INT-XR-1 or INT-XR-7", "-q", "--report-dir", str(tmp_path / "run"),
    )  # fmt: skip
    assert doc is not None, out
    verdicts = {rid: r["verdict"] for rid, r in doc["requirements"].items() if r["scenarios"]}
    assert verdicts == {"INT-XR-1": "passed", "INT-XR-7": "inconclusive"}, out
    rows = _matrix(doc, "INT-XR-1")
    assert set(rows) == {f"{HOME}/gen2", f"{OTHER}/gen2@{other.reader}"}, rows
    assert all(c["verdict"] == "passed" for cells in rows.values() for c in cells.values())
