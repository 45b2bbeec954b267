"""The two block-cipher families a card may announce in its FCI (3DES for gen1/gen2, SM4 for gen3)."""

from __future__ import annotations

import enum


class Algorithm(enum.Enum):
    TDES = "3DES"
    SM4 = "SM4"

    @property
    def block_size(self) -> int:
        return 8 if self is Algorithm.TDES else 16

    @classmethod
    def from_name(cls, name: str) -> Algorithm:
        for alg in cls:
            if alg.value == name:
                return alg
        raise ValueError(f"unknown algorithm {name!r}; expected one of {[a.value for a in cls]}")
