"""Authentication and secure-messaging recipes of the SSC (PROFILE §6.3, §6.4).

Built only from `primitives` and `mac`; nothing below imports this module. Card and terminal
(PSAM) both use these, so the two sides cannot drift apart by re-implementing a scheme.
"""

from __future__ import annotations

from ssc.codecs import decode_pin, encode_pin
from ssc.crypto.algorithm import Algorithm
from ssc.crypto.mac import mac
from ssc.crypto.primitives import (
    des_ecb_encrypt,
    ecb_decrypt,
    ecb_encrypt,
    sm4_ecb_encrypt,
    tdes_ecb_encrypt,
)

__all__ = [
    "auth_cryptogram",
    "command_mac",
    "decipher_pin_block",
    "encipher_pin_block",
    "pin_block",
    "process_key",
]

CHALLENGE_LENGTH = 8
MAC_CHALLENGE_LENGTH = 4
COMMAND_MAC_LENGTH = 4
CRYPTOGRAM_LENGTH = 8
_PAD_MARK = 0x80


def _complement(data: bytes) -> bytes:
    return bytes(b ^ 0xFF for b in data)


def _require(value: bytes, length: int, what: str) -> bytes:
    value = bytes(value)
    if len(value) != length:
        raise ValueError(f"{what} must be {length} bytes, got {len(value)}")
    return value


def process_key(alg: Algorithm, key: bytes, challenge8: bytes) -> bytes:
    """Session ("process") key for one authentication.

    3DES: 3DES-ECB(K, R), 8 bytes (used as a single-DES key). SM4: SM4-ECB(K, R ‖ ~R), 16 bytes.
    """
    challenge8 = _require(challenge8, CHALLENGE_LENGTH, "challenge")
    if alg is Algorithm.TDES:
        return tdes_ecb_encrypt(key, challenge8)
    if alg is Algorithm.SM4:
        return sm4_ecb_encrypt(key, challenge8 + _complement(challenge8))
    raise ValueError(f"unsupported algorithm {alg!r}")


def auth_cryptogram(alg: Algorithm, key: bytes, challenge8: bytes, data8: bytes) -> bytes:
    """8-byte authentication cryptogram over `data8` with the process key from `challenge8`.

    3DES: DES-ECB(PK, D). SM4: first 8 bytes of SM4-ECB(PK, D ‖ 80 00×7). Serves EXTERNAL
    AUTHENTICATE (challenge R from the card) and INTERNAL AUTHENTICATE (factor F instead of R).
    """
    data8 = _require(data8, CRYPTOGRAM_LENGTH, "authentication data")
    pk = process_key(alg, key, challenge8)
    if alg is Algorithm.TDES:
        return des_ecb_encrypt(pk, data8)
    padded = data8 + bytes([_PAD_MARK]) + bytes(alg.block_size - CRYPTOGRAM_LENGTH - 1)
    return sm4_ecb_encrypt(pk, padded)[:CRYPTOGRAM_LENGTH]


def command_mac(alg: Algorithm, key: bytes, challenge4: bytes, message: bytes) -> bytes:
    """4-byte MAC of a secure-messaging command.

    IV = R4 ‖ 00… to the block size; `message` = CLA INS P1 P2 Lc ‖ data (Lc already counting
    the 4 MAC bytes); padding method 2; MAC algorithm 3 (3DES) or SM4 CBC-MAC; first 4 bytes.
    """
    challenge4 = _require(challenge4, MAC_CHALLENGE_LENGTH, "MAC challenge")
    iv = challenge4 + bytes(alg.block_size - MAC_CHALLENGE_LENGTH)
    return mac(alg, key, message, iv)[:COMMAND_MAC_LENGTH]


def pin_block(pin_digits: str, alg: Algorithm) -> bytes:
    """Plain PIN block for RELOAD PIN: 0n ‖ PIN BCD (F-padded) ‖ 80 00… to the block size.

    n is the number of PIN bytes, e.g. "123456" (3DES) → 03 12 34 56 80 00 00 00.
    """
    pin = encode_pin(pin_digits)
    body = bytes([len(pin)]) + pin + bytes([_PAD_MARK])
    if len(body) > alg.block_size:
        raise ValueError(f"PIN of {len(pin_digits)} digits does not fit a {alg.value} PIN block")
    return body + bytes(alg.block_size - len(body))


def encipher_pin_block(alg: Algorithm, key: bytes, pin_digits: str) -> bytes:
    """`pin_block` enciphered with ECB under `key` (the card's PUK)."""
    return ecb_encrypt(alg, key, pin_block(pin_digits, alg))


def decipher_pin_block(alg: Algorithm, key: bytes, block: bytes) -> str:
    """PIN digits from an enciphered PIN block; ValueError if the plain block is malformed."""
    block = _require(block, alg.block_size, f"{alg.value} PIN block")
    plain = ecb_decrypt(alg, key, block)
    n = plain[0]
    if n == 0 or 1 + n + 1 > len(plain):
        raise ValueError(f"PIN block length byte {n:02X} is out of range")
    pin = decode_pin(plain[1 : 1 + n])
    if plain[1 + n] != _PAD_MARK or any(plain[2 + n :]):
        raise ValueError("PIN block padding is not 80 00…")
    return pin
