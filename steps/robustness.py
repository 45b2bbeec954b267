"""Steps of SEC-ROB-1 (features/security/robustness.feature); the logic is in checks/security/robustness*.py."""

from __future__ import annotations

from pytest_bdd import given, then, when

from checks.security.robustness import BatteryReport, protected_content, protected_files, run_battery
from checks.security.robustness_plan import build_probes
from checks.verdicts import Inconclusive
from steps.context import ScenarioContext

# the kinds of finding each then-step judges (BatteryReport.problems keys start with these)
_IN_TIME = ("no answer", "transport error", "answered without a status word", "a status word the profile does not define")
_ACCEPTED = ("an undefined or malformed APDU was accepted",)
_SHORT = ("an APDU shorter than its header",)
_LEAK = ("protected data returned without the right",)


@given("健壮性检查使用发卡地终端的 PSAM")
def robustness_psam(ctx: ScenarioContext) -> None:
    ctx.psam = ctx.session.psam_for(ctx.card.identity().region)


@given("终端以相应权限读取各受保护文件的内容后复位卡片，放弃这些权限")
def read_protected(ctx: ScenarioContext) -> None:
    ctx.security.secrets = protected_content(ctx.card, ctx.psam, ctx.pin, protected_files(ctx.profile))


@when(
    "在预算内发送各类异常指令：每个 CLA 类别 × 每个 INS、P1/P2 边界值、Lc/Le 为 0、1、最大值、255、256 或与数据不一致、"
    "截短为 1–4 字节、情形 1–4 混淆、对不支持安全报文的命令使用安全报文 CLA，其余为随机指令"
)
def send_battery(ctx: ScenarioContext) -> None:
    spec = ctx.profile.robustness
    if spec is None:
        raise Inconclusive(
            f"规范配置文件 {ctx.profile.name} 未声明健壮性检查参数（预算、CLA 类别、P1/P2 边界值）/ "
            f"profile {ctx.profile.name} declares no robustness section (budget, CLA classes, P1/P2 edges)"
        )
    budget = ctx.session.robustness_budget(spec.budget_reader if ctx.session.physical_reader else spec.budget_embedded)
    probes, counts = build_probes(ctx.profile, spec, budget, protected_files(ctx.profile), reader=ctx.session.physical_reader)
    with ctx.session.dut.recorder.summarized():
        report = run_battery(ctx.card, probes, ctx.security.secrets, counts, budget=budget)
    ctx.security.robustness = report
    ctx.session.scenario_summary = report.summary()


def _assert_none(report: BatteryReport, kinds: tuple[str, ...], zh: str, what: str) -> None:
    """No finding of `kinds`; else `zh` / `what` (Chinese first) with the first failing APDUs."""
    bad = [f for f in report.findings if f.problem.startswith(kinds)]
    count = sum(n for p, n in report.problems.items() if p.startswith(kinds))
    shown = " | ".join(f"[{f.phase}] {f.apdu} → {f.answer}" for f in bad[:10])
    stopped = f"；检测提前停止 the battery stopped early：{report.stopped}" if report.stopped else ""
    assert not count, f"{report.sent} 条指令中 {count} 条{zh} / {count} of {report.sent} APDUs {what}：{shown}{stopped}"


@then("每条指令均在时限内得到规范状态字表中的状态字")
def all_defined(ctx: ScenarioContext) -> None:
    report = ctx.security.robustness
    _assert_none(
        report,
        _IN_TIME,
        "未在时限内应答或返回规范状态字表以外的状态字",
        "got no answer in time or a status word outside the profile's table",
    )
    assert report.stopped is None, (
        f"卡在 {report.sent} 条指令后停止应答 / the card stopped answering after {report.sent} APDUs：{report.stopped}"
    )


@then("未定义的指令与长度不一致的指令均未返回 9000（成功执行）或 61XX（还有数据可返回）")
def none_accepted(ctx: ScenarioContext) -> None:
    _assert_none(
        ctx.security.robustness,
        _ACCEPTED,
        "（未定义的 INS、该 INS 不允许的 CLA，或长度与数据不一致）被接受",
        "(undefined INS, CLA not allowed for the INS, or a length inconsistent with the data) were accepted",
    )


@then("短于命令头的指令只得到错误状态字，且不带数据")
def short_refused(ctx: ScenarioContext) -> None:
    _assert_none(
        ctx.security.robustness,
        _SHORT,
        "短于 4 字节命令头的指令得到数据或成功状态字",
        "shorter than the 4-byte header were answered with data or success",
    )


@then("没有任何应答含有受保护的数据")
def nothing_leaked(ctx: ScenarioContext) -> None:
    report = ctx.security.robustness
    if not ctx.security.secrets:
        raise Inconclusive(
            "没有受保护文件能以相应权限读出，无法识别泄露 / no protected file could be read with its right, so a leak could not be recognized"
        )
    _assert_none(
        report,
        _LEAK,
        f"未取得权限却返回了受保护的数据（已知受保护值 {report.protected_values} 个）",
        f"returned protected data without its right (of {report.protected_values} protected values known)",
    )
