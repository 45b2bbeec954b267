"""The test plan a lab prints and cites: every case, what it checks, whether it runs, what it costs.

A row per test case of the chosen plan (the card plan: STD, SEC, INT, PER; the reader plan: RDR,
`harness.plan`): its ID (`harness.cases`), requirement(s), clause, title, the flags that decide how
it may run (destructive, slow, needs a PSAM, needs the issuer declaration), its applicability to
this card under this ICS, the APDUs it sent on the reference card (`harness.apdu_estimates`) and
the time those take at a per-APDU latency. A requirement of the plan with no case in this suite
version gets a row of its own, so the plan shows what is not covered.

Applicability follows the run's own rules, in the run's order: another generation → not run;
@destructive without --allow-destructive on a card in a reader → not run; the ICS
(`harness.ics_options`): option declared absent → not applicable, not declared → not run; a PER
case without an issuer declaration → not run. What only the card's answers decide (a file absent
from the card, the card removed) is not in the plan.

`ssc-conform plan` prints it and writes plan.csv; a run stores the plan it executed in
results.json (``plan``) and report.html shows it beside the results.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TextIO

from harness.apdu_estimates import ApduEstimates
from harness.cases import Case
from harness.ics import Ics
from harness.ics_options import ABSENT, UNDECLARED, decide
from harness.plan import CARD_REVIEWS, READER_REVIEWS
from harness.tags import GENERATION_TAGS
from ssc.catalogue import Catalogue
from ssc.profile.model import Profile

__all__ = [
    "DEFAULT_LATENCY_MS",
    "PLANS",
    "PlanRow",
    "TestPlan",
    "build_test_plan",
    "print_plan",
    "write_csv",
]

# Per-APDU latency of a plan made without a card to measure: a contact reader at 9600 baud answers
# a short command in roughly 10–30 ms; the lab measures its own with --card or gives --latency-ms.
DEFAULT_LATENCY_MS = 20.0
PLANS = {"card": CARD_REVIEWS, "reader": READER_REVIEWS, "all": CARD_REVIEWS + READER_REVIEWS}
RUNS, NOT_APPLICABLE, NOT_RUN = "runs", "not-applicable", "not-run"
DECLARATION_REVIEW = "PER"
NO_DECLARATION = "no issuer declaration given (--declaration, or the ICS's declaration)"
DESTRUCTIVE = "destructive (blocks or irreversibly changes the card): not run without --allow-destructive"
NO_CASE = "no scenario in this suite version"


@dataclass(frozen=True)
class PlanRow:
    id: str  # the test-case ID (harness.cases), the key results.json's scenarios share; "" for a requirement without a case
    requirements: str
    clause: str
    title: str
    feature: str
    destructive: bool
    slow: bool
    needs_psam: bool
    needs_declaration: bool
    applicability: str  # RUNS / NOT_APPLICABLE / NOT_RUN
    reason: str
    apdus: int | None  # measured on the reference card; None: no measurement for this case
    duration_s: float | None  # apdus × latency


@dataclass(frozen=True)
class TestPlan:
    of: str  # card / reader
    generation: str
    ics: str | None  # the ICS file, or None
    latency_ms: float
    latency_source: str  # "measured on …" / "--latency-ms" / "default"
    rows: tuple[PlanRow, ...]

    @property
    def running(self) -> list[PlanRow]:
        return [r for r in self.rows if r.applicability == RUNS]

    def totals(self) -> dict[str, Any]:
        run = self.running
        return {
            "cases": sum(1 for r in self.rows if r.id),
            "runs": len(run),
            "not_applicable": sum(1 for r in self.rows if r.applicability == NOT_APPLICABLE),
            "not_run": sum(1 for r in self.rows if r.id and r.applicability == NOT_RUN),
            "requirements_without_case": [r.requirements for r in self.rows if not r.id],
            "apdus": sum(r.apdus or 0 for r in run),
            "duration_s": round(sum(r.duration_s or 0.0 for r in run), 1),
            "unmeasured": [r.id for r in run if r.apdus is None],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "of": self.of,
            "generation": self.generation,
            "ics": self.ics,
            "latency_ms": self.latency_ms,
            "latency_source": self.latency_source,
            "totals": self.totals(),
            "rows": [_row_dict(r) for r in self.rows],
        }


_ROW_FIELDS = tuple(f.name for f in fields(PlanRow))


def _row_dict(row: PlanRow) -> dict[str, Any]:
    """A row as a flat dict (dataclasses.asdict deep-copies, and a run makes one per case)."""
    return {name: getattr(row, name) for name in _ROW_FIELDS}


def _clause(catalogue: Catalogue, rids: Sequence[str]) -> str:
    """The clause of each requirement: the catalogue's `clause` where it has one, else its reference."""
    out = []
    for rid in rids:
        req = catalogue.requirements.get(rid)
        if req is not None:
            clause = getattr(req, "clause", None) or req.ref
            out.append(f"{rid}: {clause}" if len(rids) > 1 else str(clause))
    return "; ".join(out)


