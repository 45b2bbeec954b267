"""Steps of the standards-conformance review (STD-*)."""

from __future__ import annotations

import os
import time

import pytest
from pytest_bdd import given, parsers, then, when

from checks.security.randomness import (
    BatteryParameters,
    challenges_needed,
    counter_findings,
    judge_battery,
    repeated_first_challenges,
)
from checks.standards import file_survey as survey
from checks.standards.check_order import Probe, challenge_lengths, check_order_probes, record_le_probe
from checks.standards.fci import fci_problems
from checks.standards.file_survey import RecordScan
from checks.standards.file_types import type_survey
from checks.standards.record_walk import addressing_survey, walk_record_files
from checks.verdicts import Inconclusive
from checks.wording import bilingual, led, sw_zh
from checks.writeback import (
    distinct_records,
    flip_value,
    mismatched_tag,
    roundtrip_problem,
    update_binary_and_restore,
    update_record_and_restore,
)
from harness.results import NOT_APPLICABLE
from ssc.apdu import CommandApdu
from ssc.atr import atr_findings, decode_historical
from ssc.atr_fields import historical_problems
from ssc.checks import card_number_check_char, is_valid_card_number, region_code_problems, ssn_problems
from ssc.codecs import check_padding, decode_cn
from ssc.elements import (
    card_type_problems,
    date_problems,
    ethnicity_problems,
    gbk_problems,
    gender_problems,
    init_institution_problems,
    parse_date,
)
from ssc.profile.expectation import expect_sw
from ssc.profile.model import FileDef
from ssc.profile.templates import fci_for
from ssc.record_checks import cyclic_size_problems, record_dictionary_problems, record_tlv_problems
from ssc.tlv import parse_record
from steps.context import SW_LABEL, ScenarioContext, data_item, observation_text, status_word, sw_expected, sw_text
from terminal.grants import grant
from terminal.psam_client import PsamClient
from terminal.session import find_item

ATR_ASPECTS = {"初始字符 TS": "ts", "历史字节数": "historical_count", "传输协议": "protocols", "接口字节": "interface_bytes"}


@given("卡片已上电并返回复位应答")
def card_powered(ctx: ScenarioContext) -> None:
    atr = ctx.card.terminal.atr
    ctx.standards.atr = atr if atr is not None else ctx.card.reset()
    spec = ctx.profile.atr
    ctx.observe("ATR", ctx.standards.atr, f"{spec.prefix.hex(' ').upper()} + {spec.historical_length} historical bytes (PROFILE §2)")
    declared = _declared_product(ctx)
    ctx.observe(
        "ATR historical bytes decoded",
        decode_historical(spec, ctx.standards.atr),
        f"the ICS declares {observation_text(declared)}" if declared else None,
    )


@then(parsers.parse("复位应答的{aspect}与规范一致"))
def atr_aspect_conforms(ctx: ScenarioContext, aspect: str) -> None:
    atr = ctx.standards.atr
    finding = atr_findings(ctx.profile.atr, atr)[ATR_ASPECTS[aspect]]
    ctx.observe(f"ATR {ATR_ASPECTS[aspect]}", finding or "as the profile says", "as the profile says (PROFILE §2)")
    assert finding is None, f"{finding}（复位应答 ATR {atr.hex(' ').upper()}）"


@then("状态字为 61xx（还有数据可返回），且 xx 等于规范 FCI 的长度")
def more_data_with_fci_length(ctx: ScenarioContext) -> None:
    expected_fci = fci_for(ctx.profile, ctx.profile.file(ctx.selected or ""))
    expected = ctx.profile.sw["more_data"].with_value(len(expected_fci))
    actual = ctx.last_response().sw
    ctx.observe(f"SW after SELECT {ctx.selected} by name", f"{actual:04X}", f"{expected:04X}")
    assert actual == expected, (
        f"预期 {expected:04X}（61 + FCI 长度 {len(expected_fci)}），实际 {sw_text(ctx.profile, actual)} / "
        f"expected {expected:04X} (61 + FCI length {len(expected_fci)}), got {sw_text(ctx.profile, actual)}; APDUs: {ctx.apdu_text()}"
    )


@when("以卡片给出的长度发送取响应命令")
def get_response_with_announced_length(ctx: ScenarioContext) -> None:
    ctx.response = ctx.card.get_response(ctx.last_response().sw2)


@then("返回的 FCI 是有效的 FCI 模板，其中的 DF 名称为所选名称，算法标识为本代卡的算法")
@then("返回的 FCI 与规范模板一致，算法标识为本代卡的算法")  # older wording, still in commands.feature
def fci_is_valid(ctx: ScenarioContext) -> None:
    df = ctx.profile.file(ctx.selected or "")
    actual = ctx.last_response().data
    problems = fci_problems(ctx.profile, df, actual)
    ctx.observe(f"FCI of {df.path}", actual, fci_for(ctx.profile, df))
    assert not problems, (
        f"{df.path} 的 FCI {actual.hex(' ').upper()}（{ctx.profile.name} 应带算法标识 {ctx.profile.algorithm_id:02X}）/ "
        f"FCI of {df.path} (algorithm id {ctx.profile.algorithm_id:02X} expected for {ctx.profile.name})："
        f"{'；'.join(problems)}；APDU：{ctx.apdu_text()}"
    )


@then("卡的识别码中的地区代码为六位有效的行政区划代码")
def card_id_region_valid(ctx: ScenarioContext) -> None:
    card_id = ctx.value_bytes()
    raw = card_id[ctx.profile.card_id.region]
    try:
        region = decode_cn(raw)
    except ValueError as exc:
        raise AssertionError(
            bilingual(
                f"卡的识别码第 1–3 字节 {raw.hex().upper()} 不是 BCD 数字：{exc}",
                f"card identification code bytes 1–3 {raw.hex().upper()} are not BCD: {exc}",
            )
        ) from None
    problems = region_code_problems(region)
    assert not problems, "; ".join(
        led(f"卡的识别码 {card_id.hex().upper()}：", f"card identification code {card_id.hex().upper()}: ", p) for p in problems
    )


@then("卡的识别码中的 RID 与规范一致")
def card_id_rid(ctx: ScenarioContext) -> None:
    layout = ctx.profile.card_id
    card_id = ctx.value_bytes()
    actual = card_id[layout.rid]
    assert actual == layout.rid_value, bilingual(
        f"卡的识别码 {card_id.hex().upper()}：RID 预期 {layout.rid_value.hex().upper()}，实际 {actual.hex().upper()}",
        f"card identification code {card_id.hex().upper()}: RID expected {layout.rid_value.hex().upper()}, got {actual.hex().upper()}",
    )


