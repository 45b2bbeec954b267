"""Record checks (ssc/record_checks.py): TLV shape, the profile's record dictionary, cyclic sizes."""

from __future__ import annotations

from ssc.profile import load_profile
from ssc.record_checks import cyclic_size_problems, record_dictionary_problems, record_tlv_problems


def test_record_checks() -> None:
    p = load_profile("gen2")
    ef05, ef08 = p.file("SSSE/EF05"), p.file("SSSE/DF04/EF08")
    number = bytes([0x07, 0x09]) + b"X00000019"
    assert not record_tlv_problems(ef05, 7, number) and not record_dictionary_problems(ef05, 7, number)
    assert record_tlv_problems(ef05, 7, number + b"\x00")  # a byte after the TLV
    assert record_dictionary_problems(ef05, 6, number)  # record 6 is the expiry date (tag 06)
    assert record_dictionary_problems(ef05, 8, number)  # no record 8 declared
    assert record_dictionary_problems(ef05, 7, bytes([0x07, 0x08]) + b"X0000001")  # wrong length
    assert not cyclic_size_problems(ef08, 3, bytes([0x55, 0x10]) + bytes(16))
    assert cyclic_size_problems(ef08, 3, bytes([0x55, 0x0F]) + bytes(15))
