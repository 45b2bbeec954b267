"""Which APDUs SEC-ROB-1 sends: the systematic phases and the random fill, within a budget.

Everything comes from the profile: the commands it defines (CLA, INS), the CLA classes and P1/P2
edge values of its `robustness` section, `t0.max_response` for the longest Le. Each probe carries
the rule its answer is judged by (`DEFINED`: a status word of the profile; `REFUSED`: also not a
success, because the APDU is undefined or malformed; `NO_DATA`: an APDU shorter than its header
gets an error and no data) and, where it matters, the DF to select first (the reads that try to
reach protected files through malformed P1/P2).

Commands that spend a try when they carry data (VERIFY, CHANGE PIN, EXTERNAL AUTHENTICATE) are
only ever sent without data: the battery must not block the card it tests. The virtual-only test
hook (`FF 7E`, PROFILE §6.5) is never sent.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from ssc.profile.model import CommandDef, Profile, RobustnessSpec

__all__ = ["DEFINED", "NO_DATA", "PHASES", "REFUSED", "Probe", "build_probes", "protected_reads"]

DEFINED, REFUSED, NO_DATA = "defined", "refused", "no-data"
# ISO/IEC 7816-4: the CLA bits announcing secure messaging (b3 proprietary SM, b4 b3 header authenticated)
SM_BITS = (0x04, 0x0C)
# the commands whose data is compared against a PIN or a key (a try spent per wrong value)
TRY_COMMANDS = ("verify", "change_pin", "external_authenticate")
HEADER = 4
PHASES = ("cla_ins", "p1p2", "length", "truncated", "case", "sm_cla", "protected_reads", "random")
PRIORITY = ("truncated", "length", "case", "sm_cla", "protected_reads")  # kept whole unless the budget cannot hold them


@dataclass(frozen=True, slots=True)
class Probe:
    phase: str
    apdu: bytes
    rule: str  # DEFINED, REFUSED or NO_DATA
    df: str | None = None  # select this DF (by name) before sending; None: wherever the card is

    @property
    def ins(self) -> int | None:
        return self.apdu[1] if len(self.apdu) >= 2 else None


def _commands(profile: Profile) -> list[CommandDef]:
    return [c for c in profile.commands.values() if not c.virtual_only]


def _try_pairs(profile: Profile) -> set[tuple[int, int]]:
    return {(cla, profile.command(n).ins) for n in TRY_COMMANDS if n in profile.commands for cla in profile.command(n).cla}


def _hook_pairs(profile: Profile) -> set[tuple[int, int]]:
    return {(cla, c.ins) for c in profile.commands.values() if c.virtual_only for cla in c.cla}


def _defined_pairs(profile: Profile) -> set[tuple[int, int]]:
    return {(cla, c.ins) for c in _commands(profile) for cla in c.cla}


def _cla_ins(profile: Profile, spec: RobustnessSpec) -> Iterator[Probe]:
    defined, hook = _defined_pairs(profile), _hook_pairs(profile)
    for cla in spec.cla_classes:
        for ins in range(256):
            if (cla, ins) in hook:
                continue
            yield Probe("cla_ins", bytes((cla, ins, 0, 0)), DEFINED if (cla, ins) in defined else REFUSED)


def _p1p2(profile: Profile, spec: RobustnessSpec) -> Iterator[Probe]:
    tries = _try_pairs(profile)
    for c in _commands(profile):
        cla = c.cla[0]
        for p1 in spec.p1p2_edges:
            for p2 in spec.p1p2_edges:
                le = b"" if (cla, c.ins) in tries else b"\x00"  # case 2 (Le 256): no data for a try command either
                yield Probe("p1p2", bytes((cla, c.ins, p1, p2)) + le, DEFINED)


def _length(profile: Profile) -> Iterator[Probe]:
    tries = _try_pairs(profile)
    longest = profile.t0_max_response
    for c in _commands(profile):
        cla, ins = c.cla[0], c.ins
        head = bytes((cla, ins, 0, 0))
        for le in (0, 1, 255, longest % 256):
            yield Probe("length", head + bytes((le,)), DEFINED)
        if (cla, ins) in tries:
            continue
        yield Probe("length", head + b"\x00\x00\x01", REFUSED)  # extended Lc/Le: not a short APDU
        for lc in (1, 255):
            yield Probe("length", head + bytes((lc,)) + bytes(lc), DEFINED)
        yield Probe("length", head + b"\x05" + bytes(2), REFUSED)  # Lc 5, 2 data bytes
        yield Probe("length", head + b"\x01" + bytes(3), REFUSED)  # Lc 1, 3 data bytes (not Lc ‖ data ‖ Le)
        yield Probe("length", head + b"\xff" + bytes(16), REFUSED)  # Lc 255, 16 data bytes


def _truncated(profile: Profile, shortest: int) -> Iterator[Probe]:
    seen: set[bytes] = set()
    for c in _commands(profile):
        head = bytes((c.cla[0], c.ins, 0, 0))
        for n in range(shortest, HEADER):
            if head[:n] not in seen:
                seen.add(head[:n])
                yield Probe("truncated", head[:n], NO_DATA)
        yield Probe("truncated", head, DEFINED)  # 4 bytes: a case-1 APDU


def _case(profile: Profile) -> Iterator[Probe]:
    tries = _try_pairs(profile)
    for c in _commands(profile):
        cla, ins = c.cla[0], c.ins
        head = bytes((cla, ins, 0, 0))
        yield Probe("case", head, DEFINED)  # case 1
        yield Probe("case", head + b"\x00", DEFINED)  # case 2
        if (cla, ins) not in tries:
            yield Probe("case", head + b"\x02\x00\x00", DEFINED)  # case 3
            yield Probe("case", head + b"\x02\x00\x00\x00", DEFINED)  # case 4


def _sm_cla(profile: Profile) -> Iterator[Probe]:
    defined, tries, hook = _defined_pairs(profile), _try_pairs(profile), _hook_pairs(profile)
    for c in _commands(profile):
        base = c.cla[0]
        for bits in SM_BITS:
            cla = base | bits
            if (cla, c.ins) in defined or (cla, c.ins) in hook:
                continue
            yield Probe("sm_cla", bytes((cla, c.ins, 0, 0)), REFUSED)
            if (cla, c.ins) not in tries and (base, c.ins) not in tries:
                yield Probe("sm_cla", bytes((cla, c.ins, 0, 0, 6)) + bytes(6), REFUSED)  # 2 data bytes ‖ a 4-byte MAC


def protected_reads(profile: Profile, paths: list[str]) -> Iterator[Probe]:
    """READ RECORD / READ BINARY aimed at each protected file by SFI with every P2 mode (record
    files) or the SFI form (transparent files), sent with the file's DF selected and no right."""
    rd = profile.command("read_record")
    rb = profile.command("read_binary")
    shift, mask = rd.byte("sfi_shift"), rd.byte("p2_mode_mask")
    for path in paths:
        f = profile.file(path)
        df = profile.df_of(path).path
        if f.sfi is None:
            continue
        if f.is_record_file:
            numbers = sorted({r.number for r in f.records})[:2] or [1]
            for number in numbers:
                for mode in range(mask + 1):
                    yield Probe("protected_reads", bytes((rd.cla[0], rd.ins, number, f.sfi << shift | mode, 0)), DEFINED, df)
        else:
            flag = rb.byte("p1_sfi_flag")
            for p1 in (flag | f.sfi, f.sfi, flag | 0x20 | f.sfi):
                yield Probe("protected_reads", bytes((rb.cla[0], rb.ins, p1, 0, 0)), DEFINED, df)


