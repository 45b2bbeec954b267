"""Steps of features/standards/malformed_commands.feature; the logic is in checks/standards/malformed.py."""

from __future__ import annotations

from pytest_bdd import then, when

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
    assert not executed, f"{len(executed)} malformed command(s) executed: " + " | ".join(executed)


@then("每条畸形命令的状态字均为其所违反检查的状态字")
def each_refused_by_its_check(ctx: ScenarioContext) -> None:
    findings = ctx.standards.findings
    assert not findings, f"{len(findings)} malformed command(s) not answered as their broken check requires: " + " | ".join(findings)


@when("按名称选择 DF 后先以 Le 为 1 取响应，再以卡片给出的剩余长度取响应")
def get_response_in_pieces(ctx: ScenarioContext) -> None:
    ctx.standards.findings = partial_get_response(ctx.card)


@then("第一次返回 1 字节与 61XX（还有数据可返回），XX 为剩余长度；第二次返回其余数据与 9000，两段合起来即为完整的 FCI")
def pieces_make_the_fci(ctx: ScenarioContext) -> None:
    findings = ctx.standards.findings
    assert not findings, " | ".join(findings)
