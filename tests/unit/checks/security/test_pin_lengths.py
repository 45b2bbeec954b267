"""checks/security/pin_lengths.py and puk_commands.py on the clean card and on a faulty one."""

from __future__ import annotations

import pytest

from checks.security.pin_lengths import BAD_NEW_PINS, bad_new_pin_refused, boundary_pin_works, pin_bytes
from checks.security.puk_commands import APPEND_FAULTS, malformed_appends, reload_bad_block, unblock_challenges
from tests.unit import rig
from tests.unit.checks.zh import chinese_first

PROFILE = rig.PROFILES["gen2"]
PIN = rig.initial_pin(PROFILE)


@pytest.mark.parametrize("bound", [0, 1])
def test_boundary_pins_work_and_the_pin_is_given_back(bound: int) -> None:
    card, psam = rig.open_session("gen2"), rig.open_psam(PROFILE)
    assert boundary_pin_works(card, psam, PIN, pin_bytes(PROFILE)[bound]) == []
    assert card.verify_pin(PIN).ok


def test_a_card_refusing_the_shortest_pin_is_caught() -> None:
    card, psam = rig.open_session("gen2", faults=("shortest_pin_refused",)), rig.open_psam(PROFILE)
    findings = boundary_pin_works(card, psam, PIN, pin_bytes(PROFILE)[0])
    assert findings and all(chinese_first(f) for f in findings), findings
    assert findings[0].startswith(
        "修改 PIN 为 2 字节的 PIN（合法长度）被拒绝：6A80（数据域参数不正确） / CHANGE PIN to a PIN of 2 bytes"
    ), findings
    assert card.verify_pin(PIN).ok


@pytest.mark.parametrize("case", BAD_NEW_PINS)
def test_bad_new_pins_are_refused(case: str) -> None:
    assert bad_new_pin_refused(rig.open_session("gen2"), PIN, case) == []


def test_puk_commands_broken_in_one_place_are_refused() -> None:
    card, psam = rig.open_session("gen2"), rig.open_psam(PROFILE)
    assert unblock_challenges(card, psam) == []
    assert reload_bad_block(card, psam, PIN) == []
    assert card.verify_pin(PIN).ok


@pytest.mark.parametrize("fault", APPEND_FAULTS)
def test_malformed_appends_are_refused(fault: str) -> None:
    assert malformed_appends(rig.open_session("gen2"), rig.open_psam(PROFILE), PIN, fault) == []