@then("PSAM 以正确分散的内部认证密钥验证卡的识别码 MAC 通过")
def card_id_mac_verifies(ctx: ScenarioContext) -> None:
    from terminal.card_id import card_id_mac

    layout = ctx.profile.card_id
    card_id = ctx.value_bytes()
    expected = card_id_mac(ctx.card, ctx.psam, card_id)
    actual = card_id[layout.mac]
    region, card_sn = ctx.card.identity().region, ctx.card.identity().card_sn.hex().upper()
    assert actual == expected, bilingual(
        f"卡的识别码 {card_id.hex().upper()}：以 {layout.mac_key}（按地区 {region}、卡序列号 {card_sn} 分散）对第 1–12 字节计算的 MAC "
        f"应为 {expected.hex().upper()}，卡上为 {actual.hex().upper()}",
        f"card identification code {card_id.hex().upper()}: MAC over bytes 1–12 under {layout.mac_key} "
        f"(diversified for region {region}, card SN {card_sn}) "
        f"expected {expected.hex().upper()}, the card holds {actual.hex().upper()}",
    )


@then("卡号为 9 位且校验位正确")
def card_number_valid(ctx: ScenarioContext) -> None:
    number = ctx.value
    assert isinstance(number, str) and len(number) == 9, bilingual(
        f"卡号 {number!r} 不是 9 位", f"card number {number!r} is not 9 characters"
    )
    assert is_valid_card_number(number), bilingual(
        f"卡号 {number}：校验位为 {number[8]!r}，应为 {card_number_check_char(number[:8])!r}（规范 §4.2）",
        f"card number {number}: check character is {number[8]!r}, expected {card_number_check_char(number[:8])!r} (PROFILE §4.2)",
    )


# -- STD-ATR-2 -----------------------------------------------------------------------------------

HISTORICAL_ASPECTS = {"芯片厂商标识": "chip_maker", "COS 标识": "cos", "卡厂商标识": "card_maker", "8 字节卡序列号": "card_sn"}


@then(parsers.parse("历史字节中的{aspect}存在且有效"))
def historical_aspect_present(ctx: ScenarioContext, aspect: str) -> None:
    atr = ctx.standards.atr
    problems = historical_problems(ctx.profile.atr, atr)[HISTORICAL_ASPECTS[aspect]]
    decoded = decode_historical(ctx.profile.atr, atr)
    field = HISTORICAL_ASPECTS[aspect]
    parts = ("cos_id", "cos_version") if field == "cos" else (field,)  # the COS aspect is two fields
    declared = _declared_product(ctx) or {}
    ctx.observe(
        f"historical bytes: {', '.join(parts)}",
        ", ".join(str(decoded.get(p)) for p in parts if decoded.get(p)) or "; ".join(problems) or "present",
        "present and valid (PROFILE §2)" + "".join(f"; the ICS declares {p} {declared[p]}" for p in parts if p in declared),
    )
    assert not problems, f"{'; '.join(problems)}（复位应答 ATR {atr.hex(' ').upper()}，规范 PROFILE §2）"


def _declared_product(ctx: ScenarioContext) -> dict[str, str] | None:
    """The identifiers the ICS declares for the ATR (chip maker, COS, card maker), uppercase hex:
    shown beside what the card gave (PER-1 judges them against the issuer declaration)."""
    ics = ctx.session.ics
    product = ics.doc.product if ics is not None else None
    if product is None:
        return None
    fields = product.model_dump(exclude={"name"}, exclude_none=True)
    return {k: str(v).upper() for k, v in fields.items()} or None


# -- findings collected by a survey ---------------------------------------------------------------


def _assert_no_findings(ctx: ScenarioContext, what: str) -> None:
    findings = ctx.standards.findings
    assert not findings, f"发现 {len(findings)} 处不符合 / {what}: {len(findings)} finding(s):\n  " + "\n  ".join(findings)


# The expected result of each survey, as the test case states it; the survey's When step decides
# what is checked, and any finding fails the case with the finding listed.
SURVEY_EXPECTATIONS = (
    "规范文件表（规范 §3）中 SSSE 的每个必备子 DF 与 EF 均按其 FID 选择成功：9000（成功执行），无应答数据",
    "MF（3F00）、父 DF 与每个兄弟 DF 均按其 FID 选择成功：9000（成功执行），无应答数据",
    "卡上现有的每个 DF 按其名称（AID）选择成功，返回的 FCI 含该名称，SSSE 及其 ADF 的 FCI 含本代算法标识",
    "规范文件表（规范 §3）中本代卡的每个必备 DF 与 EF 自 MF 起按其 FID 逐级选择成功：9000（成功执行）",
    "每个必备 EF 以规范文件表中的 SFI 访问所得的状态字与数据，与按 FID 选择后访问所得的相同",
    "规范文件表中本代卡的每个必备 DF 按其名称（AID）选择成功，FCI 含该名称，SSSE 及其 ADF 的 FCI 含本代算法标识",
    "目录文件的记录依规范模板恰好列出卡上现有的 ADF，每个 ADF 一条，顺序与规范一致，无多余记录",
    "每条必备记录按记录号、按标记、按 SFI 与按当前文件读得的数据完全相同",
)


def no_findings(ctx: ScenarioContext) -> None:
    _assert_no_findings(ctx, ctx.standards.survey)


for _text in SURVEY_EXPECTATIONS:
    then(_text)(no_findings)


# -- STD-FS-2 / STD-FS-3 ----------------------------------------------------------------------------


@when("终端按规范的文件标识符逐一选择本代卡的全部必备文件")
def survey_fids(ctx: ScenarioContext) -> None:
    ctx.standards.survey = "SELECT by FID of every mandatory file"
    ctx.standards.findings = survey.fid_findings(ctx.card, survey.mandatory_files(ctx.profile))


@when("终端以短文件标识符逐一访问本代卡的全部必备 EF")
def survey_sfis(ctx: ScenarioContext) -> None:
    ctx.standards.survey = "SFI addressing of every mandatory EF"
    ctx.standards.findings = survey.sfi_findings(ctx.card, survey.mandatory_files(ctx.profile))


