"""What an issuer writes into a card: the cardholder, the card's identity and its business data.

The reference card is personalized through this Python API (PROFILE §5: personalization commands
are vendor-specific), from a mapping or a YAML file. Loading checks every field and names the bad
one (``PersonalizationError: cardholder.ssn: check character is '5', expected '8'``), so a lab
editing a test-card file by hand sees what to fix. Cross-field consistency (SSN ↔ gender ↔ birth
date) is only *warned* about (PROFILE §4.3), so inconsistent test cards can still be built on
purpose.

Values stay close to how they are printed (digit strings, dates as YYYYMMDD); encoding into
record bytes is `issuance`'s job, driven by the profile's record definitions.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ssc.checks import is_valid_card_number, ssn_problems

__all__ = [
    "BUSINESS_DEFAULTS_PATH",
    "Cardholder",
    "DEFAULT_CARD_PATH",
    "Personalization",
    "PersonalizationError",
    "load_business_defaults",
    "load_personalization",
]

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_CARD_PATH = DATA_DIR / "default_card.yaml"
BUSINESS_DEFAULTS_PATH = DATA_DIR / "business_defaults.yaml"
FORMAT = "ssc-personalization/1"
DEFAULTS_FORMAT = "ssc-business-defaults/1"

_REGION_DIGITS = 6
_SERIAL_BYTES = 6
_INSTITUTION_DIGITS = 24
_SSN_BIRTH = slice(6, 14)  # GB 11643: digits 7-14 are the birth date
_SSN_SEQUENCE_LAST = 16  # GB 11643: digit 17 is odd for men


class PersonalizationError(ValueError):
    """A personalization field is missing or malformed; `field` is its dotted path."""

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(f"{field_path}: {message}")
        self.field = field_path


@dataclass(frozen=True)
class Cardholder:
    ssn: str
    name: str
    gender: str
    ethnicity: str
    birthplace: str
    birth_date: str
    name_ext: str = ""


@dataclass(frozen=True)
class Personalization:
    """A card's issuer data. `records` holds business record values by the profile's item name
    (str for an/cn items, bytes for b items); `key_versions` None means every profile version."""

    region: str
    serial: bytes
    cardholder: Cardholder
    card_number: str
    issue_date: str
    expiry_date: str
    init_institution: str
    card_type: str = "1"
    pin: str | None = None
    optional_dfs: tuple[str, ...] = ()
    local_extension: bool = False
    records: Mapping[str, str | bytes] = field(default_factory=dict)
    key_versions: tuple[int, ...] | None = None
    binaries: Mapping[str, bytes] = field(default_factory=dict)
    chip_cos: bytes | None = None  # ATR T1-T5; None = the profile's reference prefix
    card_maker: bytes | None = None  # ATR T6-T7; None = the profile's reference card maker
    cyclic_records: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict)  # cyclic EF → records, newest first (a card in use)

    def cardholder_values(self) -> dict[str, str]:
        """EF06 item values by profile item name."""
        h = self.cardholder
        return {
            "ssn": h.ssn,
            "name": h.name,
            "name_ext": h.name_ext,
            "gender": h.gender,
            "ethnicity": h.ethnicity,
            "birthplace": h.birthplace,
            "birth_date": h.birth_date,
        }

    def warnings(self) -> list[str]:
        """Consistency problems between fields (PROFILE §4.3: warnings, not errors)."""
        out = []
        h = self.cardholder
        if len(h.ssn) == 18 and h.ssn[:17].isdigit():
            if h.ssn[_SSN_BIRTH] != h.birth_date:
                out.append(f"cardholder.birth_date {h.birth_date} differs from SSN digits 7-14 {h.ssn[_SSN_BIRTH]}")
            parity = int(h.ssn[_SSN_SEQUENCE_LAST]) % 2
            expected = {1: "1", 0: "2"}[parity]
            if h.gender in ("1", "2") and h.gender != expected:
                out.append(f"cardholder.gender {h.gender} contradicts the SSN sequence parity (expects {expected})")
        if not self.init_institution.startswith(self.region):
            out.append(f"init_institution does not start with the region code {self.region}")
        return out


# -- loading -----------------------------------------------------------------------------------


def _text(raw: Mapping[str, Any], key: str, where: str, default: Any = ...) -> str:
    path = f"{where}.{key}" if where else key
    if key not in raw or raw[key] is None:
        if default is ...:
            raise PersonalizationError(path, "missing (required)")
        return default
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PersonalizationError(path, f"expected text, got {value!r}")
    if isinstance(value, int):
        raise PersonalizationError(path, f"expected a quoted string (YAML reads {value!r} as a number; quote it)")
    return value


def _digits(value: str, path: str, count: int | None = None) -> str:
    if not value.isascii() or not value.isdigit():
        raise PersonalizationError(path, f"expected decimal digits, got {value!r}")
    if count is not None and len(value) != count:
        raise PersonalizationError(path, f"expected {count} digits, got {len(value)} ({value!r})")
    return value


def _date(value: str, path: str) -> str:
    _digits(value, path, 8)
    try:
        datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise PersonalizationError(path, f"{value} is not a real date ({exc})") from None
    return value


def _hex(value: Any, path: str, length: int | None = None) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        out = bytes(value)
    elif isinstance(value, str):
        try:
            out = bytes.fromhex(value)
        except ValueError:
            raise PersonalizationError(path, f"expected hex digits, got {value!r}") from None
    else:
        raise PersonalizationError(path, f"expected a quoted hex string, got {value!r}")
    if length is not None and len(out) != length:
        raise PersonalizationError(path, f"expected {length} bytes, got {len(out)}")
    return out


def _read_yaml(path: Path, fmt: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PersonalizationError(str(path), f"cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise PersonalizationError(str(path), "expected a mapping at the top level")
    if data.get("format") != fmt:
        raise PersonalizationError(f"{path.name}: format", f"expected {fmt!r}, got {data.get('format')!r}")
    return data


def load_business_defaults(path: str | Path = BUSINESS_DEFAULTS_PATH) -> dict[str, str | bytes]:
    """Plausible business record values (PROFILE §3.3: the suite checks format, not content)."""
    data = _read_yaml(Path(path), DEFAULTS_FORMAT)
    records = data.get("records") or {}
    binary = set(data.get("binary_items") or ())
    out: dict[str, str | bytes] = {}
    for item, value in records.items():
        where = f"records.{item}"
        out[item] = _hex(value, where) if item in binary else _text(records, item, "records")
    return out


def load_personalization(
    source: Mapping[str, Any] | str | Path,
    *,
    strict: bool = True,
    business_defaults: Mapping[str, str | bytes] | None = None,
) -> Personalization:
    """Build a `Personalization` from a mapping or a YAML file (``format: ssc-personalization/1``).

    Business record values not given under ``records`` come from `business_defaults` (default:
    ``data/business_defaults.yaml``). `strict` also rejects check-character and date-order errors
    (turn it off to build deliberately defective test cards).
    """
    raw = _read_yaml(Path(source), FORMAT) if isinstance(source, (str, Path)) else dict(source)
    region = _digits(_text(raw, "region", ""), "region", _REGION_DIGITS)
    serial = _hex(raw.get("serial"), "serial", _SERIAL_BYTES) if raw.get("serial") is not None else None
    if serial is None:
        raise PersonalizationError("serial", "missing (required): 6 bytes of hex, the ATR's T8-T13")
    holder_raw = raw.get("cardholder")
    if not isinstance(holder_raw, Mapping):
        raise PersonalizationError("cardholder", "missing or not a mapping")
    holder = Cardholder(
        ssn=_text(holder_raw, "ssn", "cardholder"),
        name=_text(holder_raw, "name", "cardholder"),
        name_ext=_text(holder_raw, "name_ext", "cardholder", ""),
        gender=_text(holder_raw, "gender", "cardholder"),
        ethnicity=_digits(_text(holder_raw, "ethnicity", "cardholder"), "cardholder.ethnicity", 2),
        birthplace=_digits(_text(holder_raw, "birthplace", "cardholder"), "cardholder.birthplace", _REGION_DIGITS),
        birth_date=_date(_text(holder_raw, "birth_date", "cardholder"), "cardholder.birth_date"),
    )
    for key, value in (("name", holder.name), ("name_ext", holder.name_ext)):
        try:
            value.encode("gbk")
        except UnicodeEncodeError:
            raise PersonalizationError(f"cardholder.{key}", f"{value!r} cannot be written in GBK") from None
    issue = _date(_text(raw, "issue_date", ""), "issue_date")
    expiry = _date(_text(raw, "expiry_date", ""), "expiry_date")
    card_number = _text(raw, "card_number", "")
    institution = _digits(_text(raw, "init_institution", ""), "init_institution", _INSTITUTION_DIGITS)
    pin = _text(raw, "pin", "", None)
    if pin is not None:
        _digits(pin, "pin")
    if strict:
        problems = ssn_problems(holder.ssn)
        if problems:
            raise PersonalizationError("cardholder.ssn", "; ".join(problems))
        if not is_valid_card_number(card_number):
            raise PersonalizationError(
                "card_number", f"{card_number!r} is not 8 characters [0-9A-Z] plus a valid check character (PROFILE §4.2)"
            )
        if expiry <= issue:
            raise PersonalizationError("expiry_date", f"{expiry} is not after the issue date {issue}")
    records: dict[str, str | bytes] = dict(load_business_defaults() if business_defaults is None else business_defaults)
    given = raw.get("records") or {}
    if not isinstance(given, Mapping):
        raise PersonalizationError("records", "expected a mapping of item name to value")
    records.update(given)
    versions_raw = raw.get("key_versions")
    key_versions = None
    if versions_raw is not None:
        key_versions = tuple(
            v if isinstance(v, int) else int.from_bytes(_hex(v, f"key_versions[{i}]", 1), "big") for i, v in enumerate(versions_raw)
        )
    binaries = {path: _hex(v, f"binaries.{path}") for path, v in (raw.get("binaries") or {}).items()}
    optional = raw.get("optional_dfs") or ()
    if isinstance(optional, str) or not all(isinstance(p, str) for p in optional):
        raise PersonalizationError("optional_dfs", f"expected a list of DF paths, got {optional!r}")
    return Personalization(
        region=region,
        serial=serial,
        cardholder=holder,
        card_number=card_number,
        issue_date=issue,
        expiry_date=expiry,
        init_institution=institution,
        card_type=_text(raw, "card_type", "", "1"),
        pin=pin,
        optional_dfs=tuple(optional),
        local_extension=bool(raw.get("local_extension", False)),
        records=records,
        key_versions=key_versions,
        binaries=binaries,
        chip_cos=_hex(raw["chip_cos"], "chip_cos") if raw.get("chip_cos") is not None else None,
        card_maker=_hex(raw["card_maker"], "card_maker") if raw.get("card_maker") is not None else None,
    )
