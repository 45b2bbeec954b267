"""Per-scenario state shared by the steps, and the fixture that opens a card session.

Steps reach the card only through `ctx.card` (a `terminal.session.CardSession` over the traced
transport of the device under test) and PSAMs through `ctx.session.psam_for(region)`.

What one step leaves for a later step of the same scenario lives in typed attributes: the few every
review shares on `ScenarioContext` itself, the rest on one state object per review
(`ctx.standards`, `ctx.security`, `ctx.interop`, `ctx.personalization`, `ctx.access`), each
attribute documented with the step that writes it. So a misspelt name fails mypy (and, at run time,
with an `AttributeError` naming the class) instead of surfacing mid-scenario as a `KeyError`, and a
reader finds who writes what in one place.

The state classes are not dataclasses on purpose: their attributes are written by a when-step and
read by a then-step, so they have no sensible value before that. A dataclass default (None, an
empty list) would either force a None check into every reading step or let a then-step pass
vacuously when its when-step never ran; an attribute that is simply not there yet fails the
scenario, as the string key did, with a message saying it was never written.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from ssc.profile.expectation import STAND_IN, SwExpectation
from ssc.profile.model import Profile, StatusWord
from terminal.channel import Response, Terminal
from terminal.psam_client import PsamClient
from terminal.session import CardSession

if TYPE_CHECKING:
    from checks.personalization.declared_keys import DeclaredKeysCheck
    from checks.security.access_check import AccessAttempt
    from checks.security.access_plan import Condition
    from checks.security.key_diagnosis import KeySurvey
    from checks.security.pin_admin import PinProof
    from checks.security.randomness import BatteryVerdict
    from checks.security.robustness import BatteryReport
    from checks.security.tearing import ReaderCut, TearReport, TryProbe
    from checks.standards.check_order import Probe
    from checks.standards.file_survey import RecordScan
    from checks.standards.record_walk import FileWalk
    from checks.writeback import RefusedWrite, WriteBack
    from harness.declaration import Declaration
    from harness.interop import InteropRun
    from harness.plugin import SscSession
    from ssc.profile.model import FileDef, KeyDef, RecordDef
    from terminal.session import InternalAuthResult


class StepState:
    """Typed slots one step fills for a later step. Only the annotated names can be written, and
    reading one that no step has written yet fails with the name of the slot.

    The checks are hidden from mypy (`TYPE_CHECKING`): a class with `__getattr__`/`__setattr__`
    would make mypy accept any attribute name, which is the typo this class exists to catch.
    """

    if not TYPE_CHECKING:

        def __setattr__(self, name: str, value: Any) -> None:
            if name not in _slots(type(self)):
                raise AttributeError(f"{type(self).__name__} has no slot {name!r} (slots: {', '.join(sorted(_slots(type(self))))})")
            object.__setattr__(self, name, value)

        def __getattr__(self, name: str) -> Any:  # only called when the attribute is not set
            if name in _slots(type(self)):
                raise AttributeError(
                    f"{type(self).__name__}.{name} has not been written in this scenario: the step that writes it "
                    f"(see steps/context.py) has not run before this one"
                )
            raise AttributeError(f"{type(self).__name__} has no slot {name!r}")


@functools.cache
def _slots(cls: type) -> set[str]:
    return {name for klass in cls.__mro__ for name in inspect.get_annotations(klass)}


class StandardsState(StepState):
    """The standards review (steps/standards.py)."""

    atr: bytes  # 卡片已上电并返回复位应答
    survey: str  # what the last survey did, for the finding message: every survey step
    findings: list[
        str
    ]  # a survey step, a then-step collecting per-record findings, or the when-step of a malformed-command, PIN-length, PUK-command or hook-offset check (steps/malformed.py, pin_lengths.py, tearing.py)
    unobserved: list[str]  # 终端取得本代卡每个必备 EF 的读权限后…判别其文件类型: files whose type could not be seen
    presence: dict[str, bool | None]  # 终端已按名称探明卡上现有哪些 ADF
    walks: list[FileWalk]  # 终端取得各记录文件的读权限后逐条读取…
    items: dict[str, str | bytes]  # 依次读取数据项 …
    records: list[tuple[FileDef, RecordDef, bytes]]  # 读取文件 "…" 的全部必备记录 (accumulates)
    binary: list[tuple[int, Response]]  # 读取透明文件 "…" 偏移 … (accumulates: offset, response)
    writeback: WriteBack  # the update-and-restore steps
    challenges: list[tuple[int, Response]]  # the GET CHALLENGE steps: (Le, response)
    exact: int  # the length a 61xx/6Cxx answer must announce: the raw INTERNAL AUTHENTICATE / Le steps
    appended: list[bytes]  # 以安全报文向 "…" 追加…: the records sent
    appends: list[Response]  # the same step: the card's answers
    scan: RecordScan  # the same step: the records read back
    probe: Probe  # 已选择探测命令 "…" 所需的 DF…
    battery: BatteryVerdict  # 取运行选项规定比特数的随机数作为样本…

    def __init__(self) -> None:
        self.survey = "survey"
        self.records = []
        self.binary = []

    def item_text(self, name: str) -> str:
        """Data item `name` as read by 依次读取数据项, for a step that needs it as text."""
        value = self.items[name]
        assert isinstance(value, str), f"data item {name} read as {value!r}, not as text"
        return value


class SecurityState(StepState):
    """The security review (steps/security.py)."""

    pin_proof: PinProof  # 先校验一次错误的 PIN，再以…将 PIN 设为一个临时 PIN…: the exchanges and whether the PIN was given back
    internal: list[InternalAuthResult]  # the INTERNAL AUTHENTICATE with every IRK version steps
    auth_failures: list[str]  # 以每个全国外部认证密钥的…版本进行外部认证
    key: str  # 以错误的密文对 "…" 进行外部认证
    key_survey: KeySurvey  # 逐个检查每个全国密钥当前版本的分散级
    version_problems: list[str]  # 以 "…" 的每个版本计算的密文冒充其他版本进行外部认证
    blocked: tuple[KeyDef, int]  # 对一个不用于任何访问规则的全国密钥的最后一个版本…: key, version
    secured: Response  # 以有效 MAC 将 "…" 的第一条记录安全更新为不同的值并读回…: the command to replay
    replay_target: tuple[str, int]  # the same step: path and record number the replayed command writes
    writeback: WriteBack  # 以有效 MAC 将 "…" 的第一条记录安全更新为不同的值后读回…
    refused_write: tuple[str, RefusedWrite]  # 以 MAC 错误的命令 / 以同一 DF 中另一密钥计算的 MAC 将 "…" …: path, what happened
    blocked_write: tuple[FileDef, int, bytes]  # 以有效 MAC 锁定应用: the file, record number and record a blocked write must leave
    blocked_write_response: Response  # …其他命令返回 6A81（功能不支持，应用已锁定）：…更新记录: the answer to that write
    firewall_start: int  # 依次执行以上各项防火墙检查: index of the first trace entry of the checks
    secrets: list[bytes]  # 终端以相应权限读取各受保护文件的内容后复位卡片…: what must never come back without a right
    robustness: BatteryReport  # 在预算内发送各类异常指令…
    tears: list[TearReport]  # 对…从第 0 个字节起逐字节掉电…
    try_probes: tuple[list[TryProbe], list[str]]  # 在写入错误计数器之前掉电…: the probes and the problems they show
    reader_cuts: list[ReaderCut]  # 在更新记录与错误的 PIN 校验发出后…由读卡器断电


class InteropState(StepState):
    """The cross-region review (steps/interop.py)."""

    terminal_region: str  # "…" 地区的终端及其软件 PSAM / 发卡地终端及其 PSAM
    auth: InternalAuthResult  # 终端以当前密钥版本对卡片发起内部认证
    run: InteropRun  # 跨地区测试卡集与各地区终端已就绪
    matrix: tuple[str, list[str]]  # a matrix step: the requirement and its failing cells


class PersonalizationState(StepState):
    """The personalization review (steps/personalization.py)."""

    declaration: Declaration  # 发卡机构已提交本卡的声明
    dates: tuple[str, str]  # 读取发卡日期与卡有效期: issue, expiry
    dfs: dict[str, tuple[bool, Response]]  # 按名称逐一选择…目录: path → (declared, SELECT answer)
    key_versions: DeclaredKeysCheck  # 终端以声明的每个密钥版本…认证
    cardholder: dict[str, str | bytes]  # 发卡地终端读取持卡人的…


class AccessState(StepState):
    """The generated access-control scenarios (steps/access.py)."""

    path: str  # 从主文件开始，满足条件 "…" 后对 "…" 执行…操作
    right: str  # the same step
    conditions: tuple[Condition, ...]  # the same step
    attempt: AccessAttempt  # the same step: the answer and what the access did to the file


@dataclass
class ScenarioContext:
    profile: Profile
    card: CardSession
    pin: str  # the card's current PIN as given for this run
    session: SscSession
    response: Response | None = None
    selected: str | None = None  # path of the file last selected by the scenario
    item: str | None = None  # name of the data item last read
    value: str | bytes | None = None  # the data item last read (decoded by its format, or raw)
    terminal_psam: PsamClient | None = None  # the PSAM of the scenario's terminal, once a step chose it
    standards: StandardsState = field(default_factory=StandardsState)
    security: SecurityState = field(default_factory=SecurityState)
    interop: InteropState = field(default_factory=InteropState)
    personalization: PersonalizationState = field(default_factory=PersonalizationState)
    access: AccessState = field(default_factory=AccessState)
    observations: list[dict[str, Any]] = field(default_factory=list)  # what the checks saw: `observe`

    def observe(self, what: str, observed: Any, expected: Any = None, *, secret: bool = False) -> None:
        """Record what a check saw — passes too, so a lab can show what was checked — beside what
        the requirement expected (None: nothing particular, e.g. a decoding). The plugin stores
        them per case in results.json and report.html. A `secret` value (a PIN, a key, anything
        derived from one) is kept only as its length, masked as the APDU traces mask it."""
        self.observations.append(
            {
                "what": what,
                "observed": _masked(observed) if secret else observation_text(observed),
                "expected": None if expected is None else observation_text(expected),
            }
        )

    @property
    def psam(self) -> PsamClient:
        """The PSAM a Given step chose for this scenario's terminal."""
        assert self.terminal_psam is not None, "no PSAM in this scenario yet: a Given step choosing the terminal's PSAM is missing"
        return self.terminal_psam

    @psam.setter
    def psam(self, psam: PsamClient) -> None:
        self.terminal_psam = psam

    @property
    def initial_pin(self) -> str:
        """The PIN the card was personalized with (CHANGE PIN must refuse it as a new PIN)."""
        return str(self.session.initial_pin)

    def last_response(self) -> Response:
        assert self.response is not None, "no command has been sent in this scenario yet"
        return self.response

    def value_bytes(self) -> bytes:
        """The data item last read, which the step needs as bytes (a `b` item or a raw record value)."""
        assert isinstance(self.value, bytes), f"data item {self.item} read as {self.value!r}, not as bytes"
        return self.value

    def value_text(self) -> str:
        """The data item last read, which the step needs as text (an `an` or `cn` item)."""
        assert isinstance(self.value, str), f"data item {self.item} read as {self.value!r}, not as text"
        return self.value

    def apdu_text(self, response: Response | None = None) -> str:
        """The APDUs behind a response, for assertion messages a lab engineer can act on."""
        r = response or self.response
        if r is None or not r.exchanges:
            return "(no APDU)"
        masker = self.session.dut.recorder.masker  # PINs and key material never reach a message
        parts = []
        for command, answer in r.exchanges:
            masked_command, masked_answer, _ = masker.apply(command, answer)
            parts.append(f"{masked_command.hex()} → {masked_answer.hex()}")
        return "; ".join(parts)


