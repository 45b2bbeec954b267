"""Steps shared by every review: selecting files, status words, reading data items."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from steps.context import SW_LABEL, ScenarioContext, data_item, status_word, sw_expected, sw_text


@given("卡片已复位")
def card_reset(ctx: ScenarioContext) -> None:
    """A scenario that must not inherit selection, PIN or key states of an earlier one starts here."""
    ctx.card.reset()
    ctx.selected = None


@given(parsers.parse('已选择 "{path}"'))
def given_selected(ctx: ScenarioContext, path: str) -> None:
    ctx.response = ctx.card.select_path(path, check=True)
    ctx.selected = path


@when(parsers.parse('按文件标识符选择 "{path}"'))
def select_by_fid(ctx: ScenarioContext, path: str) -> None:
    ctx.response = ctx.card.select_path(path, by="fid", check=False)
    ctx.selected = path


@when(parsers.parse('不自动取响应，按名称选择 "{path}"'))
def select_by_name_raw(ctx: ScenarioContext, path: str) -> None:
    name = ctx.profile.file(path).name
    assert name is not None, f"the profile declares no name for {path}"
    ctx.response = ctx.card.select_by_name(name, raw=True, check=False)
    ctx.selected = path


@then(parsers.re(rf"状态字为 {SW_LABEL}$"))
def status_word_is(ctx: ScenarioContext, label: str) -> None:
    response = ctx.last_response()
    expected = status_word(ctx.profile, label)
    ctx.observe("status word", sw_text(ctx.profile, response.sw), expected.label)
    assert expected.matches(response.sw), f"{sw_expected(ctx.profile, expected, response.sw)}；APDU：{ctx.apdu_text()}"


@when(parsers.parse('读取数据项 "{item}"'))
def read_item(ctx: ScenarioContext, item: str) -> None:
    item = data_item(ctx.profile, item)
    ctx.value = ctx.card.read_item(item)
    ctx.item = item
    ctx.observe(f"data item {item}", ctx.value)
