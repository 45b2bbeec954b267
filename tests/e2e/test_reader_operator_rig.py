"""RDR-6 on a physical reader (harness.reader_operator_rig): the operator makes each condition
and the kit checks it over PC/SC before the library is called. Here the "operator" is scripted:
its hands serve and stop reference cards and PSAMs in the vpcd slots (a `ReaderRig`), sometimes
the wrong ones, so both the confirmations the kit believes and those it catches are shown; the
reference library is then called through the rig's readers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from checks.readers.library_process import OUT, LibraryProcess
from checks.verdicts import Inconclusive
from harness.operator import Answer, NoOperator, Operator, Request
from harness.reader_operator_rig import INITIAL, OperatorRig
from harness.reader_rig import CARD_PORT, PSAM_PORT, VPCD_READERS, ReaderRig
from ssc.reader_interface import load_reader_interface

pytestmark = pytest.mark.pcsc
IFACE = load_reader_interface()


@dataclass
class Hands(Operator):
    """Carries out each request with served cards; `lie` maps a request key to the kind it
    inserts instead (an operator who picked the wrong card)."""

    served: ReaderRig
    lie: dict[str, str | None] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return "test hands"

    def _answer(self, request: Request) -> Answer:
        slot, _, kind = request.key.removeprefix("reader.").partition(".")
        action, _, what = kind.partition(":")
        target: str | None = (
            None if action == "remove" else {"gen2": "gen2", "gen3": "gen3", "bad_card_id_mac": "gen2:bad_card_id_mac"}.get(what, what)
        )
        target = self.lie.get(request.key, target)
        if slot == "card":
            self.served.insert_card(target, fresh=True)
        else:
            self.served.insert_psam(target, "gen2")
        return Answer(True)


@pytest.fixture
def rigs() -> Iterator[tuple[ReaderRig, Hands, OperatorRig]]:
    served = ReaderRig()
    served.insert_psam("reference", "gen2")
    served.insert_card("gen2")
    hands = Hands(served)
    rig = OperatorRig(
        card_reader=VPCD_READERS[CARD_PORT],
        psam_reader=VPCD_READERS[PSAM_PORT],
        card_kind="gen2",
        psam_kind=INITIAL,
        operator=hands,
        settle_s=1.5,
    )
    try:
        yield served, hands, rig
    finally:
        served.close()


def test_conditions_are_asked_for_and_checked_over_pcsc(rigs: tuple[ReaderRig, Hands, OperatorRig], reference_library: Path) -> None:
    served, hands, rig = rigs
    rig.insert_psam("reference", "gen2")
    rig.insert_card("gen2")
    assert hands.asked == []  # the lab's card and PSAM are in their readers already
    library = LibraryProcess(reference_library, env={"SSCREADER_CARD_READER": rig.card_reader, "SSCREADER_PSAM_READER": rig.psam_reader})
    try:
        rig.insert_card(None)
        assert hands.asked == ["reader.card.remove"]
        assert library.call("iReadCardBas", 1, OUT).rc == IFACE.codes["no_card"].code
        rig.insert_card("not_ssc")
        assert library.call("iReadCardBas", 1, OUT).rc == IFACE.codes["wrong_card_type"].code
        rig.insert_card("gen2:bad_card_id_mac")
        assert library.call("iReadCardBas", 1, OUT).rc == IFACE.codes["card_id_malformed"].code
    finally:
        library.close()


def test_a_wrong_confirmation_is_caught_before_the_library_is_called(rigs: tuple[ReaderRig, Hands, OperatorRig]) -> None:
    served, hands, rig = rigs
    rig.insert_psam("reference", "gen2")
    hands.lie["reader.card.insert:not_ssc"] = "gen2"  # a social security card after all
    with pytest.raises(Inconclusive, match="has the social security application"):
        rig.insert_card("not_ssc")
    hands.lie["reader.card.insert:bad_card_id_mac"] = "gen2"  # a valid card
    with pytest.raises(Inconclusive, match="card-ID MAC verifies"):
        rig.insert_card("gen2:bad_card_id_mac")
    hands.lie["reader.psam.remove"] = "reference"  # the PSAM stays in
    with pytest.raises(Inconclusive, match="still reports a card"):
        rig.insert_psam(None)


def test_nobody_and_destructive_cases_are_inconclusive(rigs: tuple[ReaderRig, Hands, OperatorRig]) -> None:
    _, _, rig = rigs
    rig.operator = NoOperator()
    with pytest.raises(Inconclusive, match="non-interactive"):
        rig.insert_card(None)
    rig.destructive = True
    with pytest.raises(Inconclusive, match="issued state"):
        rig.insert_psam("reference", "gen2")
    with pytest.raises(Inconclusive, match="issued state"):
        rig.insert_card("gen2", fresh=True)
