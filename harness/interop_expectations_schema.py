"""The interop-expectations format ``ssc-interop-expectations/1`` as a schema model
(fixtures/interop_expectations.yaml).

harness/interop_expectations.py builds the lookup from it; ``schemas/ssc-interop-expectations-1.schema.json``
is generated from this model, so a lab's editor checks the file as it is typed.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from ssc.formats import Check, DataModel, NonEmptyStr, value_error

__all__ = ["FORMAT", "ExpectationsDocument", "ListingDocument"]

FORMAT = "ssc-interop-expectations/1"
_LIST_NAME = re.compile(r"^(national|provincial [0-9]{6}|city [0-9]{6})$")
_ROW = re.compile(r"^[0-9]{6}/gen[0-9]+$")


def _list_name(value: Any) -> str:
    if not isinstance(value, str) or not _LIST_NAME.match(value):
        raise value_error(f"expected 'national', 'provincial <6-digit code>' or 'city <6-digit code>', got {value!r}")
    return value


def _row(value: Any) -> str:
    if not isinstance(value, str) or not _ROW.match(value):
        raise value_error(f'expected a card-set row such as "441800/gen3", got {value!r}')
    return value


def _region(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{6}", value):
        raise value_error(f"expected a quoted 6-digit terminal region code, got {value!r}")
    return value


ListName = Annotated[str, Check(_list_name, {"type": "string", "pattern": _LIST_NAME.pattern})]
Row = Annotated[str, Check(_row, {"type": "string", "pattern": _ROW.pattern})]
Region = Annotated[str, Check(_region, {"type": "string", "pattern": "^[0-9]{6}$"})]


class ListingDocument(DataModel):
    """One card the invalid-card lists name, by exactly one of card and card_number."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["card"]}, {"required": ["card_number"]}]})

    card: Row | None = None
    """a row of the harness-issued card set, "<region>/<generation>" (embedded reference card runs)"""
    card_number: NonEmptyStr | None = None
    """the card's declared card number, quoted (any card, e.g. a lab's DUT)"""
    lists: Annotated[list[ListName], Field(min_length=1)]
    """the lists naming the card: "national", "provincial <code>" or "city <code>\""""
    refused_by: Literal["all"] | list[Region] = "all"
    """"all" (every terminal refuses the card) or the terminal regions that must refuse it"""

    @model_validator(mode="before")
    @classmethod
    def _one_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and (data.get("card") is None) == (data.get("card_number") is None):
            raise value_error("give exactly one of card and card_number")
        return data


class ExpectationsDocument(DataModel):
    """Declared expectations of the cross-region matrix for INT-XR-6, format
    ssc-interop-expectations/1: which cards the invalid-card lists name and which terminals must
    refuse them, written by hand so the expectation does not come from the matcher under test."""

    format: Literal["ssc-interop-expectations/1"]
    """the format and its version"""
    listed: list[ListingDocument] = []
    """the listed cards; a card not named here is expected to be accepted as far as the lists go"""
