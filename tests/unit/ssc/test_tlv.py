"""BER-TLV subset and SSC records."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssc.tlv import Tlv, encode_tlv, find_tag, parse_record, parse_tlv

H = bytes.fromhex

SSSE_NAME = H("7378312E73682EC9E7BBE1B1A3D5CF")  # "sx1.sh.社会保障" (PROFILE §3)
SSSE_FCI = H("6F1C840F") + SSSE_NAME + H("A50988010B9F0C03860101")  # alg id 01


@pytest.mark.parametrize(
    "tag, value, expected",
    [
        (0x07, b"X00000019", "0709" + b"X00000019".hex()),
        (0x9F0C, H("860101"), "9F0C03860101"),
        (0x84, b"", "8400"),
        (0x70, bytes(127), "707F" + "00" * 127),
        (0x70, bytes(128), "708180" + "00" * 128),
        (0x70, bytes(255), "7081FF" + "00" * 255),
        (0x70, bytes(256), "70820100" + "00" * 256),
        (0x5F2D, b"zh", "5F2D027A68"),
        (0x9F8101, b"\x01", "9F81010101"),
    ],
)
def test_encode_tlv(tag, value, expected):
    encoded = encode_tlv(tag, value)
    assert encoded == H(expected)
    assert parse_tlv(encoded) == [Tlv(tag, value)]


@pytest.mark.parametrize("tag, value", [(0x70, bytes(0x10000)), (0x1234, b""), (0x9F80, b""), (-1, b"")])
def test_encode_tlv_refuses(tag, value):
    with pytest.raises(ValueError):
        encode_tlv(tag, value)


def test_parse_ssse_fci():
    assert SSSE_FCI.hex().upper().startswith("6F1C840F")
    assert len(SSSE_FCI) == 30  # PROFILE §3: 61 1E
    (fci,) = parse_tlv(SSSE_FCI)
    assert fci.tag == 0x6F and fci.constructed
    inner = parse_tlv(fci.value)
    assert [t.tag for t in inner] == [0x84, 0xA5]
    assert inner[0].value == SSSE_NAME
    assert find_tag(SSSE_FCI, 0x84) == SSSE_NAME
    assert find_tag(SSSE_FCI, 0x88) == H("0B")
    assert find_tag(SSSE_FCI, 0x9F0C) == H("860101")
    # 9F0C is primitive: its content is not searched
    assert find_tag(SSSE_FCI, 0x86) is None
    assert find_tag(SSSE_FCI, 0x50) is None


def test_find_tag_first_match_depth_first():
    data = encode_tlv(0x70, encode_tlv(0x61, encode_tlv(0x4F, b"A")) + encode_tlv(0x4F, b"B"))
    data += encode_tlv(0x4F, b"C")
    assert find_tag(data, 0x4F) == b"A"
    assert find_tag(data, 0x61) == H("4F0141")


@pytest.mark.parametrize(
    "data, offset",
    [
        ("07", 0),  # no length
        ("0709" + "00" * 8, 0),  # value short by one
        ("8400" + "9F", 2),  # multi-byte tag unfinished
        ("8400" + "9F0C", 2),  # no length after tag
        ("840081", 2),  # long length missing its byte
        ("84008201", 2),  # 82 needs two bytes
        ("84008105" + "00" * 4, 2),
    ],
)
def test_parse_tlv_truncation_names_offset(data, offset):
    with pytest.raises(ValueError) as info:
        parse_tlv(H(data))
    assert f"offset {offset}" in str(info.value)


@pytest.mark.parametrize("data", ["8480", "848300000100"])
def test_parse_tlv_refuses_unsupported_lengths(data):
    with pytest.raises(ValueError):
        parse_tlv(H(data))


def test_parse_record():
    record = H("0709") + b"X00000019"
    assert parse_record(record) == Tlv(0x07, b"X00000019")
    # a record identifier with low bits 11111 is still a one-byte tag in a record
    assert parse_record(H("1F0100")) == Tlv(0x1F, b"\x00")
    assert parse_record(H("0D0420190518")).value == H("20190518")
    # the record length byte is a plain count: 0x81 is 129 bytes, not a BER long form
    assert parse_record(H("5581") + bytes(0x81)).value == bytes(0x81)


@pytest.mark.parametrize(
    "data",
    ["", "07", "070A" + "00" * 9, "0709" + "00" * 10, "0709" + "00" * 9 + "0800"],
)
def test_parse_record_refuses(data):
    with pytest.raises(ValueError):
        parse_record(H(data))


tags = st.one_of(
    st.integers(min_value=0x00, max_value=0xFF).filter(lambda t: t & 0x1F != 0x1F),
    st.integers(min_value=0x00, max_value=0xFF).map(lambda t: 0x9F00 | (t & 0x7F)),
)


@given(st.lists(st.tuples(tags, st.binary(max_size=300)), max_size=5))
def test_tlv_round_trip(items):
    data = b"".join(encode_tlv(t, v) for t, v in items)
    assert parse_tlv(data) == [Tlv(t, v) for t, v in items]


def test_tlv_repr_is_pasteable():
    item = Tlv(0x9F0C, H("860101"))
    assert eval(repr(item)) == item
