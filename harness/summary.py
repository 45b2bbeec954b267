"""The per-requirement summary printed at the end of `ssc-conform run`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

SYMBOL = {"passed": "PASS", "failed": "FAIL", "not-run": "n/r "}


def print_summary(doc: dict[str, Any], path: Path) -> None:
    dut = doc.get("dut", {})
    print()
    print(f"Device under test: {dut.get('description', dut.get('card'))}")
    for key in ("atr", "card_sn", "card_number", "region", "generation"):
        if dut.get(key):
            print(f"  {key}: {dut[key]}")
    counts = {"passed": 0, "failed": 0, "not-run": 0}
    ran = [(rid, r) for rid, r in doc["requirements"].items() if r["scenarios"]]
    print(f"\n{'requirement':<12} verdict  scenarios  reason")
    for rid, r in ran:
        counts[r["verdict"]] += 1
        reason = "" if r["verdict"] == "passed" else r["reason"]
        print(f"{rid:<12} {SYMBOL[r['verdict']]}     {len(r['scenarios']):>5}      {reason[:160]}")
    without = [rid for rid, r in doc["requirements"].items() if not r["scenarios"]]
    if without:
        print(f"\nnot run (no scenario in this suite yet): {len(without)} requirement(s)")
    print(f"\n{counts['passed']} passed, {counts['failed']} failed, {counts['not-run']} not run (of {len(ran)} requirements with scenarios)")
    print(f"results: {path}")
