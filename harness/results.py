"""Per-scenario outcomes folded into per-requirement verdicts, written as results.json.

Scenario verdicts (TTCN-3 style):

- ``passed`` — the scenario ran to its end and every check held.
- ``failed`` — the card did something the requirement forbids: an assertion on its answer, a card
  answer the operation could not use (``OperationError``), no answer in time, an over-long answer.
- ``inconclusive`` — the scenario could not reach its precondition or observe its effect, for a
  reason that is not the card's answer (`inconclusive_reason`): it raised
  ``checks.verdicts.Inconclusive``; the try guard refused to send a command that could block a key
  or the PIN (``TryGuardRefusal``: nothing reached the card); an access right could not be granted
  from the profile's rules (``GrantError``: no PIN or no PSAM given, an SM-only or ``never`` rule —
  decided before any command is sent); the lab's PSAM refused (``PsamError``: the lab's equipment
  or keys, not the card); or anything at all went wrong in the scenario's *set-up* phase (its
  fixtures — the harness's own wiring, which runs before any Given step talks to the card), except
  the harness's deliberate "card could not be opened / declaration unusable" failures, which keep
  their verdict. A refused EXTERNAL AUTHENTICATE or VERIFY is the card's answer and fails: one
  63Cx cannot tell a wrong lab key from a wrongly diversified card, and the dedicated
  authentication scenarios (SEC-AUTH-2, SEC-KEY-1) say which. A set-up failure is never reported
  as a card failure.
- ``not-run`` — skipped, with the reason: destructive not opted into, no issuer declaration, the
  card was removed, another generation (then also ``applicable=False``), the run was interrupted.
- ``not-applicable`` — the card's ICS (`harness.ics_options`: an option declared absent) or the
  profile's presence rule says the option the scenario checks is absent from this card: a skip whose
  reason starts with "not applicable: ". An option the ICS does not declare leaves the scenario
  ``not-run`` ("ICS does not declare …").

A requirement is *failed* if any of its applicable scenarios failed; else *inconclusive* if any was
inconclusive; else *not-run* if any applicable scenario did not run; else *passed* when at least one
ran and passed. A requirement none of whose scenarios applies is *not-applicable* when its options
are declared absent, *not-run* (with the reason, e.g. another generation) otherwise; a requirement
without scenarios is *not-run*. Never silently passed (REQUIREMENTS.md). Which requirements a run
must cover, and the overall verdict, are `harness.plan`'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ssc.catalogue import Catalogue

PASSED, FAILED, INCONCLUSIVE, NOT_RUN = "passed", "failed", "inconclusive", "not-run"
NOT_APPLICABLE_VERDICT = "not-applicable"
VERDICTS = (PASSED, FAILED, INCONCLUSIVE, NOT_RUN, NOT_APPLICABLE_VERDICT)
# A skip whose reason starts with this means the scenario does not apply to the card (e.g. its
# file is optional and absent): verdict not-applicable, it neither passes nor blocks its
# requirement. Any other skip leaves the requirement not run.
NOT_APPLICABLE = "not applicable: "


def inconclusive_reason(exc: BaseException) -> str | None:
    """ "inconclusive: …" when `exc` means the scenario could not reach its precondition for a
    reason other than the card's answer (the rule is in the module docstring); None otherwise."""
    from checks.verdicts import Inconclusive
    from terminal.grants import GrantError
    from terminal.psam_client import PsamError
    from terminal.transports.tryguard import TryGuardRefusal

    labels: tuple[tuple[type[BaseException], str], ...] = (
        (Inconclusive, "precondition not reached"),
        (TryGuardRefusal, "the try guard refused to send a command that could block a key or the PIN"),
        (GrantError, "the access right cannot be obtained from the run's inputs"),
        (PsamError, "the lab's PSAM refused"),
    )
    for cls, label in labels:
        if isinstance(exc, cls):
            return f"inconclusive ({label}): {exc}"
    return None


@dataclass
class ScenarioResult:
    id: str  # the test-case ID (``TC-SEC-PIN-1-02``, harness.case_ids); the pytest node id when a case has none
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
    # what a bulk check (SEC-ROB-1's thousands of APDUs) keeps instead of a full trace: its own
    # summary (counts per INS and outcome, the failing APDUs); None for every other scenario
    summary: dict[str, Any] | None = None
    observations: list[dict[str, Any]] = field(default_factory=list)  # what the checks saw (passes too), masked
    node_id: str = ""  # the pytest node id (secondary: changes when a title is reworded)


def requirement_verdicts(
    scenarios: list[ScenarioResult],
    catalogue: Catalogue,
    provenance: Callable[[str], dict[str, Any]] | None = None,
    in_plan: Collection[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Requirement ID → {review, title, scenarios, verdict, reason[, provenance]}; `provenance`
    (requirement ID → how firmly the profile values it rests on are known) is added when given.
    `in_plan`: the requirements of the run's plan (harness.plan), the only ones listed; None lists
    every requirement of the catalogue and of the scenarios."""
    by_req: dict[str, list[ScenarioResult]] = {rid: [] for rid in catalogue.requirements if in_plan is None or rid in in_plan}
    for s in scenarios:
        for rid in s.requirements:
            if in_plan is None or rid in in_plan:
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
        inconclusive = [s for s in applicable if s.verdict == INCONCLUSIVE]
        not_run = [s for s in applicable if s.verdict not in (PASSED, FAILED, INCONCLUSIVE)]
        if not items:
            entry.update(verdict=NOT_RUN, reason="no scenario for this requirement in this suite version or selection")
        elif not applicable:
            declared_absent = [s for s in items if s.verdict == NOT_APPLICABLE_VERDICT]
            entry.update(
                verdict=NOT_APPLICABLE_VERDICT if declared_absent else NOT_RUN,
                reason="; ".join(sorted({s.reason for s in (declared_absent or items)})),
            )
        elif failed:
            entry.update(verdict=FAILED, reason="; ".join(f"{s.name}: {s.reason}" for s in failed))
        elif inconclusive:
            entry.update(verdict=INCONCLUSIVE, reason="; ".join(f"{s.name}: {s.reason}" for s in inconclusive))
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
    verdict: Callable[[dict[str, dict[str, Any]]], dict[str, Any]] | None = None,
    plan: str = "card",
    in_plan: Collection[str] | None = None,
) -> dict[str, Any]:
    """Write results.json; `verdict` (the per-requirement verdicts → the overall ``verdict``
    block, `harness.plan.overall_verdict` bound to the run's plan) puts the overall verdict first.
    `plan` (top-level ``"plan"``: ``card`` or ``reader``) says what the run certifies; `in_plan`
    (that plan's requirements) keeps ``requirements`` to them, the rest being ``out_of_plan``."""
    requirements = requirement_verdicts(scenarios, catalogue, provenance, in_plan)
    doc: dict[str, Any] = {"verdict": verdict(requirements)} if verdict is not None else {}
    doc["plan"] = plan
    doc |= {
        "dut": dut,
        "run": run,
        "requirements": requirements,
        "scenarios": [asdict(s) for s in scenarios],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    return doc


def any_failed(doc: dict[str, Any]) -> bool:
    """True when a requirement failed: a verdict on the card, whatever the plan."""
    return any(r.get("verdict") == FAILED for r in doc.get("requirements", {}).values())
