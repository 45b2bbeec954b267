"""The order of checks and malformed APDUs (PROFILE §5 'Order of checks'; STD-SW-1, SEC-ROB-1)."""

from __future__ import annotations

import pytest

from tests.unit.reference_card.card_support import SSSE_NAME, Host, new_card


@pytest.fixture
def host() -> Host:
    h = Host(new_card("gen2"))
    h.select_name(SSSE_NAME)
    return h


@pytest.mark.parametrize(
    "apdu, name",
    [
        ("10B2072C0B", "cla_not_supported"),  # unknown CLA, even with a known INS
        ("FF7E0000", "cla_not_supported"),  # tearing hook off
        ("10FF0000", "cla_not_supported"),  # unknown CLA before unknown INS
        ("00FF0000", "ins_not_supported"),
        ("80B2072C0B", "cla_not_supported"),  # known CLA, known INS, not allowed together
        ("04B2072C0B", "cla_not_supported"),
        ("00B2002C", "wrong_p1p2"),  # P1-P2 before Lc
        ("0084010008", "wrong_p1p2"),  # GET CHALLENGE is 00 84 00 00 (profile params p1/p2)
        ("0084000105", "wrong_p1p2"),  # ... P1-P2 checked before the Le rule (6700)
        ("00B2002C01AA", "wrong_p1p2"),
        ("00B2072C01AA", "wrong_length"),  # Lc before file
        ("00B2077C00", "file_not_found"),  # file before Le
        ("00B2082C0B", "record_not_found"),
        ("00B2072C00", "wrong_le"),
        ("00B2072C0000020000", "wrong_length"),  # extended APDU
        ("00A404000F7378", "wrong_length"),  # Lc longer than the data
        ("00A4040002DDF1AA55", "wrong_length"),  # Lc shorter than the data
        ("00", "wrong_length"),
        ("00B2", "wrong_length"),
        ("", "wrong_length"),
    ],
)
def test_status_word_order(host: Host, apdu: str, name: str) -> None:
    sw = host.send(apdu).sw
    assert host.profile.sw[name].matches(sw), f"{apdu}: {sw:04X}"


def test_no_record_length_without_access(host: Host) -> None:
    """A PIN-protected record: 6982 before 6Cxx, and 6A83 before 6982 (file/record first)."""
    host.select_name(host.df_name("SSSE/DF02"))
    assert host.read_record(1, sfi=6).sw == host.sw("security_not_satisfied")
    assert host.read_record(9, sfi=6).sw == host.sw("record_not_found")


def test_security_before_data_content(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF01"))
    bad = bytes([0x99, 0x01, 0x00])
    assert host.send(bytes([0, 0xDC, 1, 0x2C, len(bad)]) + bad).sw == host.sw("security_not_satisfied")
