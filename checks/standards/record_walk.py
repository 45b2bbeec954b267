"""Read every record-structured EF the terminal may open (STD-REC-1, STD-REC-2, STD-REC-3).

The walk covers the record files of the ADFs the card presents (optional ADFs included when
present), obtains each file's read right as a legitimate terminal would (`terminal.grants`: PIN,
keys through the home PSAM) and reads records 1, 2, … by number until the card answers "record
not found", one past the highest record the profile allows. Files whose right this terminal
cannot obtain (another application's keys behind the firewall) are listed as skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from checks.standards.file_survey import RecordScan, adf_presence, dir_adfs, mandatory_files, present_files, scan_records, select_ef
from checks.wording import bilingual, led, sw_zh
from ssc.profile.access import AccessRule, Auth
from ssc.profile.model import FileDef
from terminal.channel import Response
from terminal.grants import cheapest_grant, grant, terminal_can_grant
from terminal.psam_client import PsamClient
from terminal.session import CardSession, OperationError

__all__ = ["FileWalk", "addressing_findings", "addressing_survey", "walk_record_files"]

_READ = "read"


@dataclass(frozen=True)
class FileWalk:
    file: FileDef
    granted: tuple[str, ...]
    scan: RecordScan | None
    skipped: str | None = None


def _limit(session: CardSession, f: FileDef) -> int:
    if "dir" in f.flags:
        return len(dir_adfs(session.profile)[1])
    if f.kind == "cyclic":
        return f.record_count or 0
    return max((r.number for r in f.records), default=0)


def walk_record_files(session: CardSession, psam: PsamClient | None, pin: str | None) -> list[FileWalk]:
    profile = session.profile
    session.identity()
    presence = adf_presence(session)
    walks = []
    for f in present_files(profile, presence):
        if not f.is_record_file:
            continue
        if not terminal_can_grant(profile, f.path, _READ):
            walks.append(
                FileWalk(
                    f,
                    (),
                    None,
                    bilingual(f"本终端无法满足读规则 {f.rule(_READ)}", f"read rule {f.rule(_READ)} cannot be satisfied by this terminal"),
                )
            )
            continue
        session.select_mf(check=True)  # start each file from a clean security state
        done = grant(session, f.path, _READ, psam, pin)
        walks.append(FileWalk(f, tuple(done), scan_records(session, f.path, _limit(session, f))))
    return walks


def addressing_survey(session: CardSession, psam: Callable[[], PsamClient], pin: str | None) -> tuple[int, list[str]]:
    """`addressing_findings` over every mandatory linear file with records this terminal can open.

    Files readable without a key come first and the PSAM (`psam()`, called only when a key is
    needed) last, because finding the card's region for key diversification itself reads records
    by tag: a card that fails at that still gets its free files judged. A right the card refuses
    becomes a finding. Returns (files examined, findings).
    """
    profile = session.profile
    files = [f for f in mandatory_files(profile) if f.kind == "linear" and f.records and terminal_can_grant(profile, f.path, _READ)]
    files.sort(key=lambda f: any(isinstance(t, Auth) for t in cheapest_grant(_read_rule(f))))
    findings: list[str] = []
    for f in files:
        try:
            session.select_mf(check=True)
            needs_key = any(isinstance(t, Auth) for t in cheapest_grant(_read_rule(f)))
            grant(session, f.path, _READ, psam() if needs_key else None, pin)
        except OperationError as exc:
            findings.append(led(f"{f.path}：未能取得读权限：", f"{f.path}: the read right could not be obtained: ", str(exc)))
            continue
        findings += addressing_findings(session, f)
    return len(files), findings


def addressing_findings(session: CardSession, f: FileDef) -> list[str]:
    """Each declared record read four ways — by number or by tag, through the SFI or as the current
    EF (selected by FID) — gives the same answer (the read right is already held)."""
    findings = []
    for rec in f.records:
        reads: dict[str, Response] = {
            "by number, SFI": session.read_record(f.path, rec.number, check=False),
            "by tag, SFI": session.read_record(f.path, tag=rec.tag, check=False),
        }
        select_ef(session, f)  # by FID in the current DF: keeps the PIN and key states
        reads["by number, current EF"] = session.read_record(None, rec.number, le=rec.record_length, check=False)
        reads["by tag, current EF"] = session.read_record(None, tag=rec.tag, le=rec.record_length, check=False)
        answers = {(r.sw, r.data) for r in reads.values()}
        if len(answers) != 1 or not next(iter(reads.values())).ok:
            detail = "; ".join(f"{how}: {r.data.hex().upper()} {r.describe()}" for how, r in reads.items())
            detail_zh = "；".join(f"{_HOW_ZH[how]}：{r.data.hex().upper() or '无数据'} {sw_zh(r)}" for how, r in reads.items())
            findings.append(
                bilingual(
                    f"{f.path} 记录 {rec.number}（标签 {rec.tag:02X}）四种读法的结果不一致或未成功：{detail_zh}",
                    f"{f.path} record {rec.number} (tag {rec.tag:02X}): {detail}",
                )
            )
    return findings


_HOW_ZH = {
    "by number, SFI": "按记录号经短文件标识符",
    "by tag, SFI": "按标签经短文件标识符",
    "by number, current EF": "按记录号读当前 EF",
    "by tag, current EF": "按标签读当前 EF",
}


def _read_rule(f: FileDef) -> AccessRule:
    """The read rule of a file the walk may read (terminal_can_grant passed, so it has one)."""
    rule = f.rule(_READ)
    assert rule is not None, f"{f.path} has no read rule"
    return rule
