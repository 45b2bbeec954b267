"""The region-registry format ``ssc-regions/1`` as a schema model (fixtures/regions.yaml).

terminal/regions.py adds what a schema cannot say: a province code ends in 0000, a region is
prefecture-level and lies in its declared province, terminal numbers are unique and fit the
profile's PSAM. ``schemas/ssc-regions-1.schema.json`` is generated from this model.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ssc.formats import DataModel, NonEmptyStr, digits

__all__ = ["FORMAT", "ProvinceEntry", "RegionEntry", "RegionsDocument"]

FORMAT = "ssc-regions/1"
CODE_DIGITS = 6  # GB/T 2260: 2 province, 2 prefecture, 2 county digits

Code = Annotated[str, digits(CODE_DIGITS, what="GB/T 2260 code")]


class ProvinceEntry(DataModel):
    """A province, by its names."""

    zh: NonEmptyStr
    """name in Chinese, as in GB/T 2260"""
    en: NonEmptyStr
    """name in English (pinyin)"""


class RegionEntry(DataModel):
    """A prefecture-level city whose cards and terminals take part in cross-region runs."""

    zh: NonEmptyStr
    """name in Chinese, as in GB/T 2260"""
    en: NonEmptyStr
    """name in English (pinyin)"""
    province: Code
    """the code of its province (xx0000, quoted), declared under provinces"""
    terminal_number: Annotated[str, digits(what="the terminal number of the region's PSAM")]
    """the terminal number of the region's software PSAM, quoted decimal digits (twice the profile's psam.terminal_number.length)"""


class RegionsDocument(DataModel):
    """The registry of test regions, format ssc-regions/1: which cities a cross-region
    interoperability run covers (cards issued in each region × terminals of each region)."""

    format: Literal["ssc-regions/1"]
    """the format and its version"""
    provinces: Annotated[dict[Code, ProvinceEntry], Field(min_length=1)]
    """provinces by code (xx0000, quoted)"""
    regions: Annotated[dict[Code, RegionEntry], Field(min_length=1)]
    """regions by prefecture-level code (xxyy00, quoted)"""
