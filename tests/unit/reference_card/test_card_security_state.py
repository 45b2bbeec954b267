"""Access rules and the scope of security states (PROFILE §3.3, §6.5; SEC-AC-*, SEC-FW-1)."""

from __future__ import annotations

import pytest

from tests.unit.reference_card.card_support import SSSE_NAME, Host, new_card


def _host(generation: str = "gen2") -> Host:
    h = Host(new_card(generation))
    h.select_name(SSSE_NAME)
    return h


def _enter(host: Host, path: str) -> None:
    host.select_name(host.df_name(path))


def test_free_read_uk_write() -> None:  # SEC-AC-1
    host = _host()
    _enter(host, "SSSE/DF01")
    assert host.read_record_auto(1, sfi=6).sw == host.sw("ok")
    rec = host.read_record_auto(1, sfi=6).data
    assert host.send(bytes([0, 0xDC, 1, 0x34, len(rec)]) + rec).sw == host.sw("security_not_satisfied")


def test_another_uk_does_not_open() -> None:  # SEC-AC-2
    host = _host()
    _enter(host, "SSSE/DF01")
    host.external_auth("UK1DF01")
    rec = host.read_record_auto(1, sfi=6).data
    assert host.send(bytes([0, 0xDC, 1, 0x34, len(rec)]) + rec).sw == host.sw("security_not_satisfied")
    host.external_auth("UK2DF01")
    assert host.send(bytes([0, 0xDC, 1, 0x34, len(rec)]) + rec).sw == host.sw("ok")


def test_pin_read_file_and_uk_does_not_grant_read() -> None:  # SEC-AC-3
    host = _host()
    _enter(host, "SSSE/DF02")
    host.external_auth("UK1DF02")
    assert host.read_record_auto(1, sfi=6).sw == host.sw("security_not_satisfied")
    host.verify()
    assert host.read_record_auto(1, sfi=6).sw == host.sw("ok")


def test_read_key_and_write_key_are_separate() -> None:  # SEC-AC-4
    host = _host()
    _enter(host, "SSSE/DF03")
    host.external_auth("UK1DF03")
    assert host.read_record_auto(1, sfi=5).sw == host.sw("security_not_satisfied")
    host.external_auth("RK1DF03")
    rec = host.read_record_auto(1, sfi=5)
    assert rec.sw == host.sw("ok")
    host2 = _host()
    _enter(host2, "SSSE/DF03")
    host2.external_auth("RK1DF03")
    assert host2.send(bytes([0, 0xDC, 1, 0x2C, len(rec.data)]) + rec.data).sw == host2.sw("security_not_satisfied")


@pytest.mark.parametrize("grant", ["pin", "key"])
def test_or_rule_either_suffices(grant: str) -> None:  # SEC-AC-5
    host = _host()
    _enter(host, "SSSE/DF03")
    assert host.read_record_auto(1, sfi=7).sw == host.sw("security_not_satisfied")
    if grant == "pin":
        host.verify()
    else:
        host.external_auth("UK1DF03")
    assert host.read_record_auto(1, sfi=7).sw == host.sw("ok")


@pytest.mark.parametrize("grant", ["none", "pin", "key", "both"])
def test_and_rule_needs_both(grant: str) -> None:  # SEC-AC-6
    host = _host()
    _enter(host, "SSSE/DF04")
    if grant in ("pin", "both"):
        host.verify()
    if grant in ("key", "both"):
        host.external_auth("RK1DF04")
    expected = "ok" if grant == "both" else "security_not_satisfied"
    assert host.read_record_auto(1, sfi=5).sw == host.sw(expected)


@pytest.mark.parametrize("grant", ["pin", "key", "both"])
def test_and_rule_for_write(grant: str) -> None:  # SEC-AC-6
    host = _host()
    _enter(host, "SSSE/DF04")
    if grant in ("pin", "both"):
        host.verify()
    if grant in ("key", "both"):
        host.external_auth("UK1DF04")
    rec = bytes([0x50, 2]) + b"21"
    expected = "ok" if grant == "both" else "security_not_satisfied"
    assert host.send(bytes([0, 0xDC, 1, 0x2C, len(rec)]) + rec).sw == host.sw(expected)