@when("终端取得本代卡每个必备 EF 的读权限后，以读二进制与读记录的应答判别其文件类型")
def survey_types(ctx: ScenarioContext) -> None:
    ctx.standards.survey = "file structure of every mandatory EF, observed with its read right"
    result = type_survey(ctx.card, survey.mandatory_files(ctx.profile), lambda: ctx.session.psam_for(ctx.card.identity().region), ctx.pin)
    ctx.standards.findings = result.findings
    ctx.standards.unobserved = result.unobserved


@then("每个必备 EF 的文件类型与规范文件表一致：定长记录文件、循环记录文件或透明文件，且每个文件的类型均已观察到")
def no_findings_all_observed(ctx: ScenarioContext) -> None:
    _assert_no_findings(ctx, ctx.standards.survey)
    if ctx.standards.unobserved:
        raise Inconclusive("; ".join(ctx.standards.unobserved))


@when("终端按名称逐一选择本代卡的全部必备 DF")
def survey_aids(ctx: ScenarioContext) -> None:
    ctx.standards.survey = "SELECT by name and FCI of every mandatory DF"
    ctx.standards.findings = survey.aid_findings(ctx.card, survey.mandatory_files(ctx.profile))


@given("终端已按名称探明卡上现有哪些 ADF")
def probe_adf_presence(ctx: ScenarioContext) -> None:
    ctx.standards.presence = survey.adf_presence(ctx.card)


@when("终端读取目录文件的全部记录")
def read_dir(ctx: ScenarioContext) -> None:
    ctx.standards.survey = "DIR against the ADFs present"
    _, _, findings = survey.dir_findings(ctx.card, ctx.standards.presence)
    ctx.standards.findings = findings


# -- STD-REC-* -------------------------------------------------------------------------------------


def _home_psam(ctx: ScenarioContext) -> PsamClient:
    """The PSAM of a terminal in the card's issuing region (home keys, local DF80 keys included)."""
    return ctx.session.psam_for(ctx.card.identity().region)


@when("终端取得各记录文件的读权限后逐条读取卡上现有的全部记录文件")
def walk_records(ctx: ScenarioContext) -> None:
    ctx.standards.walks = walk_record_files(ctx.card, _home_psam(ctx), ctx.pin)


def _walked(ctx: ScenarioContext, kinds: tuple[str, ...]) -> list[tuple[FileDef, RecordScan]]:
    walks = [(w.file, w.scan) for w in ctx.standards.walks if w.scan is not None and w.file.kind in kinds]
    assert walks, (
        f"no {'/'.join(kinds)} file could be read; skipped: {[(w.file.path, w.skipped) for w in ctx.standards.walks if w.skipped]}"
    )
    return walks


@then("每条定长记录均为单个 TLV")
def linear_records_are_tlvs(ctx: ScenarioContext) -> None:
    ctx.standards.findings = [p for f, scan in _walked(ctx, ("linear",)) for n, raw in scan.records for p in record_tlv_problems(f, n, raw)]
    _assert_no_findings(ctx, "linear records (PROFILE §3: one TLV per record)")


@then("卡上现有的每条循环记录的长度与规范定义一致")
def cyclic_records_sized(ctx: ScenarioContext) -> None:
    """Only the records the card holds can be measured without APPEND RECORD, which cannot be
    undone. An empty file (as issued) has no record size to read: this scenario then does not
    apply, and the requirement rests on the @destructive scenario that fills the file itself —
    not run without it, never passed on an empty file."""
    walked = _walked(ctx, ("cyclic",))
    if not any(scan.records for _, scan in walked):
        pytest.skip(
            f"{NOT_APPLICABLE}the cyclic file(s) {', '.join(f.path for f, _ in walked)} hold no records (empty as issued): "
            "no record size can be read without appending; the @destructive scenario fills the file and checks it"
        )
    ctx.standards.findings = [p for f, scan in walked for n, raw in scan.records for p in cyclic_size_problems(f, n, raw)]
    _assert_no_findings(ctx, "cyclic records (PROFILE §3.3)")


@then(parsers.parse('"{path}" 的记录条数等于文件容量，且每条记录的长度与规范定义一致'))
def filled_cyclic_records_sized(ctx: ScenarioContext, path: str) -> None:
    f = ctx.profile.file(path)
    scan = ctx.standards.scan
    findings = [p for n, raw in scan.records for p in cyclic_size_problems(f, n, raw)]
    if len(scan.records) != f.record_count:
        findings.append(
            bilingual(
                f"{path}：写满后读出 {len(scan.records)} 条记录，文件容量为 {f.record_count} 条（读到记录 {scan.end_number} 时返回 {sw_zh(scan.end)}）",
                f"{path}: {len(scan.records)} record(s) read after filling it, the file holds {f.record_count} "
                f"(the scan ended at record {scan.end_number} with {scan.end.describe()})",
            )
        )
    ctx.standards.findings = findings
    _assert_no_findings(ctx, "cyclic records of a filled file (PROFILE §3.3)")


@then("每条必备记录的标记、长度与记录号与数据字典一致")
def records_match_dictionary(ctx: ScenarioContext) -> None:
    findings = []
    for f, scan in _walked(ctx, ("linear", "cyclic")):
        if "dir" in f.flags:
            continue  # the DIR's records are the ADFs present (STD-FS-3), not data-dictionary items
        found = {n for n, _ in scan.records}
        if f.kind == "linear":
            findings += [
                f"{f.path}: mandatory record {r.number} (tag {r.tag:02X} {r.title.en}) is missing: READ RECORD {r.number} ended the scan with {scan.end.describe()}"
                for r in f.records
                if r.number not in found
            ]
        findings += [p for n, raw in scan.records for p in record_dictionary_problems(f, n, raw)]
    ctx.standards.findings = findings
    _assert_no_findings(ctx, "records against the data dictionary (PROFILE §3.1–§3.3)")


@then("在最后一条记录之后再读一条，各记录文件均返回 6A83（未找到记录）")
def no_extra_records(ctx: ScenarioContext) -> None:
    ctx.standards.findings = [
        f"{f.path}: READ RECORD {scan.end_number} (after the last record the profile allows) answered {scan.end.describe()} "
        f"{scan.end.data.hex().upper()}, expected {ctx.profile.sw['record_not_found'].pattern} record not found; APDUs: {ctx.apdu_text(scan.end)}"
        for f, scan in _walked(ctx, ("linear", "cyclic"))
        if not scan.ended_cleanly
    ]
    _assert_no_findings(ctx, "extra records")


