"""Terminal operations on an SSC: thin, profile-driven sequences of APDUs (PROFILE §3–§6).

Each operation builds its APDUs from the profile (INS, P1/P2 codes, FIDs, SFIs, lengths) and
sends them through a `Terminal`; nothing here knows a byte of the standard by heart. Operations
return the card's `Response` (or a decoded value where the point is the value). With
``check=True`` (the session default) an answer other than the one expected raises
`OperationError` naming the APDU, the expected and the actual status word; with ``check=False``
the final command's answer is returned as is, for conformance tests that expect a refusal.
Preparatory steps (GET CHALLENGE, PSAM work, selecting the DF) always raise when they fail,
because the operation cannot go on without them.

Keys: the session never holds a key. Authentication and MACs go through a `PsamClient`, with the
card's diversification factors computed from its identity (card SN from the ATR, region from the
card identification code in SSSE/EF05), see `CardSession.identity()`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass

from ssc.apdu import CommandApdu
from ssc.bilingual import bilingual, word_zh
from ssc.codecs import decode_an, decode_cn, encode_pin
from ssc.crypto.algorithm import Algorithm
from ssc.crypto.recipes import pin_block
from ssc.keyset import diversification_factors
from ssc.profile import builtin_profiles, load_profile
from ssc.profile.model import FileDef, KeyDef, Profile, RecordDef, TlvTemplate
from ssc.tlv import find_tag, parse_record
from terminal.channel import Response, Terminal
from terminal.errors import AnswerError
from terminal.psam_client import PsamClient
from terminal.wording import operation_zh

__all__ = [
    "CardIdentity",
    "CardSession",
    "InternalAuthResult",
    "OperationError",
    "card_identity",
    "find_item",
]

# Profile names this module relies on (identifiers in the profile data, not byte values).
_ITEM_CARD_ID = "card_id_code"
_ITEM_SPEC_VERSION = "spec_version"
_ITEM_CARD_NUMBER = "card_number"
_REGION_CHECK = "region_code"  # records holding a GB/T 2260 region code, BCD
_ALG_PLACEHOLDER = "alg_id"
_FID_BYTES = 2  # ISO/IEC 7816-4: a file identifier is two bytes


class OperationError(AnswerError):
    """A card answer other than the one the operation expected."""

    def __init__(self, apdu: CommandApdu | bytes | None, response: Response | None, message: str) -> None:
        super().__init__(message)
        self.apdu = apdu
        self.response = response


@dataclass(frozen=True)
class CardIdentity:
    """Who the card says it is: enough to compute its diversification factors and pick a profile."""

    atr: bytes
    card_sn: bytes  # the card-level diversification factor (ATR T6–T13)
    region: str  # issuing region code from the card identification code (bytes 1–3, BCD)
    card_number: str
    spec_version: str
    generation: int | None  # from the built-in profile with this spec version; None if unknown
    algorithm_id: int | None  # from the SSSE FCI; None if the FCI did not carry it
    card_id_code: bytes


@dataclass(frozen=True)
class InternalAuthResult:
    response: Response
    card_result: bytes
    expected: bytes  # what the PSAM computed with the national key set
    f: bytes
    d: bytes

    @property
    def verified(self) -> bool:
        return self.response.ok and self.card_result == self.expected


def find_item(profile: Profile, item: str) -> tuple[FileDef, RecordDef]:
    """The EF and record that hold data item `item` (a record's `item` name in the profile)."""
    hits = [(f, r) for f in profile.efs() for r in f.records if r.item == item]
    if not hits:
        known = sorted({r.item for f in profile.efs() for r in f.records})
        raise KeyError(f"profile {profile.name} has no data item {item!r}; items: {', '.join(known)}")
    if len(hits) > 1:
        raise KeyError(f"data item {item!r} is ambiguous in profile {profile.name}: {[f.path for f, _ in hits]}")
    return hits[0]


@functools.cache
def _generation_by_spec_version() -> dict[str, int]:
    out: dict[str, int] = {}
    for name in builtin_profiles():
        p = load_profile(name)
        out.setdefault(p.spec_version, p.generation)
    return out


class CardSession:
    """Operations on one card through one terminal: ``CardSession(terminal, region=None, check=True)``.

    The session tracks the DF it last selected so it does not re-select needlessly: the card
    clears key-authentication states when the current DF changes (PROFILE §3.3), so a needless
    MF → SSSE → DF walk would lose them. Use `reset()` here rather than on the terminal.
    `region` overrides the region read from the card (e.g. a card with a damaged EF05); `identity`
    is one already read (a second session on the same card need not read it again, and can do
    without it when the card's EF05 is being rewritten). `items_by_number` (off by default, so
    checks of READ RECORD by tag see a refusal): a data item the card refuses to read by tag is
    read again by record number, the other legitimate path (the learner must know a card's
    identity even when its by-tag reading is the fault it is to find).
    """

    items_by_number: bool = False

    def __init__(self, terminal: Terminal, *, region: str | None = None, check: bool = True, identity: CardIdentity | None = None) -> None:
        self.terminal = terminal
        self.profile = terminal.profile
        self.check = check
        self.region = region
        self.current_df: str | None = None
        self.current_ef: str | None = None
        self.last_fci: bytes | None = None
        self._identity: CardIdentity | None = identity
        p = self.profile
        self._select = p.command("select")
        self._df_by_name = {f.name: f.path for f in p.files.values() if f.is_df and f.name is not None}

    @property
    def algorithm(self) -> Algorithm:
        return self.profile.algorithm

    # -- plumbing -------------------------------------------------------------------------------

    def _apdu(self, command: str, p1: int, p2: int, data: bytes = b"", le: int | None = None, *, cla: int | None = None) -> CommandApdu:
        cmd = self.profile.command(command)
        return CommandApdu(cmd.cla[0] if cla is None else cla, cmd.ins, p1, p2, data, le)

    def _challenge_apdu(self, n: int) -> CommandApdu:
        """GET CHALLENGE with Le `n` (P1/P2 from the profile)."""
        cmd = self.profile.command("get_challenge")
        return self._apdu("get_challenge", cmd.byte("p1"), cmd.byte("p2"), b"", n)

    def mac_cla(self, command: str) -> int:
        """The CLA of the MAC-protected form: the last CLA the profile allows (``cla: [plain, MAC]``)."""
        return self.profile.command(command).cla[-1]

    def _send(self, apdu: CommandApdu, what: str, check: bool | None, *, raw: bool = False, expect: str = "ok") -> Response:
        response = self.terminal.send(apdu, raw=raw)
        if not raw and (self.check if check is None else check) and not response.means(expect):
            expected = self.profile.sw[expect]
            shown = self._apdu_text(apdu)
            raise OperationError(
                apdu,
                response,
                bilingual(
                    f"{operation_zh(what)}：{shown} → 预期 {expected.label}，实际 {word_zh(response.sw, response.status)}",
                    f"{what}: {shown} → expected {expected.pattern} {expected.en}, got {response.describe()}",
                ),
            )
        return response

    def _apdu_text(self, apdu: CommandApdu) -> str:
        """The APDU for a message, with the data of PIN/key-carrying commands masked."""
        sensitive = any(c.sensitive and c.ins == apdu.ins and apdu.cla in c.cla for c in self.profile.commands.values())
        if sensitive and apdu.data:
            return f"{apdu.header.hex().upper()} {len(apdu.data):02X} {'**' * len(apdu.data)} (masked)"
        return apdu.to_bytes().hex().upper()

    def get_response(self, le: int) -> Response:
        """GET RESPONSE with Le `le`, answered raw (the T=0 layer must not interfere)."""
        cmd = self.profile.command("get_response")
        return self._send(self._apdu("get_response", cmd.byte("p1"), cmd.byte("p2"), b"", le), "get response", False, raw=True)

    def _must(self, apdu: CommandApdu, what: str) -> Response:
        return self._send(apdu, what, True)

    def forget_selection(self) -> None:
        """Forget what is selected: after a SELECT sent outside this session (raw probes), the
        session re-selects before its next file operation instead of trusting a stale record."""
        self.current_df = self.current_ef = None

    def reset(self) -> bytes:
        """Reset the card; forgets selection (the identity is kept: the card did not change)."""
        atr = self.terminal.reset()
        self.current_df = self.current_ef = None
        return atr

    def power_cycle(self) -> bytes:
        """Cold reset (the power removed and applied again); forgets selection like `reset`."""
        atr = self.terminal.power_cycle()
        self.current_df = self.current_ef = None
        return atr

    # -- selection ------------------------------------------------------------------------------

    def select_mf(self, *, check: bool | None = None) -> Response:
        mf = self.profile.file("MF")
        response = self._send(
            self._apdu("select", self._select.byte("p1_fid"), self._p2(), mf.fid.to_bytes(_FID_BYTES, "big")), "select MF", check
        )
        if response.ok:
            self.current_df, self.current_ef = mf.path, None
        return response

    def select_by_name(self, name: bytes, *, check: bool | None = None, raw: bool = False) -> Response:
        """SELECT by DF name; the response data is the FCI (after GET RESPONSE on T=0)."""
        response = self._send(
            self._apdu("select", self._select.byte("p1_name"), self._p2(), bytes(name)),
            f"select {bytes(name).hex().upper()} by name",
            check,
            raw=raw,
        )
        if response.ok or response.means("more_data"):
            self.current_df, self.current_ef = self._df_by_name.get(bytes(name)), None
            self.last_fci = response.data if response.ok else None
        return response

    def select_path(self, path: str, *, by: str = "name", check: bool | None = None) -> Response:
        """Select a file by profile path ("SSSE/DF04/EF05").

        ``by="name"``: the file's DF by name (its FCI in `last_fci`), then the EF by FID.
        ``by="fid"``: MF, then every DF and the EF by FID along the tree. Returns the last answer
        (for a DF selected by name: the FCI).
        """
        if by not in ("name", "fid"):
            raise ValueError(f"by must be 'name' or 'fid', got {by!r}")
        f = self.profile.file(path)
        df = self.profile.df_of(path)
        if by == "name" and df.name is not None:
            response = self.select_by_name(df.name, check=check)
        else:
            response = self.select_mf(check=check)
            for step in self._ancestry(df.path):
                if not response.ok:
                    return response
                response = self._select_fid(step, self._select.byte("p1_fid"), check)
        if f.is_ef and response.ok:
            response = self._select_fid(f, self._select.byte("p1_ef"), check)
        return response

    def ensure_df(self, path: str) -> None:
        """Make `path` (a DF) the current DF unless it already is."""
        if self.current_df != path:
            self.select_path(path, check=True)

    def ensure_inside(self, path: str) -> None:
        """Make sure the current DF is `path` or below it (PIN and IRK work anywhere in SSSE)."""
        if self.current_df is None or not (self.current_df == path or self.current_df.startswith(path + "/")):
            self.select_path(path, check=True)

    def select_ef(self, path: str, *, check: bool | None = None) -> Response:
        """SELECT the EF `path` by FID inside its DF (selected first if needed); the security
        state of the DF is kept, as PROFILE §3.3 says selecting an EF keeps it."""
        f = self.profile.file(path)
        self.ensure_df(self.profile.df_of(path).path)
        return self._select_fid(f, self.profile.command("select").byte("p1_ef"), check)

    def _select_fid(self, f: FileDef, p1: int, check: bool | None) -> Response:
        response = self._send(self._apdu("select", p1, self._p2(), f.fid.to_bytes(_FID_BYTES, "big")), f"select {f.path} by FID", check)
        if response.ok:
            if f.is_df:
                self.current_df, self.current_ef = f.path, None
            else:
                self.current_ef = f.path
        return response

    def _ancestry(self, df_path: str) -> list[FileDef]:
        if df_path == "MF":
            return []
        parts = df_path.split("/")
        return [self.profile.file("/".join(parts[: i + 1])) for i in range(len(parts))]

    def _p2(self) -> int:
        return self._select.byte_list("p2")[0]

    # -- records --------------------------------------------------------------------------------

    def read_record(
        self,
        path: str | None = None,
        number: int | None = None,
        *,
        tag: int | None = None,
        sfi: int | None = None,
        le: int | None = None,
        check: bool | None = None,
        raw: bool = False,
    ) -> Response:
        """READ RECORD by `number` or by `tag` (record identifier).

        With `path`, the EF's DF is selected if needed and the EF is addressed by its SFI; without
        it, `sfi` addresses an EF of the current DF, and neither means the current EF. Le is the
        record's length when the profile knows it, else 00 (the card answers 6Cxx, re-issued).
        """
        if (number is None) == (tag is None):
            raise ValueError("give exactly one of number and tag")
        cmd = self.profile.command("read_record")
        rec: RecordDef | None = None
        if path is not None:
            f = self.profile.file(path)
            self.ensure_df(self.profile.df_of(path).path)
            sfi = f.sfi if sfi is None else sfi
            if tag is not None:
                rec = f.record_by_tag(tag)
            elif f.kind == "cyclic":
                rec = f.records[0]  # one layout for every record of a cyclic file
            else:
                rec = next((r for r in f.records if r.number == number), None)
        mode = cmd.byte("p2_by_number") if tag is None else cmd.byte("p2_by_tag")
        p2 = ((sfi or 0) << cmd.byte("sfi_shift")) | mode
        if le is None:
            le = rec.record_length if rec is not None else 0
        p1 = number if tag is None else tag
        what = f"read record {'#' + str(number) if tag is None else f'tag {tag:02X}'} of {path or (f'SFI {sfi:02X}' if sfi else 'the current EF')}"
        assert p1 is not None  # a record number or a tag: the caller gives one of them
        return self._send(self._apdu("read_record", p1, p2, b"", le), what, check, raw=raw)

    def read_item(self, item: str) -> str | bytes:
        """Read data item `item` (profile name, e.g. "card_number") and decode it by its format:
        `an` → str (GB18030, 00 padding stripped), `cn` → str of digits, `b` → bytes."""
        f, rec = find_item(self.profile, item)
        try:
            response = self.read_record(f.path, tag=rec.tag, check=True)
        except OperationError:
            if not self.items_by_number:
                raise
            response = self.read_record(f.path, rec.number, check=True)
        tlv = parse_record(response.data)
        if tlv.tag != rec.tag or len(tlv.value) != rec.length:
            raise OperationError(
                None,
                response,
                f"read {item}: expected record tag {rec.tag:02X} with {rec.length} bytes, got tag {tlv.tag:02X} with {len(tlv.value)}",
            )
        if rec.fmt == "an":
            return decode_an(tlv.value)
        if rec.fmt == "cn":
            return decode_cn(tlv.value)
        return tlv.value

    def update_record(self, path: str, record: bytes, *, number: int | None = None, check: bool | None = None) -> Response:
        """UPDATE RECORD (plain) by number via the EF's SFI; the number defaults to the record
        whose tag starts `record`."""
        apdu = self.record_apdu("update_record", path, bytes(record), number)
        return self._send(apdu, f"update record of {path}", check)

    def append_record(self, path: str, record: bytes, *, check: bool | None = None) -> Response:
        apdu = self.record_apdu("append_record", path, bytes(record), None)
        return self._send(apdu, f"append record to {path}", check)

    def record_apdu(self, command: str, path: str, record: bytes, number: int | None, *, cla: int | None = None) -> CommandApdu:
        f = self.profile.file(path)
        self.ensure_df(self.profile.df_of(path).path)
        cmd = self.profile.command(command)
        shift = cmd.byte("sfi_shift")
        if command == "append_record":
            p1, p2 = cmd.byte("p1"), (f.sfi or 0) << shift
        else:
            if number is None:
                rec = f.record_by_tag(record[0]) if record else None
                if rec is None:
                    raise ValueError(f"{path} has no record with tag {record[:1].hex().upper()}; give number=")
                number = rec.number
            p1, p2 = number, ((f.sfi or 0) << shift) | cmd.byte("p2_by_number")
        return self._apdu(command, p1, p2, record, cla=cla)

    # -- transparent files ----------------------------------------------------------------------

    def read_binary(
        self, path: str | None = None, offset: int = 0, length: int | None = None, *, check: bool | None = None, raw: bool = False
    ) -> Response:
        """READ BINARY of `length` bytes (Le 00 if None) at `offset`; by SFI when `path` is given
        and the offset fits P2, else from the current EF (selected first when `path` is given)."""
        cmd = self.profile.command("read_binary")
        flag = cmd.byte("p1_sfi_flag")
        p1, p2 = self._binary_address(path, offset, flag)
        if length is None and path is not None:
            size = self.profile.file(path).size
            length = min(size - offset, self.profile.t0_max_response) if size is not None and size > offset else None
        le = 0 if length is None else length % self.profile.t0_max_response
        return self._send(
            self._apdu("read_binary", p1, p2, b"", le), f"read binary of {path or 'the current EF'} at {offset}", check, raw=raw
        )

    def read_transparent(self, path: str) -> bytes:
        """The whole content of transparent EF `path`, in chunks of the longest T=0 response."""
        f = self.profile.file(path)
        if f.size is None:
            raise ValueError(f"{path} is not a transparent EF")
        out = bytearray()
        while len(out) < f.size:
            out += self.read_binary(path, len(out), min(f.size - len(out), self.profile.t0_max_response), check=True).data
        return bytes(out)

    def update_binary(self, path: str | None, offset: int, data: bytes, *, check: bool | None = None) -> Response:
        flag = self.profile.command("update_binary").byte("p1_sfi_flag")
        p1, p2 = self._binary_address(path, offset, flag)
        return self._send(
            self._apdu("update_binary", p1, p2, bytes(data)), f"update binary of {path or 'the current EF'} at {offset}", check
        )

    def _binary_address(self, path: str | None, offset: int, flag: int) -> tuple[int, int]:
        if path is not None:
            f = self.profile.file(path)
            self.ensure_df(self.profile.df_of(path).path)
            if f.sfi is not None and offset >> 8 == 0:
                return flag | f.sfi, offset
            if self.current_ef != path:
                self._select_fid(f, self._select.byte("p1_ef"), True)
        if offset >= flag << 8:
            raise ValueError(f"offset {offset} does not fit P1-P2")
        return offset >> 8, offset & 0xFF

    # -- PIN ------------------------------------------------------------------------------------

    def get_challenge(self, n: int, *, check: bool | None = None) -> Response:
        return self._send(self._challenge_apdu(n), f"get a {n}-byte challenge", check)

    def verify_pin(self, pin: str, *, check: bool | None = None) -> Response:
        cmd = self.profile.command("verify")
        self.ensure_inside(self.profile.security.pin.df)
        return self._send(self._apdu("verify", cmd.byte("p1"), cmd.byte("p2"), encode_pin(pin)), "verify the PIN", check)

    def change_pin(self, old: str, new: str, *, check: bool | None = None) -> Response:
        cmd = self.profile.command("change_pin")
        self.ensure_inside(self.profile.security.pin.df)
        data = encode_pin(old) + bytes([cmd.byte("separator")]) + encode_pin(new)
        return self._send(self._apdu("change_pin", cmd.byte("p1"), cmd.byte("p2"), data), "change the PIN", check)

    # -- identity and factors -------------------------------------------------------------------

    def identity(self, *, refresh: bool = False) -> CardIdentity:
        """The card's identity (cached). Reading it selects SSSE: call it before authenticating
        in an ADF, or the DF change will clear the authentication."""
        if self._identity is None or refresh:
            self._identity = card_identity(self)
        return self._identity

    def factors(self, key: KeyDef, *, region: str | None = None, card_sn: bytes | None = None) -> list[bytes]:
        """Diversification factors of `key` for this card, root first."""
        if region is None:
            region = self.region
        if region is None or card_sn is None:
            ident = self.identity()
            region = region or ident.region
            card_sn = card_sn or ident.card_sn
        return diversification_factors(self.profile, key, region, card_sn)

    # -- authentication -------------------------------------------------------------------------

    def external_authenticate(
        self,
        key_name: str,
        version: int,
        psam: PsamClient,
        *,
        region: str | None = None,
        card_sn: bytes | None = None,
        data: bytes | None = None,
        check: bool | None = None,
    ) -> Response:
        """GET CHALLENGE 8 → PSAM: derive the card's `key_name`/`version` (00 = active) and
        compute the cryptogram → EXTERNAL AUTHENTICATE. `data` is D (default D = R)."""
        key = self.profile.key(key_name)
        factors = self.factors(key, region=region, card_sn=card_sn)
        return self.external_authenticate_with_factors(key, version, psam, factors, data=data, check=check)

    def external_authenticate_with_factors(
        self,
        key: KeyDef,
        version: int,
        psam: PsamClient,
        factors_root_to_card: Sequence[bytes],
        *,
        data: bytes | None = None,
        check: bool | None = None,
    ) -> Response:
        """EXTERNAL AUTHENTICATE with a key the PSAM derives with exactly these factors (key checks
        use it to try other diversification levels)."""
        psam.select_for(self.algorithm)
        psam.derive("external_auth", key, version, factors_root_to_card)
        self.ensure_df(key.df)
        challenge = self._must(
            self._challenge_apdu(self.profile.security.challenge_external_auth), f"get the challenge for {key.name}"
        ).data
        d = challenge if data is None else bytes(data)
        cryptogram = psam.process(challenge, d)
        apdu = self._apdu("external_authenticate", version, key.id, cryptogram + d)
        return self._send(apdu, f"external authentication with {key.name} v{version:02X}", check)

    def internal_authenticate(self, f: bytes, d: bytes, version: int = 0, *, check: bool | None = None, raw: bool = False) -> Response:
        """INTERNAL AUTHENTICATE with factor F and data D (P1 = version, P2 = IRK id)."""
        irk = self.profile.internal_key()
        self.ensure_inside(irk.df)
        apdu = self._apdu("internal_authenticate", version, irk.id, bytes(f) + bytes(d))
        return self._send(apdu, f"internal authentication with {irk.name} v{version:02X}", check, raw=raw)

    def internal_authenticate_and_verify(
        self, psam: PsamClient, version: int = 0, *, f: bytes | None = None, d: bytes | None = None, check: bool | None = None
    ) -> InternalAuthResult:
        """Random F and D → the card's result vs the PSAM's result with the national IRK."""
        irk = self.profile.internal_key()
        factors = self.factors(irk)
        half = self.profile.command("internal_authenticate").byte("lc") // 2
        f = os.urandom(half) if f is None else bytes(f)
        d = os.urandom(half) if d is None else bytes(d)
        response = self.internal_authenticate(f, d, version, check=check)
        psam.select_for(self.algorithm)
        psam.derive("internal_auth", irk, version, factors)
        expected = psam.process(f, d)
        result = InternalAuthResult(response, response.data, expected, f, d)
        if (self.check if check is None else check) and not result.verified:
            raise OperationError(
                None,
                response,
                f"internal authentication with {irk.name} v{version:02X}: card result {response.data.hex().upper()} differs from the PSAM's {expected.hex().upper()}",
            )
        return result

    # -- secure messaging -----------------------------------------------------------------------

    def secure_update_record(
        self,
        path: str,
        record: bytes,
        psam: PsamClient,
        key_name: str | None = None,
        *,
        number: int | None = None,
        version: int = 0,
        check: bool | None = None,
    ) -> Response:
        """UPDATE RECORD with CLA 04 and a MAC under the file's SM key (PROFILE §6.4)."""
        key = self.sm_key(path, "update", key_name)
        factors = self.factors(key)  # first: reading the identity may change the current DF
        apdu = self.record_apdu("update_record", path, bytes(record), number, cla=self.mac_cla("update_record"))
        secured = self.with_mac(apdu, psam, key, version, factors, self.profile.df_of(path).path)
        return self._send(secured, f"secure update of {path} under {key.name}", check)

    def secure_append_record(
        self, path: str, record: bytes, psam: PsamClient, key_name: str | None = None, *, version: int = 0, check: bool | None = None
    ) -> Response:
        key = self.sm_key(path, "append", key_name)
        factors = self.factors(key)
        apdu = self.record_apdu("append_record", path, bytes(record), None, cla=self.mac_cla("append_record"))
        secured = self.with_mac(apdu, psam, key, version, factors, self.profile.df_of(path).path)
        return self._send(secured, f"secure append to {path} under {key.name}", check)

    def sm_key(self, path: str, right: str, key_name: str | None) -> KeyDef:
        if key_name is not None:
            return self.profile.key(key_name)
        rule = self.profile.file(path).rule(right)
        names = sorted(rule.sm_keys) if rule is not None else []
        if len(names) != 1:
            raise ValueError(f"{path}: the {right} rule names {names or 'no'} SM key(s); give key_name=")
        return self.profile.key(names[0])

    def with_mac(
        self, apdu: CommandApdu, psam: PsamClient, key: KeyDef, version: int, factors: Sequence[bytes], df: str, *, exact: bool = True
    ) -> CommandApdu:
        """GET CHALLENGE 4 → PSAM MAC over CLA INS P1 P2 Lc ‖ data (Lc counting the MAC) →
        the command with the MAC appended. `df` is made current first (or, not `exact`, the
        current DF is kept if it lies below `df`)."""
        if exact:
            self.ensure_df(df)
        else:
            self.ensure_inside(df)
        psam.select_for(self.algorithm)
        psam.derive("mac", key, version, factors)
        challenge = self._must(self._challenge_apdu(self.profile.security.challenge_mac), f"get the MAC challenge for {key.name}").data
        lc = len(apdu.data) + self.profile.security.mac_length
        iv = challenge + bytes(self.algorithm.block_size - len(challenge))
        mac = psam.mac(iv, apdu.header + bytes([lc]) + apdu.data)
        return CommandApdu(apdu.cla, apdu.ins, apdu.p1, apdu.p2, apdu.data + mac)

    # -- PIN reload / unblock and lifecycle ------------------------------------------------------

    def reload_pin(
        self, psam: PsamClient, new_pin: str, *, version: int = 0, puk_name: str | None = None, check: bool | None = None
    ) -> Response:
        """GET CHALLENGE 8 → EXTERNAL AUTHENTICATE PUK → GET CHALLENGE 4 → RELOAD PIN with the
        PIN block enciphered under the PUK and a MAC under the same PUK version. The PUK is the
        key the profile binds to RELOAD PIN unless `puk_name` names another (a wrong-key probe)."""
        puk = self._command_key("reload_pin", puk_name)
        factors = self.factors(puk)
        self.ensure_inside(self.profile.security.pin.df)
        self.external_authenticate_with_factors(puk, version, psam, factors, check=True)
        cmd = self.profile.command("reload_pin")
        psam.select_for(self.algorithm)
        psam.derive("mac", puk, version, factors)
        block = psam.encipher(pin_block(new_pin, self.algorithm))
        apdu = self._apdu("reload_pin", cmd.byte("p1"), cmd.byte("p2"), block)
        return self._send(
            self.with_mac(apdu, psam, puk, version, factors, self.profile.security.pin.df, exact=False), "reload the PIN", check
        )

    def unblock_pin(self, psam: PsamClient, *, version: int = 0, puk_name: str | None = None, check: bool | None = None) -> Response:
        puk = self._command_key("unblock_pin", puk_name)
        factors = self.factors(puk)
        self.ensure_inside(self.profile.security.pin.df)
        self.external_authenticate_with_factors(puk, version, psam, factors, check=True)
        cmd = self.profile.command("unblock_pin")
        apdu = self._apdu("unblock_pin", cmd.byte("p1"), cmd.byte("p2"))
        return self._send(
            self.with_mac(apdu, psam, puk, version, factors, self.profile.security.pin.df, exact=False), "unblock the PIN", check
        )

    def application_block(self, psam: PsamClient, *, key_name: str | None = None, check: bool | None = None) -> Response:
        return self._lifecycle("application_block", psam, key_name, check)

    def application_unblock(self, psam: PsamClient, *, key_name: str | None = None, check: bool | None = None) -> Response:
        return self._lifecycle("application_unblock", psam, key_name, check)

    def card_block(self, psam: PsamClient, *, key_name: str | None = None, check: bool | None = None) -> Response:
        return self._lifecycle("card_block", psam, key_name, check)

    def _command_key(self, command: str, key_name: str | None) -> KeyDef:
        """The key the profile binds to `command`, or the one a caller names instead (to probe a
        card with the wrong key)."""
        return self.profile.command_key(command) if key_name is None else self.profile.key(key_name)

    def _lifecycle(self, command: str, psam: PsamClient, key_name: str | None, check: bool | None) -> Response:
        key = self._command_key(command, key_name)
        factors = self.factors(key)
        self.ensure_inside(key.df)
        cmd = self.profile.command(command)
        version = self._lifecycle_version(key)
        apdu = self._apdu(command, cmd.byte("p1"), cmd.byte("p2"))
        return self._send(self.with_mac(apdu, psam, key, version, factors, key.df, exact=False), command.replace("_", " "), check)

    def _lifecycle_version(self, key: KeyDef) -> int:
        """Behaviour ``lifecycle_mac_key_version``: "active" → 00, or an explicit version number."""
        choice = self.profile.behaviour.lifecycle_mac_key_version.value
        active = self.profile.command("external_authenticate").byte("active_version")
        if choice == "active":
            return active
        return int(choice)


def card_identity(session: CardSession) -> CardIdentity:
    """ATR, card SN, issuing region, card number and generation of the card in `session`.

    Selects SSSE by name (FCI → algorithm id) and reads EF05 by tag. The region is the first
    bytes of the card identification code (as many as a region-code item of the profile has).
    """
    profile = session.profile
    atr = session.terminal.atr or b""
    card_sn = profile.atr.card_sn_of(atr)
    id_file, id_rec = find_item(profile, _ITEM_CARD_ID)
    ssse = profile.df_of(id_file.path)
    fci = session.select_by_name(ssse.name, check=True).data if ssse.name is not None else b""
    algorithm_id = _template_value(profile.fci_templates[ssse.fci], fci, _ALG_PLACEHOLDER) if ssse.fci else None
    card_id = session.read_item(_ITEM_CARD_ID)
    assert isinstance(card_id, bytes)
    region_length = next(r.length for f in profile.efs() for r in f.records if r.check == _REGION_CHECK)
    region = session.region or decode_cn(card_id[:region_length])
    spec_version = str(session.read_item(_ITEM_SPEC_VERSION))
    card_number = str(session.read_item(_ITEM_CARD_NUMBER))
    return CardIdentity(
        atr=atr,
        card_sn=card_sn,
        region=region,
        card_number=card_number,
        spec_version=spec_version,
        generation=_generation_by_spec_version().get(spec_version),
        algorithm_id=None if algorithm_id is None else int.from_bytes(algorithm_id, "big"),
        card_id_code=card_id,
    )


def _template_value(template: TlvTemplate, data: bytes, placeholder: str) -> bytes | None:
    """The bytes that filled ``{placeholder}`` when `data` was rendered from `template`."""
    marker = "{" + placeholder + "}"

    def path_to(node: object, trail: list[int]) -> tuple[list[int], str] | None:
        if isinstance(node, str):
            return (trail, node) if marker in node else None
        assert isinstance(node, dict)
        for tag, child in node.items():
            found = path_to(child, trail + [tag])
            if found is not None:
                return found
        return None

    found = path_to(dict(template.tree), [])
    if found is None or not data:
        return None
    trail, pattern = found
    value: bytes | None = data
    try:
        for tag in trail:
            value = find_tag(value, tag) if value is not None else None
    except ValueError:
        return None
    if value is None:
        return None
    prefix_hex, _, suffix_hex = pattern.partition(marker)
    prefix, suffix = bytes.fromhex(prefix_hex), bytes.fromhex(suffix_hex)
    if not value.startswith(prefix) or not value.endswith(suffix) or len(value) < len(prefix) + len(suffix):
        return None
    return value[len(prefix) : len(value) - len(suffix)]
