"""Carry out one access case on a card and prove its effect (PROFILE §3.3).

`attempt_access` starts from an explicit state (the MF selected: no key state, no PIN state), applies
the conditions of `checks.security.access_plan` in order (VERIFY, EXTERNAL AUTHENTICATE through the PSAM,
a DF change, a reset, selecting the MF), then sends the access itself and keeps the card's answer.

A status word alone proves nothing a lab can sign, so each case also observes what the access did:

- a write carries a value that differs from the file's current content (read beforehand with the
  file's read right). Afterwards the target is read back with the read right, gained from a clean
  state and dropped again: an allowed write must show the new value, a refused one the old value.
  Whatever the card did, the original is written back with the write right and read once more, so
  the card is left as found (an APPEND cannot be undone: the plan only sends appends that must be
  refused, and one the card wrongly performs stays on the card, which the finding says).
- a granted read is compared with the same data read another legitimate way under the same
  security state (by tag instead of by number, as the current EF instead of by SFI).

`effect_problems` judges the observation; a target that no right lets the terminal read back makes
the case inconclusive (`checks.verdicts.Inconclusive`), never passed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from checks.security.access_plan import AUTH, DF_CHANGE, PIN, RESET, SELECT_MF, SM, Condition, grant_conditions, other_df
from checks.verdicts import Inconclusive
from checks.wording import bilingual, halves, sw_zh
from checks.writeback import flip, flip_value
from ssc.profile.model import FileDef
from terminal.channel import Response
from terminal.grants import GrantError, grant, terminal_can_grant
from terminal.psam_client import PsamClient
from terminal.session import CardSession, OperationError

__all__ = [
    "AccessAttempt",
    "ReadEffect",
    "WriteEffect",
    "attempt_access",
    "current_content",
    "effect_problems",
    "read_back",
    "read_probe",
    "write_back",
]

BINARY_PROBE = 16  # bytes read or rewritten at offset 0 of a transparent file (a test choice)


class _Unreadable(Exception):
    """The target cannot be read with any right this terminal can obtain (control flow only); the
    reason in Chinese and in English, so a finding built on it stays Chinese first."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(bilingual(zh, en))
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class WriteEffect:
    """What a write did, as seen by reading the target with the file's read right."""

    before: Response  # the target before the case
    written: bytes  # what the write carried: differs from `before`
    after: Response | None  # the target after the write; None when it could not be read back
    restore: Response | None  # the original written back; None when nothing was (or could be) sent
    after_restore: Response | None  # the target after the restore
    problem: str | None = None  # why reading back or restoring was impossible (Chinese first)


@dataclass(frozen=True)
class ReadEffect:
    """The data of a granted read, read again other legitimate ways under the same security state."""

    others: dict[str, Response] = field(default_factory=dict)


@dataclass(frozen=True)
class AccessAttempt:
    response: Response  # the card's answer to the access itself
    content: bytes | None  # what a write carried (a value different from the file's content)
    write: WriteEffect | None = None
    read: ReadEffect | None = None


def attempt_access(card: CardSession, psam: PsamClient, pin: str, path: str, right: str, conditions: Sequence[Condition]) -> AccessAttempt:
    """Apply `conditions` from a clean state, do `right` on `path`, and observe its effect.

    Preparation raises `OperationError` when the card refuses it (the conditions could not be set
    up), and `Inconclusive` when a write's target cannot be read beforehand with any right (no
    value to compare with and none to restore: the write is not sent)."""
    profile = card.profile
    f = profile.file(path)
    card.identity()  # cached before any DF is made current: computing factors later selects nothing
    before: Response | None = None
    written: bytes | None = None
    if right != "read":
        try:
            before = _read_target(card, psam, pin, f)
        except _Unreadable as exc:
            raise Inconclusive(
                bilingual(f"未发送对 {path} 的{_RIGHT_ZH.get(right, right)}：{exc.zh}", f"the {right} of {path} was not sent: {exc.en}")
            ) from None
        written = _different_value(f, before)
    card.select_mf(check=True)
    sm_key = None
    for c in conditions:
        if c.kind == PIN:
            card.verify_pin(pin, check=True)
        elif c.kind == AUTH:
            assert c.key is not None
            card.external_authenticate(c.key, 0, psam, check=True)
        elif c.kind == SM:
            sm_key = c.key
        elif c.kind == DF_CHANGE:
            card.select_path(other_df(profile, card.current_df), check=True)
        elif c.kind == RESET:
            card.reset()
        elif c.kind == SELECT_MF:
            card.select_mf(check=True)
        else:
            raise ValueError(f"unknown condition {c}")
    if right == "read":
        response = read_probe(card, f.path)
        return AccessAttempt(response, None, read=_read_elsewhere(card, f) if response.ok else None)
    assert before is not None and written is not None
    response = _access(card, psam, f, right, written, sm_key)
    return AccessAttempt(response, written, write=_observe_write(card, psam, pin, f, right, before, written, response))


