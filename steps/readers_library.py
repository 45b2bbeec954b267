"""Steps of features/readers/library.feature (RDR-6): a reader library against the served card.

Thin by design: the library runs in a child process (`checks.readers.library_process`), the card
and PSAM are served and swapped by `harness.reader_rig`, and the expected values and findings come
from `checks.readers.library`. These scenarios belong to the reader plan (reader_suite/, `ssc-conform
run --plan reader --lib PATH`); the library is the run's `ReaderSession.lib`. Without ``--lib`` the
reader plugin skips every scenario before any step ("no --lib given"). The plan runs them last and
frees the vpcd slots for the rig first (harness.reader_plugin).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from pytest_bdd import given, parsers, then, when

from checks.readers.library import (
    CardFacts,
    FileRead,
    addressed_files,
    card_facts,
    expected_basic_info,
    expected_file_read,
    expected_read_card,
    hsm_answer,
    output_problems,
    pin_reached_card,
    rc_problems,
    read_back_problems,
    read_file_problems,
    write_order,
    write_request,
    write_values,
)
from checks.readers.library_process import OUT, CallOutcome, InBytes, LibraryProcess
from checks.verdicts import Inconclusive
from harness.operator import NoOperator, Operator, Request
from harness.psam import software_psam
from harness.reader_operator_rig import INITIAL, OperatorRig
from harness.reader_rig import ReaderRig
from harness.reader_session import NO_LIB
from ssc.keyset import TestKeySet
from ssc.profile import load_profile
from ssc.reader_interface import ReaderInterface, load_reader_interface
from terminal.errors import HarnessError
from terminal.regions import load_regions

if TYPE_CHECKING:
    from harness.reader_session import ReaderSession

PINPAD = "SSCREADER_PINPAD"  # the reference library's documented PIN pad test input
CARD_READER_ENV, PSAM_READER_ENV = "SSCREADER_CARD_READER", "SSCREADER_PSAM_READER"
TERMINAL_NO, TERMINAL_SN = "SSCREADER_TERMINAL_NO", "SSCREADER_TERMINAL_SN"
HSM_TERMINAL = ("441800009999", "HSMTEST0001")  # terminal numbers the kit gives the library in HSM mode
WRONG_PIN = "999999"

# Chinese names of the served cards and PSAMs → harness.reader_rig kinds
CARDS = {
    "gen2 参考卡": "gen2",
    "gen3 参考卡": "gen3",
    "卡识别码 MAC 错误的 gen2 参考卡": "gen2:bad_card_id_mac",
    "非社保卡": "not_ssc",
    "无卡": None,
}
PSAMS = {"参考 PSAM": "reference", "无 PSAM": None, "缺少该卡算法的 PSAM": "no_algorithm", "缺少 RKSSSE 的 PSAM": "no_rksse"}


@dataclass
class LibraryCase:
    """One RDR-6 scenario's state."""

    library: LibraryProcess
    rig: ReaderRig
    iface: ReaderInterface
    generation: str = "gen2"
    outcome: CallOutcome | None = None
    facts: CardFacts | None = None
    pins: dict[str, str] = field(default_factory=dict)
    file_reads: list[tuple[FileRead, CallOutcome]] = field(default_factory=list)
    write_problems: list[str] = field(default_factory=list)
    files_written: int = 0
    operator: Operator = field(default_factory=NoOperator)

    @property
    def initial_pin(self) -> str:
        return load_profile(self.generation).security.pin.initial

    def last(self) -> CallOutcome:
        assert self.outcome is not None, "no library function has been called in this scenario"
        return self.outcome


@pytest.fixture(scope="session")
def reader_rig(ssc_reader_session: ReaderSession) -> Iterator[ReaderRig]:
    """The kit's own served cards and PSAMs in the vpcd slots; with a physical reader under test,
    the operator makes each condition in it and its PSAM reader instead (harness.reader_operator_rig)."""
    session = ssc_reader_session
    rig: ReaderRig
    if session.physical and session.reader is not None:
        rig = OperatorRig(
            card_reader=session.reader,
            psam_reader=session.psam_pattern or "",
            card_kind=session.profile.name,
            psam_kind=INITIAL,
            operator=session.operator,
        )
    else:
        rig = ReaderRig()
    yield rig
    rig.close()


