"""The test plan a run is judged against, and the overall verdict a lab can sign.

A card and a reader are certified by different plans. The *card plan* is every requirement of the
card reviews (STD, SEC, INT, PER) that applies to the card's generation; the *reader plan* is RDR.
`ssc-conform run` tests a card, so its overall verdict is always against the card plan: RDR
requirements never make a card run incomplete, and a card run never certifies a reader. A run's
per-requirement verdicts (results.json ``requirements``, the console tables, report.html) hold the
requirements of its own plan only; the other plan's requirements, and a card plan's requirements of
other generations, are named once, in ``verdict.out_of_plan`` (`out_of_plan_line`).

A requirement is in generation g's plan unless this suite has scenarios for it and every one of
them is tagged for other generations (e.g. SEC-AC-7, gen3 only, is not in the gen2 plan): such a
requirement cannot be checked on a card of g and does not apply to it. A requirement with no
scenario at all in this suite version (none of the card plan today; SEC-TEAR-1/2 and SEC-ROB-1 were the last) stays in the plan — the
standard asks for it whatever this suite covers — so a full card run is 未完成 until its scenarios
land. That is the honest answer: the suite has not checked everything the card must do.

The overall verdict (results.json ``verdict``, the top of the console summary and of report.html):

- ``fail`` (不通过) when any requirement failed, whatever the plan;
- ``pass`` (通过) only when the plan is full (no --tags, -k or -m), the run was not interrupted,
  and every requirement of the plan passed or does not apply to the card (its ICS declares the
  option absent);
- ``incomplete`` (未完成) otherwise, listing each requirement of the plan that did not run or was
  inconclusive, with the reason.

A partial plan never yields ``pass`` and never a certification statement, however green it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.results import FAILED, INCONCLUSIVE, NOT_APPLICABLE_VERDICT, NOT_RUN, PASSED
from harness.tags import GENERATION_TAGS
from ssc.catalogue import Catalogue

__all__ = [
    "CARD_REVIEWS",
    "READER_REVIEWS",
    "Plan",
    "card_plan",
    "certification_statement",
    "out_of_plan_line",
    "overall_verdict",
    "reader_plan",
]

CARD_REVIEWS = ("STD", "SEC", "INT", "PER")
READER_REVIEWS = ("RDR",)
PASS, FAIL, INCOMPLETE = "pass", "fail", "incomplete"
FULL, PARTIAL = "full", "partial"
NO_SCENARIO = "no scenario in this suite version: a full run stays 未完成 until its issue lands"
DESELECTED = "deselected (--tags/-k/-m): not in this partial run"
VERDICT_TEXT = {PASS: ("通过", "PASS"), FAIL: ("不通过", "FAIL"), INCOMPLETE: ("未完成", "INCOMPLETE")}
PLAN_TEXT = {FULL: ("完整", "full"), PARTIAL: ("部分", "partial")}


@dataclass(frozen=True)
class Plan:
    """The requirements a card of `generation` is certified against (catalogue order)."""

    generation: str
    requirements: tuple[str, ...]
    without_scenario: tuple[str, ...]  # in the plan, but no scenario of this suite version checks them
    other_generation: tuple[str, ...]  # card-review requirements left out: every scenario is for another generation
    of: str = "card"
    other_plan: tuple[str, ...] = ()  # the other plan's requirements (the reader plan's for a card, the card plan's for a reader)


def card_plan(catalogue: Catalogue, suite: Iterable[Iterable[str]], generation: str) -> Plan:
    """The card plan for `generation`, from the catalogue and the tags of every scenario of the
    suite as collected (before --tags/-k/-m deselect any): a narrowed run is judged against the
    same plan as a full one, so what it left out shows up as not run."""
    gens_of: dict[str, list[set[str]]] = {}
    for tags in suite:
        tagset = set(tags)
        gens = tagset & set(GENERATION_TAGS)
        for rid in tagset:
            if catalogue.is_requirement(rid):
                gens_of.setdefault(rid, []).append(gens)
    inside, without, other = [], [], []
    for rid, req in catalogue.requirements.items():
        if req.review not in CARD_REVIEWS:
            continue
        scenarios = gens_of.get(rid, [])
        if not scenarios:
            without.append(rid)
            inside.append(rid)
        elif all(gens and generation not in gens for gens in scenarios):
            other.append(rid)
        else:
            inside.append(rid)
    readers = tuple(rid for rid, req in catalogue.requirements.items() if req.review in READER_REVIEWS)
    return Plan(generation, tuple(inside), tuple(without), tuple(other), other_plan=readers)


def reader_plan(catalogue: Catalogue, suite: Iterable[Iterable[str]], generation: str) -> Plan:
    """The reader plan: every requirement of the reader review (RDR), whatever the card in the
    reader; one without a scenario in this suite version stays in the plan (the run is 未完成).
    `generation` is that of the known card the reader holds (recorded, not a filter)."""
    covered = {tag for tags in suite for tag in tags}
    inside = [rid for rid, req in catalogue.requirements.items() if req.review in READER_REVIEWS]
    cards = tuple(rid for rid, req in catalogue.requirements.items() if req.review in CARD_REVIEWS)
    return Plan(generation, tuple(inside), tuple(rid for rid in inside if rid not in covered), (), of="reader", other_plan=cards)


def overall_verdict(
    plan: Plan, requirements: Mapping[str, Mapping[str, Any]], *, partial: bool, interrupted: bool = False
) -> dict[str, Any]:
    """The ``verdict`` block of results.json for the folded per-requirement `requirements`."""

    def listed(rids: Iterable[str], why: Any = None) -> list[dict[str, str]]:
        return [{"requirement": rid, "reason": why(rid) if why else str(requirements.get(rid, {}).get("reason", ""))} for rid in rids]

    def verdict_of(rid: str) -> str:
        return str(requirements.get(rid, {}).get("verdict", NOT_RUN))

    def not_run_reason(rid: str) -> str:
        if rid in plan.without_scenario:
            return NO_SCENARIO
        entry = requirements.get(rid, {})
        if not entry.get("scenarios"):
            return DESELECTED
        return str(entry.get("reason", ""))

    failed = [rid for rid in requirements if verdict_of(rid) == FAILED]
    in_plan = plan.requirements
    not_run = [rid for rid in in_plan if verdict_of(rid) not in (PASSED, FAILED, INCONCLUSIVE, NOT_APPLICABLE_VERDICT)]
    inconclusive = [rid for rid in in_plan if verdict_of(rid) == INCONCLUSIVE]
    if failed:
        overall = FAIL
    elif partial or interrupted or not in_plan or not_run or inconclusive:
        overall = INCOMPLETE
    else:
        overall = PASS
    return {
        "overall": overall,
        "plan": PARTIAL if partial else FULL,
        "plan_of": plan.of,
        "generation": plan.generation,
        "requirements": len(in_plan),
        "passed": sum(1 for rid in in_plan if verdict_of(rid) == PASSED),
        "failed": listed(failed),
        "not_run": listed(not_run, not_run_reason),
        "inconclusive": listed(inconclusive),
        "not_applicable": listed(rid for rid in in_plan if verdict_of(rid) == NOT_APPLICABLE_VERDICT),
        "out_of_plan": (
            {"card_plan": list(plan.other_plan)}
            if plan.of == "reader"
            else {"other_generation": list(plan.other_generation), "reader_plan": list(plan.other_plan)}
        ),
    }


def out_of_plan_line(verdict: Mapping[str, Any]) -> str | None:
    """The one line (Chinese, then English) naming what the run's plan leaves out — the other
    plan's requirements, and the card plan's of other generations — shown under the verdict in the
    console summary and report.html alike; None when nothing is left out."""
    out = verdict.get("out_of_plan")
    if not isinstance(out, Mapping):
        return None
    zh, en = [], []
    readers = [str(r) for r in out.get("reader_plan") or []]
    if readers:
        zh.append(f"读写器检测计划的 {len(readers)} 个检测项目（{', '.join(readers)}；以 --plan reader 检测）")
        en.append(f"the reader plan's {len(readers)} requirements ({', '.join(readers)}; run --plan reader)")
    cards = [str(r) for r in out.get("card_plan") or []]
    if cards:
        reviews = "、".join(CARD_REVIEWS)
        zh.append(f"卡检测计划（{reviews}）的 {len(cards)} 个检测项目（以 --plan card 检测）")
        en.append(f"the card plan's {len(cards)} requirements ({', '.join(CARD_REVIEWS)}; run --plan card)")
    others = [str(r) for r in out.get("other_generation") or []]
    if others:
        zh.append(f"仅适用于其他代别的 {len(others)} 个检测项目（{', '.join(others)}）")
        en.append(f"{len(others)} for other generations only ({', '.join(others)})")
    if not zh:
        return None
    return f"不属于本计划：{'；'.join(zh)} / not in this plan: {'; '.join(en)}"


def certification_statement(verdict: Mapping[str, Any]) -> tuple[str, str] | None:
    """(zh, en) statement a lab may sign, or None: only a full plan whose overall verdict is pass."""
    if verdict.get("overall") != PASS or verdict.get("plan") != FULL:
        return None
    gen, n = verdict.get("generation"), verdict.get("requirements")
    if verdict.get("plan_of") == "reader":
        return (
            f"被测读写器符合本套件版本读写器检测计划（{'、'.join(READER_REVIEWS)}）的全部 {n} 项要求。",
            f"The reader under test conforms to every requirement ({n}) of this suite version's reader plan ({', '.join(READER_REVIEWS)}).",
        )
    reviews = "、".join(CARD_REVIEWS)
    return (
        f"被测卡符合本套件版本 {gen} 卡检测计划（{reviews}）的全部 {n} 项适用要求。",
        f"The card under test conforms to every applicable requirement ({n}) of this suite version's {gen} card plan "
        f"({', '.join(CARD_REVIEWS)}).",
    )


def headline(verdict: Mapping[str, Any]) -> str:
    """ "未完成 / INCOMPLETE — 完整计划 / full plan (card, gen2)": the first line of summary and report."""
    zh, en = VERDICT_TEXT.get(str(verdict.get("overall")), ("未知", "UNKNOWN"))
    pzh, pen = PLAN_TEXT.get(str(verdict.get("plan")), ("未知", "unknown"))
    return f"{zh} / {en} — {pzh}计划 / {pen} plan ({verdict.get('plan_of', 'card')}, {verdict.get('generation', '?')})"
