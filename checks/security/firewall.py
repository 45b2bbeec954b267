"""Firewall probes (SEC-FW-1, PROFILE §6.5) that never hand a secret to the other application.

On a real dual-application card the PSE is a bank's application: presenting the SSC PIN there can
spend a try of the bank PIN, and a cryptogram derived from SSC keys sent to the PSE tells the
bank's COS something about SSC keys. So the firewall is proven only with commands that carry no
secret of the application they are sent to: security states gained with SSSE secrets *inside
SSSE* must not open PSE files (read / update attempts carry no secret), and what the PSE hands out
without a secret (a challenge, a free read) must not serve in SSSE.
"""

from __future__ import annotations

from collections.abc import Iterable

from ssc.apdu import CommandApdu
from ssc.profile.model import Profile
from terminal.channel import Response
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from terminal.transports.tracing import TraceEntry

__all__ = ["foreign_challenge_in_home_app", "secret_free_in", "secrets_sent_behind_firewall"]

# The commands whose data carry a secret or a value derived from one (PROFILE §5, §6): never sent
# while a firewalled DF is current.
SECRET_COMMANDS = ("verify", "change_pin", "external_authenticate", "reload_pin", "unblock_pin")


_SW1_DONE = (0x90, 0x61)  # a SELECT answered ok, or ok with the FCI pending (T=0)


def secret_free_in(profile: Profile, command: bytes) -> bool:
    """Whether `command` (CLA INS ...) is not one of the secret-carrying commands of the profile."""
    return all(profile.command(name).ins != command[1] for name in SECRET_COMMANDS if name in profile.commands)


def secrets_sent_behind_firewall(profile: Profile, entries: Iterable[TraceEntry]) -> list[str]:
    """Secret-carrying commands of the trace `entries` sent while a firewalled DF was current.

    The current DF is followed from the trace alone (successful SELECTs by DF name or DF FID; a
    reset returns to the MF), so the check holds whatever helper sent the commands.
    """
    select = profile.command("select")
    by_name = {f.name: f.path for f in profile.files.values() if f.is_df and f.name is not None}
    by_fid: dict[int, list[str]] = {}
    for f in profile.files.values():
        if f.is_df:
            by_fid.setdefault(f.fid, []).append(f.path)
    behind = False
    leaks = []
    for entry in entries:
        if entry.kind != "apdu":
            behind = False
            continue
        command, response = entry.command.value, entry.response.value
        if len(command) < 4:
            continue
        if command[1] == select.ins:
            data = command[5 : 5 + command[4]] if len(command) > 5 else b""
            if len(response) >= 2 and response[-2] in _SW1_DONE:
                if command[2] == select.byte("p1_name") and data in by_name:
                    behind = profile.behind_firewall(by_name[data])
                elif command[2] == select.byte("p1_fid") and len(data) == 2 and data[0] << 8 | data[1] in by_fid:
                    behind = all(profile.behind_firewall(p) for p in by_fid[data[0] << 8 | data[1]])
            continue
        if behind and not secret_free_in(profile, command):
            leaks.append(f"APDU #{entry.index} {command[:4].hex().upper()}")
    return leaks


def foreign_challenge_in_home_app(card: CardSession, psam: PsamClient, foreign_df: str, key_name: str) -> Response:
    """Take a challenge in `foreign_df` (GET CHALLENGE carries no secret), go back to the DF of
    SSSE key `key_name` and answer that challenge there with a correct cryptogram.

    A firewalled card answers as if no challenge were pending (the challenge belongs to the other
    application and, PROFILE §5, is consumed by the SELECT anyway): 6984, no try spent. A card that
    lets the PSE's challenge serve SSSE's EXTERNAL AUTHENTICATE answers 9000.
    """
    key = card.profile.key(key_name)
    factors = card.factors(key)
    psam.select_for(card.algorithm)
    psam.derive("external_auth", key, 0, factors)
    card.select_path(foreign_df, check=True)
    challenge = card.get_challenge(card.profile.security.challenge_external_auth, check=True).data
    card.select_path(key.df, check=True)
    cryptogram = psam.process(challenge, challenge)
    command = card.profile.command("external_authenticate")
    apdu = CommandApdu(command.cla[0], command.ins, 0, key.id, cryptogram + challenge)
    return card.terminal.send(apdu)