@pytest.fixture(scope="session")
def reader_library(ssc_reader_session: ReaderSession, reader_rig: ReaderRig) -> Iterator[LibraryProcess | None]:
    """The library given with --lib (`rctx.session.lib`); the reader plan does not run RDR-6 without it."""
    path = ssc_reader_session.lib
    if path is None:
        yield None
        return
    # the reference library's reader configuration (README); a vendor library has its own
    library = LibraryProcess(path, env={CARD_READER_ENV: reader_rig.card_reader, PSAM_READER_ENV: reader_rig.psam_reader})
    yield library
    library.close()


@pytest.fixture
def rdr6(reader_library: LibraryProcess | None, request: pytest.FixtureRequest) -> LibraryCase:
    if reader_library is None:
        pytest.skip(NO_LIB)
    rig = request.getfixturevalue("reader_rig")
    if isinstance(rig, OperatorRig):
        rig.destructive = request.node.get_closest_marker("destructive") is not None
    return LibraryCase(reader_library, rig, load_reader_interface(), operator=request.getfixturevalue("ssc_reader_session").operator)


def _pinpad(rdr6: LibraryCase, function: str, text: str) -> None:
    """A physical reader's PIN pad: the operator is asked to be ready to type `text` when the
    reader asks (declined → inconclusive). On the kit's vpcd rig there is no PIN pad: the
    reference library reads its documented test input SSCREADER_PINPAD instead, no one is asked."""
    if not isinstance(rdr6.rig, OperatorRig):
        return
    answer = rdr6.operator.ask(
        Request(
            f"reader.pinpad:{function}",
            f"{function}：读写器提示时，请在其密码键盘上输入 {text}（回车后开始调用）",
            f"{function}: when the reader asks, enter on its PIN pad: {text} (the call starts after Enter)",
        )
    )
    if not answer.done:
        raise Inconclusive(f"密码键盘需要操作员输入：{answer.reason} / the PIN pad needs the operator: {answer.reason}")


def _assert_no(problems: list[str]) -> None:
    assert not problems, "; ".join(problems)


# -- given ----------------------------------------------------------------------------------------


@given("已加载被测读写器接口库")
def rdr6_library_loaded(rdr6: LibraryCase) -> None:
    """The library loads in its child process (a library that cannot load fails every case)."""
    error = rdr6.library.load()
    if error is not None:
        pytest.fail(f"the reader library {rdr6.library.path} cannot be loaded: {error}", pytrace=False)


@given(parsers.re(r"用户卡座中为(?P<fresh>新的)?(?P<card>.+?)，PSAM 卡座中为(?P<psam>.+)$"))
def rdr6_served(rdr6: LibraryCase, fresh: str | None, card: str, psam: str) -> None:
    if card not in CARDS or psam not in PSAMS:
        raise KeyError(f"unknown card {card!r} or PSAM {psam!r}; known: {', '.join(CARDS)} / {', '.join(PSAMS)}")
    kind = CARDS[card]
    rdr6.generation = "gen3" if kind == "gen3" else "gen2"
    try:
        rdr6.rig.insert_psam(PSAMS[psam], rdr6.generation)
        rdr6.rig.insert_card(kind, fresh=bool(fresh))
        if kind is not None:
            with rdr6.rig.card_session(rdr6.generation):
                pass  # a reset: no PIN or key state of an earlier case carries over
    except Inconclusive:
        raise  # the operator's rig says why (declined, not found, a destructive case)
    except (HarnessError, RuntimeError) as exc:
        raise Inconclusive(f"无法经 vpcd 提供卡片与 PSAM：{exc} / the card and PSAM could not be served on vpcd: {exc}") from exc


@given("经 APDU 读取卡片与 PSAM 的信息作为期望值")
def rdr6_facts_read(rdr6: LibraryCase) -> None:
    with rdr6.rig.card_session(rdr6.generation) as card, rdr6.rig.psam_client(rdr6.generation) as psam:
        psam.select_for(card.algorithm)
        rdr6.facts = card_facts(card, psam, rdr6.iface)


