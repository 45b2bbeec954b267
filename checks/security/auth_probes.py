"""Authentication and secure-messaging probes for the security review (PROFILE §5, §6.3, §6.4).

`CardSession` performs the correct sequences; the security review also needs the wrong ones, built
from the same profile data: a cryptogram under another key version or from wrong factors, an
EXTERNAL AUTHENTICATE with no challenge, a command replayed byte for byte, a command whose MAC is
flipped. Each returns the card's answer unchecked; preparatory steps (GET CHALLENGE, PSAM) raise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ssc.apdu import CommandApdu
from ssc.codecs import encode_pin
from ssc.profile.model import KeyDef, Profile
from terminal.channel import Response
from terminal.psam_client import PsamClient
from terminal.session import CardSession, InternalAuthResult

__all__ = [
    "SecuredCommand",
    "internal_auth_all_versions",
    "secured_record_update",
    "verify_pin_here",
    "external_authenticate_as",
    "external_authenticate_without_challenge",
    "national_external_keys",
    "other_key_of_df",
    "reload_pin_command",
    "replay",
    "sacrificial_key",
    "secured_command",
    "send_secured",
    "tampered",
    "wrong_cryptogram",
]


def national_external_keys(profile: Profile) -> list[KeyDef]:
    """Keys with level national and use external that an SSC terminal's PSAM holds: every one of
    the profile except those of a firewalled application (the PSE's keys are the bank's)."""
    return [k for k in profile.keys() if k.level == "national" and k.use == "external" and not profile.behind_firewall(k.df)]


def sacrificial_key(profile: Profile) -> tuple[KeyDef, int]:
    """The key version a destructive check may block for good: a national external key that no
    access rule and no card command uses, at its last version (the one least likely needed)."""
    used = {k for f in profile.files.values() for r in f.access.values() for k in r.keys}
    used |= {cmd.key for cmd in profile.commands.values() if cmd.key is not None}
    for key in national_external_keys(profile):
        if key.name not in used:
            return key, key.versions[-1]
    raise LookupError(f"profile {profile.name}: every national key is used by a rule or command; none may be blocked")


def _external_apdu(card: CardSession, key: KeyDef, version: int, data: bytes) -> CommandApdu:
    cmd = card.profile.command("external_authenticate")
    return CommandApdu(cmd.cla[0], cmd.ins, version, key.id, data)


def external_authenticate_as(
    card: CardSession, psam: PsamClient, key_name: str, derive_version: int, p1_version: int, *, here: bool = False
) -> Response:
    """GET CHALLENGE → a cryptogram under `derive_version` of the key, sent with P1 = `p1_version`
    (distinct versions: the card must refuse a cryptogram of another version). `here`: stay in
    the current DF instead of selecting the key's DF (a key looked up where it does not live)."""
    key = card.profile.key(key_name)
    factors = card.factors(key)
    psam.select_for(card.algorithm)
    psam.derive("external_auth", key, derive_version, factors)
    if not here:
        card.ensure_df(key.df)
    challenge = card.get_challenge(card.profile.security.challenge_external_auth, check=True).data
    cryptogram = psam.process(challenge, challenge)
    return card.terminal.send(_external_apdu(card, key, p1_version, cryptogram + challenge))


def wrong_cryptogram(card: CardSession, psam: PsamClient, key_name: str, version: int = 0) -> Response:
    """EXTERNAL AUTHENTICATE with a cryptogram from a key diversified for another card (every bit
    of the card factor inverted): a wrong cryptogram that costs the key version one try."""
    ident = card.identity()
    other_sn = bytes(b ^ 0xFF for b in ident.card_sn)
    return card.external_authenticate(key_name, version, psam, card_sn=other_sn, check=False)


def external_authenticate_without_challenge(card: CardSession, key_name: str, version: int = 0) -> Response:
    """EXTERNAL AUTHENTICATE right after selecting the key's DF (the SELECT consumes any earlier
    challenge): the card must answer 6984 before it compares anything (no try spent)."""
    key = card.profile.key(key_name)
    card.select_path(key.df, check=True)
    size = card.profile.command("external_authenticate").byte("lc")
    return card.terminal.send(_external_apdu(card, key, version, bytes(size)))


def replay(card: CardSession, response: Response) -> Response:
    """Send the command behind `response` again, byte for byte."""
    if not response.exchanges:
        raise ValueError("nothing to replay: the response carries no exchange")
    return card.terminal.send(response.exchanges[0][0])