def _random(profile: Profile, spec: RobustnessSpec, count: int) -> Iterator[Probe]:
    rng = random.Random(spec.seed)
    skip = _try_pairs(profile) | _hook_pairs(profile)
    known_cla = sorted({cla for c in _commands(profile) for cla in c.cla} | set(spec.cla_classes))
    known_ins = sorted({c.ins for c in _commands(profile)})
    made = 0
    while made < count:
        cla = rng.choice(known_cla) if rng.random() < 0.7 else rng.randrange(256)
        ins = rng.choice(known_ins) if rng.random() < 0.6 else rng.randrange(256)
        if (cla, ins) in skip:
            continue
        body = bytes(rng.randrange(256) for _ in range(2))
        shape = rng.randrange(5)
        if shape == 0:
            tail = b""
        elif shape == 1:
            tail = bytes((rng.randrange(256),))
        elif shape == 2:
            n = rng.randrange(1, 24)
            tail = bytes((n,)) + rng.randbytes(n)
        elif shape == 3:
            n = rng.randrange(1, 24)
            tail = bytes((n,)) + rng.randbytes(n) + bytes((rng.randrange(256),))
        else:
            tail = rng.randbytes(rng.randrange(1, 12))  # whatever length: often inconsistent
        made += 1
        yield Probe("random", bytes((cla, ins)) + body + tail, DEFINED)


def _sample(items: list[Probe], k: int) -> list[Probe]:
    """`k` of `items`, spread evenly (deterministic), in their order."""
    if k >= len(items):
        return items
    if k <= 0:
        return []
    return [items[i * len(items) // k] for i in range(k)]


def build_probes(
    profile: Profile, spec: RobustnessSpec, budget: int, protected: list[str], *, reader: bool = False
) -> tuple[list[Probe], dict[str, dict[str, int]]]:
    """The probes to send (at most `budget`) and, per phase, how many were planned and kept.

    The priority phases are kept whole; the CLA × INS and P1/P2 sweeps share what is left, sampled
    evenly when it is not enough; random APDUs fill the rest (at least a tenth of the budget).
    Through a `reader` the shortest truncated APDU has 2 bytes: a 1-byte command cannot cross
    PC/SC to a card (vpcd reads a 1-byte payload as a power or ATR control code, and a reader's
    T=0 driver cannot build a header from it)."""
    phases: dict[str, list[Probe]] = {
        "truncated": list(_truncated(profile, 2 if reader else 1)),
        "length": list(_length(profile)),
        "case": list(_case(profile)),
        "sm_cla": list(_sm_cla(profile)),
        "protected_reads": list(protected_reads(profile, protected)),
        "cla_ins": list(_cla_ins(profile, spec)),
        "p1p2": list(_p1p2(profile, spec)),
    }
    systematic_room = budget - budget // 10
    kept: dict[str, list[Probe]] = {}
    must = sum(len(phases[p]) for p in PRIORITY)
    if must > systematic_room:
        for p in PRIORITY:
            kept[p] = _sample(phases[p], len(phases[p]) * systematic_room // must)
        kept["cla_ins"], kept["p1p2"] = [], []
    else:
        for p in PRIORITY:
            kept[p] = phases[p]
        room = systematic_room - must
        sweep = len(phases["cla_ins"]) + len(phases["p1p2"])
        for p in ("cla_ins", "p1p2"):
            kept[p] = phases[p] if sweep <= room else _sample(phases[p], len(phases[p]) * room // sweep)
    used = sum(len(v) for v in kept.values())
    kept["random"] = list(_random(profile, spec, budget - used))
    counts = {p: {"planned": len(phases.get(p, kept[p])), "sent": len(kept[p])} for p in PHASES}
    order = ("truncated", "length", "case", "sm_cla", "cla_ins", "p1p2", "protected_reads", "random")
    return [probe for p in order for probe in kept[p]], counts
