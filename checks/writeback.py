"""Write, read back, and restore: UPDATE RECORD / UPDATE BINARY tests that leave the card as found.

A conformance run must not change a card's data (only @destructive scenarios may). These helpers
read the original, write a changed value, read it back, and then always write the original back
(also when the card misbehaves in between), reporting every answer so the caller can judge.
The write right must already be held (see `terminal.grants`); reading may need its own right too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from checks.wording import bilingual, sw_zh
from ssc.profile.model import FileDef
from terminal.channel import Response
from terminal.session import CardSession, OperationError

__all__ = [
    "RefusedWrite",
    "WriteBack",
    "distinct_records",
    "flip",
    "flip_value",
    "mismatched_tag",
    "refused_record_write",
    "refusal_left_record",
    "roundtrip_problem",
    "update_binary_and_restore",
    "update_record_and_restore",
]


@dataclass(frozen=True)
class WriteBack:
    original: bytes
    written: bytes
    write: Response
    read_after_write: Response
    restore: Response
    read_after_restore: Response

    @property
    def restored(self) -> bool:
        return self.restore.ok and self.read_after_restore.ok and self.read_after_restore.data == self.original


_STEP_ZH = {
    "update": "更新",
    "secure update": "安全更新",
    "read back": "读回",
    "write back": "写回",
    "secure write-back": "以安全报文写回",
    "read after write-back": "写回后读回",
}


def roundtrip_problem(wb: WriteBack, tail: Callable[[Response], str], *, secure: bool = False) -> str | None:
    """The first step of `wb` that went wrong against "the update and the write-back succeed, the
    data read back is first the new value, then the original", Chinese first; None when none did.
    `tail` words a step's answer in the English half (its status word and APDUs, as the caller
    shows them); an original that could not be restored is said in capitals."""
    names = (
        ("secure update", "read back", "secure write-back", "read after write-back")
        if secure
        else ("update", "read back", "write back", "read after write-back")
    )
    answers = (wb.write, wb.read_after_write, wb.restore, wb.read_after_restore)
    for what, response, data in zip(names, answers, (None, wb.written, None, wb.original), strict=True):
        if response.ok and (data is None or response.data == data):
            continue
        want = f"，数据为 {data.hex().upper()}" if data is not None else ""
        lost_zh = "" if wb.restored else f"——原值 {wb.original.hex().upper()} 未能恢复"
        lost = "" if wb.restored else f" — THE ORIGINAL {wb.original.hex().upper()} COULD NOT BE RESTORED"
        return bilingual(
            f"{_STEP_ZH[what]}：预期 9000（成功执行）{want}，实际 {response.data.hex().upper() or '无数据'} {sw_zh(response)}{lost_zh}",
            f"{what}: expected 9000{' with ' + data.hex().upper() if data is not None else ''}, got {response.data.hex().upper()} "
            f"{tail(response)}{lost}",
        )
    return None


def flip(value: bytes) -> bytes:
    """A value of the same length that differs in every byte (so a partial write shows)."""
    return bytes(b ^ 0xFF for b in value)


def flip_value(record: bytes) -> bytes:
    """The same TLV record (tag, length) with every value byte changed."""
    return bytes(record[:2]) + flip(bytes(record[2:]))


def mismatched_tag(f: FileDef) -> Callable[[bytes], bytes]:
    """A transform giving the record a tag the file does not declare (the card must answer 6A80),
    with every value byte changed too: a card that refuses yet stores the data shows on read-back."""
    declared = {r.tag for r in f.records}
    unused = next(t for t in range(0x100) if t not in declared)
    return lambda record: bytes([unused]) + flip_value(bytes(record))[1:]


def distinct_records(f: FileDef, count: int) -> list[bytes]:
    """`count` records of the file's (first) layout whose values all differ (random, numbered)."""
    rec = f.records[0]
    return [bytes([rec.tag, rec.length]) + os.urandom(rec.length - 1) + bytes([i]) for i in range(count)]


RecordWriter = Callable[[bytes], Response]  # sends one UPDATE RECORD of the given record, answer unchecked
Restorer = Callable[[bytes], Response | None]  # writes the original back; None when it could not be sent


def update_record_and_restore(
    session: CardSession, path: str, number: int, make: Callable[[bytes], bytes], *, write: RecordWriter | None = None
) -> WriteBack:
    """UPDATE RECORD `number` of `path` with `make(original record)`, read back, write the original
    back. `write` sends the UPDATE (default: plain UPDATE RECORD; e.g. a MAC-protected one)."""
    send = write or (lambda record: session.update_record(path, record, number=number, check=False))
    first = session.read_record(path, number, check=True)
    original = first.data
    written = make(original)
    response = send(written)
    try:
        after = session.read_record(path, number, check=False)
    finally:
        restore = send(original)
    return WriteBack(original, written, response, after, restore, session.read_record(path, number, check=False))


@dataclass(frozen=True)
class RefusedWrite:
    """An UPDATE RECORD the card must refuse, sent with a value that differs from the record, and
    the record read back afterwards: a refusal that writes anyway shows."""

    original: bytes
    written: bytes
    write: Response
    read_after: Response
    restore: Response | None  # sent only when the record changed (None also when it could not be sent)

    @property
    def unchanged(self) -> bool:
        return self.read_after.ok and self.read_after.data == self.original


def refused_record_write(session: CardSession, path: str, number: int, write: RecordWriter, restore: Restorer) -> RefusedWrite:
    """Send `write` with record `number` of `path` value-flipped, read the record back (the read
    right must be held or free), and `restore` the original if the card changed it anyway."""
    original = session.read_record(path, number, check=True).data
    written = flip_value(original)
    response = write(written)
    after = session.read_record(path, number, check=False)
    undo = restore(original) if not (after.ok and after.data == original) else None
    return RefusedWrite(original, written, response, after, undo)


def refusal_left_record(
    session: CardSession, path: str, number: int, original: bytes, written: bytes, response: Response, restore: Restorer
) -> RefusedWrite:
    """Judge a write already sent (`response`, the card's answer to writing `written`): read record
    `number` back and `restore` the `original` if the card changed it anyway. For refusals whose
    write cannot be re-sent by `refused_record_write` (a replayed command, a blocked application)."""
    after = session.read_record(path, number, check=False)
    undo = restore(original) if not (after.ok and after.data == original) else None
    return RefusedWrite(original, written, response, after, undo)


def update_binary_and_restore(session: CardSession, path: str, offset: int, length: int) -> WriteBack:
    """UPDATE BINARY `length` bytes at `offset` of `path` with their complement, then restore."""
    first = session.read_binary(path, offset, length, check=False)
    if not first.ok or len(first.data) != length:
        raise OperationError(
            None,
            first,
            bilingual(
                f"从偏移 {offset} 读 {path} 的二进制：预期 {length} 字节及 9000（成功执行），实际 {len(first.data)} 字节，{sw_zh(first)}",
                f"read binary of {path} at {offset}: expected {length} bytes with 9000, got {len(first.data)} bytes, {first.describe()}",
            ),
        )
    original = first.data
    written = flip(original)
    write = session.update_binary(path, offset, written, check=False)
    try:
        after = session.read_binary(path, offset, length, check=False)
    finally:
        restore = session.update_binary(path, offset, original, check=False)
    return WriteBack(original, written, write, after, restore, session.read_binary(path, offset, length, check=False))
