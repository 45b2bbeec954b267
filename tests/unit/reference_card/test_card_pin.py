"""VERIFY, CHANGE PIN, RELOAD PIN, UNBLOCK PIN (PROFILE §5, §6.4; SEC-PIN-*)."""

from __future__ import annotations

import pytest

from ssc.codecs import encode_pin
from tests.unit.reference_card.card_support import PIN, SSSE_NAME, Host, new_card

GENERATIONS = ["gen1", "gen2", "gen3"]


@pytest.fixture(params=GENERATIONS)
def host(request: pytest.FixtureRequest) -> Host:
    h = Host(new_card(request.param))
    h.select_name(SSSE_NAME)
    return h


def _change(host: Host, old: str, new: str) -> int:
    data = encode_pin(old) + b"\xff" + encode_pin(new)
    return host.send(bytes([0x80, 0x5E, 0x01, 0x00, len(data)]) + data).sw


def test_verify_right_and_wrong(host: Host) -> None:
    assert host.verify(PIN).sw == host.sw("ok")
    assert host.verify("654321").sw == host.sw("verification_failed", 2)
    assert host.verify("654321").sw == host.sw("verification_failed", 1)
    assert host.verify(PIN).sw == host.sw("ok")
    assert host.verify("654321").sw == host.sw("verification_failed", 2)


def test_pin_blocks_at_zero(host: Host) -> None:
    for left in (2, 1, 0):
        assert host.verify("000000").sw == host.sw("verification_failed", left)
    assert host.verify(PIN).sw == host.sw("method_blocked")
    host.card.power_on()  # the counter is persistent
    host.select_name(SSSE_NAME)
    assert host.verify(PIN).sw == host.sw("method_blocked")


@pytest.mark.parametrize(
    "apdu, name",
    [
        ("00200000", "wrong_length"),
        ("0020000000", "wrong_length"),
        ("002000000112", "wrong_length"),
        ("002000000712345612345612", "wrong_length"),
        ("00200000031234AB", "wrong_data"),
        ("0020000003FF3456", "wrong_data"),
        ("0020010003123456", "wrong_p1p2"),
    ],
)
def test_verify_errors(host: Host, apdu: str, name: str) -> None:
    assert host.send(apdu).sw == host.sw(name)
    assert host.verify("000000").sw == host.sw("verification_failed", 2)  # no try was spent


def test_verify_outside_ssse_is_6a88(host: Host) -> None:
    host.select_fid(0x3F00)
    assert host.verify().sw == host.sw("key_not_found")
    host.select_name(host.df_name("SSSE/DF02"))
    assert host.verify().sw == host.sw("ok")


def test_odd_length_pin(host: Host) -> None:
    assert _change(host, PIN, "24680") == host.sw("ok")
    assert host.verify("24680").sw == host.sw("ok")


def test_change_pin(host: Host) -> None:
    assert _change(host, PIN, "135790") == host.sw("ok")
    assert host.verify(PIN).sw == host.sw("verification_failed", 2)
    assert host.verify("135790").sw == host.sw("ok")


def test_change_pin_sets_the_pin_state(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF02"))
    assert host.read_record_auto(1, sfi=6).sw == host.sw("security_not_satisfied")
    assert _change(host, PIN, "135790") == host.sw("ok")
    assert host.read_record_auto(1, sfi=6).sw == host.sw("ok")


def test_initial_pin_cannot_be_the_new_pin(host: Host) -> None:
    assert _change(host, "000000", PIN) == host.sw("wrong_data")  # checked before the old PIN
    assert host.verify("000000").sw == host.sw("verification_failed", 2)


def test_change_pin_wrong_old_pin_spends_a_try(host: Host) -> None:
    assert _change(host, "000000", "135790") == host.sw("verification_failed", 2)


@pytest.mark.parametrize("data", ["123456", "123456FF", "FF123456", "123456FF1234AB", "12FF3456"])
def test_change_pin_format(host: Host, data: str) -> None:
    raw = bytes.fromhex(data)
    assert host.send(bytes([0x80, 0x5E, 0x01, 0x00, len(raw)]) + raw).sw == host.sw("wrong_data")


def _reload(host: Host, pin: str, version: int = 1) -> int:
    header = bytes([0x84, 0x24, 0x00, 0x01])
    return host.send(host.mac_apdu(header, host.pin_block(pin, version), "PUK", version)).sw


def test_reload_pin_after_puk(host: Host) -> None:
    for _ in range(3):
        host.verify("000000")
    assert _reload(host, "1357") == host.sw("security_not_satisfied")
    assert host.external_auth("PUK", 2).sw == host.sw("ok")
    assert _reload(host, "1357", version=1) == host.sw("sm_data_incorrect")  # MAC under the wrong version
    assert _reload(host, "1357", version=2) == host.sw("ok")
    assert host.verify("1357").sw == host.sw("ok")


def test_reload_pin_needs_a_challenge(host: Host) -> None:
    host.external_auth("PUK")
    block = host.pin_block("1357")
    assert host.send(bytes([0x84, 0x24, 0x00, 0x01, len(block) + 4]) + block + bytes(4)).sw == host.sw("referenced_data_invalid")


def test_unblock_pin(host: Host) -> None:
    for _ in range(3):
        host.verify("000000")
    assert host.verify().sw == host.sw("method_blocked")
    assert host.external_auth("PUK").sw == host.sw("ok")
    assert host.send(host.mac_apdu(bytes([0x84, 0x24, 0x00, 0x00]), b"", "PUK", key=host.key("STK"))).sw == host.sw("sm_data_incorrect")
    assert host.send(host.mac_apdu(bytes([0x84, 0x24, 0x00, 0x00]), b"", "PUK")).sw == host.sw("ok")
    assert host.verify().sw == host.sw("ok")


def test_puk_state_is_lost_on_df_change(host: Host) -> None:
    host.external_auth("PUK")
    host.select_name(host.df_name("SSSE/DF01"))
    host.select_fid(0xDDF1)
    assert host.send(host.mac_apdu(bytes([0x84, 0x24, 0x00, 0x00]), b"", "PUK")).sw == host.sw("security_not_satisfied")
