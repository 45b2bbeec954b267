"""Survey a card's file system against the profile (PROFILE §3; STD-FS-2, STD-FS-3, STD-REC-*).

Each survey walks the files the profile declares, asks the card with ordinary commands, and
returns *findings* — sentences naming the file, the APDU and expected vs actual — so one scenario
reports every deviation at once instead of stopping at the first. What a conforming card answers
is taken from the profile: FIDs, SFIs, DF names, FCI and DIR templates. File types are told
from behaviour in `checks.standards.file_types`.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.standards.fci import fci_problems
from checks.wording import bilingual, sw_zh
from ssc.apdu import CommandApdu
from ssc.profile.model import FileDef, Profile
from ssc.profile.templates import dir_record_for
from terminal.channel import Response
from terminal.session import CardSession

__all__ = [
    "RecordScan",
    "absent_fid",
    "absent_file_selects",
    "absent_name",
    "adf_presence",
    "aid_findings",
    "dir_adfs",
    "dir_findings",
    "fid_findings",
    "mandatory_files",
    "present_files",
    "relatives",
    "scan_records",
    "select_ef",
    "select_fid_findings",
    "sfi_findings",
]


_FID_BYTES = 2  # ISO/IEC 7816-4: a file identifier is two bytes


def _hex(response: Response) -> str:
    return "; ".join(f"{c.hex().upper()} → {r.hex().upper()}" for c, r in response.exchanges) or "(no APDU)"


def _apdus(*responses: Response) -> str:
    """The exchanges behind a finding, after its two sentences (``；APDU：…``, as failure messages end)."""
    return "；APDU：" + "; ".join(_hex(r) for r in responses)


def _data(raw: bytes) -> str:
    return raw.hex().upper() or "（无数据）"


def _is_mandatory(profile: Profile, f: FileDef) -> bool:
    node: FileDef | None = f
    while node is not None:
        if node.presence != "mandatory":
            return False
        node = profile.file(node.parent) if node.parent else None
    return True


def mandatory_files(profile: Profile) -> list[FileDef]:
    """Every file whose own presence and every ancestor's is mandatory, in profile order."""
    return [f for f in profile.files.values() if _is_mandatory(profile, f)]


def adf_presence(session: CardSession) -> dict[str, bool | None]:
    """ADF path → present (SELECT by its name answers ok), absent (file not found) or None (other answer)."""
    out: dict[str, bool | None] = {}
    for f in session.profile.files.values():
        if f.kind != "adf" or f.name is None:
            continue
        response = session.select_by_name(f.name, check=False)
        out[f.path] = True if response.ok else False if response.means("file_not_found") else None
    return out


def present_files(profile: Profile, presence: dict[str, bool | None]) -> list[FileDef]:
    """Files whose ADF (if any) is present: mandatory trees plus the optional ADFs the card has."""
    out = []
    for f in profile.files.values():
        adf = next((profile.file(a) for a in presence if f.path == a or f.path.startswith(a + "/")), None)
        if adf is None or presence.get(adf.path):
            out.append(f)
    return out


# -- STD-FS-2 ------------------------------------------------------------------------------------


def fid_findings(session: CardSession, files: list[FileDef]) -> list[str]:
    """Every file is reachable by SELECT by FID, MF first, then DF by DF (EFs with P1 'EF of the current DF')."""
    findings = []
    for f in files:
        response = session.select_path(f.path, by="fid", check=False)
        if not response.ok:
            findings.append(
                bilingual(
                    f"{f.path}（FID {f.fid:04X}）：按 FID 选择返回 {sw_zh(response)}",
                    f"{f.path} (FID {f.fid:04X}): SELECT by FID answered {response.describe()}",
                )
                + _apdus(response)
            )
    return findings


def _first_record(f: FileDef) -> int:
    return f.records[0].number if f.records and f.kind != "cyclic" else 1


