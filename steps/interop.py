"""Steps of the cross-region interoperability review (INT-XR-*).

Two kinds: the DUT-at-one-terminal steps (internal_auth.feature), and the matrix steps
(matrix.feature): one step walks every (card × terminal) pair for the scenario's requirement
through `harness.interop.InteropRun`, the cell checks being `checks.interop.crossregion`'s; the matrix
lands in results.json (``run.interop_matrix``) and the scenario fails listing the failing cells.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from checks.interop import crossregion
from checks.interop.crossregion import CellOutcome, Visit
from checks.verdicts import Inconclusive
from checks.wording import bilingual, sw_zh
from harness.cardset import IssuedCard
from harness.interop import InteropRun, interop_run
from harness.results import FAILED, NOT_RUN, PASSED
from ssc.catalogue import load_catalogue
from steps.context import ScenarioContext, sw_text

_FAILURES_SHOWN = 12

# -- the device under test at one terminal -----------------------------------------------------


@given(parsers.parse('已备好 "{region}" 地区的终端及其软件 PSAM'))
def terminal_of_region(ctx: ScenarioContext, region: str) -> None:
    ctx.psam = ctx.session.psam_for(region)
    ctx.interop.terminal_region = region


@given("已备好发卡地终端及其 PSAM")
def home_terminal(ctx: ScenarioContext) -> None:
    region = ctx.card.identity().region
    ctx.psam = ctx.session.psam_for(region)
    ctx.interop.terminal_region = region


@when("终端以当前密钥版本对卡片发起内部认证")
def internal_authenticate(ctx: ScenarioContext) -> None:
    ctx.interop.auth = ctx.card.internal_authenticate_and_verify(ctx.psam, version=0, check=False)


@then("卡片的认证结果与 PSAM 的计算结果一致")
def internal_auth_verified(ctx: ScenarioContext) -> None:
    auth = ctx.interop.auth
    assert auth.response.ok, (
        f"内部认证返回 {sw_zh(auth.response)} / INTERNAL AUTHENTICATE answered {sw_text(ctx.profile, auth.response.sw)}"
        f"; APDUs: {ctx.apdu_text(auth.response)}"
    )
    assert auth.verified, bilingual(
        f"{ctx.interop.terminal_region} 的终端：F={auth.f.hex().upper()} D={auth.d.hex().upper()} 时卡返回 {auth.card_result.hex().upper()}，"
        f"其 PSAM 以三级分散的 IRK 算得 {auth.expected.hex().upper()}",
        f"terminal {ctx.interop.terminal_region}: the card returned {auth.card_result.hex().upper()} for F={auth.f.hex().upper()} "
        f"D={auth.d.hex().upper()}, its PSAM computed {auth.expected.hex().upper()} with the 3-level diversified IRK",
    )


# -- the matrix: card set × terminals -----------------------------------------------------------

Check = Callable[[Visit, IssuedCard], CellOutcome]


def _requirement(request: pytest.FixtureRequest) -> str:
    catalogue = load_catalogue()
    ids = sorted({m.name for m in request.node.iter_markers() if catalogue.is_requirement(m.name)})
    if len(ids) != 1:
        raise AssertionError(f"a matrix scenario checks exactly one requirement; its tags name {ids or 'none'}")
    return ids[0]


# The cell check of each matrix requirement, built from the run: (check, with the defective cards).
MATRIX_CHECKS: dict[str, Callable[[InteropRun], tuple[Check, bool]]] = {
    "INT-XR-1": lambda run: (lambda v, card: crossregion.internal_auth(v), False),
    "INT-XR-2": lambda run: (lambda v, card: crossregion.basic_data_read(v), False),
    "INT-XR-3": lambda run: (lambda v, card: crossregion.nationwide_write(v), False),
    "INT-XR-4": lambda run: (lambda v, card: crossregion.pin_verify_and_change(v), False),
    "INT-XR-5": lambda run: (lambda v, card: crossregion.local_files_home_only(v), False),
    "INT-XR-6": lambda run: (run.listed_check(), False),
    "INT-XR-7": lambda run: (run.validity_check(), True),
    "INT-XR-8": lambda run: (_algorithm_check(run.algorithms), False),
}


def _algorithm_check(algorithms: dict[int, Any]) -> Check:
    return lambda v, card: crossregion.algorithm_announced(v, algorithms)


def _walk(ctx: ScenarioContext, request: pytest.FixtureRequest, kind: str) -> None:
    """Walk the matrix with the cell check of `kind` (a key of MATRIX_CHECKS); the cells are
    recorded under the scenario's requirement tag."""
    run = ctx.interop.run
    requirement = _requirement(request)
    check, include_defective = MATRIX_CHECKS[kind](run)
    ctx.interop.matrix = (requirement, run.run(requirement, check, include_defective=include_defective))


@given("跨地区测试卡集与各地区终端已就绪")
def interop_ready(ctx: ScenarioContext, request: pytest.FixtureRequest) -> None:
    run = interop_run(ctx.session)
    ctx.interop.run = run
    if not run.planned:  # once per run: the matrix requirements selected, for the cards swapped in one reader
        selected = {m.name for item in request.session.items for m in item.iter_markers()} & set(MATRIX_CHECKS)
        run.plan_walks({r: MATRIX_CHECKS[r](run) for r in sorted(selected) if r != "INT-XR-7" or run.defective})


