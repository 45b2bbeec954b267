"""Run directories: reports/<run-id>/ with reports/latest swapped atomically; --report-dir exact."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from harness.rundir import new_run_id, point_latest, prepare_run_dir


def test_run_id_is_the_utc_start_time_and_a_suffix() -> None:
    when = datetime.datetime(2026, 11, 23, 18, 15, 0, tzinfo=datetime.UTC)
    run_id = new_run_id(when)
    assert re.fullmatch(r"20261123T181500Z-[0-9a-f]{4}", run_id)
    assert len({new_run_id(when) for _ in range(8)}) > 1  # the suffix tells same-second runs apart


def test_each_run_gets_a_directory_and_latest_follows(tmp_path: Path) -> None:
    first = prepare_run_dir(None, "20260101T000000Z-aaaa", base=tmp_path)
    assert first == tmp_path / "20260101T000000Z-aaaa" and first.is_dir()
    latest = tmp_path / "latest"
    assert latest.is_symlink() and latest.resolve() == first.resolve()
    assert not Path(str(latest.readlink())).is_absolute()
    second = prepare_run_dir(None, "20260101T000001Z-bbbb", base=tmp_path)
    assert latest.resolve() == second.resolve() and first.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["20260101T000000Z-aaaa", "20260101T000001Z-bbbb", "latest"]


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
    assert prepare_run_dir(target, "20260101T000000Z-aaaa", base=tmp_path / "reports") == target
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    assert not (tmp_path / "reports").exists()
