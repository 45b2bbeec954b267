"""Steps of the personalization review (PER-*): the card against its issuer's declaration.

The declaration (`harness.declaration.Declaration`) comes with the run (``--declaration``, or the
embedded reference card's own); the plugin reports PER scenarios "not run" when there is none.
"""

from __future__ import annotations

from pytest_bdd import given, then, when

from checks.personalization.cardholder import birth_date_mismatch, gender_parity_mismatch, read_items
from checks.personalization.declared_keys import check_key_versions, keys_of_present_dfs
from checks.wording import bilingual, halves, led, sw_zh
from ssc.checks import region_code_problems, ssn_problems
from ssc.codecs import decode_cn
from steps.context import ScenarioContext, sw_text
from terminal.session import CardSession, OperationError

_CARDHOLDER_ITEMS = ("ssn", "gender", "birthplace", "birth_date")


@given("发卡机构已提交本卡的声明")
def issuer_declaration(ctx: ScenarioContext) -> None:
    decl = ctx.session.declaration
    assert decl is not None, "no issuer declaration given (--declaration)"
    ctx.personalization.declaration = decl


@given("声明发卡地区的终端及其 PSAM，按声明的发卡地区计算分散因子")
def declared_region_terminal(ctx: ScenarioContext) -> None:
    """From here on the card is addressed as a card of the declared region: its city and province
    factors come from the declaration, not from the card identification code."""
    decl = ctx.personalization.declaration
    ctx.psam = ctx.session.psam_for(decl.region)
    ctx.card = CardSession(ctx.card.terminal, region=decl.region, check=False)


# -- PER-1 -------------------------------------------------------------------------------------


@then("卡的识别码中的地区代码等于声明的发卡地区代码")
def card_id_region_is_declared(ctx: ScenarioContext) -> None:
    decl = ctx.personalization.declaration
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
    assert region == decl.region, bilingual(
        f"卡的识别码 {card_id.hex().upper()} 中的地区代码为 {region}；{decl.where('region')} 声明为 {decl.region}",
        f"card identification code {card_id.hex().upper()} names region {region}; {decl.where('region')} declares {decl.region}",
    )


@then("初始化机构编号等于声明的初始化机构编号")
def init_institution_is_declared(ctx: ScenarioContext) -> None:
    decl = ctx.personalization.declaration
    number = ctx.value_text()
    assert number == decl.init_institution, bilingual(
        f"卡上的初始化机构编号为 {number}；{decl.where('init_institution')} 声明为 {decl.init_institution}",
        f"initialization institution number on the card {number}; {decl.where('init_institution')} declares {decl.init_institution}",
    )


@then("规范版本所示的代别属于声明的卡片代别")
def generation_is_declared(ctx: ScenarioContext) -> None:
    decl = ctx.personalization.declaration
    version = str(ctx.value)
    generation = ctx.card.identity().generation
    declared = ", ".join(str(g) for g in decl.generations)
    assert generation in decl.generations, bilingual(
        f"卡的规范版本 {version!r} "
        + (f"属于第 {generation} 代" if generation is not None else "不属于已知的代别")
        + f"；{decl.where('generation')} 声明为 {declared}",
        f"the card's spec version {version!r} is "
        + (f"generation {generation}" if generation is not None else "no known generation")
        + f"; {decl.where('generation')} declares {declared}",
    )
    assert ctx.profile.generation in decl.generations, bilingual(
        f"本次运行使用规范配置文件 {ctx.profile.name}（第 {ctx.profile.generation} 代）；{decl.where('generation')} 声明为 {declared}",
        f"this run uses profile {ctx.profile.name} (generation {ctx.profile.generation}); {decl.where('generation')} declares {declared}",
    )


@then("卡的类别等于声明的卡的类别")
def card_type_is_declared(ctx: ScenarioContext) -> None:
    decl = ctx.personalization.declaration
    assert ctx.value == decl.card_type, bilingual(
        f"卡上的卡的类别为 {ctx.value!r}；{decl.where('card_type')} 声明为 {decl.card_type!r}",
        f"card type on the card {ctx.value!r}; {decl.where('card_type')} declares {decl.card_type!r}",
    )


