"""The strict zip layout an evidence bundle must have before anything in it is believed.

Zip readers disagree about bytes the archive does not account for. Python's zipfile and `unzip`
find the archive from its end record and shift every offset by whatever lies in front of it; a
streaming reader starts at offset 0 and walks the local headers. So a tampered zip followed by the
genuine one verified OK while a front-first reader saw the tampered files (hardening issue,
defect 7). The verifier therefore accepts only what `reports.evidence` writes:

- the end-of-central-directory record is the last 22 bytes: nothing after it, and no zip comment
  (a comment is unsigned free space, and a second end record hidden in it makes "where does the
  archive end" depend on the reader);
- the central directory ends exactly where that record starts, at the offset the record states
  (no shift: nothing in front of the first local header);
- the members tile the file from offset 0 to the central directory with no gap or overlap, and each
  local header agrees with its directory entry (name, method, CRC, sizes), so a front-first reader
  sees the same members, bytes and names;
- no name appears twice (readers disagree about which one wins), no member is encrypted or uses a
  data descriptor, every member is stored or deflated (zipfile inflates deflate with an output
  bound, but bzip2 and LZMA without one), and there are no zip64 records (never needed: the writer
  caps a bundle well below 2 GiB and 65 535 entries).

The end record is read before zipfile parses the directory, so a directory too large to hold in
memory is refused unread (defect 6).
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

_END = struct.Struct("<4s4H2LH")  # end-of-central-directory record (without comment)
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header (without name and extra field)
_END_SIG = b"PK\x05\x06"
_LOCAL_SIG = b"PK\x03\x04"
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_MAX_COMMENT = 0xFFFF
_ENCRYPTED = 0x1
_DATA_DESCRIPTOR = 0x8
_UTF8_NAME = 0x800
READABLE_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})


class LayoutError(Exception):
    """The file is a zip, but not laid out as an evidence bundle is: the message says how."""


class NotAZip(Exception):
    """No end-of-central-directory record anywhere zip readers look: not a zip archive at all."""


@dataclass(frozen=True)
class EndRecord:
    entries: int
    directory_size: int
    directory_offset: int


def read_end_record(fp: BinaryIO, size: int, *, max_entries: int, max_directory: int) -> EndRecord:
    """The end record, which must be the file's last 22 bytes; raises `NotAZip` or `LayoutError`.

    `max_entries` and `max_directory` bound what zipfile will load into memory when it opens the
    file: it reads the whole central directory and makes an object per entry.
    """
    if size < _END.size:
        raise NotAZip("too short for a zip archive")
    fp.seek(size - _END.size)
    sig, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, comment = _END.unpack(fp.read(_END.size))
    if sig != _END_SIG or comment != 0:
        tail_start = max(0, size - _END.size - _MAX_COMMENT)
        fp.seek(tail_start)
        tail = fp.read(size - tail_start)
        found = tail.rfind(_END_SIG)
        if found < 0:
            raise NotAZip("no end-of-central-directory record")
        extra = len(tail) - found - _END.size
        raise LayoutError(f"{extra} bytes after the end-of-central-directory record (a zip comment or appended data)")
    if size >= _END.size + _ZIP64_LOCATOR_SIZE:
        fp.seek(size - _END.size - _ZIP64_LOCATOR_SIZE)
        if fp.read(4) == _ZIP64_LOCATOR_SIG:
            raise LayoutError("zip64 records (an evidence bundle never needs them)")
    if disk or cd_disk or disk_entries != entries:
        raise LayoutError("a multi-disk archive")
    if entries > max_entries:
        raise LayoutError(f"{entries} entries, more than the {max_entries} a bundle may hold")
    if cd_size > max_directory:
        raise LayoutError(f"a central directory of {cd_size} bytes, more than the {max_directory} a bundle may have")
    directory_end = size - _END.size
    if cd_offset + cd_size != directory_end:
        shift = directory_end - cd_size - cd_offset
        where = "before the first local file header (another archive or data in front)" if shift > 0 else "missing"
        raise LayoutError(f"{abs(shift)} bytes {where}: the offsets in the end record do not match the file")
    return EndRecord(entries, cd_size, cd_offset)


def check_members(fp: BinaryIO, infos: list[zipfile.ZipInfo], end: EndRecord) -> None:
    """Every entry unique, readable with bounded memory, and the entries tiling the file from 0 to
    the central directory, each local header agreeing with its directory entry."""
    if len(infos) != end.entries:
        raise LayoutError(f"the end record counts {end.entries} entries, the central directory holds {len(infos)}")
    seen: set[str] = set()
    for info in infos:
        if info.filename in seen:
            raise LayoutError(f"{info.filename} appears twice (readers disagree about which copy counts)")
        seen.add(info.filename)
        if info.compress_type not in READABLE_METHODS:
            raise LayoutError(f"{info.filename}: compression method {info.compress_type} (a bundle is stored or deflated only)")
        if info.flag_bits & (_ENCRYPTED | _DATA_DESCRIPTOR):
            raise LayoutError(f"{info.filename}: encrypted or with a data descriptor (flags {info.flag_bits:#06x})")
    expected = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != expected:
            gap = info.header_offset - expected
            what = f"{gap} bytes of data before the entry" if gap > 0 else "an entry overlapping the previous one:"
            raise LayoutError(f"{what} {info.filename} (at offset {info.header_offset})")
        expected = info.header_offset + _check_local_header(fp, info)
    if expected != end.directory_offset:
        gap = end.directory_offset - expected
        raise LayoutError(
            f"{gap} bytes of data between the last entry and the central directory" if gap > 0 else "entries overlap the central directory"
        )


def _check_local_header(fp: BinaryIO, info: zipfile.ZipInfo) -> int:
    """The length of the entry (header, name, extra field, data) once its local header is found to
    say what the central directory says."""
    fp.seek(info.header_offset)
    raw = fp.read(_LOCAL.size)
    if len(raw) != _LOCAL.size:
        raise LayoutError(f"{info.filename}: local header beyond the end of the file")
    sig, _, flags, method, _, _, crc, compressed, size, name_len, extra_len = _LOCAL.unpack(raw)
    name = fp.read(name_len)
    directory_name = info.orig_filename.encode("utf-8" if info.flag_bits & _UTF8_NAME else "cp437")
    if (
        sig != _LOCAL_SIG
        or name != directory_name
        or flags != info.flag_bits
        or method != info.compress_type
        or (crc, compressed, size) != (info.CRC, info.compress_size, info.file_size)
    ):
        raise LayoutError(
            f"{info.filename}: the local header does not match the central directory (a front-first reader sees another member)"
        )
    return _LOCAL.size + name_len + extra_len + info.compress_size