def _applicability(
    case: Case, profile: Profile, ics: Ics | None, *, allow_destructive: bool, declaration: bool, catalogue: Catalogue
) -> tuple[str, str]:
    gens = [t for t in case.tags if t in GENERATION_TAGS]
    if gens and profile.name not in gens:
        return NOT_RUN, f"applies to {'/'.join(gens)} only; the card under test is {profile.name}"
    if "destructive" in case.tags and not allow_destructive:
        return NOT_RUN, DESTRUCTIVE
    decision = decide(ics, profile, case.tags, case.params)
    if decision is not None and decision.outcome == ABSENT:
        return NOT_APPLICABLE, decision.reason
    if decision is not None and decision.outcome == UNDECLARED:
        return NOT_RUN, decision.reason
    if _needs_declaration(case, catalogue) and not declaration:
        return NOT_RUN, NO_DECLARATION
    return RUNS, decision.reason if decision is not None else ""


def _needs_declaration(case: Case, catalogue: Catalogue) -> bool:
    return any(catalogue.review_of(r) == DECLARATION_REVIEW for r in case.requirements)


def build_test_plan(
    cases: Iterable[Case],
    catalogue: Catalogue,
    profile: Profile,
    ics: Ics | None,
    estimates: ApduEstimates | None,
    *,
    of: str = "card",
    allow_destructive: bool,
    declaration: bool,
    latency_ms: float,
    latency_source: str,
) -> TestPlan:
    """The plan `of` ("card" or "reader") for a card of `profile` under `ics`."""
    reviews = PLANS[of]
    rows: list[PlanRow] = []
    covered: set[str] = set()
    for case in cases:
        rids = [r for r in case.requirements if catalogue.review_of(r) in reviews]
        if not rids:
            continue
        covered.update(rids)
        applicability, reason = _applicability(
            case, profile, ics, allow_destructive=allow_destructive, declaration=declaration, catalogue=catalogue
        )
        count = estimates.count(profile.name, case.id) if estimates is not None else None
        apdus = count.apdus if count is not None else None
        rows.append(
            PlanRow(
                id=case.id,
                requirements=" ".join(rids),
                clause=_clause(catalogue, rids),
                title=case.name,
                feature=case.feature,
                destructive="destructive" in case.tags,
                slow="slow" in case.tags,
                needs_psam=case.uses_psam,
                needs_declaration=_needs_declaration(case, catalogue),
                applicability=applicability,
                reason=reason,
                apdus=apdus,
                duration_s=round(apdus * latency_ms / 1000, 2) if apdus is not None else None,
            )
        )
    order = {rid: n for n, rid in enumerate(catalogue.requirements)}
    rows.sort(key=lambda r: order.get(r.requirements.split(" ")[0], len(order)))  # stable: collection order within a requirement
    for rid, req in catalogue.requirements.items():
        if req.review in reviews and rid not in covered:
            rows.append(
                PlanRow("", rid, _clause(catalogue, [rid]), req.title.zh, "", False, False, False, False, NOT_RUN, NO_CASE, None, None)
            )
    return TestPlan(of, profile.name, str(ics.path) if ics is not None else None, latency_ms, latency_source, tuple(rows))


CSV_COLUMNS = (
    "id",
    "requirements",
    "clause",
    "title",
    "feature",
    "destructive",
    "slow",
    "needs_psam",
    "needs_declaration",
    "applicability",
    "reason",
    "apdus",
    "duration_s",
)


def write_csv(plan: TestPlan, path: Path) -> None:
    """plan.csv: one row per case (UTF-8 with BOM, so a spreadsheet opens the Chinese titles)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for row in plan.rows:
        values = _row_dict(row)
        writer.writerow(["yes" if v is True else "no" if v is False else "" if v is None else v for v in (values[c] for c in CSV_COLUMNS)])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8-sig")


def _flags(row: PlanRow) -> str:
    return "".join(
        c if on else "·" for c, on in (("D", row.destructive), ("S", row.slow), ("P", row.needs_psam), ("Q", row.needs_declaration))
    )


def print_plan(plan: TestPlan, out: TextIO) -> None:
    """The plan as a console table, then its totals."""
    t = plan.totals()
    print(
        f"检测计划 test plan: {plan.of} plan, {plan.generation}; ICS: {plan.ics or 'none'}; "
        f"latency {plan.latency_ms:g} ms/APDU ({plan.latency_source})",
        file=out,
    )
    print("flags: D destructive, S slow, P needs a PSAM, Q needs the issuer declaration", file=out)
    print(f"{'case':<44}  {'requirement':<12}  {'flags':<5}  {'applicability':<14}  {'APDUs':>6}  {'est. s':>7}  title / reason", file=out)
    for r in plan.rows:
        apdus = "?" if r.apdus is None else str(r.apdus)
        secs = "?" if r.duration_s is None else f"{r.duration_s:.2f}"
        note = r.title + (f" — {r.reason}" if r.reason and r.applicability != RUNS else "")
        print(
            f"{_short(r.id or '—', 44):<44}  {r.requirements:<12}  {_flags(r):<5}  {r.applicability:<14}  {apdus:>6}  {secs:>7}  {note}",
            file=out,
        )
    print(
        f"{t['cases']} cases: {t['runs']} run, {t['not_applicable']} not applicable, {t['not_run']} not run"
        f" ({len(t['requirements_without_case'])} requirement(s) of the plan without a case); "
        f"{t['apdus']} APDUs, about {t['duration_s']:.0f} s at {plan.latency_ms:g} ms/APDU"
        + (f" ({len(t['unmeasured'])} running case(s) without a measured APDU count)" if t["unmeasured"] else ""),
        file=out,
    )


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]
