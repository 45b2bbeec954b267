"""Issue a card: turn a profile and a personalization into the card's initial persistent image.

Everything the card stores at issue is computed here, once: the ATR and card SN (PROFILE §2), the
card identification code with its MAC (§4.1), every record as tag ‖ length ‖ value encoded by the
profile's record definitions (§3), the DIR records, the transparent files, and the card keys of
every declared key and loaded version, diversified from a `KeySet` (§6.2). Data faults (a wrong
check character, a bad MAC, swapped diversification factors, ...) are applied here too, so the
command handlers never know about them.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from reference_card.faults import FAULTS
from reference_card.personalization import Personalization, PersonalizationError
from ssc.checks import card_number_check_char
from ssc.codecs import encode_an, encode_b, encode_cn, encode_pin
from ssc.crypto.diversify import diversify
from ssc.crypto.mac import mac
from ssc.keyset import KeySet, derive_card_key, diversification_factors
from ssc.profile.model import FileDef, KeyDef, Profile, RecordDef
from ssc.profile.templates import dir_record_for

__all__ = ["CardImage", "issue"]

# Profile item names of the records this module fills from the card's identity (not the issuer's
# business data); every other item comes from the cardholder or `Personalization.records`.
_CARD_ID_ITEM = "card_id_code"
_SPEC_VERSION_ITEM = "spec_version"
_IDENTITY_ITEMS = ("card_type", "init_institution", "issue_date", "expiry_date", "card_number")
_PROVINCE_LEVEL, _CITY_LEVEL = "province", "city"
_LOCAL_LEVEL, _NATIONAL_LEVEL = "local", "national"
_CARD_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TC1_OFFSET, _WRONG_GUARD_TIME = 3, 0x05  # TS T0 TB1 TC1: the ATR_wrong_guard_time fault's byte
_INTERNAL_USE, _EXTERNAL_USE = "internal", "external"
_NAME_ITEM, _NOT_GBK = "name", b"\xff\xfe"  # the name_not_gbk fault: no GBK sequence starts with FF


@dataclass
class CardImage:
    """The card's persistent content at issue (the card copies it into its own store)."""

    atr: bytes
    card_sn: bytes
    present: tuple[str, ...]  # paths of every file that exists on this card, profile order
    records: dict[str, list[bytes]]  # record files → records (cyclic: newest first)
    binaries: dict[str, bytes]  # transparent files → content
    keys: dict[str, dict[int, bytes]]  # key name → version → card key
    pin: bytes  # BCD, as VERIFY sends it
    initial_pin: str


def issue(profile: Profile, perso: Personalization, keyset: KeySet, faults: frozenset[str] = frozenset()) -> CardImage:
    present = _present_files(profile, perso)
    if "mandatory_ef_missing" in faults:
        present = tuple(p for p in present if p != FAULTS["mandatory_ef_missing"].target)
    atr = _atr(profile, perso, faults)
    # the SN the card was personalized with (its keys, its card identification code): the ATR's,
    # unless the ATR's bytes were left unwritten (atr_without_card_sn), which the issuer's data
    # preparation does not see
    card_sn = profile.atr.card_sn_of(_atr(profile, perso, faults - {"atr_without_card_sn"}))
    keys = _card_keys(profile, perso, keyset, present, card_sn, faults)
    values = _item_values(profile, perso, keys, card_sn, faults)
    records: dict[str, list[bytes]] = {}
    binaries: dict[str, bytes] = {}
    for path in present:
        f = profile.file(path)
        if f.kind == "transparent":
            binaries[path] = _binary(f, perso)
        elif f.is_record_file:
            records[path] = _records(profile, f, present, values, faults, perso)
    pin = perso.pin if perso.pin is not None else profile.security.pin.initial
    spec = profile.command("verify")
    encoded = encode_pin(pin)
    if not spec.byte("min_pin_bytes") <= len(encoded) <= spec.byte("max_pin_bytes"):
        raise PersonalizationError(
            "pin", f"{len(encoded)} bytes in BCD; the profile allows {spec.byte('min_pin_bytes')}-{spec.byte('max_pin_bytes')}"
        )
    return CardImage(atr, card_sn, present, records, binaries, keys, encoded, pin)


def _present_files(profile: Profile, perso: Personalization) -> tuple[str, ...]:
    optional = {f.path for f in profile.files.values() if f.is_df and f.presence == "optional"}
    for i, path in enumerate(perso.optional_dfs):
        if path not in optional:
            raise PersonalizationError(
                f"optional_dfs[{i}]", f"{path!r} is not an optional DF of profile {profile.name} (optional: {', '.join(sorted(optional))})"
            )
    chosen = set(perso.optional_dfs)

    def df_present(f: FileDef) -> bool:
        if f.presence == "optional":
            return f.path in chosen
        if f.presence == "local":
            return perso.local_extension
        return True

    out = []
    for path, f in profile.files.items():
        chain = [f] if f.is_df else []
        parent = f.parent
        while parent is not None:
            chain.append(profile.file(parent))
            parent = profile.file(parent).parent
        if all(df_present(d) for d in chain):
            out.append(path)
    return tuple(out)


