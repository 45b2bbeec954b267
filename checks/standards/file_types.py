"""Tell each EF's type from what it does (STD-FS-2: "… exists with its … type").

ISO/IEC 7816-4 defines the EF structures by the commands that reach their data: a transparent EF
answers READ BINARY with data and has no records; a record EF answers READ RECORD by number with
its records 1, 2, … n (record not found after the last) and has no binary content. Among record
EFs a cyclic file keeps records of one fixed length (PROFILE §3.3) and wraps when appended to;
the wrap is written, so it is observed by STD-CMD-5's @destructive scenario, not here (a survey
that needed an opt-in would leave STD-FS-2 not run on every card in a reader). What tells a cyclic
file from a linear one without writing is the profile's stand-in answer to UPDATE RECORD on a
cyclic file (incompatible structure, checked before access in the stand-in order), marked as such.
A linear file's records have the lengths its declaration gives each number.

So the survey holds the file's read right first (`terminal.grants`, as a legitimate terminal would
obtain it) and then asks both commands: no answer depends on which of two checks a card makes
first, the stand-in order of PROFILE §5. Only a file whose read right this terminal cannot obtain
(another application's keys, behind the firewall) falls back to the structure status word that
the stand-in order puts before the access check; such an expectation is marked as a stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from checks.standards.file_survey import dir_adfs, scan_records
from checks.wording import bilingual, halves, sw_zh
from ssc.profile.access import Auth
from ssc.profile.expectation import SwExpectation, expect_sw
from ssc.profile.model import FileDef
from ssc.record_checks import expected_record
from terminal.channel import Response
from terminal.grants import cheapest_grant, grant, terminal_can_grant
from terminal.psam_client import PsamClient
from terminal.session import CardSession, OperationError

__all__ = ["TypeSurvey", "observed_kind", "type_survey"]

_READ = "read"
_TRANSPARENT, _RECORD = "transparent", "record"


def _hex(response: Response) -> str:
    return "; ".join(f"{c.hex().upper()} → {r.hex().upper()}" for c, r in response.exchanges) or "(no APDU)"


def _apdus(*responses: Response) -> str:
    return "；APDU：" + "; ".join(_hex(r) for r in responses)


_KIND_ZH = {"transparent": "透明", "record": "记录", "linear": "线性记录", "cyclic": "循环记录"}


def _kind_zh(kind: str) -> str:
    return _KIND_ZH.get(kind, kind) + "文件"


@dataclass
class TypeSurvey:
    """Findings (the card contradicts the declared type) and files whose type could not be seen."""

    findings: list[str] = field(default_factory=list)
    unobserved: list[str] = field(default_factory=list)
    observed: dict[str, str] = field(default_factory=dict)  # path → what the card showed


def observed_kind(binary: Response, record: Response) -> str | None:
    """ "transparent", "record" or None (contradictory), from READ BINARY offset 0 and READ RECORD 1
    sent with the read right held. An empty record file answers record not found (ISO 7816-4)."""
    binary_data = binary.ok and bool(binary.data)
    record_data = record.ok and bool(record.data)
    if binary_data and not record_data and not record.means("record_not_found"):
        return _TRANSPARENT
    if not binary_data and (record_data or record.means("record_not_found")):
        return _RECORD
    return None


def type_survey(session: CardSession, files: list[FileDef], psam: Callable[[], PsamClient], pin: str | None) -> TypeSurvey:
    """Observe the type of every EF of `files` (see the module docstring); `psam()` is called only
    when a file's read right needs a key."""
    survey = TypeSurvey()
    for f in files:
        if not f.is_ef or f.sfi is None:
            continue
        if not terminal_can_grant(session.profile, f.path, _READ):
            survey.findings += _stand_in_structure(session, f, survey)
            continue
        try:
            session.select_mf(check=True)  # each file from a clean security state
            rule = f.rule(_READ)
            needs_key = rule is not None and any(isinstance(t, Auth) for t in cheapest_grant(rule))
            grant(session, f.path, _READ, psam() if needs_key else None, pin)
        except OperationError as exc:
            survey.unobserved.append(
                bilingual(
                    f"{f.path}：未能取得读权限（{halves(str(exc))[0]}），未观察其类型",
                    f"{f.path}: its read right could not be obtained ({halves(str(exc))[1]}), so its type was not observed",
                )
            )
            continue
        survey.findings += _observe(session, f, survey)
    return survey


