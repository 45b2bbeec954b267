"""Steps of SEC-TEAR-1/2 (features/security/tearing.feature); the logic is in checks/security/tearing.py."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from checks.security.tearing import LEFT_ZH, NEW, hook_offsets, hook_present, reader_cuts, sweep, tear_items, try_probes
from checks.verdicts import Inconclusive
from harness.results import NOT_APPLICABLE
from steps.context import ScenarioContext

# the example column of the scenario outline → the items of checks.security.tearing.tear_items
_GROUPS = {
    "更新二进制、更新记录、追加记录": "data",
    "修改 PIN、重装 PIN、PIN 错误计数器": "pin",
    "密钥错误计数器": "counters",
    "应用锁定、卡片锁定": "lifecycle",
}


@given("防拔检查使用发卡地终端的 PSAM")
def tearing_psam(ctx: ScenarioContext) -> None:
    ctx.psam = ctx.session.psam_for(ctx.card.identity().region)


@given("卡片带有掉电测试钩子")
def has_hook(ctx: ScenarioContext) -> None:
    reason = hook_present(ctx.card)
    if reason is not None:
        # the harness builds the embedded reference card with the hook (harness.dut.open_dut): there,
        # an FF 7E P1 P2 that does not arm breaks PROFILE §6.5 instead of showing a card without it
        assert ctx.session.physical_reader, f"the embedded card carries the PROFILE §6.5 tearing hook, yet the hook did not arm ({reason})"
        pytest.skip(reason)


@given("卡片在可由读卡器断电的读卡器中")
def in_a_reader(ctx: ScenarioContext) -> None:
    if not ctx.session.physical_reader:
        pytest.skip(
            f"{NOT_APPLICABLE}内嵌参考卡没有可断电的读卡器，其写入由 PROFILE §6.5 钩子切断 / "
            "the embedded reference card has no reader to cut its power; its writes are torn through the PROFILE §6.5 hook"
        )
    if hook_present(ctx.card) is None:
        # a card with the hook is torn at every byte of every write by the hook cases; a reader's
        # cut lands only after the answer and would add nothing but an inconclusive result
        pytest.skip(
            f"{NOT_APPLICABLE}卡有 PROFILE §6.5 掉电测试钩子，其写入已由钩子用例逐字节切断 / "
            "the card has the PROFILE §6.5 tearing hook: its writes are torn byte by byte by the hook cases"
        )


@when(parsers.parse("对{group}从第 0 个字节起逐字节掉电，每次复位后以相应权限读回数据项，直至写入完整"))
def tear_every_byte(ctx: ScenarioContext, group: str) -> None:
    if group not in _GROUPS:
        raise ValueError(f"unknown write group {group!r}; known: {', '.join(_GROUPS)}")
    offsets = ctx.session.tearing_offsets
    with ctx.session.dut.recorder.summarized(keep_errors=False):
        items = tear_items(ctx.card, ctx.psam, ctx.pin, ctx.initial_pin, _GROUPS[group])
        ctx.security.tears = [sweep(ctx.card, item, offsets) for item in items]
    ctx.session.scenario_summary = {
        "kind": "tearing",
        "offsets_per_item": offsets or "every byte",
        "items": [t.summary() for t in ctx.security.tears],
    }


@then("每次掉电后数据项均为旧值或新值，写入完整时为新值，卡片均正确应答")
def old_or_new(ctx: ScenarioContext) -> None:
    tears = ctx.security.tears
    assert tears, "本组没有可掉电测试的数据项 / no item of this group could be torn"
    problems = [p for t in tears for p in t.problems]
    assert not problems, " | ".join(problems)
    for t in tears:
        assert t.cuts[-1].left == NEW or len(t.cuts) == 1, f"数据项「{t.name_zh}」：写入始终未完成 / {t.item}: the write never came through"


@when(
    "在写入错误计数器之前掉电，分别以正确与错误的 PIN 校验、以正确与错误的密文外部认证；再在写入计数器之后掉电，以错误的 PIN 与错误的密文各试一次"
)
def tear_tries(ctx: ScenarioContext) -> None:
    with ctx.session.dut.recorder.summarized(keep_errors=False):
        ctx.security.try_probes = try_probes(ctx.card, ctx.psam, ctx.pin)
    probes, _ = ctx.security.try_probes
    ctx.session.scenario_summary = {"kind": "tearing", "tries": [p.__dict__ for p in probes]}


@then("卡片在写入错误计数器之前从未给出比较结果")
def no_result_before_counter(ctx: ScenarioContext) -> None:
    problems = [p for p in ctx.security.try_probes[1] if "answered" in p]
    assert not problems, " | ".join(problems)


@then("计数器写入之后掉电的错误尝试已计入次数")
def try_spent(ctx: ScenarioContext) -> None:
    problems = [p for p in ctx.security.try_probes[1] if "try counter is" in p]
    assert not problems, " | ".join(problems)


@when("在更新记录与错误的 PIN 校验发出后，按规范配置文件的各个延时由读卡器断电，每次复位后读回数据项")
def reader_power_cuts(ctx: ScenarioContext) -> None:
    spec = ctx.profile.tearing
    if spec is None:
        raise Inconclusive(
            f"规范配置文件 {ctx.profile.name} 未声明掉电检查参数（读卡器断电的延时）/ "
            f"profile {ctx.profile.name} declares no tearing section (the delays of the reader's power cuts)"
        )
    try:
        ctx.security.reader_cuts = reader_cuts(ctx.card, ctx.psam, ctx.pin, spec.reader_delays_ms)
    except NotImplementedError as exc:
        raise Inconclusive(f"读卡器不能切断卡片电源 / the reader cannot cut the card's power：{exc}") from None
    ctx.session.scenario_summary = {
        "kind": "tearing (reader power cuts, best effort)",
        "cuts": [c.__dict__ for c in ctx.security.reader_cuts],
    }


@then("每次断电后记录均为旧值或新值，PIN 错误计数器至多少一次")
def reader_cuts_clean(ctx: ScenarioContext) -> None:
    cuts = ctx.security.reader_cuts
    bad = [c for c in cuts if c.left not in ("old", "new")]
    assert not bad, " | ".join(
        f"数据项「{c.item_zh or c.item}」：发出后 {c.delay_ms} ms 断电，结果为{LEFT_ZH.get(c.left, c.left)} / {c.item}, cut {c.delay_ms} ms after sending: left {c.left} {c.detail}"
        for c in bad
    )
    if all(c.answered is not None for c in cuts):
        # Every cut came after the card's answer: no write was torn, so nothing was shown about
        # anti-tearing — an old-or-new result here would pass a card that has none.
        raise Inconclusive(
            f"掉电均发生在卡片应答之后，未切断任何写操作 / all {len(cuts)} power cuts landed after the card answered "
            f"(delays {', '.join(str(c.delay_ms) for c in cuts)} ms): the reader cannot cut inside a write"
        )


@when(
    "对一次 200 字节的更新二进制，先要求在其最后一个字节处掉电（P1 为 00），再要求在第 256 个字节处掉电（P1 为 01），每次复位后以相应权限读回"
)
def hook_where_asked(ctx: ScenarioContext) -> None:
    with ctx.session.dut.recorder.summarized(keep_errors=False):
        ctx.standards.findings = hook_offsets(ctx.card, ctx.psam, ctx.pin)


@then("前一次写入被中断，数据保持旧值；后一次写入已完成，数据为新值；数据已恢复原值")
def hook_cut_where_asked(ctx: ScenarioContext) -> None:
    assert not ctx.standards.findings, " | ".join(ctx.standards.findings)
