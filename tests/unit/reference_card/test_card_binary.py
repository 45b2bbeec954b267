"""READ / UPDATE BINARY (PROFILE §5; STD-CMD-2)."""

from __future__ import annotations

import pytest

from tests.unit.reference_card.card_support import SSSE_NAME, Host, new_card


@pytest.fixture
def host() -> Host:
    h = Host(new_card("gen2"))
    h.select_name(SSSE_NAME)
    return h


def _photo(host: Host) -> bytes:
    size = host.ef_size("SSSE/EF08")
    out = b""
    while len(out) < size:
        chunk = min(256, size - len(out))
        r = host.send(bytes([0x00, 0xB0, (len(out) >> 8) & 0x7F, len(out) & 0xFF, chunk & 0xFF]))
        assert r.sw == host.sw("ok")
        out += r.data
    return out


def test_read_whole_photo_by_offset_and_by_sfi(host: Host) -> None:
    host.select_fid(0xEF08)
    photo = _photo(host)
    assert len(photo) == host.ef_size("SSSE/EF08")
    host.select_fid(0xDDF1)
    r = host.send("00B0881010")
    assert r.data == photo[0x10:0x20]


def test_le_rules(host: Host) -> None:
    host.select_fid(0xEF08)
    size = host.ef_size("SSSE/EF08")
    last = size - 5
    assert host.send(bytes([0, 0xB0, last >> 8, last & 0xFF, 0x10])).sw == host.sw("wrong_le", 5)
    assert host.send(bytes([0, 0xB0, last >> 8, last & 0xFF, 0x03])).sw == host.sw("ok")
    assert host.send(bytes([0, 0xB0, last >> 8, last & 0xFF])).sw == host.sw("wrong_le", 5)
    assert host.send(bytes([0, 0xB0, size >> 8, size & 0xFF, 1])).sw == host.sw("offset_beyond_ef")
    r = host.send("00B0000000")
    assert r.sw == host.sw("ok") and len(r.data) == 256


@pytest.mark.parametrize(
    "apdu, name",
    [
        ("00B0A00001", "wrong_p1p2"),  # P1 b7-b6 set with the SFI flag
        ("00B09F0001", "wrong_p1p2"),  # SFI 31
        ("00B0000001", "no_current_ef"),
        ("00B08D0001", "file_not_found"),
        ("00B0850001", "incompatible_file_structure"),  # SFI 05 is a record file
        ("00B080000101", "wrong_length"),
    ],
)
def test_read_binary_errors(host: Host, apdu: str, name: str) -> None:
    assert host.send(apdu).sw == host.sw(name)


def test_fingerprint_needs_the_pin(host: Host) -> None:
    assert host.send("00B0870010").sw == host.sw("security_not_satisfied")
    host.verify()
    assert host.send("00B0870010").sw == host.sw("ok")


def test_update_binary(host: Host) -> None:
    data = bytes(range(16))
    apdu = bytes([0x00, 0xD6, 0x88, 0x20, len(data)]) + data
    assert host.send(apdu).sw == host.sw("security_not_satisfied")
    host.external_auth("UKSSSE")
    assert host.send(apdu).sw == host.sw("ok")
    assert host.send("00B0882010").data == data


def test_update_binary_bounds(host: Host) -> None:
    host.external_auth("UKSSSE")
    host.select_fid(0xEF07)
    size = host.ef_size("SSSE/EF07")
    end = size - 2
    assert host.send(bytes([0, 0xD6, end >> 8, end & 0xFF, 4]) + bytes(4)).sw == host.sw("not_enough_space")
    assert host.send(bytes([0, 0xD6, size >> 8, size & 0xFF, 1, 0])).sw == host.sw("offset_beyond_ef")
    assert host.send("00D60000").sw == host.sw("wrong_length")
