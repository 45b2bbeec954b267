"""Answer-to-reset parsing (ISO/IEC 7816-3 §8.2) and comparison with the profile's declaration.

The profile declares the ATR as a prefix (TS, T0 and interface bytes) plus a historical-byte count;
`atr_findings` compares a card's ATR with that declaration aspect by aspect, so a lab sees exactly
which byte is off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ssc.bilingual import bilingual
from ssc.profile.model import AtrSpec


class AtrFormatError(ValueError):
    pass


@dataclass(frozen=True)
class Atr:
    raw: bytes
    ts: int
    t0: int
    interface: dict[str, int] = field(default_factory=dict)  # "TA1" -> value, ...
    protocols: tuple[int, ...] = (0,)  # from TD bytes; T=0 when no TD1
    historical: bytes = b""
    tck: int | None = None

    @property
    def historical_count(self) -> int:
        return self.t0 & 0x0F


def parse_atr(raw: bytes) -> Atr:
    if len(raw) < 2:
        raise AtrFormatError(f"an ATR has at least TS and T0; got {len(raw)} byte(s)")
    ts, t0 = raw[0], raw[1]
    interface: dict[str, int] = {}
    protocols: list[int] = []
    pos, y, i = 2, t0 >> 4, 1
    while True:
        for bit, letter in ((0x1, "A"), (0x2, "B"), (0x4, "C"), (0x8, "D")):
            if y & bit:
                if pos >= len(raw):
                    raise AtrFormatError(f"T{letter}{i} announced but the ATR ends at byte {pos}")
                interface[f"T{letter}{i}"] = raw[pos]
                pos += 1
        td = interface.get(f"TD{i}")
        if td is None:
            break
        protocols.append(td & 0x0F)
        y, i = td >> 4, i + 1
    k = t0 & 0x0F
    if pos + k > len(raw):
        raise AtrFormatError(f"T0 announces {k} historical bytes but only {len(raw) - pos} follow the interface bytes")
    historical = raw[pos : pos + k]
    pos += k
    needs_tck = any(p != 0 for p in protocols)
    tck = None
    if needs_tck:
        if pos >= len(raw):
            raise AtrFormatError("a protocol other than T=0 is indicated, so TCK is required, but it is missing")
        tck = raw[pos]
        pos += 1
    if pos != len(raw):
        raise AtrFormatError(f"{len(raw) - pos} unexpected byte(s) after the ATR: {raw[pos:].hex().upper()}")
    return Atr(bytes(raw), ts, t0, interface, tuple(protocols) or (0,), bytes(historical), tck)


ASPECTS = ("ts", "historical_count", "protocols", "interface_bytes")


def atr_findings(spec: AtrSpec, raw: bytes) -> dict[str, str | None]:
    """aspect → None when it conforms, else a message with expected vs actual."""
    try:
        atr = parse_atr(raw)
    except AtrFormatError as exc:
        return {
            a: bilingual(f"复位应答 {raw.hex().upper()} 格式错误：{exc}", f"ATR {raw.hex().upper()} is malformed: {exc}") for a in ASPECTS
        }
    expected = parse_atr(spec.prefix + bytes(spec.historical_length))
    out: dict[str, str | None] = {}
    out["ts"] = (
        None
        if atr.ts == expected.ts
        else bilingual(f"TS 应为 {expected.ts:02X}，实际 {atr.ts:02X}", f"TS expected {expected.ts:02X}, got {atr.ts:02X}")
    )
    out["historical_count"] = (
        None
        if atr.historical_count == spec.historical_length
        else bilingual(
            f"T0 {atr.t0:02X} 表示 {atr.historical_count} 个历史字节，应为 {spec.historical_length} 个",
            f"T0 {atr.t0:02X} announces {atr.historical_count} historical bytes, expected {spec.historical_length}",
        )
    )
    want, got = "/".join(map(str, expected.protocols)), "/".join(map(str, atr.protocols))
    out["protocols"] = (
        None
        if atr.protocols == expected.protocols
        else bilingual(f"协议应为 T={want}，复位应答表示 T={got}", f"protocols expected T={want}, the ATR announces T={got}")
    )
    names = [n for n in sorted(set(expected.interface) | set(atr.interface)) if expected.interface.get(n) != atr.interface.get(n)]
    diffs_zh = [f"{n} 应为 {_fmt(expected.interface.get(n), '无')}，实际 {_fmt(atr.interface.get(n), '无')}" for n in names]
    diffs = [f"{n} expected {_fmt(expected.interface.get(n))}, got {_fmt(atr.interface.get(n))}" for n in names]
    out["interface_bytes"] = bilingual("；".join(diffs_zh), "; ".join(diffs)) if diffs else None
    return out


def _fmt(value: int | None, absent: str = "absent") -> str:
    return absent if value is None else f"{value:02X}"


HISTORICAL_FIELDS = ("chip_maker", "cos_id", "cos_version", "capacity", "card_maker", "serial", "card_sn")


def decode_historical(spec: AtrSpec, raw: bytes) -> dict[str, str | None]:
    """The identity the historical bytes carry, laid out as the profile says (`atr.fields`,
    `atr.card_sn`), as uppercase hex for reports; None for a field the bytes are too short for.

    A malformed ATR still yields what its bytes after the declared prefix hold (an identity is
    informative, the verdicts are judged elsewhere), plus an "error" entry saying why it is malformed.
    """
    out: dict[str, str | None] = {}
    try:
        historical = parse_atr(raw).historical
    except AtrFormatError as exc:
        historical = spec.historical(raw)
        out["error"] = str(exc)
    spans = {name: spec.fields[name] for name in HISTORICAL_FIELDS if name in spec.fields}
    spans.update({name: span for name, span in spec.fields.items() if name not in spans})
    spans["card_sn"] = spec.card_sn
    for name, (offset, length) in spans.items():
        value = historical[offset : offset + length]
        out[name] = value.hex().upper() if len(value) == length else None
    return out
