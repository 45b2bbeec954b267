"""Issuer declarations (发卡机构声明): what an issuing region says its personalized test cards hold.

Before a region issues its first cards, it submits test cards together with a declaration; the
personalization review (REQUIREMENTS PER-1..3) checks the card against it. A declaration is data
(``fixtures/issuers/<region>.yaml``, ``format: ssc-declaration/1``), written by hand by a lab, so
every loading error names the file and the field: ``330200.yaml: validity.issue_not_before:
20241301 is not a real date``.

Fields (see the header of ``fixtures/issuers/441800.yaml`` for a worked example):

    format            ssc-declaration/1
    region            issuing region, six-digit GB/T 2260 code (quoted)
    issuer            {zh, en}: the issuing institution, for reports (optional)
    init_institution  the initialization institution number the cards carry (24 digits; starts
                      with the region code)
    generation        card generation(s) issued: 1, 2, 3 or a list of them
    card_type         card type item (EF05 tag 02), e.g. "1" = personal card
    validity          issue_not_before / issue_not_after / expiry_not_after (YYYYMMDD) and
                      min_years / max_years (expiry − issue in whole years); at least one field
    key_versions      key versions loaded into the card, e.g. ["01", "02", "03"]
    local_extension   true when the cards carry the local extension DF80 (地区扩充) and its keys
    optional_dfs      optional ADFs present, by profile path (e.g. [SSSE/DF05]); [] for none
    atr               ATR historical-byte fields by the profile's field names, hex; cos_version
                      (the declared COS version, ATR T4) is required, chip_maker, cos_id,
                      capacity, card_maker may be added

Only the format is checked here; whether the field values fit a profile (an optional DF that the
profile has, an ATR field it names) is judged by the PER scenarios against the profile in use.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssc.datafile import read_data_file
from ssc.profile.model import Profile
from terminal.errors import InputError

__all__ = [
    "DEFAULT_ISSUERS_DIR",
    "Declaration",
    "DeclarationError",
    "Validity",
    "default_declaration_path",
    "load_declaration",
]

FORMAT = "ssc-declaration/1"
DEFAULT_ISSUERS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "issuers"
REQUIRED_ATR_FIELD = "cos_version"

_OPTIONAL, _LOCAL = "optional", "local"  # FileDef.presence values of DFs an issuer chooses
_REGION_DIGITS = 6  # GB/T 2260
_INSTITUTION_DIGITS = 24  # EF05 tag 04: 12 bytes cn (PROFILE §3.1)
_KNOWN_FIELDS = frozenset(
    {
        "format",
        "region",
        "issuer",
        "init_institution",
        "generation",
        "card_type",
        "validity",
        "key_versions",
        "local_extension",
        "optional_dfs",
        "atr",
    }
)
_VALIDITY_FIELDS = ("issue_not_before", "issue_not_after", "expiry_not_after", "min_years", "max_years")


class DeclarationError(InputError):
    """A declaration file is unreadable or a field is missing or malformed."""


def _parse_date(text: str) -> datetime.date:
    return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Validity:
    """The window the issuer declares for issue and expiry dates (all bounds inclusive)."""

    issue_not_before: datetime.date | None = None
    issue_not_after: datetime.date | None = None
    expiry_not_after: datetime.date | None = None
    min_years: int | None = None
    max_years: int | None = None

    def problems(self, issue: str, expiry: str) -> list[str]:
        """Why the card's issue and expiry dates (YYYYMMDD as read) fall outside the window."""
        out: list[str] = []
        dates: dict[str, datetime.date] = {}
        for label, text in (("issue date", issue), ("expiry date", expiry)):
            try:
                dates[label] = _parse_date(text)
            except (ValueError, TypeError):
                out.append(f"{label} {text!r} is not a date YYYYMMDD")
        if out:
            return out
        i, e = dates["issue date"], dates["expiry date"]
        if self.issue_not_before and i < self.issue_not_before:
            out.append(f"issue date {issue} is before the declared earliest issue date {self.issue_not_before:%Y%m%d}")
        if self.issue_not_after and i > self.issue_not_after:
            out.append(f"issue date {issue} is after the declared latest issue date {self.issue_not_after:%Y%m%d}")
        if self.expiry_not_after and e > self.expiry_not_after:
            out.append(f"expiry date {expiry} is after the declared latest expiry date {self.expiry_not_after:%Y%m%d}")
        if self.min_years is not None and e < _add_years(i, self.min_years):
            out.append(f"validity {issue}–{expiry} is shorter than the declared minimum of {self.min_years} years")
        if self.max_years is not None and e > _add_years(i, self.max_years):
            out.append(f"validity {issue}–{expiry} is longer than the declared maximum of {self.max_years} years")
        return out

    def describe(self) -> str:
        parts = []
        if self.issue_not_before:
            parts.append(f"issued from {self.issue_not_before:%Y%m%d}")
        if self.issue_not_after:
            parts.append(f"issued until {self.issue_not_after:%Y%m%d}")
        if self.expiry_not_after:
            parts.append(f"expiring by {self.expiry_not_after:%Y%m%d}")
        if self.min_years is not None or self.max_years is not None:
            parts.append(
                f"valid {self.min_years if self.min_years is not None else 0}–{self.max_years if self.max_years is not None else '∞'} years"
            )
        return ", ".join(parts)


