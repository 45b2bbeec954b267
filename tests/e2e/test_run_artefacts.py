"""The artefacts of `ssc-conform run` (issue 4): run directories, junit.xml, allure-results/,
report.html, evidence.zip, the `report` / `keygen` / `verify` commands, and bad input that stops
a run with a clear message and exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import PROJECT, run_cli

SMALL = ("--tags", "STD-ATR-1 or SEC-PIN-1")
PARTIAL = 4  # a run narrowed by --tags is a partial plan: 未完成, never 0 (harness.exitstatus)


def cli(*args: str, cwd: Path = PROJECT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **(env or {})},
    )


def test_a_run_without_report_dir_writes_a_run_directory_and_points_latest_at_it(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(PROJECT), "SSC_LAB_KEY": ""}
    first = cli("run", *SMALL, cwd=tmp_path, env=env)
    assert first.returncode == PARTIAL, first.stdout + first.stderr
    latest = tmp_path / "reports" / "latest"
    assert latest.is_symlink()
    run_dir = latest.resolve()
    assert run_dir.parent == (tmp_path / "reports").resolve()
    doc = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert doc["run"]["run_id"] == run_dir.name
    assert f"{run_dir.name}/report.html" in first.stdout

    second = cli("run", *SMALL, cwd=tmp_path, env=env)
    assert second.returncode == PARTIAL, second.stdout + second.stderr
    assert latest.resolve() != run_dir and (run_dir / "results.json").is_file()  # the old run stays
    assert sorted(p.name for p in (tmp_path / "reports").iterdir() if not p.name.startswith(".")) == sorted(
        [run_dir.name, latest.resolve().name, "latest"]
    )


def test_every_artefact_is_written_and_consistent(tmp_path: Path) -> None:
    code, out, doc, results = run_cli("run", "--card", "reference:gen3", *SMALL, "--report-dir", str(tmp_path))
    assert doc is not None and code == PARTIAL, out
    run = doc["run"]
    assert run["run_id"] and run["harness_version"] and run["profile"]["sha256"]
    features = {f["path"]: f["sha256"] for f in run["features"]}
    assert features and all(p.startswith("features/") and p.endswith(".feature") and len(h) == 64 for p, h in features.items())
    dut = doc["dut"]
    assert dut["atr_decoded"]["card_sn"] == dut["card_sn"] and dut["atr_decoded"]["chip_maker"] == "0081"
    assert dut["declared_cos_version"] == "46" and dut["declaration"]["region"] == "441800"
    assert dut["reader"]

    suite = ET.parse(tmp_path / "junit.xml").getroot()
    cases = suite.iter("testcase")
    assert sum(1 for _ in cases) == len(doc["scenarios"])
    allure = list((tmp_path / "allure-results").glob("*-result.json"))
    assert allure and all("ScenarioContext" not in p.read_text(encoding="utf-8") for p in allure)
    assert (tmp_path / "report.html").is_file()
    with zipfile.ZipFile(tmp_path / "evidence.zip") as zf:
        names = set(zf.namelist())
    assert {"results.json", "junit.xml", "report.html", "MANIFEST.json"} <= names
    assert "UNSIGNED" in out and "evidence:" in out


def test_keygen_signed_run_verify_and_report_rebuild(tmp_path: Path) -> None:
    gen = cli("keygen", "--out", str(tmp_path / "lab"))
    assert gen.returncode == 0, gen.stderr
    assert "fingerprint:" in gen.stdout
    assert (tmp_path / "lab.key").stat().st_mode & 0o777 == 0o600 and (tmp_path / "lab.pub").is_file()
    again = cli("keygen", "--out", str(tmp_path / "lab"))
    assert again.returncode != 0 and "lab.key" in again.stderr  # never overwrites a key

    run_dir = tmp_path / "run"
    code, out, doc, _ = run_cli("run", *SMALL, "--sign-key", str(tmp_path / "lab.key"), "--report-dir", str(run_dir))
    assert doc is not None and code == PARTIAL, out
    assert "signed with" in out

    ok = cli("verify", str(run_dir / "evidence.zip"), "--pubkey", str(tmp_path / "lab.pub"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    other = cli("keygen", "--out", str(tmp_path / "other"))
    assert other.returncode == 0
    wrong = cli("verify", str(run_dir / "evidence.zip"), "--pubkey", str(tmp_path / "other.pub"))
    assert wrong.returncode == 1 and wrong.stdout.strip(), wrong.stdout + wrong.stderr

    (run_dir / "report.html").unlink()
    rebuilt = cli("report", str(run_dir))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (run_dir / "report.html").is_file() and "report:" in rebuilt.stdout
    missing = cli("report", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no results.json" in missing.stderr


def test_a_missing_sign_key_is_a_usage_error_before_the_run(tmp_path: Path) -> None:
    code, out, doc, _ = run_cli("run", *SMALL, "--sign-key", str(tmp_path / "absent.key"), "--report-dir", str(tmp_path / "r"))
    assert code == 2 and doc is None, out
    assert "absent.key: no such key file" in out


def test_an_unreadable_declaration_file_is_a_usage_error(tmp_path: Path) -> None:
    code, out, doc, _ = run_cli("run", "--declaration", str(tmp_path / "missing.yaml"), "--report-dir", str(tmp_path))
    assert code == 2 and doc is None, out
    assert "missing.yaml: cannot read the issuer declaration" in out


def test_an_unknown_tag_is_a_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    code, out, doc, _ = run_cli("run", "--tags", "SEC-NOPE-1", "--report-dir", str(tmp_path / "r"))
    assert code == 2 and doc is None, out
    assert "unknown tag 'SEC-NOPE-1'" in out and not (tmp_path / "r").exists()


def _assert_unavailable(code: int, out: str, doc: dict[str, Any] | None, run_dir: Path, error_type: str) -> None:
    assert code == 2, out
    assert doc is not None, out
    assert doc["dut"]["error_type"] == error_type, doc["dut"]
    assert doc["scenarios"] and all(s["verdict"] == "not-run" and "could not be opened" in s["reason"] for s in doc["scenarios"])
    assert not any(s["trace"] for s in doc["scenarios"])
    assert "could not be opened, no scenario ran" in out
    assert (run_dir / "report.html").is_file() and (run_dir / "evidence.zip").is_file()


@pytest.mark.pcsc
def test_an_unknown_reader_stops_the_run_and_lists_the_readers(tmp_path: Path) -> None:
    code, out, doc, _ = run_cli("run", "--card", "reader:No Such Reader 42", "--report-dir", str(tmp_path))
    _assert_unavailable(code, out, doc, tmp_path, "ReaderNotFoundError")
    assert "available readers:" in out and "Virtual PCD 00 00" in out


@pytest.mark.pcsc
def test_an_empty_reader_stops_the_run(tmp_path: Path) -> None:
    """The second vpcd reader, with no card served on it."""
    code, out, doc, _ = run_cli("run", "--card", "reader:Virtual PCD 00 01", "--report-dir", str(tmp_path))
    _assert_unavailable(code, out, doc, tmp_path, "NoCardError")
    assert "no card in the reader" in out


@pytest.mark.pcsc
def test_a_card_in_a_reader_is_identified_by_reader_name_and_decoded_atr(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    from reference_card import ReferenceCard

    served = serve_card(ReferenceCard.default("gen2"))
    code, out, doc, _ = run_cli("run", "-q", "--card", "reader:*PCD 00 00", "--tags", "STD-ATR-2", "--report-dir", str(tmp_path))
    assert doc is not None and code == PARTIAL, out
    assert doc["dut"]["reader"] == served.reader  # the name the pattern resolved to
    assert doc["dut"]["atr_decoded"]["card_sn"] == doc["dut"]["card_sn"]


# --- hardening issue, defects 2 and 8: evidence is produced or the run fails ------------------


@pytest.mark.parametrize("which", ["public", "inside"])
def test_a_sign_key_that_cannot_sign_is_bad_input_before_the_run(tmp_path: Path, which: str) -> None:
    gen = cli("keygen", "--out", str(tmp_path / "lab"))
    assert gen.returncode == 0, gen.stderr
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    if which == "public":
        key, reason = tmp_path / "lab.pub", "a public key, not the private key"
    else:
        key, reason = run_dir / "lab.key", "inside the report directory"
        (tmp_path / "lab.key").rename(key)
    proc = cli("run", *SMALL, "--sign-key", str(key), "--report-dir", str(run_dir))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and reason in proc.stderr and proc.stderr.startswith("ssc-conform: --sign-key: ")
    assert not (run_dir / "results.json").exists()  # caught before the run started


def test_a_bundle_that_cannot_be_written_fails_the_run_with_exit_3(tmp_path: Path) -> None:
    assert cli("keygen", "--out", str(tmp_path / "lab")).returncode == 0
    run_dir = tmp_path / "r"
    (run_dir / ".evidence.zip.partial").mkdir(parents=True)  # in the way of the bundle
    code, out, doc, _ = run_cli("run", *SMALL, "--sign-key", str(tmp_path / "lab.key"), "--report-dir", str(run_dir))
    assert doc is not None, out
    assert code == 3, out
    assert "evidence.zip not produced" in out and not (run_dir / "evidence.zip").exists()


def test_a_symlink_and_stray_files_in_the_report_dir_are_left_out_and_said(tmp_path: Path) -> None:
    assert cli("keygen", "--out", str(tmp_path / "lab")).returncode == 0
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (tmp_path / "secret.txt").write_text("outside the run")
    (run_dir / "secret-link").symlink_to(tmp_path / "secret.txt")
    (run_dir / "other.key").write_bytes((tmp_path / "lab.key").read_bytes())  # some other key, not the signing one
    code, out, doc, _ = run_cli("run", *SMALL, "--sign-key", str(tmp_path / "lab.key"), "--report-dir", str(run_dir))
    assert doc is not None and code == PARTIAL, out
    assert "left out of evidence.zip: secret-link (symbolic link, not followed)" in out
    assert "left out of evidence.zip: other.key (not written by the run)" in out
    with zipfile.ZipFile(run_dir / "evidence.zip") as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("MANIFEST.json"))
    assert {"results.json", "junit.xml", "report.html"} <= names and not {"secret-link", "other.key"} & names
    assert {e["path"] for e in manifest["left_out"]} == {"secret-link", "other.key"}
    ok = cli("verify", str(run_dir / "evidence.zip"), "--pubkey", str(tmp_path / "lab.pub"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
