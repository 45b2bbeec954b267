"""Operator mistakes are bad input, not card failures: exit status 2, one line naming the option,
and no report that claims anything about the card (hardening issue, defects 3, 9, 10, 11)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.cli import PROJECT, run_cli


def assert_one_line_of_bad_input(code: int, out: str, *words: str) -> None:
    assert code == 2, out
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ssc-conform: "), out
    for word in words:
        assert word in lines[0], out


def _keys(tmp_path: Path, content: str) -> str:
    path = tmp_path / "lab-keys.yaml"
    path.write_text(content, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "args, words",
    [
        (["--pin", "abcdef"], ["--pin", "3 to 12 decimal digits"]),
        (["--pin", "12"], ["--pin", "3 to 12 decimal digits"]),
        (["--pin", "1" * 20], ["--pin", "3 to 12 decimal digits"]),
        (["--pin", ""], ["--pin", "3 to 12 decimal digits"]),
        (["--profile", "gen9"], ["--profile", "gen9"]),
        (["--profile", "/nonexistent/lab-profile.yaml"], ["--profile", "lab-profile.yaml"]),
        (["--regions", "999999"], ["--regions", "999999", "441800"]),
        (["--keys", "KEYS:format: ssc-keys/1\nnational: 5\n"], ["lab-keys.yaml", "national: expected a mapping"]),
        (["--keys", "KEYS:format: ssc-keys/1\n"], ["--keys", "no national root for 3DES"]),
        (["-k", "PIN and ("], ["-k", "PIN and ("]),
        (["-m", "slow or"], ["-m", "slow or"]),
    ],
    ids=[
        "pin-letters",
        "pin-short",
        "pin-long",
        "pin-empty",
        "profile-name",
        "profile-file",
        "regions",
        "keys-shape",
        "keys-empty",
        "k",
        "m",
    ],
)
def test_a_bad_run_option_is_one_line_exit_2_and_writes_no_report(tmp_path: Path, args: list[str], words: list[str]) -> None:
    args = [_keys(tmp_path, a.removeprefix("KEYS:")) if a.startswith("KEYS:") else a for a in args]
    report_dir = tmp_path / "r"
    code, out, doc, _ = run_cli("run", "-q", *args, "--report-dir", str(report_dir))
    assert_one_line_of_bad_input(code, out, *words)
    assert doc is None and not report_dir.exists()


@pytest.mark.parametrize("kind", ["a-file", "under-a-file", "under-proc"])
def test_an_unusable_report_dir_is_one_line_exit_2(tmp_path: Path, kind: str) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("not a directory", encoding="utf-8")
    target = {"a-file": plain, "under-a-file": plain / "run", "under-proc": Path("/proc/ssc-conform-run")}[kind]
    code, out, _, _ = run_cli("run", "-q", "--tags", "STD-ATR-1", "--report-dir", str(target))
    assert_one_line_of_bad_input(code, out, "--report-dir", str(target))


@pytest.mark.parametrize(
    "name, content",
    [
        ("results.json", b'{"requirements": {"STD-ATR-1": '),
        ("results.json", b"[1, 2, 3]"),
        ("results.json", b'{"requirements": [], "scenarios": {}}'),
        ("results.json", b"\xff\xfe not text"),
        ("mutants.json", b'{"faults": ['),
        ("mutants.json", b'{"faults": 5, "clean": []}'),
    ],
    ids=["results-truncated", "results-list", "results-shape", "results-binary", "mutants-truncated", "mutants-shape"],
)
def test_report_from_a_broken_run_document_is_one_line_exit_2(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / "results.json").write_text('{"requirements": {}, "scenarios": []}', encoding="utf-8")
    (tmp_path / name).write_bytes(content)
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "report", str(tmp_path)], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert_one_line_of_bad_input(proc.returncode, proc.stdout + proc.stderr, name)
    assert not (tmp_path / "report.html").exists()


def test_a_second_run_on_a_report_dir_in_use_is_refused_and_the_first_completes(tmp_path: Path) -> None:
    report_dir = tmp_path / "shared"
    first = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "-q", "--report-dir", str(report_dir)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (report_dir / "allure-results").is_dir() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, "the first run ended before the second could start: nothing was tested"
        code, out, _, _ = run_cli("run", "-q", "--tags", "STD-ATR-1", "--report-dir", str(report_dir))
        assert_one_line_of_bad_input(code, out, "--report-dir", "another ssc-conform run")
        first_out, _ = first.communicate(timeout=240)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, first_out  # a clean full run: 通过
    assert "INTERNALERROR" not in first_out and (report_dir / "allure-results").is_dir() and (report_dir / "evidence.zip").is_file()


def test_help_documents_the_exit_statuses() -> None:
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "--help"], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    text = " ".join(proc.stdout.split())
    assert proc.returncode == 0
    for words in (
        "0 通过 PASS",
        "full card plan",
        "1 不通过 FAIL",
        "2 bad input",
        "3 the run could not complete",
        "4 未完成 INCOMPLETE",
        "partial plan",
    ):
        assert words in text, proc.stdout
