"""Single raw commands that need no successful SELECT first, built from the profile.

A terminated card (CARD BLOCK) refuses SELECT too, so probes that it answers 6A81 to everything
must address files by SFI and send commands as they are, without the session's usual preparation.
"""

from __future__ import annotations

from ssc.apdu import CommandApdu
from ssc.codecs import encode_pin
from ssc.profile.model import FileDef, Profile


def raw_probe(profile: Profile, command: str, *, ef_path: str, pin: str) -> CommandApdu:
    """One `command` ("select", "get_challenge", "read_record", "verify", "internal_authenticate")."""
    ssse = profile.file(profile.security.pin.df)
    ef = profile.file(ef_path)
    cmd = profile.command(command)
    if command == "select":
        if ssse.name is None:
            raise ValueError(f"{ssse.path} has no DF name: a raw SELECT by name needs one")
        return CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1_name"), cmd.byte_list("p2")[0], ssse.name)
    if command == "get_challenge":
        return CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1"), cmd.byte("p2"), b"", profile.security.challenge_external_auth)
    if command == "read_record":
        if ef.sfi is None:  # SFI 0 would silently read the current EF instead of the one asked for
            raise ValueError(f"{ef_path} has no SFI: a raw READ RECORD probe needs one")
        p2 = (ef.sfi << cmd.byte("sfi_shift")) | cmd.byte("p2_by_number")
        return CommandApdu(cmd.cla[0], cmd.ins, 1, p2, b"", ef.records[0].record_length)
    if command == "verify":
        return CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1"), cmd.byte("p2"), encode_pin(pin))
    if command == "internal_authenticate":
        irk = profile.internal_key()
        return CommandApdu(cmd.cla[0], cmd.ins, 0, irk.id, bytes(cmd.byte("lc")))
    raise ValueError(f"no raw probe for {command!r}")


def blocked_write_target(profile: Profile) -> FileDef:
    """The record file a blocked application must not let a write reach: the first linear EF inside
    the application (the DF holding the lifecycle keys) that is read free and written with a MAC
    alone. A MAC carries the whole right in the command itself, so the write would succeed if the
    application were not blocked, and the record can be read back without any key afterwards."""
    app = profile.command_key("application_block").df
    for f in profile.efs():
        read, update = f.rule("read"), f.rule("update")
        inside = f.path.startswith(app + "/")
        if inside and f.kind == "linear" and f.records and read is not None and read.is_free and update is not None and update.sm_keys:
            return f
    raise ValueError(f"profile {profile.name}: no free-read, MAC-written linear EF inside {app} to probe a blocked application with")
