"""Cross-region interoperability checks (REQUIREMENTS INT-XR-1..8): one card at one terminal.

Each check takes a `Visit` — a card (a `CardSession` over its transport) at the terminal of some
region (its PSAM) — and returns a `CellOutcome` for the interoperability matrix. Checks begin from
an explicit state (SELECT MF clears key and PIN states) and leave the card as they found it: what a
foreign terminal writes or changes is restored through the card's home terminal. Everything the
checks look for — files, records, keys, status words — comes from the card's profile.

A check raises `Abort` when going on with the same card would risk it (a PIN the suite was given
that does not verify, a key whose try counter a failed home authentication has started to spend):
the matrix then leaves the rest of that card's row not run, with the reason.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from checks.wording import bilingual, sw_zh
from ssc.codecs import encode_cn
from ssc.profile.access import Auth
from ssc.profile.model import FileDef, KeyDef, Profile, RecordDef
from ssc.tlv import parse_record
from terminal.acceptance import BAD_CARD_ID_MAC, LISTED, UNKNOWN_ISSUER, UNREADABLE, AcceptanceDecision, check_acceptance
from terminal.channel import Response
from terminal.errors import AnswerError, HarnessError
from terminal.invalid_lists import InvalidCardLists
from terminal.psam_client import PsamClient, PsamError
from terminal.session import CardSession, find_item

__all__ = [
    "Abort",
    "CellOutcome",
    "RegionTerminal",
    "Visit",
    "algorithm_announced",
    "basic_data_read",
    "card_acceptance",
    "internal_auth",
    "invalid_card_refused",
    "listed_card_refused",
    "local_files_home_only",
    "nationwide_write",
    "pin_verify_and_change",
]

# Profile names the checks rely on (identifiers in the profile data, not byte values).
_ITEM_CARD_ID = "card_id_code"  # its EF is the card-issuer data
_ITEM_SSN = "ssn"  # its EF is the cardholder basics
_REGION_CHECK = "region_code"
_NATIONWIDE = "nationwide_writable"
_LOCAL = "local"
_TEMPORARY_PINS = ("246813", "975312")  # test data: a PIN to change to and back from


@dataclass(frozen=True)
class RegionTerminal:
    """A terminal of a region: its code and its PSAM (the keys never leave the PSAM)."""

    region: str
    psam: PsamClient


@dataclass(frozen=True)
class CellOutcome:
    ok: bool
    detail: str = ""
    applicable: bool = True  # False: the requirement does not apply to this card (not run)

    @classmethod
    def passed(cls, detail: str = "") -> CellOutcome:
        return cls(True, detail)

    @classmethod
    def failed(cls, detail: str) -> CellOutcome:
        return cls(False, detail)

    @classmethod
    def not_applicable(cls, detail: str) -> CellOutcome:
        return cls(False, detail, applicable=False)


class Abort(HarnessError):
    """Stop this card's row: `outcome` is this cell's result, `reason` why the rest is not run."""

    def __init__(self, outcome: CellOutcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


@dataclass
class Visit:
    """`card` at `terminal`; `home` is the terminal of the card's issuing region (None if the run
    has none); `memo` is scratch space shared by the visits of one card within one requirement."""

    card: CardSession
    terminal: RegionTerminal
    home: RegionTerminal | None
    card_region: str
    pin: str
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def at_home(self) -> bool:
        return self.terminal.region == self.card_region

    @property
    def profile(self) -> Profile:
        return self.card.profile

    @property
    def active_version(self) -> int:
        return self.profile.command("external_authenticate").byte("active_version")


def _sw(response: Response) -> str:
    return response.describe()


_REFUSAL_ZH = {LISTED: "在无效卡名单中", BAD_CARD_ID_MAC: "识别码 MAC 无效", UNKNOWN_ISSUER: "发卡机构未知", UNREADABLE: "无法读取卡的身份"}


def _decided_zh(decision: AcceptanceDecision) -> str:
    """The terminal's decision in Chinese: ``接受`` or ``拒绝（在无效卡名单中）`` (`describe()` is the English)."""
    if decision.accepted:
        return "接受"
    return f"拒绝（{'、'.join(_REFUSAL_ZH.get(r.kind, r.kind) for r in decision.refusals)}）"


