"""Block-cipher primitives (DES, 3DES, SM4; ECB and CBC) over pyca/cryptography.

Everything else in `ssc.crypto` is built from these functions. They take and return bytes, do no
padding, and refuse keys or data of the wrong length with ValueError.

cryptography deprecates single-key (8-byte) and two-key (16-byte) TripleDES keys with a warning.
The card world uses both, so they are expressed as three-key TripleDES with repeated parts, which
is the same computation and does not warn: DES(K) = 3DES(K‖K‖K), 2-key 3DES(K1‖K2) =
3DES(K1‖K2‖K1). Cipher objects are cached per key because the reference card runs thousands of
operations a second with a handful of keys.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ssc.crypto.algorithm import Algorithm

__all__ = [
    "cbc_encrypt",
    "des_cbc_encrypt",
    "des_ecb_decrypt",
    "des_ecb_encrypt",
    "ecb_decrypt",
    "ecb_encrypt",
    "sm4_cbc_encrypt",
    "sm4_ecb_decrypt",
    "sm4_ecb_encrypt",
    "tdes_ecb_decrypt",
    "tdes_ecb_encrypt",
]

_DES_BLOCK = 8
_SM4_BLOCK = 16
_CACHE_SIZE = 256


def _triple_des_key(key: bytes) -> bytes:
    """The 24-byte three-key form of an 8-, 16- or 24-byte DES/3DES key."""
    if len(key) == 8:
        return key * 3
    if len(key) == 16:
        return key + key[:8]
    if len(key) == 24:
        return key
    raise ValueError(f"DES/3DES key must be 8, 16 or 24 bytes, got {len(key)}")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _tdes_ecb(key: bytes) -> Cipher:
    return Cipher(TripleDES(_triple_des_key(key)), modes.ECB())


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _sm4_ecb(key: bytes) -> Cipher:
    if len(key) != 16:
        raise ValueError(f"SM4 key must be 16 bytes, got {len(key)}")
    return Cipher(algorithms.SM4(key), modes.ECB())


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _tdes_algorithm(key: bytes) -> TripleDES:
    return TripleDES(_triple_des_key(key))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _sm4_algorithm(key: bytes) -> algorithms.SM4:
    if len(key) != 16:
        raise ValueError(f"SM4 key must be 16 bytes, got {len(key)}")
    return algorithms.SM4(key)


def _check_blocks(data: bytes, block: int) -> bytes:
    data = bytes(data)
    if len(data) % block:
        raise ValueError(f"data must be a multiple of {block} bytes, got {len(data)}")
    return data


def _check_key(key: bytes, *lengths: int) -> bytes:
    key = bytes(key)
    if len(key) not in lengths:
        expected = " or ".join(str(n) for n in lengths)
        raise ValueError(f"key must be {expected} bytes, got {len(key)}")
    return key


def _run_encrypt(cipher: Cipher, data: bytes) -> bytes:
    ctx = cipher.encryptor()
    return ctx.update(data) + ctx.finalize()


def _run_decrypt(cipher: Cipher, data: bytes) -> bytes:
    ctx = cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def des_ecb_encrypt(key8: bytes, data: bytes) -> bytes:
    """Single DES, ECB."""
    key8 = _check_key(key8, 8)
    return _run_encrypt(_tdes_ecb(key8), _check_blocks(data, _DES_BLOCK))


def des_ecb_decrypt(key8: bytes, data: bytes) -> bytes:
    """Single DES, ECB."""
    key8 = _check_key(key8, 8)
    return _run_decrypt(_tdes_ecb(key8), _check_blocks(data, _DES_BLOCK))


def tdes_ecb_encrypt(key: bytes, data: bytes) -> bytes:
    """Triple DES (EDE), ECB; 16-byte keys are two-key 3DES (K1‖K2‖K1), 24-byte keys three-key."""
    key = _check_key(key, 16, 24)
    return _run_encrypt(_tdes_ecb(key), _check_blocks(data, _DES_BLOCK))


def tdes_ecb_decrypt(key: bytes, data: bytes) -> bytes:
    """Inverse of `tdes_ecb_encrypt`."""
    key = _check_key(key, 16, 24)
    return _run_decrypt(_tdes_ecb(key), _check_blocks(data, _DES_BLOCK))


def sm4_ecb_encrypt(key16: bytes, data: bytes) -> bytes:
    """SM4 (GB/T 32907), ECB."""
    key16 = _check_key(key16, 16)
    return _run_encrypt(_sm4_ecb(key16), _check_blocks(data, _SM4_BLOCK))


def sm4_ecb_decrypt(key16: bytes, data: bytes) -> bytes:
    """SM4 (GB/T 32907), ECB."""
    key16 = _check_key(key16, 16)
    return _run_decrypt(_sm4_ecb(key16), _check_blocks(data, _SM4_BLOCK))


def _check_iv(iv: bytes, block: int) -> bytes:
    iv = bytes(iv)
    if len(iv) != block:
        raise ValueError(f"IV must be {block} bytes, got {len(iv)}")
    return iv


def des_cbc_encrypt(key8: bytes, iv: bytes, data: bytes) -> bytes:
    """Single DES, CBC (no padding)."""
    key8 = _check_key(key8, 8)
    cipher = Cipher(_tdes_algorithm(key8), modes.CBC(_check_iv(iv, _DES_BLOCK)))
    return _run_encrypt(cipher, _check_blocks(data, _DES_BLOCK))


def sm4_cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """SM4, CBC (no padding)."""
    key = _check_key(key, 16)
    cipher = Cipher(_sm4_algorithm(key), modes.CBC(_check_iv(iv, _SM4_BLOCK)))
    return _run_encrypt(cipher, _check_blocks(data, _SM4_BLOCK))


def cbc_encrypt(alg: Algorithm, key: bytes, iv: bytes, data: bytes) -> bytes:
    """CBC with the card algorithm `alg` (3DES with a 16/24-byte key, or SM4)."""
    if alg is Algorithm.TDES:
        key = _check_key(key, 16, 24)
        cipher = Cipher(_tdes_algorithm(key), modes.CBC(_check_iv(iv, _DES_BLOCK)))
        return _run_encrypt(cipher, _check_blocks(data, _DES_BLOCK))
    if alg is Algorithm.SM4:
        return sm4_cbc_encrypt(key, iv, data)
    raise ValueError(f"unsupported algorithm {alg!r}")


def ecb_encrypt(alg: Algorithm, key: bytes, data: bytes) -> bytes:
    """ECB with the card algorithm `alg`: 3DES (16/24-byte key) or SM4."""
    if alg is Algorithm.TDES:
        return tdes_ecb_encrypt(key, data)
    if alg is Algorithm.SM4:
        return sm4_ecb_encrypt(key, data)
    raise ValueError(f"unsupported algorithm {alg!r}")


def ecb_decrypt(alg: Algorithm, key: bytes, data: bytes) -> bytes:
    """Inverse of `ecb_encrypt`."""
    if alg is Algorithm.TDES:
        return tdes_ecb_decrypt(key, data)
    if alg is Algorithm.SM4:
        return sm4_ecb_decrypt(key, data)
    raise ValueError(f"unsupported algorithm {alg!r}")