def _atr(profile: Profile, perso: Personalization, faults: frozenset[str]) -> bytes:
    spec = profile.atr
    chip_cos = spec.reference_prefix if perso.chip_cos is None else perso.chip_cos
    maker = spec.reference_card_maker if perso.card_maker is None else perso.card_maker
    historical = chip_cos + maker + perso.serial
    if len(historical) != spec.historical_length:
        raise PersonalizationError(
            "chip_cos",
            f"chip/COS ({len(chip_cos)}) + card maker ({len(maker)}) + serial ({len(perso.serial)}) bytes make {len(historical)} historical bytes; the profile needs {spec.historical_length}",
        )
    atr = bytearray(spec.prefix + historical)
    if "atr_wrong_guard_time" in faults:
        atr[_TC1_OFFSET] = _WRONG_GUARD_TIME
    if "atr_without_card_sn" in faults:
        offset, length = spec.card_sn
        start = len(spec.prefix) + offset
        atr[start : start + length] = b"\xff" * length
    return bytes(atr)


def _key_roots_for(key: KeyDef, faults: frozenset[str]) -> KeyDef:
    if "local_keys_from_national_root" in faults and key.level == _LOCAL_LEVEL:
        return dataclasses.replace(key, level=_NATIONAL_LEVEL)
    return key


def _derive(profile: Profile, keyset: KeySet, key: KeyDef, version: int, region: str, card_sn: bytes, faults: frozenset[str]) -> bytes:
    key = _key_roots_for(key, faults)
    if "swapped_diversification" in faults and key.level == _NATIONAL_LEVEL:
        levels = profile.security.diversification.levels
        factors = diversification_factors(profile, key, region, card_sn)
        i, j = levels.index(_PROVINCE_LEVEL), levels.index(_CITY_LEVEL)
        factors[i], factors[j] = factors[j], factors[i]
        return diversify(profile.algorithm, keyset.national_root(key.name, version, profile.algorithm), factors)
    return derive_card_key(profile, keyset, key, version, region, card_sn)


def _card_keys(
    profile: Profile, perso: Personalization, keyset: KeySet, present: tuple[str, ...], card_sn: bytes, faults: frozenset[str]
) -> dict[str, dict[int, bytes]]:
    out: dict[str, dict[int, bytes]] = {}
    present_set = set(present)
    for key in profile.keys():
        if key.df not in present_set:
            continue
        versions = key.versions if perso.key_versions is None else tuple(v for v in key.versions if v in perso.key_versions)
        if "external_keys_missing_last_version" in faults and key.use == _EXTERNAL_USE and len(versions) > 1:
            versions = versions[:-1]
        try:
            out[key.name] = {v: _derive(profile, keyset, key, v, perso.region, card_sn, faults) for v in versions}
            if "irk_versions_identical" in faults and key.use == _INTERNAL_USE:
                first = out[key.name][versions[0]]
                out[key.name] = dict.fromkeys(versions, first)
        except KeyError as exc:
            raise PersonalizationError("key_versions", f"cannot derive {key.name}: {exc}") from None
    return out


def _card_id_code(
    profile: Profile,
    perso: Personalization,
    keys: Mapping[str, Mapping[int, bytes]],
    card_sn: bytes,
    record: RecordDef,
    faults: frozenset[str],
) -> bytes:
    """PROFILE §4.1, laid out by `profile.card_id`: region BCD ‖ RID ‖ card SN tail ‖ MAC over the
    preceding bytes under the card's IRK (active version, zero IV)."""
    layout = profile.card_id
    code = bytearray(record.length)
    region_len = layout.region.stop - layout.region.start
    code[layout.region] = encode_cn(perso.region, region_len)
    code[layout.rid] = layout.rid_value
    serial_len = layout.serial.stop - layout.serial.start
    code[layout.serial] = card_sn[-serial_len:]
    key = profile.key(layout.mac_key)
    if key.active not in keys.get(key.name, {}):
        raise PersonalizationError("key_versions", f"the card identification code needs {key.name} version {key.active:02X}")
    mac_len = layout.mac.stop - layout.mac.start
    tag = mac(profile.algorithm, keys[key.name][key.active], bytes(code[: layout.mac.start]))[:mac_len]
    if "bad_card_id_mac" in faults:
        tag = bytes(b ^ 0xFF for b in tag)
    code[layout.mac] = tag
    return bytes(code)


