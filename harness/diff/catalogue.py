"""The operations a lockstep diff draws from, generated from the profile (every command, every form).

Each file, key and command of the profile gives its operations: SELECT by name, by path of FIDs
and by child FID; READ RECORD by every record number (one past the last as well) and by tag, with
and without the read right (under the right, every record by number and by tag in one
operation as well); READ BINARY at the start, the end and past the end; UPDATE of every
file the terminal can write (a changed value, and the original back), with the right and without
it, and with the right but a record under a wrong tag; secure-messaging updates with right, wrong
and other keys' MACs, replayed (the same command sent twice: its challenge is spent) and, when the
run allows destructive operations, sent while the application is blocked; GET CHALLENGE of every length; EXTERNAL
AUTHENTICATE of every key the terminal's PSAM serves, active and every version, right, wrong and
replayed; INTERNAL AUTHENTICATE of every version; VERIFY and CHANGE PIN (and CHANGE PIN followed by a
read of a file the PIN alone opens, with no other grant: the PIN state it sets); CHANGE PIN and
RELOAD PIN to a PIN of the shortest and of the longest length the profile allows, proven by VERIFY
and given back, and CHANGE PIN to one byte out of bounds (refused, the PIN unchanged); resets.
Destructive ones (APPEND on the cyclic file, APPLICATION BLOCK / UNBLOCK, the PIN run down to its
last try and to blocked, CHANGE PIN tried there, then unblocked) only when the run allows them;
the PIN run-down is not drawn when the terminal's PSAM does not serve the key UNBLOCK PIN needs
(no way back from a blocked PIN).

Torn writes (`tearing_probes`) are drawn only for a card that answers the tearing test hook
(PROFILE §6.5, virtual cards): an update, VERIFY or EXTERNAL AUTHENTICATE with a power cut armed,
then what it touched read back.

Malformed commands are raw APDUs (`malformed_apdus`): unknown instructions (half of them under a
class byte the profile uses, where the answer must be "INS not supported", not another class
error), the non-writing commands with another class byte, other P1-P2 (half of them near a real
address: a small record number, a file's SFI with any mode bits), a wrong Lc or Le, headers cut
to 2 or 3 bytes, and READ RECORD of a read-protected file with a reserved P2 mode (which must be
refused, never answered with the record). Writing commands are only ever sent malformed with a class byte no
profile command uses, so a malformed APDU cannot write a file the run would then have to restore.
"""

from __future__ import annotations

import random

from checks.security.access_plan import AUTH, Condition, build_plan, format_conditions
from harness.replay.operations import BINARY_PROBE, Operation
from ssc.profile.access import AccessRule, Pin
from ssc.profile.model import Profile
from terminal.grants import terminal_can_grant

__all__ = ["TEAR_PAST", "can_unblock_pin", "catalogue", "firewall_probes", "key_near_misses", "malformed_apdus", "tearing_probes"]

TEAR_PAST = 256  # a cut this far past the middle of a write has P1 set: a hook that reads P2 alone cuts in the middle
TRY_CUTS = ("0", "1")  # a try counter: before its byte (SEC-TEAR-2: no answer, no try spent) and after it

_NON_WRITING = ("select", "read_binary", "read_record", "get_challenge", "get_response", "internal_authenticate")
_WRITING = ("update_binary", "update_record", "append_record", "verify", "change_pin", "external_authenticate")


