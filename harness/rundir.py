"""Where a run's artefacts go: `reports/<run-id>/`, with `reports/latest` pointing at the newest.

A run id is the UTC start time plus a short random suffix (``20261123T181500Z-3fa2``): sortable,
readable, and unique even when two runs start in the same second. `reports/latest` is a relative
symlink swapped in with one rename, so a reader never sees it missing or half-written. An explicit
`--report-dir` is used exactly as given (tests and other tools rely on that): no run-id directory,
no symlink.
"""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
from pathlib import Path

REPORTS_DIR = Path("reports")
LATEST = "latest"
# Artefacts of an earlier run that a new run into the same directory replaces.
ARTEFACTS = ("results.json", "junit.xml", "allure-results", "allure-report", "report.html", "evidence.zip")


def new_run_id(now: datetime.datetime | None = None) -> str:
    now = now or datetime.datetime.now(datetime.UTC)
    return f"{now.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def prepare_run_dir(explicit: Path | None, run_id: str, *, base: Path = REPORTS_DIR, clean: bool = True) -> Path:
    """The directory this run writes into, created; stale artefacts of an earlier run in an
    explicit directory are removed (`clean`), so nothing of that run is mistaken for this one's."""
    if explicit is not None:
        explicit.mkdir(parents=True, exist_ok=True)
        if clean:
            for name in ARTEFACTS:
                path = explicit / name
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                elif path.exists() or path.is_symlink():
                    path.unlink()
        return explicit
    run_dir = base / run_id
    run_dir.mkdir(parents=True, exist_ok=False)
    point_latest(base, run_dir)
    return run_dir


def point_latest(base: Path, run_dir: Path) -> Path:
    """Make `base/latest` a symlink to `run_dir` (relative), replacing the old link atomically.
    A real directory left there by an older harness version is moved aside, not deleted."""
    latest = base / LATEST
    if latest.is_dir() and not latest.is_symlink():
        stamp = datetime.datetime.fromtimestamp(latest.stat().st_mtime, datetime.UTC)
        aside = base / f"{stamp:%Y%m%dT%H%M%SZ}-old-latest"
        latest.rename(aside if not aside.exists() else base / f"{aside.name}-{secrets.token_hex(2)}")
    tmp = base / f".{LATEST}-{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(run_dir, base), tmp)
    os.replace(tmp, latest)
    return latest
