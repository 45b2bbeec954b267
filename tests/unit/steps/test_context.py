"""The scenario state is typed: a misspelt slot fails at once, and a slot read before the step that
writes it has run fails naming the slot (as the string-keyed dict's KeyError did, but earlier for a
typo, and with the step to look for)."""

from __future__ import annotations

from typing import Any

import pytest

from steps.context import AccessState, InteropState, PersonalizationState, SecurityState, StandardsState, StepState
from steps.reader_context import ReaderState

STATES: list[type[StepState]] = [StandardsState, SecurityState, InteropState, PersonalizationState, AccessState, ReaderState]


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.__name__)
def test_every_slot_is_documented_and_typed(state: type[StepState]) -> None:
    assert state.__doc__, f"{state.__name__} says which review it serves"
    assert state.__annotations__, f"{state.__name__} declares its slots"


def test_a_written_slot_reads_back() -> None:
    state = SecurityState()
    state.key = "UKSSSE"
    assert state.key == "UKSSSE"


def test_a_misspelt_slot_cannot_be_written() -> None:
    state: Any = SecurityState()
    with pytest.raises(AttributeError, match="no slot 'kye'"):
        state.kye = "UKSSSE"


def test_a_slot_not_written_yet_names_itself() -> None:
    with pytest.raises(AttributeError, match=r"InteropState\.matrix has not been written in this scenario"):
        _ = InteropState().matrix


def test_a_misspelt_slot_cannot_be_read() -> None:
    state: Any = InteropState()
    with pytest.raises(AttributeError, match="no slot 'matirx'"):
        _ = state.matirx


def test_accumulating_slots_start_empty_per_scenario() -> None:
    first, second = StandardsState(), StandardsState()
    first.binary.append((0, None))  # type: ignore[arg-type]  # a wrongly typed entry is what the test feeds in
    assert second.binary == [] and second.records == [] and second.survey == "survey"