def _observe(session: CardSession, f: FileDef, survey: TypeSurvey) -> list[str]:
    binary = session.read_binary(f.path, 0, 1, check=False)
    record = session.read_record(f.path, 1, check=False)
    kind = observed_kind(binary, record)
    seen = f"READ BINARY 0: {binary.data.hex().upper()} {binary.describe()}; READ RECORD 1: {record.data.hex().upper()} {record.describe()}"
    seen_zh = f"读二进制偏移 0：{binary.data.hex().upper() or '无数据'} {sw_zh(binary)}；读记录 1：{record.data.hex().upper() or '无数据'} {sw_zh(record)}"
    if kind is None:
        return [
            bilingual(
                f"{f.path}（声明为{_kind_zh(f.kind)}）：既不呈现透明结构也不呈现记录结构——{seen_zh}",
                f"{f.path} (declared {f.kind}): neither a transparent nor a record structure — {seen}",
            )
            + _apdus(binary, record)
        ]
    declared = _TRANSPARENT if f.kind == _TRANSPARENT else _RECORD
    if kind != declared:
        survey.observed[f.path] = kind
        return [
            bilingual(
                f"{f.path}：声明为{_kind_zh(f.kind)}，卡呈现{_kind_zh(kind)}结构——{seen_zh}",
                f"{f.path}: declared {f.kind}, the card shows a {kind} structure — {seen}",
            )
            + _apdus(binary, record)
        ]
    if kind == _TRANSPARENT:
        survey.observed[f.path] = _TRANSPARENT
        return []
    return _record_structure(session, f, survey)


def _record_structure(session: CardSession, f: FileDef, survey: TypeSurvey) -> list[str]:
    """Records numbered 1..n without a gap, each of the length the declaration gives its number
    (cyclic: all of the one fixed record length)."""
    if "dir" in f.flags:
        limit = len(dir_adfs(session.profile)[1])  # one record per ADF present (STD-FS-3)
    elif f.kind == "cyclic":
        limit = f.record_count or 0
    else:
        limit = max((r.number for r in f.records), default=0)
    scan = scan_records(session, f.path, limit)
    findings = []
    if not scan.ended_cleanly and not scan.end.ok:  # records past the declared ones are STD-REC-2's business
        findings.append(
            bilingual(
                f"{f.path}（{_kind_zh(f.kind)}）：读完 {len(scan.records)} 条记录后，读记录 {scan.end_number} 返回 {sw_zh(scan.end)}，"
                "而不是 6A83（未找到记录）",
                f"{f.path} ({f.kind}): READ RECORD {scan.end_number} answered {scan.end.describe()} instead of record not found "
                f"after {len(scan.records)} record(s)",
            )
            + _apdus(scan.end)
        )
    lengths = {n: len(raw) for n, raw in scan.records}
    for n, size in lengths.items():
        rec = expected_record(f, n)  # cyclic: the one fixed layout for every number
        if rec is not None and size != rec.record_length:
            findings.append(
                bilingual(
                    f"{f.path}（{_kind_zh(f.kind)}）：记录 {n} 长 {size} 字节，声明的记录 {n} 长 {rec.record_length} 字节",
                    f"{f.path} ({f.kind}): record {n} is {size} bytes, the declared record {n} is {rec.record_length}",
                )
            )
    if f.kind == "cyclic":
        if len(set(lengths.values())) > 1:
            findings.append(
                bilingual(
                    f"{f.path}（循环记录文件）：记录长度不一 {lengths}，循环文件的记录长度应相同",
                    f"{f.path} (cyclic): records of different lengths {lengths}, a cyclic file's records all have one length",
                )
            )
        findings += _stand_in_cyclic(session, f, scan.records[0][1] if scan.records else None)
    survey.observed[f.path] = f"record file, records 1..{len(lengths)} of {sorted(set(lengths.values()))} bytes"
    return findings


def _stand_in_cyclic(session: CardSession, f: FileDef, first: bytes | None) -> list[str]:
    """UPDATE RECORD 1 of a cyclic file, without its write right, with the record it holds (or a
    blank one of its layout): incompatible structure in the profile's stand-in order."""
    expected = expect_sw(session.profile, "incompatible_file_structure", "check_order")
    rec = expected_record(f, 1)
    record = first if first is not None else (bytes([rec.tag, rec.length]) + bytes(rec.length) if rec else bytes(2))
    session.select_mf(check=True)  # no right held: the answer is the structure's
    response = session.update_record(f.path, record, number=1, check=False)
    if expected.matches(response.sw):
        return []
    return [
        bilingual(
            f"{f.path}（循环记录文件）：更新记录预期 {expected.zh}，实际 {sw_zh(response)}",
            f"{f.path} (cyclic): UPDATE RECORD expected {expected}, got {response.describe()}",
        )
        + _apdus(response)
    ]


def _stand_in_structure(session: CardSession, f: FileDef, survey: TypeSurvey) -> list[str]:
    """Without the read right: the structure check that the profile's check order puts before the
    access check (a stand-in, marked so). Record file: READ BINARY → incompatible structure;
    transparent: READ RECORD → incompatible structure."""
    expected: SwExpectation = expect_sw(session.profile, "incompatible_file_structure", "check_order")
    response = session.read_binary(f.path, 0, 1, check=False) if f.is_record_file else session.read_record(f.path, 1, check=False)
    survey.observed[f.path] = f"read right out of this terminal's reach; structure status word {response.describe()}"
    if expected.matches(response.sw):
        return []
    return [
        bilingual(
            f"{f.path}（{_kind_zh(f.kind)}）：预期 {expected.zh}，实际 {sw_zh(response)}",
            f"{f.path} ({f.kind}): expected {expected}, got {response.describe()}",
        )
        + _apdus(response)
    ]
