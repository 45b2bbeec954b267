"""Terminal-side helpers for the reference-card tests.

Everything a test expects is computed here from the profile, the public test key set and the
personalization — never read from the card's private state — so a card bug cannot hide behind
shared code: keys are derived with `ssc.keyset`, cryptograms and MACs with `ssc.crypto.recipes`.
"""

from __future__ import annotations

from dataclasses import dataclass

from reference_card import ReferenceCard
from reference_card.personalization import DEFAULT_CARD_PATH, load_personalization
from ssc.codecs import encode_pin
from ssc.crypto.recipes import auth_cryptogram, command_mac, encipher_pin_block
from ssc.keyset import TestKeySet, derive_card_key
from ssc.profile.model import Profile
from tests.unit.rig import PIN

H = bytes.fromhex
PERSO = load_personalization(DEFAULT_CARD_PATH)
__all__ = ["PERSO", "PIN", "SSSE_NAME", "Host", "Response", "new_card"]
SSSE_NAME = H("7378312E73682EC9E7BBE1B1A3D5CF")


@dataclass
class Response:
    data: bytes
    sw: int

    @property
    def sw_hex(self) -> str:
        return f"{self.sw:04X}"


def new_card(generation: str = "gen2", **kwargs: object) -> ReferenceCard:
    card = ReferenceCard.default(generation, **kwargs)
    card.power_on()
    return card


class Host:
    """A minimal terminal over one card: raw APDUs plus the crypto a terminal with the test
    roots would do."""

    def __init__(self, card: ReferenceCard) -> None:
        self.card = card
        self.profile: Profile = card.profile
        self.keyset = TestKeySet.for_profile(self.profile)
        self.card_sn = self.profile.atr.card_sn_of(card.atr)
        self.region = PERSO.region

    # -- raw -----------------------------------------------------------------------------------
    def send(self, apdu: bytes | str) -> Response:
        raw = H(apdu) if isinstance(apdu, str) else apdu
        out = self.card.process(raw)
        return Response(out[:-2], int.from_bytes(out[-2:], "big"))

    def sw(self, name: str, x: int | None = None) -> int:
        return self.profile.sw[name].with_value(x) if x is not None else self.profile.sw[name].sw

    # -- navigation ----------------------------------------------------------------------------
    def select_fid(self, fid: int, p1: int = 0) -> Response:
        return self.send(bytes([0x00, 0xA4, p1, 0x00, 2]) + fid.to_bytes(2, "big"))

    def select_name(self, name: bytes, p2: int = 0) -> Response:
        return self.send(bytes([0x00, 0xA4, 0x04, p2, len(name)]) + name)

    def df_name(self, path: str) -> bytes:
        """The DF name (AID) the profile gives the DF at `path`, to SELECT it by."""
        name = self.profile.file(path).name
        assert name is not None, f"profile {self.profile.name} gives {path} no DF name to select it by"
        return name

    def ef_size(self, path: str) -> int:
        """The size the profile declares for the transparent EF at `path`."""
        size = self.profile.file(path).size
        assert size is not None, f"profile {self.profile.name}: {path} is not a transparent EF (it declares no size)"
        return size

    def select_path(self, path: str) -> Response:
        """Select a DF by name (or MF by FID), then an EF by FID if the path names one."""
        f = self.profile.file(path)
        df = f if f.is_df else self.profile.file(f.parent or "MF")
        r = self.select_name(df.name) if df.name else self.select_fid(df.fid)
        if f.is_ef:
            r = self.select_fid(f.fid)
        return r

    def read_record(self, number: int, sfi: int = 0, le: int | None = None, by_tag: bool = False) -> Response:
        p2 = sfi << 3 | (0 if by_tag else 4)
        apdu = bytes([0x00, 0xB2, number, p2])
        return self.send(apdu if le is None else apdu + bytes([le]))

    def read_record_auto(self, number: int, sfi: int = 0, by_tag: bool = False) -> Response:
        """READ RECORD re-issued with the exact Le after 6Cxx, as deployed readers do."""
        r = self.read_record(number, sfi, 0, by_tag)
        if r.sw >> 8 == 0x6C:
            r = self.read_record(number, sfi, r.sw & 0xFF, by_tag)
        return r

    # -- crypto --------------------------------------------------------------------------------
    def key(self, name: str, version: int | None = None) -> bytes:
        kdef = self.profile.key(name)
        return derive_card_key(self.profile, self.keyset, kdef, version or kdef.active, self.region, self.card_sn)

    def challenge(self, length: int) -> bytes:
        r = self.send(bytes([0x00, 0x84, 0x00, 0x00, length]))
        assert r.sw == self.sw("ok"), r.sw_hex
        return r.data

    def external_auth(self, name: str, version: int = 0, *, key: bytes | None = None, tamper: bool = False) -> Response:
        kdef = self.profile.key(name)
        r = self.challenge(self.profile.security.challenge_external_auth)
        k = key if key is not None else self.key(name, version or kdef.active)
        crypt = auth_cryptogram(self.profile.algorithm, k, r, r)
        if tamper:
            crypt = bytes([crypt[0] ^ 1]) + crypt[1:]
        return self.send(bytes([0x00, 0x82, version, kdef.id, 16]) + crypt + r)

    def verify(self, pin: str = PIN) -> Response:
        data = encode_pin(pin)
        return self.send(bytes([0x00, 0x20, 0x00, 0x00, len(data)]) + data)

    def mac_apdu(
        self,
        header: bytes,
        payload: bytes,
        key_name: str,
        version: int | None = None,
        *,
        key: bytes | None = None,
        challenge: bytes | None = None,
    ) -> bytes:
        """GET CHALLENGE 04 then CLA INS P1 P2 Lc ‖ payload ‖ MAC (PROFILE §6.4)."""
        r4 = challenge if challenge is not None else self.challenge(self.profile.security.challenge_mac)
        k = key if key is not None else self.key(key_name, version)
        body = header + bytes([len(payload) + 4]) + payload
        return body + command_mac(self.profile.algorithm, k, r4, body)

    def pin_block(self, pin: str, puk_version: int | None = None) -> bytes:
        return encipher_pin_block(self.profile.algorithm, self.key("PUK", puk_version), pin)