@given("经 APDU 连续校验错误 PIN 直至 PIN 锁定")
def rdr6_pin_blocked(rdr6: LibraryCase) -> None:
    profile = load_profile(rdr6.generation)
    with rdr6.rig.card_session(rdr6.generation) as card:
        card.select_path(profile.security.pin.df, check=True)
        for _ in range(profile.security.pin.tries):
            card.verify_pin(WRONG_PIN, check=False)
        blocked = card.verify_pin(rdr6.initial_pin, check=False)
    if not profile.sw["method_blocked"].matches(blocked.sw):
        raise Inconclusive(
            f"用例开始前未能使 PIN 锁定：随后正确的 PIN 返回 {blocked.sw:04X} / "
            f"the PIN could not be blocked before the case: the right PIN then answered {blocked.sw:04X}"
        )


# -- when -----------------------------------------------------------------------------------------


@when("调用 iReadCardBas")
def rdr6_call_read_card_bas(rdr6: LibraryCase) -> None:
    rdr6.outcome = rdr6.library.call("iReadCardBas", rdr6.iface.types["contact"], OUT)


@when("以加密机模式依次调用 iReadCardBas_HSM_Step1 与 iReadCardBas_HSM_Step2，由测试工具充当加密机")
def rdr6_call_hsm_steps(rdr6: LibraryCase) -> None:
    _hsm_steps(rdr6, tamper=False)


@when("以加密机模式调用 iReadCardBas_HSM_Step1，再以与卡片不符的内部认证结果调用 iReadCardBas_HSM_Step2")
def rdr6_call_hsm_steps_wrong(rdr6: LibraryCase) -> None:
    _hsm_steps(rdr6, tamper=True)


def _hsm_steps(rdr6: LibraryCase, *, tamper: bool) -> None:
    with rdr6.rig.card_session(rdr6.generation) as card, rdr6.rig.psam_client(rdr6.generation) as psam:
        psam.select_for(card.algorithm)  # the harness's own reads (gen3 EF06 needs RKSSSE); the library gets no PSAM help
        rdr6.facts = card_facts(card, psam, rdr6.iface, terminal=HSM_TERMINAL)
        ident = card.identity()
        profile = card.profile
        atr = card.terminal.atr or b""
    env: dict[str, str | None] = {TERMINAL_NO: HSM_TERMINAL[0], TERMINAL_SN: HSM_TERMINAL[1]}
    step1 = rdr6.library.call("iReadCardBas_HSM_Step1", rdr6.iface.types["contact"], OUT, env=env)
    _assert_no(rc_problems(step1, "ok", rdr6.iface))
    region = load_regions(profile=profile)[ident.region]
    hsm = software_psam(profile, region, TestKeySet.for_profile(profile))
    # the card is not touched between the steps: Step1 left a challenge that Step2 must spend
    pkey, problems = hsm_answer(step1.first.data, rdr6.facts, hsm, atr, rdr6.iface)
    _assert_no(problems)
    if tamper:
        pkey = (b"1" if pkey[:1] == b"0" else b"0") + pkey[1:]  # still hex, no longer the card's result
    rdr6.outcome = rdr6.library.call("iReadCardBas_HSM_Step2", InBytes(pkey), OUT, env=env)


@when(parsers.parse('以{auth}认证调用 iReadCard 读取 "{addr}"'))
def rdr6_call_read_card(rdr6: LibraryCase, auth: str, addr: str) -> None:
    auth_type = rdr6.iface.auth_types["pin" if auth == " PIN " or auth.strip() == "PIN" else "read_key"]
    files = [
        (seg.split(rdr6.iface.separator)[0], [int(t, 16) for t in seg.split(rdr6.iface.separator)[1:-1]]) for seg in addr.split("$") if seg
    ]
    with rdr6.rig.card_session(rdr6.generation) as card:
        try:
            pfile, rdr6.pins["expected_out"] = (x.decode("latin-1") for x in expected_read_card(card, files, rdr6.iface))
        except HarnessError:
            pfile = addr  # the harness cannot read it either (e.g. gen3 EF06 without RKSSSE): only the code is judged
            rdr6.pins["expected_out"] = ""
    if auth_type == rdr6.iface.auth_types["pin"]:
        _pinpad(rdr6, "iReadCard", rdr6.initial_pin)
    rdr6.outcome = rdr6.library.call(
        "iReadCard",
        rdr6.iface.types["contact"],
        auth_type,
        InBytes(b""),
        InBytes(pfile.encode("latin-1")),
        OUT,
        env={PINPAD: rdr6.initial_pin},
    )


