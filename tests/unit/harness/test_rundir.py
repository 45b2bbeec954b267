"""Run directories: reports/<run-id>/ with reports/latest swapped atomically once the run has
finished writing; --report-dir exact; one run at a time per directory; unusable directories are one
line of bad input."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from harness.exitstatus import UsageError
from harness.rundir import LOCK_NAME, RunDirError, new_run_id, open_run_dir, point_latest


def test_run_id_is_the_utc_start_time_and_a_suffix() -> None:
    when = datetime.datetime(2026, 11, 23, 18, 15, 0, tzinfo=datetime.UTC)
    run_id = new_run_id(when)
    assert re.fullmatch(r"20261123T181500Z-[0-9a-f]{4}", run_id)
    assert len({new_run_id(when) for _ in range(8)}) > 1  # the suffix tells same-second runs apart


def test_each_run_gets_a_directory_and_latest_follows_once_it_finished(tmp_path: Path) -> None:
    latest = tmp_path / "latest"
    with open_run_dir(None, "20260101T000000Z-aaaa", base=tmp_path) as first:
        assert first == tmp_path / "20260101T000000Z-aaaa" and first.is_dir()
        assert not latest.exists() and not latest.is_symlink()  # nothing finished yet
    assert latest.is_symlink() and latest.resolve() == first.resolve()
    assert not Path(str(latest.readlink())).is_absolute()
    with open_run_dir(None, "20260101T000001Z-bbbb", base=tmp_path) as second:
        assert latest.resolve() == first.resolve()  # still the finished run while this one writes
    assert latest.resolve() == second.resolve() and first.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20260101T000000Z-aaaa", "20260101T000001Z-bbbb", "latest"]


def test_latest_stays_on_the_last_finished_run_when_a_run_breaks_off(tmp_path: Path) -> None:
    with open_run_dir(None, "20260101T000000Z-aaaa", base=tmp_path) as first:
        pass
    with pytest.raises(KeyboardInterrupt), open_run_dir(None, "20260101T000001Z-bbbb", base=tmp_path):
        raise KeyboardInterrupt
    assert (tmp_path / "latest").resolve() == first.resolve()


def test_a_real_latest_directory_of_an_older_version_is_moved_aside(tmp_path: Path) -> None:
    old = tmp_path / "latest"
    old.mkdir()
    (old / "results.json").write_text("{}")
    run = tmp_path / "20260101T000000Z-aaaa"
    run.mkdir()
    point_latest(tmp_path, run)
    assert (tmp_path / "latest").is_symlink()
    aside = [p for p in tmp_path.iterdir() if p.name.endswith("-old-latest")]
    assert len(aside) == 1 and (aside[0] / "results.json").read_text() == "{}"


def test_an_explicit_report_dir_is_used_as_is_and_cleared_of_old_artefacts(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    (target / "allure-results").mkdir(parents=True)
    (target / "allure-results" / "x-result.json").write_text("{}")
    for name in ("results.json", "evidence.zip", "report.html", "notes.txt"):
        (target / name).write_text("old")
    with open_run_dir(target, "20260101T000000Z-aaaa", base=tmp_path / "reports") as run_dir:
        assert run_dir == target
        assert sorted(p.name for p in target.iterdir()) == sorted([LOCK_NAME, "notes.txt"])
    assert not (tmp_path / "reports").exists()


def test_a_second_run_on_a_directory_in_use_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    target = tmp_path / "shared"
    with open_run_dir(target, "20260101T000000Z-aaaa") as run_dir:
        (run_dir / "allure-results").mkdir()
        (run_dir / "results.json").write_text("first")
        with pytest.raises(RunDirError) as info, open_run_dir(target, "20260101T000001Z-bbbb"):
            pytest.fail("the second run must not get the directory")
        assert "another ssc-conform run" in str(info.value) and str(target) in str(info.value)
        assert isinstance(info.value, UsageError)
        assert (run_dir / "allure-results").is_dir() and (run_dir / "results.json").read_text() == "first"
    with open_run_dir(target, "20260101T000002Z-cccc"):  # free again once the first run is done
        assert not (target / "results.json").exists()


def _a_file(tmp_path: Path) -> Path:
    path = tmp_path / "plain.txt"
    path.write_text("not a directory")
    return path


@pytest.mark.parametrize(
    "where, words",
    [
        (lambda tmp: _a_file(tmp), "not a directory"),
        (lambda tmp: _a_file(tmp) / "run", "not a directory"),
        (lambda tmp: Path("/proc/ssc-conform-run"), "cannot create"),
        (lambda tmp: Path("/proc/self"), "cannot"),
    ],
    ids=["a-file", "under-a-file", "under-proc", "unwritable"],
)
def test_an_unusable_report_dir_is_one_line_of_bad_input(tmp_path: Path, where: object, words: str) -> None:
    target = where(tmp_path)  # type: ignore[operator]  # the parametrized path builder is typed loosely by the table
    with pytest.raises(RunDirError) as info, open_run_dir(target, "20260101T000000Z-aaaa"):
        pytest.fail("an unusable directory must be refused")
    text = str(info.value)
    assert text.startswith(f"--report-dir {target}") and words in text and "\n" not in text, text
