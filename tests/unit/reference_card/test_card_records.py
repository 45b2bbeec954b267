"""READ / UPDATE / APPEND RECORD (PROFILE §3, §3.3, §5; STD-REC-*, STD-CMD-2, STD-CMD-5)."""

from __future__ import annotations

import pytest

from tests.unit.reference_card.card_support import SSSE_NAME, Host, new_card


@pytest.fixture
def host() -> Host:
    h = Host(new_card("gen2"))
    h.select_name(SSSE_NAME)
    return h


def test_deployed_reader_sequence_reads_the_card_number(host: Host) -> None:
    """Select SSSE, ignore 61 1E, then 00 B2 07 2C 0B (PROFILE §5, C)."""
    r = host.send("00B2072C0B")
    assert r.sw == host.sw("ok")
    assert r.data == b"\x07\x09" + host.card.personalization.card_number.encode()


@pytest.mark.parametrize("le", [None, 0x00, 0x0A, 0x0C, 0xFF])
def test_wrong_or_missing_le_gives_6cxx(host: Host, le: int | None) -> None:
    assert host.read_record(7, sfi=5, le=le).sw == host.sw("wrong_le", 0x0B)


def test_by_number_by_tag_and_by_sfi_agree(host: Host) -> None:
    by_sfi = host.read_record_auto(3, sfi=5)
    by_tag = host.read_record_auto(0x03, sfi=5, by_tag=True)
    host.select_fid(0xEF05)
    current = host.read_record_auto(3)
    current_tag = host.read_record_auto(0x03, by_tag=True)
    assert by_sfi.sw == host.sw("ok")
    assert by_sfi.data == by_tag.data == current.data == current_tag.data


def test_sfi_addressing_does_not_change_the_current_ef(host: Host) -> None:
    host.select_fid(0xEF05)
    host.read_record_auto(1, sfi=6)
    assert host.read_record_auto(7).data[:2] == b"\x07\x09"


@pytest.mark.parametrize(
    "apdu, name",
    [
        ("00B2000C00", "wrong_p1p2"),  # record number 0
        ("00B201FC00", "wrong_p1p2"),  # SFI 31
        ("00B2010D00", "wrong_p1p2"),  # P2 mode 101
        ("00B2010E00", "wrong_p1p2"),
        ("00B2010C0100", "wrong_length"),  # data field on READ RECORD
        ("00B2082C00", "record_not_found"),
        ("00B2992800", "record_not_found"),  # tag 99 by identifier
        ("00B2016C00", "file_not_found"),  # SFI 0D absent
        ("00B2014400", "incompatible_file_structure"),  # SFI 08: the transparent photo
        ("00B2010400", "no_current_ef"),
    ],
)
def test_read_record_errors(host: Host, apdu: str, name: str) -> None:
    assert host.send(apdu).sw == host.sw(name)


