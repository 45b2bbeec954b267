"""The lab's physical test cards for the cross-region matrix: the card-set file, and opening it.

On the embedded reference card the matrix rows are cards the harness issues (harness.cardset). On
a real device under test the rows are what the lab brings: the DUT, further cards given with a
repeated ``--card reader:NAME``, and the cards of a card-set file (``ssc-card-set/1``,
harness/cardset_schema.py) — cards of several issuing regions, each in its own reader or swapped
in turn through one reader, plus cards the lab declares invalid (with the reason) for INT-XR-7.

Swapping: cards marked ``swap: true`` that name the same reader share one `SwapSlot`. Before a
card of the slot is used, the slot asks the operator (`harness.operator`: a person at the console,
a lab's answer file, or nobody — request key ``cardset.insert:<card>``) to insert it, resets the
reader and reads the card's identity; a card whose region (and declared card number) is not the
expected one is refused and the operator asked again. A request the operator declines raises
`CardSwapError` with the reason: the cells of that card are not run, never passed. Each card
still reaches the suite as a traced transport and its declaration, nothing else; its
``notes["swap_reader"]`` names the shared reader, so the interop matrix can take all of a swapped
card's cells while it is in the reader (one swap per card, harness.interop).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.cardset import CardDeclaration, IssuedCard
from harness.cardset_schema import FORMAT, CardSetDocument
from harness.dut import mask_rules
from harness.operator import Operator, Request
from ssc.datafile import read_data_file
from ssc.formats import validate
from ssc.profile import builtin_profiles, load_profile
from ssc.profile.model import Profile
from terminal.channel import Terminal
from terminal.errors import HarnessError, InputError
from terminal.session import CardSession
from terminal.transports.base import Transport
from terminal.transports.tracing import Masker, TraceRecorder, TracingTransport

__all__ = [
    "CardSetError",
    "CardSwapError",
    "LabCard",
    "SwapSlot",
    "load_card_set",
    "open_lab_cards",
]

Opener = Callable[[str], Transport]  # reader name or pattern → an open transport to it
SWAP_ATTEMPTS = 3  # the operator gets this many tries to insert the right card
INVALID_DEFECT = "declared invalid"  # the defect a lab-declared invalid card carries in its row label


class CardSetError(InputError):
    pass


class CardSwapError(HarnessError):
    pass


@dataclass(frozen=True)
class LabCard:
    """One card the lab brings (a card-set entry, or an extra ``--card``)."""

    reader: str
    region: str | None  # None: read from the card (an extra --card)
    generation: str | None  # None: the run's profile
    swap: bool = False
    card_number: str | None = None
    label: str | None = None
    invalid_reason: str | None = None
    invalid_why: str | None = None

    @property
    def invalid(self) -> bool:
        return self.invalid_reason is not None


def load_card_set(path: str | Path) -> list[LabCard]:
    """The cards of a card-set file; one-line errors name the file and the field."""
    p = Path(path)
    src = p.name
    data = read_data_file(p, FORMAT, CardSetError)
    doc = validate(CardSetDocument, data, lambda where, message: CardSetError(f"{src}: {where}: {message}"))
    known = builtin_profiles()
    cards = []
    for i, c in enumerate(doc.cards):
        if c.generation not in known:
            raise CardSetError(f"{src}: cards[{i}].generation: unknown profile {c.generation!r}; expected one of {', '.join(known)}")
        invalid = c.invalid
        cards.append(
            LabCard(
                c.reader,
                c.region,
                c.generation,
                c.swap,
                c.card_number,
                c.label,
                invalid.reason if invalid else None,
                invalid.why if invalid else None,
            )
        )
    labels = [c.label for c in cards if c.label]
    if len(labels) != len(set(labels)):
        raise CardSetError(f"{src}: cards: two cards share a label; each label names one matrix row")
    return cards


@dataclass
class SwapSlot:
    """One reader shared by several cards of the set: knows which card is in it."""

    reader: str
    transport: Transport  # the reader itself (not traced: each card traces its own exchanges)
    operator: Operator
    current: LabCard | None = None

    def ensure(self, card: LabCard, profile: Profile) -> None:
        """Make `card` the one in the reader: ask the operator, reset, check its identity."""
        if self.current is card:
            return
        name = card.label or f"{card.region}/{card.generation}"
        key = f"cardset.insert:{name}"
        request = Request(key, f"请将测试卡 {name} 插入读卡器 {self.reader}", f"insert test card {name} into reader {self.reader}")
        found: str | None = None
        for _ in range(SWAP_ATTEMPTS):
            answer = self.operator.ask(request)
            if not answer.done:
                raise CardSwapError(f"test card {name} was not inserted into {self.reader}: {answer.reason}")
            self.current = None
            try:
                self.transport.reset()
                found = _identity_problem(self.transport, profile, card)
            except HarnessError as exc:
                found = f"no card answered ({exc})"
            if found is None:
                self.current = card
                return
            request = Request(key, f"读卡器中的卡不是 {name}（{found}），请换卡", f"that is not {name} ({found}); swap it")
        raise CardSwapError(f"test card {name} was not inserted into {self.reader} after {SWAP_ATTEMPTS} requests (last: {found})")


def _identity_problem(transport: Transport, profile: Profile, card: LabCard) -> str | None:
    """None when the card in `transport` is `card` (its region, and its card number if declared)."""
    ident = CardSession(Terminal(transport, profile), check=False).identity()
    if card.region is not None and ident.region != card.region:
        return f"the card in the reader was issued in {ident.region}, expected {card.region}"
    if card.card_number is not None and ident.card_number != card.card_number:
        return f"the card in the reader has card number {ident.card_number}, expected {card.card_number}"
    return None


class _SwappedTransport(Transport):
    """A card of a swap slot: every exchange first makes sure that card is in the reader."""

    def __init__(self, slot: SwapSlot, card: LabCard, profile: Profile) -> None:
        self.slot, self.card, self.profile = slot, card, profile
        self.description = f"{slot.reader} (swapped in turn)"

    def transmit(self, command: bytes) -> bytes:
        self.slot.ensure(self.card, self.profile)
        return self.slot.transport.transmit(command)

    def reset(self) -> bytes:
        self.slot.ensure(self.card, self.profile)
        return self.slot.transport.reset()

    @property
    def atr(self) -> bytes | None:
        return self.slot.transport.atr


@dataclass
class LabCards:
    """The opened cards: matrix rows, the declared-invalid cards, and what to close."""

    rows: list[IssuedCard]
    invalid: list[IssuedCard]
    readers: list[Transport]

    def close(self) -> None:
        for transport in self.readers:
            transport.close()


def open_lab_cards(cards: Sequence[LabCard], run_profile: Profile, opener: Opener, operator: Operator) -> LabCards:
    """Open every card: its own reader, or its swap slot (one per reader name). A card without a
    declared region is identified now (the region is read from the card)."""
    slots: dict[str, SwapSlot] = {}
    readers: list[Transport] = []
    rows: list[IssuedCard] = []
    invalid: list[IssuedCard] = []
    for card in cards:
        profile = load_profile(card.generation) if card.generation else run_profile
        if card.swap:
            if card.reader not in slots:
                slots[card.reader] = SwapSlot(card.reader, opener(card.reader), operator)
                readers.append(slots[card.reader].transport)
            inner: Transport = _SwappedTransport(slots[card.reader], card, profile)
        else:
            inner = opener(card.reader)
            readers.append(inner)
            inner.reset()
        region = card.region
        if region is None:
            region = CardSession(Terminal(inner, profile), check=False).identity().region or "unidentified"
        recorder = TraceRecorder(Masker(mask_rules(profile)))
        transport = TracingTransport(inner, recorder)
        defects = (f"{INVALID_DEFECT}: {card.invalid_reason}",) if card.invalid else ()
        declaration = CardDeclaration(region, card.card_number, defects)
        issued = IssuedCard(None, profile.name, profile, transport, recorder, declaration, owned=False)
        issued.name = card.label or f"{region}/{profile.name}@{card.reader}"
        if card.swap:
            issued.notes["swap_reader"] = card.reader
        if card.invalid:
            issued.notes["invalid_reason"] = card.invalid_reason
            issued.notes["invalid_why"] = card.invalid_why
        (invalid if card.invalid else rows).append(issued)
    return LabCards(rows, invalid, readers)
