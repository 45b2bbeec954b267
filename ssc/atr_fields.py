"""The content of the ATR's historical bytes (PROFILE §2): chip maker, COS, card maker, card SN.

`ssc.atr` judges the ATR's structure (STD-ATR-1); this module judges what the historical bytes
carry (STD-ATR-2), field by field as the profile lays them out (`atr.fields`, `atr.card_sn`).
A field is missing when the historical bytes are too short for it; a filler value (all 00 or all
FF) carries no identity. The chip maker must be one the profile has seen (a lab meeting another
maker adds it to `atr.known_chip_makers`).
"""

from __future__ import annotations

from ssc.atr import AtrFormatError, parse_atr
from ssc.bilingual import bilingual
from ssc.profile.model import AtrSpec

__all__ = ["HISTORICAL_ASPECTS", "historical_problems"]

# aspect → the profile's field names it covers (the card SN is `atr.card_sn`, not a field)
HISTORICAL_ASPECTS: dict[str, tuple[str, ...]] = {
    "chip_maker": ("chip_maker",),
    "cos": ("cos_id", "cos_version", "capacity"),
    "card_maker": ("card_maker",),
    "card_sn": (),
}


def _filler(value: bytes) -> bool:
    return value in (bytes(len(value)), b"\xff" * len(value))


def historical_problems(spec: AtrSpec, atr: bytes) -> dict[str, list[str]]:
    """aspect → problems (empty list: the historical bytes carry that item as §2 says)."""
    try:
        historical = parse_atr(atr).historical
    except AtrFormatError as exc:
        return {
            a: [bilingual(f"复位应答 {atr.hex().upper()} 格式错误：{exc}", f"ATR {atr.hex().upper()} is malformed: {exc}")]
            for a in HISTORICAL_ASPECTS
        }
    out: dict[str, list[str]] = {}
    for aspect, names in HISTORICAL_ASPECTS.items():
        spans = [(name, *spec.fields[name]) for name in names] or [("card SN", *spec.card_sn)]
        problems: list[str] = []
        for name, offset, length in spans:
            value = historical[offset : offset + length]
            where = f"historical bytes T{offset + 1}–T{offset + length}"
            where_zh = f"历史字节 T{offset + 1}–T{offset + length}"
            if len(value) != length:
                problems.append(
                    bilingual(
                        f"{name}（{where_zh}）缺失：只有 {len(historical)} 个历史字节（{historical.hex().upper()}）",
                        f"{name} ({where}) missing: only {len(historical)} historical bytes ({historical.hex().upper()})",
                    )
                )
            elif _filler(value):
                problems.append(
                    bilingual(
                        f"{name}（{where_zh}）是填充值 {value.hex().upper()}", f"{name} ({where}) is the filler {value.hex().upper()}"
                    )
                )
        if aspect == "chip_maker" and not problems:
            offset, length = spec.fields["chip_maker"]
            maker = historical[offset : offset + length]
            if maker not in spec.known_chip_makers:
                known = ", ".join(m.hex().upper() for m in spec.known_chip_makers)
                problems.append(
                    bilingual(
                        f"芯片厂商 {maker.hex().upper()} 不在规范配置文件已知的厂商之列（{known}）",
                        f"chip maker {maker.hex().upper()} is not one the profile knows ({known})",
                    )
                )
        out[aspect] = problems
    return out
