"""fixtures/apdu_estimates.yaml (bench/measure_apdus.py) covers every case of the suite."""

from __future__ import annotations

from harness.apdu_estimates import load_estimates
from harness.planmake import collect_cases
from ssc.profile import builtin_profiles


def test_every_case_has_a_measured_apdu_count_for_every_generation() -> None:
    estimates = load_estimates()
    ids = {c.id for c in collect_cases()}
    assert len(ids) > 100
    for generation in builtin_profiles():
        counted = set(estimates.generations.get(generation, {}))
        missing, stale = sorted(ids - counted), sorted(counted - ids)
        assert not missing and not stale, (
            f"{generation}: fixtures/apdu_estimates.yaml is out of date (run .venv/bin/python bench/measure_apdus.py): "
            f"{len(missing)} case(s) without a count, e.g. {missing[:3]}; {len(stale)} count(s) of no case, e.g. {stale[:3]}"
        )