def _item_values(
    profile: Profile, perso: Personalization, keys: Mapping[str, Mapping[int, bytes]], card_sn: bytes, faults: frozenset[str]
) -> dict[str, object]:
    values: dict[str, object] = dict(perso.records)
    values.update(perso.cardholder_values())
    values.update({item: getattr(perso, item) for item in _IDENTITY_ITEMS})
    spec_version = profile.spec_version
    if "wrong_spec_version" in faults:
        spec_version = str((int(spec_version[0]) % 9) + 1) + spec_version[1:]
    values[_SPEC_VERSION_ITEM] = spec_version
    if "bad_card_number_check" in faults:
        number = perso.card_number
        right = card_number_check_char(number[:-1])
        wrong = next(c for c in _CARD_ALPHABET if c != right)
        values["card_number"] = number[:-1] + wrong
    if "card_number_not_as_issued" in faults:
        body = perso.card_number[:-1]
        body = body[:-1] + _CARD_ALPHABET[(_CARD_ALPHABET.index(body[-1]) + 1) % 10]
        values["card_number"] = body + card_number_check_char(body)
    if "bad_ssn_check" in faults:
        ssn = str(values["ssn"])
        values["ssn"] = ssn[:-1] + next(c for c in "0123456789X" if c != ssn[-1])
    if "issue_after_expiry" in faults:
        values["issue_date"], values["expiry_date"] = values["expiry_date"], values["issue_date"]
    if "wrong_init_institution" in faults:
        number = str(values["init_institution"])
        values["init_institution"] = number[:-1] + str((int(number[-1]) + 1) % 10)
    if "gender_contradicts_ssn" in faults:
        values["gender"] = {"1": "2", "2": "1"}.get(str(values["gender"]), "1")
    for f in profile.files.values():
        for rec in f.records:
            if rec.item == _CARD_ID_ITEM:
                values[_CARD_ID_ITEM] = _card_id_code(profile, perso, keys, card_sn, rec, faults)
    return values


def _encode_item(rec: RecordDef, value: object, where: str) -> bytes:
    try:
        if rec.fmt == "b":
            if isinstance(value, str):
                raw = bytes.fromhex(value)
            elif isinstance(value, (bytes, bytearray, list, tuple)):
                raw = bytes(value)
            else:
                raise ValueError(f"expected hex text or bytes, got {value!r}")
            return encode_b(raw, rec.length)
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {value!r}")
        if rec.fmt == "cn":
            return encode_cn(value, rec.length)
        return encode_an(value, rec.length)
    except (ValueError, TypeError) as exc:
        raise PersonalizationError(where, str(exc)) from None


def _records(
    profile: Profile,
    f: FileDef,
    present: tuple[str, ...],
    values: Mapping[str, object],
    faults: frozenset[str] = frozenset(),
    perso: Personalization | None = None,
) -> list[bytes]:
    if "dir" in f.flags:
        parent = f.parent or "MF"
        adfs = [profile.file(p) for p in present if profile.file(p).kind == "adf" and profile.file(p).parent == parent]
        if "dir_misses_adf" in faults:
            adfs = adfs[:-1]
        return [dir_record_for(profile, adf) for adf in adfs]
    if f.kind == "cyclic":
        return list(perso.cyclic_records.get(f.path, ())) if perso is not None else []
    if "reserved" in f.flags:
        return []
    out = []
    for rec in f.records:
        where = f"records.{rec.item}"
        if rec.item not in values:
            raise PersonalizationError(where, f"missing: {f.path} record {rec.tag:02X} ({rec.title.en}) needs a value")
        encoded = _encode_item(rec, values[rec.item], where)
        if "name_not_gbk" in faults and rec.item == _NAME_ITEM:
            encoded = _NOT_GBK + encoded[len(_NOT_GBK) :]
        out.append(bytes([rec.tag, rec.length]) + encoded)
    if "record_with_two_tlvs" in faults and f.path == FAULTS["record_with_two_tlvs"].target:
        out[-1] += bytes([f.records[-1].tag, 0])  # a second, empty TLV behind the data element
    if "extra_record" in faults and f.path == FAULTS["extra_record"].target:
        last = f.records[-1]
        out.append(bytes([last.tag + 1, 1, 0]))  # a record the data dictionary does not define
    return out


def _binary(f: FileDef, perso: Personalization) -> bytes:
    size = f.size or 0
    given = perso.binaries.get(f.path)
    if given is not None:
        if len(given) > size:
            raise PersonalizationError(f"binaries.{f.path}", f"{len(given)} bytes, the file holds {size}")
        return given + bytes(size - len(given))
    # Deterministic stand-in content (a fingerprint template, a photo), distinct per file and card.
    out = bytearray()
    seed = f"{f.path}|{perso.cardholder.ssn}".encode()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return bytes(out[:size])