def catalogue(profile: Profile, *, destructive: bool = False) -> list[Operation]:
    """Every operation of the lockstep for `profile`, simplest first (Hypothesis shrinks towards
    the start of the list)."""
    ops: list[Operation] = [Operation.of("reset"), Operation.of("select", path="MF", by="fid")]
    ops += [Operation.of("get_challenge", n=str(n)) for n in profile.command("get_challenge").byte_list("le")]
    ops += [Operation.of("verify", pin="right"), Operation.of("verify", pin="wrong")]
    for f in profile.files.values():
        if f.path == "MF":
            continue
        if f.is_df and f.name is not None:
            ops.append(Operation.of("select", path=f.path, by="name"))
        ops.append(Operation.of("select", path=f.path, by="fid"))
        ops.append(Operation.of("select", path=f.path, by="child"))
    for f in profile.efs():
        ops += _reads(profile, f.path)
        ops += _writes(profile, f.path, destructive)
    for key in profile.keys():
        if key.use != "external" or not terminal_can_grant_key(profile, key.name):
            continue
        for version in ("00", *(f"{v:02X}" for v in key.versions)):
            for cryptogram in ("right", "wrong", "replayed"):
                ops.append(Operation.of("external_authenticate", key=key.name, version=version, cryptogram=cryptogram))
    for case in build_plan(profile):  # the access-control plan: each file right after its conditions
        if case.right in ("read", "update") and all(c.key is None or terminal_can_grant_key(profile, c.key) for c in case.conditions):
            if case.right == "update" and not terminal_can_grant(profile, case.file, "read"):
                continue
            ops.append(Operation.of("access", path=case.file, right=case.right, conditions=format_conditions(case.conditions)))
    ops += firewall_probes(profile)
    ops.append(Operation.of("read_all"))  # every file under its right: a personalization fault wherever it is
    irk = profile.internal_key()
    ops += [Operation.of("internal_authenticate", version=v) for v in ("00", *(f"{x:02X}" for x in irk.versions))]
    ops += [Operation.of("change_pin", to="temp"), Operation.of("change_pin", to="run")]
    # CHANGE PIN sets the PIN state: each record file the PIN alone opens, read right after it
    ops += [Operation.of("change_pin", to="temp", read=f.path) for f in profile.efs() if f.is_record_file and _pin_opens(f.rule("read"))]
    ops += [
        Operation.of("reload_pin", to="temp"),
        Operation.of("reload_pin", to="run"),
        Operation.of("unblock_pin"),
        Operation.of("unblock_pin", probe="counter"),
    ]
    # PIN lengths (PROFILE §5): each boundary the profile allows set, proven and given back; one byte out refused
    ops += [Operation.of(command, to=to) for command in ("change_pin", "reload_pin") for to in ("shortest", "longest")]
    ops += [Operation.of("change_pin", to=to) for to in ("too_short", "too_long")]
    if destructive:
        for mac in ("right", "wrong"):
            ops += [Operation.of("application_block", mac=mac), Operation.of("application_unblock", mac=mac)]
        if can_unblock_pin(profile):
            ops += [Operation.of("pin_run_down", to=to) for to in ("last_try", "blocked")]
    return ops


def can_unblock_pin(profile: Profile) -> bool:
    """Whether the terminal's PSAM serves the key UNBLOCK PIN needs: without it a PIN run down to
    blocked could not be given back, so the run-down is not drawn (it also proves UNBLOCK PIN on
    the full counter before it spends a try, and falls back to RELOAD PIN only after that)."""
    return terminal_can_grant_key(profile, profile.command_key("unblock_pin").name)


def tearing_probes(profile: Profile) -> list[Operation]:
    """Torn writes, each a whole probe (only for a card that answers the tearing test hook): an
    UPDATE RECORD / BINARY of every file the terminal can both update in plain and read, cut at
    its first byte, after one, in the middle of the value (a card without anti-tearing keeps a
    mix) and `TEAR_PAST` bytes past it (the write completes, then power is cut), then read back with its right (a card that keeps a mix, or a write that
    came through where the twin's did not, diverges on the read); a right and a wrong VERIFY cut
    at each of `TRY_CUTS`, then the try counter shown by a wrong VERIFY and refilled (when the PIN
    has tries enough for that); a right and a wrong EXTERNAL AUTHENTICATE of each key the
    terminal's PSAM serves, cut the same way, then a right one."""
    out = []
    for f in profile.efs():
        update = f.rule("update")
        if update is None or update.sm_keys or f.kind == "cyclic" or "dir" in f.flags:
            continue
        if not (terminal_can_grant(profile, f.path, "read") and terminal_can_grant(profile, f.path, "update")):
            continue
        middle = _middle(profile, f.path)
        if middle is not None:
            cuts = (0, 1, middle, TEAR_PAST + middle)
            out += [Operation.of("torn_update", path=f.path, cut=str(cut), read="yes") for cut in cuts]
    if profile.security.pin.tries >= _PROBE_TRIES:
        out += [Operation.of("torn_verify", pin=pin, cut=cut, probe="counter") for pin in ("right", "wrong") for cut in TRY_CUTS]
    for key in profile.keys():
        if key.use == "external" and terminal_can_grant_key(profile, key.name):
            out += [Operation.of("torn_authenticate", key=key.name, cryptogram=c, cut=cut) for c in ("right", "wrong") for cut in TRY_CUTS]
    return out


