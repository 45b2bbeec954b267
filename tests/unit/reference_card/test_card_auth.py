"""GET CHALLENGE, INTERNAL and EXTERNAL AUTHENTICATE (PROFILE §5, §6.1–6.3; STD-CMD-3,
SEC-AUTH-*, SEC-KEY-*)."""

from __future__ import annotations

import pytest

from ssc.crypto.recipes import auth_cryptogram
from tests.unit.reference_card.card_support import SSSE_NAME, Host, new_card

GENERATIONS = ["gen1", "gen2", "gen3"]


@pytest.fixture(params=GENERATIONS)
def host(request: pytest.FixtureRequest) -> Host:
    h = Host(new_card(request.param))
    h.select_name(SSSE_NAME)
    return h


@pytest.mark.parametrize("le", [0x04, 0x08, 0x10])
def test_get_challenge_lengths_and_freshness(host: Host, le: int) -> None:
    a, b = host.challenge(le), host.challenge(le)
    assert len(a) == len(b) == le and a != b


@pytest.mark.parametrize("apdu", ["0084000000", "0084000005", "00840000", "008400000100"])
def test_get_challenge_bad_le(host: Host, apdu: str) -> None:
    assert host.send(apdu).sw == host.sw("wrong_length")


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_internal_authenticate(host: Host, version: int) -> None:
    f, d = bytes.fromhex("0102030405060708"), bytes.fromhex("1122334455667788")
    r = host.send(bytes([0, 0x88, version, 0x00, 16]) + f + d)
    assert r.sw == host.sw("more_data", 8)
    result = host.send("00C0000008")
    irk = host.key("IRK", version or None)
    assert result.data == auth_cryptogram(host.profile.algorithm, irk, f, d)


@pytest.mark.parametrize(
    "apdu, name",
    [
        ("0088040010" + "00" * 16, "key_not_found"),
        ("0088000110" + "00" * 16, "key_not_found"),
        ("008800000F" + "00" * 15, "wrong_length"),
        ("0088000008" + "00" * 8, "wrong_length"),
    ],
)
def test_internal_authenticate_errors(host: Host, apdu: str, name: str) -> None:
    assert host.send(apdu).sw == host.sw(name)


def test_internal_authenticate_works_from_adfs_not_from_pse(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF04"))
    assert host.send("0088000010" + "00" * 16).sw == host.sw("more_data", 8)
    host.select_name(host.df_name("PSE"))
    assert host.send("0088000010" + "00" * 16).sw == host.sw("key_not_found")


def _national_keys(host: Host) -> list[tuple[str, str]]:
    return [(k.df, k.name) for k in host.profile.keys() if k.use == "external" and k.level == "national" and not k.df.startswith("PSE")]


def test_every_national_key_authenticates_in_every_version(host: Host) -> None:
    keys = _national_keys(host)
    assert {("SSSE", "MK"), ("SSSE", "UKSSSE"), ("SSSE/DF01", "UK1DF01"), ("SSSE/DF04", "UK2DF04")} <= set(keys)  # PROFILE §6.1
    for df, name in keys:
        host.select_name(host.df_name(df))
        for version in (1, 2, 3):
            assert host.external_auth(name, version).sw == host.sw("ok"), (name, version)
        assert host.external_auth(name, 0).sw == host.sw("ok")


def test_key_versions_are_distinct(host: Host) -> None:
    keys = {host.key("UKSSSE", v) for v in (1, 2, 3)}
    assert len(keys) == 3
    assert host.external_auth("UKSSSE", 2, key=host.key("UKSSSE", 1)).sw == host.sw("verification_failed", 2)


def test_wrong_cryptogram_counts_down_and_blocks_one_version(host: Host) -> None:
    for left in (2, 1, 0):
        assert host.external_auth("STK", 1, tamper=True).sw == host.sw("verification_failed", left)
    assert host.external_auth("STK", 1).sw == host.sw("method_blocked")
    assert host.external_auth("STK", 0).sw == host.sw("method_blocked")  # 00 = active = 01
    assert host.external_auth("STK", 2).sw == host.sw("ok")


def test_success_restores_the_key_counter(host: Host) -> None:
    host.external_auth("BK", 1, tamper=True)
    host.external_auth("BK", 1, tamper=True)
    assert host.external_auth("BK", 1).sw == host.sw("ok")
    assert host.external_auth("BK", 1, tamper=True).sw == host.sw("verification_failed", 2)


def test_external_authenticate_check_order(host: Host) -> None:
    puk = host.profile.key("PUK")
    # Lc first, even for an unknown key
    assert host.send("0082005507" + "00" * 7).sw == host.sw("wrong_length")
    # unknown key id, unknown version → 6A88 (before the challenge check)
    assert host.send("0082005510" + "00" * 16).sw == host.sw("key_not_found")
    assert host.send(bytes([0, 0x82, 4, puk.id, 16]) + bytes(16)).sw == host.sw("key_not_found")
    # no challenge → 6984; a 4-byte challenge → 6984
    assert host.send(bytes([0, 0x82, 1, puk.id, 16]) + bytes(16)).sw == host.sw("referenced_data_invalid")
    host.challenge(4)
    assert host.send(bytes([0, 0x82, 1, puk.id, 16]) + bytes(16)).sw == host.sw("referenced_data_invalid")
    # blocked → 6983 even without a challenge
    for _ in range(3):
        host.external_auth("PUK", 1, tamper=True)
    assert host.send(bytes([0, 0x82, 1, puk.id, 16]) + bytes(16)).sw == host.sw("method_blocked")


def test_key_lookup_is_in_the_current_df_only(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF01"))
    assert host.external_auth("UKSSSE").sw == host.sw("key_not_found")


def test_challenge_is_single_use(host: Host) -> None:
    kdef = host.profile.key("UKSSSE")
    r = host.challenge(8)
    crypt = auth_cryptogram(host.profile.algorithm, host.key("UKSSSE"), r, r)
    apdu = bytes([0, 0x82, 0, kdef.id, 16]) + crypt + r
    assert host.send(apdu).sw == host.sw("ok")
    assert host.send(apdu).sw == host.sw("referenced_data_invalid")


def test_challenge_is_consumed_by_any_command(host: Host) -> None:
    kdef = host.profile.key("UKSSSE")
    r = host.challenge(8)
    host.send("00FF0000")  # an unknown INS still consumes it
    crypt = auth_cryptogram(host.profile.algorithm, host.key("UKSSSE"), r, r)
    assert host.send(bytes([0, 0x82, 0, kdef.id, 16]) + crypt + r).sw == host.sw("referenced_data_invalid")


def test_card_checks_the_d_sent_not_r(host: Host) -> None:
    kdef = host.profile.key("UKSSSE")
    r = host.challenge(8)
    d = bytes(range(8))
    crypt = auth_cryptogram(host.profile.algorithm, host.key("UKSSSE"), r, d)
    assert host.send(bytes([0, 0x82, 0, kdef.id, 16]) + crypt + d).sw == host.sw("ok")


def test_local_keys_come_from_the_city_root(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF80"))
    assert host.external_auth("RLK").sw == host.sw("ok")
