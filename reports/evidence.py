"""The sealed evidence bundle of a run, and the lab key that signs it.

A certification lab hands its verdict to a third party, who must be able to tell later whether any
artefact of the run was changed, removed or added, and whether the lab vouched for the set. So
`seal_run` packs the artefacts of a run directory (only those a run writes: `reports.sealed_files`;
the rest is left out and listed) into `evidence.zip` with a manifest of SHA-256 digests
(`MANIFEST.json`, format `ssc-evidence/1`) and an Ed25519 signature of the manifest's exact bytes
(`MANIFEST.sig`); `verify_bundle` recomputes all of it from the zip alone and names each
difference. Digests alone only catch accidents; the signature is what binds the set to the lab.

A bundle is hostile until its signature holds: `verify_bundle` accepts only the zip layout the
writer produces (`reports.zip_layout`) and reads nothing whole that the bundle could make large
(the caps below).

The private key is a PEM file (PKCS#8), unencrypted unless a passphrase is given: keeping it secret
is the lab's job (file permissions 0600 from creation, an offline machine, a passphrase). Only the
public key leaves the lab; its fingerprint (SHA-256 of the 32 raw public-key bytes, hex) is what an
operator reads out to compare keys.

No CLI here: `harness/cli.py` parses the options and calls these functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from reports import sealed_files, zip_layout
from reports.sealed_files import LeftOut

FORMAT = "ssc-evidence/1"
BUNDLE_NAME = "evidence.zip"
MANIFEST_NAME = "MANIFEST.json"
SIGNATURE_NAME = "MANIFEST.sig"
_PARTIAL_NAME = ".evidence.zip.partial"
# Names at the top of a run directory that belong to the bundle itself: neither sealed nor listed.
_OWN_NAMES = frozenset({BUNDLE_NAME, _PARTIAL_NAME})
# Fixed entry timestamp (the zip epoch): the same run directory gives the same entries.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1 << 16
# Caps that keep `verify` small on any input (a bundle is hostile until its signature holds):
# A full run writes about 1 500 files (Allure results and attachments of some 300 scenarios), a
# mutants run a few hundred: ten thousand leaves room, and bounds the objects zipfile makes for the
# central directory (about 0.5 KiB each). The writer refuses to seal more.
MAX_MEMBERS = 10_000
# The central directory of MAX_MEMBERS entries with names of a few hundred bytes.
MAX_DIRECTORY_BYTES = 8 << 20
# The manifest is parsed whole: 10 000 one-line entries of about 150 bytes fit in 2 MiB, and the
# worst JSON of that size (tiny strings; containers are counted first) parses in about 30 MB.
MAX_MANIFEST_BYTES = 2 << 20
# JSON objects and arrays a manifest may hold: one per file entry and per left-out entry, plus a few.
_MAX_CONTAINERS = 2 * MAX_MEMBERS + 16
# An Ed25519 signature is exactly 64 bytes; anything larger is not read.
SIGNATURE_BYTES = 64
# What reading a tampered entry can raise: a stream that does not decode to what its entry
# declares (bad CRC, corrupt or overlong deflate data, truncation), or a read error.
_DAMAGED = (zip_layout.DamagedMember, OSError)

SIGNATURE_VALID = "valid"
SIGNATURE_INVALID = "invalid"
SIGNATURE_MISSING = "missing"
MANIFEST_UNREADABLE = "manifest unreadable"
NOT_CHECKED = "not checked"


class EvidenceError(Exception):
    """A key or bundle file that cannot be used at all; the message names the path and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass
class VerifyResult:
    """What `verify_bundle` found. `ok` only when every digest matches and the signature is valid."""

    ok: bool
    altered: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    signature: str = SIGNATURE_MISSING
    messages: list[str] = field(default_factory=list)
    files: int = 0
    fingerprint: str = ""
    # Why the bundle was refused unread: its zip layout is not the one the writer produces.
    refused: str = ""
    # Why the signature could not hold, when the reason is known (e.g. an oversized MANIFEST.sig).
    signature_problem: str = ""

    @property
    def signature_ok(self) -> bool:
        return self.signature == SIGNATURE_VALID


