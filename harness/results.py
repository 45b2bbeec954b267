"""Per-scenario outcomes folded into per-requirement verdicts, written as results.json.

A requirement passes only when every one of its scenarios that applies to the card ran and passed;
it fails when any scenario failed; otherwise it is *not run*, with the reasons of the scenarios that
did not run — never silently passed (REQUIREMENTS.md). A scenario for another generation does not
apply to the card and neither passes nor blocks the requirement; a destructive scenario not opted
into does apply, so its requirement stays *not run*.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ssc.catalogue import Catalogue

PASSED, FAILED, NOT_RUN = "passed", "failed", "not-run"
# A skip whose reason starts with this means the scenario does not apply to the card (e.g. its
# file is optional and absent): like a scenario of another generation, it neither passes nor
# blocks its requirement. Any other skip leaves the requirement not run.
NOT_APPLICABLE = "not applicable: "


@dataclass
class ScenarioResult:
    id: str  # pytest node id
    feature: str
    name: str
    requirements: list[str]
    tags: list[str]
    verdict: str
    reason: str = ""
    duration_s: float = 0.0
    apdus: int = 0
    resets: int = 0
    applicable: bool = True  # False: the scenario does not apply to this card (e.g. another generation)
    trace: list[dict[str, Any]] = field(default_factory=list)


def requirement_verdicts(
    scenarios: list[ScenarioResult], catalogue: Catalogue, provenance: Callable[[str], dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """Requirement ID → {review, title, scenarios, verdict, reason[, provenance]}; `provenance`
    (requirement ID → how firmly the profile values it rests on are known) is added when given."""
    by_req: dict[str, list[ScenarioResult]] = {rid: [] for rid in catalogue.requirements}
    for s in scenarios:
        for rid in s.requirements:
            by_req.setdefault(rid, []).append(s)
    out: dict[str, dict[str, Any]] = {}
    for rid, items in by_req.items():
        req = catalogue.requirements.get(rid)
        entry: dict[str, Any] = {
            "review": rid.split("-", 1)[0],
            "title": {"zh": req.title.zh, "en": req.title.en} if req else None,
            "scenarios": [s.id for s in items],
        }
        applicable = [s for s in items if s.applicable]
        failed = [s for s in applicable if s.verdict == FAILED]
        not_run = [s for s in applicable if s.verdict == NOT_RUN]
        if not items:
            entry.update(verdict=NOT_RUN, reason="no scenario for this requirement in this suite version or selection")
        elif not applicable:
            entry.update(verdict=NOT_RUN, reason="; ".join(sorted({s.reason for s in items})))
        elif failed:
            entry.update(verdict=FAILED, reason="; ".join(f"{s.name}: {s.reason}" for s in failed))
        elif not_run:
            entry.update(verdict=NOT_RUN, reason="; ".join(sorted({f"{s.name}: {s.reason}" for s in not_run})))
        else:
            skipped = len(items) - len(applicable)
            entry.update(
                verdict=PASSED,
                reason=f"{len(applicable)} scenario(s) passed" + (f"; {skipped} not applicable to this card" if skipped else ""),
            )
        if provenance is not None and req is not None:
            entry["provenance"] = provenance(rid)
        out[rid] = entry
    return out


def write_results(
    path: Path,
    dut: dict[str, Any],
    run: dict[str, Any],
    scenarios: list[ScenarioResult],
    catalogue: Catalogue,
    provenance: Callable[[str], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    doc = {
        "dut": dut,
        "run": run,
        "requirements": requirement_verdicts(scenarios, catalogue, provenance),
        "scenarios": [asdict(s) for s in scenarios],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    return doc


def run_passed(doc: dict[str, Any]) -> bool:
    """True when every requirement that ran passed (and at least one ran)."""
    verdicts = [r["verdict"] for r in doc["requirements"].values()]
    return FAILED not in verdicts and PASSED in verdicts