@when("终端以四种寻址方式读取各可读定长记录文件的每条必备记录")
def read_four_ways(ctx: ScenarioContext) -> None:
    count, findings = addressing_survey(ctx.card, lambda: _home_psam(ctx), ctx.pin)
    ctx.standards.survey = f"READ RECORD by number / by tag, via SFI / current EF, over {count} files"
    ctx.standards.findings = findings


# -- STD-DATA-3 … STD-DATA-6 ----------------------------------------------------------------------


@given(parsers.parse('终端已取得读取数据项 "{item}" 所在文件的权限'))
def grant_item_read(ctx: ScenarioContext, item: str) -> None:
    f, _ = find_item(ctx.profile, data_item(ctx.profile, item))
    grant(ctx.card, f.path, "read", _home_psam(ctx), ctx.pin)


@given(parsers.parse('终端已取得文件 "{path}" 的{right}权限'))
def grant_file_right(ctx: ScenarioContext, path: str, right: str) -> None:
    grant(ctx.card, path, RIGHTS[right], _home_psam(ctx), ctx.pin)


RIGHTS = {"读": "read", "更新": "update", "追加": "append"}


@when(parsers.re(r'依次读取数据项 (?P<items>"[^"]+"(、"[^"]+")*)$'))
def read_listed_items(ctx: ScenarioContext, items: str) -> None:
    names = [data_item(ctx.profile, title.strip('"')) for title in items.split("、")]
    ctx.standards.items = {name: ctx.card.read_item(name) for name in names}
    for name, value in ctx.standards.items.items():
        ctx.observe(f"data item {name}", value)


@when(parsers.parse('读取数据项 "{item}" 的原始值'))
def read_item_raw(ctx: ScenarioContext, item: str) -> None:
    item = data_item(ctx.profile, item)
    f, rec = find_item(ctx.profile, item)
    response = ctx.card.read_record(f.path, tag=rec.tag, check=True)
    ctx.value = parse_record(response.data).value
    ctx.item = item
    ctx.response = response
    ctx.observe(f"data item {item} (raw record {f.path} tag {rec.tag:02X})", response.data)


@then("社会保障号码符合 GB 11643：地区代码、出生日期与校验位均有效")
def ssn_valid(ctx: ScenarioContext) -> None:
    ssn = ctx.value_text()
    problems = ssn_problems(ssn)
    assert not problems, (
        "; ".join(led(f"社会保障号码 {ssn!r}：", f"social security number {ssn!r}: ", p) for p in problems) + " (PROFILE §4.3)"
    )


@then("出生日期为有效日期，且与社会保障号码第 7–14 位一致")
def birth_date_matches_ssn(ctx: ScenarioContext) -> None:
    ssn, birth = ctx.standards.item_text("ssn"), ctx.standards.item_text("birth_date")
    problems = date_problems(birth, "birth date")
    if birth != ssn[6:14]:
        problems.append(
            bilingual(
                f"出生日期 {birth} 与社会保障号码 {ssn} 第 7–14 位（{ssn[6:14]}）不符",
                f"birth date {birth} differs from SSN {ssn} digits 7–14 ({ssn[6:14]})",
            )
        )
    assert not problems, "; ".join(problems) + " (PROFILE §3.2, §4.3)"


@then("规范版本与所加载规范配置文件的代别一致")
def spec_version_matches(ctx: ScenarioContext) -> None:
    assert ctx.value == ctx.profile.spec_version, bilingual(
        f"EF05 中的规范版本为 {ctx.value!r}，卡按 {ctx.profile.name} 检测，其规范版本为 {ctx.profile.spec_version!r}（规范 §1、§3.1）",
        f"EF05 spec version is {ctx.value!r}, the card is tested as {ctx.profile.name} "
        f"whose spec version is {ctx.profile.spec_version!r} (PROFILE §1, §3.1)",
    )


@then("卡的类别为有效的卡类别代码")
def card_type_valid(ctx: ScenarioContext) -> None:
    problems = card_type_problems(ctx.value_text(), ctx.profile.card_types.values)
    assert not problems, "; ".join(problems)


@then("初始化机构编号为 24 位数字且前 6 位为发卡地区代码")
def init_institution_valid(ctx: ScenarioContext) -> None:
    problems = init_institution_problems(ctx.value_text(), ctx.card.identity().region)
    assert not problems, "; ".join(problems) + " (PROFILE §3.1)"


@then("发卡日期与卡有效期均为有效日期，且有效期晚于发卡日期")
def dates_ordered(ctx: ScenarioContext) -> None:
    issue, expiry = ctx.standards.item_text("issue_date"), ctx.standards.item_text("expiry_date")
    problems = date_problems(issue, "issue date") + date_problems(expiry, "expiry date")
    if not problems and not parse_date(issue) < parse_date(expiry):  # type: ignore[operator]  # both dates parsed: problems would be non-empty otherwise
        problems.append(bilingual(f"卡有效期 {expiry} 不晚于发卡日期 {issue}", f"expiry date {expiry} is not after the issue date {issue}"))
    assert not problems, "; ".join(problems) + " (PROFILE §3.1)"


@then("姓名去掉 00 填充后可按 GBK 解码")
def name_is_gbk(ctx: ScenarioContext) -> None:
    problems = gbk_problems(ctx.value_bytes(), "name")
    assert not problems, "; ".join(problems) + f"; APDUs: {ctx.apdu_text()}"


ELEMENT_CODES = {
    "性别": ("gender", gender_problems),
    "民族": ("ethnicity", ethnicity_problems),
    "出生地": ("birthplace", region_code_problems),
}


@then(parsers.parse("{element}为规范代码表中的有效代码"))
def element_code_valid(ctx: ScenarioContext, element: str) -> None:
    item, check = ELEMENT_CODES[element]
    problems = check(ctx.value_text())
    assert not problems, "; ".join(led(f"{element}：", f"{item}: ", p) for p in problems)


@when(parsers.parse('读取文件 "{path}" 的全部必备记录'))
def read_mandatory_records(ctx: ScenarioContext, path: str) -> None:
    f = ctx.profile.file(path)
    records = ctx.standards.records
    for rec in f.records:
        response = ctx.card.read_record(path, tag=rec.tag, check=True)
        records.append((f, rec, parse_record(response.data).value))


@then("各 an 数据项以 00 右补齐，各 cn 数据项以 F 右补齐")
def padding_rules(ctx: ScenarioContext) -> None:
    ctx.standards.findings = [
        led(
            f"{f.path} 标签 {rec.tag:02X} {rec.title.zh}（{rec.fmt}）{raw.hex().upper()}：",
            f"{f.path} tag {rec.tag:02X} {rec.title.en} ({rec.fmt}) {raw.hex().upper()}: ",
            p,
        )
        for f, rec, raw in ctx.standards.records
        for p in check_padding(raw, rec.fmt)
    ]
    _assert_no_findings(ctx, "an/cn padding (PROFILE §3)")