def read_probe(card: CardSession, path: str) -> Response:
    """The read an access case sends: the first record of a record file, the first bytes of a
    transparent file (answer unchecked)."""
    f = card.profile.file(path)
    if f.is_record_file:
        return card.read_record(f.path, number=_first_record(f), check=False)
    return card.read_binary(f.path, 0, _probe(f), check=False)


def _access(card: CardSession, psam: PsamClient, f: FileDef, right: str, content: bytes | None, sm_key: str | None) -> Response:
    if right == "read":
        return read_probe(card, f.path)
    assert content is not None
    if right == "update":
        if not f.is_record_file:
            if sm_key is not None:
                raise NotImplementedError(f"{f.path}: MAC-protected UPDATE BINARY is not implemented")
            return card.update_binary(f.path, 0, content, check=False)
        if sm_key is not None:
            return card.secure_update_record(f.path, content, psam, sm_key, check=False)
        return card.update_record(f.path, content, check=False)
    if right == "append":
        if sm_key is not None:
            return card.secure_append_record(f.path, content, psam, sm_key, check=False)
        return card.append_record(f.path, content, check=False)
    raise ValueError(f"unknown right {right!r}")


def _first_record(f: FileDef) -> int:
    if not f.records:
        raise ValueError(f"{f.path} declares no record to read")
    return min(r.number for r in f.records)


def _probe(f: FileDef) -> int:
    assert f.size is not None, f"{f.path} is neither a record file nor a transparent file of known size"
    return min(BINARY_PROBE, f.size)


# -- observing the effect -------------------------------------------------------------------------


def _target_record(f: FileDef) -> int:
    return 1 if f.kind == "cyclic" else _first_record(f)


def _read_target(card: CardSession, psam: PsamClient, pin: str, f: FileDef) -> Response:
    """The case's target (first record, record 1 of a cyclic file, first bytes of a transparent
    file) read from a clean state with the file's read right, which is dropped again afterwards
    (the MF selected). A cyclic file may answer "record not found" (nothing appended yet)."""
    profile = card.profile
    rule = f.rule("read")
    if rule is None or rule.is_never or not terminal_can_grant(profile, f.path, "read"):
        raise _Unreadable(
            f"本终端能取得的权限都不能读回 {f.path}（读的访问条件：{rule}）",
            f"{f.path} cannot be read back by any right this terminal can obtain (read rule: {rule})",
        )
    card.select_mf(check=True)
    try:
        grant(card, f.path, "read", psam, pin)
    except (OperationError, GrantError) as exc:
        zh, en = halves(str(exc))
        raise _Unreadable(
            f"未能取得 {f.path} 的读权限（{rule}）：{zh}", f"the read right of {f.path} ({rule}) could not be obtained: {en}"
        ) from None
    if f.is_record_file:
        response = card.read_record(f.path, number=_target_record(f), check=False)
    else:
        response = card.read_binary(f.path, 0, _probe(f), check=False)
    card.select_mf(check=True)
    empty_cyclic = f.kind == "cyclic" and profile.sw["record_not_found"].matches(response.sw)
    if not response.ok and not empty_cyclic:
        raise _Unreadable(
            f"取得读权限（{rule}）后读 {f.path} 返回 {sw_zh(response)}",
            f"reading {f.path} with its read right ({rule}) answered {response.describe()}",
        )
    return response


def read_back(card: CardSession, psam: PsamClient, pin: str, f: FileDef) -> Response:
    """The target of an access case as the card holds it now (read right gained, then dropped);
    `Inconclusive` when no right lets the terminal read it."""
    try:
        return _read_target(card, psam, pin, f)
    except _Unreadable as exc:
        raise Inconclusive(str(exc)) from None