def _middle(profile: Profile, path: str) -> int | None:
    """The byte a torn write of `path` is cut after to leave a mix: the middle of the first
    record's value (behind its tag and length; a 1-byte value cannot be mixed: one past it), or
    of the bytes a binary update rewrites; None when the file has neither."""
    f = profile.file(path)
    if f.is_record_file and f.records:
        return _TLV_HEADER + max(f.records[0].length // 2, 1)
    if f.kind == "transparent" and f.size:
        return min(f.size, BINARY_PROBE) // 2
    return None


_TLV_HEADER = 2  # a record's tag and length bytes, written with it
_PROBE_TRIES = 3  # the VERIFY probe spends up to two tries from a full counter: it needs one more left


def firewall_probes(profile: Profile) -> list[Operation]:
    """SEC-FW-1's near miss: a file behind the firewall whose rule names a key this terminal cannot
    use, read after authenticating a key it can use with the same key id (a key state must not
    cross the firewall)."""
    out = []
    usable = [k for k in profile.keys() if k.use == "external" and terminal_can_grant_key(profile, k.name)]
    for f in profile.efs():
        rule = f.rule("read")
        if rule is None or not profile.behind_firewall(f.path):
            continue
        ids = {profile.key(name).id for name in rule.keys}
        for key in usable:
            if key.id in ids:
                out.append(Operation.of("access", path=f.path, right="read", conditions=format_conditions([Condition(AUTH, key.name)])))
    return out


def key_near_misses(profile: Profile) -> list[Operation]:
    """The access plan's reads that authenticate one key which must not open them (another key of
    the file's DF, a key where the rule wants the PIN, one half of an AND rule), from a reset: the
    catalogue's `access` operations the lockstep draws as a group of their own. Among the plan's
    170 and more cases one of them was drawn once in a thousand steps or less, so a write key that
    also opens the read could go unseen for 20,000 APDUs."""
    out = []
    for case in build_plan(profile):
        if case.expect_open or case.right != "read" or len(case.conditions) != 1:
            continue
        (condition,) = case.conditions
        if condition.kind == AUTH and condition.key is not None and terminal_can_grant_key(profile, condition.key):
            out.append(Operation.of("access", path=case.file, right=case.right, conditions=format_conditions(case.conditions)))
    return out


def terminal_can_grant_key(profile: Profile, key: str) -> bool:
    """Whether the terminal's PSAM serves `key` (behaviour ``psam_key_scope``)."""
    if profile.behaviour.psam_key_scope.value == "ssse":
        return not profile.behind_firewall(profile.key(key).df)
    return True


def _near_misses(profile: Profile, path: str) -> list[str]:
    """The security states an access is tried in: none, the legitimate grant (rule), the PIN
    alone, and each external key of the file's DF alone (another key must not open it)."""
    out = ["none", "pin"]
    keys = [k.name for k in profile.df_of(path).keys.values() if k.use == "external" and terminal_can_grant_key(profile, k.name)]
    out += [f"key:{k}" for k in keys]
    return out


def _reads(profile: Profile, path: str) -> list[Operation]:
    f = profile.file(path)
    out = []
    auths = _near_misses(profile, path) + (["rule"] if terminal_can_grant(profile, path, "read") else [])
    if "dir" in f.flags:
        count = sum(1 for d in profile.children(profile.df_of(path).path) if d.kind == "adf")
    elif f.kind == "cyclic":
        count = f.record_count or 0
    else:
        count = len(f.records)
    for auth in auths:
        # every record (one past the last too) and every tag with no right and with the right;
        # the near misses (the PIN alone, another key) on the first record
        numbers = range(1, count + 2) if auth in ("none", "rule") else range(1, 2)
        tags = [r.tag for r in f.records] if auth in ("none", "rule") and f.kind != "cyclic" else []
        if f.is_record_file:
            # under the right, each record by number and by tag in one operation (a whole probe):
            # a tag that reads another record than its number shows only there
            both = auth == "rule" and bool(tags)
            out.append(Operation.of("read_records", path=path, auth=auth, **({"by": "both"} if both else {})))
            out += [Operation.of("read_record", path=path, number=str(n), auth=auth) for n in numbers]
            out += [Operation.of("read_record", path=path, tag=f"{t:02X}", auth=auth) for t in tags]
        elif f.size:
            for offset in sorted({0, max(f.size - 16, 0), f.size}):
                out.append(Operation.of("read_binary", path=path, offset=str(offset), auth=auth))
    return out


def _writes(profile: Profile, path: str, destructive: bool) -> list[Operation]:
    f = profile.file(path)
    out = []
    update = f.rule("update")
    readable = terminal_can_grant(profile, path, "read")
    if update is not None and readable and f.kind != "cyclic" and "dir" not in f.flags:
        if update.sm_keys:
            for mac in ("right", "wrong", "other", "replayed"):
                for value in ("changed", "original"):
                    out.append(Operation.of("sm_update", path=path, mac=mac, value=value))
            out.append(Operation.of("sm_update", path=path, mac="right", value="wrong_tag"))
            if destructive:
                out += [Operation.of("blocked_sm_update", path=path, value=value) for value in ("changed", "original")]
        else:
            auths = _near_misses(profile, path) + (["rule"] if terminal_can_grant(profile, path, "update") else [])
            for auth in auths:
                for value in ("changed", "original"):
                    if f.is_record_file:
                        out.append(Operation.of("update_record", path=path, value=value, auth=auth))
                    elif f.size:
                        out.append(Operation.of("update_binary", path=path, value=value, auth=auth))
            if f.is_record_file and "rule" in auths:  # granted, but the record's tag is wrong: refused, nothing stored
                out.append(Operation.of("update_record", path=path, value="wrong_tag", auth="rule"))
    if f.kind == "cyclic" and destructive and f.rule("append") is not None:
        out += [Operation.of("append_record", path=path, mac=mac) for mac in ("right", "wrong")]
        out.append(Operation.of("append_record", path=path, mac="right", times="fill"))
    return out


def malformed_apdus(profile: Profile, rng: random.Random, count: int) -> list[bytes]:
    """`count` raw APDUs a card must refuse with a defined status word (see the module docstring)."""
    known_ins = {c.ins for c in profile.commands.values()}
    used_cla = sorted({cla for c in profile.commands.values() for cla in c.cla})
    free_cla = [c for c in range(256) if c not in used_cla]
    free_ins = [i for i in range(256) if i not in known_ins]
    non_writing = [profile.command(n) for n in _NON_WRITING]
    writing = [profile.command(n) for n in _WRITING]
    sfis = sorted({f.sfi for f in profile.efs() if f.sfi is not None})
    read_record = profile.command("read_record")
    modes = (read_record.byte("p2_by_number"), read_record.byte("p2_by_tag"))
    reserved = [m for m in range(read_record.byte("p2_mode_mask") + 1) if m not in modes]
    protected = sorted({f.sfi for f in profile.efs() if f.sfi is not None and f.is_record_file and not _is_free(f.rule("read"))})

    def byte() -> int:
        return rng.randrange(256)

    def body() -> bytes:
        return rng.randbytes(rng.choice((0, 0, 1, 2, 4, 8, 16, 24)))

    def le() -> int | None:
        return None if rng.random() < 0.5 else byte()

    def p1p2() -> tuple[int, int]:
        # half the time near a real address: a small record number, a file's SFI with any mode bits
        if rng.random() < 0.5 or not sfis:
            return byte(), byte()
        return rng.randrange(5), rng.choice(sfis) << 3 | rng.randrange(8)

    out = []
    for _ in range(count):
        kind = rng.randrange(6)
        if kind == 0:  # an unknown instruction, half the time inside a class the profile uses
            cla = rng.choice(used_cla) if rng.random() < 0.5 else byte()
            apdu = _short(cla, rng.choice(free_ins), byte(), byte(), body(), le())
        elif kind == 1:
            cmd = rng.choice(non_writing)
            apdu = _short(cmd.cla[0], cmd.ins, *p1p2(), body(), le())
        elif kind == 2:
            cmd = rng.choice(non_writing + writing)
            apdu = _short(rng.choice(free_cla), cmd.ins, 0, 0, body(), None)
        elif kind == 3:
            cmd = rng.choice(non_writing)
            data = body()
            lc = rng.choice([n for n in range(256) if n not in (len(data), len(data) - 1)])
            apdu = bytes([cmd.cla[0], cmd.ins, 0, 0, lc]) + data
        elif kind == 4 or not (protected and reserved):  # a header cut short: 2 or 3 bytes (a 1-byte command cannot cross PC/SC)
            cmd = rng.choice(non_writing)
            apdu = bytes([cmd.cla[0], cmd.ins, byte()])[: rng.choice((2, 3))]
        else:  # READ RECORD of a protected file with a reserved P2 mode: refused, never its data
            apdu = _short(
                read_record.cla[0], read_record.ins, rng.randrange(1, 4), rng.choice(protected) << 3 | rng.choice(reserved), b"", 0
            )
        out.append(apdu)
    return out


def _pin_opens(rule: AccessRule | None) -> bool:
    return rule is not None and frozenset({Pin()}) in rule.minimal_grants()


def _is_free(rule: AccessRule | None) -> bool:
    return rule is None or rule.is_free


def _short(cla: int, ins: int, p1: int, p2: int, data: bytes, le: int | None) -> bytes:
    out = bytes([cla, ins, p1, p2])
    if data:
        out += bytes([len(data)]) + data
    if le is not None:
        out += bytes([le])
    if len(out) == 4:
        out += b"\x00"
    return out
