"""The Implementation Conformance Statement format ``ssc-ics/1`` as a schema model (fixtures/ics/*.yaml).

A vendor states in its ICS (with the IXIT part: identifiers and values the lab needs) which of the
behaviours PROFILE allows its card has. Every option is optional in the file: an option the ICS
leaves out is *undeclared*, and the cases it decides are reported not run ("ICS does not declare
…"), never guessed. `harness/ics.py` loads the file; `harness/ics_options.py` says which cases each
option decides. ``schemas/ssc-ics-1.schema.json`` is generated from this model.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from harness.declaration_schema import KeyVersion
from ssc.formats import DataModel, NonEmptyStr, hex_bytes

__all__ = ["FORMAT", "IcsFile", "PinOption", "Product"]

FORMAT = "ssc-ics/1"
ChallengeLength = Annotated[int, Field(ge=1, le=255)]


class Product(DataModel):
    """Who made the card and its COS (the ATR historical bytes of PROFILE §2 carry them), hex."""

    chip_maker: Annotated[str, hex_bytes(2, what="the chip maker id (ATR T1–T2)")] | None = None
    """chip maker id, ATR T1–T2, e.g. "0081\""""
    cos_id: Annotated[str, hex_bytes(1, what="the COS id (ATR T3)")] | None = None
    """COS id, ATR T3"""
    cos_version: Annotated[str, hex_bytes(1, what="the COS version (ATR T4)")] | None = None
    """COS version, ATR T4"""
    card_maker: Annotated[str, hex_bytes(2, what="the card maker id (ATR T6–T7)")] | None = None
    """card maker id, ATR T6–T7"""
    name: NonEmptyStr | None = None
    """the product's name, for the report"""


class PinOption(DataModel):
    """The PIN as personalized: how many digits it may have and how many tries it allows."""

    min_digits: Annotated[int, Field(ge=1)]
    """the shortest PIN the card accepts, in decimal digits"""
    max_digits: Annotated[int, Field(ge=1)]
    """the longest PIN the card accepts, in decimal digits"""
    tries: Annotated[int, Field(ge=1)]
    """the PIN try counter's initial value"""


class IcsFile(DataModel):
    """An Implementation Conformance Statement (实现一致性声明), format ssc-ics/1: the options of
    PROFILE a card implements. An option left out is undeclared; its cases are not run."""

    format: Literal["ssc-ics/1"]
    """the format and its version"""
    product: Product | None = None
    """card maker and COS identifiers (IXIT), hex"""
    generation: Annotated[int, Field(ge=1)] | None = None
    """the card's generation (1, 2, 3): chooses the profile of a plan made without a card"""
    declaration: NonEmptyStr | None = None
    """the issuer declaration (ssc-declaration/1) that goes with this ICS, relative to this file (optional)"""
    optional_dfs: Annotated[list[NonEmptyStr], Field(json_schema_extra={"uniqueItems": True})] | None = None
    """the optional ADFs present, by profile path (e.g. [SSSE/DF05]); every other optional ADF is declared absent"""
    local_extension: bool | None = None
    """true when the card carries the local extension DF80 (地区扩充) and its keys"""
    pse: bool | None = None
    """true when the card carries the financial application (PSE, 1PAY.SYS.DDF01) beside SSSE"""
    pin: PinOption | None = None
    """PIN length (digits) and tries"""
    fci_proprietary: bool | None = None
    """true when the card's FCIs carry proprietary elements beyond the profile's templates"""
    key_versions: Annotated[list[KeyVersion], Field(min_length=1)] | None = None
    """key versions loaded, e.g. ["01", "02", "03"]"""
    challenge_lengths: Annotated[list[ChallengeLength], Field(min_length=1)] | None = None
    """GET CHALLENGE lengths (bytes) the card supports, e.g. [4, 8, 16]"""