def _different_value(f: FileDef, before: Response) -> bytes:
    """A value for the target that differs from what it holds in every value byte (so a partial or
    skipped write shows); for a cyclic file a fresh random record of the declared layout."""
    if f.kind == "cyclic":
        rec = f.records[0]
        return bytes([rec.tag, rec.length]) + os.urandom(rec.length)
    if f.is_record_file:
        return flip_value(before.data)
    return flip(before.data)


def write_back(card: CardSession, psam: PsamClient, pin: str, f: FileDef, content: bytes) -> Response:
    """Write `content` to the target with the file's update right, from a clean state: the
    cheapest PIN/key grant, or a MAC under the rule's SM key when only SM opens it."""
    card.select_mf(check=True)
    try:
        grant(card, f.path, "update", psam, pin)
    except GrantError:  # SM only: the right travels with the command
        return card.secure_update_record(f.path, content, psam, number=_target_record(f), check=False)
    if f.is_record_file:
        return card.update_record(f.path, content, number=_target_record(f), check=False)
    return card.update_binary(f.path, 0, content, check=False)


def _observe_write(
    card: CardSession, psam: PsamClient, pin: str, f: FileDef, right: str, before: Response, written: bytes, response: Response
) -> WriteEffect:
    zh: list[str] = []
    en: list[str] = []
    try:
        after: Response | None = _read_target(card, psam, pin, f)
    except _Unreadable as exc:
        after = None
        zh.append(f"{_RIGHT_ZH.get(right, right)}之后未能读回：{exc.zh}")
        en.append(f"could not be read back after the {right}: {exc.en}")
    changed = after is None or (after.sw, after.data) != (before.sw, before.data)
    if not (response.ok or changed):
        return WriteEffect(before, written, after, None, None, _problem(zh, en))
    if right != "update":
        if changed and not en:
            zh.append("追加记录无法撤销：追加的记录留在卡上")
            en.append("an APPEND cannot be undone: the appended record stays on the card")
        return WriteEffect(before, written, after, None, None, _problem(zh, en))
    try:
        restore: Response | None = write_back(card, psam, pin, f, before.data)
        after_restore: Response | None = _read_target(card, psam, pin, f)
    except (OperationError, GrantError, _Unreadable) as exc:
        restore, after_restore = None, None
        why_zh, why = (exc.zh, exc.en) if isinstance(exc, _Unreadable) else halves(str(exc))
        zh.append(f"未能写回原值：{why_zh}")
        en.append(f"the original could not be written back: {why}")
    return WriteEffect(before, written, after, restore, after_restore, _problem(zh, en))


_RIGHT_ZH = {"read": "读", "update": "更新", "append": "追加"}  # the glossary's words for the rights


def _problem(zh: list[str], en: list[str]) -> str | None:
    """Why reading back or restoring was impossible, Chinese first (None: nothing went wrong)."""
    return bilingual("；".join(zh), "; ".join(en)) if en else None


def _read_elsewhere(card: CardSession, f: FileDef) -> ReadEffect:
    """The probe's data read again other legitimate ways, right after the granted read: by tag
    through the SFI, and as the current EF (selected by FID, which keeps the security state)."""
    others: dict[str, Response] = {}
    if f.is_record_file:
        rec = next(r for r in f.records if r.number == _first_record(f))
        others["by tag, SFI"] = card.read_record(f.path, tag=rec.tag, check=False)
        card.select_ef(f.path, check=True)
        others["by number, current EF"] = card.read_record(None, rec.number, le=rec.record_length, check=False)
    else:
        card.select_ef(f.path, check=True)
        others["current EF"] = card.read_binary(None, 0, _probe(f), check=False)
    return ReadEffect(others)


def _hex(response: Response | None) -> str:
    if response is None:
        return "(not read)"
    return f"{response.data.hex().upper() or '(no data)'} {response.describe()}"


def _zh(response: Response | None) -> str:
    if response is None:
        return "（未读）"
    return f"{response.data.hex().upper() or '（无数据）'} {sw_zh(response)}"


_HOW_ZH = {"by tag, SFI": "按标签经短文件标识符读", "by number, current EF": "按记录号读当前 EF", "current EF": "读当前 EF"}


