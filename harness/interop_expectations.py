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

from harness.interop_expectations_schema import FORMAT, ExpectationsDocument
from ssc.datafile import read_data_file
from ssc.formats import validate
from terminal.errors import InputError

__all__ = ["DEFAULT_EXPECTATIONS", "DeclaredListing", "ExpectationError", "ListExpectations", "load_expectations"]

DEFAULT_EXPECTATIONS = Path(__file__).resolve().parents[1] / "fixtures" / "interop_expectations.yaml"


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
    """The declaration at `path` (default: fixtures/interop_expectations.yaml); one-line errors
    name the file and the field (the shape is checked by the schema model)."""
    p = Path(path) if path is not None else DEFAULT_EXPECTATIONS
    src = p.name
    data = read_data_file(p, FORMAT, ExpectationError)
    doc = validate(ExpectationsDocument, data, lambda field, message: ExpectationError(f"{src}: {field}: {message}"))
    return ListExpectations(
        tuple(
            DeclaredListing(e.card, e.card_number, tuple(e.lists), None if isinstance(e.refused_by, str) else tuple(e.refused_by))
            for e in doc.listed
        ),
        src,
    )
