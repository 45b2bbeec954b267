"""Codecs for the item formats of SSC records (`an`, `cn`, `b`), dates and PINs.

The padding rules are the card's (PROFILE §3): `an` items are left-aligned and right-padded with
00 bytes, Chinese text is GBK (read back with GB18030, its superset, so a card written by a
GB18030-aware issuer still decodes); `cn` items are BCD, left-aligned, right-padded with F
nibbles. Encoders refuse values that do not fit; decoders refuse bytes that break the rules, so a
personalization validator can tell "wrong value" from "wrong padding" (see `check_padding`).

Encoders here enforce format only. Writing deliberately malformed data for negative tests is done
with raw bytes, not by loosening these functions.
"""

from __future__ import annotations

import datetime

from ssc.bilingual import bilingual

__all__ = [
    "check_padding",
    "decode_an",
    "decode_cn",
    "decode_date",
    "decode_gbk",
    "decode_pin",
    "encode_an",
    "encode_b",
    "encode_cn",
    "encode_date",
    "encode_gbk",
    "encode_pin",
]

_AN_PAD = 0x00
_CN_PAD = 0xF
_TEXT_ENCODING = "gbk"  # what we write: the profile says GBK
_TEXT_DECODING = "gb18030"  # what we accept: superset of GBK


def _check_length(length: int) -> None:
    if length < 0:
        raise ValueError(f"item length must be >= 0, got {length}")


def encode_an(value: str | bytes, length: int) -> bytes:
    """Left-align `value` in `length` bytes and pad with 00.

    A `str` is encoded as GBK (ASCII is a subset), `bytes` are taken as they are. Raises
    ValueError if the encoded value is longer than `length` or not representable in GBK.
    """
    _check_length(length)
    if isinstance(value, str):
        try:
            raw = value.encode(_TEXT_ENCODING)
        except UnicodeEncodeError as exc:
            raise ValueError(f"{value!r} is not representable in GBK: {exc.reason}") from exc
    else:
        raw = bytes(value)
    if len(raw) > length:
        raise ValueError(f"an value is {len(raw)} bytes, item holds {length}")
    return raw + bytes([_AN_PAD]) * (length - len(raw))


def decode_an(raw: bytes) -> str:
    """Strip the trailing 00 padding and decode as GB18030.

    Does not judge interior padding; use `check_padding` for that.
    """
    return bytes(raw).rstrip(b"\x00").decode(_TEXT_DECODING)


def encode_gbk(text: str, length: int) -> bytes:
    """Chinese text item (e.g. the cardholder's name): GBK, left-aligned, 00-padded."""
    if not isinstance(text, str):
        raise TypeError(f"encode_gbk takes str, got {type(text).__name__}")
    return encode_an(text, length)


def decode_gbk(raw: bytes) -> str:
    """Inverse of `encode_gbk` (GB18030 decoding, trailing 00 stripped)."""
    return decode_an(raw)


def _nibbles(raw: bytes) -> list[int]:
    out: list[int] = []
    for byte in raw:
        out.append(byte >> 4)
        out.append(byte & 0x0F)
    return out


def _nibble_position(index: int) -> str:
    half = "high" if index % 2 == 0 else "low"
    return f"nibble {index} (byte {index // 2}, {half})"


def _nibble_position_zh(index: int) -> str:
    half = "高" if index % 2 == 0 else "低"
    return f"第 {index} 个半字节（第 {index // 2} 字节的{half}半字节）"


def _pack_nibbles(nibbles: list[int]) -> bytes:
    if len(nibbles) % 2:
        nibbles = nibbles + [_CN_PAD]
    return bytes((nibbles[i] << 4) | nibbles[i + 1] for i in range(0, len(nibbles), 2))


def _digit_nibbles(digits: str, what: str) -> list[int]:
    if not isinstance(digits, str):
        raise TypeError(f"{what} takes a str of digits, got {type(digits).__name__}")
    for i, ch in enumerate(digits):
        if ch not in "0123456789":
            raise ValueError(f"{what}: character {i} is {ch!r}, not a decimal digit")
    return [int(ch) for ch in digits]


def encode_cn(digits: str, length: int) -> bytes:
    """BCD-encode `digits`, left-aligned in `length` bytes, padded with F nibbles."""
    _check_length(length)
    nibbles = _digit_nibbles(digits, "cn")
    if len(nibbles) > 2 * length:
        raise ValueError(f"cn value has {len(nibbles)} digits, item holds {2 * length}")
    return _pack_nibbles(nibbles + [_CN_PAD] * (2 * length - len(nibbles)))


