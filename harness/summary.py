"""The summary printed at the end of `ssc-conform run`: the device under test, then one table per
review (STD / SEC / INT / PER …, titled as in the requirement catalogue), then the totals."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from ssc.catalogue import load_catalogue

SYMBOL = {"passed": "PASS", "failed": "FAIL", "not-run": "n/r "}
REASON_WIDTH = 160
INTERRUPTED_REASON = "the run was interrupted (Ctrl-C)"  # harness.plugin.INTERRUPTED


def review_tables(doc: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, dict[str, Any]]]]]:
    """(review code, "STD — standards conformance (标准符合性审核)", [(requirement ID, entry)])
    for each review with at least one requirement that has scenarios, in catalogue order."""
    reviews = load_catalogue().reviews
    grouped: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for rid, r in doc["requirements"].items():
        if r["scenarios"]:
            grouped.setdefault(r.get("review") or rid.split("-", 1)[0], []).append((rid, r))
    order = list(reviews) + sorted(set(grouped) - set(reviews))
    out = []
    for code in order:
        if code in grouped:
            title = reviews.get(code)
            heading = f"{code} — {title.en} ({title.zh})" if title else code
            out.append((code, heading, grouped[code]))
    return out


def print_summary(doc: dict[str, Any], path: Path, out: TextIO | None = None) -> None:
    def say(text: str = "") -> None:
        print(text, file=out)

    dut = doc.get("dut", {})
    say()
    say(f"Device under test: {dut.get('description', dut.get('card'))}")
    for key in ("reader", "atr", "card_sn", "card_number", "region", "generation", "declared_cos_version", "error"):
        if dut.get(key):
            say(f"  {key}: {dut[key]}")
    counts = {"passed": 0, "failed": 0, "not-run": 0}
    ran = 0
    for _, heading, rows in review_tables(doc):
        per = {v: sum(1 for _, r in rows if r["verdict"] == v) for v in counts}
        say(f"\n{heading}: {per['passed']} passed, {per['failed']} failed, {per['not-run']} not run")
        say(f"  {'requirement':<12} verdict  scenarios  reason")
        for rid, r in rows:
            counts[r["verdict"]] += 1
            ran += 1
            reason = "" if r["verdict"] == "passed" else r["reason"]
            say(f"  {rid:<12} {SYMBOL[r['verdict']]}     {len(r['scenarios']):>5}      {reason[:REASON_WIDTH]}")
    without = [rid for rid, r in doc["requirements"].items() if not r["scenarios"]]
    if without:
        say(f"\nnot run (no scenario in this suite yet): {len(without)} requirement(s)")
    say(f"\n{counts['passed']} passed, {counts['failed']} failed, {counts['not-run']} not run (of {ran} requirements with scenarios)")
    if doc.get("run", {}).get("interrupted"):
        left = sum(1 for s in doc.get("scenarios", []) if s.get("reason") == INTERRUPTED_REASON)
        say(f"run INTERRUPTED (Ctrl-C): {left} scenario(s) not run; the results cover what ran before")
    say(f"results: {path}")
