"""Steps of features/standards/malformed_commands.feature and features/security/puk_commands.feature; the logic is in checks/standards/malformed.py and checks/security/puk_commands.py."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from checks.security.puk_commands import malformed_appends, reload_bad_block, unblock_challenges
from checks.standards.malformed import judge, malformed_probes, partial_get_response, send
from steps.context import ScenarioContext


@when("对命令表中的每条命令逐一发送只错一处的命令，每条之前从主文件选择其所需的 DF")
def send_malformed(ctx: ScenarioContext) -> None:
    findings = []
    probes = malformed_probes(ctx.profile, ctx.pin)
    for probe in probes:
        problem = judge(ctx.profile, probe, send(ctx.card, probe))
        if problem is not None:
            findings.append(problem)
    ctx.card.select_mf(check=True)
    ctx.standards.findings = findings
    ctx.observe("malformed commands sent", len(probes))


@then("没有一条畸形命令返回 9000（成功执行）或 61XX（还有数据可返回）")
def none_executed(ctx: ScenarioContext) -> None:
    executed = [f for f in ctx.standards.findings if "accepted" in f]
    assert not executed, f"{len(executed)} 条畸形命令被执行 / {len(executed)} malformed command(s) executed: " + " | ".join(executed)


@then("每条畸形命令的状态字均为其所违反检查的状态字")
def each_refused_by_its_check(ctx: ScenarioContext) -> None:
    findings = ctx.standards.findings
    assert not findings, (
        f"{len(findings)} 条畸形命令的状态字不是其所违反检查的状态字 / "
        f"{len(findings)} malformed command(s) not answered as their broken check requires: " + " | ".join(findings)
    )


@when("按名称选择 DF 后先以 Le 为 1 取响应，再以卡片给出的剩余长度取响应")
def get_response_in_pieces(ctx: ScenarioContext) -> None:
    ctx.standards.findings = partial_get_response(ctx.card)


@then("第一次返回 1 字节与 61XX（还有数据可返回），XX 为剩余长度；第二次返回其余数据与 9000，两段合起来即为完整的 FCI")
def pieces_make_the_fci(ctx: ScenarioContext) -> None:
    findings = ctx.standards.findings
    assert not findings, " | ".join(findings)


_APPEND = {"标记与记录定义不符": "wrong_tag", "长度比记录定义多一个字节": "too_long"}


@given("PIN 与安全报文使用发卡地终端的 PSAM")
def malformed_psam(ctx: ScenarioContext) -> None:
    ctx.psam = ctx.session.psam_for(ctx.card.identity().region)


@when(parsers.parse("以有效 MAC 向循环记录文件追加一条{fault}的记录，前后以读权限读取第 1 条记录"))
def append_malformed(ctx: ScenarioContext, fault: str) -> None:
    ctx.standards.findings = malformed_appends(ctx.card, ctx.psam, ctx.pin, _APPEND[fault])


@then("状态字为 6A80（数据域参数不正确），且第 1 条记录未变")
def append_refused(ctx: ScenarioContext) -> None:
    assert not ctx.standards.findings, " | ".join(ctx.standards.findings)


@when("PUK 认证后不取随机数、或只取 8 字节随机数，发送解锁 PIN 命令")
def unblock_without_mac_challenge(ctx: ScenarioContext) -> None:
    ctx.standards.findings = unblock_challenges(ctx.card, ctx.psam)


@then("两次均返回 6984（引用数据无效，无随机数）")
def unblock_refused(ctx: ScenarioContext) -> None:
    assert not ctx.standards.findings, " | ".join(ctx.standards.findings)


@when("PUK 认证后发送 MAC 有效、加密块不是 PIN 块的重装 PIN 命令")
def reload_not_a_pin_block(ctx: ScenarioContext) -> None:
    ctx.standards.findings = reload_bad_block(ctx.card, ctx.psam, ctx.pin)


# its then-step (状态字为 6A80…，且以本次检测给定的 PIN 校验通过) is shared with pin_lengths.feature: steps/pin_lengths.py
