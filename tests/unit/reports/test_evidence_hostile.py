"""Hostile bundles (hardening issue, defects 6 and 7): `verify` reads nothing but the one layout the
writer produces, and stays small on any input.

Defect 7: a zip reader that finds the archive from its end (Python's zipfile, `unzip`) and one that
reads from the front (a streaming reader) must never see different files. So bytes before the first
entry, between entries, after the end record, a zip comment and a duplicate name are all refused.

Defect 6: a 5.6 MB bundle with a deflated 3 GB MANIFEST.sig made `verify` use 6.3 GB. Each memory
test runs the real CLI in a child of a child and reads the child's peak RSS from
`RUSAGE_CHILDREN` in that middle process, so the pytest process's other children do not count.
"""

from __future__ import annotations

import json
import stat
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from reports import zip_layout
from reports.evidence import MANIFEST_NAME, SIGNATURE_NAME, generate_keypair, load_private_key, verify_bundle, write_bundle

PROJECT = Path(__file__).resolve().parents[3]
MEMORY_LIMIT_KB = 100 * 1024
BOMB_MB = 200  # enough to show an unbounded read (>100 MB) while deflating in about a second

RUN_FILES = {
    "results.json": b'{"run": {"run_id": "20261123T181500Z-ab12"}}\n',
    "junit.xml": b"<testsuites/>\n",
    "report.html": b"<html><body>report</body></html>\n",
    "allure-results/0001-result.json": b'{"name": "select MF"}',
}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    for name, data in RUN_FILES.items():
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_bytes(data)
    return run


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "lab.key", tmp_path / "lab.pub"
    generate_keypair(private, public)
    return private, public


def refused(bundle: Path, public: Path, reason: str) -> None:
    result = verify_bundle(bundle, public)
    assert not result.ok, result.messages
    assert result.refused and reason in result.refused, result.messages
    assert result.messages[0].startswith("REFUSED:") and reason in result.messages[0]


# --- defect 7: bytes around the zip, duplicates ----------------------------------------------


def tampered_copy(bundle: Path, tmp_path: Path) -> bytes:
    """The genuine bundle with report.html altered (the manifest left as it was)."""
    copy = tmp_path / "tampered.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data.replace(b"report", b"FORGED") if info.filename == "report.html" else data)
    return copy.read_bytes()