# -- STD-CMD-1 ---------------------------------------------------------------------------------------


@when(parsers.parse('在 "{path}" 中按文件标识符逐一选择其全部必备子文件'))
def select_children(ctx: ScenarioContext, path: str) -> None:
    targets = [f for f in ctx.profile.children(path) if f in survey.mandatory_files(ctx.profile)]
    ctx.standards.survey = f"SELECT by child FID in {path}"
    ctx.standards.findings = survey.select_fid_findings(ctx.card, path, targets)


@when(parsers.parse('在 "{path}" 中按文件标识符选择 MF、父 DF 与各兄弟 DF'))
def select_relatives(ctx: ScenarioContext, path: str) -> None:
    ctx.standards.survey = f"SELECT by FID of MF, parent and siblings from {path}"
    ctx.standards.findings = survey.select_fid_findings(ctx.card, path, survey.relatives(ctx.profile, path))


@when("终端按名称逐一选择卡上现有的全部 DF")
def select_present_dfs(ctx: ScenarioContext) -> None:
    files = survey.present_files(ctx.profile, survey.adf_presence(ctx.card))
    ctx.standards.survey = "SELECT by name of every DF present"
    ctx.standards.findings = survey.aid_findings(ctx.card, files)


ABSENT_SELECTS = {"文件标识符（DF）": "df_fid", "文件标识符（当前 DF 下的 EF）": "ef_fid", "应用名称（AID）": "name"}


@when(parsers.parse("按{how}选择一个规范未定义的文件"))
def select_absent(ctx: ScenarioContext, how: str) -> None:
    ctx.response = ctx.card.terminal.send(survey.absent_file_selects(ctx.profile)[ABSENT_SELECTS[how]])
    ctx.card.forget_selection()


# -- STD-CMD-2 ---------------------------------------------------------------------------------------


@when(parsers.parse('读取透明文件 "{path}" 偏移 {offset:d} 起的 {length:d} 字节'))
def read_binary_at(ctx: ScenarioContext, path: str, offset: int, length: int) -> None:
    response = ctx.card.read_binary(path, offset, length, check=False)
    assert response.ok and len(response.data) == length, (
        f"从偏移 {offset} 读 {path} 的二进制 {length} 字节：收到 {len(response.data)} 字节，{sw_zh(response)} / "
        f"READ BINARY {path} at {offset}, {length} bytes: got {len(response.data)} bytes, {sw_text(ctx.profile, response.sw)}; "
        f"APDUs: {ctx.apdu_text(response)}"
    )
    ctx.standards.binary.append((offset, response))


@then("各次读二进制所得数据在重叠部分一致")
def binary_reads_agree(ctx: ScenarioContext) -> None:
    reads = ctx.standards.binary
    for i, (a_off, a) in enumerate(reads):
        for b_off, b in reads[i + 1 :]:
            lo, hi = max(a_off, b_off), min(a_off + len(a.data), b_off + len(b.data))
            if lo < hi:
                left, right = a.data[lo - a_off : hi - a_off], b.data[lo - b_off : hi - b_off]
                assert left == right, (
                    f"第 {lo}–{hi - 1} 字节：从偏移 {a_off} 读得 {left.hex().upper()}，从偏移 {b_off} 读得 {right.hex().upper()} / "
                    f"bytes {lo}–{hi - 1}: read at offset {a_off} gave {left.hex().upper()}, at offset {b_off} {right.hex().upper()}; "
                    f"APDUs: {ctx.apdu_text(a)}; {ctx.apdu_text(b)}"
                )


@when(parsers.parse('从文件末尾处读取透明文件 "{path}"'))
def read_binary_at_end(ctx: ScenarioContext, path: str) -> None:
    ctx.response = ctx.card.read_binary(path, ctx.profile.file(path).size or 0, 1, check=False, raw=True)


@when(parsers.parse('从文件末尾处更新透明文件 "{path}"'))
def update_binary_at_end(ctx: ScenarioContext, path: str) -> None:
    ctx.response = ctx.card.update_binary(path, ctx.profile.file(path).size or 0, bytes(1), check=False)


@when(parsers.parse('读取 "{path}" 最后一条必备记录之后的记录'))
def read_after_last(ctx: ScenarioContext, path: str) -> None:
    f = ctx.profile.file(path)
    ctx.response = ctx.card.read_record(path, max(r.number for r in f.records) + 1, le=f.records[0].record_length, check=False, raw=True)


@when(parsers.parse('未取得更新权限时更新 "{path}" 最后一条必备记录之后的记录'))
def update_after_last_unauthorized(ctx: ScenarioContext, path: str) -> None:
    """The profile's check order puts record_not_found before security_not_satisfied: the card
    answers 6A83 for a record that does not exist even to a terminal without the update right."""
    f = ctx.profile.file(path)
    last = max(f.records, key=lambda r: r.number)
    ctx.card.select_mf(check=True)  # a clean security state: no key, no PIN
    record = bytes([last.tag, last.length]) + bytes(last.length)
    ctx.response = ctx.card.update_record(path, record, number=last.number + 1, check=False)


@when(parsers.parse('对{kind}文件 "{path}" 发送{command}命令'))
def wrong_structure_command(ctx: ScenarioContext, kind: str, path: str, command: str) -> None:
    if command == "读二进制":
        ctx.response = ctx.card.read_binary(path, 0, 1, check=False, raw=True)
    else:
        ctx.response = ctx.card.read_record(path, 1, check=False, raw=True)


@when(parsers.parse('更新 "{path}" 的第 {number:d} 条记录为不同的值后读回，再写回原值'))
def update_record_roundtrip(ctx: ScenarioContext, path: str, number: int) -> None:
    ctx.standards.writeback = update_record_and_restore(ctx.card, path, number, flip_value)


@when(parsers.parse('以标记与记录定义不符的数据更新 "{path}" 的第 {number:d} 条记录'))
def update_record_wrong_tag(ctx: ScenarioContext, path: str, number: int) -> None:
    result = update_record_and_restore(ctx.card, path, number, mismatched_tag(ctx.profile.file(path)))
    ctx.standards.writeback = result
    ctx.response = result.write