def decode_cn(raw: bytes) -> str:
    """Digits up to the first F nibble.

    Raises ValueError naming the offending nibble if a non-BCD nibble (A–E) appears before the
    padding, or a nibble other than F appears after the padding has started.
    """
    nibbles = _nibbles(bytes(raw))
    digits: list[str] = []
    padding_from: int | None = None
    for i, nib in enumerate(nibbles):
        if padding_from is None:
            if nib == _CN_PAD:
                padding_from = i
            elif nib > 9:
                raise ValueError(f"cn: {_nibble_position(i)} is {nib:X}, not a BCD digit")
            else:
                digits.append(str(nib))
        elif nib != _CN_PAD:
            raise ValueError(f"cn: {_nibble_position(i)} is {nib:X} after F padding started at nibble {padding_from}")
    return "".join(digits)


def encode_b(value: bytes, length: int) -> bytes:
    """Binary item: must be exactly `length` bytes (binary items have no padding rule)."""
    _check_length(length)
    raw = bytes(value)
    if len(raw) != length:
        raise ValueError(f"b item must be exactly {length} bytes, got {len(raw)}")
    return raw


def encode_date(yyyymmdd: str | datetime.date) -> bytes:
    """A date item: 4 bytes BCD YYYYMMDD. Raises ValueError unless it is a real calendar date."""
    if isinstance(yyyymmdd, datetime.date):
        text = yyyymmdd.strftime("%Y%m%d")
    else:
        text = yyyymmdd
        if len(text) != 8:
            raise ValueError(f"date must be 8 digits YYYYMMDD, got {text!r}")
        _parse_date(text)
    return encode_cn(text, 4)


def _parse_date(text: str) -> datetime.date:
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise ValueError(f"date must be 8 digits YYYYMMDD, got {text!r}")
    try:
        return datetime.date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as exc:
        raise ValueError(f"{text} is not a real date: {exc}") from exc


def decode_date(raw: bytes) -> datetime.date:
    """Decode a 4-byte BCD date; ValueError if it is not 8 digits or not a real date."""
    raw = bytes(raw)
    if len(raw) != 4:
        raise ValueError(f"date item must be 4 bytes, got {len(raw)}")
    return _parse_date(decode_cn(raw))


def encode_pin(digits: str) -> bytes:
    """PIN as sent in VERIFY: BCD, one F nibble appended if the digit count is odd.

    "123456" -> 12 34 56, "12345" -> 12 34 5F. Length limits are the profile's business.
    """
    nibbles = _digit_nibbles(digits, "PIN")
    if not nibbles:
        raise ValueError("PIN must have at least one digit")
    return _pack_nibbles(nibbles)


def decode_pin(raw: bytes) -> str:
    """Inverse of `encode_pin`. Only the very last nibble may be the F pad; anything else that
    is not a decimal digit raises ValueError (the card answers such a PIN with "bad data")."""
    nibbles = _nibbles(bytes(raw))
    if not nibbles:
        raise ValueError("PIN is empty")
    if nibbles[-1] == _CN_PAD:
        nibbles = nibbles[:-1]
    for i, nib in enumerate(nibbles):
        if nib > 9:
            raise ValueError(f"PIN: {_nibble_position(i)} is {nib:X}, not a BCD digit")
    if not nibbles:
        raise ValueError("PIN has no digits")
    return "".join(str(n) for n in nibbles)


def check_padding(raw: bytes, fmt: str) -> list[str]:
    """Human-readable padding problems of an item of format `fmt` ("an", "cn" or "b").

    An empty list means the padding is right. `b` items have no padding rule. For `an`: any
    non-zero byte after the first 00 (the value is not left-aligned or the pad is dirty). For
    `cn`: a non-BCD nibble before the first F, and any non-F nibble after it.
    """
    raw = bytes(raw)
    problems: list[str] = []
    if fmt == "b":
        return problems
    if fmt == "an":
        pad_start = raw.find(b"\x00")
        if pad_start >= 0:
            for i in range(pad_start + 1, len(raw)):
                if raw[i] != _AN_PAD:
                    problems.append(
                        bilingual(
                            f"an：00 补齐自第 {pad_start} 字节开始，其后第 {i} 字节却为 {raw[i]:02X}",
                            f"an: byte {i} is {raw[i]:02X} after 00 padding started at byte {pad_start}",
                        )
                    )
        return problems
    if fmt == "cn":
        pad_nibble: int | None = None
        for i, nib in enumerate(_nibbles(raw)):
            if pad_nibble is None:
                if nib == _CN_PAD:
                    pad_nibble = i
                elif nib > 9:
                    problems.append(
                        bilingual(
                            f"cn：{_nibble_position_zh(i)}为 {nib:X}，不是 BCD 数字",
                            f"cn: {_nibble_position(i)} is {nib:X}, not a BCD digit",
                        )
                    )
            elif nib != _CN_PAD:
                problems.append(
                    bilingual(
                        f"cn：F 补齐自第 {pad_nibble} 个半字节开始，其后{_nibble_position_zh(i)}却为 {nib:X}",
                        f"cn: {_nibble_position(i)} is {nib:X} after F padding started at nibble {pad_nibble}",
                    )
                )
        return problems
    raise ValueError(f"unknown item format {fmt!r}; expected 'an', 'cn' or 'b'")