def sfi_findings(session: CardSession, files: list[FileDef]) -> list[str]:
    """Every EF with an SFI answers the same through its SFI as when selected by FID (current EF)."""
    findings = []
    for f in files:
        if not f.is_ef or f.sfi is None:
            continue
        selected = session.select_path(f.path, by="fid", check=False)
        if not selected.ok:
            findings.append(
                bilingual(
                    f"{f.path}：无法检查短文件标识符 {f.sfi:02X}，按 FID 选择返回 {sw_zh(selected)}",
                    f"{f.path}: cannot check SFI {f.sfi:02X}, SELECT by FID answered {selected.describe()}",
                )
            )
            continue
        if f.is_record_file:
            n = _first_record(f)
            by_current = session.read_record(None, n, check=False)
            by_sfi = session.read_record(None, n, sfi=f.sfi, check=False)
        else:
            by_current = session.read_binary(None, 0, 1, check=False)
            by_sfi = session.read_binary(f.path, 0, 1, check=False)
        if by_sfi.means("file_not_found") or (by_sfi.sw, by_sfi.data) != (by_current.sw, by_current.data):
            findings.append(
                bilingual(
                    f"{f.path} 短文件标识符 {f.sfi:02X}：经短文件标识符读返回 {sw_zh(by_sfi)} {_data(by_sfi.data)}，"
                    f"对当前 EF（按 FID {f.fid:04X} 选择）的同一读命令返回 {sw_zh(by_current)} {_data(by_current.data)}",
                    f"{f.path} SFI {f.sfi:02X}: read through the SFI answered {by_sfi.describe()} {by_sfi.data.hex().upper()}, "
                    f"the same read of the current EF (selected by FID {f.fid:04X}) {by_current.describe()} {by_current.data.hex().upper()}",
                )
                + _apdus(by_current, by_sfi)
            )
    return findings


def aid_findings(session: CardSession, files: list[FileDef]) -> list[str]:
    """Every named DF is selectable by its name (AID) and answers a valid FCI for that name.

    Valid as the requirement states it (`checks.standards.fci`): one FCI template carrying the
    selected DF name and, where the profile's template has one, the generation's algorithm id —
    not the bytes of the profile's stand-in template.
    """
    findings = []
    for f in files:
        if not f.is_df or f.name is None or f.fci is None:
            continue
        response = session.select_by_name(f.name, check=False)
        problems = (
            fci_problems(session.profile, f, response.data)
            if response.ok
            else [bilingual(f"返回 {sw_zh(response)}", f"answered {response.describe()}")]
        )
        if problems:
            findings.append(
                f"{f.path} 名称 name {f.name.hex().upper()}：FCI {_data(response.data)} {sw_zh(response)}：{'；'.join(problems)}"
                + _apdus(response)
            )
    return findings


# -- STD-FS-3 ------------------------------------------------------------------------------------


def dir_adfs(profile: Profile) -> tuple[FileDef, list[FileDef]]:
    """The DIR EF and the ADFs it may announce (the DF's child ADFs with a DIR label), in profile order."""
    dir_file = next(f for f in profile.files.values() if "dir" in f.flags)
    parent = dir_file.parent or "MF"
    return dir_file, [f for f in profile.children(parent) if f.kind == "adf" and f.label is not None]


@dataclass(frozen=True)
class RecordScan:
    """Records 1..n read by number, and the answer that ended the scan (normally record not found)."""

    path: str
    records: tuple[tuple[int, bytes], ...]
    end_number: int
    end: Response
    responses: tuple[Response, ...]

    @property
    def ended_cleanly(self) -> bool:
        return self.end.means("record_not_found")


def scan_records(session: CardSession, path: str, limit: int) -> RecordScan:
    """READ RECORD 1, 2, … by number (SFI addressing) until the card refuses or `limit`+1 is read.

    The caller has opened the read right first. Reading one past `limit` shows whether extra
    records exist.
    """
    records: list[tuple[int, bytes]] = []
    responses: list[Response] = []
    number = 1
    while True:
        response = session.read_record(path, number, check=False)
        responses.append(response)
        if not response.ok or number > limit:
            if response.ok:
                records.append((number, response.data))
            return RecordScan(path, tuple(records), number, response, tuple(responses))
        records.append((number, response.data))
        number += 1


def dir_findings(session: CardSession, presence: dict[str, bool | None]) -> tuple[list[bytes], RecordScan, list[str]]:
    """Expected DIR records (one per present ADF, in order) vs the DIR's records; findings."""
    profile = session.profile
    dir_file, adfs = dir_adfs(profile)
    findings = [
        bilingual(
            f"{p}：按名称选择既未成功也未返回未找到文件，无法判断是否存在",
            f"{p}: SELECT by name gave neither ok nor file not found, presence unknown",
        )
        for p, v in presence.items()
        if v is None
    ]
    expected = [dir_record_for(profile, a) for a in adfs if presence.get(a.path)]
    scan = scan_records(session, dir_file.path, len(adfs))
    actual = [data for _, data in scan.records]
    if not scan.ended_cleanly and scan.end_number <= len(adfs) + 1 and not scan.end.ok:
        findings.append(
            bilingual(
                f"{dir_file.path}：读记录 {scan.end_number} 返回 {sw_zh(scan.end)}",
                f"{dir_file.path}: READ RECORD {scan.end_number} answered {scan.end.describe()}",
            )
            + _apdus(scan.end)
        )
    present = [a.short_name for a in adfs if presence.get(a.path)]
    for i in range(max(len(expected), len(actual))):
        want = expected[i] if i < len(expected) else None
        got = actual[i] if i < len(actual) else None
        if want != got:
            findings.append(
                bilingual(
                    f"{dir_file.path} 记录 {i + 1}：预期 {want.hex().upper() if want else '（无记录）'}，"
                    f"实际 {got.hex().upper() if got else '（无记录）'}（存在的 ADF：{'、'.join(present) or '无'}）",
                    f"{dir_file.path} record {i + 1}: expected {want.hex().upper() if want else '(no record)'}, "
                    f"got {got.hex().upper() if got else '(no record)'} (ADFs present: {', '.join(present)})",
                )
            )
    return expected, scan, findings


