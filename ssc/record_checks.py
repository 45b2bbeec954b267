"""Checks of records read from a record-structured EF against the profile's data dictionary.

PROFILE §3: every record of a linear or cyclic file is one TLV — 1-byte tag (the record
identifier), 1-byte length, value — and the tag, length and position of each mandatory record are
declared in the profile (§3.1–§3.3). Cyclic files hold records of one declared layout. Each
function returns the problems it finds as sentences (empty list = conforming), so a walk over
every file can report all of them at once.
"""

from __future__ import annotations

from ssc.profile.model import FileDef, RecordDef
from ssc.tlv import parse_record

__all__ = ["expected_record", "highest_record_number", "record_dictionary_problems", "record_tlv_problems", "cyclic_size_problems"]


def record_tlv_problems(f: FileDef, number: int, raw: bytes) -> list[str]:
    """The record is exactly one TLV (tag, length, value; nothing before or after)."""
    try:
        parse_record(raw)
    except ValueError as exc:
        return [f"{f.path} record {number} ({bytes(raw).hex().upper()}) is not one TLV: {exc}"]
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
        return [f"{f.path} holds record {number}, which the data dictionary does not declare ({bytes(raw).hex().upper()})"]
    raw = bytes(raw)
    if len(raw) < 2:
        return [f"{f.path} record {number} is {len(raw)} byte(s): tag and length expected"]
    problems = []
    if raw[0] != rec.tag:
        problems.append(f"{f.path} record {number}: tag expected {rec.tag:02X} ({rec.title.en}), got {raw[0]:02X}")
    if raw[1] != rec.length or len(raw) != rec.record_length:
        problems.append(
            f"{f.path} record {number} (tag {rec.tag:02X} {rec.title.en}): length expected {rec.length}, "
            f"length byte {raw[1]} with {len(raw) - 2} value bytes"
        )
    return problems


def cyclic_size_problems(f: FileDef, number: int, raw: bytes) -> list[str]:
    """A cyclic file's records all have the declared record size."""
    rec = expected_record(f, number)
    if rec is None:
        return [f"{f.path} declares no record layout"]
    if len(raw) != rec.record_length:
        return [
            f"{f.path} record {number} is {len(raw)} bytes, the cyclic record size is {rec.record_length} (TLV {rec.tag:02X} {rec.length:02X} + {rec.length} bytes)"
        ]
    return []
