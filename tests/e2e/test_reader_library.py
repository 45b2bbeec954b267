"""RDR-6 end to end: the reference reader library (readerlib/) against the served card and PSAM.

The clean library must pass every RDR-6 case and each selected fault must fail the case that
names it (`harness.reader_faults`, one forked run per fault). CI runs a subset of the faults to
stay within its time budget; `ssc-conform reader-faults` runs them all (README: figures).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from harness.reader_faults import READER_FAULTS, run_reader_faults
from harness.tags import known_tags
from tests.e2e.cli import PROJECT, run_cli

READERLIB = PROJECT / "readerlib"
CI_FAULTS = ("no_rksse_auth", "no_psam_check", "wrong_field_order", "overrun")


@pytest.fixture(scope="module")
def reference_library() -> Path:
    """Built by scripts/setup; `make` here keeps the test honest after a source change (no-op otherwise)."""
    subprocess.run(["make", "-s", "-C", str(READERLIB)], check=True, capture_output=True)
    return READERLIB / "build" / "libsscreader.so"


def test_every_fault_of_the_c_library_names_its_case() -> None:
    in_c = set(re.findall(r'fault\("([a-z0-9_]+)"\)', "".join(p.read_text(encoding="utf-8") for p in READERLIB.glob("*.c"))))
    assert in_c == set(READER_FAULTS), f"faults in readerlib/*.c {sorted(in_c)} vs harness.reader_faults {sorted(READER_FAULTS)}"
    cases = set([t for t in known_tags() if t.startswith("TC-")])
    assert {f.case for f in READER_FAULTS.values()} <= cases


@pytest.mark.pcsc
def test_the_clean_library_passes_and_each_fault_fails_its_case(tmp_path: Path, reference_library: Path) -> None:
    clean, *faulty = run_reader_faults(reference_library, CI_FAULTS, tmp_path)
    rdr6_cases = [t for t in [t for t in known_tags() if t.startswith("TC-")] if t.startswith("TC-RDR-6-")]
    assert clean.error is None, clean.error
    assert sorted(clean.verdicts) == sorted(rdr6_cases), "the clean run did not run every RDR-6 case"
    assert clean.clean_passed, {t: clean.reasons[t] for t, v in clean.verdicts.items() if v != "passed"}
    for outcome in faulty:
        assert outcome.error is None, f"{outcome.fault}: {outcome.error}"
        assert outcome.caught, f"{outcome.fault}: {outcome.case} was {outcome.verdicts.get(outcome.case or '')}"


def test_without_a_library_rdr6_is_not_run_with_the_reason(tmp_path: Path) -> None:
    _, out, doc, _ = run_cli("run", "--tags", "@RDR-6", "--report-dir", str(tmp_path), "--quiet")
    assert doc is not None, out
    scenarios = [s for s in doc["scenarios"] if "RDR-6" in s["requirements"]]
    assert scenarios and all(s["verdict"] == "not-run" for s in scenarios), [(s["name"], s["verdict"]) for s in scenarios]
    assert all("--lib" in s["reason"] for s in scenarios)


def test_a_missing_library_file_is_bad_input(tmp_path: Path) -> None:
    code, out, _, _ = run_cli("run", "--lib", str(tmp_path / "nope.so"), "--report-dir", str(tmp_path / "r"))
    assert code == 2 and "--lib" in out