@when(parsers.re(r"以 ?(?P<auth>PIN|读密钥) ?认证逐一调用 iReadCard 读取接口所列每个文件的全部数据项$"))
def rdr6_read_every_file(rdr6: LibraryCase, auth: str) -> None:
    """One call per file (a file the rights do not open fails alone), each against the harness's
    own reading of that file with the same rights."""
    auth_name = "pin" if auth == "PIN" else "read_key"
    for name in addressed_files(rdr6.iface, load_profile(rdr6.generation)):
        with rdr6.rig.card_session(rdr6.generation) as card, rdr6.rig.psam_client(rdr6.generation) as psam:
            psam.select_for(card.algorithm)
            expected = expected_file_read(card, psam, rdr6.iface, name, auth_name, rdr6.initial_pin)
        if "PIN" in expected.rights.split(", "):
            _pinpad(rdr6, "iReadCard", rdr6.initial_pin)
        outcome = rdr6.library.call(
            "iReadCard",
            rdr6.iface.types["contact"],
            rdr6.iface.auth_types[auth_name],
            InBytes(b""),
            InBytes(expected.addr),
            OUT,
            env={PINPAD: rdr6.initial_pin},
        )
        rdr6.file_reads.append((expected, outcome))


@then("每个文件的返回码与输出均与测试工具经 APDU 读得的一致")
def rdr6_every_file_read(rdr6: LibraryCase) -> None:
    assert rdr6.file_reads, "no file was read"
    _assert_no([p for expected, outcome in rdr6.file_reads for p in read_file_problems(outcome, expected, rdr6.iface)])


@when("逐一调用 iWriteCard 写入接口所列每个文件的全部数据项，每次写后经 APDU 读回")
def rdr6_write_every_file(rdr6: LibraryCase) -> None:
    """One call per file, the card-issuer file last (write_order); each read back at once, before
    a later write can change what the harness needs to read it (the card's identity)."""
    profile = load_profile(rdr6.generation)
    for name in write_order(addressed_files(rdr6.iface, profile), rdr6.iface):
        f = profile.file(rdr6.iface.files[name].path)
        values = write_values(f)
        addr, data = write_request(name, f, values, rdr6.iface)
        rule = f.rule("update")
        if rule is not None and rule.needs_pin:
            _pinpad(rdr6, "iWriteCard", rdr6.initial_pin)
        outcome = rdr6.library.call(
            "iWriteCard", rdr6.iface.types["contact"], InBytes(b""), InBytes(addr), InBytes(data), OUT, env={PINPAD: rdr6.initial_pin}
        )
        problems = [f"{name}: {p}" for p in rc_problems(outcome, "ok", rdr6.iface)]
        if not problems:
            with rdr6.rig.card_session(rdr6.generation) as card, rdr6.rig.psam_client(rdr6.generation) as psam:
                psam.select_for(card.algorithm)
                problems = read_back_problems(card, psam, name, f, values, rdr6.initial_pin)
        rdr6.write_problems += problems
        rdr6.files_written += 1


@then("每个文件返回 0，且读回的每个数据项与写入值一致")
def rdr6_every_file_written(rdr6: LibraryCase) -> None:
    assert rdr6.files_written, "no file was written"
    _assert_no(rdr6.write_problems)


@when(parsers.parse('调用 iWriteCard 将 "{file}" 的数据项 {tag} 写为 "{value}"'))
def rdr6_call_write_card(rdr6: LibraryCase, file: str, tag: str, value: str) -> None:
    sep, end = rdr6.iface.separator, rdr6.iface.file_separator
    rdr6.pins["write"] = value
    rdr6.pins["write_item"] = f"{file}/{tag}"
    rdr6.outcome = rdr6.library.call(
        "iWriteCard",
        rdr6.iface.types["contact"],
        InBytes(b""),
        InBytes(f"{file}{sep}{tag}{sep}{end}".encode()),
        InBytes(f"{file}{sep}{value}{sep}{end}".encode("gbk")),
        OUT,
    )


