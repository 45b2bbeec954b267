"""Key diversification (PROFILE §6.2): root → province → city → card, one factor per step.

One step with 8-byte factor f and parent key K (16 bytes):
- 3DES: child = 3DES-ECB(K, f) ‖ 3DES-ECB(K, f XOR FF…FF)
- SM4:  child = SM4-ECB(K, f ‖ (f XOR FF…FF))

The factor *templates* are profile data (the province/city suffixes are conventions of the
issuers, not of the algorithm), so the builders here take the template as an argument.
"""

from __future__ import annotations

from collections.abc import Sequence

from ssc.crypto.algorithm import Algorithm
from ssc.crypto.primitives import sm4_ecb_encrypt, tdes_ecb_encrypt

__all__ = ["card_factor", "city_factor", "diversify", "diversify_once", "province_factor"]

FACTOR_LENGTH = 8
_KEY_LENGTH = 16


def _complement(data: bytes) -> bytes:
    return bytes(b ^ 0xFF for b in data)


def diversify_once(alg: Algorithm, key16: bytes, factor8: bytes) -> bytes:
    """One diversification step: the 16-byte child of `key16` for `factor8`."""
    key16, factor8 = bytes(key16), bytes(factor8)
    if len(key16) != _KEY_LENGTH:
        raise ValueError(f"parent key must be {_KEY_LENGTH} bytes, got {len(key16)}")
    if len(factor8) != FACTOR_LENGTH:
        raise ValueError(f"diversification factor must be {FACTOR_LENGTH} bytes, got {len(factor8)}")
    if alg is Algorithm.TDES:
        return tdes_ecb_encrypt(key16, factor8) + tdes_ecb_encrypt(key16, _complement(factor8))
    if alg is Algorithm.SM4:
        return sm4_ecb_encrypt(key16, factor8 + _complement(factor8))
    raise ValueError(f"unsupported algorithm {alg!r}")


def diversify(alg: Algorithm, root: bytes, factors: Sequence[bytes]) -> bytes:
    """Apply `factors` in the order given, starting from `root`.

    For a national card key pass [province, city, card]; for a local key [card].
    """
    key = bytes(root)
    for factor in factors:
        key = diversify_once(alg, key, factor)
    return key


def _check_region(region: str) -> None:
    if len(region) != 6 or not region.isascii() or not region.isdigit():
        raise ValueError(f"region code must be six digits (GB/T 2260), got {region!r}")


def _factor_from_template(template: str, region: str) -> bytes:
    _check_region(region)
    text = template.format(region=region)
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise ValueError(f"factor {text!r} from template {template!r} is not ASCII") from exc
    if len(raw) != FACTOR_LENGTH:
        raise ValueError(f"factor {text!r} from template {template!r} is {len(raw)} bytes, expected {FACTOR_LENGTH}")
    return raw


def province_factor(template: str, region: str) -> bytes:
    """Province factor, e.g. template "{region:.2}0000sh" and region "330300" → b"330000sh"."""
    return _factor_from_template(template, region)


def city_factor(template: str, region: str) -> bytes:
    """City factor, e.g. template "{region}sx" and region "330300" → b"330300sx"."""
    return _factor_from_template(template, region)


def card_factor(card_sn: bytes) -> bytes:
    """Card factor: the 8-byte card serial number, checked for length."""
    card_sn = bytes(card_sn)
    if len(card_sn) != FACTOR_LENGTH:
        raise ValueError(f"card factor (card SN) must be {FACTOR_LENGTH} bytes, got {len(card_sn)}")
    return card_sn