def test_gen3_ef06_needs_rkssse() -> None:  # SEC-AC-7
    host = _host("gen3")
    assert host.read_record_auto(1, sfi=6).sw == host.sw("security_not_satisfied")
    assert host.send("00B0880010").sw == host.sw("security_not_satisfied")
    assert host.external_auth("RKSSSE").sw == host.sw("ok")
    assert host.read_record_auto(1, sfi=6).sw == host.sw("ok")
    assert host.send("00B0880010").sw == host.sw("ok")


@pytest.mark.parametrize("generation", ["gen1", "gen2"])
def test_ef06_free_before_gen3(generation: str) -> None:
    host = _host(generation)
    assert host.read_record_auto(1, sfi=6).sw == host.sw("ok")
    assert host.external_auth("UKSSSE").sw == host.sw("ok")
    assert host.profile.sw["key_not_found"].sw == host.send("0082000A10" + "00" * 16).sw  # no RKSSSE before gen3


def test_key_state_lost_on_df_change_kept_on_ef_select() -> None:  # SEC-AC-8
    host = _host()
    _enter(host, "SSSE/DF03")
    host.external_auth("RK1DF03")
    host.select_fid(0xEF05)
    host.select_name(host.df_name("SSSE/DF03"))  # re-selecting the current DF keeps it
    assert host.read_record_auto(1, sfi=5).sw == host.sw("ok")
    host.select_fid(0xDDF1)
    host.select_fid(0xDF03)
    assert host.read_record_auto(1, sfi=5).sw == host.sw("security_not_satisfied")


def test_key_state_lost_on_reset() -> None:  # SEC-AC-8
    host = _host()
    _enter(host, "SSSE/DF03")
    host.external_auth("RK1DF03")
    host.card.power_on()
    _enter(host, "SSSE/DF03")
    assert host.read_record_auto(1, sfi=5).sw == host.sw("security_not_satisfied")


def test_failed_external_auth_clears_that_key() -> None:
    host = _host()
    _enter(host, "SSSE/DF03")
    host.external_auth("RK1DF03")
    host.external_auth("RK1DF03", tamper=True)
    assert host.read_record_auto(1, sfi=5).sw == host.sw("security_not_satisfied")


def test_pin_state_holds_inside_ssse_only() -> None:  # SEC-AC-8
    host = _host()
    host.verify()
    _enter(host, "SSSE/DF02")
    assert host.read_record_auto(1, sfi=6).sw == host.sw("ok")
    host.select_fid(0x3F00)
    _enter(host, "SSSE/DF02")
    assert host.read_record_auto(1, sfi=6).sw == host.sw("security_not_satisfied")


def test_failed_verify_clears_the_pin_state() -> None:
    host = _host()
    host.verify()
    host.verify("000000")
    _enter(host, "SSSE/DF02")
    assert host.read_record_auto(1, sfi=6).sw == host.sw("security_not_satisfied")


def test_firewall_ssse_mk_does_not_open_pse() -> None:  # SEC-FW-1
    host = _host()
    assert host.external_auth("MK").sw == host.sw("ok")
    _enter(host, "PSE/ADF1")
    assert host.read_record_auto(1, sfi=2).sw == host.sw("security_not_satisfied")
    assert host.external_auth("PSEMK").sw == host.sw("ok")
    assert host.read_record_auto(1, sfi=2).sw == host.sw("ok")
    assert host.verify().sw == host.sw("key_not_found")  # no PIN in the PSE


def test_firewall_pse_key_does_not_open_ssse() -> None:  # SEC-FW-1
    host = _host()
    _enter(host, "PSE/ADF1")
    host.external_auth("PSEMK")
    _enter(host, "SSSE/DF03")
    assert host.read_record_auto(1, sfi=5).sw == host.sw("security_not_satisfied")


def test_local_files_are_opened_by_the_local_key_only() -> None:  # INT-XR-5
    host = _host()
    _enter(host, "SSSE/DF80")
    assert host.read_record_auto(1, sfi=5).sw == host.sw("security_not_satisfied")
    kdef = host.profile.key("RLK")
    import dataclasses

    from ssc.keyset import derive_card_key

    national = dataclasses.replace(kdef, level="national")
    wrong = derive_card_key(host.profile, host.keyset, national, 1, host.region, host.card_sn)
    assert host.external_auth("RLK", key=wrong).sw == host.sw("verification_failed", 2)
    assert host.external_auth("RLK").sw == host.sw("ok")
    assert host.read_record_auto(1, sfi=5).sw == host.sw("ok")
