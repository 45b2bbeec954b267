"""Invalid-card lists (失效名单, PROFILE §8): the terminal-side check before a card is used.

Lists are hierarchical — one national list, one per province, one per city — and name lost,
damaged or expired cards by card identification code or card number. A terminal checks a card
against every list that *covers the card* (the national list, the list of the card's province and
the list of its issuing city) and refuses it when any of them names it.

Lists are data files (one YAML file per list, ``format: ssc-invalid-list/1``; the layout is
documented in the header of each file under ``fixtures/invalid_lists/``). Labs edit them by hand,
so every error names the file, the field and what was expected. The shape of a list is the schema
model terminal/invalid_lists_schema.py (schemas/ssc-invalid-list-1.schema.json).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ssc.checks import is_valid_card_number, region_code_problems
from ssc.datafile import read_data_file
from ssc.formats import validate
from terminal.errors import InputError
from terminal.invalid_lists_schema import FORMAT, LEVELS, InvalidListDocument, ListEntryDocument

__all__ = [
    "CITY",
    "DEFAULT_LISTS_DIR",
    "InvalidCardList",
    "InvalidCardLists",
    "InvalidListError",
    "LEVELS",
    "ListEntry",
    "ListHit",
    "NATIONAL",
    "PROVINCIAL",
]

DEFAULT_LISTS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "invalid_lists"
NATIONAL, PROVINCIAL, CITY = "national", "provincial", "city"
_PROVINCE_DIGITS = 2  # GB/T 2260: the first two digits name the province


class InvalidListError(InputError):
    pass


class CardIdentityLike(Protocol):
    """What a terminal knows of a card after reading it (`terminal.session.CardIdentity`)."""

    @property
    def region(self) -> str: ...
    @property
    def card_number(self) -> str: ...
    @property
    def card_id_code(self) -> bytes: ...


@dataclass(frozen=True)
class ListEntry:
    card_number: str | None
    card_id_code: bytes | None
    reason: str

    def matches(self, card: CardIdentityLike) -> bool:
        if self.card_number is not None:
            return self.card_number == card.card_number
        return self.card_id_code == bytes(card.card_id_code)

    @property
    def key(self) -> str:
        if self.card_number is not None:
            return f"card number {self.card_number}"
        assert self.card_id_code is not None  # an entry names a card by exactly one of the two
        return f"card identification code {self.card_id_code.hex().upper()}"


@dataclass(frozen=True)
class InvalidCardList:
    level: str  # national, provincial or city
    scope: str | None  # province code (provincial), city code (city), None (national)
    source: str  # file name, for messages
    entries: tuple[ListEntry, ...]

    @property
    def label(self) -> str:
        return self.level if self.scope is None else f"{self.level} {self.scope}"

    def covers(self, card_region: str) -> bool:
        """Whether this list applies to a card issued in `card_region`."""
        if self.level == NATIONAL:
            return True
        assert self.scope is not None
        if self.level == PROVINCIAL:
            return card_region[:_PROVINCE_DIGITS] == self.scope[:_PROVINCE_DIGITS]
        return card_region == self.scope

    def find(self, card: CardIdentityLike) -> ListEntry | None:
        return next((e for e in self.entries if e.matches(card)), None)


@dataclass(frozen=True)
class ListHit:
    list: InvalidCardList
    entry: ListEntry

    def __str__(self) -> str:
        return f"{self.entry.key} is on the {self.list.label} invalid-card list ({self.list.source}: {self.entry.reason})"


class InvalidCardLists:
    """Every list a terminal holds: ``InvalidCardLists.load(dir)``."""

    def __init__(self, lists: list[InvalidCardList], source: str = "") -> None:
        self.lists = tuple(lists)
        self.source = source

    def __iter__(self) -> Iterator[InvalidCardList]:
        return iter(self.lists)

    def __len__(self) -> int:
        return len(self.lists)

    @classmethod
    def load(cls, directory: str | Path | None = None) -> InvalidCardLists:
        """Load every ``*.yaml`` list in `directory` (default: fixtures/invalid_lists)."""
        d = Path(directory) if directory is not None else DEFAULT_LISTS_DIR
        if not d.is_dir():
            raise InvalidListError(f"{d}: not a directory of invalid-card lists")
        lists = [load_list(p) for p in sorted(d.glob("*.yaml"))]
        seen: dict[tuple[str, str | None], str] = {}
        for lst in lists:
            key = (lst.level, lst.scope)
            if key in seen:
                raise InvalidListError(f"{lst.source}: a second {lst.label} list (the first is {seen[key]})")
            seen[key] = lst.source
        return cls(lists, str(d))

    def covering(self, card_region: str) -> list[InvalidCardList]:
        """The lists a terminal must check for a card issued in `card_region`, national first."""
        order = {level: i for i, level in enumerate(LEVELS)}
        return sorted((lst for lst in self.lists if lst.covers(card_region)), key=lambda lst: order[lst.level])

    def hits(self, card: CardIdentityLike) -> list[ListHit]:
        """Every covering list naming `card` (by card number or card identification code)."""
        out = []
        for lst in self.covering(card.region):
            entry = lst.find(card)
            if entry is not None:
                out.append(ListHit(lst, entry))
        return out

    def is_listed(self, card: CardIdentityLike) -> bool:
        return bool(self.hits(card))


def load_list(path: str | Path) -> InvalidCardList:
    """One list file; InvalidListError names the file and field on any problem."""
    p = Path(path)
    src = p.name

    def fail(field: str, message: str) -> InvalidListError:
        return InvalidListError(f"{src}: {field}: {message}")

    doc = validate(InvalidListDocument, read_data_file(p, FORMAT, InvalidListError), fail)
    scope = _scope(doc.level, doc.scope, fail)
    entries = tuple(_entry(e, f"entries[{i}]", fail) for i, e in enumerate(doc.entries or []))
    return InvalidCardList(doc.level, scope, src, entries)


def _scope(level: str, value: str | None, fail: Any) -> str | None:
    if level == NATIONAL:
        if value is not None:
            raise fail("scope", f"the national list has no scope, got {value!r}")
        return None
    if value is None or region_code_problems(value):
        raise fail("scope", f"expected a quoted six-digit GB/T 2260 code, got {value!r}")
    tail = value[_PROVINCE_DIGITS:]
    if level == PROVINCIAL and tail.strip("0"):
        raise fail("scope", f"a provincial list's scope is a province code (xx0000), got {value}")
    if level == CITY and (tail[:2] == "00" or tail[2:].strip("0")):
        raise fail("scope", f"a city list's scope is a prefecture-level code (xxyy00, yy ≠ 00), got {value}")
    return value


def _entry(raw: ListEntryDocument, field: str, fail: Any) -> ListEntry:
    if raw.card_number is not None:
        if not is_valid_card_number(raw.card_number):
            raise fail(
                f"{field}.card_number",
                f"expected a quoted 9-character card number with a valid check character (PROFILE §4.2), got {raw.card_number!r}",
            )
        return ListEntry(raw.card_number, None, raw.reason)
    assert raw.card_id is not None  # the model holds exactly one of the two
    return ListEntry(None, bytes.fromhex(raw.card_id), raw.reason)
