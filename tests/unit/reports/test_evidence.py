"""The sealed evidence bundle and the lab key (reports/evidence.py).

Issue 4: `ssc-conform verify` reports OK or exactly which file was altered, removed or added, and
whether the signature holds; the private key is 0600. Each tampering case here rewrites a real
bundle the way an attacker (or an accident) would and checks the verifier names it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reports.evidence import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    EvidenceError,
    generate_keypair,
    load_private_key,
    verify_bundle,
    write_bundle,
)

RUN_FILES = {
    "results.json": b'{"run": {"run_id": "20261123T181500Z-ab12"}}\n',
    "junit.xml": b"<testsuites/>\n",
    "report.html": "<html><body>社会保障卡 report</body></html>\n".encode(),
    "allure-results/0001-result.json": b'{"name": "select MF"}',
    "allure-results/0002-attachment.txt": b"00A40000023F00 -> 9000",
}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "reports" / "20261123T181500Z-ab12"
    for name, data in RUN_FILES.items():
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_bytes(data)
    return run


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "lab.key", tmp_path / "lab.pub"
    generate_keypair(private, public)
    return private, public


def rewrite(bundle: Path, change: Callable[[dict[str, bytes]], object]) -> None:
    """Rebuild the zip with consistent CRCs after `change` edits its entries (name -> bytes)."""
    with zipfile.ZipFile(bundle) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    change(entries)
    with zipfile.ZipFile(bundle, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


# --- keys -------------------------------------------------------------------------------------


def test_keygen_private_key_is_0600_and_public_key_0644(tmp_path: Path) -> None:
    fp = generate_keypair(tmp_path / "lab.key", tmp_path / "lab.pub")
    assert stat.S_IMODE((tmp_path / "lab.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "lab.pub").stat().st_mode) == 0o644
    assert (tmp_path / "lab.key").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "lab.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    public = serialization.load_pem_public_key((tmp_path / "lab.pub").read_bytes())
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert len(raw) == 32 and fp == hashlib.sha256(raw).hexdigest()  # SHA-256 of the 32 raw public-key bytes


@pytest.mark.parametrize("umask", [0o000, 0o077, 0o022])
def test_key_modes_do_not_depend_on_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        generate_keypair(tmp_path / "lab.key", tmp_path / "lab.pub")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "lab.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "lab.pub").stat().st_mode) == 0o644


@pytest.mark.parametrize("existing", ["lab.key", "lab.pub"])
def test_keygen_refuses_to_overwrite_an_existing_key(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_bytes(b"precious")
    with pytest.raises(EvidenceError, match="already exists"):
        generate_keypair(tmp_path / "lab.key", tmp_path / "lab.pub")
    assert (tmp_path / existing).read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]  # nothing half-written


def test_keygen_leaves_no_private_key_when_the_public_key_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="cannot create"):
        generate_keypair(tmp_path / "lab.key", tmp_path / "no-such-dir" / "lab.pub")
    assert not (tmp_path / "lab.key").exists()


def test_two_keygens_give_different_keys(tmp_path: Path) -> None:
    assert generate_keypair(tmp_path / "a.key", tmp_path / "a.pub") != generate_keypair(tmp_path / "b.key", tmp_path / "b.pub")


def test_passphrase_protected_key_signs_only_with_its_passphrase(tmp_path: Path, run_dir: Path) -> None:
    private, public = tmp_path / "lab.key", tmp_path / "lab.pub"
    generate_keypair(private, public, passphrase=b"correct horse")
    assert b"ENCRYPTED" in private.read_bytes()
    with pytest.raises(EvidenceError, match="passphrase"):
        write_bundle(run_dir, private)
    with pytest.raises(EvidenceError, match="not a readable PEM private key"):
        load_private_key(private, b"wrong")
    assert verify_bundle(write_bundle(run_dir, private, passphrase=b"correct horse"), public).ok


# --- bundle and verify ------------------------------------------------------------------------


def test_bundle_holds_every_file_a_manifest_and_a_signature(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    assert bundle == run_dir / "evidence.zip"
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read(MANIFEST_NAME))
        assert len(zf.read(SIGNATURE_NAME)) == 64
    assert sorted(names) == sorted([*RUN_FILES, MANIFEST_NAME, SIGNATURE_NAME])
    assert manifest["format"] == "ssc-evidence/1"
    assert manifest["signed"] is True
    assert [e["path"] for e in manifest["files"]] == sorted(RUN_FILES)
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256(RUN_FILES[entry["path"]]).hexdigest()
        assert entry["size"] == len(RUN_FILES[entry["path"]])


def test_verify_reports_ok_with_file_count_and_fingerprint(run_dir: Path, keys: tuple[Path, Path]) -> None:
    fp = generate_keypair(run_dir.parent / "other.key", run_dir.parent / "other.pub")
    result = verify_bundle(write_bundle(run_dir, run_dir.parent / "other.key"), run_dir.parent / "other.pub")
    assert result.ok and result.signature == "valid" and result.signature_ok
    assert (result.altered, result.removed, result.added) == ([], [], [])
    assert result.messages == [f"OK: {len(RUN_FILES)} files, signature valid (key fingerprint {fp})"]


def test_rebundling_replaces_the_old_bundle_without_sealing_it(run_dir: Path, keys: tuple[Path, Path]) -> None:
    write_bundle(run_dir, keys[0])
    (run_dir / MANIFEST_NAME).write_bytes(b"stale")  # a manifest left at the top is not an artefact
    bundle = write_bundle(run_dir, keys[0])
    with zipfile.ZipFile(bundle) as zf:
        assert "evidence.zip" not in zf.namelist()
        assert json.loads(zf.read(MANIFEST_NAME))["format"] == "ssc-evidence/1"
    assert verify_bundle(bundle, keys[1]).ok
    assert not list(run_dir.glob(".*partial"))


def test_entries_are_in_sorted_order_with_fixed_timestamps(run_dir: Path, keys: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(write_bundle(run_dir, keys[0])) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos[:-2]] == sorted(RUN_FILES)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_a_symlink_in_the_run_dir_is_refused(run_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_bytes(b"not part of the run")
    (run_dir / "link.txt").symlink_to(tmp_path / "outside.txt")
    with pytest.raises(EvidenceError, match="link.txt.*not a regular file"):
        write_bundle(run_dir, None)


# --- tampering --------------------------------------------------------------------------------


def alter_report(entries: dict[str, bytes]) -> None:
    entries["report.html"] = entries["report.html"].replace(b"report", b"REPORT")


def remove_junit(entries: dict[str, bytes]) -> None:
    del entries["junit.xml"]


def add_extra(entries: dict[str, bytes]) -> None:
    entries["extra.txt"] = b"slipped in"


def alter_and_add(entries: dict[str, bytes]) -> None:
    alter_report(entries)
    add_extra(entries)


@pytest.mark.parametrize(
    ("change", "altered", "removed", "added", "line"),
    [
        (alter_report, ["report.html"], [], [], "ALTERED: report.html"),
        (remove_junit, [], ["junit.xml"], [], "REMOVED: junit.xml"),
        (add_extra, [], [], ["extra.txt"], "ADDED: extra.txt"),
        (alter_and_add, ["report.html"], [], ["extra.txt"], "ALTERED: report.html"),
    ],
)
def test_verify_names_each_altered_removed_or_added_file(
    run_dir: Path,
    keys: tuple[Path, Path],
    change: Callable[[dict[str, bytes]], None],
    altered: list[str],
    removed: list[str],
    added: list[str],
    line: str,
) -> None:
    bundle = write_bundle(run_dir, keys[0])
    rewrite(bundle, change)
    result = verify_bundle(bundle, keys[1])
    assert not result.ok
    assert (result.altered, result.removed, result.added) == (altered, removed, added)
    assert result.signature == "valid"  # the manifest itself is intact
    assert line in result.messages
    assert result.messages[-1].startswith("signature valid")


def test_bytes_flipped_in_place_show_as_altered(run_dir: Path, keys: tuple[Path, Path]) -> None:
    """No rewrite: the stored bytes change and the zip CRC no longer matches."""
    (run_dir / "big.bin").write_bytes(b"A" * 4096)
    bundle = write_bundle(run_dir, keys[0])
    with zipfile.ZipFile(bundle) as zf:
        info = zf.getinfo("big.bin")
    raw = bytearray(bundle.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0x01
    bundle.write_bytes(bytes(raw))
    result = verify_bundle(bundle, keys[1])
    assert not result.ok
    assert result.altered == ["big.bin"]


def test_a_duplicate_entry_under_a_listed_name_is_added(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(bundle, "a") as zf:
        zf.writestr("junit.xml", b"<testsuites><testsuite failures='0'/></testsuites>")
    result = verify_bundle(bundle, keys[1])
    assert not result.ok
    assert "ADDED: junit.xml" in result.messages


def edit_manifest(entries: dict[str, bytes]) -> None:
    """Forge the manifest to match an altered file: only the signature can catch this."""
    alter_report(entries)
    manifest = json.loads(entries[MANIFEST_NAME])
    for entry in manifest["files"]:
        if entry["path"] == "report.html":
            entry["sha256"] = hashlib.sha256(entries["report.html"]).hexdigest()
    entries[MANIFEST_NAME] = json.dumps(manifest, indent=2).encode()


def test_a_forged_manifest_makes_the_signature_invalid(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    rewrite(bundle, edit_manifest)
    result = verify_bundle(bundle, keys[1])
    assert not result.ok
    assert result.signature == "invalid" and not result.signature_ok
    assert (result.altered, result.removed, result.added) == ([], [], [])
    assert result.messages[-1].startswith("signature INVALID")


def test_a_garbled_manifest_is_unreadable_and_its_signature_invalid(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    rewrite(bundle, lambda e: e.__setitem__(MANIFEST_NAME, b"{not json"))
    result = verify_bundle(bundle, keys[1])
    assert not result.ok
    assert result.signature == "invalid"
    assert any(m.startswith("MANIFEST UNREADABLE:") for m in result.messages)


def test_a_missing_manifest_is_reported(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    rewrite(bundle, lambda e: e.pop(MANIFEST_NAME))
    result = verify_bundle(bundle, keys[1])
    assert not result.ok
    assert result.signature == "manifest unreadable"


def test_a_removed_signature_is_missing(run_dir: Path, keys: tuple[Path, Path]) -> None:
    bundle = write_bundle(run_dir, keys[0])
    rewrite(bundle, lambda e: e.pop(SIGNATURE_NAME))
    result = verify_bundle(bundle, keys[1])
    assert not result.ok
    assert result.signature == "missing"
    assert result.messages[-1] == f"signature MISSING: {SIGNATURE_NAME} is absent from the bundle"


def test_another_labs_key_does_not_verify(run_dir: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    other_fp = generate_keypair(tmp_path / "other.key", tmp_path / "other.pub")
    result = verify_bundle(write_bundle(run_dir, keys[0]), tmp_path / "other.pub")
    assert not result.ok
    assert result.signature == "invalid"
    assert result.messages[0] == f"files intact: {len(RUN_FILES)} files match the manifest"
    assert other_fp in result.messages[-1] and result.messages[-1].startswith("signature INVALID (manifest names key")


def test_an_unsigned_bundle_checks_digests_but_is_not_ok(run_dir: Path, keys: tuple[Path, Path]) -> None:
    """Issue 4 asks for a signed bundle; sealed-but-unsigned is reported, never passed as OK."""
    bundle = write_bundle(run_dir, None)
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read(MANIFEST_NAME))
        assert SIGNATURE_NAME not in zf.namelist()
    assert manifest["signed"] is False and manifest["key_fingerprint"] is None
    result = verify_bundle(bundle, keys[1])
    assert not result.ok
    assert result.signature == "missing"
    assert result.messages[0] == f"files intact: {len(RUN_FILES)} files match the manifest"
    assert "unsigned" in result.messages[-1]
    rewrite(bundle, alter_report)
    assert verify_bundle(bundle, keys[1]).altered == ["report.html"]


# --- unusable input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"this is not a zip", "not a zip archive"),
        (b"", "not a zip archive"),
        (None, "no such file"),
    ],
)
def test_a_non_zip_bundle_is_a_clear_error(tmp_path: Path, keys: tuple[Path, Path], content: bytes | None, reason: str) -> None:
    path = tmp_path / "evidence.zip"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(EvidenceError, match=reason) as caught:
        verify_bundle(path, keys[1])
    assert caught.value.path == path and str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot read key"),
        (b"garbage", "not a readable PEM public key"),
    ],
)
def test_an_unusable_public_key_is_a_clear_error(
    run_dir: Path, keys: tuple[Path, Path], tmp_path: Path, content: bytes | None, reason: str
) -> None:
    bundle = write_bundle(run_dir, keys[0])
    pub = tmp_path / "bad.pub"
    if content is not None:
        pub.write_bytes(content)
    with pytest.raises(EvidenceError, match=reason):
        verify_bundle(bundle, pub)


def test_a_private_key_passed_as_public_key_is_refused(run_dir: Path, keys: tuple[Path, Path]) -> None:
    with pytest.raises(EvidenceError, match="not a readable PEM public key"):
        verify_bundle(write_bundle(run_dir, keys[0]), keys[0])


def test_a_non_ed25519_signing_key_is_refused(run_dir: Path, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

    pem = generate_private_key(SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "ec.key").write_bytes(pem)
    with pytest.raises(EvidenceError, match="not an Ed25519 key"):
        write_bundle(run_dir, tmp_path / "ec.key")
    assert not (run_dir / "evidence.zip").exists()


def test_a_missing_run_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="not a directory"):
        write_bundle(tmp_path / "nope", None)


def test_signature_is_over_the_exact_manifest_bytes(run_dir: Path, keys: tuple[Path, Path]) -> None:
    """Independent check with the raw primitive: the stored signature verifies the stored bytes."""
    bundle = write_bundle(run_dir, keys[0])
    with zipfile.ZipFile(bundle) as zf:
        manifest, signature = zf.read(MANIFEST_NAME), zf.read(SIGNATURE_NAME)
    key = load_private_key(keys[0])
    assert isinstance(key, Ed25519PrivateKey)
    key.public_key().verify(signature, manifest)  # raises InvalidSignature on mismatch