@when("读取发卡日期与卡有效期")
def read_dates(ctx: ScenarioContext) -> None:
    ctx.personalization.dates = (str(ctx.card.read_item("issue_date")), str(ctx.card.read_item("expiry_date")))


@then("发卡日期与卡有效期符合声明的有效期范围")
def dates_within_window(ctx: ScenarioContext) -> None:
    decl = ctx.personalization.declaration
    issue, expiry = ctx.personalization.dates
    problems = decl.validity.problems(issue, expiry)
    assert not problems, f"{'; '.join(problems)} ({decl.where('validity')}: {decl.validity.describe()})"


def _select_declared(ctx: ScenarioContext, presence: str) -> None:
    decl = ctx.personalization.declaration
    unknown = decl.unknown_optional_dfs(ctx.profile)
    assert not unknown, f"{decl.where('optional_dfs')}: {', '.join(unknown)} is not an optional DF of profile {ctx.profile.name}"
    declared = decl.dfs_declared(ctx.profile)
    outcomes = {}
    for path, expected in declared.items():
        df = ctx.profile.file(path)
        if df.presence != presence:
            continue
        assert df.name is not None, f"profile {ctx.profile.name} gives {path} no DF name to select it by"
        outcomes[path] = (expected, ctx.card.select_by_name(df.name, check=False))
    ctx.personalization.dfs = outcomes


@when("按名称逐一选择规范中的地区扩充目录")
def select_local_dfs(ctx: ScenarioContext) -> None:
    _select_declared(ctx, "local")


@when("按名称逐一选择规范中的可选应用目录")
def select_optional_dfs(ctx: ScenarioContext) -> None:
    _select_declared(ctx, "optional")


@then("各目录在卡上的有无与声明一致")
def dfs_as_declared(ctx: ScenarioContext) -> None:
    decl = ctx.personalization.declaration
    field = {"local": "local_extension", "optional": "optional_dfs"}
    problems = []
    for path, (expected, response) in ctx.personalization.dfs.items():
        where = decl.where(field[ctx.profile.file(path).presence])
        if response.ok:
            if not expected:
                problems.append(bilingual(f"{path} 在卡上，但 {where} 未声明", f"{path} is on the card, but {where} does not declare it"))
        elif response.means("file_not_found"):
            if expected:
                problems.append(
                    bilingual(
                        f"{path} 已声明（{where}），但按名称选择返回 {sw_zh(response)}",
                        f"{path} is declared ({where}) but SELECT by name answers {sw_text(ctx.profile, response.sw)}",
                    )
                )
        else:
            problems.append(
                bilingual(
                    f"{path}：按名称选择返回 {sw_zh(response)}，既不表示存在也不表示不存在",
                    f"{path}: SELECT by name answers {sw_text(ctx.profile, response.sw)}, neither present nor absent",
                )
                + f"；APDU：{ctx.apdu_text(response)}"
            )
    assert ctx.personalization.dfs, f"profile {ctx.profile.name} has no DF of this kind to check"
    assert not problems, "; ".join(problems)


@then("复位应答历史字节中声明的各字段与声明一致")
def atr_fields_as_declared(ctx: ScenarioContext) -> None:
    decl = ctx.personalization.declaration
    atr = ctx.card.terminal.atr or ctx.card.reset()
    spec = ctx.profile.atr
    problems = []
    for name, expected in decl.atr.items():
        if name not in spec.fields:
            problems.append(
                bilingual(
                    f"{decl.where('atr.' + name)}：规范配置文件 {ctx.profile.name} 中没有这个复位应答字段（{', '.join(spec.fields)}）",
                    f"{decl.where('atr.' + name)}: profile {ctx.profile.name} names no such ATR field ({', '.join(spec.fields)})",
                )
            )
            continue
        actual = spec.field_of(atr, name)
        if actual != expected:
            problems.append(
                bilingual(
                    f"{name} 为 {actual.hex().upper() or '（缺失）'}，{decl.where('atr.' + name)} 声明为 {expected.hex().upper()}",
                    f"{name} is {actual.hex().upper() or '(missing)'}, {decl.where('atr.' + name)} declares {expected.hex().upper()}",
                )
            )
    assert not problems, f"复位应答 ATR {atr.hex(' ').upper()}：{'; '.join(problems)}"


