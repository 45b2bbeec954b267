"""Steps of the cross-region interoperability review (INT-*)."""
from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from steps.context import ScenarioContext, sw_text


@given(parsers.parse('"{region}" 地区的终端及其软件 PSAM'))
def terminal_of_region(ctx: ScenarioContext, region: str) -> None:
    ctx.psam = ctx.session.psam_for(region)
    ctx.results["terminal_region"] = region


@given("发卡地终端及其 PSAM")
def home_terminal(ctx: ScenarioContext) -> None:
    region = ctx.card.identity().region
    ctx.psam = ctx.session.psam_for(region)
    ctx.results["terminal_region"] = region


@when("终端以当前密钥版本对卡片发起内部认证")
def internal_authenticate(ctx: ScenarioContext) -> None:
    ctx.results["auth"] = ctx.card.internal_authenticate_and_verify(ctx.psam, version=0, check=False)


@then("卡片的认证结果与 PSAM 的计算结果一致")
def internal_auth_verified(ctx: ScenarioContext) -> None:
    auth = ctx.results["auth"]
    assert auth.response.ok, f"INTERNAL AUTHENTICATE answered {sw_text(ctx.profile, auth.response.sw)}; APDUs: {ctx.apdu_text(auth.response)}"
    assert auth.verified, (
        f"terminal {ctx.results['terminal_region']}: the card returned {auth.card_result.hex().upper()} for F={auth.f.hex().upper()} "
        f"D={auth.d.hex().upper()}, its PSAM computed {auth.expected.hex().upper()} with the 3-level diversified IRK"
    )