# --- keys -------------------------------------------------------------------------------------


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex: short enough to read out, independent of PEM."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def generate_keypair(private_path: Path, public_path: Path, passphrase: bytes | None = None) -> str:
    """Create a lab signing key pair and return the public-key fingerprint.

    Both files are created exclusively: an existing key is never overwritten (losing a lab key
    silently would orphan every bundle it signed). The private key is 0600 from the moment the file
    exists, not chmod-ed afterwards.
    """
    private_path, public_path = Path(private_path), Path(public_path)
    if private_path.resolve() == public_path.resolve():
        raise EvidenceError(private_path, "private and public key paths must differ")
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise EvidenceError(path, "already exists; refusing to overwrite a key (move it away first)")
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _write_exclusive(private_path, private_pem, 0o600)
    try:
        _write_exclusive(public_path, public_pem, 0o644)
    except EvidenceError:
        private_path.unlink()  # no half pair: a private key without its public half is useless
        raise
    return fingerprint(key.public_key())


def _write_exclusive(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise EvidenceError(path, "already exists; refusing to overwrite a key (move it away first)") from None
    except OSError as exc:
        raise EvidenceError(path, f"cannot create: {exc.strerror}") from exc
    try:
        os.fchmod(fd, mode)  # the umask may only have narrowed it; make it exact
        os.write(fd, data)
    finally:
        os.close(fd)


def load_private_key(path: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    data = _read_key_file(path)
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        raise EvidenceError(
            path,
            "the key is passphrase-protected; give the passphrase"
            if passphrase is None
            else "the key is not passphrase-protected; give no passphrase",
        ) from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        if b"PUBLIC KEY-----" in data:
            raise EvidenceError(path, "a public key, not the private key that signs (keygen writes PREFIX.key and PREFIX.pub)") from None
        raise EvidenceError(path, f"not a readable PEM private key ({' '.join(str(exc).split())})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise EvidenceError(path, f"not an Ed25519 key ({type(key).__name__})")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = _read_key_file(path)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise EvidenceError(path, f"not a readable PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise EvidenceError(path, f"not an Ed25519 public key ({type(key).__name__})")
    return key


def _read_key_file(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise EvidenceError(path, f"cannot read key: {exc.strerror}") from exc


# --- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sealed:
    """What `seal_run` wrote: the bundle, how many files it seals, and what it left out and why."""

    path: Path
    files: int
    left_out: list[LeftOut]
    fingerprint: str | None  # of the signing key; None for an unsigned bundle


def write_bundle(run_dir: Path, signing_key: Path | None, passphrase: bytes | None = None) -> Path:
    """`seal_run`, for callers that only need the bundle's path."""
    return seal_run(run_dir, signing_key, passphrase).path


def seal_run(run_dir: Path, signing_key: Path | None, passphrase: bytes | None = None) -> Sealed:
    """Seal the artefacts of the run in `run_dir` into `run_dir/evidence.zip`.

    Only the files a run writes are sealed (`reports.sealed_files`); anything else in the directory
    is left out, never followed if it is a link, and named in the result and in the manifest
    ("left_out"). Key material never goes in: a signing key inside the directory is refused, and
    so is an artefact whose content holds a PEM private key (the bundle is not written at all).

    With `signing_key` the manifest is signed; without, the bundle is sealed but unsigned and the
    manifest says so ("signed": false), which `verify_bundle` reports as not OK. The zip is written
    beside its final name and renamed into place, so a crash never leaves a half bundle behind.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise EvidenceError(run_dir, "not a directory")
    key = check_signing_key(signing_key, run_dir, passphrase) if signing_key is not None else None
    selection = sealed_files.select(run_dir, skip=_OWN_NAMES)
    if len(selection.members) + len(selection.left_out) > MAX_MEMBERS:
        raise EvidenceError(
            run_dir,
            f"{len(selection.members)} files to seal and {len(selection.left_out)} to list, more than the {MAX_MEMBERS} a bundle may hold",
        )
    partial = run_dir / _PARTIAL_NAME
    entries: list[dict[str, Any]] = []
    try:
        with _create_partial(partial) as out:
            # No zip64: verify refuses it, and a bundle never comes near 2 GiB or 65 535 entries.
            with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=False) as zf:
                for name in selection.members:
                    entries.append(_seal_file(zf, run_dir, name))
                manifest = _manifest_bytes(entries, selection.left_out, key)
                if len(manifest) > MAX_MANIFEST_BYTES:
                    raise EvidenceError(
                        run_dir, f"the manifest would be {len(manifest)} bytes, more than the {MAX_MANIFEST_BYTES} verify reads"
                    )
                zf.writestr(_zip_info(MANIFEST_NAME), manifest)
                if key is not None:
                    zf.writestr(_zip_info(SIGNATURE_NAME), key.sign(manifest))
        bundle = run_dir / BUNDLE_NAME
        os.replace(partial, bundle)
    except (OSError, zipfile.LargeZipFile) as exc:
        _remove_partial(partial)
        raise EvidenceError(run_dir, f"cannot write {BUNDLE_NAME}: {exc}") from exc
    except BaseException:
        _remove_partial(partial)
        raise
    return Sealed(bundle, len(entries), selection.left_out, fingerprint(key.public_key()) if key is not None else None)


def check_signing_key(path: Path, run_dir: Path | None, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """The lab key, loaded, once it is known to sit outside `run_dir`: the report directory is
    what the lab hands out, so a key kept there is one copy away from leaving the lab. Raises
    `EvidenceError` naming the key and the reason; the CLI calls this before a run starts."""
    path = Path(path)
    if run_dir is not None:
        key_paths = {Path(os.path.abspath(path)), path.resolve()}
        dirs = {Path(os.path.abspath(run_dir)), Path(run_dir).resolve()}
        if any(k.is_relative_to(d) for k in key_paths for d in dirs):
            raise EvidenceError(path, f"the signing key is inside the report directory {run_dir}; keep it outside what the lab hands out")
    return load_private_key(path, passphrase)


def _create_partial(partial: Path) -> BinaryIO:
    """The partial bundle, created afresh: a stale one (a crash) or a link planted under its
    name is removed first, never written through."""
    if partial.is_symlink() or partial.is_file():
        partial.unlink()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    return os.fdopen(fd, "w+b")


def _remove_partial(partial: Path) -> None:
    if partial.is_symlink() or partial.is_file():
        partial.unlink()


def _seal_file(zf: zipfile.ZipFile, run_dir: Path, name: str) -> dict[str, Any]:
    """Copy one file into the zip a chunk at a time, hashing and scanning exactly the bytes stored
    (one read: a file changing under the writer cannot make the digest disagree with the member).
    O_NOFOLLOW: a file swapped for a link after the directory was listed is not followed either."""
    path = run_dir / name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise EvidenceError(path, f"cannot read: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as src:
        status = os.fstat(src.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise EvidenceError(path, "not a regular file any more; cannot seal it")
        info = _zip_info(name)
        info.file_size = status.st_size  # lets zipfile refuse what would need zip64
        digest = hashlib.sha256()
        scanner = sealed_files.PrivateKeyScanner()
        size = 0
        with zf.open(info, "w") as dst:
            while chunk := src.read(_CHUNK):
                if scanner.feed(chunk):
                    raise EvidenceError(path, "holds a PEM private key; key material is never sealed (remove it from the run directory)")
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
    return {"path": name, "sha256": digest.hexdigest(), "size": size}


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _manifest_bytes(entries: list[dict[str, Any]], left_out: list[LeftOut], key: Ed25519PrivateKey | None) -> bytes:
    """The manifest: a readable header, then one line per file (and per left-out entry), which
    keeps a manifest of MAX_MEMBERS files under MAX_MANIFEST_BYTES."""
    header = {
        "format": FORMAT,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "harness_version": _harness_version(),
        "signed": key is not None,
        "algorithm": "Ed25519" if key is not None else None,
        "key_fingerprint": fingerprint(key.public_key()) if key is not None else None,
    }
    text = json.dumps(header, indent=2, ensure_ascii=False).removesuffix("\n}")
    for name, items in (("files", entries), ("left_out", [item.as_json() for item in left_out])):
        rows = ",\n".join(f"    {json.dumps(item, ensure_ascii=False)}" for item in items)
        text += f',\n  "{name}": [\n{rows}\n  ]' if items else f',\n  "{name}": []'
    return (text + "\n}\n").encode("utf-8")


def _harness_version() -> str | None:
    try:
        return metadata.version("ssc-conform")
    except metadata.PackageNotFoundError:
        return None


# --- verifying --------------------------------------------------------------------------------


def verify_bundle(zip_path: Path, pubkey: Path) -> VerifyResult:
    """Check a bundle against the lab's public key; name every altered, removed or added file.

    Only the zip is read, nothing is extracted, and nothing is read whole that the bundle could
    make large: the zip layout is checked first (`reports.zip_layout`), the manifest and signature
    are read only up to their caps, and members are hashed in chunks. A bundle that is not a zip,
    or a public key that cannot be loaded, raises `EvidenceError`; a zip laid out otherwise than
    the writer lays it out is refused (`result.refused`); everything else is a finding.
    """
    zip_path = Path(zip_path)
    public_key = load_public_key(pubkey)
    key_fp = fingerprint(public_key)
    if not zip_path.is_file():
        raise EvidenceError(zip_path, "no such file" if not zip_path.exists() else "not a regular file")
    try:
        fp = zip_path.open("rb")
    except OSError as exc:
        raise EvidenceError(zip_path, f"cannot read: {exc.strerror}") from exc
    with fp:
        try:
            end = zip_layout.read_end_record(
                fp, os.fstat(fp.fileno()).st_size, max_entries=MAX_MEMBERS + 2, max_directory=MAX_DIRECTORY_BYTES
            )
        except zip_layout.NotAZip as exc:
            raise EvidenceError(zip_path, f"not a zip archive ({exc})") from None
        except zip_layout.LayoutError as exc:
            return _refused(str(exc), key_fp)
        except OSError as exc:
            raise EvidenceError(zip_path, f"cannot read: {exc.strerror}") from exc
        try:
            zf = zipfile.ZipFile(fp)
        except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, struct.error) as exc:
            # The end record was sound, the directory behind it is not (NotImplementedError: a
            # "version needed to extract" beyond zipfile's).
            return _refused(f"a central directory that cannot be read ({type(exc).__name__}: {exc})", key_fp)
        except OSError as exc:
            raise EvidenceError(zip_path, f"cannot read: {exc.strerror}") from exc
        with zf:
            try:
                offsets = zip_layout.check_members(fp, zf.infolist(), end)
            except zip_layout.LayoutError as exc:
                return _refused(str(exc), key_fp)
            return _verify_open(_Bundle(fp, zf.NameToInfo, offsets), public_key, key_fp)


@dataclass(frozen=True)
class _Bundle:
    """A bundle whose layout passed: its members, read only through `zip_layout.read_member`."""

    fp: BinaryIO
    infos: dict[str, zipfile.ZipInfo]
    offsets: dict[str, int]

    def chunks(self, name: str) -> Iterator[bytes]:
        return zip_layout.read_member(self.fp, self.infos[name], self.offsets[name], _CHUNK)


def _refused(reason: str, key_fp: str) -> VerifyResult:
    return VerifyResult(
        ok=False,
        signature=NOT_CHECKED,
        fingerprint=key_fp,
        refused=reason,
        messages=[f"REFUSED: {reason}; the bundle is not laid out as ssc-conform writes it, so nothing in it was checked"],
    )


def _verify_open(bundle: _Bundle, public_key: Ed25519PublicKey, key_fp: str) -> VerifyResult:
    result = VerifyResult(ok=False, fingerprint=key_fp)
    manifest_bytes, manifest_problem = _read_capped(bundle, MANIFEST_NAME, MAX_MANIFEST_BYTES)
    signature, signature_problem = _read_capped(bundle, SIGNATURE_NAME, SIGNATURE_BYTES)
    manifest, problem = _parse_manifest(manifest_bytes) if manifest_bytes is not None else (None, manifest_problem)

    if manifest_bytes is None:
        result.signature = MANIFEST_UNREADABLE
    elif signature is None and SIGNATURE_NAME not in bundle.infos:
        result.signature = SIGNATURE_MISSING
    elif signature is None:
        result.signature = SIGNATURE_INVALID
        result.signature_problem = signature_problem
    else:
        try:
            public_key.verify(signature, manifest_bytes)
            result.signature = SIGNATURE_VALID
        except InvalidSignature:
            result.signature = SIGNATURE_INVALID

    if manifest is not None:
        _compare_files(bundle, manifest["files"], result)
        result.files = len(manifest["files"])

    result.ok = manifest is not None and result.signature == SIGNATURE_VALID and not (result.altered or result.removed or result.added)
    result.messages = _messages(result, manifest, problem)
    return result


def _read_capped(bundle: _Bundle, name: str, cap: int) -> tuple[bytes | None, str]:
    """The entry's bytes, or None and why: absent, larger than `cap` by its declared size (then it
    is not read at all), or damaged (a bad CRC means it was tampered with)."""
    info = bundle.infos.get(name)
    if info is None:
        return None, f"{name} is missing"
    if info.file_size > cap:
        return None, f"{name} declares {info.file_size} bytes, more than the {cap} it may have; not read"
    try:
        return b"".join(bundle.chunks(name)), ""  # never more than the declared size: checked above
    except _DAMAGED as exc:
        return None, f"{name} is unreadable ({exc})"


def _parse_manifest(data: bytes) -> tuple[dict[str, Any] | None, str]:
    containers = data.count(b"{") + data.count(b"[")
    if containers > _MAX_CONTAINERS:
        return None, f"{MANIFEST_NAME} has {containers} JSON objects or arrays, more than a manifest of {MAX_MEMBERS} files; not parsed"
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return None, f"{MANIFEST_NAME} is not valid JSON ({type(exc).__name__}: {exc})"
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        return None, f"{MANIFEST_NAME} is not in format {FORMAT} (found {found!r})"
    files = manifest.get("files")
    if not isinstance(files, list) or not all(_valid_entry(e) for e in files):
        return None, f"{MANIFEST_NAME} has no valid file list"
    return manifest, ""


def _valid_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("path"), str)
        and isinstance(entry.get("sha256"), str)
        and isinstance(entry.get("size"), int)
    )


def _compare_files(bundle: _Bundle, entries: list[dict[str, Any]], result: VerifyResult) -> None:
    """Names are unique here (the layout check refused duplicates), so a name is one member."""
    listed = {e["path"] for e in entries}
    result.added = sorted(n for n in bundle.infos if n not in listed and n not in (MANIFEST_NAME, SIGNATURE_NAME))
    for entry in entries:
        path = entry["path"]
        info = bundle.infos.get(path)
        if info is None or path in (MANIFEST_NAME, SIGNATURE_NAME):
            result.removed.append(path)
        elif info.file_size != entry["size"]:
            result.altered.append(path)  # known from the directory alone: the member is not read
        elif _digest_member(bundle, path) != entry["sha256"].lower():
            result.altered.append(path)
    result.altered.sort()
    result.removed.sort()


def _digest_member(bundle: _Bundle, name: str) -> str | None:
    digest = hashlib.sha256()
    try:
        for chunk in bundle.chunks(name):
            digest.update(chunk)
    except _DAMAGED:
        return None
    return digest.hexdigest()


def _messages(result: VerifyResult, manifest: dict[str, Any] | None, problem: str) -> list[str]:
    if result.ok:
        return [f"OK: {result.files} files, signature valid (key fingerprint {result.fingerprint})"]
    lines = [f"ALTERED: {p}" for p in result.altered]
    lines += [f"REMOVED: {p}" for p in result.removed]
    lines += [f"ADDED: {p}" for p in result.added]
    if manifest is None:
        lines.append(f"MANIFEST UNREADABLE: {problem}; file digests not checked")
    if result.signature == SIGNATURE_VALID:
        lines.append(f"signature valid (key fingerprint {result.fingerprint})")
    elif result.signature == SIGNATURE_INVALID:
        signer = manifest.get("key_fingerprint") if manifest is not None else None
        if result.signature_problem:
            why = result.signature_problem
        elif isinstance(signer, str) and signer != result.fingerprint:
            why = f"manifest names key {signer}, --pubkey is {result.fingerprint}"
        else:
            why = f"{MANIFEST_NAME} was altered or signed by another key; --pubkey is {result.fingerprint}"
        lines.append(f"signature INVALID ({why})")
    elif result.signature == SIGNATURE_MISSING:
        if manifest is not None and manifest.get("signed") is False:
            lines.append("signature MISSING: the bundle was sealed without a lab key (unsigned); digests alone do not show who produced it")
        else:
            lines.append(f"signature MISSING: {SIGNATURE_NAME} is absent from the bundle")
    else:
        lines.append(f"signature not checked: {MANIFEST_NAME} is missing, too large or unreadable")
    if not (result.altered or result.removed or result.added) and manifest is not None:
        lines.insert(0, f"files intact: {result.files} files match the manifest")
    return lines
