"""The issuer-declaration format ``ssc-declaration/1`` as a schema model (fixtures/issuers/*.yaml).

The model says what shape each field has; harness/declaration.py adds what a schema cannot say
(the institution number starts with the region code, windows are ordered, no version twice) and
builds the Declaration. ``schemas/ssc-declaration-1.schema.json`` is generated from this model.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from ssc.formats import Check, DataModel, NonEmptyStr, digits, hex_bytes, value_error

__all__ = ["FORMAT", "AtrFields", "DeclarationFile", "IssuerName", "ValidityWindow"]

FORMAT = "ssc-declaration/1"
REGION_DIGITS = 6  # GB/T 2260
INSTITUTION_DIGITS = 24  # EF05 tag 04: 12 bytes cn (PROFILE §3.1)
_KEY_VERSION = "^(0[1-9A-Fa-f]|[1-9A-Fa-f][0-9A-Fa-f])$"


def _date(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 8 or not value.isdigit():
        raise value_error(f"expected a quoted date YYYYMMDD, got {value!r}")
    try:
        datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise value_error(f"{value} is not a real date") from None
    return value


def _generations(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(g, int) and not isinstance(g, bool) and g > 0 for g in items):
        raise value_error(f"expected a generation number (1, 2, 3) or a list of them, got {value!r}")
    return tuple(items)


def _key_version(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        version = value
    elif isinstance(value, str) and len(value) == 2:
        try:
            version = int(value, 16)
        except ValueError:
            raise value_error(f"expected two hex digits, got {value!r}") from None
    else:
        raise value_error(f'expected a quoted two-digit hex version such as "01", got {value!r}')
    if not 1 <= version <= 0xFF:
        raise value_error(f"key versions are 01–FF (00 means 'the active one' in commands, not a version), got {value!r}")
    return version


Date = Annotated[str, Check(_date, {"type": "string", "pattern": "^[0-9]{8}$"})]
_ONE_OR_MORE_GENERATIONS = {
    "oneOf": [
        {"type": "integer", "minimum": 1},
        {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1},
    ]
}
Generations = Annotated[tuple[int, ...], Check(_generations, _ONE_OR_MORE_GENERATIONS)]
KeyVersion = Annotated[
    int,
    Check(_key_version, {"oneOf": [{"type": "string", "pattern": _KEY_VERSION}, {"type": "integer", "minimum": 1, "maximum": 255}]}),
]
Years = Annotated[int, Field(ge=0)]


class IssuerName(DataModel):
    """The issuing institution, for reports."""

    zh: NonEmptyStr | None = None
    """name in Chinese"""
    en: NonEmptyStr | None = None
    """name in English"""


class ValidityWindow(DataModel):
    """The window the issuer declares for the cards' issue and expiry dates (bounds inclusive)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    issue_not_before: Date | None = None
    """earliest issue date (EF05 tag 05), quoted YYYYMMDD"""
    issue_not_after: Date | None = None
    """latest issue date, quoted YYYYMMDD"""
    expiry_not_after: Date | None = None
    """latest expiry date (EF05 tag 06), quoted YYYYMMDD"""
    min_years: Years | None = None
    """the shortest validity (expiry − issue) as a whole number of years"""
    max_years: Years | None = None
    """the longest validity (expiry − issue) as a whole number of years"""

    @model_validator(mode="after")
    def _not_empty(self) -> ValidityWindow:
        if not self.model_fields_set:
            fields = ", ".join(type(self).model_fields)
            raise value_error(f"expected a mapping with some of {fields}, got {{}}")
        return self


class AtrFields(DataModel):
    """ATR historical-byte fields by the profile's field names (atr.fields), as hex."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Annotated[str, hex_bytes(what="the field's bytes")]] = Field(init=False)

    cos_version: Annotated[str, hex_bytes(what="the declared COS version")]
    """the declared COS version (ATR T4), hex — required; chip_maker, cos_id, capacity, card_maker may be added"""


class DeclarationFile(DataModel):
    """An issuer declaration (发卡机构声明), format ssc-declaration/1: what an issuing region says
    its personalized test cards hold; the personalization review checks a card against it."""

    format: Literal["ssc-declaration/1"]
    """the format and its version"""
    region: Annotated[str, digits(REGION_DIGITS, what="GB/T 2260 code")]
    """issuing region, six-digit GB/T 2260 code (quoted)"""
    issuer: IssuerName | None = None
    """the issuing institution {zh, en}, for reports (optional)"""
    init_institution: Annotated[str, digits(INSTITUTION_DIGITS)]
    """the initialization institution number the cards carry (EF05 tag 04): 24 digits starting with the region code"""
    generation: Generations
    """card generation(s) issued: 1, 2, 3 or a list of them"""
    card_type: NonEmptyStr
    """the card-type item (EF05 tag 02) as a quoted string, e.g. "1" = personal card"""
    validity: ValidityWindow
    """the window for issue and expiry dates: at least one of its fields"""
    key_versions: Annotated[list[KeyVersion], Field(min_length=1)]
    """key versions loaded into the card, e.g. ["01", "02", "03"]"""
    local_extension: bool
    """true when the cards carry the local extension DF80 (地区扩充) and its keys"""
    optional_dfs: Annotated[list[NonEmptyStr], Field(json_schema_extra={"uniqueItems": True})]
    """the optional ADFs present, as a list of DF paths such as SSSE/DF05; [] for none"""
    atr: AtrFields
    """ATR historical-byte fields by the profile's field names, hex; cos_version is required"""
