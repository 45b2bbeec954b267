"""Steps of the standards-conformance review (STD-*)."""
from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from ssc.atr import atr_findings
from ssc.checks import card_number_check_char, is_valid_card_number, region_code_problems
from ssc.codecs import decode_cn
from ssc.profile.templates import fci_for
from steps.context import ScenarioContext, sw_text

ATR_ASPECTS = {"初始字符 TS": "ts", "历史字节数": "historical_count", "传输协议": "protocols", "接口字节": "interface_bytes"}


@given("卡片已上电并返回复位应答")
def card_powered(ctx: ScenarioContext) -> None:
    atr = ctx.card.terminal.atr
    ctx.results["atr"] = atr if atr is not None else ctx.card.reset()


@then(parsers.parse("复位应答的{aspect}与规范一致"))
def atr_aspect_conforms(ctx: ScenarioContext, aspect: str) -> None:
    atr = ctx.results["atr"]
    finding = atr_findings(ctx.profile.atr, atr)[ATR_ASPECTS[aspect]]
    assert finding is None, f"{finding} (ATR {atr.hex(' ').upper()})"


@then("状态字为 more_data，且 xx 等于规范 FCI 的长度")
def more_data_with_fci_length(ctx: ScenarioContext) -> None:
    expected_fci = fci_for(ctx.profile, ctx.profile.file(ctx.selected or ""))
    expected = ctx.profile.sw["more_data"].with_value(len(expected_fci))
    actual = ctx.last_response().sw
    assert actual == expected, f"expected {expected:04X} (61 + FCI length {len(expected_fci)}), got {sw_text(ctx.profile, actual)}; APDUs: {ctx.apdu_text()}"


@when("以卡片给出的长度发送取响应命令")
def get_response_with_announced_length(ctx: ScenarioContext) -> None:
    ctx.response = ctx.card.get_response(ctx.last_response().sw2)


@then("返回的 FCI 与规范模板一致，算法标识为本代卡的算法")
def fci_matches_template(ctx: ScenarioContext) -> None:
    expected = fci_for(ctx.profile, ctx.profile.file(ctx.selected or ""))
    actual = ctx.last_response().data
    assert actual == expected, (
        f"FCI expected {expected.hex(' ').upper()} (algorithm id {ctx.profile.algorithm_id:02X} for {ctx.profile.name}), "
        f"got {actual.hex(' ').upper()}; APDUs: {ctx.apdu_text()}"
    )


@then("卡的识别码中的地区代码为六位有效的行政区划代码")
def card_id_region_valid(ctx: ScenarioContext) -> None:
    raw = ctx.value[ctx.profile.card_id.region]
    try:
        region = decode_cn(raw)
    except ValueError as exc:
        raise AssertionError(f"card identification code bytes 1–3 {raw.hex().upper()} are not BCD: {exc}") from None
    problems = region_code_problems(region)
    assert not problems, f"card identification code {ctx.value.hex().upper()}: {'; '.join(problems)}"


@then("卡的识别码中的 RID 与规范一致")
def card_id_rid(ctx: ScenarioContext) -> None:
    layout = ctx.profile.card_id
    actual = ctx.value[layout.rid]
    assert actual == layout.rid_value, (
        f"card identification code {ctx.value.hex().upper()}: RID expected {layout.rid_value.hex().upper()}, got {actual.hex().upper()}"
    )


@then("PSAM 以正确分散的内部认证密钥验证卡的识别码 MAC 通过")
def card_id_mac_verifies(ctx: ScenarioContext) -> None:
    from terminal.card_id import card_id_mac

    layout = ctx.profile.card_id
    expected = card_id_mac(ctx.card, ctx.psam, ctx.value)
    actual = ctx.value[layout.mac]
    assert actual == expected, (
        f"card identification code {ctx.value.hex().upper()}: MAC over bytes 1–12 under {layout.mac_key} "
        f"(diversified for region {ctx.card.identity().region}, card SN {ctx.card.identity().card_sn.hex().upper()}) "
        f"expected {expected.hex().upper()}, the card holds {actual.hex().upper()}"
    )


@then("卡号为 9 位且校验位正确")
def card_number_valid(ctx: ScenarioContext) -> None:
    number = ctx.value
    assert isinstance(number, str) and len(number) == 9, f"card number {number!r} is not 9 characters"
    assert is_valid_card_number(number), (
        f"card number {number}: check character is {number[8]!r}, expected {card_number_check_char(number[:8])!r} (PROFILE §4.2)"
    )