def _decided(decision: AcceptanceDecision) -> str:
    return bilingual(_decided_zh(decision), decision.describe())


def _failed(zh: str, en: str) -> CellOutcome:
    """A failed cell, its detail Chinese first (checks.wording)."""
    return CellOutcome.failed(bilingual(zh, en))


# -- INT-XR-1 ------------------------------------------------------------------------------------


def internal_auth(v: Visit) -> CellOutcome:
    """INTERNAL AUTHENTICATE with random F, D; the terminal's PSAM computes the expected result
    with the national IRK diversified for the card (province, city, card)."""
    v.card.select_mf(check=True)
    auth = v.card.internal_authenticate_and_verify(v.terminal.psam, v.active_version, check=False)
    if not auth.response.ok:
        return _failed(f"内部认证返回 {sw_zh(auth.response)}", f"INTERNAL AUTHENTICATE answered {_sw(auth.response)}")
    if not auth.verified:
        return _failed(
            f"F={auth.f.hex().upper()} D={auth.d.hex().upper()} 时卡的结果为 {auth.card_result.hex().upper()}，"
            f"PSAM 以三级分散的内部认证密钥算得 {auth.expected.hex().upper()}",
            f"card result {auth.card_result.hex().upper()} for F={auth.f.hex().upper()} D={auth.d.hex().upper()}; "
            f"the PSAM computed {auth.expected.hex().upper()} with the 3-level diversified IRK",
        )
    return CellOutcome.passed()


# -- INT-XR-2 ------------------------------------------------------------------------------------


def _basic_files(profile: Profile) -> list[FileDef]:
    """The card-issuer data and cardholder basics EFs (the files of the card id code and SSN)."""
    return [find_item(profile, _ITEM_CARD_ID)[0], find_item(profile, _ITEM_SSN)[0]]


def _read_keys(profile: Profile, f: FileDef) -> list[KeyDef] | None:
    """Keys to authenticate before reading `f` without a PIN; None if the rule needs the PIN."""
    rule = f.rule("read")
    if rule is None or rule.is_free:
        return []
    if rule.is_never:
        return None
    auths = [t for t in rule.terms if isinstance(t, Auth)]
    if rule.kind == "or":
        return [profile.key(auths[0].key)] if auths else None
    if len(auths) != len(rule.terms):
        return None
    return [profile.key(t.key) for t in auths]


def basic_data_read(v: Visit) -> CellOutcome:
    """Read every record of the basic-data EFs (gen3: after AUTH RKSSSE with the terminal's
    national keys); each record must have the profile's tag and length and equal what the first
    terminal of the row (the home terminal) read."""
    card, profile = v.card, v.profile
    card.select_mf(check=True)
    readings: dict[str, bytes] = {}
    for f in _basic_files(profile):
        keys = _read_keys(profile, f)
        if keys is None:
            return _failed(
                f"{f.path}：规范配置文件的读规则 {f.rule('read')} 需要 PIN；基本数据应不经 PIN 在任一终端可读",
                f"{f.path}: the profile's read rule {f.rule('read')} needs the PIN; basic data must be readable at any terminal without it",
            )
        for key in keys:
            r = card.external_authenticate(key.name, v.active_version, v.terminal.psam, check=False)
            if not r.ok:
                raise Abort(
                    _failed(
                        f"外部认证 {key.name}（{f.path} 的读权限）返回 {sw_zh(r)}",
                        f"EXTERNAL AUTHENTICATE {key.name} (read right on {f.path}) answered {_sw(r)}",
                    ),
                    bilingual(
                        f"{key.name} 认证不通过；其余终端再试会消耗其错误计数",
                        f"{key.name} does not authenticate; further terminals would spend its try counter",
                    ),
                )
        for rec in f.records:
            r = card.read_record(f.path, tag=rec.tag, check=False)
            if not r.ok:
                return _failed(
                    f"按标签 {rec.tag:02X}（{rec.title.zh}）读 {f.path} 的记录返回 {sw_zh(r)}",
                    f"READ RECORD tag {rec.tag:02X} ({rec.item}) of {f.path} answered {_sw(r)}",
                )
            problem = _record_problem(rec, r.data)
            if problem:
                return _failed(f"{f.path} {rec.title.zh}：{problem[0]}", f"{f.path} {rec.item}: {problem[1]}")
            readings[f"{f.path}#{rec.tag:02X}"] = r.data
    reference = v.memo.setdefault("reference", (v.terminal.region, readings))
    where, first = reference
    differing = sorted(k for k in first if first[k] != readings.get(k))
    if differing:
        return _failed(
            f"记录 {', '.join(differing)} 与 {where} 的终端读到的不同",
            f"records {', '.join(differing)} differ from what the terminal of {where} read",
        )
    return CellOutcome.passed()


