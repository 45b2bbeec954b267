"""RDR-6 end to end: the reference reader library (readerlib/) in the reader plan.

Each selected fault must fail the case that names it (`harness.reader_faults`: one forked
`run --plan reader --lib … --tags @RDR-6` per fault). That the clean library passes every RDR-6
case is proven by tests/e2e/test_reader_plan.py's full reader run, so it is not run twice here. CI
runs a subset of the faults to stay within its time budget; `ssc-conform reader-faults` runs the
clean library and every fault (README: figures).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.reader_faults import READER, READER_FAULTS, run_reader_faults
from harness.tags import known_tags
from tests.e2e.cli import PROJECT, run_cli

READERLIB = PROJECT / "readerlib"
CI_FAULTS = ("no_rksse_auth", "no_psam_check", "wrong_field_order", "overrun")


def test_every_fault_of_the_c_library_names_its_case() -> None:
    in_c = set(re.findall(r'fault\("([a-z0-9_]+)"\)', "".join(p.read_text(encoding="utf-8") for p in READERLIB.glob("*.c"))))
    assert in_c == set(READER_FAULTS), f"faults in readerlib/*.c {sorted(in_c)} vs harness.reader_faults {sorted(READER_FAULTS)}"
    cases = set([t for t in known_tags() if t.startswith("TC-")])
    assert {f.case for f in READER_FAULTS.values()} <= cases


@pytest.mark.pcsc
def test_each_fault_fails_its_case(tmp_path: Path, reference_library: Path) -> None:
    for outcome in run_reader_faults(reference_library, CI_FAULTS, tmp_path, clean=False):
        assert outcome.error is None, f"{outcome.fault}: {outcome.error}"
        assert outcome.caught, f"{outcome.fault}: {outcome.case} was {outcome.verdicts.get(outcome.case or '')}"
        others = {t: v for t, v in outcome.verdicts.items() if t != outcome.case}
        assert not others, f"{outcome.fault}: the run selected more than its case: {others}"


@pytest.mark.pcsc
def test_without_a_library_rdr6_is_not_run_with_the_reason(tmp_path: Path) -> None:
    _, out, doc, _ = run_cli("run", "--plan", "reader", "--reader", READER, "--tags", "@RDR-6", "--report-dir", str(tmp_path), "--quiet")
    assert doc is not None, out
    scenarios = [s for s in doc["scenarios"] if "RDR-6" in s["requirements"]]
    assert scenarios and all(s["verdict"] == "not-run" for s in scenarios), [(s["name"], s["verdict"]) for s in scenarios]
    assert all(s["reason"].startswith("no --lib given") for s in scenarios), scenarios[0]["reason"]


def test_a_missing_library_file_is_bad_input(tmp_path: Path) -> None:
    code, out, _, _ = run_cli(
        "run", "--plan", "reader", "--reader", READER, "--lib", str(tmp_path / "nope.so"), "--report-dir", str(tmp_path / "r")
    )
    assert code == 2 and "--lib" in out and "make -C readerlib" in out


def test_a_library_is_refused_in_the_card_plan(tmp_path: Path) -> None:
    code, out, _, _ = run_cli("run", "--lib", str(tmp_path / "nope.so"), "--report-dir", str(tmp_path / "r"))
    assert code == 2 and "--lib: only with --plan reader" in out
