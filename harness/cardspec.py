"""The `--card` option: which device is under test.

``reference`` / ``reference:gen3``  the embedded reference card, in-process (no reader, no daemon)
``reader:NAME``                     a card in a PC/SC reader (exact name, glob or substring)
"""

from __future__ import annotations

from dataclasses import dataclass

from ssc.profile import builtin_profiles
from terminal.errors import InputError

DEFAULT_GENERATION = "gen2"


class CardSpecError(InputError):
    pass


@dataclass(frozen=True)
class CardSpec:
    kind: str  # "reference" or "reader"
    generation: str | None = None  # reference cards only
    reader: str | None = None  # reader cards only

    @property
    def is_virtual_reference(self) -> bool:
        return self.kind == "reference"

    def __str__(self) -> str:
        return f"reference:{self.generation}" if self.kind == "reference" else f"reader:{self.reader}"


def parse_card_spec(text: str) -> CardSpec:
    kind, _, rest = text.partition(":")
    if kind == "reference":
        generation = rest or DEFAULT_GENERATION
        if generation not in builtin_profiles():
            raise CardSpecError(f"--card {text!r}: unknown generation {generation!r}; expected one of {', '.join(builtin_profiles())}")
        return CardSpec("reference", generation=generation)
    if kind == "reader":
        if not rest:
            raise CardSpecError(f"--card {text!r}: give the reader name or a pattern, e.g. reader:'Virtual PCD 00 00'")
        return CardSpec("reader", reader=rest)
    raise CardSpecError(f"--card {text!r}: expected 'reference', 'reference:<gen1|gen2|gen3>' or 'reader:<name or pattern>'")
