"""What the invalid-card lists are declared to do to the matrix's cards (INT-XR-6).

An expectation must come from somewhere other than the code under test: the terminal's list
matching (`terminal.invalid_lists`) decides whether a card is listed, so the harness takes "should
it be listed, and by which terminals refused" from a declaration (fixtures/interop_expectations.yaml)
looked up by the card's matrix row or declared card number — plain string lookups, no matching of
card data against list entries. A matcher that lists nothing, or everything, then disagrees with
the declaration and fails its cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssc.datafile import read_data_file
from terminal.errors import InputError
from terminal.invalid_lists import LEVELS

__all__ = ["DEFAULT_EXPECTATIONS", "DeclaredListing", "ExpectationError", "ListExpectations", "load_expectations"]

DEFAULT_EXPECTATIONS = Path(__file__).resolve().parents[1] / "fixtures" / "interop_expectations.yaml"
FORMAT = "ssc-interop-expectations/1"
ALL = "all"


class ExpectationError(InputError):
    pass


@dataclass(frozen=True)
class DeclaredListing:
    card: str | None  # a card-set row "<region>/<generation>"
    card_number: str | None
    lists: tuple[str, ...]  # "national", "provincial 440000", "city 441800"
    refused_by: tuple[str, ...] | None  # terminal regions; None = every terminal

    @property
    def levels(self) -> set[str]:
        return {entry.split()[0] for entry in self.lists}

    def refused_at(self, terminal_region: str) -> bool:
        return self.refused_by is None or terminal_region in self.refused_by


@dataclass(frozen=True)
class ListExpectations:
    listings: tuple[DeclaredListing, ...]
    source: str

    def for_card(self, row: str | None, card_number: str | None) -> DeclaredListing | None:
        """The declaration naming a card by its set row (issued cards) or its declared card number."""
        for listing in self.listings:
            if (listing.card is not None and listing.card == row) or (
                listing.card_number is not None and listing.card_number == card_number
            ):
                return listing
        return None


def load_expectations(path: str | Path | None = None) -> ListExpectations:
    p = Path(path) if path is not None else DEFAULT_EXPECTATIONS
    src = p.name

    def fail(field: str, message: str) -> ExpectationError:
        return ExpectationError(f"{src}: {field}: {message}")

    data = read_data_file(p, FORMAT, ExpectationError)
    raw = data.get("listed") or []
    if not isinstance(raw, list):
        raise fail("listed", f"expected a list, got {type(raw).__name__}")
    return ListExpectations(tuple(_listing(e, f"listed[{i}]", fail) for i, e in enumerate(raw)), src)


def _listing(raw: Any, field: str, fail: Any) -> DeclaredListing:
    if not isinstance(raw, dict):
        raise fail(field, f"expected a mapping, got {raw!r}")
    card, number = raw.get("card"), raw.get("card_number")
    if (card is None) == (number is None):
        raise fail(field, "give exactly one of card and card_number")
    if card is not None and (not isinstance(card, str) or "/" not in card):
        raise fail(f"{field}.card", f'expected a card-set row such as "441800/gen3", got {card!r}')
    if number is not None and not isinstance(number, str):
        raise fail(f"{field}.card_number", f"expected a quoted card number, got {number!r}")
    lists = raw.get("lists")
    if not isinstance(lists, list) or not lists or not all(isinstance(x, str) and x.split()[0] in LEVELS for x in lists):
        raise fail(f"{field}.lists", f"expected a non-empty list of 'national' / 'provincial <code>' / 'city <code>', got {lists!r}")
    refused = raw.get("refused_by", ALL)
    if refused == ALL:
        refused_by = None
    elif isinstance(refused, list) and all(isinstance(x, str) for x in refused):
        refused_by = tuple(refused)
    else:
        raise fail(f"{field}.refused_by", f'expected "all" or a list of quoted region codes, got {refused!r}')
    return DeclaredListing(card, number, tuple(lists), refused_by)
