"""Item codecs: padding rules of PROFILE §3 (an: 00-padded, cn: F-padded BCD, GBK text)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssc.codecs import (
    check_padding,
    decode_an,
    decode_cn,
    decode_date,
    decode_gbk,
    decode_pin,
    encode_an,
    encode_b,
    encode_cn,
    encode_date,
    encode_gbk,
    encode_pin,
)

H = bytes.fromhex

# --- an / GBK ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, length, expected",
    [
        ("1", 1, "31"),
        ("1.00", 4, "312E3030"),
        ("X00000019", 9, "583030303030303139"),
        ("AB", 5, "4142000000"),
        (b"\x01\x02", 3, "010200"),
        ("", 2, "0000"),
        ("张三", 6, "D5C5C8FD0000"),  # GBK
    ],
)
def test_encode_an(value, length, expected):
    assert encode_an(value, length) == H(expected)


@pytest.mark.parametrize("value, length", [("ABC", 2), ("张三", 3), ("€", 4), ("x", -1)])
def test_encode_an_refuses(value, length):
    with pytest.raises(ValueError):
        encode_an(value, length)


@pytest.mark.parametrize(
    "raw, expected",
    [("4142000000", "AB"), ("D5C5C8FD0000", "张三"), ("0000", ""), ("312E3030", "1.00")],
)
def test_decode_an(raw, expected):
    assert decode_an(H(raw)) == expected


def test_decode_gb18030_beyond_gbk():
    # U+20000 (CJK Extension B) exists in GB18030 only: a 4-byte sequence
    raw = "\U00020000".encode("gb18030") + b"\x00\x00"
    assert decode_gbk(raw) == "\U00020000"


def test_name_example_from_ssse_directory():
    # "社会保障" as in the SSSE DF name (PROFILE §3): C9 E7 BB E1 B1 A3 D5 CF
    assert encode_gbk("社会保障", 8) == H("C9E7BBE1B1A3D5CF")


gbk_text = st.text(alphabet=st.characters(codec="gbk", exclude_characters="\x00"), max_size=15)


@given(gbk_text)
def test_gbk_round_trip(text):
    length = len(text.encode("gbk")) + 3
    raw = encode_gbk(text, length)
    assert len(raw) == length
    assert decode_gbk(raw) == text
    assert check_padding(raw, "an") == []


def test_encode_gbk_wants_text():
    with pytest.raises(TypeError):
        encode_gbk(b"AB", 4)  # type: ignore[arg-type]  # bytes where text belongs is what the test feeds in


# --- cn -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "digits, length, expected",
    [
        ("330300", 3, "330300"),
        ("12345", 3, "12345F"),
        ("1", 2, "1FFF"),
        ("", 1, "FF"),
        ("20190518", 4, "20190518"),
    ],
)
def test_encode_cn(digits, length, expected):
    assert encode_cn(digits, length) == H(expected)
    assert decode_cn(H(expected)) == digits


@pytest.mark.parametrize("digits, length", [("1234567", 3), ("12A4", 2), ("１２", 2)])
def test_encode_cn_refuses(digits, length):
    with pytest.raises(ValueError):
        encode_cn(digits, length)


@pytest.mark.parametrize(
    "raw, words",
    [
        ("12A4", ["nibble 2", "A"]),  # non-BCD before padding
        ("12F4", ["nibble 3", "4", "F padding"]),  # digit after padding
        ("1FFE", ["nibble 3", "E"]),  # non-F after padding
    ],
)
def test_decode_cn_names_the_bad_nibble(raw, words):
    with pytest.raises(ValueError) as info:
        decode_cn(H(raw))
    for word in words:
        assert word in str(info.value)


@given(st.text(alphabet="0123456789", max_size=20), st.integers(min_value=0, max_value=4))
def test_cn_round_trip(digits, extra):
    length = (len(digits) + 1) // 2 + extra
    raw = encode_cn(digits, length)
    assert decode_cn(raw) == digits
    assert check_padding(raw, "cn") == []


# --- b ------------------------------------------------------------------------------------------


def test_encode_b_exact_length():
    assert encode_b(H("00001388"), 4) == H("00001388")
    with pytest.raises(ValueError):
        encode_b(H("1388"), 4)


# --- dates --------------------------------------------------------------------------------------


def test_date_round_trip():
    assert encode_date("20190518") == H("20190518")
    assert encode_date(datetime.date(2000, 2, 29)) == H("20000229")
    assert decode_date(H("20000229")) == datetime.date(2000, 2, 29)


@pytest.mark.parametrize("text", ["20190230", "19000229", "20191301", "2019051", "2019O518"])
def test_encode_date_refuses_unreal_dates(text):
    with pytest.raises(ValueError):
        encode_date(text)


@pytest.mark.parametrize("raw", ["20190230", "2019051F", "201905", "0000000000"])
def test_decode_date_refuses(raw):
    with pytest.raises(ValueError):
        decode_date(H(raw))


# --- PIN ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("digits, expected", [("123456", "123456"), ("12345", "12345F"), ("0", "0F"), ("1234", "1234")])
def test_pin_encoding(digits, expected):
    assert encode_pin(digits) == H(expected)
    assert decode_pin(H(expected)) == digits


@pytest.mark.parametrize("raw", ["", "FF", "12F4", "1A34", "12FF", "F1"])
def test_decode_pin_refuses(raw):
    with pytest.raises(ValueError):
        decode_pin(H(raw))


@pytest.mark.parametrize("digits", ["", "12a4", "12 4"])
def test_encode_pin_refuses(digits):
    with pytest.raises(ValueError):
        encode_pin(digits)


@given(st.text(alphabet="0123456789", min_size=1, max_size=12))
def test_pin_round_trip(digits):
    assert decode_pin(encode_pin(digits)) == digits


# --- padding checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, fmt, count, words",
    [
        ("4142000000", "an", 0, []),
        ("4100420000", "an", 1, ["byte 2", "42", "byte 1"]),
        ("0041000043", "an", 2, ["byte 1", "byte 4"]),
        ("330300", "cn", 0, []),
        ("33030F", "cn", 0, []),
        ("3F0300", "cn", 4, ["nibble 2", "after F padding started at nibble 1"]),
        ("3A03FF", "cn", 1, ["nibble 1", "A", "not a BCD digit"]),
        ("FFFF", "b", 0, []),
        ("00FF", "b", 0, []),
    ],
)
def test_check_padding(raw, fmt, count, words):
    problems = check_padding(H(raw), fmt)
    assert len(problems) == count, problems
    for word in words:
        assert any(word in p for p in problems), (word, problems)


def test_check_padding_unknown_format():
    with pytest.raises(ValueError):
        check_padding(b"", "n")
