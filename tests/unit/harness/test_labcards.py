"""The lab's physical cards (harness/labcards.py), with in-process transports standing in for
readers: the card-set file loads or names its bad field; each card becomes a row of the interop
matrix; swapped cards are asked for through the operator (harness.operator) and checked by identity, once
per card for the whole matrix; a declined swap leaves that card's cells not run; INT-XR-7 uses the
card the lab declares invalid."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from checks.interop.crossregion import internal_auth
from harness.cardset import IssuedCard, issue_card
from harness.interop import build_interop_run
from harness.labcards import SWAP_ATTEMPTS, CardSetError, CardSwapError, LabCard, load_card_set, open_lab_cards
from harness.operator import Answer, NoOperator, Operator, Request
from ssc.keyset import TestKeySet
from ssc.profile import load_profile
from terminal.regions import load_regions
from terminal.transports.base import Transport
from tests.unit import rig

EXAMPLE = Path(__file__).resolve().parents[3] / "fixtures" / "cardsets" / "example.yaml"
KEYS = TestKeySet.for_profile(load_profile("gen3"))
REGISTRY = load_regions()


class _Acting(Operator):
    """An operator whose hands are `act(request)`: returns True when done."""

    def __init__(self, act: object) -> None:
        self.act = act
        self.asked: list[str] = []
        self.texts: list[str] = []

    def describe(self) -> str:
        return "test"

    def _answer(self, request: Request) -> Answer:
        self.texts.append(request.text())
        done = self.act(request) if callable(self.act) else True
        return Answer(bool(done), "" if done else "declined in the test")


def _no_swap(request: Request) -> bool:
    pytest.fail(f"no swap expected: {request.key}")


def test_example_card_set_loads() -> None:
    cards = load_card_set(EXAMPLE)
    assert [c.region for c in cards] == ["330200", "330200"]
    assert cards[1].swap and cards[1].invalid and cards[1].invalid_reason == "identification_code_mac"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("format: ssc-card-set/1\ncards: []\n", "cards"),
        ("format: ssc-card-set/1\ncards:\n  - {reader: R, region: 3302, generation: gen2}\n", r"cards\[0\].region"),
        ('format: ssc-card-set/1\ncards:\n  - {reader: R, region: "330200", generation: gen9}\n', r"cards\[0\].generation"),
        (
            'format: ssc-card-set/1\ncards:\n  - {reader: R, region: "330200", generation: gen2, invalid: {reason: lost}}\n',
            r"cards\[0\].invalid",
        ),
    ],
)
def test_bad_card_set_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CardSetError, match=f"set.yaml: {field}"):
        load_card_set(path)


def _card(region: str, generation: str, defects: tuple[str, ...] = ()) -> IssuedCard:
    return issue_card(REGISTRY.get(region), generation, KEYS, defects=list(defects), pin=rig.PIN)


class _Slot(Transport):
    """One reader whose inserted card the scripted operator changes."""

    def __init__(self, cards: dict[str, IssuedCard]) -> None:
        self.cards = cards
        self.inserted: str | None = None

    def transmit(self, command: bytes) -> bytes:
        assert self.inserted is not None, "no card in the reader"
        return self.cards[self.inserted].transport.transmit(command)

    def reset(self) -> bytes:
        assert self.inserted is not None, "no card in the reader"
        return self.cards[self.inserted].transport.reset()

    @property
    def atr(self) -> bytes | None:
        return self.cards[self.inserted].transport.atr if self.inserted else None


def test_each_card_is_a_row_and_the_invalid_one_serves_int_xr_7() -> None:
    readers = {"R1": _card("330200", "gen3"), "R2": _card("320500", "gen2", ("bad_card_id_mac",))}
    lab = open_lab_cards(
        [LabCard("R1", "330200", "gen3"), LabCard("R2", "320500", "gen2", invalid_reason="identification_code_mac", invalid_why="bad MAC")],
        load_profile("gen2"),
        lambda reader: readers[reader].transport,
        _Acting(_no_swap),
    )
    dut_card = _card(rig.HOME_REGION, "gen2")
    dut = SimpleNamespace(identity={"region": rig.HOME_REGION}, transport=dut_card.transport, recorder=dut_card.recorder)
    codes = (rig.HOME_REGION, "330200")
    run = build_interop_run(
        regions=[REGISTRY.get(c) for c in codes],
        registry=REGISTRY,
        keyset=KEYS,
        pin=rig.PIN,
        dut=dut,
        dut_profile=load_profile("gen2"),
        lab=lab,
    )
    try:
        assert [c.label for c in run.cards] == [f"{rig.HOME_REGION}/gen2", "330200/gen3@R1"]
        assert [c.label for c in run.defective] == ["320500/gen2@R2+declared invalid: identification_code_mac"]
        assert run.run("INT-XR-1", lambda v, card: internal_auth(v)) == []
        assert run.run("INT-XR-7", run.validity_check(), include_defective=True) == []
        assert set(run.matrix.cells["INT-XR-7"]) == {c.label for c in run.cards + run.defective}
    finally:
        run.close()


def test_a_declared_invalid_card_that_is_accepted_fails_its_cells() -> None:
    readers = {"R": _card("330200", "gen2")}  # a valid card, declared invalid by mistake or accepted wrongly
    lab = open_lab_cards(
        [LabCard("R", "330200", "gen2", invalid_reason="identification_code_mac", invalid_why="x")],
        load_profile("gen2"),
        lambda reader: readers[reader].transport,
        _Acting(None),
    )
    run = build_interop_run(regions=[REGISTRY.get("330200")], registry=REGISTRY, keyset=KEYS, pin=rig.PIN, lab=lab)
    try:
        failures = run.run("INT-XR-7", run.validity_check(), include_defective=True)
        assert len(failures) == 1 and "declares this card invalid" in failures[0]
    finally:
        run.close()


def test_swapped_cards_are_asked_for_and_checked_by_identity() -> None:
    slot = _Slot({"A": _card("330200", "gen2"), "B": _card("320500", "gen2")})
    script = iter(["B", "A", "B"])  # the operator first inserts the wrong card for A

    def insert(request: Request) -> bool:
        slot.inserted = next(script)
        return True

    operator = _Acting(insert)
    lab = open_lab_cards(
        [LabCard("S", "330200", "gen2", swap=True, label="A"), LabCard("S", "320500", "gen2", swap=True, label="B")],
        load_profile("gen2"),
        lambda reader: slot,
        operator,
    )
    a, b = lab.rows
    a.transport.reset()
    assert operator.asked == ["cardset.insert:A", "cardset.insert:A"] and "不是 A" in operator.texts[1] and slot.inserted == "A"
    b.transport.transmit(bytes.fromhex("0084000008"))
    assert operator.asked[-1] == "cardset.insert:B" and slot.inserted == "B"
    b.transport.transmit(bytes.fromhex("0084000008"))  # already in: no new request
    assert len(operator.asked) == 3


def test_the_wrong_card_every_time_gives_up() -> None:
    slot = _Slot({"B": _card("320500", "gen2")})

    def wrong(request: Request) -> bool:
        slot.inserted = "B"
        return True

    lab = open_lab_cards([LabCard("S", "330200", "gen2", swap=True, label="A")], load_profile("gen2"), lambda reader: slot, _Acting(wrong))
    with pytest.raises(CardSwapError, match=f"after {SWAP_ATTEMPTS} requests"):
        lab.rows[0].transport.reset()


def test_a_declined_swap_is_an_error_with_the_reason_and_never_a_pass() -> None:
    slot = _Slot({"A": _card("330200", "gen2")})
    lab = open_lab_cards([LabCard("S", "330200", "gen2", swap=True, label="A")], load_profile("gen2"), lambda reader: slot, NoOperator())
    with pytest.raises(CardSwapError, match="non-interactive"):
        lab.rows[0].transport.reset()


def test_swapped_cards_are_asked_for_once_each_for_the_whole_matrix() -> None:
    """Before: every requirement walked every card, so K cards sharing a reader meant K swaps per
    requirement. Now a swapped card takes every planned requirement's row while it is in."""
    slot = _Slot({"A": _card("330200", "gen2"), "B": _card("320500", "gen2")})

    def insert(request: Request) -> bool:
        slot.inserted = request.key.split(":")[1]
        return True

    operator = _Acting(insert)
    lab = open_lab_cards(
        [LabCard("S", "330200", "gen2", swap=True, label="A"), LabCard("S", "320500", "gen2", swap=True, label="B")],
        load_profile("gen2"),
        lambda reader: slot,
        operator,
    )
    run = build_interop_run(regions=[REGISTRY.get("330200")], registry=REGISTRY, keyset=KEYS, pin=rig.PIN, lab=lab)
    auth = lambda v, card: internal_auth(v)  # noqa: E731
    try:
        run.plan_walks({"INT-XR-1": (auth, False), "INT-XR-8": (auth, False)})
        assert run.run("INT-XR-1", auth) == []
        assert run.run("INT-XR-8", auth) == []
        assert operator.asked == ["cardset.insert:A", "cardset.insert:B"]
        for requirement in ("INT-XR-1", "INT-XR-8"):
            assert {"A", "B"} <= set(run.matrix.cells[requirement])
            assert run.matrix.counts(requirement)["failed"] == 0
            assert all(getattr(run.matrix.cell(requirement, row, "330200"), "verdict", None) == "passed" for row in ("A", "B"))
    finally:
        run.close()


def test_a_declined_swap_leaves_that_cards_cells_not_run() -> None:
    slot = _Slot({"A": _card("330200", "gen2")})
    lab = open_lab_cards([LabCard("S", "330200", "gen2", swap=True, label="A")], load_profile("gen2"), lambda reader: slot, NoOperator())
    run = build_interop_run(regions=[REGISTRY.get("330200")], registry=REGISTRY, keyset=KEYS, pin=rig.PIN, lab=lab)
    try:
        assert run.run("INT-XR-1", lambda v, card: internal_auth(v)) == []
        cell = run.matrix.cell("INT-XR-1", "A", "330200")
        assert cell is not None and cell.verdict == "not-run" and "non-interactive" in cell.reason
    finally:
        run.close()
