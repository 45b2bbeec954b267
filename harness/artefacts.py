"""The artefacts made from a finished run directory: the generated Allure report (when the Allure
CLI is installed), the certification report (reports.html) and the sealed evidence bundle
(reports.evidence), in that order — the bundle seals the others. The bundle is not optional: a
run that ends without it has failed (`Finished.evidence` is None, the CLI exits 3), and a lab key
that could not sign it is caught before the run starts (`check_sign_key`).

The report package is imported only here and only when needed: a harness without it still runs
and says which artefact was not produced and why.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TextIO

from terminal.errors import HarnessError, InputError

ALLURE_TIMEOUT_S = 180


class ArtefactUnavailable(HarnessError, RuntimeError):
    """An artefact cannot be produced here (its module is missing): the message says which and why."""


def evidence_module() -> ModuleType:
    try:
        from reports import evidence
    except ImportError as exc:
        raise ArtefactUnavailable(f"the evidence module (reports/evidence.py) is not available: {exc}") from exc
    return evidence


def build_report(run_dir: Path) -> Path:
    try:
        from reports.html import write_report
    except ImportError as exc:
        raise ArtefactUnavailable(f"the report module (reports/html.py) is not available: {exc}") from exc
    return write_report(run_dir)


class SignKeyError(InputError):
    """--sign-key cannot sign: one line naming the key and the reason (the CLI exits 2 on it)."""


def check_sign_key(key: Path, report_dir: Path | None) -> None:
    """Load the lab key and check it lies outside `report_dir`, before the run starts: a run that
    cannot end in the signed bundle it was asked for should not start at all."""
    try:
        evidence = evidence_module()
    except ArtefactUnavailable as exc:
        raise SignKeyError(f"{key}: cannot sign: {exc}") from None
    try:
        evidence.check_signing_key(key, report_dir)
    except evidence.EvidenceError as exc:
        raise SignKeyError(str(exc)) from None


@dataclass
class Finished:
    """What `finish_run` produced. `evidence` is None when no bundle was written; a run that
    ends without its evidence has failed (the CLI exits 3), and `evidence_problem` says why."""

    problems: list[str] = field(default_factory=list)
    evidence: Path | None = None
    evidence_problem: str = ""


def finish_run(run_dir: Path, sign_key: Path | None, *, allure: bool = True, out: TextIO | None = None) -> Finished:
    """Make the report artefacts of `run_dir`, print where each went; returns what was produced
    and the problems (an artefact not produced, with the reason), also printed on stderr."""
    out = out or sys.stdout
    finished = Finished()

    def problem(text: str) -> None:
        finished.problems.append(text)
        print(f"ssc-conform: {text}", file=sys.stderr)

    results = run_dir / "allure-results"
    if allure and results.is_dir():
        allure_cli = shutil.which("allure")
        if allure_cli is None:
            print(f"allure results: {results} (no Allure CLI on PATH: no generated Allure report)", file=out)
        else:
            ok, text = generate_allure_report(allure_cli, results, run_dir / "allure-report")
            if ok:
                print(f"allure report: {run_dir / 'allure-report' / 'index.html'}", file=out)
            else:
                problem(f"Allure report not generated: {text}")
    if (run_dir / "junit.xml").is_file():
        print(f"junit: {run_dir / 'junit.xml'}", file=out)
    try:
        print(f"report: {build_report(run_dir)}", file=out)
    except ArtefactUnavailable as exc:
        problem(f"report.html not produced: {exc}")
    except Exception as exc:
        problem(f"report.html not produced: {type(exc).__name__}: {exc}")
    try:
        evidence = evidence_module()
        sealed = evidence.seal_run(run_dir, sign_key)
    except ArtefactUnavailable as exc:
        finished.evidence_problem = f"evidence.zip not produced: {exc}"
    except Exception as exc:
        finished.evidence_problem = f"evidence.zip not produced: {type(exc).__name__}: {exc}"
    else:
        finished.evidence = sealed.path
        if sealed.fingerprint is None:
            print(f"evidence: {sealed.path} (UNSIGNED: no --sign-key given and $SSC_LAB_KEY not set)", file=out)
        else:
            print(f"evidence: {sealed.path} (signed with {sign_key}, key fingerprint {sealed.fingerprint})", file=out)
        for item in sealed.left_out:
            print(f"left out of evidence.zip: {item.path} ({item.reason})", file=out)
    if finished.evidence_problem:
        problem(finished.evidence_problem)
    return finished


def allure_major_version(allure_cli: str) -> int | None:
    try:
        proc = subprocess.run([allure_cli, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"(\d+)\.\d+", proc.stdout + proc.stderr)
    return int(match.group(1)) if match else None


def generate_allure_report(allure_cli: str, results: Path, output: Path) -> tuple[bool, str]:
    """A single-file Allure report of `results` in `output` (index.html). Allure 2 takes
    ``--single-file``; Allure 3 takes the same choice from its config file (awesome plugin,
    ``singleFile``), written to a temporary directory so it stays out of the run directory."""
    major = allure_major_version(allure_cli)
    with tempfile.TemporaryDirectory(prefix="ssc-allure-") as tmp:
        if major is not None and major >= 3:
            config = Path(tmp) / "allurerc.json"
            config.write_text(
                json.dumps(
                    {
                        "name": "ssc-conform",
                        "output": str(output.resolve()),
                        "plugins": {"awesome": {"options": {"singleFile": True, "reportLanguage": "en"}}},
                    }
                ),
                encoding="utf-8",
            )
            cmd = [allure_cli, "generate", "--config", str(config), "-o", str(output.resolve()), str(results.resolve())]
        else:
            cmd = [allure_cli, "generate", "--single-file", "--clean", "-o", str(output.resolve()), str(results.resolve())]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=ALLURE_TIMEOUT_S, cwd=tmp)
        except subprocess.TimeoutExpired:
            return False, f"{' '.join(cmd[:2])} took longer than {ALLURE_TIMEOUT_S} s"
        except OSError as exc:
            return False, f"cannot run {allure_cli}: {exc}"
    if proc.returncode != 0 or not (output / "index.html").is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        return False, f"allure generate exited {proc.returncode}: {tail[-1] if tail else 'no output'}"
    return True, str(output / "index.html")