@pytest.fixture
def ctx(request: pytest.FixtureRequest, ssc_session: SscSession) -> ScenarioContext:
    from harness.plugin import OBSERVATIONS

    dut = ssc_session.dut
    profile = ssc_session.profile
    terminal = Terminal(dut.transport, profile)
    pin = ssc_session.config.getoption("--ssc-pin") or profile.security.pin.initial
    context = ScenarioContext(profile, CardSession(terminal, check=False), pin, ssc_session)
    request.node.stash[OBSERVATIONS] = context.observations  # the plugin stores them with the case's result
    return context


def observation_text(value: Any) -> str:
    """A value as the report shows it: bytes as spaced hex, mappings and sequences item by item."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex(" ").upper() if value else "(empty)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {observation_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(observation_text(v) for v in value)
    return str(value)


def _masked(value: Any) -> str:
    from terminal.transports.tracing import Masked

    raw = bytes(value) if isinstance(value, (bytes, bytearray)) else str(value).encode()
    return Masked.mask(raw, 0, len(raw)).hex()


def sw_text(profile: Profile, sw: int) -> str:
    """A status word in a failure message, Chinese first: ``6A82（未找到文件 / file not found）``."""
    return profile.sw.text(sw)


def data_item(profile: Profile, title: str) -> str:
    """The profile's identifier of the data item a test case names by its Chinese name (卡的识别码 →
    card_id_code): feature files use the names of the data dictionary, code uses identifiers."""
    hits = sorted({r.item for f in profile.efs() for r in f.records if r.title.zh == title})
    if len(hits) != 1:
        known = "、".join(sorted({r.title.zh for f in profile.efs() for r in f.records}))
        problem = "不唯一" if hits else "不在数据字典中"
        raise ValueError(f"数据项“{title}”{problem}（规范配置文件 {profile.name}：{known}）/ data item {title!r} not found or ambiguous")
    return hits[0]


# A status word as a test case writes it (features/GLOSSARY.md): ``6A82（未找到文件）``, ``63Cx（…）``.
SW_LABEL = r"(?P<label>[0-9A-F]{2}[0-9A-Fx]{2}（[^）]+）)"


def status_word(profile: Profile, label: str) -> StatusWord:
    """The profile's status word named by `label`; a label whose code or name is not the profile's
    is an error of the feature text, reported as such (not as the card's failure)."""
    word = profile.sw.of_label(label)
    if word is None:
        known = "、".join(w.label for w in profile.sw)
        raise ValueError(f"用例文本中的状态字 {label} 不在规范配置文件的状态字表中（{known}）/ unknown status word label {label!r}")
    return word


def sw_expected(profile: Profile, expected: StatusWord | SwExpectation | int, actual: int) -> str:
    """ "预期 … 实际 …" for a status-word mismatch: the Chinese sentence, then the English one. An
    expectation that rests on a stand-in choice says so in both (ssc.profile.expectation)."""
    if isinstance(expected, int):
        zh, en = f"{expected:04X}（{profile.sw.names(expected)[0]}）", f"{expected:04X}"
    elif isinstance(expected, SwExpectation):
        zh = expected.word.label + (f" {STAND_IN}" if expected.stand_in else "")
        en = str(expected)
    else:
        zh, en = expected.label, f"{expected.pattern} ({expected.en})"
    return f"预期状态字 {zh}，实际 {sw_text(profile, actual)} / expected {en}, got {actual:04X}"
