"""Steps of the security review (SEC-*)."""
from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from steps.context import ScenarioContext, sw_text
from terminal.pins import wrong_pin


@given("以正确的 PIN 校验，使错误计数器为满值")
def pin_counter_full(ctx: ScenarioContext) -> None:
    response = ctx.card.verify_pin(ctx.pin, check=False)
    assert response.ok, (
        f"the PIN given for this run was refused ({sw_text(ctx.profile, response.sw)}); "
        "give the card's PIN with --pin, or unblock it first"
    )


@when("校验错误的 PIN")
def verify_wrong_pin(ctx: ScenarioContext) -> None:
    ctx.response = ctx.card.verify_pin(wrong_pin(ctx.pin), check=False)


@when("以正确的 PIN 校验")
def verify_right_pin(ctx: ScenarioContext) -> None:
    ctx.response = ctx.card.verify_pin(ctx.pin, check=False)


@then(parsers.parse("状态字为 verification_failed，剩余次数为最大次数减 {used:d}"))
def tries_left(ctx: ScenarioContext, used: int) -> None:
    tries = ctx.profile.security.pin.tries
    expected = ctx.profile.sw["verification_failed"].with_value(tries - used)
    actual = ctx.last_response().sw
    assert actual == expected, (
        f"after {used} wrong PIN(s) of {tries} allowed, expected {expected:04X}, got {sw_text(ctx.profile, actual)}; APDUs: {ctx.apdu_text()}"
    )


@when("连续校验错误的 PIN 直至剩余次数为 0")
def exhaust_pin(ctx: ScenarioContext) -> None:
    failed = ctx.profile.sw["verification_failed"]
    tries = ctx.profile.security.pin.tries
    for used in range(1, tries + 1):
        response = ctx.card.verify_pin(wrong_pin(ctx.pin), check=False)
        expected = failed.with_value(tries - used)
        assert response.sw == expected, (
            f"wrong PIN {used} of {tries}: expected {expected:04X}, got {sw_text(ctx.profile, response.sw)}; APDUs: {ctx.apdu_text(response)}"
        )


@when("以 PUK 认证后解锁 PIN")
def unblock_with_puk(ctx: ScenarioContext) -> None:
    psam = ctx.session.psam_for(ctx.card.identity().region)
    response = ctx.card.unblock_pin(psam, check=False)
    assert response.ok, f"UNBLOCK PIN after PUK authentication failed: {sw_text(ctx.profile, response.sw)}; APDUs: {ctx.apdu_text(response)}"