@when(parsers.parse('将 "{path}" 偏移 {offset:d} 处的 {length:d} 字节更新为其反码后读回，再写回原值'))
def update_binary_roundtrip(ctx: ScenarioContext, path: str, offset: int, length: int) -> None:
    ctx.standards.writeback = update_binary_and_restore(ctx.card, path, offset, length)


@when(parsers.parse('将 "{path}" 末尾的 {length:d} 字节更新为其反码后读回，再写回原值'))
def update_binary_tail_roundtrip(ctx: ScenarioContext, path: str, length: int) -> None:
    """The update ends exactly at the end of the EF (PROFILE §5: only an offset or an end past the
    EF is refused), so a card that refuses the last byte fails."""
    size = ctx.profile.file(path).size
    if size is None or size < length:
        raise Inconclusive(
            f"{path}：规范配置文件未给出至少 {length} 字节的大小 / {path}: the profile gives no size of at least {length} bytes"
        )
    ctx.standards.writeback = update_binary_and_restore(ctx.card, path, size - length, length)


@then("更新与写回均成功，读回的数据先为新值、后为原值")
def roundtrip_ok(ctx: ScenarioContext) -> None:
    problem = roundtrip_problem(ctx.standards.writeback, lambda r: f"{sw_text(ctx.profile, r.sw)}; APDUs: {ctx.apdu_text(r)}")
    assert problem is None, problem


@then("被拒绝的更新未写入：拒绝之后读回的记录仍为原值")
def refused_update_not_written(ctx: ScenarioContext) -> None:
    wb = ctx.standards.writeback
    after = wb.read_after_write
    assert after.ok and after.data == wb.original, (
        f"以 {wb.written.hex().upper()} 更新，卡应答 {sw_zh(wb.write)}，但随后读回的记录为 {after.data.hex().upper()} {sw_zh(after)}，"
        f"而非原值 {wb.original.hex().upper()} / "
        f"the card answered {sw_text(ctx.profile, wb.write.sw)} to the update with {wb.written.hex().upper()}, but the record then read "
        f"{after.data.hex().upper()} {sw_text(ctx.profile, after.sw)} instead of {wb.original.hex().upper()}; APDUs: {ctx.apdu_text(after)}"
    )


@then("原数据已写回")
def original_restored(ctx: ScenarioContext) -> None:
    wb = ctx.standards.writeback
    assert wb.restored, (
        f"原值 {wb.original.hex().upper()} 未能恢复：写回 {sw_zh(wb.restore)}，读回 {wb.read_after_restore.data.hex().upper()} / "
        f"the original {wb.original.hex().upper()} could not be restored: write-back {sw_text(ctx.profile, wb.restore.sw)}, "
        f"read {wb.read_after_restore.data.hex().upper()}; APDUs: {ctx.apdu_text(wb.restore)}"
    )


# -- STD-CMD-3 ---------------------------------------------------------------------------------------


@when("以规范允许的每种长度取随机数")
def challenge_each_length(ctx: ScenarioContext) -> None:
    ctx.standards.challenges = [(n, ctx.card.get_challenge(n, check=False)) for n in challenge_lengths(ctx.profile)[0]]


@when("以规范未允许的长度取随机数")
def challenge_refused_lengths(ctx: ScenarioContext) -> None:
    ctx.standards.challenges = [(n, ctx.card.get_challenge(n, check=False)) for n in challenge_lengths(ctx.profile)[1]]


@then("每次均返回 9000（成功执行），且随机数长度等于 Le")
def challenges_have_length(ctx: ScenarioContext) -> None:
    for n, r in ctx.standards.challenges:
        ctx.observe(f"GET CHALLENGE Le {n:02X}", f"{len(r.data)} bytes, {r.sw:04X}", f"{n} bytes, 9000")
    bad = [
        f"Le {n:02X}：{len(r.data)} 字节 bytes，{sw_text(ctx.profile, r.sw)}"
        for n, r in ctx.standards.challenges
        if not r.ok or len(r.data) != n
    ]
    assert not bad, "取随机数 GET CHALLENGE：" + "；".join(bad)


@then(parsers.re(rf"每次均返回 {SW_LABEL}$"))
def challenges_refused(ctx: ScenarioContext, label: str) -> None:
    expected = status_word(ctx.profile, label)
    for n, r in ctx.standards.challenges:
        ctx.observe(f"GET CHALLENGE Le {n:02X}", sw_text(ctx.profile, r.sw), expected.label)
    bad = [
        f"Le {n:02X}: {r.data.hex().upper()} {sw_text(ctx.profile, r.sw)}"
        for n, r in ctx.standards.challenges
        if not expected.matches(r.sw)
    ]
    assert not bad, f"取随机数：预期 {expected.label} / GET CHALLENGE expected {expected.pattern} ({expected.en})：" + "; ".join(bad)


@when(parsers.parse("连续 {count:d} 次取 {length:d} 字节随机数"))
def challenge_series(ctx: ScenarioContext, count: int, length: int) -> None:
    ctx.standards.challenges = [(length, ctx.card.get_challenge(length, check=True)) for _ in range(count)]


@then("所取随机数各不相同")
def challenges_fresh(ctx: ScenarioContext) -> None:
    values = [r.data for _, r in ctx.standards.challenges]
    assert len(set(values)) == len(values), f"随机数有重复 / repeated challenge values：{[v.hex().upper() for v in values]}"


# -- STD-CMD-3: is GET CHALLENGE a random number generator? (parameters: profile `randomness`) ------


def _challenge_values(ctx: ScenarioContext) -> list[bytes]:
    """The challenges a when-step collected, each checked to be a 9000 answer of length Le."""
    bad = [
        f"第 {i + 1} 个随机数 challenge {i + 1}，Le {n:02X}：{len(r.data)} 字节 bytes，{sw_text(ctx.profile, r.sw)}"
        for i, (n, r) in enumerate(ctx.standards.challenges)
        if not r.ok or len(r.data) != n
    ]
    assert not bad, "取随机数未返回所请求长度的随机数 / GET CHALLENGE did not answer a challenge of the requested length：" + "；".join(bad)
    return [r.data for _, r in ctx.standards.challenges]


@when("卡片复位规定次数，每次复位后立即取一个随机数")
def first_challenge_after_each_reset(ctx: ScenarioContext) -> None:
    spec = ctx.profile.randomness
    firsts = []
    for _ in range(spec.resets):
        ctx.card.reset()
        firsts.append((spec.challenge_length, ctx.card.get_challenge(spec.challenge_length, check=False)))
    ctx.standards.challenges = firsts


