"""Test cases as a lab cites them: one per collected scenario (one per example row of an outline).

A case's ID is its ``@TC-…`` tag (`harness.case_ids`: every scenario and every example row carries
its own); a scenario without one — a suite that has not run ``scripts/assign-case-ids`` — is named
by its pytest node id. The plan, results.json (``id``) and the APDU estimates all key cases by this
one ID, so they join on it and nothing else needs to know which of the two it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

__all__ = ["Case", "case_id", "cases_of", "example_params", "is_scenario", "item_tags", "scenario_names"]

PSAM_WORD = "PSAM"  # a step naming the PSAM needs one (software by default, a lab's hardware PSAM with --psam)


@dataclass(frozen=True)
class Case:
    """One collected scenario, with what the plan needs to know without running it."""

    id: str  # the test-case ID (`case_id`)
    node_id: str
    feature: str
    name: str
    requirements: tuple[str, ...]
    tags: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)  # the example row of an outline
    uses_psam: bool = False


def is_scenario(item: pytest.Item) -> bool:
    """pytest-bdd scenario functions all request its `_pytest_bdd_example` fixture."""
    return "_pytest_bdd_example" in getattr(item, "fixturenames", ())


def scenario_names(item: pytest.Item) -> tuple[str, str]:
    """(feature name, scenario name with outline parameters filled in)."""
    try:
        from pytest_bdd.scenario import scenario_wrapper_template_registry

        template = scenario_wrapper_template_registry[item.obj]  # type: ignore[attr-defined]  # pytest-bdd items are Functions
        example = item.callspec.params.get("_pytest_bdd_example", {}) if hasattr(item, "callspec") else {}
        return template.feature.name, template.render(example).name
    except (ImportError, KeyError, AttributeError):
        feature, _, name = (item.obj.__doc__ or item.name).partition(": ")  # type: ignore[attr-defined]  # as above
        return feature, name or item.name


def item_tags(item: pytest.Item) -> set[str]:
    return {m.name for m in item.iter_markers()}


def example_params(item: pytest.Item) -> dict[str, Any]:
    """The example row of a scenario outline (column → value); {} for a plain scenario."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params.get("_pytest_bdd_example", {}) if callspec is not None else {}
    return dict(params) if isinstance(params, dict) else {}


def case_id(node_id: str, tags: Iterable[str]) -> str:
    """The ID of the case with pytest node id `node_id` and these tags (see the module docstring)."""
    from harness.case_ids import case_id_of

    return case_id_of(tags) or node_id


def _uses_psam(item: pytest.Item, params: dict[str, Any]) -> bool:
    try:
        from pytest_bdd.scenario import scenario_wrapper_template_registry

        template = scenario_wrapper_template_registry[item.obj]  # type: ignore[attr-defined]  # pytest-bdd items are Functions
        return any(PSAM_WORD in step.name for step in template.render(params).steps)
    except (ImportError, KeyError, AttributeError):
        return False


def cases_of(items: Sequence[pytest.Item]) -> list[Case]:
    """The scenarios among `items` as cases (collection order)."""
    from ssc.catalogue import load_catalogue

    catalogue = load_catalogue()
    scenarios = [item for item in items if is_scenario(item)]
    out = []
    for item in scenarios:
        tags = sorted(item_tags(item))
        params = example_params(item)
        feature, name = scenario_names(item)
        out.append(
            Case(
                id=case_id(item.nodeid, tags),
                node_id=item.nodeid,
                feature=feature,
                name=name,
                requirements=tuple(t for t in tags if catalogue.is_requirement(t)),
                tags=tuple(tags),
                params={str(k): str(v) for k, v in params.items()},
                uses_psam=_uses_psam(item, params),
            )
        )
    return out
