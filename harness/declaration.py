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

The shape of each field is the schema model (harness/declaration_schema.py, published as
schemas/ssc-declaration-1.schema.json); this module adds the relations between fields. Only the
format is checked here; whether the field values fit a profile (an optional DF that the
profile has, an ATR field it names) is judged by the PER scenarios against the profile in use.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.declaration_schema import FORMAT, DeclarationFile, ValidityWindow
from ssc.bilingual import bilingual
from ssc.datafile import read_data_file
from ssc.formats import validate
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

DEFAULT_ISSUERS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "issuers"

_OPTIONAL, _LOCAL = "optional", "local"  # FileDef.presence values of DFs an issuer chooses
_DATE_FIELDS = ("issue_not_before", "issue_not_after", "expiry_not_after")


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
        for label, label_zh, text in (("issue date", "发卡日期", issue), ("expiry date", "卡有效期", expiry)):
            try:
                dates[label] = _parse_date(text)
            except (ValueError, TypeError):
                out.append(bilingual(f"{label_zh} {text!r} 不是 YYYYMMDD 日期", f"{label} {text!r} is not a date YYYYMMDD"))
        if out:
            return out
        i, e = dates["issue date"], dates["expiry date"]
        if self.issue_not_before and i < self.issue_not_before:
            out.append(
                bilingual(
                    f"发卡日期 {issue} 早于声明的最早发卡日期 {self.issue_not_before:%Y%m%d}",
                    f"issue date {issue} is before the declared earliest issue date {self.issue_not_before:%Y%m%d}",
                )
            )
        if self.issue_not_after and i > self.issue_not_after:
            out.append(
                bilingual(
                    f"发卡日期 {issue} 晚于声明的最晚发卡日期 {self.issue_not_after:%Y%m%d}",
                    f"issue date {issue} is after the declared latest issue date {self.issue_not_after:%Y%m%d}",
                )
            )
        if self.expiry_not_after and e > self.expiry_not_after:
            out.append(
                bilingual(
                    f"卡有效期 {expiry} 晚于声明的最晚有效期 {self.expiry_not_after:%Y%m%d}",
                    f"expiry date {expiry} is after the declared latest expiry date {self.expiry_not_after:%Y%m%d}",
                )
            )
        if self.min_years is not None and e < _add_years(i, self.min_years):
            out.append(
                bilingual(
                    f"有效期 {issue}–{expiry} 短于声明的最短 {self.min_years} 年",
                    f"validity {issue}–{expiry} is shorter than the declared minimum of {self.min_years} years",
                )
            )
        if self.max_years is not None and e > _add_years(i, self.max_years):
            out.append(
                bilingual(
                    f"有效期 {issue}–{expiry} 长于声明的最长 {self.max_years} 年",
                    f"validity {issue}–{expiry} is longer than the declared maximum of {self.max_years} years",
                )
            )
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

    doc = validate(DeclarationFile, read_data_file(p, FORMAT, DeclarationError, what="the issuer declaration"), fail)
    # what the schema cannot say: relations between fields
    if not doc.init_institution.startswith(doc.region):
        raise fail("init_institution", f"{doc.init_institution} does not start with the declared region code {doc.region}")
    if len(set(doc.optional_dfs)) != len(doc.optional_dfs):
        raise fail("optional_dfs", f"lists a DF twice: {doc.optional_dfs!r}")
    return Declaration(
        source=src,
        region=doc.region,
        init_institution=doc.init_institution,
        generations=doc.generation,
        card_type=doc.card_type,
        validity=_validity(doc.validity, fail),
        key_versions=_versions(doc.key_versions, fail),
        local_extension=doc.local_extension,
        optional_dfs=tuple(doc.optional_dfs),
        atr={name: bytes.fromhex(value) for name, value in {"cos_version": doc.atr.cos_version, **(doc.atr.model_extra or {})}.items()},
        issuer={k: v for k, v in (doc.issuer.model_dump() if doc.issuer else {}).items() if v is not None},
        path=p,
    )


def _validity(window: ValidityWindow, fail: Any) -> Validity:
    dates = {name: _parse_date(getattr(window, name)) for name in _DATE_FIELDS if getattr(window, name) is not None}
    v = Validity(**dates, min_years=window.min_years, max_years=window.max_years)
    if v.issue_not_before and v.issue_not_after and v.issue_not_after < v.issue_not_before:
        raise fail("validity.issue_not_after", "is before validity.issue_not_before")
    if v.min_years is not None and v.max_years is not None and v.max_years < v.min_years:
        raise fail("validity.max_years", f"{v.max_years} is less than validity.min_years {v.min_years}")
    return v


def _versions(versions: list[int], fail: Any) -> tuple[int, ...]:
    for i, version in enumerate(versions):
        if version in versions[:i]:
            raise fail(f"key_versions[{i}]", f"version {version:02X} is listed twice")
    return tuple(versions)