def _record_problem(rec: RecordDef, data: bytes) -> tuple[str, str] | None:
    """(中文, English) of what is wrong with a record; None when it has the declared tag and length."""
    try:
        tlv = parse_record(data)
    except ValueError as exc:
        return f"记录 {data.hex().upper()} 不是一个 TLV（{exc}）", f"record {data.hex().upper()} is not one TLV: {exc}"
    if tlv.tag != rec.tag or len(tlv.value) != rec.length:
        return (
            f"预期标签 {rec.tag:02X}、{rec.length} 字节，实际标签 {tlv.tag:02X}、{len(tlv.value)} 字节",
            f"expected tag {rec.tag:02X} with {rec.length} bytes, got tag {tlv.tag:02X} with {len(tlv.value)}",
        )
    return None


# -- INT-XR-3 ------------------------------------------------------------------------------------


def _nationwide_record(profile: Profile) -> tuple[FileDef, RecordDef]:
    files = [f for f in profile.efs() if _NATIONWIDE in f.flags and f.records]
    if len(files) != 1:
        raise KeyError(f"profile {profile.name}: expected one nationwide-writable record file, found {[f.path for f in files]}")
    f = files[0]
    rec = next((r for r in f.records if r.check == _REGION_CHECK), f.records[0])
    return f, rec


def nationwide_write(v: Visit) -> CellOutcome:
    """The terminal writes its region into the nationwide-writable record (SM under the file's
    key, MAC from its PSAM); the home terminal reads it back, then writes the original back."""
    if v.home is None:
        return CellOutcome.not_applicable(
            bilingual(
                "本次运行没有卡的发卡地区的终端，无法在发卡地读回",
                "no terminal of the card's issuing region in this run to read back at home",
            )
        )
    card = v.card
    f, rec = _nationwide_record(v.profile)
    card.select_mf(check=True)
    original = card.read_record(f.path, tag=rec.tag, check=True).data
    written = original[: len(original) - rec.length] + encode_cn(v.terminal.region, rec.length)
    r = card.secure_update_record(f.path, written, v.terminal.psam, number=rec.number, check=False)
    if not r.ok:
        return _failed(
            f"{v.terminal.region} 的终端以安全报文更新 {f.path}（{rec.title.zh}）的记录返回 {sw_zh(r)}",
            f"secure UPDATE RECORD of {f.path} ({rec.item}) by the terminal of {v.terminal.region} answered {_sw(r)}",
        )
    card.select_mf(check=True)  # the card goes home
    back = card.read_record(f.path, tag=rec.tag, check=True).data
    restore = card.secure_update_record(f.path, original, v.home.psam, number=rec.number, check=False)
    if back != written:
        return _failed(
            f"{f.path} {rec.title.zh}：写入 {written.hex().upper()}，在发卡地读回 {back.hex().upper()}",
            f"{f.path} {rec.item}: wrote {written.hex().upper()}, read back at home {back.hex().upper()}",
        )
    if not restore.ok:
        raise Abort(
            _failed(
                f"发卡地终端未能写回原来的{rec.title.zh}：{sw_zh(restore)}",
                f"the home terminal could not write the original {rec.item} back: {_sw(restore)}",
            ),
            bilingual(f"{f.path} 在卡上保持被更新后的值", f"{f.path} left changed on the card"),
        )
    return CellOutcome.passed()


# -- INT-XR-4 ------------------------------------------------------------------------------------


def _temporary_pin(pin: str, initial: str) -> str:
    return next(p for p in _TEMPORARY_PINS if p not in (pin, initial))