@dataclass(frozen=True)
class Declaration:
    source: str  # file name, for messages
    region: str
    init_institution: str
    generations: tuple[int, ...]
    card_type: str
    validity: Validity
    key_versions: tuple[int, ...]
    local_extension: bool
    optional_dfs: tuple[str, ...]
    atr: Mapping[str, bytes]
    issuer: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None

    def where(self, field_name: str) -> str:
        """``"441800.yaml: key_versions"``: where a value came from, for assertion messages."""
        return f"{self.source}: {field_name}"

    def dfs_declared(self, profile: Profile) -> dict[str, bool]:
        """Each optional and local DF of `profile` → whether this declaration says the card has it
        (optional ADFs by `optional_dfs`, the local extension DF80 by `local_extension`)."""
        return {
            f.path: self.local_extension if f.presence == _LOCAL else f.path in self.optional_dfs
            for f in profile.files.values()
            if f.is_df and f.presence in (_OPTIONAL, _LOCAL)
        }

    def present_dfs(self, profile: Profile) -> list[str]:
        return [path for path, present in self.dfs_declared(profile).items() if present]

    def unknown_optional_dfs(self, profile: Profile) -> list[str]:
        """Entries of `optional_dfs` that are not optional DFs of `profile`."""
        optional = {f.path for f in profile.files.values() if f.is_df and f.presence == _OPTIONAL}
        return [path for path in self.optional_dfs if path not in optional]

    @property
    def label(self) -> str:
        name = self.issuer.get("zh") or self.issuer.get("en") or ""
        return f"{self.region} {name}".strip() + f" ({self.source})"


# -- loading -----------------------------------------------------------------------------------


def default_declaration_path(region: str, issuers_dir: Path = DEFAULT_ISSUERS_DIR) -> Path | None:
    """``fixtures/issuers/<region>.yaml`` when it exists (the embedded card's own declaration)."""
    p = issuers_dir / f"{region}.yaml"
    return p if p.is_file() else None


def load_declaration(path: str | Path) -> Declaration:
    p = Path(path)
    src = p.name

    def fail(field_name: str, message: str) -> DeclarationError:
        return DeclarationError(f"{src}: {field_name}: {message}")

    data = read_data_file(p, FORMAT, DeclarationError, what="the issuer declaration")
    unknown = sorted(set(map(str, data)) - _KNOWN_FIELDS)
    if unknown:
        raise fail(unknown[0], f"unknown field; a declaration has {', '.join(sorted(_KNOWN_FIELDS))}")

    def required(name: str) -> Any:
        if data.get(name) is None:
            raise fail(name, "missing (required)")
        return data[name]

    def digits(value: Any, name: str, count: int) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            raise fail(name, f"expected a quoted string of {count} digits (YAML reads {value!r} as a number; quote it)")
        if not isinstance(value, str) or len(value) != count or not value.isascii() or not value.isdigit():
            raise fail(name, f"expected {count} decimal digits (quoted), got {value!r}")
        return value

    region = digits(required("region"), "region", _REGION_DIGITS)
    institution = digits(required("init_institution"), "init_institution", _INSTITUTION_DIGITS)
    if not institution.startswith(region):
        raise fail("init_institution", f"{institution} does not start with the declared region code {region}")

    raw_gen = required("generation")
    gens = raw_gen if isinstance(raw_gen, list) else [raw_gen]
    if not gens or not all(isinstance(g, int) and not isinstance(g, bool) and g > 0 for g in gens):
        raise fail("generation", f"expected a generation number (1, 2, 3) or a list of them, got {raw_gen!r}")

    card_type = required("card_type")
    if not isinstance(card_type, str) or not card_type:
        raise fail("card_type", f'expected the card-type item as a quoted string (e.g. "1"), got {card_type!r}')

    validity = _load_validity(required("validity"), fail)
    key_versions = _load_versions(required("key_versions"), fail)

    local = required("local_extension")
    if not isinstance(local, bool):
        raise fail("local_extension", f"expected true or false, got {local!r}")

    optional = data.get("optional_dfs")
    if optional is None:
        raise fail("optional_dfs", "missing (required): the optional ADFs present, e.g. [SSSE/DF05], or [] for none")
    if not isinstance(optional, list) or not all(isinstance(x, str) and x for x in optional):
        raise fail("optional_dfs", f"expected a list of DF paths such as SSSE/DF05, got {optional!r}")
    if len(set(optional)) != len(optional):
        raise fail("optional_dfs", f"lists a DF twice: {optional!r}")

    atr = _load_atr(required("atr"), fail)

    issuer = data.get("issuer") or {}
    if not isinstance(issuer, dict) or not all(isinstance(v, str) for v in issuer.values()) or set(issuer) - {"zh", "en"}:
        raise fail("issuer", f"expected {{zh: ..., en: ...}}, got {issuer!r}")

    return Declaration(
        source=src,
        region=region,
        init_institution=institution,
        generations=tuple(gens),
        card_type=card_type,
        validity=validity,
        key_versions=key_versions,
        local_extension=local,
        optional_dfs=tuple(optional),
        atr=atr,
        issuer=dict(issuer),
        path=p,
    )


