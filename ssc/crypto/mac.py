"""MACs used by the SSC: ISO/IEC 9797-1 MAC algorithm 3 (3DES cards) and SM4 CBC-MAC (SM4 cards).

Both pad with ISO/IEC 9797-1 padding method 2 (80 00 …, always at least one byte) and return the
full last block; callers truncate (the card uses the first 4 bytes, PROFILE §6.4).
"""

from __future__ import annotations

from ssc.crypto.algorithm import Algorithm
from ssc.crypto.primitives import (
    des_cbc_encrypt,
    des_ecb_decrypt,
    des_ecb_encrypt,
    sm4_cbc_encrypt,
)

__all__ = ["mac", "mac_algorithm_3", "pad_m2", "sm4_cbc_mac"]


def pad_m2(data: bytes, block_size: int) -> bytes:
    """ISO/IEC 9797-1 padding method 2: append 80, then 00 up to a multiple of `block_size`."""
    if block_size <= 0:
        raise ValueError(f"block size must be positive, got {block_size}")
    data = bytes(data) + b"\x80"
    return data + bytes(-len(data) % block_size)


def mac_algorithm_3(key16: bytes, data: bytes, iv: bytes = bytes(8)) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC") with padding method 2; 8 bytes.

    Single-DES CBC under K1 (first half of `key16`) over the padded data starting from `iv`;
    the last block is then DES-decrypted under K2 and DES-encrypted under K1.
    """
    key16 = bytes(key16)
    if len(key16) != 16:
        raise ValueError(f"MAC algorithm 3 needs a 16-byte key, got {len(key16)}")
    k1, k2 = key16[:8], key16[8:]
    chained = des_cbc_encrypt(k1, iv, pad_m2(data, 8))[-8:]
    return des_ecb_encrypt(k1, des_ecb_decrypt(k2, chained))


def sm4_cbc_mac(key16: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    """SM4 CBC-MAC with padding method 2: the last block of SM4-CBC over the padded data; 16 bytes."""
    return sm4_cbc_encrypt(key16, iv, pad_m2(data, 16))[-16:]


def mac(alg: Algorithm, key: bytes, data: bytes, iv: bytes | None = None) -> bytes:
    """The card MAC for `alg`: MAC algorithm 3 for 3DES, SM4 CBC-MAC for SM4 (IV zero if None)."""
    if iv is None:
        iv = bytes(alg.block_size)
    if alg is Algorithm.TDES:
        return mac_algorithm_3(key, data, iv)
    if alg is Algorithm.SM4:
        return sm4_cbc_mac(key, data, iv)
    raise ValueError(f"unsupported algorithm {alg!r}")
