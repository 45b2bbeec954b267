"""ATR variants the programmable reader-test card presents for RDR-2 (ISO/IEC 7816-3 §8).

A reader must hand an application the ATR exactly as the card sent it, whatever its protocol and
number of historical bytes. The variants are minimal well-formed ATRs in the direct convention:
T=0 without interface bytes (``3B 0K``, no TCK), and T=1 announced in TD1 (``3B 8K 01``, then the
check byte TCK, which ISO 7816-3 requires as soon as a protocol other than T=0 is offered).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

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
