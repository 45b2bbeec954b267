"""`ssc-conform reader-faults`: the RDR-6 cases against the reference reader library's faults.

The reader counterpart of `ssc-conform mutants`, on top of the reader plan: each run is
`ssc-conform run --plan reader --reader 'Virtual PCD 00 00' --lib PATH --tags @RDR-6`. The reference library (readerlib/) takes a
deliberate fault from ``SSCREADER_FAULT`` at load time; each fault names the RDR-6 test case that
must catch it. One run per fault (in a forked child, with that environment variable, only the
named case selected) must fail that case; the clean library must pass every RDR-6 case. A fault
nobody catches means the kit cannot tell that bug from a correct library.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FAULT_ENV", "READER_FAULTS", "ReaderFaultOutcome", "run_reader_faults"]

FAULT_ENV = "SSCREADER_FAULT"  # readerlib/README: how the reference library selects a fault
RDR6_TAGS = "@RDR-6"
READER = "Virtual PCD 00 00"  # the reader plan runs on the first vpcd slot (its served card gives way to RDR-6's rig)


@dataclass(frozen=True)
class ReaderFault:
    name: str
    description: str
    case: str  # the test-case tag that must fail


READER_FAULTS = {
    f.name: f
    for f in (
        ReaderFault("wrong_field_order", "iReadCardBas swaps the SSN and card-number fields", "TC-RDR-6-01"),
        ReaderFault("utf8_name", "the name is returned in UTF-8 instead of GBK", "TC-RDR-6-01"),
        ReaderFault("card_no_10", "a 10-character card number", "TC-RDR-6-01"),
        ReaderFault("no_trailing_bar", "the output lacks the trailing '|'", "TC-RDR-6-01"),
        ReaderFault("overrun", "writes past the 4,096-byte output buffer", "TC-RDR-6-01"),
        ReaderFault("crash", "iReadCardBas crashes (SIGSEGV)", "TC-RDR-6-01"),
        ReaderFault("wrong_no_card_code", "no card is reported as -3 (card not powered) instead of -2", "TC-RDR-6-13"),
        ReaderFault("no_psam_check", "a missing PSAM goes unnoticed (no -2201)", "TC-RDR-6-16"),
        ReaderFault("no_rksse_auth", "gen3 basic information is read without RKSSSE authentication", "TC-RDR-6-02"),
        ReaderFault("no_read_key_auth", "iReadCard with the read key reads a key-protected file without authenticating", "TC-RDR-6-21"),
        ReaderFault("write_without_mac", "iWriteCard writes a secure-messaging file without its MAC", "TC-RDR-6-23"),
    )
}


@dataclass
class ReaderFaultOutcome:
    fault: str | None  # None: the clean library
    case: str | None
    verdicts: dict[str, str]  # test-case tag → verdict of its scenario
    reasons: dict[str, str]
    duration_s: float
    error: str | None = None

    @property
    def caught(self) -> bool:
        return self.case is not None and self.verdicts.get(self.case) == "failed"

    @property
    def clean_passed(self) -> bool:
        return bool(self.verdicts) and all(v == "passed" for v in self.verdicts.values())


def _child(lib: str, fault: str | None, case: str | None, report_dir: str) -> None:
    fd = os.open(str(Path(report_dir) / "run.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    if fault is None:
        os.environ.pop(FAULT_ENV, None)
    else:
        os.environ[FAULT_ENV] = fault
    from harness.run import RunOptions, run_suite

    options = RunOptions(
        plan="reader",
        reader=READER,
        lib=Path(lib),
        tags=RDR6_TAGS,
        keyword=case,
        report_dir=Path(report_dir),
        quiet=True,
        results_only=True,
    )
    try:
        code = run_suite(options).exit_code
    except BaseException as exc:  # reported by the parent from the missing results
        print(f"ssc-conform reader-faults: run crashed: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _one(lib: Path, fault: str | None, report_dir: Path) -> ReaderFaultOutcome:
    case = READER_FAULTS[fault].case if fault is not None else None
    out = report_dir / "reader-faults" / (fault or "clean")
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.json"
    results.unlink(missing_ok=True)
    methods = multiprocessing.get_all_start_methods()
    ctx: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    started = time.monotonic()
    proc: Any = ctx.Process(target=_child, args=(str(lib), fault, case, str(out)))
    proc.start()
    proc.join()
    outcome = ReaderFaultOutcome(fault, case, {}, {}, round(time.monotonic() - started, 2))
    if not results.exists():
        log = (out / "run.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        outcome.error = f"no results.json (exit status {proc.exitcode}): {log[-1] if log else 'no output'}"
        return outcome
    for scenario in json.loads(results.read_text(encoding="utf-8"))["scenarios"]:
        for tag in scenario["tags"]:
            if tag.startswith("TC-"):
                outcome.verdicts[tag] = scenario["verdict"]
                outcome.reasons[tag] = scenario["reason"]
    return outcome


def run_reader_faults(lib: Path, faults: Sequence[str] | None, report_dir: Path, *, clean: bool = True) -> list[ReaderFaultOutcome]:
    """The clean run first (unless not `clean`: a caller that has just run the full reader plan on
    the clean library), then one run per fault (sequential: one pair of vpcd readers)."""
    import pytest  # noqa: F401  (warm the forks)

    import harness.run  # noqa: F401

    names = list(READER_FAULTS) if faults is None else list(faults)
    unknown = [n for n in names if n not in READER_FAULTS]
    if unknown:
        raise ValueError(f"unknown reader fault(s) {', '.join(unknown)}; known: {', '.join(READER_FAULTS)}")
    return ([_one(lib, None, report_dir)] if clean else []) + [_one(lib, name, report_dir) for name in names]


def print_outcomes(outcomes: Sequence[ReaderFaultOutcome], out: Any = None) -> bool:
    """One line per run; True when the clean library passes and every fault is caught."""
    out = out or sys.stdout
    ok = True
    for o in outcomes:
        if o.fault is None:
            good = o.error is None and o.clean_passed
            failing = [t for t, v in o.verdicts.items() if v != "passed"]
            detail = o.error or (f"{len(o.verdicts)} RDR-6 cases passed" if good else f"not passed: {', '.join(failing)}")
            print(f"{'ok  ' if good else 'FAIL'} clean library: {detail} ({o.duration_s:.1f} s)", file=out)
        else:
            good = o.error is None and o.caught
            reason = o.reasons.get(o.case or "", "")
            detail = o.error or (f"{o.case} failed: {reason}" if good else f"{o.case} was {o.verdicts.get(o.case or '', 'not run')}")
            print(f"{'ok  ' if good else 'MISS'} {o.fault}: {detail} ({o.duration_s:.1f} s)", file=out)
        ok = ok and good
    return ok
