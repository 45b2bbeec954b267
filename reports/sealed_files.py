"""Which files of a run directory the evidence bundle seals, and why every other one stays out.

The bundle once packed every regular file of the report directory, so a lab key kept beside the
reports was sealed into what the lab hands out (hardening issue, defect 2). Now only the artefacts
a run writes are sealed — an explicit list, not "whatever is there" — and every other entry of the
directory is named with the reason it was left out, so the operator sees it and the manifest
records it. A symbolic link is never followed: it could pull in a file from anywhere, and the
verifier would never see what it pointed to (defect 8).

The content of a sealed file is checked too (`PrivateKeyScanner`): a file name says nothing about
what a file holds, and a PEM private key has no business in any artefact.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from harness.rundir import LOCK_NAME  # the lock a run holds on its directory (not an artefact)

# Files at the top of a run directory that a run writes (harness/cli.py: `run` and `mutants`; a
# reader-plan run adds the RDR-5 latency picture, harness/reader_plugin.py LATENCY_PICTURE).
TOP_FILES = frozenset({"results.json", "junit.xml", "report.html", "mutants.json", "latency.svg"})
# Directories a run writes whose whole tree is the artefact (Allure names its files itself).
TREES = frozenset({"allure-results", "allure-report"})
# A mutants run: mutants/<generation>-<fault>/ holds each child run's results and console log.
MUTANT_RUNS = "mutants"
MUTANT_FILES = frozenset({"results.json", "run.log"})

NOT_AN_ARTEFACT = "not written by the run"
SYMLINK = "symbolic link, not followed"
SPECIAL = "not a regular file"
DIRECTORY = "directory not written by the run"


@dataclass(frozen=True)
class LeftOut:
    """An entry of the run directory that is not sealed, and why."""

    path: str
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass
class Selection:
    members: list[str] = field(default_factory=list)  # relative POSIX paths, sorted
    left_out: list[LeftOut] = field(default_factory=list)


def select(run_dir: Path, skip: frozenset[str] = frozenset()) -> Selection:
    """The run's artefacts under `run_dir` (and what else is there), without following any link.

    `skip` names top-level entries that belong to the bundle itself (the bundle, its partial file):
    neither sealed nor reported.
    """
    selection = Selection()
    _walk(run_dir, "", selection, skip)
    selection.members.sort()
    selection.left_out.sort(key=lambda item: item.path)
    return selection


def _walk(base: Path, rel_dir: str, selection: Selection, skip: frozenset[str]) -> None:
    with os.scandir(base / rel_dir if rel_dir else base) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
        if (not rel_dir and entry.name in skip) or entry.name == LOCK_NAME:
            continue  # the bundle's own files, and the run's lock: neither sealed nor reported
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISLNK(mode):
            selection.left_out.append(LeftOut(rel, SYMLINK))
        elif stat.S_ISDIR(mode):
            if _descend(rel):
                _walk(base, rel, selection, skip)
            else:
                selection.left_out.append(LeftOut(f"{rel}/", DIRECTORY))
        elif not stat.S_ISREG(mode):
            selection.left_out.append(LeftOut(rel, SPECIAL))
        elif is_artefact(rel):
            selection.members.append(rel)
        else:
            selection.left_out.append(LeftOut(rel, NOT_AN_ARTEFACT))


def _descend(rel: str) -> bool:
    parts = rel.split("/")
    return parts[0] in TREES or (parts[0] == MUTANT_RUNS and len(parts) <= 2)


def is_artefact(rel: str) -> bool:
    """Whether a file at this relative path is one a run writes."""
    parts = rel.split("/")
    if len(parts) == 1:
        return rel in TOP_FILES
    if parts[0] in TREES:
        return True
    return parts[0] == MUTANT_RUNS and len(parts) == 3 and parts[2] in MUTANT_FILES


# PKCS#8 ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY") and the traditional forms ("RSA PRIVATE KEY",
# "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", ...): a private key in any PEM flavour.
_PEM_PRIVATE = re.compile(rb"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----")
_OVERLAP = 64  # longer than any match, so a header split across two chunks is still found


class PrivateKeyScanner:
    """Looks for a PEM private key in a file read a chunk at a time (the writer streams files)."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, chunk: bytes) -> bool:
        """True once a PEM private-key header has been seen in the bytes fed so far."""
        window = self._tail + chunk
        self._tail = window[-_OVERLAP:]
        return _PEM_PRIVATE.search(window) is not None
