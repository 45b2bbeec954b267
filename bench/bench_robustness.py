"""SEC-ROB-1 and SEC-TEAR-1/2 on the embedded reference card: APDUs sent and time, per generation.

    .venv/bin/python bench/bench_robustness.py [--generations gen1,gen2,gen3]

Drives the checks directly (checks/security/robustness*.py, tearing.py) over the harness's own
traced in-process transport, as the scenarios do, and prints one row per generation and check.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import print_table

from checks.security.robustness import protected_content, protected_files, run_battery
from checks.security.robustness_plan import build_probes
from checks.security.tearing import sweep, tear_items, try_probes
from harness.cardspec import parse_card_spec
from harness.dut import open_dut
from harness.psam import software_psam
from ssc.keyset import TestKeySet
from ssc.profile import builtin_profiles, load_profile
from terminal.channel import Terminal
from terminal.regions import load_regions
from terminal.session import CardSession


def measure(generation: str) -> list[list[object]]:
    profile = load_profile(generation)
    keys = TestKeySet.for_profile(profile)
    dut = open_dut(parse_card_spec(f"reference:{generation}"), profile, keys)
    assert dut.try_guard is not None
    dut.try_guard.armed = False  # as in a @destructive scenario
    card = CardSession(Terminal(dut.transport, profile), check=False)
    psam = software_psam(profile, load_regions().get(card.identity().region), keys)
    pin = profile.security.pin.initial
    rows: list[list[object]] = []
    spec = profile.robustness
    assert spec is not None
    start = time.perf_counter()
    files = protected_files(profile)
    secrets = protected_content(card, psam, pin, files)
    probes, counts = build_probes(profile, spec, spec.budget_embedded, files)
    with dut.recorder.summarized():
        report = run_battery(card, probes, secrets, counts, budget=spec.budget_embedded)
    rows.append([generation, "SEC-ROB-1 battery", report.sent, report.failed, round(time.perf_counter() - start, 3)])
    for group in ("data", "pin", "counters", "lifecycle"):
        start = time.perf_counter()
        before = dut.recorder.unrecorded
        with dut.recorder.summarized(keep_errors=False):
            tears = [sweep(card, item) for item in tear_items(card, psam, pin, pin, group)]
        cuts = sum(len(t.cuts) for t in tears)
        problems = sum(len(t.problems) for t in tears)
        rows.append(
            [
                generation,
                f"SEC-TEAR-1 {group} ({cuts} cuts)",
                dut.recorder.unrecorded - before,
                problems,
                round(time.perf_counter() - start, 3),
            ]
        )
    start = time.perf_counter()
    before = dut.recorder.unrecorded
    with dut.recorder.summarized(keep_errors=False):
        _, problems_2 = try_probes(card, psam, pin)
    rows.append(
        [generation, "SEC-TEAR-2 try probes", dut.recorder.unrecorded - before, len(problems_2), round(time.perf_counter() - start, 3)]
    )
    dut.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", default=",".join(builtin_profiles()))
    args = parser.parse_args()
    rows = [row for g in args.generations.split(",") for row in measure(g)]
    print_table(["generation", "check", "APDUs", "problems", "seconds"], rows)


if __name__ == "__main__":
    main()