@then("各次复位后的第一个随机数互不相同")
def first_challenges_differ(ctx: ScenarioContext) -> None:
    values = _challenge_values(ctx)
    repeats = repeated_first_challenges(values)
    shown = "; ".join(f"第 {j + 1} 次复位重复第 {i + 1} 次 reset {j + 1} repeats reset {i + 1}" for i, j in repeats[:5]) + (
        f"（另有 {len(repeats) - 5} 处 +{len(repeats) - 5} more）" if len(repeats) > 5 else ""
    )
    assert not repeats, (
        f"{len(values)} 次复位后的第一个随机数只有 {len(set(values))} 个不同值（上电后从同一状态重新开始的随机数发生器）/ "
        f"{len(values)} resets gave only {len(set(values))} distinct first challenges (a generator that restarts from the same "
        f"state at power-on)：{shown}；各次第一个随机数 first challenges：{', '.join(v.hex().upper() for v in values)}"
    )


@when("连续取规定个数的随机数")
def challenge_profile_series(ctx: ScenarioContext) -> None:
    spec = ctx.profile.randomness
    ctx.standards.challenges = [
        (spec.challenge_length, ctx.card.get_challenge(spec.challenge_length, check=False)) for _ in range(spec.series)
    ]


@then("所取随机数按大端、小端整数及逐字节位置均不构成等差数列")
def challenges_no_counter(ctx: ScenarioContext) -> None:
    values = _challenge_values(ctx)
    findings = counter_findings(values)
    assert not findings, (
        f"连续所取随机数是计数器或等差数列 / successive challenges are a counter or progression：{'；'.join(findings)}；"
        f"随机数 challenges：{', '.join(v.hex().upper() for v in values)}"
    )


_PILOT = 8  # GET CHALLENGEs timed on a card in a reader before the battery's cost is announced


@when("取运行选项规定比特数的随机数作为样本，进行随机性统计检测")
def randomness_battery(ctx: ScenarioContext) -> None:
    spec = ctx.profile.randomness
    bits = ctx.session.random_bits
    assert bits >= spec.min_bits, f"--random-bits {bits} is below the battery's minimum of {spec.min_bits} bits (randomness.min_bits)"
    count = challenges_needed(bits, spec.challenge_length)
    pilot: list[bytes] = []
    if ctx.session.physical_reader:  # an in-process card answers in microseconds: nothing to announce
        started = time.monotonic()
        pilot = [_challenge(ctx, spec.challenge_length) for _ in range(min(_PILOT, count))]
        per_apdu = (time.monotonic() - started) / len(pilot)
        ctx.session.announce(
            f"STD-CMD-3 randomness battery: {count} GET CHALLENGE APDUs ({bits} bits in {spec.challenge_length}-byte challenges"
            f"{f', and {count} more for each of up to {spec.retests} retest(s) if one test fails' if spec.retests else ''}), "
            f"about {count * per_apdu:.0f} s at {per_apdu * 1000:.1f} ms per APDU (measured on the first {len(pilot)})"
        )

    def draw() -> bytes:
        nonlocal pilot
        sample = pilot + [_challenge(ctx, spec.challenge_length) for _ in range(count - len(pilot))]
        pilot = []
        return b"".join(sample)

    ctx.standards.battery = judge_battery(draw, BatteryParameters.from_profile(spec))


def _challenge(ctx: ScenarioContext, length: int) -> bytes:
    r = ctx.card.get_challenge(length, check=False)
    assert r.ok and len(r.data) == length, (
        f"取随机数 Le {length:02X} 返回 {len(r.data)} 字节，{sw_text(ctx.profile, r.sw)} / "
        f"GET CHALLENGE Le {length:02X} answered {len(r.data)} bytes；APDU：{ctx.apdu_text(r)}"
    )
    return r.data


@then("样本通过单比特频数、块内频数、游程与扑克检测")
def battery_passed(ctx: ScenarioContext) -> None:
    verdict = ctx.standards.battery
    spec = ctx.profile.randomness
    assert verdict.passed, (
        f"随机数未通过显著性水平 α = {spec.alpha} 的随机性检测（GM/T 0005 / NIST SP 800-22；一项不通过的样本可重测 {spec.retests} 次，"
        f"两项不通过或重测不通过即判不通过）/ the challenges fail the randomness battery at α = {spec.alpha} (GM/T 0005 / NIST SP 800-22; "
        f"a sample failing one test gets {spec.retests} retest(s), two failing tests or a failed retest fail):\n{verdict.describe()}"
    )


# -- STD-CMD-4 ---------------------------------------------------------------------------------------


@when("不自动取响应，发送内部认证命令")
def internal_auth_raw(ctx: ScenarioContext) -> None:
    cmd = ctx.profile.command("internal_authenticate")
    half = cmd.byte("lc") // 2
    ctx.response = ctx.card.internal_authenticate(os.urandom(half), os.urandom(half), raw=True, check=False)
    ctx.standards.exact = cmd.byte("response_length")


@when(parsers.parse('不自动处理 6Cxx，以{case}读取数据项 "{item}" 所在记录'))
def read_record_le_case(ctx: ScenarioContext, case: str, item: str) -> None:
    f, rec = find_item(ctx.profile, data_item(ctx.profile, item))
    ctx.card.ensure_df(ctx.profile.df_of(f.path).path)
    apdu = record_le_probe(ctx.profile, f, rec, LE_CASES[case])
    ctx.response = ctx.card.terminal.send(apdu, raw=True)
    ctx.standards.exact = rec.record_length


LE_CASES = {"Le 00": "zero", "不带 Le": "missing", "Le 比记录长度少 1": "short", "Le 比记录长度多 1": "long"}


@when(parsers.parse('不自动处理 6Cxx，在文件末尾前 {tail:d} 字节处以 Le {le:d} 读取透明文件 "{path}"'))
def read_binary_past_end(ctx: ScenarioContext, tail: int, le: int, path: str) -> None:
    size = ctx.profile.file(path).size or 0
    ctx.response = ctx.card.read_binary(path, size - tail, le, check=False, raw=True)
    ctx.standards.exact = tail


@then(parsers.re(rf"状态字为 {SW_LABEL}，且 xx 为准确长度$"))
def sw_with_exact_length(ctx: ScenarioContext, label: str) -> None:
    expected = status_word(ctx.profile, label).with_value(ctx.standards.exact % 0x100)
    actual = ctx.last_response().sw
    assert actual == expected, f"{sw_expected(ctx.profile, expected, actual)}；APDU：{ctx.apdu_text()}"


