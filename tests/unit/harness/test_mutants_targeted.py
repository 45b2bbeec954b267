"""`ssc-conform mutants` runs each mutant on the requirements that name its fault only (targeted),
the clean cards on the whole suite; `--full-suite` runs mutants on the whole suite. The children
are stood in for by a function that writes a results.json, so the plumbing is tested without a
suite run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness import mutants
from harness.tags import known_tags, to_marker_expression
from reference_card import FAULTS


def test_a_targeted_run_selects_exactly_the_requirements_naming_the_fault() -> None:
    assert mutants.targets("pin_counter_not_decremented") == "SEC-PIN-1"
    known = known_tags()
    for name, fault in FAULTS.items():
        expression = mutants.targets(name)
        assert expression.split(" or ") == list(fault.requirement_ids), name
        to_marker_expression(expression, known)  # a valid --tags expression: every ID is a known tag


def test_parallel_runs_default_to_the_cpus_available() -> None:
    assert 1 <= mutants.default_jobs() <= (os.cpu_count() or 1)


def _fake_child(generation: str, fault: str | None, report_dir: str, log_path: str, tags: str | None = None) -> None:
    """What a run writes, with the tag expression it was given recorded as its one requirement."""
    doc = {"requirements": {"SEC-PIN-1": {"verdict": "failed" if fault else "passed", "scenarios": ["x"]}}, "scenarios": []}
    doc["verdict"] = {"not_run": [], "inconclusive": []}
    Path(report_dir, "results.json").write_text(json.dumps(doc), encoding="utf-8")
    Path(log_path).write_text(str(tags), encoding="utf-8")
    os._exit(1 if fault else 0)


@pytest.mark.parametrize("full_suite", [False, True])
def test_mutants_get_their_tags_and_the_clean_cards_the_whole_suite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_suite: bool
) -> None:
    monkeypatch.setattr(mutants, "_child", _fake_child)
    monkeypatch.setattr(mutants, "_preload", lambda generations: None)
    runs = [("gen2", None), ("gen2", "pin_counter_not_decremented")]
    clean, mutant = mutants.run_all(runs, tmp_path, jobs=2, full_suite=full_suite)
    assert clean.tags is None and (tmp_path / "mutants" / "gen2-clean" / "run.log").read_text() == "None"
    expected = None if full_suite else "SEC-PIN-1"
    assert mutant.tags == expected and mutant.failed_requirements == ["SEC-PIN-1"] and mutant.error is None
    _, verdicts = mutants.evaluate([clean, mutant])
    assert [v.verdict for v in verdicts] == [mutants.CAUGHT]
