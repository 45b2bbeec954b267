"""The invalid-card-list format ``ssc-invalid-list/1`` as a schema model (fixtures/invalid_lists/).

terminal/invalid_lists.py adds what a schema cannot say: a card number's check character
(PROFILE §4.2), a scope of the right level. ``schemas/ssc-invalid-list-1.schema.json`` is
generated from this model; it also says in JSON Schema terms that only a non-national list has a scope.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, model_validator

from ssc.formats import Check, DataModel, digits, hex_bytes, value_error

__all__ = ["CARD_ID_BYTES", "FORMAT", "LEVELS", "REASONS", "InvalidListDocument", "ListEntryDocument"]

FORMAT = "ssc-invalid-list/1"
Level = Literal["national", "provincial", "city"]
Reason = Literal["lost", "damaged", "expired"]  # PROFILE §8: lost, damaged or expired cards
LEVELS: tuple[str, ...] = get_args(Level)
REASONS: tuple[str, ...] = get_args(Reason)
CARD_ID_BYTES = 16  # PROFILE §4.1
CARD_NUMBER_LENGTH = 9  # PROFILE §4.2: 8 characters and a check character


def _card_number(value: Any) -> str:
    if not isinstance(value, str) or len(value) != CARD_NUMBER_LENGTH:
        raise value_error(
            f"expected a quoted {CARD_NUMBER_LENGTH}-character card number with a valid check character (PROFILE §4.2), got {value!r}"
        )
    return value


CardNumber = Annotated[str, Check(_card_number, {"type": "string", "minLength": CARD_NUMBER_LENGTH, "maxLength": CARD_NUMBER_LENGTH})]


class ListEntryDocument(DataModel):
    """One listed card, named by exactly one of card_number and card_id."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["card_number"]}, {"required": ["card_id"]}]})

    card_number: CardNumber | None = None
    """the 9-character card number with its check character (PROFILE §4.2), quoted"""
    card_id: Annotated[str, hex_bytes(CARD_ID_BYTES, what=f"{CARD_ID_BYTES} bytes, {2 * CARD_ID_BYTES} hex digits")] | None = None
    """the 16-byte card identification code as 32 hex digits (PROFILE §4.1)"""
    reason: Reason
    """why the card is listed: lost, damaged or expired"""

    @model_validator(mode="before")
    @classmethod
    def _one_key(cls, data: Any) -> Any:
        """Checked before the fields: with both keys given, which one is malformed is beside the point."""
        if isinstance(data, dict) and (data.get("card_number") is None) == (data.get("card_id") is None):
            raise value_error("give exactly one of card_number and card_id")
        return data


class InvalidListDocument(DataModel):
    """One invalid-card list (失效名单, PROFILE §8), format ssc-invalid-list/1: the national list,
    a province's or a city's. A terminal refuses a card that any list covering it names."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"level": {"const": "national"}}},
            "then": {"not": {"required": ["scope"]}},
            "else": {"required": ["scope"]},
        }
    )

    format: Literal["ssc-invalid-list/1"]
    """the format and its version"""
    level: Level
    """national, provincial or city"""
    scope: Annotated[str, digits(6, what="GB/T 2260 code")] | None = None
    """absent for the national list; the province code ("440000") of a provincial list; the prefecture-level city code ("441800") of a city list"""
    entries: list[ListEntryDocument] | None = None
    """the listed cards (none when absent)"""
