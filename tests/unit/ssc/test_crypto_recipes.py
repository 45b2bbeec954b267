"""Properties of the crypto primitives and recipes beyond the fixed vectors: round trips,
sensitivity of MACs and cryptograms to every input byte, and refusal of malformed input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssc.crypto.algorithm import Algorithm
from ssc.crypto.diversify import (
    card_factor,
    city_factor,
    diversify,
    diversify_once,
    province_factor,
)
from ssc.crypto.mac import mac, mac_algorithm_3, pad_m2, sm4_cbc_mac
from ssc.crypto.primitives import (
    des_cbc_encrypt,
    des_ecb_decrypt,
    des_ecb_encrypt,
    ecb_decrypt,
    ecb_encrypt,
    sm4_cbc_encrypt,
    sm4_ecb_encrypt,
    tdes_ecb_encrypt,
)
from ssc.crypto.recipes import (
    auth_cryptogram,
    command_mac,
    decipher_pin_block,
    encipher_pin_block,
    pin_block,
    process_key,
)

ALGS = [Algorithm.TDES, Algorithm.SM4]
key16 = st.binary(min_size=16, max_size=16)
block8 = st.binary(min_size=8, max_size=8)
pins = st.text(alphabet="0123456789", min_size=1, max_size=12)


def flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    out = bytearray(data)
    out[index] ^= mask
    return bytes(out)


# --- imports and usage emit no warnings (2-key 3DES is deprecated in cryptography) ----------


def test_no_warnings_in_a_fresh_interpreter():
    code = (
        "import ssc.crypto.recipes, ssc.crypto.diversify, ssc.codecs, ssc.checks, ssc.tlv\n"
        "from ssc.crypto.primitives import *\n"
        "from ssc.crypto.mac import mac_algorithm_3\n"
        "k = bytes(range(16))\n"
        "des_ecb_encrypt(k[:8], bytes(8)); tdes_ecb_encrypt(k, bytes(8))\n"
        "tdes_ecb_encrypt(k + k[:8], bytes(8)); mac_algorithm_3(k, b'x')\n"
    )
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# --- primitives ------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
@given(key=key16, blocks=st.integers(min_value=1, max_value=4), data=st.data())
def test_ecb_round_trip(alg, key, blocks, data):
    plain = data.draw(st.binary(min_size=blocks * alg.block_size, max_size=blocks * alg.block_size))
    assert ecb_decrypt(alg, key, ecb_encrypt(alg, key, plain)) == plain


@given(k1=block8, k2=block8, plain=block8)
def test_two_key_tdes_is_ede_of_single_des(k1, k2, plain):
    expected = des_ecb_encrypt(k1, des_ecb_decrypt(k2, des_ecb_encrypt(k1, plain)))
    assert tdes_ecb_encrypt(k1 + k2, plain) == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda: des_ecb_encrypt(bytes(16), bytes(8)),
        lambda: des_ecb_encrypt(bytes(8), bytes(7)),
        lambda: tdes_ecb_encrypt(bytes(8), bytes(8)),
        lambda: tdes_ecb_encrypt(bytes(16), bytes(9)),
        lambda: sm4_ecb_encrypt(bytes(8), bytes(16)),
        lambda: sm4_ecb_encrypt(bytes(16), bytes(8)),
        lambda: des_cbc_encrypt(bytes(8), bytes(16), bytes(8)),
        lambda: sm4_cbc_encrypt(bytes(16), bytes(8), bytes(16)),
        lambda: mac_algorithm_3(bytes(8), b""),
        lambda: pad_m2(b"", 0),
    ],
)
def test_primitives_refuse_wrong_lengths(call):
    with pytest.raises(ValueError):
        call()


# --- MAC -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, block, expected",
    [
        (b"", 8, "8000000000000000"),
        (bytes(7), 8, "0000000000000080"),
        (bytes(8), 8, "00000000000000008000000000000000"),
        (b"\x01", 16, "0180" + "00" * 14),
    ],
)
def test_pad_m2(data, block, expected):
    assert pad_m2(data, block) == bytes.fromhex(expected)


@pytest.mark.parametrize("alg", ALGS)
@given(key=key16, message=st.binary(min_size=1, max_size=40), data=st.data())
def test_mac_changes_when_any_message_byte_changes(alg, key, message, data):
    index = data.draw(st.integers(min_value=0, max_value=len(message) - 1))
    mask = data.draw(st.integers(min_value=1, max_value=255))
    assert mac(alg, key, message) != mac(alg, key, flip(message, index, mask))


@pytest.mark.parametrize("alg", ALGS)
@given(key=key16, message=st.binary(max_size=40))
def test_mac_distinguishes_trailing_zero_bytes(alg, key, message):
    # padding method 2 is injective: m and m || 00 must not collide by construction
    assert mac(alg, key, message) != mac(alg, key, message + b"\x00")


@pytest.mark.parametrize("alg", ALGS)
@given(key=key16, message=st.binary(max_size=24), index=st.integers(min_value=0, max_value=15))
def test_mac_depends_on_every_key_byte(alg, key, message, index):
    # DES ignores the parity bit (the low bit) of every key byte, so flip the next one up
    mask = 0x02 if alg is Algorithm.TDES else 0x01
    assert mac(alg, key, message) != mac(alg, flip(key, index, mask), message)


@pytest.mark.parametrize("alg", ALGS)
@given(key=key16, message=st.binary(max_size=24), data=st.data())
def test_mac_depends_on_iv(alg, key, message, data):
    iv = data.draw(st.binary(min_size=alg.block_size, max_size=alg.block_size))
    index = data.draw(st.integers(min_value=0, max_value=alg.block_size - 1))
    assert mac(alg, key, message, iv) != mac(alg, key, message, flip(iv, index))


def test_mac_algorithm_3_with_equal_halves_is_des_cbc_mac():
    # K1 = K2: the final decrypt/encrypt cancels, leaving plain DES CBC-MAC
    key = bytes.fromhex("0123456789ABCDEF")
    message = b"Now is the time for all "
    expected = des_cbc_encrypt(key, bytes(8), pad_m2(message, 8))[-8:]
    assert mac_algorithm_3(key * 2, message) == expected


def test_sm4_cbc_mac_is_last_cbc_block():
    key = bytes(range(16))
    message = bytes(range(33))
    assert sm4_cbc_mac(key, message) == sm4_cbc_encrypt(key, bytes(16), pad_m2(message, 16))[-16:]


# --- command MAC -----------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
@given(key=key16, r4=st.binary(min_size=4, max_size=4), message=st.binary(min_size=5, max_size=40))
def test_command_mac_is_4_bytes_and_bound_to_challenge(alg, key, r4, message):
    tag = command_mac(alg, key, r4, message)
    assert len(tag) == 4
    assert tag == mac(alg, key, message, r4 + bytes(alg.block_size - 4))[:4]


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("r", [bytes(3), bytes(8)])
def test_command_mac_needs_4_byte_challenge(alg, r):
    with pytest.raises(ValueError):
        command_mac(alg, bytes(16), r, b"\x04\xdc\x01\x04\x05")


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
@given(key=key16, r=block8, d=block8, index=st.integers(min_value=0, max_value=7))
def test_cryptogram_depends_on_challenge_and_data(alg, key, r, d, index):
    c = auth_cryptogram(alg, key, r, d)
    assert len(c) == 8
    assert c != auth_cryptogram(alg, key, flip(r, index), d)
    assert c != auth_cryptogram(alg, key, r, flip(d, index))


def test_process_key_lengths():
    assert len(process_key(Algorithm.TDES, bytes(16), bytes(8))) == 8
    assert len(process_key(Algorithm.SM4, bytes(16), bytes(8))) == 16


def test_tdes_cryptogram_is_des_under_process_key():
    key, r, d = bytes(range(16)), bytes.fromhex("0102030405060708"), bytes(8)
    assert auth_cryptogram(Algorithm.TDES, key, r, d) == des_ecb_encrypt(tdes_ecb_encrypt(key, r), d)


def test_sm4_cryptogram_pads_with_80():
    key, r, d = bytes(range(16)), bytes.fromhex("0102030405060708"), bytes(8)
    pk = sm4_ecb_encrypt(key, r + bytes(b ^ 0xFF for b in r))
    expected = sm4_ecb_encrypt(pk, d + b"\x80" + bytes(7))[:8]
    assert auth_cryptogram(Algorithm.SM4, key, r, d) == expected


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("r, d", [(bytes(4), bytes(8)), (bytes(8), bytes(7))])
def test_cryptogram_refuses_wrong_lengths(alg, r, d):
    with pytest.raises(ValueError):
        auth_cryptogram(alg, bytes(16), r, d)


# --- PIN block -------------------------------------------------------------------------------


def test_pin_block_profile_example():
    assert pin_block("123456", Algorithm.TDES) == bytes.fromhex("0312345680000000")
    assert pin_block("12345", Algorithm.SM4) == bytes.fromhex("0312345F80" + "00" * 11)


@pytest.mark.parametrize("alg", ALGS)
@given(key=key16, pin=pins)
def test_pin_block_round_trip(alg, key, pin):
    block = encipher_pin_block(alg, key, pin)
    assert len(block) == alg.block_size
    assert decipher_pin_block(alg, key, block) == pin


def test_pin_too_long_for_3des_block():
    with pytest.raises(ValueError):
        pin_block("1234567890123", Algorithm.TDES)


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize(
    "plain_hex",
    [
        "0080",  # n = 0
        "09123456",  # n beyond the block
        "0312A45680",  # non-BCD digit
        "0312345681",  # bad pad mark
        "031234568001",  # dirty padding
        "031F345680",  # F inside the PIN
    ],
)
def test_decipher_pin_block_refuses_malformed(alg, plain_hex):
    key = bytes(range(16))
    plain = bytes.fromhex(plain_hex)
    plain = plain + bytes(alg.block_size - len(plain))
    with pytest.raises(ValueError):
        decipher_pin_block(alg, key, ecb_encrypt(alg, key, plain))


def test_decipher_pin_block_refuses_wrong_size():
    with pytest.raises(ValueError):
        decipher_pin_block(Algorithm.SM4, bytes(16), bytes(8))


# --- diversification -------------------------------------------------------------------------


def test_factor_builders_profile_examples():
    assert province_factor("{region:.2}0000sh", "330300") == b"330000sh"
    assert city_factor("{region}sx", "330300") == b"330300sx"
    assert card_factor(bytes(8)) == bytes(8)


@pytest.mark.parametrize(
    "template, region",
    [
        ("{region}0000sh", "330300"),  # 12 bytes
        ("{region:.2}sh", "330300"),  # 4 bytes
        ("{region}sx", "33030"),  # region not six digits
        ("{region}sx", "33O300"),
        ("{region}省x", "330300"),  # not ASCII
    ],
)
def test_factor_builders_refuse_bad_results(template, region):
    with pytest.raises(ValueError):
        city_factor(template, region)


def test_card_factor_length():
    with pytest.raises(ValueError):
        card_factor(bytes(7))


@pytest.mark.parametrize("alg", ALGS)
@given(root=key16, f1=block8, f2=block8)
def test_diversify_applies_factors_in_order(alg, root, f1, f2):
    expected = diversify_once(alg, diversify_once(alg, root, f1), f2)
    assert diversify(alg, root, [f1, f2]) == expected
    assert diversify(alg, root, []) == root


def test_diversify_order_matters():
    root, f1, f2 = bytes(range(16)), b"330000sh", b"330300sx"
    for alg in ALGS:
        assert diversify(alg, root, [f1, f2]) != diversify(alg, root, [f2, f1])


def test_tdes_diversify_step_structure():
    key, f = bytes(range(16)), b"330300sx"
    child = diversify_once(Algorithm.TDES, key, f)
    assert child[:8] == tdes_ecb_encrypt(key, f)
    assert child[8:] == tdes_ecb_encrypt(key, bytes(b ^ 0xFF for b in f))


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("key, factor", [(bytes(8), bytes(8)), (bytes(16), bytes(16))])
def test_diversify_refuses_wrong_lengths(alg, key, factor):
    with pytest.raises(ValueError):
        diversify_once(alg, key, factor)


@settings(max_examples=20)
@given(key=key16, r=block8)
def test_sm4_process_key_uses_complement(key, r):
    assert process_key(Algorithm.SM4, key, r) == sm4_ecb_encrypt(key, r + bytes(b ^ 0xFF for b in r))
