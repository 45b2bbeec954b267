"""No scenario relies on an earlier one: for every generation, each requirement run alone
(`ssc-conform run --tags ID` on the reference card) gets the verdict it gets in the full run.

The full suite runs once per generation, then every requirement that has a scenario alone, each an
in-process quiet run writing results only, in children forked from a warm driver process two at
a time (tests/e2e/independence.py, as `ssc-conform mutants` does): about 160 runs, a few minutes on
two cores, so marked slow — scripts/test runs it all the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ssc.profile import builtin_profiles
from tests.e2e.cli import PROJECT


@pytest.mark.slow
def test_every_requirement_alone_gets_its_verdict_of_the_full_run(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.e2e.independence", str(tmp_path), "--generations", ",".join(builtin_profiles()), "--jobs", "2"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads((tmp_path / "independence.json").read_text(encoding="utf-8"))
    mismatches = []
    for generation, entry in doc["generations"].items():
        # 0 (通过): every requirement of the card plan has scenarios and the clean card passes them all
        assert entry["full_exit"] == 0, f"{generation}: the full run on the clean card exited {entry['full_exit']}"
        failed = sorted(rid for rid, v in entry["full"].items() if v["verdict"] in ("failed", "inconclusive"))
        assert not failed, f"{generation}: the clean card's full run did not pass {failed}"
        assert len(entry["full"]) >= 40, f"{generation}: only {len(entry['full'])} requirements with scenarios in the full run"
        for m in entry["mismatches"]:
            alone = m["alone"] or {"verdict": f"no result (exit status {m['exit']}, see {m['dir']}/run.log)", "reason": ""}
            mismatches.append(
                f"{generation} {m['requirement']}: full run {m['full']['verdict']}, alone {alone['verdict']} — {alone['reason'][:300]}"
            )
    assert not mismatches, f"{len(mismatches)} requirement(s) get another verdict alone than in the full run:\n  " + "\n  ".join(mismatches)
    assert sorted(doc["generations"]) == sorted(builtin_profiles())


def test_the_comparison_sees_a_requirement_that_differs_alone(tmp_path: Path) -> None:
    """The driver's comparison is not vacuous: a requirement whose verdict alone differs (here
    made up by editing one stored result) is reported as a mismatch."""
    from tests.e2e import independence

    passed = {"verdict": "passed", "reason": ""}
    full = {"STD-REC-1": passed, "STD-ATR-1": passed, "STD-FS-1": passed}
    alone = {
        "STD-REC-1": {"exit": 0, "dir": "a", "verdicts": {"STD-REC-1": {"verdict": "not-run", "reason": "empty"}}},
        "STD-ATR-1": {"exit": 0, "dir": "b", "verdicts": {"STD-ATR-1": passed}},
        "STD-FS-1": {"exit": 3, "dir": "c", "verdicts": None},  # the run crashed: no verdict is a mismatch too
    }
    assert [m["requirement"] for m in independence.mismatches(full, alone)] == ["STD-REC-1", "STD-FS-1"]