def test_a_tampered_zip_in_front_of_the_genuine_one_is_refused(run_dir: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    bundle = write_bundle(run_dir, keys[0])
    genuine = bundle.read_bytes()
    front = tampered_copy(bundle, tmp_path)
    bundle.write_bytes(front + genuine)
    # What a reader starting at the front sees: the forged report, first.
    local = struct.unpack("<4s5H3L2H", bundle.read_bytes()[:30])
    assert local[0] == b"PK\x03\x04"
    refused(bundle, keys[1], f"{len(front)} bytes before")


def test_data_after_the_end_record_is_refused(run_dir: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    bundle = write_bundle(run_dir, keys[0])
    bundle.write_bytes(bundle.read_bytes() + tampered_copy(bundle, tmp_path))
    assert not verify_bundle(bundle, keys[1]).ok


def test_a_few_bytes_after_the_end_record_are_refused(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    bundle.write_bytes(bundle.read_bytes() + b"tail")
    refused(bundle, keys[1], "after the end-of-central-directory record")


def test_a_zip_comment_is_refused(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    with zipfile.ZipFile(bundle, "a") as zf:
        zf.comment = b"approved by the lab"
    refused(bundle, keys[1], "after the end-of-central-directory record")


def insert_gap(data: bytes, after_entry: int, gap: bytes) -> bytes:
    """`gap` inserted after the `after_entry`-th member's data, every offset fixed up: a zip any
    end-first reader accepts, with bytes no manifest covers hidden between two members."""
    eocd = len(data) - 22
    sig, _, _, _, count, cd_size, cd_offset, comment = struct.unpack("<4s4H2LH", data[eocd:])
    assert sig == b"PK\x05\x06" and comment == 0
    central = bytearray(data[cd_offset : cd_offset + cd_size])
    offsets, pos = [], 0
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack("<3H", central[pos + 28 : pos + 34])
        offsets.append(struct.unpack("<L", central[pos + 42 : pos + 46])[0])
        pos += 46 + name_len + extra_len + comment_len
    cut = sorted(offsets)[after_entry + 1]
    pos = 0
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack("<3H", central[pos + 28 : pos + 34])
        (offset,) = struct.unpack("<L", central[pos + 42 : pos + 46])
        if offset >= cut:
            central[pos + 42 : pos + 46] = struct.pack("<L", offset + len(gap))
        pos += 46 + name_len + extra_len + comment_len
    end = struct.pack("<4s4H2LH", sig, 0, 0, count, count, cd_size, cd_offset + len(gap), 0)
    return data[:cut] + gap + data[cut:cd_offset] + bytes(central) + end


def test_bytes_hidden_between_members_are_refused(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    bundle.write_bytes(insert_gap(bundle.read_bytes(), 0, b"hidden, unsigned bytes"))
    with zipfile.ZipFile(bundle) as zf:  # an end-first reader is content with it
        assert zf.testzip() is None
    refused(bundle, keys[1], "22 bytes of data before the entry")


def test_a_duplicate_member_name_is_refused(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(bundle, "a") as zf:
        zf.writestr("junit.xml", b"<testsuites><testsuite failures='0'/></testsuites>")
    refused(bundle, keys[1], "junit.xml appears twice")


def test_a_second_manifest_is_refused(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(bundle, "a") as zf:
        zf.writestr(MANIFEST_NAME, b"{}")
    refused(bundle, keys[1], f"{MANIFEST_NAME} appears twice")


def test_a_local_header_name_that_differs_from_the_directory_is_refused(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    data = bytearray(bundle.read_bytes())
    with zipfile.ZipFile(bundle) as zf:
        offset = zf.getinfo("junit.xml").header_offset
    data[offset + 30 : offset + 39] = b"junit.xmL"  # what a front reader would call the member
    bundle.write_bytes(bytes(data))
    refused(bundle, keys[1], "local header")


def test_a_bzip2_member_is_refused(run_dir: Path, keys: tuple[Path, Path]) -> None:
    """bzip2 and LZMA members decompress without an output bound in zipfile: only deflate is read."""
    bundle = write_bundle(run_dir, keys[0])
    with zipfile.ZipFile(bundle, "a") as zf:
        zf.writestr(zipfile.ZipInfo("extra.bin"), b"\0" * 1000, compress_type=zipfile.ZIP_BZIP2)
    refused(bundle, keys[1], "compression method 12")


def rebuilt_with(bundle: Path, name: str, **attributes: object) -> None:
    """The same members and bytes, the entry `name` given other directory attributes."""
    with zipfile.ZipFile(bundle) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            if info.filename == name:
                for key, value in attributes.items():
                    setattr(info, key, value)
            zf.writestr(info, data)


@pytest.mark.parametrize(
    ("attributes", "reason"),
    [
        ({"comment": b"checked by the lab"}, "an entry comment"),
        ({"external_attr": (stat.S_IFLNK | 0o777) << 16}, "not marked as a regular file"),
    ],
)
def test_entry_metadata_that_changes_what_an_extractor_makes_is_refused(
    run_dir: Path, keys: tuple[Path, Path], attributes: dict[str, object], reason: str
) -> None:
    bundle = write_bundle(run_dir, keys[0])
    rebuilt_with(bundle, "report.html", **attributes)
    refused(bundle, keys[1], reason)


def test_a_manifest_re_signed_with_another_key_is_not_ok(run_dir: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    bundle = write_bundle(run_dir, keys[0])
    generate_keypair(tmp_path / "mallory.key", tmp_path / "mallory.pub")
    mallory = load_private_key(tmp_path / "mallory.key")
    with zipfile.ZipFile(bundle) as zf:
        entries = {i.filename: zf.read(i) for i in zf.infolist()}
    entries["report.html"] = b"<html>forged</html>"
    manifest = json.loads(entries[MANIFEST_NAME])
    for entry in manifest["files"]:
        if entry["path"] == "report.html":
            entry["sha256"] = __import__("hashlib").sha256(entries["report.html"]).hexdigest()
            entry["size"] = len(entries["report.html"])
    entries[MANIFEST_NAME] = json.dumps(manifest).encode()
    entries[SIGNATURE_NAME] = mallory.sign(entries[MANIFEST_NAME])
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    result = verify_bundle(bundle, keys[1])
    assert not result.ok and result.signature == "invalid"
    assert result.refused == ""  # a well-formed zip: the signature is what catches it


def test_the_genuine_bundle_still_verifies(run_dir: Path, keys: tuple[Path, Path]) -> None:
    result = verify_bundle(write_bundle(run_dir, keys[0]), keys[1])
    assert result.ok and result.refused == "", result.messages


# --- defect 6: bounded memory -----------------------------------------------------------------


def add_bomb(bundle: Path, name: str, megabytes: int = BOMB_MB) -> None:
    """Append a deflated member of `megabytes` MB of zeros (about 1000:1), streamed in."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(bundle, "a") as zf, zf.open(info, "w") as dst:
        for _ in range(megabytes):
            dst.write(chunk)


def without(bundle: Path, name: str) -> None:
    with zipfile.ZipFile(bundle) as zf:
        entries = [(i, zf.read(i)) for i in zf.infolist() if i.filename != name]
    with zipfile.ZipFile(bundle, "w") as zf:
        for info, data in entries:
            zf.writestr(info, data)


def verify_peak_kb(bundle: Path, public: Path) -> tuple[int, str, int]:
    """(exit status, output, peak RSS in KiB) of `ssc-conform verify` in a fresh child."""
    probe = (
        "import resource, subprocess, sys\n"
        "proc = subprocess.run([sys.executable, '-m', 'harness.cli', 'verify', sys.argv[1], '--pubkey', sys.argv[2]],"
        " capture_output=True, text=True)\n"
        "sys.stdout.write(proc.stdout + proc.stderr)\n"
        "sys.stdout.write(f'\\n{proc.returncode} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(bundle), str(public)], cwd=PROJECT, capture_output=True, text=True, timeout=120, check=True
    )
    out, _, last = proc.stdout.rstrip("\n").rpartition("\n")
    code, peak = last.split()
    return int(code), out, int(peak)


def test_a_deflate_bomb_signature_is_not_read(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    without(bundle, SIGNATURE_NAME)
    add_bomb(bundle, SIGNATURE_NAME)
    assert bundle.stat().st_size < 1 << 20
    code, out, peak = verify_peak_kb(bundle, keys[1])
    assert code == 1 and "NOT OK" in out, out
    assert peak < MEMORY_LIMIT_KB, f"verify peaked at {peak // 1024} MB"
    assert f"{SIGNATURE_NAME} declares {BOMB_MB << 20} bytes" in out


def test_a_deflate_bomb_manifest_is_not_read(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    without(bundle, MANIFEST_NAME)
    add_bomb(bundle, MANIFEST_NAME)
    code, out, peak = verify_peak_kb(bundle, keys[1])
    assert code == 1 and "NOT OK" in out, out
    assert peak < MEMORY_LIMIT_KB, f"verify peaked at {peak // 1024} MB"
    assert f"{MANIFEST_NAME} declares {BOMB_MB << 20} bytes" in out


def test_a_bomb_member_listed_in_the_manifest_is_hashed_in_chunks(run_dir: Path, keys: tuple[Path, Path]) -> None:
    """A genuine, signed huge member: verify reads all of it, a chunk at a time."""
    with (run_dir / "allure-results" / "big.bin").open("wb") as big:
        big.truncate(BOMB_MB << 20)  # sparse: zeros on disk without writing them
    bundle = write_bundle(run_dir, keys[0])
    code, out, peak = verify_peak_kb(bundle, keys[1])
    assert code == 0 and out.splitlines()[-1] == "OK", out
    assert peak < MEMORY_LIMIT_KB, f"verify peaked at {peak // 1024} MB"


def test_a_member_whose_declared_size_disagrees_is_altered_without_being_read(
    run_dir: Path, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The central directory's size differs from the manifest's: altered, found without inflating."""
    bundle = write_bundle(run_dir, keys[0])
    without(bundle, "junit.xml")
    add_bomb(bundle, "junit.xml", megabytes=4)
    opened: list[str] = []
    real_read = zip_layout.read_member

    def spy(fp: BinaryIO, info: zipfile.ZipInfo, *args: int) -> Iterator[bytes]:
        opened.append(info.filename)
        return real_read(fp, info, *args)

    monkeypatch.setattr(zip_layout, "read_member", spy)
    result = verify_bundle(bundle, keys[1])
    assert result.altered == ["junit.xml"] and not result.ok
    assert "junit.xml" not in opened


def test_a_manifest_at_the_cap_made_of_tiny_objects_stays_small(run_dir: Path, keys: tuple[Path, Path]) -> None:
    """Parsing is the other way to blow up: 2 MiB of `{},` is 700 000 dicts (about 50 MB)."""
    from reports.evidence import MAX_MANIFEST_BYTES

    bundle = write_bundle(run_dir, keys[0])
    without(bundle, MANIFEST_NAME)
    body = b'{"format": "ssc-evidence/1", "files": [' + b"{}," * ((MAX_MANIFEST_BYTES - 64) // 3) + b"{}]}"
    assert len(body) <= MAX_MANIFEST_BYTES
    with zipfile.ZipFile(bundle, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST_NAME, body)
    code, out, peak = verify_peak_kb(bundle, keys[1])
    assert code == 1 and "MANIFEST UNREADABLE" in out, out
    assert peak < MEMORY_LIMIT_KB, f"verify peaked at {peak // 1024} MB"


def test_too_many_entries_are_refused_before_the_directory_is_read(run_dir: Path, keys: tuple[Path, Path]) -> None:
    from reports.evidence import MAX_MEMBERS

    bundle = write_bundle(run_dir, keys[0])
    with zipfile.ZipFile(bundle, "a") as zf:
        for i in range(MAX_MEMBERS + 3 - len(RUN_FILES)):
            zf.writestr(zipfile.ZipInfo(f"x/{i}"), b"")
    refused(bundle, keys[1], "entries")


def front_first(data: bytes) -> dict[str, bytes]:
    """What a streaming reader sees: local headers walked from offset 0, each member inflated."""
    members: dict[str, bytes] = {}
    pos = 0
    while data[pos : pos + 4] == b"PK\x03\x04":
        _, _, _, method, _, _, _, size, _, name_len, extra_len = struct.unpack_from("<4s5H3L2H", data, pos)
        start = pos + 30 + name_len + extra_len
        raw = data[start : start + size]
        members[data[pos + 30 : pos + 30 + name_len].decode()] = zlib.decompressobj(-15).decompress(raw) if method == 8 else raw
        pos = start + size
    return members


def test_any_single_bit_change_is_refused_or_changes_nothing_any_reader_sees(run_dir: Path, keys: tuple[Path, Path]) -> None:
    """Each of two bits of every byte of a small bundle, flipped in turn: verify raises
    EvidenceError or says NOT OK — never another exception — or, when it says OK, a front-first
    reader still sees exactly the genuine members (the flip hit bits no reader uses: deflate
    padding, or central-directory fields such as "version made by" and permission bits)."""
    from reports.evidence import EvidenceError

    bundle = write_bundle(run_dir, keys[0])
    genuine = bundle.read_bytes()
    expected = front_first(genuine)
    assert set(expected) == {*RUN_FILES, MANIFEST_NAME, SIGNATURE_NAME}
    for offset in range(len(genuine)):
        for bit in (0x01, 0x80):
            changed = bytearray(genuine)
            changed[offset] ^= bit
            bundle.write_bytes(bytes(changed))
            try:
                result = verify_bundle(bundle, keys[1])
            except EvidenceError:
                continue
            if result.ok:
                try:
                    seen = front_first(bytes(changed))
                except (zlib.error, UnicodeDecodeError, struct.error) as exc:
                    pytest.fail(f"bit {bit:#04x} of byte {offset}: verify OK, a front-first reader fails ({exc})")
                assert seen == expected, f"bit {bit:#04x} of byte {offset}: verify OK, a front-first reader sees other members"