# -- PER-2 -------------------------------------------------------------------------------------


def _check_versions(ctx: ScenarioContext, use: str) -> None:
    decl = ctx.personalization.declaration
    keys = keys_of_present_dfs(ctx.profile, decl.present_dfs(ctx.profile), use=use)
    assert keys, f"profile {ctx.profile.name} has no {use} key in the DFs {decl.source} declares"
    ctx.personalization.key_versions = check_key_versions(ctx.card, ctx.psam, keys, decl.key_versions)


@when("终端以声明的每个密钥版本对卡上每个外部认证密钥进行外部认证")
def authenticate_external_keys(ctx: ScenarioContext) -> None:
    _check_versions(ctx, "external")


@when("终端以声明的每个密钥版本对卡片进行内部认证并由 PSAM 核对")
def authenticate_internal_key(ctx: ScenarioContext) -> None:
    _check_versions(ctx, "internal")


@then("每个密钥的每个声明版本均按声明的发卡地区分散")
def every_declared_version_diversified(ctx: ScenarioContext) -> None:
    decl = ctx.personalization.declaration
    result = ctx.personalization.key_versions
    versions = ", ".join(f"{v:02X}" for v in decl.key_versions)
    problems = [r.summary for r in result.failures]
    if result.not_tried:
        stopped = result.stopped_at
        assert stopped is not None, "key versions were left untried, yet no key is named as the one that stopped the check"
        problems.append(
            bilingual(
                f"另有 {len(result.not_tried)} 个密钥版本未尝试：{stopped.key} v{stopped.version:02X} 在任何分散层级均不一致，"
                "只剩保留的尝试次数；请先修正卡片或声明",
                f"{len(result.not_tried)} further key versions not tried: {stopped.key} v{stopped.version:02X} "
                "matched at no diversification level and kept only its reserve tries; fix the card or the declaration first",
            )
        )
    assert not problems, (
        f"已尝试的 {len(result.reports)} 个密钥版本中有 {len(result.failures)} 个与按地区 {decl.region} 分散的密钥不一致"
        f"（版本 {versions}，取自 {decl.where('key_versions')}） / "
        f"{len(result.failures)} of {len(result.reports)} key versions tried do not match the keys diversified for region "
        f"{decl.region} (versions {versions} from {decl.where('key_versions')}): " + "; ".join(problems)
    )


# -- PER-3 -------------------------------------------------------------------------------------


@when("发卡地终端读取持卡人的社会保障号码、性别、出生地与出生日期")
def home_terminal_reads_cardholder(ctx: ScenarioContext) -> None:
    psam = ctx.session.psam_for(ctx.card.identity().region)
    try:
        ctx.personalization.cardholder = read_items(ctx.card, _CARDHOLDER_ITEMS, psam, ctx.pin)
    except OperationError as exc:
        raise AssertionError(
            bilingual(
                f"发卡地终端无法读取持卡人基本信息，无法判断其一致性：{halves(str(exc))[0]}（PER-2 的场景诊断卡片的密钥）",
                f"the home terminal cannot read the cardholder basics, so their consistency is not known: {halves(str(exc))[1]} "
                "(the PER-2 scenarios diagnose the card's keys)",
            )
        ) from None


@then("持卡人基本信息逐项一致：号码校验位、出生日期、性别奇偶与出生地代码")
def cardholder_consistent(ctx: ScenarioContext) -> None:
    holder = {item: str(value) for item, value in ctx.personalization.cardholder.items()}
    ssn = holder["ssn"]
    problems = [led(f"社会保障号码 {ssn}：", f"social security number {ssn}: ", p) for p in ssn_problems(ssn)]
    problems += [m for m in (birth_date_mismatch(ssn, holder["birth_date"]), gender_parity_mismatch(ssn, holder["gender"])) if m]
    problems += [led("出生地：", "birthplace: ", p) for p in region_code_problems(holder["birthplace"])]
    assert not problems, "; ".join(problems)
