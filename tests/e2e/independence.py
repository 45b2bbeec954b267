"""Driver of tests/e2e/test_independence.py: for each generation, the full suite once and then
every requirement alone (`--tags ID`), each an in-process `ssc-conform run -q` (results only) in a
child forked from this warm process, `--jobs` at a time (as `ssc-conform mutants` does).

    python -m tests.e2e.independence OUT_DIR [--generations gen1,gen2] [--jobs 2]

writes OUT_DIR/independence.json: per generation the full run's requirement verdicts, each
requirement's verdict alone, and every mismatch. Run in a process of its own (not forked from a
pytest test), so no capture or plugin state of the calling test leaks into the children.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

FULL = "full"


def _child(generation: str, tags: str | None, report_dir: str) -> None:
    fd = os.open(os.path.join(report_dir, "run.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    from harness.run import RunOptions, run_suite

    options = RunOptions(card=f"reference:{generation}", report_dir=Path(report_dir), tags=tags, quiet=True, results_only=True)
    try:
        code = run_suite(options).exit_code
    except BaseException as exc:
        print(f"independence: run crashed: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 3
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _verdicts(report_dir: Path) -> dict[str, dict[str, str]] | None:
    results = report_dir / "results.json"
    if not results.exists():
        return None
    doc = json.loads(results.read_text(encoding="utf-8"))
    return {rid: {"verdict": r["verdict"], "reason": r["reason"]} for rid, r in doc["requirements"].items() if r["scenarios"]}


def run_batch(runs: Sequence[tuple[str, str | None]], out: Path, jobs: int) -> dict[tuple[str, str | None], dict[str, Any]]:
    """Each (generation, tag expression or None for the full suite) as a forked child run."""
    ctx = multiprocessing.get_context("fork")
    pending = list(runs)
    active: dict[Any, tuple[Any, tuple[str, str | None], Path]] = {}
    done: dict[tuple[str, str | None], dict[str, Any]] = {}
    while pending or active:
        while pending and len(active) < jobs:
            generation, tags = run = pending.pop(0)
            where = out / generation / (tags or FULL)
            where.mkdir(parents=True, exist_ok=True)
            proc = ctx.Process(target=_child, args=(generation, tags, str(where)))
            proc.start()
            active[proc.sentinel] = (proc, run, where)
        for sentinel in wait(list(active)):
            proc, run, where = active.pop(sentinel)
            proc.join()
            done[run] = {"exit": proc.exitcode, "verdicts": _verdicts(where), "dir": str(where)}
    return done


def mismatches(full: dict[str, dict[str, str]], alone: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Requirements whose verdict alone (`alone[rid]`: that run's exit, verdicts and directory)
    differs from the full run's, or that got no verdict alone at all."""
    out = []
    for rid, whole in full.items():
        result = alone[rid]
        single = (result["verdicts"] or {}).get(rid)
        if single is None or single["verdict"] != whole["verdict"]:
            out.append({"requirement": rid, "full": whole, "alone": single, "exit": result["exit"], "dir": result["dir"]})
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="independence")
    parser.add_argument("out")
    parser.add_argument("--generations", default="gen1,gen2,gen3")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    import pytest  # noqa: F401  (warm the parent: children fork with the harness imported)

    import harness.run  # noqa: F401
    import reference_card  # noqa: F401
    from ssc.profile import load_profile

    generations = [g for g in args.generations.split(",") if g]
    for g in generations:
        load_profile(g)
    out = Path(args.out)
    started = time.monotonic()
    full = run_batch([(g, None) for g in generations], out, args.jobs)
    alone_runs = []
    report: dict[str, Any] = {"generations": {}}
    for g in generations:
        verdicts = full[(g, None)]["verdicts"] or {}
        alone_runs += [(g, rid) for rid in verdicts]
    alone = run_batch(alone_runs, out, args.jobs)
    for g in generations:
        verdicts = full[(g, None)]["verdicts"] or {}
        runs = {rid: alone[(g, rid)] for rid in verdicts}
        report["generations"][g] = {
            "full": verdicts,
            "full_exit": full[(g, None)]["exit"],
            "alone": {rid: (r["verdicts"] or {}).get(rid) for rid, r in runs.items()},
            "mismatches": mismatches(verdicts, runs),
        }
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    report["runs"] = len(full) + len(alone)
    (out / "independence.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
