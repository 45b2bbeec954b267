"""ATR variants the programmable reader-test card presents for RDR-2 (ISO/IEC 7816-3 §8).

A reader must hand an application the ATR exactly as the card sent it, whatever its protocol and
number of historical bytes. The variants are minimal well-formed ATRs in the direct convention:
T=0 without interface bytes (``3B 0K``, no TCK), and T=1 announced in TD1 (``3B 8K 01``, then the
check byte TCK, which ISO 7816-3 requires as soon as a protocol other than T=0 is offered).

The card sends a variant at its next power-up: the kit asks the reader for a cold reset (every
variant) and, for a few variants, has the card leave and come back (the insertion path, slower by
pcscd's presence poll).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from checks.wording import bilingual

TS_DIRECT = 0x3B
TD1_PRESENT = 0x80
TD_T1 = 0x01


@dataclass(frozen=True)
class AtrVariant:
    protocol: int  # 0 or 1
    historical: bytes

    @property
    def atr(self) -> bytes:
        k = len(self.historical)
        if self.protocol == 0:
            return bytes((TS_DIRECT, k)) + self.historical
        body = bytes((TD1_PRESENT | k, TD_T1)) + self.historical
        return bytes((TS_DIRECT,)) + body + bytes((reduce(lambda a, b: a ^ b, body, 0),))

    @property
    def label(self) -> str:
        return f"T={self.protocol}, {len(self.historical)} historical bytes"


def historical_bytes(n: int) -> bytes:
    """`n` historical bytes: category indicator 80 (COMPACT-TLV follows, ISO 7816-4 §8.1.1) and
    then distinct filler bytes, so a reader that drops or reorders one is caught."""
    if n == 0:
        return b""
    return bytes((0x80,)) + bytes(0xA0 + i for i in range(1, n))


def variants(counts: list[int]) -> list[AtrVariant]:
    """Every count of historical bytes with T=0 and with T=1."""
    return [AtrVariant(protocol, historical_bytes(n)) for n in counts for protocol in (0, 1)]


@dataclass(frozen=True)
class Delivery:
    """One ATR variant as the reader delivered it, and how the card got to send it."""

    variant: AtrVariant
    how: str  # "cold reset" or "re-insertion"
    delivered: bytes

    @property
    def ok(self) -> bool:
        return self.delivered == self.variant.atr

    def to_dict(self) -> dict[str, object]:
        return {
            "variant": self.variant.label,
            "how": self.how,
            "sent": self.variant.atr.hex().upper(),
            "delivered": self.delivered.hex().upper(),
            "ok": self.ok,
        }

    def describe(self) -> str:
        sent, delivered = self.variant.atr.hex(" ").upper(), self.delivered.hex(" ").upper()
        label_zh = f"T={self.variant.protocol}，{len(self.variant.historical)} 个历史字节"
        return bilingual(
            f"{label_zh}（{_HOW_ZH.get(self.how, self.how)}）：卡片发出 {sent}，读写器交付 {delivered}",
            f"{self.variant.label} ({self.how}): sent {sent}, delivered {delivered}",
        )


_HOW_ZH = {"cold reset": "冷复位", "re-insertion": "重新插卡"}


def deliver_all(
    variants: list[AtrVariant],
    reinserted: set[int],
    program: Callable[[bytes | None], None],
    cold_reset: Callable[[], bytes],
    reinsert: Callable[[], bytes],
) -> list[Delivery]:
    """Every variant through a cold reset of the reader (fast: no presence poll), and the variants
    whose number of historical bytes is in `reinserted` once more through a removal and
    re-insertion (the reader's insertion path). `program(atr)` sets the ATR the card sends at its
    next power-up (None: its own); the card's own ATR is restored by a last cold reset, whatever
    happened."""
    out: list[Delivery] = []
    try:
        for variant in variants:
            program(variant.atr)
            out.append(Delivery(variant, "cold reset", cold_reset()))
            if len(variant.historical) in reinserted:
                out.append(Delivery(variant, "re-insertion", reinsert()))
    finally:
        program(None)
        cold_reset()
    return out
