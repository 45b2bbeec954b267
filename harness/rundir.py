"""Where a run's artefacts go: `reports/<run-id>/`, with `reports/latest` pointing at the newest
finished run; one run at a time per directory.

A run id is the UTC start time plus a short random suffix (``20261123T181500Z-3fa2``): sortable,
readable, and unique even when two runs start in the same second. `reports/latest` is a relative
symlink swapped in with one rename, and only once the run has finished writing, so a reader never
sees it missing, half-written or pointing at a run still in progress. An explicit `--report-dir`
is used exactly as given (tests and other tools rely on that): no run-id directory, no symlink.

Two runs writing into one directory would delete and overwrite each other's artefacts, so a run
holds an exclusive lock (fcntl) on a lock file inside its directory from before it clears stale
artefacts until its last artefact is written; a second run is refused as bad input. The lock file
stays (removing it would let a third run lock a fresh file while a second still holds the old one).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from harness.exitstatus import UsageError

REPORTS_DIR = Path("reports")
LATEST = "latest"
LOCK_NAME = ".ssc-conform.lock"
# Artefacts of an earlier run that a new run into the same directory replaces.
ARTEFACTS = ("results.json", "junit.xml", "allure-results", "allure-report", "report.html", "evidence.zip")


class RunDirError(UsageError):
    """The run directory cannot be created, written or locked: bad input, one line."""


def new_run_id(now: datetime.datetime | None = None) -> str:
    now = now or datetime.datetime.now(datetime.UTC)
    return f"{now.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


@contextlib.contextmanager
def open_run_dir(explicit: Path | None, run_id: str, *, base: Path = REPORTS_DIR, clean: bool = True) -> Iterator[Path]:
    """The directory this run writes into: created, locked for the run's lifetime and — for an
    explicit directory with `clean` — cleared of an earlier run's artefacts, so nothing of that run
    is mistaken for this one's. Without `explicit`, `base/latest` points at it once the body has
    finished without an exception."""
    run_dir = explicit if explicit is not None else base / run_id
    label = f"--report-dir {run_dir}" if explicit is not None else f"run directory {run_dir}"
    _make_dir(run_dir, label, exist_ok=explicit is not None)
    lock = _lock(run_dir, label)
    try:
        if explicit is not None and clean:
            _remove_stale_artefacts(run_dir, label)
        yield run_dir
        if explicit is None:
            point_latest(base, run_dir)
    finally:
        os.close(lock)


def _make_dir(run_dir: Path, label: str, *, exist_ok: bool) -> None:
    if run_dir.exists() and not run_dir.is_dir():
        raise RunDirError(f"{label}: exists and is not a directory")
    try:
        run_dir.mkdir(parents=True, exist_ok=exist_ok)
    except NotADirectoryError:
        raise RunDirError(f"{label}: cannot create it: a part of the path is not a directory") from None
    except OSError as exc:
        raise RunDirError(f"{label}: cannot create it: {exc.strerror or exc}") from None


def _lock(run_dir: Path, label: str) -> int:
    """An open descriptor holding the exclusive lock of `run_dir` (closing it releases the lock)."""
    path = run_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise RunDirError(f"{label}: cannot write a lock file in it: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = _read_holder(fd)
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise RunDirError(
                f"{label}: another ssc-conform run{holder} is writing into it; wait for it or choose another directory"
            ) from None
        raise RunDirError(f"{label}: cannot lock it: {exc.strerror or exc}") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


def _remove_stale_artefacts(run_dir: Path, label: str) -> None:
    try:
        for name in ARTEFACTS:
            path = run_dir / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
    except OSError as exc:
        raise RunDirError(f"{label}: cannot remove an earlier run's {exc.filename or 'artefact'}: {exc.strerror or exc}") from None


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