def pin_verify_and_change(v: Visit) -> CellOutcome:
    """VERIFY, CHANGE PIN to a temporary PIN, VERIFY it, check the old PIN is refused (63Cx) and
    verify the new one again (the counter is full), then back (CHANGE PIN, or RELOAD PIN at the home
    terminal when the card refuses the personalized initial PIN as a new PIN)."""
    card, pin = v.card, v.pin
    card.select_mf(check=True)
    r = card.verify_pin(pin, check=False)
    if not r.ok:
        raise Abort(
            _failed(f"以卡的 PIN 校验返回 {sw_zh(r)}", f"VERIFY with the card's PIN answered {_sw(r)}"),
            bilingual("给定的 PIN 校验不通过；不再消耗尝试次数", "the PIN given for the card does not verify; no further tries spent"),
        )
    temporary = _temporary_pin(pin, v.profile.security.pin.initial)
    r = card.change_pin(pin, temporary, check=False)
    if not r.ok:
        return _failed(f"修改 PIN 返回 {sw_zh(r)}", f"CHANGE PIN answered {_sw(r)}")
    r = card.verify_pin(temporary, check=False)
    outcome = (
        CellOutcome.passed() if r.ok else _failed(f"以修改后的 PIN 校验返回 {sw_zh(r)}", f"VERIFY with the changed PIN answered {_sw(r)}")
    )
    if r.ok:  # the change took effect only if the old PIN is now refused (one try, given back below)
        old = card.verify_pin(pin, check=False)
        if not v.profile.sw["verification_failed"].matches(old.sw):
            outcome = _failed(
                f"修改 PIN 后以原 PIN 校验返回 {sw_zh(old)}（预期 63Cx（认证失败，还剩x次尝试机会））",
                f"after CHANGE PIN, VERIFY with the old PIN answered {_sw(old)} (expected 63Cx)",
            )
        again = card.verify_pin(temporary, check=False)  # a right PIN fills the try counter again
        if not again.ok:
            outcome = _failed(
                f"一次错误尝试后以修改后的 PIN 校验返回 {sw_zh(again)}",
                f"VERIFY with the changed PIN after one wrong try answered {_sw(again)}",
            )
    try:
        back = card.change_pin(temporary, pin, check=False)
        if not back.ok:
            if v.home is None:
                raise Abort(
                    outcome,
                    bilingual(
                        f"PIN 未能改回（{sw_zh(back)}），且没有发卡地终端可重装",
                        f"the PIN could not be changed back ({_sw(back)}) and no home terminal can reload it",
                    ),
                )
            back = card.reload_pin(v.home.psam, pin, check=False)  # the initial PIN is refused as a new PIN
        restored = back.ok and card.verify_pin(pin, check=False).ok
        problem, problem_zh = _sw(back), sw_zh(back)
    except AnswerError as exc:
        restored, problem, problem_zh = False, str(exc), str(exc)
    if not restored:
        raise Abort(
            _failed(f"卡的 PIN 未能恢复：{problem_zh}", f"the card's PIN could not be restored: {problem}"),
            bilingual("卡的 PIN 已不是给定的 PIN", "the card's PIN is no longer the one given"),
        )
    return outcome


# -- INT-XR-5 ------------------------------------------------------------------------------------


def _local_file(profile: Profile) -> tuple[FileDef, FileDef, KeyDef]:
    """The local-extension DF, its record EF and the key of its read right."""
    dfs = [f for f in profile.files.values() if f.is_df and f.presence == _LOCAL]
    if len(dfs) != 1:
        raise KeyError(f"profile {profile.name}: expected one local-extension DF, found {[f.path for f in dfs]}")
    df = dfs[0]
    ef = next(f for f in profile.children(df.path) if f.is_ef and f.records)
    keys = _read_keys(profile, ef)
    if not keys or len(keys) != 1:
        raise KeyError(f"{ef.path}: expected a read rule of one AUTH term, got {ef.rule('read')}")
    return df, ef, keys[0]


