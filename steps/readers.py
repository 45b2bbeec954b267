"""Steps of the reader plan, RDR-1..5 (features/readers/*.feature): thin calls into checks/readers.

The programmable reader-test card is needed for the cases it steers (removal by the card, ATR
variants, every APDU case): with another card in the reader those steps are inconclusive, with the
reason — a lab's own test card cannot be told to answer 61xx chains or present another ATR.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from pytest_bdd import parsers, then, when

from checks.readers import atr_variants, exchanges, long_run, presence
from checks.verdicts import Inconclusive
from harness.operator import Request
from harness.reader_session import ReaderSession
from steps.reader_context import ReaderContext
from terminal.channel import Terminal
from terminal.session import CardSession
from terminal.transports.base import Transport
from terminal.transports.pcsc import await_presence
from terminal.transports.readers import list_readers

INTERLEAVED_ROUNDS = 20


def _programmable(session: ReaderSession) -> None:
    if not session.programmable:
        raise Inconclusive(
            "读写器中的卡不响应读写器测试卡的钩子命令（ssc/data/reader-test.yaml）：本用例需要可编程的读写器测试卡"
            "（ssc-conform serve-card --reader-test） / "
            "the card in the reader does not answer the reader-test hook (ssc/data/reader-test.yaml): "
            "this case needs the programmable reader-test card (ssc-conform serve-card --reader-test)"
        )


def _transport(session: ReaderSession) -> Transport:
    assert session.transport is not None
    return session.transport


def _failures(outcomes: list[exchanges.Outcome]) -> list[str]:
    return [o.detail for o in outcomes if not o.ok]


# -- RDR-1 ----------------------------------------------------------------------------------------


@when("列出 PC/SC 读写器")
def list_pcsc_readers(rctx: ReaderContext) -> None:
    rctx.state.listed = [r.name for r in list_readers()]


@then("被测读写器在列表中")
def reader_listed(rctx: ReaderContext) -> None:
    assert rctx.session.reader in rctx.state.listed, f"{rctx.session.reader!r} is not among the readers PC/SC lists: {rctx.state.listed}"


@when("卡片离开被测读写器后再插回")
def remove_and_reinsert(rctx: ReaderContext) -> None:
    session = rctx.session
    assert session.reader is not None
    if session.programmable:
        events = presence.by_card(_transport(session), session.hooks, session.reader)
    else:
        events = presence.by_operator(session.reader, lambda change, text: _ask(session, change, text), session.hooks.limits.presence_s)
    rctx.state.events = events
    session.measurements["presence"] = [e.to_dict() for e in events]
    session.reopen()


def _ask(session: ReaderSession, change: str, text: str) -> None:
    """RDR-1 with a physical card: the operator confirms, then acts; the clock starts at the
    confirmation. Declined (or nobody there): inconclusive, with the reason."""
    zh, _, en = text.partition(" / ")
    key = "reader.card.remove" if change == "removal" else "reader.card.insert:test-card"
    answer = session.operator.ask(Request(key, f"回车后{zh}", f"press Enter, then {en}"))
    if not answer.done:
        raise Inconclusive(
            f"RDR-1 需要手工取出并插回卡片：{answer.reason} / RDR-1 needs the card taken out and put back by hand: {answer.reason}"
        )


@then("取出与插入均在时限内经 PC/SC 报告")
def presence_reported(rctx: ReaderContext) -> None:
    bad = [e.describe() for e in rctx.state.events if not e.ok]
    assert not bad, "; ".join(bad)


# -- RDR-2 ----------------------------------------------------------------------------------------


@when("读取被测读写器交付的复位应答")
def read_delivered_atr(rctx: ReaderContext) -> None:
    atr = _transport(rctx.session).atr
    assert atr is not None, "the reader delivered no ATR"
    rctx.state.atr = bytes(atr)


@then("复位应答与卡片的复位应答逐字节一致")
def atr_matches(rctx: ReaderContext) -> None:
    expected = rctx.session.expected_atr
    if expected is None:
        raise Inconclusive(
            "卡的复位应答未知：该卡不是读写器测试卡，且未以 --card-atr 声明 / "
            "the card's ATR is unknown: the card is not the reader-test card and no --card-atr was declared"
        )
    got = rctx.state.atr
    assert got == expected, (
        f"读写器交付的复位应答为 {got.hex(' ').upper()}，卡片发出的是 {expected.hex(' ').upper()} / "
        f"the reader delivered ATR {got.hex(' ').upper()}, the card sent {expected.hex(' ').upper()}"
    )


@when("可编程测试卡依次以每种复位应答变体冷复位，部分变体另经取出与插入")
def atr_variants_delivered(rctx: ReaderContext) -> None:
    session = rctx.session
    _programmable(session)
    hooks = session.hooks

    def program(atr: bytes | None) -> None:
        answer = _transport(session).transmit(hooks.command("set_atr", 0, atr or b""))
        assert answer == b"\x90\x00", (
            f"读写器测试卡拒绝设置复位应答 {atr.hex().upper() if atr else '（其本身的）'}：{answer.hex().upper()} / "
            f"the reader-test card refused the ATR {atr.hex().upper() if atr else '(its own)'}: {answer.hex().upper()}"
        )

    def cold_reset() -> bytes:
        reset = cast("Callable[..., bytes]", _transport(session).reset)  # PcscTransport's option, through the trace
        return bytes(reset(cold=True))

    rctx.state.atr_outcomes = atr_variants.deliver_all(
        atr_variants.variants(hooks.limits.historical_bytes),
        set(hooks.limits.reinserted_historical_bytes),
        program,
        cold_reset,
        lambda: _reinsert(session),
    )
    session.measurements["atr_variants"] = [d.to_dict() for d in rctx.state.atr_outcomes]


def _reinsert(session: ReaderSession) -> bytes:
    """Have the card leave and come back (it keeps the programmed ATR), reconnect."""
    hooks = session.hooks
    _transport(session).transmit(hooks.command("remove", hooks.limits.reinsert_ms))
    assert session.reader is not None
    await_presence(session.reader, present=False, timeout=hooks.limits.reinsert_ms / 1000)
    await_presence(session.reader, present=True, timeout=hooks.limits.reinsert_ms / 1000 + hooks.limits.presence_s)
    return session.reopen()


@then("每种变体的复位应答均原样交付")
def every_variant_delivered(rctx: ReaderContext) -> None:
    outcomes = rctx.state.atr_outcomes
    assert outcomes, "no ATR variant was tried"
    bad = [d.describe() for d in outcomes if not d.ok]
    assert not bad, (
        f"{len(outcomes)} 次复位应答交付中 {len(bad)} 次被改变 / {len(bad)} of {len(outcomes)} ATR deliveries changed: " + "; ".join(bad)
    )


# -- RDR-3 ----------------------------------------------------------------------------------------


# The APDU kinds as the test case names them (ISO/IEC 7816-3 cases 1–4 and the length edges) → the
# kinds of checks.readers.exchanges.apdu_cases.
APDU_KINDS = {
    "情形 1（无命令数据，无 Le）": "case1",
    "情形 2（无命令数据，有 Le）": "case2",
    "情形 3（有命令数据，无 Le）": "case3",
    "情形 4（有命令数据，有 Le）": "case4",
    "256 字节应答": "response256",
    "255 字节命令数据": "command255",
}


@when(parsers.parse('经被测读写器发送 "{label}" 的全部命令'))
def send_case_kind(rctx: ReaderContext, label: str) -> None:
    session = rctx.session
    _programmable(session)
    cases = exchanges.apdu_cases(session.hooks)
    kind = APDU_KINDS.get(label, label)
    assert kind in cases, f"用例中的 APDU 种类 {label!r} 未定义 / unknown APDU kind; known: {'、'.join(APDU_KINDS)}"
    rctx.state.outcomes = [exchanges.run_case(_transport(session), session.hooks, case) for case in cases[kind]]


@when(parsers.parse("经被测读写器取回各长度的 61xx 响应链（{how}）"))
def send_chains(rctx: ReaderContext, how: str) -> None:
    session = rctx.session
    _programmable(session)
    check = exchanges.chain_raw if how == "终端逐条取响应" else exchanges.chain_auto
    transport = _transport(session)
    rctx.state.outcomes = [
        check(transport, session.hooks, total, chunk) for total in session.hooks.limits.chain_lengths for chunk in (256, 100)
    ]


@when(parsers.parse("经被测读写器发送 Le 错误的命令（{how}）"))
def send_wrong_le(rctx: ReaderContext, how: str) -> None:
    session = rctx.session
    _programmable(session)
    check = exchanges.wrong_le_raw if how == "终端重发" else exchanges.wrong_le_auto
    rctx.state.outcomes = [check(_transport(session), session.hooks, n) for n in (1, 200, 255, 256)]


@when("经被测读写器发送卡片延迟应答的命令")
def send_slow(rctx: ReaderContext) -> None:
    session = rctx.session
    _programmable(session)
    rctx.state.outcomes = [exchanges.run_case(_transport(session), session.hooks, case) for case in exchanges.slow_cases(session.hooks)]


@then("每条应答与卡片发出的逐字节一致，卡片收到的命令与终端发出的逐字节一致")
def all_unchanged(rctx: ReaderContext) -> None:
    outcomes = rctx.state.outcomes
    assert outcomes, "no exchange was made"
    bad = _failures(outcomes)
    assert not bad, f"{len(outcomes)} 次交换中 {len(bad)} 次被改变 / {len(bad)} of {len(outcomes)} exchanges changed: " + "; ".join(bad)


# -- RDR-4 ----------------------------------------------------------------------------------------


@when("交替向卡片和 PSAM 发送命令")
def interleave(rctx: ReaderContext) -> None:
    session = rctx.session
    psam = session.psam()
    card = CardSession(Terminal(_transport(session), session.profile), check=False)
    outcomes = []
    for i in range(INTERLEAVED_ROUNDS):
        challenge = card.get_challenge(8)
        ok = challenge.sw == 0x9000 and len(challenge.data) == 8
        outcomes.append(
            exchanges.Outcome(f"card {i + 1}", ok, f"card GET CHALLENGE {i + 1}: {challenge.sw:04X}, {len(challenge.data)} bytes")
        )
        psam.select_for(session.profile.algorithm)  # a SELECT the PSAM must answer 9000 (PsamError otherwise)
        outcomes.append(exchanges.Outcome(f"PSAM {i + 1}", True, f"PSAM SELECT {i + 1}: 9000"))
    rctx.state.outcomes = outcomes


@when("终端经 PSAM 认证卡片并读取基本信息")
def basic_information(rctx: ReaderContext) -> None:
    session = rctx.session
    psam = session.psam()
    card = CardSession(Terminal(_transport(session), session.profile), check=True)
    identity = card.identity()
    auth = card.internal_authenticate_and_verify(psam, check=False)
    items = {name: card.read_item(name) for name in ("card_number", "issue_date", "expiry_date", "ssn", "name")}
    terminal_number = psam.terminal_number()
    outcomes = [
        exchanges.Outcome(
            "internal authentication",
            auth.verified,
            f"internal authentication through the PSAM: card {auth.card_result.hex().upper()}, PSAM {auth.expected.hex().upper()}",
        )
    ]
    outcomes += [exchanges.Outcome(name, bool(value), f"{name}: {'read' if value else 'empty'}") for name, value in items.items()]
    outcomes.append(exchanges.Outcome("terminal number", bool(terminal_number), f"PSAM terminal number {terminal_number!r}"))
    rctx.state.outcomes = outcomes
    session.measurements["basic_information"] = {
        "region": identity.region,
        "card_number": str(items["card_number"]),
        "internal_authentication": auth.verified,
        "terminal_number": terminal_number,
    }


@then("每一步均得到正确应答")
def every_step_right(rctx: ReaderContext) -> None:
    bad = _failures(rctx.state.outcomes)
    assert not bad, "; ".join(bad)


# -- RDR-5 ----------------------------------------------------------------------------------------


@when("经被测读写器连续发送长时间运行的命令")
def long_run_sent(rctx: ReaderContext) -> None:
    session = rctx.session
    _programmable(session)
    total = session.long_run or session.hooks.limits.long_run_apdus
    assert session.raw is not None
    run = long_run.run(session.raw, session.hooks, total)  # untraced: 10,000 exchanges would swamp the trace
    rctx.state.long_run = run
    session.measurements["latency"] = run.summary()


@then("全部命令无差错完成")
def long_run_clean(rctx: ReaderContext) -> None:
    run = rctx.state.long_run
    assert run.error_count == 0, (
        f"{run.total} 条 APDU 中 {run.error_count} 条出错 / {run.error_count} of {run.total} APDUs failed: " + "; ".join(run.errors)
    )
    assert run.done == run.total, f"{run.total} 条 APDU 只完成了 {run.done} 条 / only {run.done} of {run.total} APDUs completed"


@then("各类命令的时延分布已记录")
def latency_recorded(rctx: ReaderContext) -> None:
    kinds = rctx.session.measurements["latency"]["kinds"]
    empty = [kind for kind, summary in kinds.items() if not summary["count"]]
    assert kinds and not empty, f"no latency recorded for {', '.join(empty) or 'any APDU kind'}"