@when("每个地区的终端经其 PSAM 对卡集中的每张卡进行内部认证")
def matrix_internal_auth(ctx: ScenarioContext, request: pytest.FixtureRequest) -> None:
    _walk(ctx, request, "INT-XR-1")


@when("每个地区的终端读取卡集中每张卡的基本信息（第三代卡先以全国密钥认证 RKSSSE）")
def matrix_basic_data(ctx: ScenarioContext, request: pytest.FixtureRequest) -> None:
    _walk(ctx, request, "INT-XR-2")


@when("每个地区的终端以安全报文更新每张卡的全国通写记录，发卡地终端读回后写回原值")
def matrix_nationwide_write(ctx: ScenarioContext, request: pytest.FixtureRequest) -> None:
    _walk(ctx, request, "INT-XR-3")


@when("每个地区的终端对每张卡校验 PIN、修改 PIN 并改回")
def matrix_pin(ctx: ScenarioContext, request: pytest.FixtureRequest) -> None:
    _walk(ctx, request, "INT-XR-4")


@when("每个地区的终端以地区扩充读密钥认证每张卡并读取地区扩充文件")
def matrix_local_files(ctx: ScenarioContext, request: pytest.FixtureRequest) -> None:
    _walk(ctx, request, "INT-XR-5")


@when("每个地区的终端按覆盖该卡的国家级、省级、市级失效名单检查每张卡")
def matrix_invalid_lists(ctx: ScenarioContext, request: pytest.FixtureRequest) -> None:
    _walk(ctx, request, "INT-XR-6")


@when("每个地区的终端核验每张卡（含识别码 MAC 错误及发卡地区未知的缺陷卡）的识别码 MAC 与发卡机构")
def matrix_card_validity(ctx: ScenarioContext, request: pytest.FixtureRequest) -> None:
    run = ctx.interop.run
    if not run.defective:  # checking the valid cards alone would only repeat STD-DATA-1
        raise Inconclusive(
            "INT-XR-7 需要一张声明为无效的卡：在卡片集文件（--card-set）中以 `invalid: {reason, why}` 列出 / "
            "INT-XR-7 needs a card declared invalid: list one in the card-set file (--card-set) with `invalid: {reason, why}`"
        )
    _walk(ctx, request, "INT-XR-7")


@when("每个地区的终端按卡片 FCI 中的算法标识选择 3DES 或 SM4 并认证每张卡")
def matrix_algorithm(ctx: ScenarioContext, request: pytest.FixtureRequest) -> None:
    _walk(ctx, request, "INT-XR-8")


# What every cell of the matrix must show, as each test case states it (one per requirement).
MATRIX_EXPECTATIONS = (
    "矩阵每一格（卡片 × 终端地区）：卡片的内部认证结果与该终端 PSAM 以全国密钥三级分散计算的结果一致",
    "矩阵每一格：该终端读得的基本信息与发卡地终端读得的相同",
    "矩阵每一格：该终端以安全报文写入的全国通写记录由发卡地终端读回为新值，写回原值后读回为原值",
    "矩阵每一格：该终端校验 PIN 成功，修改 PIN 后原 PIN 被拒绝（63Cx）、新 PIN 校验成功，PIN 已改回",
    "矩阵每一格：发卡地终端可读取地区扩充文件（DF80），异地终端不能",
    "矩阵每一格：在覆盖该卡的任一失效名单上的卡被该终端拒绝，其余卡被接受",
    "矩阵每一格：识别码 MAC 有效且发卡地区已知的卡被接受，缺陷卡被该终端拒绝",
    "矩阵每一格：该终端使用卡片 FCI 声明的算法（第二代 3DES、第三代 SM4）且认证成功",
)


def matrix_all_pass(ctx: ScenarioContext) -> None:
    run = ctx.interop.run
    requirement, failures = ctx.interop.matrix
    counts = run.matrix.counts(requirement)
    total = sum(counts.values())
    if failures:
        shown = "\n  ".join(failures[:_FAILURES_SHOWN])
        more = f"\n  … and {len(failures) - _FAILURES_SHOWN} more" if len(failures) > _FAILURES_SHOWN else ""
        raise AssertionError(
            f"{requirement}：矩阵 {total} 格中 {len(failures)} 格不符（卡片发卡地区/代别 @ 终端地区；完整矩阵见 results.json run.interop_matrix）/ "
            f"{len(failures)} of {total} cells failed (card region/generation @ terminal region; "
            f"full matrix in results.json run.interop_matrix):\n  {shown}{more}"
        )
    if counts[NOT_RUN]:
        reasons = sorted({c.reason for _, _, c in run.matrix.with_verdict(requirement, NOT_RUN)})
        pytest.skip(f"{requirement}: {counts[NOT_RUN]} of {total} cells not run ({counts[PASSED]} passed): {'; '.join(reasons)}")
    assert counts[PASSED] and not counts[FAILED], f"{requirement}: no cell ran"


for _text in MATRIX_EXPECTATIONS:
    then(_text)(matrix_all_pass)


@then("卡集中至少各有一张卡在国家级、省级、市级失效名单上")
def list_levels_exercised(ctx: ScenarioContext) -> None:
    run = ctx.interop.run
    missing = run.unexercised_list_levels()
    if missing:  # not a failure of the card: the check did not reach every level (e.g. --regions)
        pytest.skip(
            f"the invalid-card lists in {run.lists.source} name no card of this run's set at level(s) "
            f"{', '.join(missing)}: refusal at that level not shown"
        )
