"""Anti-tearing and the tearing hook (PROFILE §6.5; SEC-TEAR-1, SEC-TEAR-2)."""

from __future__ import annotations

import pytest

from ssc.card import PowerCut
from tests.unit.reference_card.card_support import PIN, SSSE_NAME, Host, new_card


def _host(**kw: object) -> Host:
    h = Host(new_card("gen2", tearing_hook=True, **kw))
    h.select_name(SSSE_NAME)
    return h


def _reinsert(host: Host) -> None:
    host.card.power_on()
    host.select_name(SSSE_NAME)


def test_hook_apdu_arms_a_cut() -> None:
    host = _host()
    host.select_name(host.df_name("SSSE/DF01"))
    host.external_auth("UK1DF01")
    old = host.read_record_auto(2, sfi=5).data
    new = old[:2] + bytes(len(old) - 2)
    assert host.send("FF7E0010").sw == host.sw("ok")
    with pytest.raises(PowerCut):
        host.send(bytes([0, 0xDC, 2, 0x2C, len(new)]) + new)
    assert not host.card.powered
    _reinsert(host)
    host.select_name(host.df_name("SSSE/DF01"))
    assert host.read_record_auto(2, sfi=5).data == old


@pytest.mark.parametrize("cut", [0, 1, 30, 61, 62, 100])
def test_torn_record_is_old_or_new(cut: int) -> None:
    host = _host()
    host.select_name(host.df_name("SSSE/DF01"))
    host.external_auth("UK1DF01")
    old = host.read_record_auto(2, sfi=5).data
    new = old[:2] + b"\x41" * (len(old) - 2)
    host.card.arm_power_cut(cut)
    with pytest.raises(PowerCut):
        host.send(bytes([0, 0xDC, 2, 0x2C, len(new)]) + new)
    _reinsert(host)
    host.select_name(host.df_name("SSSE/DF01"))
    got = host.read_record_auto(2, sfi=5).data
    assert got == (new if cut >= len(new) else old)


def test_torn_binary_write() -> None:
    host = _host()
    host.external_auth("UKSSSE")
    old = host.send("00B0880010").data
    host.card.arm_power_cut(8)
    with pytest.raises(PowerCut):
        host.send(bytes([0, 0xD6, 0x88, 0, 16]) + bytes(16))
    _reinsert(host)
    assert host.send("00B0880010").data == old


@pytest.mark.parametrize("pin", [PIN, "000000"])
def test_pin_try_is_counted_before_the_result(pin: str) -> None:
    """Right or wrong, a VERIFY writes the counter first: a cut there reveals nothing."""
    host = _host()
    host.card.arm_power_cut(0)
    with pytest.raises(PowerCut):
        host.verify(pin)
    _reinsert(host)
    assert host.verify("000000").sw == host.sw("verification_failed", 2)  # the torn write kept the old counter


def test_key_try_is_counted_before_the_result() -> None:
    host = _host()
    host.card.arm_power_cut(0)
    with pytest.raises(PowerCut):
        host.external_auth("UKSSSE")
    _reinsert(host)
    assert host.external_auth("UKSSSE").sw == host.sw("ok")


def test_cut_after_the_decrement_keeps_it() -> None:
    host = _host()
    host.card.arm_power_cut(1)  # the 1-byte decrement completes, then power goes
    with pytest.raises(PowerCut):
        host.verify(PIN)
    _reinsert(host)
    assert host.verify("000000").sw == host.sw("verification_failed", 1)


def test_torn_pin_change_keeps_the_old_pin() -> None:
    host = _host()
    writes = host.card.persistent_writes
    data = bytes.fromhex("123456FF135790")
    assert host.send(bytes([0x80, 0x5E, 0x01, 0x00, len(data)]) + data).sw == host.sw("ok")
    assert host.card.persistent_writes == writes + 3  # decrement, restore, PIN
    data = bytes.fromhex("135790FF246802")
    host.card.arm_power_cut(0)
    with pytest.raises(PowerCut):
        host.send(bytes([0x80, 0x5E, 0x01, 0x00, len(data)]) + data)
    _reinsert(host)
    assert host.verify("135790").sw == host.sw("ok")


def test_torn_lifecycle_write() -> None:
    host = _host()
    apdu = host.mac_apdu(bytes([0x84, 0x1E, 0, 0]), b"", "STK")
    host.card.arm_power_cut(0)
    with pytest.raises(PowerCut):
        host.send(apdu)
    _reinsert(host)
    assert host.send("00B2072C0B").sw == host.sw("ok")


def test_arm_needs_the_hook() -> None:
    card = new_card("gen2")
    with pytest.raises(RuntimeError):
        card.arm_power_cut(0)


def test_hook_works_in_a_blocked_application() -> None:
    host = _host()
    assert host.send(host.mac_apdu(bytes([0x84, 0x1E, 0, 0]), b"", "STK")).sw == host.sw("ok")
    assert host.send("FF7E0000").sw == host.sw("ok")
    with pytest.raises(PowerCut):
        host.send(host.mac_apdu(bytes([0x84, 0x18, 0, 0]), b"", "STK"))
    _reinsert(host)
    assert host.send("00B2072C0B").sw == host.sw("function_not_supported")  # still blocked


def test_a_cut_carries_over_the_writes_of_one_command() -> None:
    """CHANGE PIN writes the try counter (decrement, restore), then the PIN: a cut counted past the
    counter's bytes tears the PIN itself, which stays the old one (PROFILE §6.5 behaviour
    card_tearing_at_write_end)."""
    host = _host()
    before = host.card.persistent_writes
    host.card.arm_power_cut(3)  # 2 counter bytes, then 1 byte into the PIN
    with pytest.raises(PowerCut):
        host.send(bytes.fromhex("805E0100") + bytes([7]) + bytes.fromhex("123456FF234567"))
    assert host.card.persistent_writes == before + 2  # both counter writes completed, the PIN write was torn
    _reinsert(host)
    assert host.verify(PIN).sw == host.sw("ok")


def test_a_cut_beyond_the_command_s_writes_comes_right_after_its_last_write() -> None:
    host = _host()
    host.card.arm_power_cut(500)
    with pytest.raises(PowerCut):
        host.send(bytes.fromhex("805E0100") + bytes([7]) + bytes.fromhex("123456FF234567"))
    _reinsert(host)
    assert host.verify("234567").sw == host.sw("ok")  # the whole CHANGE PIN came through, no answer was sent