@when("以卡片给出的长度重发该命令")
def reissue_with_exact_le(ctx: ScenarioContext) -> None:
    command = CommandApdu.parse(ctx.last_response().exchanges[0][0])
    ctx.response = ctx.card.terminal.send(command.with_le(ctx.last_response().sw2), raw=True)


@then("状态字为 9000（成功执行），且返回数据的长度为准确长度")
def ok_with_exact_data(ctx: ScenarioContext) -> None:
    r = ctx.last_response()
    assert r.ok and len(r.data) == ctx.standards.exact, (
        f"预期 9000（成功执行）及 {ctx.standards.exact} 字节数据，实际 {len(r.data)} 字节 {sw_zh(r)} / "
        f"expected 9000 with {ctx.standards.exact} bytes, got {len(r.data)} bytes {sw_text(ctx.profile, r.sw)}; APDUs: {ctx.apdu_text()}"
    )


# -- STD-CMD-5 ---------------------------------------------------------------------------------------


@when(parsers.re(r'以安全报文向 "(?P<path>[^"]+)" 追加(?P<how>比文件容量多 1 条|与文件容量相同条数)的互不相同的记录$'))
def append_rotation(ctx: ScenarioContext, path: str, how: str) -> None:
    f = ctx.profile.file(path)
    psam = _home_psam(ctx)
    records = distinct_records(f, (f.record_count or 0) + (1 if how.startswith("比") else 0))
    ctx.standards.appended = records
    ctx.standards.appends = [ctx.card.secure_append_record(path, record, psam, check=False) for record in records]
    ctx.standards.scan = survey.scan_records(ctx.card, path, f.record_count or 0)


@then("每次追加均成功")
def appends_ok(ctx: ScenarioContext) -> None:
    bad = [
        f"第 {i + 1} 次追加 append {i + 1}：{sw_text(ctx.profile, r.sw)}；APDU：{ctx.apdu_text(r)}"
        for i, r in enumerate(ctx.standards.appends)
        if not r.ok
    ]
    assert not bad, "; ".join(bad)


@then("自第 1 条起的记录依次为最近追加的记录，最早追加的一条已被覆盖")
def records_rotated(ctx: ScenarioContext) -> None:
    appended, scan = ctx.standards.appended, ctx.standards.scan
    expected = list(reversed(appended))[: len(appended) - 1]  # newest first; the oldest overwritten
    actual = [data for _, data in scan.records]
    assert actual == expected, (
        "循环文件的记录（记录 1 为最近追加的）与预期不符 / cyclic records (record 1 = newest) expected\n  "
        + "\n  ".join(r.hex().upper() for r in expected)
        + "\ngot\n  "
        + "\n  ".join(r.hex().upper() for r in actual)
        + f"\nthe scan ended at record {scan.end_number} with {scan.end.describe()}"
    )
    assert scan.ended_cleanly, bilingual(
        f"写满的循环文件的记录 {scan.end_number} 返回 {sw_zh(scan.end)}，预期 {ctx.profile.sw['record_not_found'].label}",
        f"record {scan.end_number} of a full cyclic file answered {scan.end.describe()}, expected record not found",
    )


@then(parsers.parse('按记录标识（标记）读 "{path}" 得到最近追加的记录（第 1 条）'))
def cyclic_read_by_tag(ctx: ScenarioContext, path: str) -> None:
    """PROFILE §3: READ RECORD by record identifier finds the first occurrence of the tag, and in a
    cyclic file record 1 is the newest: another legitimate path to the record just read back."""
    newest = ctx.standards.appended[-1]
    response = ctx.card.read_record(path, tag=newest[0], check=False)
    assert response.ok and response.data == newest, bilingual(
        f"按标签 {newest[0]:02X} 读 {path} 的记录：预期最近追加的记录 {newest.hex().upper()} 及 9000（成功执行），"
        f"实际 {response.data.hex().upper() or '无数据'} {sw_zh(response)}",
        f"READ RECORD by tag {newest[0]:02X} of {path}: expected the newest record {newest.hex().upper()} with 9000, "
        f"got {response.data.hex().upper()} {response.describe()}",
    )


# -- STD-SW-1 ----------------------------------------------------------------------------------------


def _probe(ctx: ScenarioContext, description: str) -> Probe:
    """The check-order probe a test case names by its description (checks.standards.check_order)."""
    probes = {p.description: p for p in check_order_probes(ctx.profile)}
    if description not in probes:
        raise ValueError(f"没有名为“{description}”的检查顺序探测命令（已知：{'、'.join(probes)}）/ no check-order probe {description!r}")
    return probes[description]


@given(parsers.parse('已选择探测命令 "{description}" 所需的 DF，且未取得任何访问权限'))
def probe_df_clean(ctx: ScenarioContext, description: str) -> None:
    probe = _probe(ctx, description)
    ctx.card.select_mf(check=True)  # clears every PIN and key state (PROFILE §3.3)
    ctx.card.select_path(probe.df, check=True)
    ctx.standards.probe = probe


@when(parsers.parse('发送检查顺序探测命令 "{description}"'))
def send_probe(ctx: ScenarioContext, description: str) -> None:
    ctx.response = ctx.card.terminal.send(_probe(ctx, description).apdu, raw=True)


@then(parsers.re(rf"状态字为 {SW_LABEL}，即探测命令所违反的最早一项检查的状态字$"))
def earliest_check_answers(ctx: ScenarioContext, label: str) -> None:
    probe: Probe = ctx.standards.probe
    # One broken check: the status word's meaning decides. Two: which one answers is the stand-in order.
    expected = expect_sw(ctx.profile, probe.expected.sw, *(("check_order",) if len(probe.violations) > 1 else ()))
    if status_word(ctx.profile, label) != expected.word:
        raise ValueError(
            f"用例表写的预期状态字 {label} 与规范 §5 检查顺序得出的 {expected.word.label} 不符（{probe.description}）/ "
            "the table's expected status word disagrees with the profile's check order"
        )
    actual = ctx.last_response().sw
    broken = "、".join(f"第 {v.group + 1} 项检查（{ctx.profile.sw[v.sw].written}）" for v in probe.violations)
    assert expected.matches(actual), (
        f"{probe.description}：该命令违反{broken}，应由最早一项应答（规范 §5 检查顺序）：{sw_expected(ctx.profile, expected, actual)}；"
        f"APDU：{ctx.apdu_text()}"
    )
