"""Test cases as a lab cites them: one per collected scenario (one per example row of an outline).

A case's ID is its ``@TC-…`` tag when the scenario carries one (an outline's rows share the tag,
so each row gets ``#<n>``, n counting from 1 in collection order); without a tag it is the pytest
node id. The plan, results.json and the APDU estimates all key cases by this ID, so nothing else
needs to know which of the two it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

__all__ = ["TC_PREFIX", "Case", "case_ids", "cases_of", "example_params", "is_scenario", "item_tags", "scenario_names"]

TC_PREFIX = "TC-"
PSAM_WORD = "PSAM"  # a step naming the PSAM needs one (software by default, a lab's hardware PSAM with --psam)


@dataclass(frozen=True)
class Case:
    """One collected scenario, with what the plan needs to know without running it."""

    case_id: str
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


def _tc_tag(tags: Iterable[str]) -> str | None:
    return next((t for t in sorted(tags) if t.startswith(TC_PREFIX)), None)


def case_ids(entries: Sequence[tuple[str, Iterable[str]]]) -> list[str]:
    """(node id, tags) in collection order → the case ID of each (see the module docstring)."""
    tcs = [_tc_tag(tags) for _, tags in entries]
    shared = Counter(t for t in tcs if t is not None)
    seen: Counter[str] = Counter()
    out = []
    for (node_id, _), tc in zip(entries, tcs, strict=True):
        if tc is None:
            out.append(node_id)
        elif shared[tc] == 1:
            out.append(tc)
        else:
            seen[tc] += 1
            out.append(f"{tc}#{seen[tc]}")
    return out


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
    tags_of = [sorted(item_tags(item)) for item in scenarios]
    ids = case_ids([(item.nodeid, tags) for item, tags in zip(scenarios, tags_of, strict=True)])
    out = []
    for item, tags, cid in zip(scenarios, tags_of, ids, strict=True):
        params = example_params(item)
        feature, name = scenario_names(item)
        out.append(
            Case(
                case_id=cid,
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
