"""Checks of records read from a record-structured EF against the profile's data dictionary.

PROFILE §3: every record of a linear or cyclic file is one TLV — 1-byte tag (the record
identifier), 1-byte length, value — and the tag, length and position of each mandatory record are
declared in the profile (§3.1–§3.3). Cyclic files hold records of one declared layout. Each
function returns the problems it finds as sentences (empty list = conforming), so a walk over
every file can report all of them at once.
"""

from __future__ import annotations

from ssc.bilingual import bilingual
from ssc.profile.model import FileDef, RecordDef
from ssc.tlv import parse_record

__all__ = ["expected_record", "highest_record_number", "record_dictionary_problems", "record_tlv_problems", "cyclic_size_problems"]


def record_tlv_problems(f: FileDef, number: int, raw: bytes) -> list[str]:
    """The record is exactly one TLV (tag, length, value; nothing before or after)."""
    try:
        parse_record(raw)
    except ValueError as exc:
        return [
            bilingual(
                f"{f.path} 记录 {number}（{bytes(raw).hex().upper()}）不是单个 TLV：{exc}",
                f"{f.path} record {number} ({bytes(raw).hex().upper()}) is not one TLV: {exc}",
            )
        ]
    return []


def expected_record(f: FileDef, number: int) -> RecordDef | None:
    """The declaration of record `number`: by position in a linear file; the one layout of a cyclic file."""
    if f.kind == "cyclic":
        return f.records[0] if f.records else None
    return next((r for r in f.records if r.number == number), None)


def highest_record_number(f: FileDef) -> int:
    """How many records the file may hold: its declared count (cyclic) or its last declared record."""
    if f.kind == "cyclic":
        return f.record_count or 0
    return max((r.number for r in f.records), default=0)


def record_dictionary_problems(f: FileDef, number: int, raw: bytes) -> list[str]:
    """Tag and length of record `number` equal the data dictionary's."""
    rec = expected_record(f, number)
    if rec is None:
        return [
            bilingual(
                f"{f.path} 有记录 {number}，数据字典未声明该记录（{bytes(raw).hex().upper()}）",
                f"{f.path} holds record {number}, which the data dictionary does not declare ({bytes(raw).hex().upper()})",
            )
        ]
    raw = bytes(raw)
    if len(raw) < 2:
        return [
            bilingual(
                f"{f.path} 记录 {number} 只有 {len(raw)} 字节：应有标签与长度",
                f"{f.path} record {number} is {len(raw)} byte(s): tag and length expected",
            )
        ]
    problems = []
    if raw[0] != rec.tag:
        problems.append(
            bilingual(
                f"{f.path} 记录 {number}：标签应为 {rec.tag:02X}（{rec.title.zh}），实际 {raw[0]:02X}",
                f"{f.path} record {number}: tag expected {rec.tag:02X} ({rec.title.en}), got {raw[0]:02X}",
            )
        )
    if raw[1] != rec.length or len(raw) != rec.record_length:
        problems.append(
            bilingual(
                f"{f.path} 记录 {number}（标签 {rec.tag:02X} {rec.title.zh}）：长度应为 {rec.length}，"
                f"实际长度字节为 {raw[1]}，值有 {len(raw) - 2} 字节",
                f"{f.path} record {number} (tag {rec.tag:02X} {rec.title.en}): length expected {rec.length}, "
                f"length byte {raw[1]} with {len(raw) - 2} value bytes",
            )
        )
    return problems


def cyclic_size_problems(f: FileDef, number: int, raw: bytes) -> list[str]:
    """A cyclic file's records all have the declared record size."""
    rec = expected_record(f, number)
    if rec is None:
        return [bilingual(f"{f.path} 未声明记录格式", f"{f.path} declares no record layout")]
    if len(raw) != rec.record_length:
        return [
            bilingual(
                f"{f.path} 记录 {number} 为 {len(raw)} 字节，循环记录的大小为 {rec.record_length}（TLV {rec.tag:02X} {rec.length:02X} + {rec.length} 字节）",
                f"{f.path} record {number} is {len(raw)} bytes, the cyclic record size is {rec.record_length} "
                f"(TLV {rec.tag:02X} {rec.length:02X} + {rec.length} bytes)",
            )
        ]
    return []
