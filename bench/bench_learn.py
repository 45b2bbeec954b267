"""Automata learning (ssc-conform learn): figures per generation and the fault proofs.

    .venv/bin/python bench/bench_learn.py [--generations gen1,gen2,gen3] [--faults all|NAME,...|none]
    scripts/pcsc-sandbox .venv/bin/python bench/bench_learn.py --vpcd      # also through vpcd + pcscd
    .venv/bin/python bench/bench_learn.py --alphabet tearing --faults none   # figures of a focus alphabet

1. Per generation, the clean reference card is learned twice in-process with the default alphabet
   (fixtures/alphabets/<gen>.yaml); both must come out equivalent to the model. With --vpcd the
   same card is also served on vpcd (`Virtual PCD 00 00`) and learned through pcscd + pyscard,
   against the embedded model and against the served card's own twin (`--model twin`).
   Printed: states, queries, APDUs, seconds. Targets: ≤ 30 s in-process, ≤ 60,000 APDUs (DUT).
   (The vpcd figures need no serve-card process: the card is served from a thread of this one.)
2. Every fault of reference_card.FAULTS (on gen2, or on its own generation) is learned with the
   default alphabet and then the focus alphabets (fixtures/alphabets/focus/) until one shows a
   difference; printed: the alphabet, the length of the shortest distinguishing sequence (target
   ≤ 12) and the sequence. A fault no alphabet shows is listed as unseen (see README for why).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import print_table

from harness.learn.alphabet import ALPHABETS_DIR
from harness.learn.run import LearnOptions, run_learn
from reference_card.faults import FAULTS

FOCUS = ("keys", "access", "sm", "pin-admin", "internal", "lifecycle", "tearing")
VPCD_READER = "Virtual PCD 00 00"


def learn(out: Path, **kwargs: Any) -> tuple[int, dict[str, Any], float]:
    start = time.perf_counter()
    code = run_learn(LearnOptions(report_dir=out, **kwargs), out=lambda _text: None)
    seconds = time.perf_counter() - start
    doc = json.loads((out / "learn.json").read_text(encoding="utf-8")) if (out / "learn.json").exists() else {}
    return code, doc, seconds


def figures(generations: list[str], vpcd: bool, tmp: Path, alphabet: str = "default", hook: bool = False) -> bool:
    rows = []
    ok = True
    chosen: dict[str, Any] = {} if alphabet == "default" else {"alphabet": ALPHABETS_DIR / "focus" / f"{alphabet}.yaml"}
    for gen in generations:
        runs: list[tuple[str, dict[str, Any]]] = [("in-process #1", chosen), ("in-process #2", chosen)]
        for label, extra in runs:
            code, doc, _ = learn(tmp / f"{gen}-{label[-1]}", card=f"reference:{gen}", **extra)
            ok &= code == 0
            m, d = doc["model"]["figures"], doc["dut"]["figures"]
            rows.append(
                [
                    gen,
                    label,
                    "equivalent" if code == 0 else f"exit {code}",
                    d["states"],
                    d["queries"],
                    d["apdus"],
                    d["seconds"],
                    m["seconds"],
                ]
            )
        if vpcd:
            from reference_card import ReferenceCard
            from terminal.vpcd import VpcdServer

            handle = VpcdServer(ReferenceCard.default(gen, tearing_hook=hook)).run_in_thread()
            try:
                if not handle.wait_connected(5.0):
                    raise SystemExit("bench_learn: the served card did not connect to vpcd (run under scripts/pcsc-sandbox)")
                time.sleep(1.0)  # pcscd notices the card
                served = []
                for model in ("embedded", "twin"):  # the embedded model, then the served card's own twin
                    served.append(
                        (model, *learn(tmp / f"{gen}-vpcd-{model}", card=f"reader:{VPCD_READER}", profile=gen, model=model, **chosen))
                    )
            finally:
                handle.stop()
            for model, code, doc, _ in served:
                ok &= code == 0
                d, m = doc["dut"]["figures"], doc["model"]["figures"]
                label = "vpcd" if model == "embedded" else "vpcd, --model twin"
                verdict = "equivalent" if code == 0 else f"exit {code}"
                rows.append([gen, label, verdict, d["states"], d["queries"], d["apdus"], d["seconds"], m["seconds"]])
    print_table(["gen", "DUT", "verdict", "states", "queries", "APDUs", "DUT s", "model s"], rows)
    return ok


def fault_row(name: str, tmp: Path) -> list[object]:
    """The first alphabet that shows `name`, with its shortest distinguishing sequence."""
    fault = FAULTS[name]
    gen = "gen2" if not fault.generations or "gen2" in fault.generations else fault.generations[0]
    alphabets: list[tuple[str, Path | None]] = [("default", None)] + [(f, ALPHABETS_DIR / "focus" / f"{f}.yaml") for f in FOCUS]
    for label, path in alphabets:
        code, doc, seconds = learn(tmp / f"{name}-{label}", card=f"reference:{gen}", faults=(name,), alphabet=path)
        if code == 1:
            shortest = min(doc["differences"], key=lambda d: len(d["sequence"]))
            return [name, gen, label, len(shortest["sequence"]), f"{seconds:.1f}", " → ".join(shortest["sequence"])]
        if code not in (0, 1):
            return [name, gen, label, "-", f"{seconds:.1f}", f"could not complete (exit {code})"]
    return [name, gen, "unseen", "-", "-", "no alphabet shows it"]


def faults(names: list[str], tmp: Path, jobs: int) -> None:
    """Each fault in a process forked from this one (the models learned above are inherited)."""
    rows = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        for row in pool.map(fault_row, names, [tmp] * len(names)):
            rows.append(row)
            print(" | ".join(str(c) for c in row), flush=True)
    print()
    print_table(["fault", "gen", "alphabet", "length", "s", "shortest distinguishing sequence"], rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--generations", default="gen1,gen2,gen3")
    ap.add_argument("--faults", default="all", help="all, none, or comma-separated fault names")
    ap.add_argument("--vpcd", action="store_true", help="also learn the card served on vpcd (needs pcscd + vpcd)")
    ap.add_argument("--hook", action="store_true", help="serve the vpcd card with its tearing test hook (FF 7E)")
    ap.add_argument("--alphabet", default="default", help="the figures' alphabet: default, or a focus alphabet's name (e.g. tearing)")
    ap.add_argument("--jobs", type=int, default=2, help="faults learned in parallel (default 2)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-learn-") as d:
        tmp = Path(d)
        ok = figures(args.generations.split(","), args.vpcd, tmp, args.alphabet, args.hook)
        if args.faults != "none":
            names = sorted(FAULTS) if args.faults == "all" else args.faults.split(",")
            faults(names, tmp, args.jobs)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