@when(parsers.re(r"在密码键盘输入(?P<which>正确|错误)的 PIN 并调用 iVerifyPIN$"))
def rdr6_call_verify(rdr6: LibraryCase, which: str) -> None:
    pin = rdr6.initial_pin if which == "正确" else WRONG_PIN
    rdr6.pins["entered"] = pin
    _pinpad(rdr6, "iVerifyPIN", pin)
    rdr6.outcome = rdr6.library.call("iVerifyPIN", rdr6.iface.types["contact"], OUT, env={PINPAD: pin})


@when(parsers.parse('在密码键盘输入原 PIN 与新 PIN "{new}" 并调用 iChangePIN'))
def rdr6_call_change(rdr6: LibraryCase, new: str) -> None:
    rdr6.pins["new"] = new
    entry = f"{rdr6.initial_pin}{rdr6.iface.separator}{new}"
    _pinpad(rdr6, "iChangePIN", f"{rdr6.initial_pin}, then {new} (twice if the PIN pad asks)")
    rdr6.outcome = rdr6.library.call("iChangePIN", rdr6.iface.types["contact"], OUT, env={PINPAD: entry})


@when(parsers.parse('在密码键盘输入新 PIN "{new}" 并调用 iReloadPIN'))
def rdr6_call_reload(rdr6: LibraryCase, new: str) -> None:
    rdr6.pins["new"] = new
    _pinpad(rdr6, "iReloadPIN", new)
    rdr6.outcome = rdr6.library.call("iReloadPIN", rdr6.iface.types["contact"], InBytes(b""), OUT, env={PINPAD: new})


@when("调用 iUnblockPIN")
def rdr6_call_unblock(rdr6: LibraryCase) -> None:
    rdr6.outcome = rdr6.library.call("iUnblockPIN", rdr6.iface.types["contact"], InBytes(b""), OUT)


# -- then -----------------------------------------------------------------------------------------


@then("返回 0，输出与期望的基本信息逐字段一致")
def rdr6_basic_info_matches(rdr6: LibraryCase) -> None:
    assert rdr6.facts is not None, "the expected values were not read"
    expected = expected_basic_info(rdr6.facts, rdr6.iface)
    _assert_no(output_problems(rdr6.last(), expected, rdr6.iface, rdr6.iface.basic_fields))


@then("返回 0，输出与经 APDU 读得的各数据项一致")
def rdr6_read_card_matches(rdr6: LibraryCase) -> None:
    expected = rdr6.pins["expected_out"].encode("latin-1")
    _assert_no(output_problems(rdr6.last(), expected, rdr6.iface))


@then(parsers.re(r"返回 (?P<code>-\d+)（(?P<meaning>[^）]+)）$"))
def rdr6_returns_code(rdr6: LibraryCase, code: str, meaning: str) -> None:
    name = next((n for n, c in rdr6.iface.codes.items() if c.code == int(code)), None)
    assert name is not None and rdr6.iface.codes[name].zh == meaning, (
        f"the feature names {code}（{meaning}）, which is not a return code of the reader interface data"
    )
    _assert_no(rc_problems(rdr6.last(), name, rdr6.iface))


@then(parsers.re(r"返回卡片状态字 (?P<sw>[0-9A-F]{4}) 的负十进制 (?P<code>-\d+)$"))
def rdr6_returns_sw(rdr6: LibraryCase, sw: str, code: str) -> None:
    assert -int(sw, 16) == int(code), f"the feature's arithmetic is wrong: -0x{sw} is {-int(sw, 16)}, not {code}"
    _assert_no(rc_problems(rdr6.last(), f"sw:{sw}", rdr6.iface))