def _load_validity(raw: Any, fail: Any) -> Validity:
    if not isinstance(raw, dict) or not raw:
        raise fail("validity", f"expected a mapping with some of {', '.join(_VALIDITY_FIELDS)}, got {raw!r}")
    unknown = sorted(set(map(str, raw)) - set(_VALIDITY_FIELDS))
    if unknown:
        raise fail(f"validity.{unknown[0]}", f"unknown field; expected {', '.join(_VALIDITY_FIELDS)}")
    values: dict[str, Any] = {}
    for name in ("issue_not_before", "issue_not_after", "expiry_not_after"):
        text = raw.get(name)
        if text is None:
            continue
        where = f"validity.{name}"
        if not isinstance(text, str) or len(text) != 8 or not text.isdigit():
            raise fail(where, f"expected a quoted date YYYYMMDD, got {text!r}")
        try:
            values[name] = _parse_date(text)
        except ValueError:
            raise fail(where, f"{text} is not a real date") from None
    for name in ("min_years", "max_years"):
        n = raw.get(name)
        if n is None:
            continue
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise fail(f"validity.{name}", f"expected a whole number of years, got {n!r}")
        values[name] = n
    v = Validity(**values)
    if v.issue_not_before and v.issue_not_after and v.issue_not_after < v.issue_not_before:
        raise fail("validity.issue_not_after", "is before validity.issue_not_before")
    if v.min_years is not None and v.max_years is not None and v.max_years < v.min_years:
        raise fail("validity.max_years", f"{v.max_years} is less than validity.min_years {v.min_years}")
    return v


def _load_versions(raw: Any, fail: Any) -> tuple[int, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail("key_versions", f'expected a non-empty list of key versions such as ["01", "02"], got {raw!r}')
    out: list[int] = []
    for i, v in enumerate(raw):
        where = f"key_versions[{i}]"
        if isinstance(v, bool):
            raise fail(where, f"expected a key version, got {v!r}")
        if isinstance(v, int):
            version = v
        elif isinstance(v, str) and len(v) == 2:
            try:
                version = int(v, 16)
            except ValueError:
                raise fail(where, f"expected two hex digits, got {v!r}") from None
        else:
            raise fail(where, f'expected a quoted two-digit hex version such as "01", got {v!r}')
        if not 1 <= version <= 0xFF:
            raise fail(where, f"key versions are 01–FF (00 means 'the active one' in commands, not a version), got {v!r}")
        if version in out:
            raise fail(where, f"version {version:02X} is listed twice")
        out.append(version)
    return tuple(out)


def _load_atr(raw: Any, fail: Any) -> dict[str, bytes]:
    if not isinstance(raw, dict):
        raise fail("atr", f'expected a mapping of ATR field names to hex, e.g. {{{REQUIRED_ATR_FIELD}: "46"}}, got {raw!r}')
    if raw.get(REQUIRED_ATR_FIELD) is None:
        raise fail(f"atr.{REQUIRED_ATR_FIELD}", "missing (required): the declared COS version (ATR T4), hex")
    out: dict[str, bytes] = {}
    for name, value in raw.items():
        where = f"atr.{name}"
        if not isinstance(value, str):
            raise fail(where, f"expected quoted hex, got {value!r}")
        try:
            out[str(name)] = bytes.fromhex(value)
        except ValueError:
            raise fail(where, f"expected hex digits, got {value!r}") from None
        if not out[str(name)]:
            raise fail(where, "is empty")
    return out