def effect_problems(attempt: AccessAttempt, opens: bool) -> list[str]:
    """What the observation says against the case (empty: the effect is as required). Raises
    `Inconclusive` when the effect of a write could not be observed."""
    problems: list[str] = []
    response = attempt.response
    if attempt.read is not None and opens:
        for how, other in attempt.read.others.items():
            if (other.sw, other.data) != (response.sw, response.data):
                problems.append(
                    bilingual(
                        f"允许的读返回 {_zh(response)}，同一数据{_HOW_ZH.get(how, how)}返回 {_zh(other)}",
                        f"the granted read gave {_hex(response)}, the same data read {how} gave {_hex(other)}",
                    )
                )
    if attempt.write is None and not opens and response.data:
        problems.append(bilingual(f"被拒绝的访问返回了数据：{_zh(response)}", f"a refused access returned data: {_hex(response)}"))
    w = attempt.write
    if w is None:
        return problems
    if w.after is None:
        raise Inconclusive(w.problem or bilingual("未能读回目标", "the target could not be read back"))
    if opens:
        if not (w.after.ok and w.after.data == w.written):
            problems.append(
                bilingual(
                    f"写入 {w.written.hex().upper()}（应答 {sw_zh(response)}），读回 {_zh(w.after)}",
                    f"wrote {w.written.hex().upper()} (answer {response.describe()}), read back {_hex(w.after)}",
                )
            )
    elif (w.after.sw, w.after.data) != (w.before.sw, w.before.data):
        problems.append(
            bilingual(
                f"卡拒绝了写入（{sw_zh(response)}）却更改了目标：之前 {_zh(w.before)}，之后 {_zh(w.after)}",
                f"the card refused the write ({response.describe()}) but changed the target: {_hex(w.before)} before, {_hex(w.after)} after",
            )
        )
    restored = w.after_restore is not None and (w.after_restore.sw, w.after_restore.data) == (w.before.sw, w.before.data)
    if w.restore is not None and not (w.restore.ok and restored):
        problems.append(
            bilingual(
                f"原值 {w.before.data.hex().upper()} 未能恢复：写回 {_zh(w.restore)}，读回 {_zh(w.after_restore)}",
                f"THE ORIGINAL {w.before.data.hex().upper()} COULD NOT BE RESTORED: write-back {_hex(w.restore)}, read {_hex(w.after_restore)}",
            )
        )
    elif w.restore is None and w.problem:
        problems.append(w.problem)
    return problems


def current_content(card: CardSession, psam: PsamClient, pin: str, f: FileDef) -> bytes:
    """What a write of `f` carries: for a record file its first record as the card holds it, for a
    transparent file its first bytes, for an append a blank record of the declared layout. The read
    uses the first minimal grant of the read rule that the card honours."""
    if f.kind == "cyclic":
        rec = f.records[0]
        return bytes([rec.tag, rec.length]) + bytes(rec.length)
    rule = f.rule("read")
    if rule is None or rule.is_never:
        raise OperationError(
            None,
            None,
            bilingual(
                f"{f.path}：读的访问条件（{rule}）不允许终端读取要写回的内容",
                f"{f.path}: the read rule ({rule}) does not let the terminal learn the content to write back",
            ),
        )
    refusal: Response | None = None
    for terms in rule.minimal_grants():  # the first grant the card honours (PIN before keys)
        card.select_mf(check=True)
        for c in grant_conditions(terms, rule):
            if c.kind == PIN:
                card.verify_pin(pin, check=True)
            elif c.kind == AUTH:
                assert c.key is not None
                card.external_authenticate(c.key, 0, psam, check=True)
        if f.is_record_file:
            rec = min(f.records, key=lambda r: r.number)
            response = card.read_record(f.path, tag=rec.tag, check=False)
        else:
            response = card.read_binary(f.path, 0, _probe(f), check=False)
        if response.ok:
            return response.data
        refusal = response
    raise OperationError(
        None,
        refusal,
        bilingual(
            f"{f.path}：在“{rule}”下读取要写回的内容被拒绝（{sw_zh(refusal) if refusal else '无可用的授权'}）",
            f"{f.path}: reading the content to write back under “{rule}” was refused ({refusal.describe() if refusal else 'no grant'})",
        ),
    )
