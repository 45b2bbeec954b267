"""Steps of the generated access-control scenarios (features/security/access_control.feature).

The Background's PSAM step ("访问控制检查使用发卡地终端的 PSAM") lives in steps/security.py with the
other reviews' PSAM steps.

The table rows are generated from the profile; the expectation a step asserts is recomputed from
the profile of the run (`checks.security.access_plan.expected_outcome`), so a row that no longer matches
the profile fails with "regenerate" instead of checking a stale value.
"""

from __future__ import annotations

import pytest
from pytest_bdd import parsers, then, when

from checks.security.access_check import AccessAttempt, attempt_access, effect_problems
from checks.security.access_plan import Outcome, expected_outcome, format_conditions, parse_conditions, right_label, right_of_label
from checks.wording import halves
from harness.results import NOT_APPLICABLE
from steps.context import ScenarioContext, sw_text
from terminal.session import OperationError


@when(parsers.parse('从主文件开始，满足条件 "{conditions}" 后对 "{path}" 执行{right}操作'))
def access_after_conditions(ctx: ScenarioContext, conditions: str, path: str, right: str) -> None:
    parsed = parse_conditions(conditions)
    right_name = right_of_label(right)
    f = ctx.profile.files.get(path)
    assert f is not None, (
        f"profile {ctx.profile.name} declares no file {path}: regenerate the feature with scripts/generate-access-features"
    )
    if f.presence != "mandatory":
        found = ctx.card.select_path(ctx.profile.df_of(path).path, check=False)
        if ctx.profile.sw["file_not_found"].matches(found.sw):
            pytest.skip(f"{NOT_APPLICABLE}{path} is {f.presence} and absent from this card ({sw_text(ctx.profile, found.sw)})")
    try:
        attempt = attempt_access(ctx.card, ctx.psam, ctx.pin, path, right_name, parsed)
    except OperationError as exc:
        zh, en = halves(str(exc))
        pytest.fail(
            f"无法在{right}“{path}”之前满足条件“{format_conditions(parsed)}”：{zh} / "
            f"could not set up the conditions before the {right_name}: {en}",
            pytrace=False,
        )
    ctx.response = attempt.response
    ctx.access.path, ctx.access.right, ctx.access.conditions = path, right_name, parsed
    ctx.access.attempt = attempt


@then(parsers.parse('访问结果为 "{expected}"'))
def access_outcome(ctx: ScenarioContext, expected: str) -> None:
    path, right, conditions = ctx.access.path, ctx.access.right, ctx.access.conditions
    row = Outcome.of_label(expected, ctx.profile.sw)
    required = expected_outcome(ctx.profile, path, right, conditions)
    assert row == required, (
        f"用例表写的是“{row.label(ctx.profile.sw)}”，但规范配置文件 {ctx.profile.name} 要求“{required.label(ctx.profile.sw)}”"
        f"（{right_label(right)} {path}，条件“{format_conditions(conditions)}”）：请以 scripts/generate-access-features 重新生成 / "
        "the table disagrees with the profile: regenerate"
    )
    actual = ctx.last_response().sw
    word = ctx.profile.sw[required.status]
    ctx.observe(
        f"access matrix cell: {right} {path} after “{format_conditions(conditions)}”",
        sw_text(ctx.profile, actual),
        "允许（9000）" if required.opens else word.label,
    )
    what = f"在条件“{format_conditions(conditions)}”下{right_label(right)} {path}（访问规则 / rule: {ctx.profile.file(path).rule(right)}）"
    expected_text = "允许（9000）" if required.opens else f"拒绝，{word.label}"
    assert word.matches(actual), (
        f"{what}：预期 {expected_text}，实际 {sw_text(ctx.profile, actual)} / expected "
        f"{'allowed' if required.opens else f'refused with {word.pattern} ({word.en})'}; APDU：{ctx.apdu_text()}"
    )


@then("经读回核实：允许的写入已写入新值并已恢复原值，被拒绝的写入未改变文件，允许的读取与另一寻址方式读得的数据相同")
def access_effect(ctx: ScenarioContext) -> None:
    """The status word is not the verdict: the effect is (checks.security.access_check)."""
    path, right, conditions = ctx.access.path, ctx.access.right, ctx.access.conditions
    attempt: AccessAttempt = ctx.access.attempt
    opens = expected_outcome(ctx.profile, path, right, conditions).opens
    problems = effect_problems(attempt, opens)  # Inconclusive when the effect could not be observed
    what = f"在条件“{format_conditions(conditions)}”下{right_label(right)} {path}"
    assert not problems, f"{what}：读回核实不符 / effect not as required: " + " | ".join(problems) + f"; APDU：{ctx.apdu_text()}"
