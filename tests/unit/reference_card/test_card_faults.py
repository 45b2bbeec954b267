"""Every named fault is observable: one APDU sequence per fault that the clean card answers as
the profile says and the mutant does not (the suite's detection power rests on this)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reference_card import FAULTS, ReferenceCard
from ssc.card import PowerCut
from ssc.catalogue import load_catalogue
from ssc.checks import is_valid_card_number, ssn_check_char
from ssc.codecs import decode_an, encode_cn, encode_pin
from ssc.crypto.mac import mac
from ssc.crypto.recipes import auth_cryptogram
from ssc.tlv import find_tag
from tests.unit.reference_card.card_support import PERSO, PIN, SSSE_NAME, Host, new_card


def _enter(host: Host, path: str) -> None:
    host.select_name(host.df_name(path))


def pin_counter(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    return [host.verify("000000").sw, host.verify("000000").sw] == [host.sw("verification_failed", 2), host.sw("verification_failed", 1)]


def ef06_gen3(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    return host.read_record_auto(1, sfi=6).sw == host.sw("security_not_satisfied")


def other_uk(host: Host) -> bool:
    _enter(host, "SSSE/DF01")
    host.external_auth("UK2DF01")
    rec = host.read_record_auto(1, sfi=5).data
    return host.send(bytes([0, 0xDC, 1, 0x2C, len(rec)]) + rec).sw == host.sw("security_not_satisfied")


def or_rule(host: Host) -> bool:
    _enter(host, "SSSE/DF03")
    host.verify()
    return host.read_record_auto(1, sfi=7).sw == host.sw("ok")


def and_rule(host: Host) -> bool:
    _enter(host, "SSSE/DF04")
    host.verify()
    return host.read_record_auto(1, sfi=5).sw == host.sw("security_not_satisfied")


def card_id_mac(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    code = host.read_record_auto(1, sfi=5).data[2:]
    layout = host.profile.card_id
    return code[layout.mac] == mac(host.profile.algorithm, host.key(layout.mac_key), code[: layout.mac.start])[:4]


def card_number(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    return is_valid_card_number(decode_an(host.read_record_auto(7, sfi=5).data[2:]))


def spec_version(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    return decode_an(host.read_record_auto(3, sfi=5).data[2:]) == host.profile.spec_version


def six_c(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    return host.read_record(7, sfi=5, le=0).sw == host.sw("wrong_le", 0x0B)


def challenge_reuse(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    kdef = host.profile.key("UKSSSE")
    r = host.challenge(8)
    apdu = bytes([0, 0x82, 0, kdef.id, 16]) + auth_cryptogram(host.profile.algorithm, host.key("UKSSSE"), r, r) + r
    return [host.send(apdu).sw, host.send(apdu).sw] == [host.sw("ok"), host.sw("referenced_data_invalid")]


def mac_checked(host: Host) -> bool:
    _enter(host, "SSSE/DF04")
    host.challenge(4)
    rec = bytes([0x53, 4]) + bytes.fromhex("20250101")
    return host.send(bytes([0x04, 0xDC, 2, 0x34, len(rec) + 4]) + rec + bytes(4)).sw == host.sw("sm_data_incorrect")


def firewall(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    host.external_auth("MK")
    _enter(host, "PSE/ADF1")
    return host.read_record_auto(1, sfi=2).sw == host.sw("security_not_satisfied")


def diversification(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    return host.external_auth("UKSSSE").sw == host.sw("ok")


def local_root(host: Host) -> bool:
    _enter(host, "SSSE/DF80")
    return host.external_auth("RLK").sw == host.sw("ok")


def read_by_tag(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    by_tag = host.read_record_auto(0x07, sfi=5, by_tag=True)
    return by_tag.sw == host.sw("ok") and by_tag.data == host.read_record_auto(7, sfi=5).data


def application_block(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    host.send(host.mac_apdu(bytes([0x84, 0x1E, 0, 0]), b"", "STK"))
    return host.send("00B2072C0B").sw == host.sw("function_not_supported")


def record_before_security(host: Host) -> bool:
    _enter(host, "SSSE/DF02")
    return host.read_record(9, sfi=6).sw == host.sw("record_not_found")


def anti_tearing(host: Host) -> bool:
    _enter(host, "SSSE/DF01")
    host.external_auth("UK1DF01")
    old = host.read_record_auto(2, sfi=5).data
    new = old[:2] + b"\x41" * (len(old) - 2)
    host.card.arm_power_cut(30)
    try:
        host.send(bytes([0, 0xDC, 2, 0x2C, len(new)]) + new)
    except PowerCut:
        pass
    host.card.power_on()
    _enter(host, "SSSE/DF01")
    return host.read_record_auto(2, sfi=5).data == old


def undefined_ins(host: Host) -> bool:
    """INS CA is not a command of the profile: 6D00, never 9000 (SEC-ROB-1)."""
    return host.send("00CA0000").sw == host.sw("ins_not_supported")


def truncated_apdu(host: Host) -> bool:
    """An APDU shorter than its header gets an error and no data."""
    response = host.send("00B2")
    return not response.data and response.sw != host.sw("ok")


def inconsistent_lc(host: Host) -> bool:
    """Lc 5 with 2 data bytes: a status word (6700), not silence."""
    return len(host.card.process(bytes.fromhex("00A40000050000"))) == 2


def reserved_p2_mode(host: Host) -> bool:
    """READ RECORD with the reserved P2 mode 'by number' | 1 on a PIN-protected file, no PIN: no data."""
    f = host.profile.file("SSSE/DF02/EF06")
    assert f.sfi is not None and str(f.rule("read")) == "PIN"
    _enter(host, "SSSE/DF02")
    rec = f.records[0]
    return not host.send(bytes([0, 0xB2, rec.number, f.sfi << 3 | 0x05, rec.record_length])).data


def challenge_p1p2(host: Host) -> bool:
    """GET CHALLENGE with P1 01: 6A86, no challenge."""
    return host.send("0084010004").sw == host.sw("wrong_p1p2")


def shortest_pin(host: Host) -> bool:
    """CHANGE PIN to a PIN of exactly min_pin_bytes is accepted, and the PIN verifies."""
    host.select_name(SSSE_NAME)
    n = host.profile.command("verify").byte("min_pin_bytes")
    short = ("13579" * n)[: 2 * n]
    data = encode_pin(PIN) + b"\xff" + encode_pin(short)
    ok = host.send(bytes.fromhex("805E0100") + bytes([len(data)]) + data).sw == host.sw("ok")
    return ok and host.verify(short).sw == host.sw("ok")


def hook_high_byte(host: Host) -> bool:
    """A cut armed at byte 256 (FF 7E 01 00) comes after a 1-byte PIN-counter write: the write completes."""
    host.select_name(SSSE_NAME)
    before = host.card.persistent_writes
    host.send("FF7E0100")
    try:
        host.verify("000000")
    except PowerCut:
        pass  # the cut after the command's last write
    return host.card.persistent_writes > before


def counter_first(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    host.card.arm_power_cut(0)
    try:
        host.verify(PIN)
    except PowerCut:
        return True  # a write happened before the (right) result could be seen
    return False


def fci_algorithm(host: Host) -> bool:
    sw1 = host.select_name(SSSE_NAME).sw & 0xFF
    fci = host.send(bytes([0x00, 0xC0, 0x00, 0x00, sw1])).data
    return find_tag(fci, 0x9F0C) == bytes([0x86, 0x01, host.profile.algorithm_id])


def first_challenges_differ(host: Host) -> bool:
    firsts = []
    for _ in range(4):
        host.card.power_on()
        firsts.append(host.send("0084000008").data)
    return len(set(firsts)) == len(firsts)


def no_counter(host: Host) -> bool:
    values = [int.from_bytes(host.send("0084000008").data, "little") for _ in range(3)]
    return not values[2] - values[1] == values[1] - values[0] == 1


# -- one killing fault per requirement (issue 8 §7) ------------------------------------------------
def atr_guard_time(host: Host) -> bool:
    return host.card.atr.startswith(host.profile.atr.prefix)


def atr_card_sn(host: Host) -> bool:
    return host.card_sn != b"\xff" * len(host.card_sn)


def mandatory_ef(host: Host) -> bool:
    return host.select_path(FAULTS["mandatory_ef_missing"].target or "").sw == host.sw("ok")


def dir_adfs(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    adfs = [f for f in host.profile.files.values() if f.kind == "adf" and f.parent == "SSSE"]  # all on the default card
    return host.read_record_auto(len(adfs), sfi=0x0B).sw == host.sw("ok")


def one_tlv(host: Host) -> bool:
    _enter(host, "SSSE/DF01")
    data = host.read_record_auto(2, sfi=6).data
    return len(data) == 2 + data[1]


def no_extra_record(host: Host) -> bool:
    _enter(host, "SSSE/DF01")
    return host.read_record_auto(3, sfi=5).sw == host.sw("record_not_found")


def ssn_check(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    ssn = decode_an(host.read_record_auto(1, sfi=6).data[2:])
    return ssn_check_char(ssn[:17]) == ssn[17]


def dates_ordered(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    return host.read_record_auto(5, sfi=5).data[2:] < host.read_record_auto(6, sfi=5).data[2:]


def name_gbk(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    try:
        host.read_record_auto(2, sfi=6).data[2:].decode("gbk")
    except UnicodeDecodeError:
        return False
    return True


def parent_by_fid(host: Host) -> bool:
    _enter(host, "SSSE/DF01")
    return host.select_fid(host.profile.file("SSSE").fid).sw == host.sw("ok")


def cyclic_rotation(host: Host) -> bool:
    _enter(host, "SSSE/DF04")
    f = host.profile.file("SSSE/DF04/EF08")
    assert f.sfi is not None and f.record_count is not None
    header = bytes([0x04, 0xE2, 0, f.sfi << 3])
    sws = [host.send(host.mac_apdu(header, bytes([0x55, 16, i]) + bytes(15), "UK2DF04")).sw for i in range(f.record_count + 1)]
    return set(sws) == {host.sw("ok")}


def ef05_protected(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    rec = host.read_record_auto(2, sfi=5).data
    return host.send(bytes([0, 0xDC, 2, 0x2C, len(rec)]) + rec).sw == host.sw("security_not_satisfied")


def pin_read(host: Host) -> bool:
    _enter(host, "SSSE/DF02")
    return host.read_record_auto(1, sfi=6).sw == host.sw("security_not_satisfied")


def write_key_no_read(host: Host) -> bool:
    _enter(host, "SSSE/DF03")
    host.external_auth("UK1DF03")
    return host.read_record_auto(1, sfi=5).sw == host.sw("security_not_satisfied")


def irk_versions(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    irk = host.profile.key("IRK")
    results = set()
    for version in irk.versions:
        r = host.send(bytes([0, 0x88, version, irk.id, 16]) + bytes(range(16)))
        results.add(host.send(bytes([0, 0xC0, 0, 0, r.sw & 0xFF])).data)
    return len(results) == len(irk.versions)


def institution(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    return host.read_record_auto(4, sfi=5).data[2:] == encode_cn(PERSO.init_institution, 12)


def last_key_version(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    return host.external_auth("UKSSSE", max(host.profile.key("UKSSSE").versions)).sw == host.sw("ok")


def gender_parity(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    ssn = decode_an(host.read_record_auto(1, sfi=6).data[2:])
    gender = decode_an(host.read_record_auto(4, sfi=6).data[2:])
    return gender == ("1" if int(ssn[16]) % 2 else "2")


def card_number_issued(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    return decode_an(host.read_record_auto(7, sfi=5).data[2:]) == PERSO.card_number


_NEW_PIN = "234567"  # neither the embedded card's PIN nor the initial PIN


def _flipped(record: bytes) -> bytes:
    return record[:2] + bytes(b ^ 0xFF for b in record[2:])


def write_lands(host: Host) -> bool:
    _enter(host, "SSSE/DF01")
    host.external_auth("UK1DF01")
    new = _flipped(host.read_record_auto(1, sfi=5).data)
    return host.send(bytes([0, 0xDC, 1, 0x2C, len(new)]) + new).sw == host.sw("ok") and host.read_record_auto(1, sfi=5).data == new


def refused_write_changes_nothing(host: Host) -> bool:
    _enter(host, "SSSE/DF01")
    old = host.read_record_auto(1, sfi=5).data
    new = _flipped(old)
    refused = host.send(bytes([0, 0xDC, 1, 0x2C, len(new)]) + new).sw == host.sw("security_not_satisfied")
    return refused and host.read_record_auto(1, sfi=5).data == old


def change_pin_takes_effect(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    data = encode_pin(PIN) + b"\xff" + encode_pin(_NEW_PIN)
    changed = host.send(bytes([0x80, 0x5E, 0x01, 0x00, len(data)]) + data).sw == host.sw("ok")
    return changed and host.verify(PIN).sw == host.sw("verification_failed", 2) and host.verify(_NEW_PIN).sw == host.sw("ok")


def reload_pin_takes_effect(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    host.external_auth("PUK")
    reloaded = host.send(host.mac_apdu(bytes([0x84, 0x24, 0x00, 0x01]), host.pin_block(_NEW_PIN), "PUK")).sw == host.sw("ok")
    return reloaded and host.verify(_NEW_PIN).sw == host.sw("ok")


def _change_pin(host: Host) -> int:
    data = encode_pin(PIN) + b"\xff" + encode_pin(_NEW_PIN)
    return host.send(bytes([0x80, 0x5E, 0x01, 0x00, len(data)]) + data).sw


def change_pin_sets_pin_state(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    changed = _change_pin(host) == host.sw("ok")
    _enter(host, "SSSE/DF03")  # EF07 there: read "PIN or AUTH UK1DF03"
    return changed and host.read_record(1, sfi=7, le=3).sw == host.sw("ok")


def change_pin_refused_when_blocked(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    for _ in range(host.profile.security.pin.tries):
        host.verify(_NEW_PIN)
    return _change_pin(host) == host.sw("method_blocked")


def change_pin_works_at_last_try(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    for _ in range(host.profile.security.pin.tries - 1):
        host.verify(_NEW_PIN)
    return _change_pin(host) == host.sw("ok")


def unblock_fills_counter(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    for _ in range(host.profile.security.pin.tries):
        host.verify(_NEW_PIN)
    host.external_auth("PUK")
    unblocked = host.send(host.mac_apdu(bytes([0x84, 0x24, 0x00, 0x00]), b"", "PUK")).sw == host.sw("ok")
    return unblocked and host.verify(PIN).sw == host.sw("ok")


def read_by_tag_protected(host: Host) -> bool:
    _enter(host, "SSSE/DF02")
    host.verify()
    return host.read_record_auto(0x31, sfi=6, by_tag=True).data[:1] == b"\x31"


def reset_clears_pin_state(host: Host) -> bool:
    host.select_name(SSSE_NAME)
    host.verify()
    host.card.power_on()
    _enter(host, "SSSE/DF02")
    return host.read_record(1, sfi=6).sw == host.sw("security_not_satisfied")


def mac_under_other_key(host: Host) -> bool:
    _enter(host, "SSSE/DF04")
    rec = bytes([0x53, 4]) + bytes.fromhex("20250101")
    return host.send(host.mac_apdu(bytes([0x04, 0xDC, 2, 0x34]), rec, "UK1DF04")).sw == host.sw("sm_data_incorrect")


def wrong_tag_not_written(host: Host) -> bool:
    _enter(host, "SSSE/DF01")
    host.external_auth("UK1DF01")
    old = host.read_record_auto(1, sfi=5).data
    new = bytes([0xEE]) + _flipped(old)[1:]
    refused = host.send(bytes([0, 0xDC, 1, 0x2C, len(new)]) + new).sw == host.sw("wrong_data")
    return refused and host.read_record_auto(1, sfi=5).data == old


def blocked_write_not_executed(host: Host) -> bool:
    _enter(host, "SSSE/DF04")
    old = host.read_record_auto(1, sfi=6).data
    host.select_name(SSSE_NAME)
    host.send(host.mac_apdu(bytes([0x84, 0x1E, 0, 0]), b"", "STK"))
    _enter(host, "SSSE/DF04")
    refused = host.send(host.mac_apdu(bytes([0x04, 0xDC, 1, 0x34]), _flipped(old), "UK2DF04")).sw == host.sw("function_not_supported")
    host.select_name(SSSE_NAME)
    host.send(host.mac_apdu(bytes([0x84, 0x18, 0, 0]), b"", "STK"))
    _enter(host, "SSSE/DF04")
    return refused and host.read_record_auto(1, sfi=6).data == old


def replay_not_executed(host: Host) -> bool:
    _enter(host, "SSSE/DF04")
    old = host.read_record_auto(1, sfi=6).data
    command = host.mac_apdu(bytes([0x04, 0xDC, 1, 0x34]), _flipped(old), "UK2DF04")
    host.send(host.mac_apdu(bytes([0x04, 0xDC, 1, 0x34]), old, "UK2DF04"))
    refused = host.send(command).sw == host.sw("referenced_data_invalid")
    return refused and host.read_record_auto(1, sfi=6).data == old


SCENARIOS: dict[str, tuple[str, Callable[[Host], bool]]] = {
    "pin_counter_not_decremented": ("gen2", pin_counter),
    "gen3_ef06_free_read": ("gen3", ef06_gen3),
    "any_key_opens_auth": ("gen2", other_uk),
    "or_rule_as_and": ("gen2", or_rule),
    "and_rule_as_or": ("gen2", and_rule),
    "bad_card_id_mac": ("gen3", card_id_mac),
    "bad_card_number_check": ("gen2", card_number),
    "wrong_spec_version": ("gen1", spec_version),
    "wrong_length_instead_of_6cxx": ("gen2", six_c),
    "reusable_challenge": ("gen2", challenge_reuse),
    "mac_not_checked": ("gen2", mac_checked),
    "firewall_leak": ("gen2", firewall),
    "swapped_diversification": ("gen3", diversification),
    "local_keys_from_national_root": ("gen2", local_root),
    "no_read_record_by_tag": ("gen2", read_by_tag),
    "application_block_ignored": ("gen2", application_block),
    "security_before_record": ("gen2", record_before_security),
    "no_anti_tearing": ("gen2", anti_tearing),
    "try_counter_after_compare": ("gen2", counter_first),
    "fci_wrong_algorithm_id": ("gen2", fci_algorithm),
    "challenge_restarts_at_reset": ("gen2", first_challenges_differ),
    "counter_challenge": ("gen2", no_counter),
    "atr_wrong_guard_time": ("gen2", atr_guard_time),
    "atr_without_card_sn": ("gen3", atr_card_sn),
    "mandatory_ef_missing": ("gen2", mandatory_ef),
    "dir_misses_adf": ("gen2", dir_adfs),
    "record_with_two_tlvs": ("gen2", one_tlv),
    "extra_record": ("gen1", no_extra_record),
    "bad_ssn_check": ("gen2", ssn_check),
    "issue_after_expiry": ("gen2", dates_ordered),
    "name_not_gbk": ("gen2", name_gbk),
    "no_select_parent_by_fid": ("gen2", parent_by_fid),
    "cyclic_append_no_rotation": ("gen2", cyclic_rotation),
    "ef05_update_free": ("gen2", ef05_protected),
    "pin_file_free_read": ("gen2", pin_read),
    "write_key_grants_read": ("gen2", write_key_no_read),
    "irk_versions_identical": ("gen2", irk_versions),
    "wrong_init_institution": ("gen2", institution),
    "external_keys_missing_last_version": ("gen2", last_key_version),
    "gender_contradicts_ssn": ("gen2", gender_parity),
    "card_number_not_as_issued": ("gen2", card_number_issued),
    "write_ignored": ("gen2", write_lands),
    "write_despite_refusal": ("gen2", refused_write_changes_nothing),
    "change_pin_no_effect": ("gen2", change_pin_takes_effect),
    "reload_pin_no_effect": ("gen2", reload_pin_takes_effect),
    "unblock_pin_no_effect": ("gen2", unblock_fills_counter),
    "read_wrong_data": ("gen2", read_by_tag_protected),
    "pin_state_survives_reset": ("gen2", reset_clears_pin_state),
    "change_pin_sets_no_pin_state": ("gen2", change_pin_sets_pin_state),
    "change_pin_ignores_block": ("gen2", change_pin_refused_when_blocked),
    "change_pin_blocked_at_last_try": ("gen2", change_pin_works_at_last_try),
    "sm_any_key_mac": ("gen2", mac_under_other_key),
    "undefined_ins_answers_ok": ("gen2", undefined_ins),
    "truncated_apdu_answers_data": ("gen2", truncated_apdu),
    "inconsistent_lc_mute": ("gen2", inconsistent_lc),
    "malformed_p2_reads_protected": ("gen2", reserved_p2_mode),
    "wrong_tag_written": ("gen2", wrong_tag_not_written),
    "blocked_application_writes": ("gen2", blocked_write_not_executed),
    "sm_refusal_writes": ("gen2", replay_not_executed),
    "get_challenge_any_p1p2": ("gen2", challenge_p1p2),
    "shortest_pin_refused": ("gen2", shortest_pin),
    "tearing_hook_p2_only": ("gen2", hook_high_byte),
}


def test_every_fault_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(FAULTS)


@pytest.mark.parametrize(
    "fault",
    [pytest.param(name, id=f"{FAULTS[name].requirement_ids[0]}-{name}") for name in sorted(SCENARIOS)],
)
def test_fault_is_observable(fault: str) -> None:
    generation, scenario = SCENARIOS[fault]
    assert not FAULTS[fault].generations or generation in FAULTS[fault].generations
    clean = Host(new_card(generation, tearing_hook=True))
    faulty = Host(new_card(generation, tearing_hook=True, faults=[fault]))
    assert scenario(clean) is True, "the clean card must conform"
    assert scenario(faulty) is False, f"fault {fault} was not observable"


def test_unknown_fault_lists_the_known_ones() -> None:
    with pytest.raises(ValueError) as exc:
        ReferenceCard.default("gen2", faults=["no_such_fault"])
    assert "no_such_fault" in str(exc.value) and "pin_counter_not_decremented" in str(exc.value)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_faults_name_catalogued_requirements(fault: str) -> None:
    catalogue = load_catalogue()
    assert FAULTS[fault].description
    assert FAULTS[fault].requirement_ids
    assert all(catalogue.is_requirement(r) for r in FAULTS[fault].requirement_ids)
