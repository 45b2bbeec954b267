"""Minimal BER-TLV, as far as the SSC needs it.

Two shapes exist on the card:
- SSC records (PROFILE §3): exactly one TLV per record, 1-byte tag (the record identifier, any
  value) and 1-byte length (0..255, not BER) — see `parse_record`.
- FCI, DIR records and similar templates: BER-TLV with multi-byte tags (e.g. 9F0C), short and
  81/82 long length forms, and constructed tags (bit 6 of the first tag byte) — see `parse_tlv`
  and `find_tag`.

Tags are handled as ints whose big-endian bytes are the tag bytes (0x9F0C <-> 9F 0C).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Tlv", "encode_tlv", "find_tag", "parse_record", "parse_tlv"]

_CONSTRUCTED = 0x20
_MULTI_BYTE_TAG = 0x1F
_MORE_TAG_BYTES = 0x80


@dataclass(frozen=True, slots=True)
class Tlv:
    tag: int
    value: bytes

    @property
    def constructed(self) -> bool:
        """Bit 6 of the first tag byte: the value is itself a sequence of TLVs."""
        return bool(_tag_bytes(self.tag)[0] & _CONSTRUCTED)

    def encode(self) -> bytes:
        return encode_tlv(self.tag, self.value)

    def __repr__(self) -> str:
        return f"Tlv(tag=0x{self.tag:02X}, value=bytes.fromhex({self.value.hex()!r}))"


def _tag_bytes(tag: int) -> bytes:
    if tag < 0:
        raise ValueError(f"tag must be >= 0, got {tag}")
    if tag <= 0xFF:
        # Single byte: taken as given, so record identifiers with low bits 11111 still work.
        return bytes([tag])
    raw = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    if raw[0] & _MULTI_BYTE_TAG != _MULTI_BYTE_TAG:
        raise ValueError(f"tag {raw.hex().upper()}: first byte does not announce more tag bytes")
    for i, byte in enumerate(raw[1:], start=1):
        last = i == len(raw) - 1
        if bool(byte & _MORE_TAG_BYTES) == last:
            raise ValueError(f"tag {raw.hex().upper()}: bit 8 of byte {i} is wrong")
    return raw


def _length_bytes(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    if length <= 0xFF:
        return bytes([0x81, length])
    if length <= 0xFFFF:
        return bytes([0x82]) + length.to_bytes(2, "big")
    raise ValueError(f"value of {length} bytes is too long for this encoder (max 65535)")


def encode_tlv(tag: int, value: bytes) -> bytes:
    """Tag ‖ BER length (short form, 81 xx or 82 xx xx) ‖ value."""
    value = bytes(value)
    return _tag_bytes(tag) + _length_bytes(len(value)) + value


def _read_tag(data: bytes, offset: int) -> tuple[int, int]:
    start = offset
    if offset >= len(data):
        raise ValueError(f"truncated TLV at offset {offset}: tag expected")
    tag = data[offset]
    offset += 1
    if tag & _MULTI_BYTE_TAG == _MULTI_BYTE_TAG:
        while True:
            if offset >= len(data):
                raise ValueError(f"truncated TLV at offset {start}: multi-byte tag not finished")
            byte = data[offset]
            tag = (tag << 8) | byte
            offset += 1
            if not byte & _MORE_TAG_BYTES:
                break
    return tag, offset


def _read_length(data: bytes, offset: int, tlv_start: int) -> tuple[int, int]:
    if offset >= len(data):
        raise ValueError(f"truncated TLV at offset {tlv_start}: length expected at {offset}")
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    count = first & 0x7F
    if first == 0x80 or count > 2:
        raise ValueError(f"unsupported length byte {first:02X} at offset {offset - 1}")
    if offset + count > len(data):
        raise ValueError(f"truncated TLV at offset {tlv_start}: long length needs {count} bytes")
    return int.from_bytes(data[offset : offset + count], "big"), offset + count


def parse_tlv(data: bytes) -> list[Tlv]:
    """Split `data` into its top-level TLVs (no recursion).

    Raises ValueError naming the offset of the TLV that is truncated or malformed.
    """
    data = bytes(data)
    items: list[Tlv] = []
    offset = 0
    while offset < len(data):
        start = offset
        tag, offset = _read_tag(data, offset)
        length, offset = _read_length(data, offset, start)
        end = offset + length
        if end > len(data):
            raise ValueError(f"truncated TLV at offset {start}: tag {tag:02X} announces {length} bytes, {len(data) - offset} present")
        items.append(Tlv(tag, data[offset:end]))
        offset = end
    return items


def parse_record(data: bytes) -> Tlv:
    """Parse one SSC record: 1-byte tag, 1-byte length, value — and nothing else.

    Raises ValueError if the record is shorter than 2 bytes or its length byte does not match
    the bytes that follow.
    """
    data = bytes(data)
    if len(data) < 2:
        raise ValueError(f"record of {len(data)} bytes: tag and length expected")
    tag, length = data[0], data[1]
    if len(data) != 2 + length:
        raise ValueError(f"record tag {tag:02X} announces {length} value bytes, {len(data) - 2} present")
    return Tlv(tag, data[2:])


def find_tag(data: bytes, tag: int) -> bytes | None:
    """Value of the first TLV with `tag`, searched depth-first into constructed TLVs.

    Returns None if absent; raises ValueError if the structure it walks is malformed.
    """
    for item in parse_tlv(data):
        if item.tag == tag:
            return item.value
        if item.constructed:
            found = find_tag(item.value, tag)
            if found is not None:
                return found
    return None
