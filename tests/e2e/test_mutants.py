"""`ssc-conform mutants` end to end, in full: the clean reference card passes on every generation
and every fault of reference_card.FAULTS is caught by a requirement naming it, or listed as not
covered by this suite version, and every requirement with scenarios kills a fault. The mutants run
targeted (only the requirements naming their fault, the command's default): about 175 s of CPU,
where a whole-suite run per mutant took about 620 s (marked slow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reference_card import FAULTS
from ssc.profile import builtin_profiles
from tests.e2e.cli import PROJECT


@pytest.mark.slow
def test_mutants_catches_every_fault_or_lists_it_as_not_covered(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "mutants", "--report-dir", str(tmp_path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = proc.stdout + proc.stderr
    doc = json.loads((tmp_path / "mutants.json").read_text(encoding="utf-8"))
    assert [c["generation"] for c in doc["clean"]] == list(builtin_profiles())
    assert all(c["problems"] == [] for c in doc["clean"]), out
    runs = {(f["fault"], f["generation"]): f for f in doc["faults"]}
    for name, fault in FAULTS.items():  # every fault, on every generation it applies to
        for generation in fault.generations or builtin_profiles():
            assert (name, generation) in runs, f"{name} was not run on {generation}"
    assert {f["verdict"] for f in doc["faults"]} <= {"caught", "not covered"}, out
    for f in doc["faults"]:
        if f["verdict"] == "caught":
            assert f["caught_by"] and set(f["caught_by"]) <= set(f["expected"]) and f["failed_scenarios"], f
        else:
            assert f["fault"] in doc["not_covered"] and f["covered"] == []
    assert runs[("pin_counter_not_decremented", "gen1")]["caught_by"] == ["SEC-PIN-1"]
    assert runs[("gen3_ef06_free_read", "gen3")]["caught_by"] == ["SEC-AC-7"]
    assert (tmp_path / "mutants" / "gen3-clean" / "results.json").exists()
    if doc["not_covered"]:
        assert "not covered by this suite version" in out
    assert doc["full_suite"] is False and not {r["state"] for r in doc["requirements"].values()} & {"NOT KILLED", "NO FAULT"}, out
    assert doc["passed"] is True and proc.returncode == 0, out


def test_mutants_refuses_an_unknown_fault(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "mutants", "--fault", "cosmic_rays", "--report-dir", str(tmp_path)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "unknown fault(s) cosmic_rays" in proc.stderr