def test_reserved_files_have_no_records(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF05"))
    assert host.read_record(1, sfi=5, le=0).sw == host.sw("record_not_found")


def test_update_record_needs_the_uk(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF01"))
    new = bytes([0x20, 3]) + bytes.fromhex("441803")
    assert host.send(bytes([0, 0xDC, 1, 0x2C, len(new)]) + new).sw == host.sw("security_not_satisfied")
    assert host.external_auth("UK1DF01").sw == host.sw("ok")
    assert host.send(bytes([0, 0xDC, 1, 0x2C, len(new)]) + new).sw == host.sw("ok")
    assert host.read_record_auto(1, sfi=5).data == new


@pytest.mark.parametrize(
    "payload",
    [bytes([0x21, 3]) + b"\x44\x18\x03", bytes([0x20, 2]) + b"\x44\x18", bytes([0x20, 3]) + b"\x44\x18", b"\x20"],
)
def test_update_record_tag_and_length_must_match(host: Host, payload: bytes) -> None:
    host.select_name(host.df_name("SSSE/DF01"))
    host.external_auth("UK1DF01")
    assert host.send(bytes([0, 0xDC, 1, 0x2C, len(payload)]) + payload).sw == host.sw("wrong_data")


def test_update_record_errors_before_security(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF01"))
    rec = bytes([0x20, 3, 0x44, 0x18, 0x03])
    assert host.send(bytes([0, 0xDC, 9, 0x2C, 5]) + rec).sw == host.sw("record_not_found")
    assert host.send(bytes([0, 0xDC, 1, 0x28, 5]) + rec).sw == host.sw("wrong_p1p2")  # by-tag mode
    assert host.send("00DC012C").sw == host.sw("wrong_length")


def test_update_record_on_a_cyclic_file_is_6981(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF04"))
    rec = bytes([0x55, 16]) + bytes(16)
    assert host.send(bytes([0, 0xDC, 1, 0x44, len(rec)]) + rec).sw == host.sw("incompatible_file_structure")


def test_append_record_on_a_linear_file_is_6a84(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF04"))
    rec = bytes([0x52, 3, 0x44, 0x18, 0x02])
    assert host.send(bytes([0, 0xE2, 0, 0x30, len(rec)]) + rec).sw == host.sw("not_enough_space")


def _transaction(i: int) -> bytes:
    return bytes([0x55, 16]) + bytes.fromhex("441802") + bytes.fromhex("20240301") + i.to_bytes(4, "big") + bytes(5)


def test_cyclic_append_rotates(host: Host) -> None:
    capacity = host.profile.file("SSSE/DF04/EF08").record_count
    assert capacity is not None, "SSSE/DF04/EF08 is a cyclic EF: it declares its record_count"
    host.select_name(host.df_name("SSSE/DF04"))
    assert host.verify().sw == host.sw("ok")
    assert host.read_record(1, sfi=8, le=0x12).sw == host.sw("record_not_found")
    for i in range(capacity + 2):
        apdu = host.mac_apdu(bytes([0x04, 0xE2, 0x00, 0x08 << 3]), _transaction(i), "UK2DF04")
        assert host.send(apdu).sw == host.sw("ok")
    newest = capacity + 1
    for n in range(1, capacity + 1):
        assert host.read_record(n, sfi=8, le=0x12).data == _transaction(newest - n + 1)
    assert host.read_record(capacity + 1, sfi=8, le=0x12).sw == host.sw("record_not_found")
    assert host.read_record(0x55, sfi=8, le=0x12, by_tag=True).data == _transaction(newest)


def test_append_record_needs_a_valid_mac(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF04"))
    rec = _transaction(1)
    assert host.send(bytes([0, 0xE2, 0, 0x40, len(rec)]) + rec).sw == host.sw("security_not_satisfied")
    apdu = host.mac_apdu(bytes([0x04, 0xE2, 0x00, 0x40]), rec, "UK1DF04")
    assert host.send(apdu).sw == host.sw("sm_data_incorrect")
    bad = host.mac_apdu(bytes([0x04, 0xE2, 0x00, 0x40]), rec[:-1] + b"\x01", "UK2DF04")
    assert host.send(bad[:-5] + b"\x00" + bad[-4:]).sw == host.sw("sm_data_incorrect")  # data changed after MAC
    apdu = bytes([0x04, 0xE2, 0x00, 0x40, len(rec) + 4]) + rec + bytes(4)
    assert host.send(apdu).sw == host.sw("referenced_data_invalid")  # no challenge


def test_sm_update_of_the_nationwide_file(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF04"))
    rec = bytes([0x53, 4]) + bytes.fromhex("20250101")
    assert host.send(bytes([0x00, 0xDC, 2, 0x34, len(rec)]) + rec).sw == host.sw("security_not_satisfied")
    host.external_auth("UK2DF04")
    assert host.send(bytes([0x00, 0xDC, 2, 0x34, len(rec)]) + rec).sw == host.sw("security_not_satisfied")  # AUTH does not replace SM
    apdu = host.mac_apdu(bytes([0x04, 0xDC, 2, 0x34]), rec, "UK2DF04")
    assert host.send(apdu).sw == host.sw("ok")
    assert host.read_record_auto(2, sfi=6).data == rec
    assert host.send(apdu).sw == host.sw("referenced_data_invalid")  # the MAC cannot be replayed


def test_cla_04_on_a_rule_without_sm_is_6982(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF01"))
    host.external_auth("UK1DF01")
    apdu = host.mac_apdu(bytes([0x04, 0xDC, 1, 0x2C]), bytes([0x20, 3, 0x44, 0x18, 0x03]), "UK1DF01")
    assert host.send(apdu).sw == host.sw("security_not_satisfied")


def test_dir_is_never_writable(host: Host) -> None:
    rec = host.read_record_auto(1, sfi=0x0B).data
    host.external_auth("UKSSSE")
    assert host.send(bytes([0, 0xDC, 1, 0x0B << 3 | 4, len(rec)]) + rec).sw == host.sw("security_not_satisfied")