@then("返回 0，且卡片收到了密码键盘输入的 PIN")
def rdr6_pin_reached(rdr6: LibraryCase) -> None:
    _assert_no(rc_problems(rdr6.last(), "ok", rdr6.iface))
    verify = load_profile(rdr6.generation).command("verify")
    if rdr6.rig.card is None:
        raise Inconclusive(
            "返回 0，但实体读写器中的卡不会向检测工具显示它收到了哪些字节 / "
            "returned 0, but the card in a physical reader does not show the kit which bytes reached it"
        )
    assert pin_reached_card(rdr6.rig.card.commands, rdr6.pins["entered"], (verify.cla[0], verify.ins)), (
        "没有携带密码键盘输入的 PIN 的校验 PIN 命令到达卡片 / no VERIFY carrying the PIN entered on the PIN pad reached the card"
    )


@then("pOutInfo 中的剩余次数与卡片应答的 63Cx 一致")
def rdr6_tries_reported(rdr6: LibraryCase) -> None:
    if rdr6.rig.card is None:
        raise Inconclusive(
            "实体读写器中的卡不会向检测工具显示它对读卡库校验 PIN 的 63Cx 应答 / "
            "the card in a physical reader does not show the kit its 63Cx answer to the library's VERIFY"
        )
    sws = [resp[-2:] for _, resp in rdr6.rig.card.exchanges]
    tries = [sw[1] & 0x0F for sw in sws if sw[0] == 0x63 and sw[1] & 0xF0 == 0xC0]
    if not tries:
        raise Inconclusive("卡片未应答 63Cx：错误的 PIN 没有到达卡片 / the card answered no 63Cx: the wrong PIN never reached it")
    got = rdr6.last().first.data.decode("ascii", "replace")
    assert re.fullmatch(r"\d+", got) and int(got) == tries[-1], (
        f"pOutInfo 给出 {got!r}；卡片应答 63C{tries[-1]:X} / pOutInfo says {got!r}; the card answered 63C{tries[-1]:X}"
    )


def _verify_over_apdus(rdr6: LibraryCase, pin: str) -> int:
    profile = load_profile(rdr6.generation)
    with rdr6.rig.card_session(rdr6.generation) as card:
        card.select_path(profile.security.pin.df, check=True)
        return card.verify_pin(pin, check=False).sw


@then("经 APDU 以原 PIN 校验成功")
def rdr6_old_pin_works(rdr6: LibraryCase) -> None:
    _assert_no(rc_problems(rdr6.last(), "ok", rdr6.iface))
    sw = _verify_over_apdus(rdr6, rdr6.initial_pin)
    assert sw == load_profile(rdr6.generation).sw.ok, (
        f"调用之后 PIN {'*' * 6} 返回 {sw:04X}：错误计数器未被重置 / after the call the PIN {'*' * 6} answered {sw:04X}: the try counter was not reset"
    )


@then("经 APDU 以新 PIN 校验成功，原 PIN 被拒绝")
def rdr6_new_pin_works(rdr6: LibraryCase) -> None:
    _assert_no(rc_problems(rdr6.last(), "ok", rdr6.iface))
    ok = load_profile(rdr6.generation).sw.ok
    sw_new = _verify_over_apdus(rdr6, rdr6.pins["new"])
    assert sw_new == ok, f"新 PIN 返回 {sw_new:04X}：它没有到达卡片 / the new PIN answered {sw_new:04X}: it did not reach the card"
    sw_old = _verify_over_apdus(rdr6, rdr6.initial_pin)
    assert sw_old != ok, "原 PIN 仍能校验通过：PIN 未被修改 / the old PIN still verifies: the PIN was not changed"


@then("返回 0，且经 APDU 读回的值与写入值一致")
def rdr6_written(rdr6: LibraryCase) -> None:
    _assert_no(rc_problems(rdr6.last(), "ok", rdr6.iface))
    file, tag = rdr6.pins["write_item"].split("/")
    with rdr6.rig.card_session(rdr6.generation) as card:
        _, out = expected_read_card(card, [(file, [int(tag, 16)])], rdr6.iface)
    sep, end = rdr6.iface.separator, rdr6.iface.file_separator
    want = f"{file}{sep}{rdr6.pins['write']}{sep}{end}".encode("gbk")
    assert out == want, (
        f"经 APDU 读回 {out.decode('gbk', 'replace')!r}，写入的是 {want.decode('gbk')!r} / "
        f"read back over APDUs: {out.decode('gbk', 'replace')!r}, written: {want.decode('gbk')!r}"
    )
