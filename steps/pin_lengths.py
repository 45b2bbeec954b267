"""Steps of features/security/pin_lengths.feature; the logic is in checks/security/pin_lengths.py."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from checks.security.pin_lengths import bad_new_pin_refused, boundary_pin_works, pin_bytes
from steps.context import ScenarioContext

_BOUNDS = {"最短": 0, "最长": 1}
_BAD = {"比最短长度少一个字节的 PIN": "too_short", "比最长长度多一个字节的 PIN": "too_long", "不是 BCD 码的 PIN": "not_bcd"}


@when(parsers.parse("以修改 PIN 将 PIN 设为恰为{bound}长度的 PIN，以其校验，再以原 PIN 校验，然后恢复本次检测给定的 PIN"))
def set_boundary_pin(ctx: ScenarioContext, bound: str) -> None:
    n = pin_bytes(ctx.profile)[_BOUNDS[bound]]
    ctx.standards.findings = boundary_pin_works(ctx.card, ctx.psam, ctx.pin, n)
    ctx.observe(f"PIN of {n} bytes set, verified and replaced", not ctx.standards.findings, True)


@then("修改与以新 PIN 校验均返回 9000（成功执行），原 PIN 被拒绝")
def boundary_pin_accepted(ctx: ScenarioContext) -> None:
    assert not ctx.standards.findings, " | ".join(ctx.standards.findings)


@when(parsers.parse("以修改 PIN 请求将新 PIN 设为{case}"))
def change_to_bad_pin(ctx: ScenarioContext, case: str) -> None:
    ctx.standards.findings = bad_new_pin_refused(ctx.card, ctx.pin, _BAD[case])


@then("状态字为 6A80（数据域参数不正确），且以本次检测给定的 PIN 校验通过")
def bad_pin_refused(ctx: ScenarioContext) -> None:
    assert not ctx.standards.findings, " | ".join(ctx.standards.findings)
