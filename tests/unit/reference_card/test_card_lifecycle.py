"""Application block/unblock and card block (PROFILE §5, §6.5; SEC-LC-1)."""

from __future__ import annotations

import pytest

from tests.unit.reference_card.card_support import SSSE_NAME, Host, new_card

BLOCK, UNBLOCK, CARD_BLOCK = bytes([0x84, 0x1E, 0, 0]), bytes([0x84, 0x18, 0, 0]), bytes([0x84, 0x16, 0, 0])


@pytest.fixture(params=["gen2", "gen3"])
def host(request: pytest.FixtureRequest) -> Host:
    h = Host(new_card(request.param))
    h.select_name(SSSE_NAME)
    return h


def test_block_and_unblock(host: Host) -> None:
    assert host.send(host.mac_apdu(BLOCK, b"", "STK")).sw == host.sw("ok")
    assert host.send("00B2072C0B").sw == host.sw("function_not_supported")
    assert host.verify().sw == host.sw("function_not_supported")
    assert host.select_name(SSSE_NAME).sw == host.sw("more_data", 0x1E)  # still answers SELECT
    assert len(host.send("00C000001E").data) == 0x1E
    host.card.power_on()  # survives reset
    host.select_name(SSSE_NAME)
    assert host.send("00B2072C0B").sw == host.sw("function_not_supported")
    assert host.send(host.mac_apdu(BLOCK, b"", "STK")).sw == host.sw("function_not_supported")
    assert host.send(host.mac_apdu(UNBLOCK, b"", "STK")).sw == host.sw("ok")
    assert host.send("00B2072C0B").sw == host.sw("ok")


def test_blocked_application_leaves_the_pse_usable(host: Host) -> None:
    host.send(host.mac_apdu(BLOCK, b"", "STK"))
    host.select_name(host.df_name("PSE/ADF1"))
    assert host.read_record_auto(1, sfi=1).sw == host.sw("ok")


def test_lifecycle_commands_need_their_mac(host: Host) -> None:
    assert host.send(host.mac_apdu(BLOCK, b"", "STK", key=host.key("BK"))).sw == host.sw("sm_data_incorrect")
    assert host.send(BLOCK + b"\x04" + bytes(4)).sw == host.sw("referenced_data_invalid")
    assert host.send(BLOCK + b"\x03" + bytes(3)).sw == host.sw("wrong_length")
    assert host.send("00B2072C0B").sw == host.sw("ok")


def test_unblock_when_not_blocked(host: Host) -> None:
    assert host.send(host.mac_apdu(UNBLOCK, b"", "STK")).sw == host.sw("conditions_not_satisfied")


def test_lifecycle_outside_ssse(host: Host) -> None:
    host.select_fid(0x3F00)
    assert host.send(host.mac_apdu(BLOCK, b"", "STK")).sw == host.sw("conditions_not_satisfied")


@pytest.mark.parametrize("first_block", [False, True])
def test_card_block_is_permanent(host: Host, first_block: bool) -> None:
    if first_block:
        host.send(host.mac_apdu(BLOCK, b"", "STK"))
    assert host.send(host.mac_apdu(CARD_BLOCK, b"", "BK")).sw == host.sw("ok")
    for apdu in ("00A4000002DDF1", "0084000004", "00FF0000", "10000000"):
        assert host.send(apdu).sw == host.sw("function_not_supported")
    host.card.power_on()
    assert host.send("00A4000002DDF1").sw == host.sw("function_not_supported")
