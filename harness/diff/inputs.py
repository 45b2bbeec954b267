"""What the twin takes from the lab rather than from the card under test.

A card cannot show what its issuer registered: the card number recorded for it (the number the
invalid-card lists and the interop matrix's INT-XR-6 know the card by) and the initialization
institution and key versions the issuer declares. The lab gives them as it does to `run`:

- the issuer declaration (``--declaration``, ssc-declaration/1): the initialization institution
  and the loaded key versions;
- the card-set file (``--card-set``, ssc-card-set/1, the lab's test cards for the cross-region
  matrix): the registered card number of the DUT's entry, the card of the DUT's region and
  generation that is not declared invalid (and, for a card in a reader, whose ``reader`` names
  the DUT's reader).

The embedded reference card gets both without asking, as `run` gives it its declaration: the
declaration of its region and the card number of the personalization file it is issued from (the
card set the harness issues registers that number as well, harness/cardset.py). An input the run
lacks leaves the twin with the card's own value, and the diff says so (`TwinInputs.missing`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.declaration import Declaration
from harness.exitstatus import UsageError
from terminal.session import CardIdentity

__all__ = ["TwinInputs", "registered_number"]


@dataclass
class TwinInputs:
    """The lab's inputs of one diff, and which it lacked."""

    declaration: Declaration | None = None
    declaration_source: str | None = None
    card_number: str | None = None  # the number the issuer registered for this card
    card_number_source: str | None = None
    missing: list[str] = field(default_factory=list)  # one sentence per input the twin went without

    def note_missing(self) -> None:
        self.missing = []
        if self.declaration is None:
            self.missing.append(
                "no issuer declaration (--declaration): the twin copies the initialization institution and key versions from the card"
            )
        if self.card_number is None:
            self.missing.append(
                "no card registration (--card-set): the twin copies the card number from the card, so a number other than the "
                "registered one is not seen"
            )


def _names_reader(pattern: str, reader: str) -> bool:
    from fnmatch import fnmatchcase

    return pattern == reader or fnmatchcase(reader, pattern) or pattern.casefold() in reader.casefold()


def registered_number(card_set: Path, identity: CardIdentity, generation: str, reader: str | None) -> str:
    """The card number `card_set` registers for the DUT (see the module docstring); UsageError
    names --card-set when no entry or more than one number fits."""
    from harness.labcards import CardSetError, load_card_set

    try:
        cards = load_card_set(card_set)
    except CardSetError as exc:
        raise UsageError(f"--card-set: {exc}") from None
    fitting = [
        c
        for c in cards
        if not c.invalid
        and c.card_number is not None
        and c.region == identity.region
        and c.generation == generation
        and (reader is None or _names_reader(c.reader, reader))
    ]
    numbers = sorted({c.card_number for c in fitting if c.card_number is not None})
    where = f"region {identity.region}, {generation}" + (f", in reader {reader!r}" if reader is not None else "")
    if not numbers:
        raise UsageError(f"--card-set: {card_set.name} registers no card number for the card under test ({where}; not declared invalid)")
    if len(numbers) > 1:
        raise UsageError(
            f"--card-set: {card_set.name} registers {len(numbers)} card numbers for the card under test ({where}): {', '.join(numbers)}"
        )
    return numbers[0]