def select_ef(session: CardSession, f: FileDef) -> Response:
    """SELECT EF `f` by FID in its DF (made current first if needed), keeping the security state.

    Raises `OperationError` (via the session) if the DF cannot be selected; the EF's answer is returned.
    """
    return session.select_ef(f.path, check=False)


# -- STD-CMD-1 ------------------------------------------------------------------------------------


def select_fid_findings(session: CardSession, df_path: str, targets: list[FileDef]) -> list[str]:
    """From DF `df_path` (made current afresh each time), SELECT by FID each target: ok, no data.

    P1 is the profile's "EF of the current DF" code for EFs and its general code for DFs (MF,
    parent, children, the parent's children; PROFILE §3).
    """
    profile = session.profile
    select = profile.command("select")
    findings = []
    for target in targets:
        session.select_path(df_path, check=True)
        p1 = select.byte("p1_ef") if target.is_ef else select.byte("p1_fid")
        apdu = CommandApdu(select.cla[0], select.ins, p1, select.byte_list("p2")[0], target.fid.to_bytes(_FID_BYTES, "big"))
        response = session.terminal.send(apdu)
        session.forget_selection()
        if not response.ok or response.data:
            findings.append(
                bilingual(
                    f"从 {df_path} 按 FID {target.fid:04X} 选择 {target.path}：预期 9000（成功执行）且无数据，"
                    f"实际 {_data(response.data)} {sw_zh(response)}",
                    f"from {df_path}: SELECT {target.path} by FID {target.fid:04X} expected 9000 without data, "
                    f"got {response.data.hex().upper()} {response.describe()}",
                )
                + _apdus(response)
            )
    return findings


def relatives(profile: Profile, df_path: str) -> list[FileDef]:
    """What SELECT by FID with the general P1 may reach from DF `df_path`: MF, parent, siblings (§3)."""
    df = profile.file(df_path)
    parent = profile.file(df.parent) if df.parent else None
    out = [profile.file("MF")]
    if parent is not None and parent.path != "MF":
        out.append(parent)
        out += [f for f in profile.children(parent.path) if f.is_df and f.path != df_path and _is_mandatory(profile, f)]
    return out


def absent_fid(profile: Profile) -> int:
    """A FID no file of the profile uses (and not the reserved 3FFF/FFFF), next to the EF FIDs."""
    used = {f.fid for f in profile.files.values()} | {0x3FFF, 0xFFFF}
    start = max(f.fid for f in profile.efs())
    return next(fid for fid in range(start + 1, 0x10000) if fid not in used)


def absent_name(profile: Profile) -> bytes:
    """A DF name no DF declares: an ADF's AID with its last byte changed."""
    names = {f.name for f in profile.files.values() if f.name is not None}
    aid = next(f.name for f in profile.files.values() if f.kind == "adf" and f.name is not None)
    return next(aid[:-1] + bytes([b]) for b in range(0x100) if aid[:-1] + bytes([b]) not in names)


def absent_file_selects(profile: Profile) -> dict[str, CommandApdu]:
    """SELECT commands for files the profile does not declare: "df_fid" (general P1), "ef_fid"
    (EF of the current DF) and "name" (by DF name). A conforming card answers file not found."""
    select = profile.command("select")
    p2 = select.byte_list("p2")[0]
    fid = absent_fid(profile).to_bytes(_FID_BYTES, "big")
    return {
        "df_fid": CommandApdu(select.cla[0], select.ins, select.byte("p1_fid"), p2, fid),
        "ef_fid": CommandApdu(select.cla[0], select.ins, select.byte("p1_ef"), p2, fid),
        "name": CommandApdu(select.cla[0], select.ins, select.byte("p1_name"), p2, absent_name(profile)),
    }