def local_files_home_only(v: Visit) -> CellOutcome:
    """Home terminal: EXTERNAL AUTHENTICATE with the local read key succeeds and the local record
    reads. Foreign terminal: its PSAM has no root for the city (6A88) or derives another key (the
    card answers 63Cx); either way the record stays closed (6982). After a failed attempt at the
    card, the home terminal authenticates to restore the try counter."""
    card = v.card
    df, ef, key = _local_file(v.profile)
    card.select_mf(check=True)
    sel = card.select_path(df.path, check=False)
    if sel.means("file_not_found"):
        raise Abort(
            CellOutcome.not_applicable(
                bilingual(f"卡上没有 {df.path}（未声明地方扩展文件）", f"the card has no {df.path} (no local extension files declared)")
            ),
            bilingual(f"卡上没有 {df.path}", f"no {df.path}"),
        )
    if not sel.ok:
        return _failed(f"选择 {df.path} 返回 {sw_zh(sel)}", f"SELECT {df.path} answered {_sw(sel)}")
    if v.at_home:
        r = card.external_authenticate(key.name, v.active_version, v.terminal.psam, check=False)
        if not r.ok:
            raise Abort(
                _failed(
                    f"发卡地终端：外部认证 {key.name} 返回 {sw_zh(r)}", f"home terminal: EXTERNAL AUTHENTICATE {key.name} answered {_sw(r)}"
                ),
                bilingual(
                    f"{key.name} 在发卡地认证不通过；异地尝试会消耗其错误计数",
                    f"{key.name} does not authenticate at home; foreign attempts would spend its try counter",
                ),
            )
        read = card.read_record(ef.path, number=ef.records[0].number, check=False)
        if not read.ok:
            return _failed(
                f"发卡地终端：外部认证 {key.name} 后读 {ef.path} 的记录返回 {sw_zh(read)}",
                f"home terminal: READ RECORD of {ef.path} after AUTH {key.name} answered {_sw(read)}",
            )
        return CellOutcome.passed()
    tried_at_card = True
    try:
        r = card.external_authenticate(key.name, v.active_version, v.terminal.psam, check=False)
        how = bilingual(f"卡返回 {sw_zh(r)}", f"the card answered {_sw(r)}")
        got_in = r.ok
    except PsamError as exc:
        tried_at_card, got_in, how = False, False, bilingual(f"PSAM 拒绝（{exc}）", f"the PSAM refused ({exc})")
    read = card.read_record(ef.path, number=ef.records[0].number, check=False)
    outcome = CellOutcome.passed(how)
    if got_in:
        outcome = _failed(
            f"{v.terminal.region} 的终端通过了 {v.card_region} 发行的卡的 {key.name} 认证",
            f"a terminal of {v.terminal.region} authenticated {key.name} of a card of {v.card_region}",
        )
    elif not read.means("security_not_satisfied"):
        outcome = _failed(
            f"异地终端读 {ef.path} 的记录返回 {sw_zh(read)}，预期 6982（不满足安全状态）",
            f"READ RECORD of {ef.path} at a foreign terminal answered {_sw(read)}, expected 6982",
        )
    if tried_at_card and not got_in:
        if v.home is None:
            raise Abort(
                outcome,
                bilingual(f"没有发卡地终端恢复 {key.name} 的错误计数", f"no home terminal to restore the try counter of {key.name}"),
            )
        restore = card.external_authenticate(key.name, v.active_version, v.home.psam, check=False)
        if not restore.ok:
            raise Abort(
                outcome,
                bilingual(
                    f"为恢复 {key.name} 的错误计数在发卡地认证返回 {sw_zh(restore)}",
                    f"home authentication to restore {key.name}'s try counter answered {_sw(restore)}",
                ),
            )
    return outcome


# -- INT-XR-6 / INT-XR-7 -------------------------------------------------------------------------


def card_acceptance(v: Visit, lists: InvalidCardLists, known_regions: Container[str]) -> AcceptanceDecision:
    v.card.select_mf(check=True)
    return check_acceptance(v.card, v.terminal.psam, lists, known_regions)


def listed_card_refused(v: Visit, lists: InvalidCardLists, known_regions: Container[str], expect_listed: bool) -> CellOutcome:
    """The terminal checks every list covering the card: a listed card is refused, others not
    (for being listed)."""
    decision = card_acceptance(v, lists, known_regions)
    listed = LISTED in decision.kinds()
    if listed != expect_listed:
        want = "refused as listed" if expect_listed else "not refused as listed"
        want_zh = "因在名单中而拒绝" if expect_listed else "不因名单而拒绝"
        return _failed(
            f"预期{want_zh}，终端的判定：{_decided_zh(decision)}", f"expected {want}, the terminal decided: {decision.describe()}"
        )
    return CellOutcome.passed(_decided(decision))


