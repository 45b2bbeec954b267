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

__all__ = ["TC_PREFIX", "Case", "case_ids", "cases_of"]

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
    from harness.plugin import _example_params, _is_scenario, _scenario_names, _tags
    from ssc.catalogue import load_catalogue

    catalogue = load_catalogue()
    scenarios = [item for item in items if _is_scenario(item)]
    tags_of = [sorted(_tags(item)) for item in scenarios]
    ids = case_ids([(item.nodeid, tags) for item, tags in zip(scenarios, tags_of, strict=True)])
    out = []
    for item, tags, cid in zip(scenarios, tags_of, ids, strict=True):
        params = _example_params(item)
        feature, name = _scenario_names(item)
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
