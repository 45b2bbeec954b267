"""The card-set format ``ssc-card-set/1`` as a schema model (fixtures/cardsets/*.yaml).

A lab's test cards for the cross-region matrix (REQUIREMENTS INT-XR-*): physical cards of several
issuing regions, each in its own reader or swapped in turn through one reader, and the cards the
lab declares invalid (for INT-XR-7) with the reason. harness/cardset_file.py loads it;
``schemas/ssc-card-set-1.schema.json`` is generated from this model.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field

from ssc.formats import Check, DataModel, NonEmptyStr, value_error

__all__ = ["FORMAT", "INVALID_REASONS", "CardDocument", "CardSetDocument", "InvalidDocument"]

FORMAT = "ssc-card-set/1"
# Why a lab declares a test card invalid (REQUIREMENTS INT-XR-6/7, PROFILE §4.1, §8).
INVALID_REASONS = ("identification_code_mac", "unknown_issuer", "invalid_list", "expired", "other")


def _region(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{6}", value):
        raise value_error(f"expected a quoted 6-digit issuing region code, got {value!r}")
    return value


def _generation(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"gen[0-9]+", value):
        raise value_error(f"expected a built-in profile name such as gen2 or gen3, got {value!r}")
    return value


Region = Annotated[str, Check(_region, {"type": "string", "pattern": "^[0-9]{6}$"})]
Generation = Annotated[str, Check(_generation, {"type": "string", "pattern": "^gen[0-9]+$"})]


class InvalidDocument(DataModel):
    """Why the lab declares this card invalid: every terminal must refuse it (INT-XR-7)."""

    reason: Literal["identification_code_mac", "unknown_issuer", "invalid_list", "expired", "other"]
    """identification_code_mac (its MAC does not verify), unknown_issuer, invalid_list (on a list
    covering it), expired, or other"""
    why: NonEmptyStr
    """in the lab's words, e.g. "MAC bytes personalized from a wrong IRK", for the report"""


class CardDocument(DataModel):
    """One test card of the set."""

    reader: NonEmptyStr
    """the PC/SC reader holding the card: exact name, glob or substring (as --card reader:NAME)"""
    swap: bool = False
    """true: the card shares its reader with other cards of the set; the operator is asked on the
    console to insert it when its turn comes, and the card's identity is checked before use"""
    region: Region
    """the issuing region the issuer declares (6 digits, quoted)"""
    generation: Generation
    """the card's profile (gen1, gen2, gen3)"""
    card_number: NonEmptyStr | None = None
    """the declared card number (quoted): checked against the card after it is inserted"""
    label: NonEmptyStr | None = None
    """the card's row name in the matrix (default: "<region>/<generation>@<reader>")"""
    invalid: InvalidDocument | None = None
    """present only for a card the lab declares invalid; such a card is used for INT-XR-7 only"""


class CardSetDocument(DataModel):
    """The lab's physical test cards for the cross-region matrix, format ssc-card-set/1."""

    format: Literal["ssc-card-set/1"]
    """the format and its version"""
    cards: Annotated[list[CardDocument], Field(min_length=1)]
    """the cards, in the order their rows appear in the matrix"""
