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
memory is refused unread (defect 6). zipfile then only parses the directory: members are read by
`read_member`, which bounds every inflate step and requires each stream to decode to exactly its
declared size and CRC and to end where the entry ends (zipfile cuts an overlong stream quietly,
so a front-first reader trusting the stream would see more than the verifier did).
"""

from __future__ import annotations

import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

_END = struct.Struct("<4s4H2LH")  # end-of-central-directory record (without comment)
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header (without name and extra field)
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory entry (without name, extra, comment)
_CENTRAL_SIG = b"PK\x01\x02"
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


def check_members(fp: BinaryIO, infos: list[zipfile.ZipInfo], end: EndRecord) -> dict[str, int]:
    """Every entry unique, readable with bounded memory, and the entries tiling the file from 0 to
    the central directory, each local header agreeing with its directory entry. Returns where
    each member's data starts (for `read_member`)."""
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
        if info.filename != info.orig_filename:
            raise LayoutError(f"{info.filename}: a name with a NUL byte (readers cut it in different places)")
        if info.comment:
            raise LayoutError(f"{info.filename}: an entry comment (unsigned free space)")
        if stat.S_IFMT(info.external_attr >> 16) not in (0, stat.S_IFREG):
            raise LayoutError(f"{info.filename}: not marked as a regular file (an extractor would make a link or device of it)")
    _check_directory(fp, infos, end)
    expected = 0
    data_offsets: dict[str, int] = {}
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset != expected:
            gap = info.header_offset - expected
            what = f"{gap} bytes of data before the entry" if gap > 0 else "an entry overlapping the previous one:"
            raise LayoutError(f"{what} {info.filename} (at offset {info.header_offset})")
        data_offsets[info.filename] = info.header_offset + _check_local_header(fp, info)
        expected = data_offsets[info.filename] + info.compress_size
    if expected != end.directory_offset:
        gap = end.directory_offset - expected
        raise LayoutError(
            f"{gap} bytes of data between the last entry and the central directory" if gap > 0 else "entries overlap the central directory"
        )
    return data_offsets


def _check_directory(fp: BinaryIO, infos: list[zipfile.ZipInfo], end: EndRecord) -> None:
    """Walk the central directory as a strict reader would: zipfile forgives an entry whose
    lengths run past the directory's end (it reads short), a strict reader does not."""
    fp.seek(end.directory_offset)
    data = fp.read(end.directory_size)
    pos = 0
    for info in infos:
        fixed = data[pos : pos + _CENTRAL.size]
        if len(fixed) != _CENTRAL.size or fixed[:4] != _CENTRAL_SIG:
            raise LayoutError(f"{info.filename}: a damaged central directory entry")
        name_len, extra_len, comment_len, disk = struct.unpack_from("<4H", fixed, 28)
        name_end = pos + _CENTRAL.size + name_len
        pos = name_end + extra_len + comment_len
        if pos > len(data) or disk != 0 or data[name_end - name_len : name_end] != _raw_name(info):
            raise LayoutError(f"{info.filename}: a central directory entry whose lengths do not fit the directory")
    if pos != len(data):
        raise LayoutError(f"{len(data) - pos} bytes in the central directory after its last entry")


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    return info.orig_filename.encode("utf-8" if info.flag_bits & _UTF8_NAME else "cp437")


def _check_local_header(fp: BinaryIO, info: zipfile.ZipInfo) -> int:
    """The length of the entry (header, name, extra field, data) once its local header is found to
    say what the central directory says."""
    fp.seek(info.header_offset)
    raw = fp.read(_LOCAL.size)
    if len(raw) != _LOCAL.size:
        raise LayoutError(f"{info.filename}: local header beyond the end of the file")
    sig, version, flags, method, time, date, crc, compressed, size, name_len, extra_len = _LOCAL.unpack(raw)
    name = fp.read(name_len)
    extra = fp.read(extra_len)
    directory_name = _raw_name(info)
    year, month, day, hour, minute, second = info.date_time
    if (
        sig != _LOCAL_SIG
        or name != directory_name
        or (version, flags, method) != (info.extract_version, info.flag_bits, info.compress_type)
        or (date, time) != ((year - 1980) << 9 | month << 5 | day, hour << 11 | minute << 5 | second // 2)
        or (crc, compressed, size) != (info.CRC, info.compress_size, info.file_size)
        or extra != info.extra
    ):
        raise LayoutError(
            f"{info.filename}: the local header does not match the central directory (a front-first reader sees another member)"
        )
    return _LOCAL.size + name_len + extra_len


class DamagedMember(Exception):
    """A member whose stored bytes do not decode to exactly what its directory entry declares."""


def read_member(fp: BinaryIO, info: zipfile.ZipInfo, data_offset: int, chunk: int) -> Iterator[bytes]:
    """The member's bytes, at most `chunk` at a time, as every reader must see them: the deflate
    stream ends exactly at the declared compressed size and yields exactly the declared size with
    the declared CRC, or `DamagedMember` is raised. (zipfile quietly cuts a stream that inflates
    to more than the declared size, which a reader that trusts the stream would not.)"""
    fp.seek(data_offset)
    left_in = info.compress_size
    produced = 0
    crc = 0

    def take(piece: bytes) -> bytes:
        nonlocal produced, crc
        produced += len(piece)
        if produced > info.file_size:
            raise DamagedMember(f"{info.filename}: more data than the {info.file_size} bytes declared")
        crc = zlib.crc32(piece, crc)
        return piece

    def read_in() -> bytes:
        nonlocal left_in
        data = fp.read(min(chunk, left_in))
        if not data:
            raise DamagedMember(f"{info.filename}: the stored data ends early")
        left_in -= len(data)
        return data

    if info.compress_type == zipfile.ZIP_STORED:
        while left_in:
            yield take(read_in())
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            while not inflater.eof:
                data = inflater.unconsumed_tail or read_in()
                if piece := inflater.decompress(data, chunk):
                    yield take(piece)
        except zlib.error as exc:
            raise DamagedMember(f"{info.filename}: {exc}") from None
        if left_in or inflater.unused_data:
            raise DamagedMember(f"{info.filename}: data after the end of the deflate stream")
    if produced != info.file_size or crc != info.CRC:
        raise DamagedMember(f"{info.filename}: {produced} bytes with CRC {crc:08x}, declared {info.file_size} with {info.CRC:08x}")