@dataclass(frozen=True)
class SecuredCommand:
    apdu: CommandApdu  # with its 4-byte MAC
    what: str


def secured_command(
    card: CardSession,
    psam: PsamClient,
    command: str,
    key_name: str,
    *,
    p1: int | None = None,
    p2: int | None = None,
    data: bytes = b"",
    version: int = 0,
) -> SecuredCommand:
    """GET CHALLENGE 4 → the MAC-protected form of `command` (its CLA for MACs, P1/P2 from the
    profile unless given) with a MAC under `key_name` — the DF of the key is made current."""
    cmd = card.profile.command(command)
    key = card.profile.key(key_name)
    factors = card.factors(key)
    apdu = CommandApdu(cmd.cla[-1], cmd.ins, cmd.byte("p1") if p1 is None else p1, cmd.byte("p2") if p2 is None else p2, bytes(data))
    return SecuredCommand(card.with_mac(apdu, psam, key, version, factors, key.df, exact=False), f"{command} under {key.name}")


def tampered(secured: SecuredCommand) -> SecuredCommand:
    """The same command with the last MAC byte inverted."""
    a = secured.apdu
    data = a.data[:-1] + bytes([a.data[-1] ^ 0xFF])
    return SecuredCommand(CommandApdu(a.cla, a.ins, a.p1, a.p2, data, a.le), secured.what + " (MAC altered)")


def send_secured(card: CardSession, secured: SecuredCommand) -> Response:
    return card.terminal.send(secured.apdu)


def reload_pin_command(card: CardSession, psam: PsamClient, pin: str, *, puk_name: str | None = None, version: int = 0) -> SecuredCommand:
    """The RELOAD PIN command for `pin`: PIN block enciphered under the PUK (the key the profile
    binds to RELOAD PIN unless `puk_name` names another), MAC under the same key (PROFILE §5,
    §6.4). Send it after EXTERNAL AUTHENTICATE with that PUK version."""
    from ssc.crypto.recipes import pin_block

    puk = card.profile.command_key("reload_pin") if puk_name is None else card.profile.key(puk_name)
    factors = card.factors(puk)
    psam.select_for(card.algorithm)
    psam.derive("mac", puk, version, factors)
    block = psam.encipher(pin_block(pin, card.algorithm))
    return secured_command(card, psam, "reload_pin", puk.name, data=block, version=version)


def internal_auth_all_versions(card: CardSession, psam: PsamClient) -> list[InternalAuthResult]:
    """INTERNAL AUTHENTICATE with every version of the IRK on the same F and D (so results of
    distinct versions must differ), each verified against the PSAM."""
    irk = card.profile.internal_key()
    half = card.profile.command("internal_authenticate").byte("lc") // 2
    f, d = os.urandom(half), os.urandom(half)
    return [card.internal_authenticate_and_verify(psam, version=v, f=f, d=d, check=False) for v in irk.versions]


def verify_pin_here(card: CardSession, pin: str) -> Response:
    """VERIFY in the current DF, wherever that is (outside the PIN's application → 6A88)."""
    cmd = card.profile.command("verify")
    return card.terminal.send(CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1"), cmd.byte("p2"), encode_pin(pin)))


def secured_record_update(
    card: CardSession, psam: PsamClient, path: str, record: bytes, key_name: str | None = None, *, version: int = 0
) -> SecuredCommand:
    """UPDATE RECORD of `record` with CLA 04 and a MAC under the file's SM key (not sent)."""
    key = card.sm_key(path, "update", key_name)
    factors = card.factors(key)
    apdu = card.record_apdu("update_record", path, bytes(record), None, cla=card.mac_cla("update_record"))
    secured = card.with_mac(apdu, psam, key, version, factors, card.profile.df_of(path).path)
    return SecuredCommand(secured, f"secure update of {path} under {key.name}")


def other_key_of_df(profile: Profile, path: str, right: str) -> KeyDef:
    """A key of `path`'s DF that the `right` rule does not name (a MAC under it is a MAC under the
    wrong key, not a corrupted one): the first such key the terminal authenticates with."""
    rule = profile.file(path).rule(right)
    named = rule.keys if rule is not None else frozenset()
    for key in profile.df_of(path).keys.values():
        if key.use == "external" and key.name not in named:
            return key
    raise LookupError(f"profile {profile.name}: the DF of {path} has no key besides {', '.join(sorted(named))}")
