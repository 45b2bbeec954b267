"""The DUT's twin: a reference card personalized from what the card under test shows.

The twin is the oracle of a lockstep diff, so it must hold the DUT's *free* data (what an issuer
chooses: cardholder, card number, serial, dates, business records, files in use) and compute
everything the standard *determines* itself, from the model:

- read from the DUT with the run's rights (PIN, PSAM authentications per access rule): the ATR's
  historical bytes (chip, COS, card maker, serial), the region of the card identification code,
  every record of the profile's data dictionary, every transparent file, the records of the cyclic
  files, and which optional DFs and the local extension DF are present;
- derived by the model: the ATR frame (TS, T0, TB1, TC1), a card SN where the DUT's ATR carries
  a filler (STD-ATR-2): its tail from the serial the card identification code shows, the spec version of the generation, the
  card identification code (region ‖ RID ‖ serial ‖ MAC under the card's IRK), check characters
  of the card number and the SSN, the gender from the SSN's parity, the order of issue and expiry
  dates, the DIR and the FCIs, and the card keys (the key set's diversification for this card's
  region and SN: a value the harness cannot read);
- taken from the issuer declaration when one is given: the initialization institution, the loaded
  key versions; from the lab's card-set file (or the embedded card's personalization file): the
  card number the issuer registered for the card (harness.diff.inputs).

A record the run's rights cannot read (a file behind the PSE firewall) keeps the model's default
value: the lockstep cannot read it either. GET CHALLENGE is the twin's one source of randomness; its
generator is an `InjectedRandom`, so the lockstep can give the twin the DUT's challenge.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.declaration import Declaration
from harness.diff.inputs import TwinInputs
from reference_card import ReferenceCard
from reference_card.issuance import CardImage
from reference_card.personalization import Cardholder, Personalization, load_business_defaults
from ssc.atr_fields import historical_problems
from ssc.checks import card_number_check_char, ssn_check_char
from ssc.codecs import decode_an, decode_cn
from ssc.keyset import KeySet
from ssc.profile.model import FileDef, Profile, RecordDef
from terminal.errors import AnswerError, HarnessError
from terminal.grants import GrantError, grant, terminal_can_grant
from terminal.psam_client import PsamClient
from terminal.session import CardIdentity, CardSession

__all__ = ["InjectedRandom", "TwinSource", "build_twin", "read_cyclic", "read_twin_source"]

_CARDHOLDER = ("ssn", "name", "name_ext", "gender", "ethnicity", "birthplace", "birth_date")
_IDENTITY = ("card_type", "init_institution", "issue_date", "expiry_date", "card_number")
_DERIVED = ("card_id_code", "spec_version")  # computed by the model, never copied
_SSN_DIGITS, _SSN_SEQUENCE_LAST = 18, 16  # GB 11643: 17 digits + check; digit 17 odd for men
_MALE, _FEMALE = "1", "2"


class InjectedRandom(random.Random):
    """A generator whose next `randbytes(n)` can be told in advance (the DUT's challenge)."""

    def __init__(self, seed: bytes) -> None:
        super().__init__(seed)
        self._next: bytes | None = None

    def inject(self, value: bytes) -> None:
        self._next = bytes(value)

    def randbytes(self, n: int) -> bytes:
        value, self._next = self._next, None
        if value is not None and len(value) == n:
            return value
        return super().randbytes(n)


@dataclass
class TwinSource:
    """What the harness read from the DUT to personalize its twin."""

    atr: bytes
    region: str
    identity: CardIdentity | None = None  # as the DUT showed it (operations compute key factors from it)
    values: dict[str, str | bytes] = field(default_factory=dict)  # data items by profile name
    binaries: dict[str, bytes] = field(default_factory=dict)
    cyclic: dict[str, tuple[bytes, ...]] = field(default_factory=dict)
    present_optional: tuple[str, ...] = ()
    local_extension: bool = False
    unread: list[str] = field(default_factory=list)  # "path: why", files the run's rights could not read
    refused: list[str] = field(default_factory=list)  # of those, the paths whose read right a conforming card grants the run
    inputs: TwinInputs = field(default_factory=TwinInputs)  # what the lab gave besides the card


def _decode(rec: RecordDef, raw: bytes) -> str | bytes:
    if rec.fmt == "cn":
        return decode_cn(raw)
    if rec.fmt == "an":
        try:
            return decode_an(raw)
        except (ValueError, UnicodeDecodeError):
            return raw.rstrip(b"\0").decode("gbk", errors="ignore")  # not GBK: the model can only hold GBK
    return raw


def _readable(session: CardSession, f: FileDef, psam: PsamClient | None, pin: str, unread: list[str]) -> bool:
    """Obtain the read right on `f` (False, noted in `unread`, when the run's rights cannot)."""
    if not terminal_can_grant(session.profile, f.path, "read"):
        unread.append(f"{f.path}: its read rule cannot be satisfied by this terminal")
        return False
    try:
        grant(session, f.path, "read", psam, pin)
    except (GrantError, AnswerError) as exc:
        unread.append(f"{f.path}: {exc}")
        return False
    return True


def _probe_df(session: CardSession, df: FileDef) -> bool:
    session.forget_selection()
    response = session.select_path(df.path, by="name" if df.name is not None else "fid", check=False)
    session.forget_selection()
    return bool(response.ok)


def read_twin_source(session: CardSession, psam: PsamClient | None, pin: str) -> TwinSource:
    """Read everything the twin copies from the DUT (see the module docstring). Leaves the card
    reset (no security state)."""
    profile = session.profile
    session.reset()
    ident = session.identity()  # given by the caller, or read (by tag)
    source = TwinSource(atr=ident.atr, region=ident.region, identity=ident)
    optional = [f for f in profile.files.values() if f.is_df and f.presence in ("optional", "local")]
    present = {f.path: _probe_df(session, f) for f in optional}
    source.present_optional = tuple(p for p, on in present.items() if on and profile.file(p).presence == "optional")
    source.local_extension = any(on for p, on in present.items() if profile.file(p).presence == "local")
    absent = [p for p, on in present.items() if not on]
    for f in profile.efs():
        if any(f.path.startswith(p + "/") for p in absent) or "dir" in f.flags or "reserved" in f.flags:
            continue
        if not (f.records or f.size or f.kind == "cyclic"):
            continue
        session.reset()
        if not _readable(session, f, psam, pin, source.unread):
            if terminal_can_grant(profile, f.path, "read"):
                source.refused.append(f.path)
            continue
        if f.kind == "transparent":
            try:
                source.binaries[f.path] = session.read_transparent(f.path)
            except AnswerError as exc:
                source.unread.append(f"{f.path}: {exc}")
        elif f.kind == "cyclic":
            source.cyclic[f.path] = _cyclic_records(session, f)
        else:
            for rec in f.records:
                if rec.item in _DERIVED:
                    continue
                response = session.read_record(f.path, rec.number, check=False)
                data = response.data
                if not response.ok or len(data) < 2 or data[0] != rec.tag:
                    source.unread.append(f"{f.path} record {rec.number}: {response.describe()}")
                    continue
                source.values[rec.item] = _decode(rec, data[2 : 2 + data[1]])
    session.reset()
    return source


def _cyclic_records(session: CardSession, f: FileDef) -> tuple[bytes, ...]:
    records = []
    for number in range(1, (f.record_count or 0) + 1):
        response = session.read_record(f.path, number, check=False)
        if not response.ok:
            break
        records.append(response.data)
    return tuple(records)


def read_cyclic(session: CardSession, psam: PsamClient | None, pin: str) -> dict[str, tuple[bytes, ...]]:
    """The records of every cyclic file the run can read (newest first); resets before and after."""
    out: dict[str, tuple[bytes, ...]] = {}
    unread: list[str] = []
    for f in session.profile.efs():
        if f.kind != "cyclic":
            continue
        session.reset()
        if _readable(session, f, psam, pin, unread):
            out[f.path] = _cyclic_records(session, f)
    session.reset()
    return out


def _normalized(values: Mapping[str, str | bytes]) -> dict[str, str | bytes]:
    """The standard's own rules applied to the copied values (see the module docstring)."""
    out = dict(values)
    number = str(out.get("card_number", ""))
    if len(number) >= 2 and number[:-1].isalnum():
        try:
            out["card_number"] = number[:-1] + card_number_check_char(number[:-1])
        except ValueError:
            pass
    ssn = str(out.get("ssn", ""))
    if len(ssn) == _SSN_DIGITS and ssn[:-1].isdigit():
        out["ssn"] = ssn[:-1] + ssn_check_char(ssn[:-1])
        out["gender"] = _MALE if int(ssn[_SSN_SEQUENCE_LAST]) % 2 else _FEMALE
    issue, expiry = str(out.get("issue_date", "")), str(out.get("expiry_date", ""))
    if issue and expiry and issue > expiry:
        out["issue_date"], out["expiry_date"] = expiry, issue
    return out


def twin_personalization(
    profile: Profile, source: TwinSource, pin: str, declaration: Declaration | None = None, card_number: str | None = None
) -> Personalization:
    """`card_number`: the number the issuer registered for the card (harness.diff.inputs), which
    the twin holds instead of the card's own."""
    values: dict[str, str | bytes] = dict(load_business_defaults())
    values.update(_normalized(source.values))
    if declaration is not None:
        values["init_institution"] = declaration.init_institution
    if card_number is not None:
        values["card_number"] = card_number
    historical = _historical(profile, source)
    chip_len = profile.atr.fields["card_maker"][0]
    maker_off, maker_len = profile.atr.fields["card_maker"]
    serial_off, serial_len = profile.atr.fields["serial"]
    holder = {k: str(values.pop(k, "")) for k in _CARDHOLDER}
    ident = {k: str(values.pop(k, "")) for k in _IDENTITY}
    for k in _DERIVED:
        values.pop(k, None)
    return Personalization(
        region=source.region,
        serial=historical[serial_off : serial_off + serial_len],
        cardholder=Cardholder(**holder),
        card_number=ident["card_number"],
        issue_date=ident["issue_date"],
        expiry_date=ident["expiry_date"],
        init_institution=ident["init_institution"],
        card_type=ident["card_type"] or "1",
        pin=pin,
        optional_dfs=source.present_optional,
        local_extension=source.local_extension,
        records=values,
        key_versions=declaration.key_versions if declaration is not None and declaration.key_versions else None,
        binaries=source.binaries,
        chip_cos=historical[:chip_len],
        card_maker=historical[maker_off : maker_off + maker_len],
        cyclic_records=source.cyclic,
    )


def _historical(profile: Profile, source: TwinSource) -> bytes:
    """The historical bytes the twin's ATR carries: the DUT's, except a card SN that carries no
    identity (a filler, as STD-ATR-2 judges it: `ssc.atr_fields`). The standard makes the card SN
    the card's diversification factor and shows its tail again in the card identification code
    (PROFILE §4.1, `data_elements.card_id_code.serial`): the twin takes the serial from there, so an
    ATR whose SN was never personalized differs from its twin's from the first reset."""
    historical = bytearray(profile.atr.historical(source.atr))
    ident = source.identity
    if ident is None or not historical_problems(profile.atr, source.atr)["card_sn"]:
        return bytes(historical)
    shown = ident.card_id_code[profile.card_id.serial]
    sn_offset, sn_length = profile.atr.card_sn
    end = sn_offset + sn_length
    if len(historical) >= end and len(shown) <= sn_length:
        historical[end - len(shown) : end] = shown
    return bytes(historical)


class TwinError(HarnessError):
    """The DUT's data cannot personalize a reference card (the message names the field)."""


def build_twin(
    profile: Profile, personalization: Personalization, keyset: KeySet, image: CardImage | None = None, *, tearing_hook: bool = False
) -> tuple[ReferenceCard, InjectedRandom]:
    """A fresh twin (clean card, no faults) and the generator its challenges come from; `image`:
    the first twin's (`card.image`), so later twins are not issued again. `tearing_hook`: the twin
    has the PROFILE §6.5 test hook, when the DUT has it (both then tear alike)."""
    rng = InjectedRandom(b"ssc-twin|" + personalization.serial)
    try:
        card = ReferenceCard(profile, personalization, keyset=keyset, rng=rng, image=image, tearing_hook=tearing_hook)
    except ValueError as exc:
        raise TwinError(f"the DUT's data cannot personalize its twin: {exc}") from exc
    return card, rng
