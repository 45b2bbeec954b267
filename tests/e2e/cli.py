"""Run `ssc-conform` as a user does (a subprocess) and read back its results.json.

A plain helper module (no ``test_`` prefix), shared by the end-to-end test modules so none of
them imports another test module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: float = 240) -> tuple[int, str, dict[str, Any] | None, Path]:
    """(exit status, stdout+stderr, parsed results.json or None, path of results.json)."""
    report_dir = Path(args[args.index("--report-dir") + 1]) if "--report-dir" in args else None
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    results = report_dir / "results.json" if report_dir else PROJECT / "reports/latest/results.json"
    doc = json.loads(results.read_text(encoding="utf-8")) if results.exists() else None
    return proc.returncode, proc.stdout + proc.stderr, doc, results


def verdicts(doc: dict[str, Any]) -> dict[str, str]:
    """Requirement → verdict, for the requirements that have at least one scenario."""
    return {rid: r["verdict"] for rid, r in doc["requirements"].items() if r["scenarios"]}


def assert_only_selected(doc: dict[str, Any], selected: set[str], out: str) -> None:
    """Every scenario that ran carries a selected requirement, each selected requirement passed, and
    any other requirement with a verdict got it only from a scenario it shares with a selected one."""
    assert all(selected & set(s["requirements"]) for s in doc["scenarios"]), out
    found = verdicts(doc)
    assert selected <= set(found) and set(found.values()) == {"passed"}, out