def invalid_card_refused(v: Visit, lists: InvalidCardLists, known_regions: Container[str], expect_invalid: bool) -> CellOutcome:
    """A card whose identification code MAC or issuer is not valid is refused; a valid one is not
    refused for either reason."""
    decision = card_acceptance(v, lists, known_regions)
    invalid = bool(decision.kinds() & {BAD_CARD_ID_MAC, UNKNOWN_ISSUER}) or decision.identity is None
    if invalid != expect_invalid:
        want = "refused (invalid identification code MAC or issuer)" if expect_invalid else "no refusal for MAC or issuer"
        want_zh = "拒绝（识别码 MAC 或发卡机构无效）" if expect_invalid else "不因 MAC 或发卡机构而拒绝"
        return _failed(
            f"预期{want_zh}，终端的判定：{_decided_zh(decision)}", f"expected {want}, the terminal decided: {decision.describe()}"
        )
    return CellOutcome.passed(_decided(decision))


def declared_invalid_refused(v: Visit, lists: InvalidCardLists, known_regions: Container[str], reason: str) -> CellOutcome:
    """A card the lab declares invalid (`reason`, its card-set file's) is refused; for an invalid
    identification-code MAC or issuer, refused for that very reason."""
    decision = card_acceptance(v, lists, known_regions)
    wanted = {"identification_code_mac": {BAD_CARD_ID_MAC}, "unknown_issuer": {UNKNOWN_ISSUER}}.get(reason)
    if decision.accepted or (wanted is not None and not decision.kinds() & wanted and decision.identity is not None):
        return _failed(
            f"实验室声明此卡无效（{reason}），终端的判定：{_decided_zh(decision)}",
            f"the lab declares this card invalid ({reason}), the terminal decided: {decision.describe()}",
        )
    return CellOutcome.passed(_decided(decision))


# -- INT-XR-8 ------------------------------------------------------------------------------------


def algorithm_announced(v: Visit, algorithms: Mapping[int, Any]) -> CellOutcome:
    """The terminal reads the algorithm id from the SSSE FCI, picks its PSAM's key DF for it
    (`algorithms`: FCI id → `Algorithm`, from the profiles the terminal knows) and authenticates
    the card with it; the id must be the one of the card's generation."""
    card = v.card
    card.select_mf(check=True)
    ident = card.identity(refresh=True)
    if ident.algorithm_id is None:
        return _failed("SSSE 的 FCI 中没有算法标识", "the SSSE FCI carries no algorithm id")
    alg = algorithms.get(ident.algorithm_id)
    if alg is None:
        return _failed(
            f"卡声明的算法标识 {ident.algorithm_id:02X} 不属于终端已知的任何规范配置文件",
            f"the card announces algorithm id {ident.algorithm_id:02X}, which no profile the terminal knows uses",
        )
    if ident.algorithm_id != v.profile.algorithm_id or alg is not v.profile.algorithm:
        return _failed(
            f"卡声明的算法标识为 {ident.algorithm_id:02X}（{alg.value}），{v.profile.name} 卡应为 "
            f"{v.profile.algorithm_id:02X}（{v.profile.algorithm.value}）",
            f"the card announces algorithm id {ident.algorithm_id:02X} ({alg.value}); a {v.profile.name} card "
            f"uses {v.profile.algorithm_id:02X} ({v.profile.algorithm.value})",
        )
    v.terminal.psam.select_for(alg)
    auth = card.internal_authenticate_and_verify(v.terminal.psam, v.active_version, check=False)
    if not auth.verified:
        return _failed(
            f"以卡声明的 {alg.value} 内部认证：返回 {sw_zh(auth.response)}，结果 {auth.card_result.hex().upper()}，"
            f"PSAM 算得 {auth.expected.hex().upper()}",
            f"INTERNAL AUTHENTICATE with the announced {alg.value}: answered {_sw(auth.response)}, result "
            f"{auth.card_result.hex().upper()}, the PSAM's {auth.expected.hex().upper()}",
        )
    return CellOutcome.passed(alg.value)
