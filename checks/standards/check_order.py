"""Probing APDUs for the order of a card's checks (PROFILE §5 "Order of checks"; STD-SW-1).

The profile lists the checks as ordered groups of status words (`profile.check_order`): unknown
CLA, unknown INS, a CLA not allowed for the INS, P1-P2, Lc, file and record, access, Le and data.
A probe is an APDU that breaks one or two of these checks on purpose; a conforming card answers
with the status word of the *earliest* check broken. Two-fault probes pair neighbouring groups,
so a card that checks them the other way round is caught; single-fault probes show that each
check is there at all (without them a pair answering "right" could be luck).

Everything is built from profile data: CLA/INS/P2 codes from `commands`, the files from `files`
(a protected record file whose read right the terminal does not hold after selecting the MF, and
a free one), the status words from `status_words`. The only choices made here are which unused
CLA and INS to send: the first RFU class (ISO/IEC 7816-4 reserves 2X–3X) and the first even
instruction outside the 6X/9X ranges (which T=0 reserves) that no command of the profile uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssc.apdu import CommandApdu
from ssc.profile.model import FileDef, Profile, RecordDef

__all__ = [
    "LE_CASES",
    "Probe",
    "Violation",
    "challenge_lengths",
    "check_order_probes",
    "record_le_probe",
    "free_record_file",
    "protected_record_file",
    "unused_cla",
    "unused_ins",
]

_RFU_CLASSES = range(0x20, 0x40, 0x10)  # ISO/IEC 7816-4: classes 2X and 3X are reserved for future use
_T0_RESERVED_INS = (range(0x60, 0x70), range(0x90, 0xA0))  # ISO/IEC 7816-3: procedure bytes


@dataclass(frozen=True)
class Violation:
    group: int  # index into profile.check_order
    sw: str  # the status-word name of that group this probe breaks


@dataclass(frozen=True)
class Probe:
    """`apdu`, sent with `df` current and no access right obtained, breaks every check in `violations`."""

    key: str
    description: str
    df: str
    apdu: CommandApdu
    violations: tuple[Violation, ...]

    @property
    def expected(self) -> Violation:
        return min(self.violations, key=lambda v: v.group)


def unused_cla(profile: Profile) -> int:
    used = {cla for c in profile.commands.values() for cla in c.cla}
    for cla in _RFU_CLASSES:
        if cla not in used:
            return cla
    raise ValueError("every RFU class is used by a command of the profile")


def unused_ins(profile: Profile) -> int:
    used = {c.ins for c in profile.commands.values()}
    for ins in range(0x02, 0x100, 2):
        if ins not in used and not any(ins in r for r in _T0_RESERVED_INS):
            return ins
    raise ValueError("no unused instruction byte left")


def _cla_not_allowed(profile: Profile, command: str) -> int:
    allowed = set(profile.command(command).cla)
    others = sorted({cla for c in profile.commands.values() if not c.virtual_only for cla in c.cla} - allowed)
    if not others:
        raise ValueError(f"every class of the profile is allowed for {command}")
    return others[0]


def _linear_with_records(profile: Profile) -> list[FileDef]:
    return [f for f in profile.efs() if f.kind == "linear" and f.records and f.sfi is not None]


def protected_record_file(profile: Profile) -> FileDef:
    """The first linear EF with records whose read right needs a PIN or a key (not held after SELECT MF)."""
    for f in _linear_with_records(profile):
        rule = f.rule("read")
        if rule is not None and not rule.is_free and not rule.is_never and not rule.sm_keys:
            return f
    raise ValueError(f"profile {profile.name} declares no protected linear file")


def free_record_file(profile: Profile) -> FileDef:
    for f in _linear_with_records(profile):
        rule = f.rule("read")
        if rule is not None and rule.is_free:
            return f
    raise ValueError(f"profile {profile.name} declares no free-read linear file")


def _group(profile: Profile, sw: str, after: int = -1) -> int:
    """The first check group after index `after` that lists status word `sw`."""
    for i, group in enumerate(profile.check_order):
        if i > after and sw in group:
            return i
    raise ValueError(f"the check order of profile {profile.name} has no group {sw!r} after group {after}")


def check_order_probes(profile: Profile) -> list[Probe]:
    """Single-fault probes for each check group, then two-fault probes for neighbouring groups."""
    rr = profile.command("read_record")
    shift, by_number = rr.byte("sfi_shift"), rr.byte("p2_by_number")
    protected, free = protected_record_file(profile), free_record_file(profile)
    absent_sfi = next(s for s in range(1, 31) if s not in {f.sfi for f in profile.children(free.parent or "MF")})

    g_cla = _group(profile, "cla_not_supported")
    g_ins = _group(profile, "ins_not_supported")
    g_cla_ins = _group(profile, "cla_not_supported", g_ins)
    g_p1p2 = _group(profile, "wrong_p1p2")
    g_lc = _group(profile, "wrong_length")
    g_file = _group(profile, "file_not_found")
    g_record = _group(profile, "record_not_found")
    g_security = _group(profile, "security_not_satisfied")
    g_le = _group(profile, "wrong_le")

    cla, bad_cla, cla_forbidden, bad_ins = rr.cla[0], unused_cla(profile), _cla_not_allowed(profile, "read_record"), unused_ins(profile)
    stray_data = bytes(1)  # READ RECORD carries no data field: an Lc is a length error

    def record_apdu(
        f: FileDef, number: int, *, c: int = cla, ins: int = rr.ins, data: bytes = b"", le: int | None = None, sfi: int | None = None
    ) -> CommandApdu:
        if sfi is None:
            assert f.sfi is not None, f"{f.path}: every EF declares its SFI (the profile loader requires one)"
            sfi = f.sfi
        p2 = (sfi << shift) | by_number
        rec = next((r for r in f.records if r.number == number), f.records[0])
        return CommandApdu(c, ins, number, p2, data, rec.record_length if le is None and not data else le)

    last_free = max(r.number for r in free.records)
    last_protected = max(r.number for r in protected.records)
    first_protected = min(r.number for r in protected.records)
    exact = next(r.record_length for r in free.records if r.number == 1)
    wrong_le = (exact + 1) % 0x100
    V = Violation
    f_df, p_df = free.parent or "MF", protected.parent or "MF"
    return [
        # single faults, on the free file
        Probe("unknown_cla", "未知的 CLA", f_df, record_apdu(free, 1, c=bad_cla), (V(g_cla, "cla_not_supported"),)),
        Probe("unknown_ins", "未知的 INS", f_df, CommandApdu(cla, bad_ins, 0, 0), (V(g_ins, "ins_not_supported"),)),
        Probe("cla_not_allowed", "该 INS 不允许的 CLA", f_df, record_apdu(free, 1, c=cla_forbidden), (V(g_cla_ins, "cla_not_supported"),)),
        Probe("record_zero", "记录号为 0（P1-P2 错）", f_df, record_apdu(free, 0, le=exact), (V(g_p1p2, "wrong_p1p2"),)),
        Probe("stray_lc", "读记录命令带数据域（Lc 错）", f_df, record_apdu(free, 1, data=stray_data), (V(g_lc, "wrong_length"),)),
        Probe("absent_sfi", "短文件标识符不存在", f_df, record_apdu(free, 1, sfi=absent_sfi), (V(g_file, "file_not_found"),)),
        Probe("absent_record", "记录不存在", f_df, record_apdu(free, last_free + 1, le=exact), (V(g_record, "record_not_found"),)),
        Probe(
            "protected_record", "未取得读权限", p_df, record_apdu(protected, first_protected), (V(g_security, "security_not_satisfied"),)
        ),
        Probe("wrong_le", "Le 错误", f_df, record_apdu(free, 1, le=wrong_le), (V(g_le, "wrong_le"),)),
        # two faults at once: the earlier check must answer
        Probe(
            "unknown_cla+unknown_ins",
            "未知的 CLA 且未知的 INS",
            f_df,
            CommandApdu(bad_cla, bad_ins, 0, 0),
            (V(g_cla, "cla_not_supported"), V(g_ins, "ins_not_supported")),
        ),
        Probe(
            "cla_not_allowed+record_zero",
            "不允许的 CLA 且记录号为 0",
            f_df,
            record_apdu(free, 0, c=cla_forbidden, le=exact),
            (V(g_cla_ins, "cla_not_supported"), V(g_p1p2, "wrong_p1p2")),
        ),
        Probe(
            "record_zero+stray_lc",
            "记录号为 0 且带数据域",
            f_df,
            record_apdu(free, 0, data=stray_data),
            (V(g_p1p2, "wrong_p1p2"), V(g_lc, "wrong_length")),
        ),
        Probe(
            "stray_lc+absent_record",
            "带数据域且记录不存在",
            f_df,
            record_apdu(free, last_free + 1, data=stray_data),
            (V(g_lc, "wrong_length"), V(g_record, "record_not_found")),
        ),
        Probe(
            "absent_record+protected",
            "受保护文件中不存在的记录",
            p_df,
            record_apdu(protected, last_protected + 1, le=exact),
            (V(g_record, "record_not_found"), V(g_security, "security_not_satisfied")),
        ),
        Probe(
            "protected+wrong_le",
            "受保护文件的记录且 Le 错误",
            p_df,
            record_apdu(protected, first_protected, le=0),
            (V(g_security, "security_not_satisfied"), V(g_le, "wrong_le")),
        ),
    ]


def challenge_lengths(profile: Profile) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(allowed GET CHALLENGE lengths, refused neighbours): each allowed Le ± 1 and Le 00, unless allowed."""
    allowed = profile.command("get_challenge").byte_list("le")
    near = {0} | {n + d for n in allowed for d in (-1, 1) if 0 <= n + d <= 0xFF}
    return allowed, tuple(sorted(near - set(allowed)))


LE_CASES = ("zero", "missing", "short", "long")


def record_le_probe(profile: Profile, f: FileDef, rec: RecordDef, case: str) -> CommandApdu:
    """READ RECORD of `rec` by number through the SFI with a wrong Le (PROFILE §5 length rules on T=0).

    `case`: "zero" (Le 00 = 256), "missing" (no Le: case 1 on the wire), "short" / "long" (one off).
    """
    rr = profile.command("read_record")
    p2 = ((f.sfi or 0) << rr.byte("sfi_shift")) | rr.byte("p2_by_number")
    le = {"zero": 0, "missing": None, "short": rec.record_length - 1, "long": (rec.record_length + 1) % 0x100}
    if case not in le:
        raise ValueError(f"unknown Le case {case!r}; known: {', '.join(LE_CASES)}")
    return CommandApdu(rr.cla[0], rr.ins, rec.number, p2, b"", le[case])
