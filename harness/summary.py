"""The summary printed at the end of `ssc-conform run`: the overall verdict first (Chinese, then
English: 通过 / PASS, 不通过 / FAIL, 未完成 / INCOMPLETE, with the plan and what did not run or was
inconclusive, and why), then the device under test, one table per review (STD / SEC / INT / PER …,
titled as in the requirement catalogue) and the totals. The tables hold the run's plan only; what the
plan leaves out (the other plan, other generations) is one line under the verdict. The certification statement is printed
only for a full plan that passed (`harness.plan.certification_statement`); the verdict is repeated
as the last line, where an operator's eye lands."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from ssc.catalogue import load_catalogue

SYMBOL = {
    "passed": "通过 PASS",
    "failed": "不通过 FAIL",
    "inconclusive": "无结论 INC",
    "not-run": "未执行 n/r",
    "not-applicable": "不适用 n/a",
}
COUNTED = ("passed", "failed", "inconclusive", "not-run", "not-applicable")
REASON_WIDTH = 160
INTERRUPTED_REASON = "the run was interrupted (Ctrl-C)"  # harness.plugin.INTERRUPTED


def review_tables(doc: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, dict[str, Any]]]]]:
    """(review code, "STD — standards conformance (标准符合性审核)", [(requirement ID, entry)])
    for each review with at least one requirement that has scenarios, in catalogue order."""
    reviews = load_catalogue().reviews
    grouped: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for rid, r in doc["requirements"].items():
        if r["scenarios"]:
            grouped.setdefault(r.get("review") or rid.split("-", 1)[0], []).append((rid, r))
    order = list(reviews) + sorted(set(grouped) - set(reviews))
    out = []
    for code in order:
        if code in grouped:
            title = reviews.get(code)
            heading = f"{code} — {title.zh}（{title.en}）" if title else code
            out.append((code, heading, grouped[code]))
    return out


def verdict_lines(doc: dict[str, Any]) -> list[str]:
    """The overall verdict block: headline, certification statement (full plan that passed only),
    then the requirements of the plan that failed, were inconclusive or did not run, with reasons."""
    from harness.plan import PARTIAL, certification_statement, headline, out_of_plan_line

    verdict = doc.get("verdict")
    if not isinstance(verdict, dict):
        return ["总体结论 overall verdict: 未完成 / INCOMPLETE — results.json carries no overall verdict"]
    lines = [f"总体结论 overall verdict: {headline(verdict)}"]
    statement = certification_statement(verdict)
    if statement is not None:
        lines += [f"  {statement[0]}", f"  {statement[1]}"]
    elif verdict.get("plan") == PARTIAL:
        lines.append(
            "  部分计划：本次运行经 --tags/-k/-m 缩小，不构成认证结论 / partial plan: narrowed by --tags/-k/-m, no certification statement"
        )
    else:
        lines.append("  无认证结论 / no certification statement")
    passed, total = verdict.get("passed", 0), verdict.get("requirements", 0)
    lines.append(f"  计划中 {total} 个检测项目通过 {passed} 个 / {passed} of {total} requirements of the plan passed")
    outside = out_of_plan_line(verdict)
    if outside is not None:
        lines.append(f"  {outside}")
    for key, zh, en in (("failed", "不通过", "failed"), ("inconclusive", "无结论", "inconclusive"), ("not_run", "未执行", "not run")):
        items = [i for i in verdict.get(key) or [] if isinstance(i, dict)]
        if items:
            lines.append(f"  {zh} {en} ({len(items)}):")
            lines += _grouped(items)
    return lines


def _grouped(items: list[dict[str, Any]], most: int = 3) -> list[str]:
    """One line per requirement, except that a reason shared by more than `most` requirements
    (e.g. "deselected" in a partial run) is one line listing them."""
    by_reason: dict[str, list[str]] = {}
    for i in items:
        by_reason.setdefault(str(i.get("reason", "")), []).append(str(i.get("requirement")))
    out = []
    for i in items:
        reason, rid = str(i.get("reason", "")), str(i.get("requirement"))
        group = by_reason[reason]
        if len(group) <= most:
            out.append(f"    {rid}: {reason[:REASON_WIDTH]}")
        elif rid == group[0]:
            out.append(f"    {len(group)} requirements — {reason[:REASON_WIDTH]}: {', '.join(group)}")
    return out


def _counts(per: dict[str, int]) -> str:
    """通过 1，不通过 0 … / 1 passed, 0 failed …: the Chinese count first, the English after."""
    zh = f"通过 {per['passed']}，不通过 {per['failed']}，无结论 {per['inconclusive']}，未执行 {per['not-run']}，不适用 {per['not-applicable']}"
    en = (
        f"{per['passed']} passed, {per['failed']} failed, {per['inconclusive']} inconclusive, "
        f"{per['not-run']} not run, {per['not-applicable']} not applicable"
    )
    return f"{zh} / {en}"


def _pad(text: str, width: int) -> str:
    """Left-justify for a terminal, counting a CJK character as two columns."""
    shown = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return text + " " * max(width - shown, 0)


def print_summary(doc: dict[str, Any], path: Path, out: TextIO | None = None) -> None:
    def say(text: str = "") -> None:
        print(text, file=out)

    lines = verdict_lines(doc)
    say()
    for line in lines:
        say(line)
    dut = doc.get("dut", {})
    say()
    say(f"被测卡 device under test: {dut.get('description', dut.get('card'))}")
    for key in ("reader", "psam_reader", "atr", "card_sn", "card_number", "region", "generation", "declared_cos_version", "error"):
        if dut.get(key):
            say(f"  {key}: {dut[key]}")
    counts = dict.fromkeys(COUNTED, 0)
    ran = 0
    for _, heading, rows in review_tables(doc):
        per = {v: sum(1 for _, r in rows if r["verdict"] == v) for v in counts}
        say(f"\n{heading}：{_counts(per)}")
        say("  检测项目       结论          场景数  原因 / requirement, verdict, scenarios, reason")
        for rid, r in rows:
            counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
            ran += 1
            reason = "" if r["verdict"] == "passed" else r["reason"]
            say(f"  {rid:<14} {_pad(SYMBOL.get(r['verdict'], r['verdict']), 14)} {len(r['scenarios']):>5}   {reason[:REASON_WIDTH]}")
    without = [rid for rid, r in doc["requirements"].items() if not r["scenarios"]]  # the plan's only (harness.plan)
    if without:
        say(
            f"\n未执行（本套件或所选范围中没有场景）/ not run (no scenario in this suite or selection): {len(without)} 项: {', '.join(without)}"
        )
    say(f"\n合计（有场景的 {ran} 个检测项目）：{_counts(counts)} (of {ran} requirements with scenarios)")
    if doc.get("run", {}).get("interrupted"):
        left = sum(1 for s in doc.get("scenarios", []) if s.get("reason") == INTERRUPTED_REASON)
        say(f"运行被中断（Ctrl-C）：{left} 个场景未执行，结果只含中断前已运行的部分 / run INTERRUPTED (Ctrl-C): {left} scenario(s) not run")
    say(f"结果 results: {path}")
    say(lines[0])
