"""Known-answer tests: every entry of every vector file of `ssc.vectors` (see SOURCES.md)."""

from __future__ import annotations

import pytest

from ssc.crypto import testroots
from ssc.crypto.algorithm import Algorithm
from ssc.crypto.diversify import diversify, diversify_once
from ssc.crypto.mac import mac, mac_algorithm_3, sm4_cbc_mac
from ssc.crypto.primitives import (
    cbc_encrypt,
    des_cbc_encrypt,
    des_ecb_decrypt,
    des_ecb_encrypt,
    ecb_decrypt,
    ecb_encrypt,
    sm4_ecb_decrypt,
    sm4_ecb_encrypt,
    tdes_ecb_decrypt,
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
from ssc.crypto.testroots import local_test_root, national_test_root
from tests.unit.ssc.vector_loaders import load_nist_vectors, load_vectors_from_file


def cases(file_name: str, *sections: str, marks_for=None) -> list:
    """pytest params for the entries of `file_name` (restricted to `sections` if given)."""
    params = []
    for vector in load_vectors_from_file(file_name, load_nist_vectors):
        if sections and vector["section"] not in sections:
            continue
        marks = marks_for(vector) if marks_for else ()
        params.append(
            pytest.param(
                vector,
                id=f"{file_name}:{vector['section']}:{vector.get('COUNT', '?')}",
                marks=marks,
            )
        )
    assert params, f"no vectors in {file_name} {sections}"
    return params


def hx(vector: dict[str, str], field: str) -> bytes:
    return bytes.fromhex(vector[field])


def alg_of(vector: dict[str, str]) -> Algorithm:
    return Algorithm.from_name(vector.get("ALG") or vector["section"].removesuffix("-CHAIN"))


# --- block ciphers ------------------------------------------------------------------------


def _slow_if_iterated(vector):
    return (pytest.mark.slow,) if int(vector.get("ITERATIONS", "1")) > 1000 else ()


@pytest.mark.parametrize("vector", cases("sm4-gbt32907.rsp", marks_for=_slow_if_iterated))
def test_sm4_gbt32907(vector):
    key, block = hx(vector, "KEY"), hx(vector, "PLAINTEXT")
    for _ in range(int(vector["ITERATIONS"])):
        block = sm4_ecb_encrypt(key, block)
    assert block == hx(vector, "CIPHERTEXT")
    if vector["ITERATIONS"] == "1":
        assert sm4_ecb_decrypt(key, block) == hx(vector, "PLAINTEXT")
        assert ecb_encrypt(Algorithm.SM4, key, hx(vector, "PLAINTEXT")) == block


@pytest.mark.parametrize("vector", cases("des-fips81.rsp", "ECB") + cases("des-sp800-17.rsp"))
def test_des_ecb(vector):
    key, plain, cipher = hx(vector, "KEY"), hx(vector, "PLAINTEXT"), hx(vector, "CIPHERTEXT")
    assert des_ecb_encrypt(key, plain) == cipher
    assert des_ecb_decrypt(key, cipher) == plain
    # single DES is 3DES with K1 = K2 (= K3)
    assert tdes_ecb_encrypt(key * 2, plain) == cipher


@pytest.mark.parametrize("vector", cases("des-fips81.rsp", "CBC"))
def test_des_cbc(vector):
    key = hx(vector, "KEY")
    out = des_cbc_encrypt(key, hx(vector, "IV"), hx(vector, "PLAINTEXT"))
    assert out == hx(vector, "CIPHERTEXT")
    assert cbc_encrypt(Algorithm.TDES, key * 3, hx(vector, "IV"), hx(vector, "PLAINTEXT")) == out


@pytest.mark.parametrize("vector", cases("tdes-sp800-67.rsp") + cases("tdes-2key-custom.rsp"))
def test_tdes_ecb(vector):
    key, plain, cipher = hx(vector, "KEY"), hx(vector, "PLAINTEXT"), hx(vector, "CIPHERTEXT")
    assert tdes_ecb_encrypt(key, plain) == cipher
    assert tdes_ecb_decrypt(key, cipher) == plain
    assert ecb_encrypt(Algorithm.TDES, key, plain) == cipher
    assert ecb_decrypt(Algorithm.TDES, key, cipher) == plain


# --- MACs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", cases("mac-alg3-custom.rsp"))
def test_mac_algorithm_3(vector):
    key, iv, msg = hx(vector, "KEY"), hx(vector, "IV"), hx(vector, "MESSAGE")
    assert mac_algorithm_3(key, msg, iv) == hx(vector, "MAC")
    assert mac(Algorithm.TDES, key, msg, iv) == hx(vector, "MAC")


@pytest.mark.parametrize("vector", cases("sm4-cbcmac-custom.rsp"))
def test_sm4_cbc_mac(vector):
    key, iv, msg = hx(vector, "KEY"), hx(vector, "IV"), hx(vector, "MESSAGE")
    assert sm4_cbc_mac(key, msg, iv) == hx(vector, "MAC")
    assert mac(Algorithm.SM4, key, msg, iv) == hx(vector, "MAC")


# --- test roots and diversification ---------------------------------------------------------


@pytest.mark.parametrize("vector", cases("testroots-custom.rsp", "NATIONAL"))
def test_national_test_root(vector):
    version = int(vector["VERSION"], 16)
    assert vector["TEMPLATE"].format(name=vector["NAME"], version=version, alg=vector["ALG"]) == (vector["INPUT"])
    root = national_test_root(vector["TEMPLATE"], vector["NAME"], version, alg_of(vector))
    assert root == hx(vector, "ROOT")


@pytest.mark.parametrize("vector", cases("testroots-custom.rsp", "LOCAL"))
def test_local_test_root(vector):
    version = int(vector["VERSION"], 16)
    root = local_test_root(vector["TEMPLATE"], vector["REGION"], vector["NAME"], version, alg_of(vector))
    assert root == hx(vector, "ROOT")
    assert testroots.test_root(
        vector["TEMPLATE"],
        region=vector["REGION"],
        name=vector["NAME"],
        version=version,
        alg=vector["ALG"],
    ) == hx(vector, "ROOT")


@pytest.mark.parametrize("vector", cases("diversify-custom.rsp", "3DES", "SM4"))
def test_diversify_once(vector):
    child = diversify_once(alg_of(vector), hx(vector, "KEY"), hx(vector, "FACTOR"))
    assert child == hx(vector, "CHILD")


@pytest.mark.parametrize("vector", cases("diversify-custom.rsp", "3DES-CHAIN", "SM4-CHAIN"))
def test_diversify_chain(vector):
    factors = [bytes.fromhex(f) for f in vector["FACTORS"].split()]
    assert diversify(alg_of(vector), hx(vector, "ROOT"), factors) == hx(vector, "CARDKEY")


# --- recipes ------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", cases("auth-custom.rsp"))
def test_process_key_and_cryptogram(vector):
    alg, key = alg_of(vector), hx(vector, "KEY")
    challenge, data = hx(vector, "CHALLENGE"), hx(vector, "DATA")
    assert process_key(alg, key, challenge) == hx(vector, "PROCESSKEY")
    assert auth_cryptogram(alg, key, challenge, data) == hx(vector, "CRYPTOGRAM")


@pytest.mark.parametrize("vector", cases("command-mac-custom.rsp"))
def test_command_mac(vector):
    alg = alg_of(vector)
    got = command_mac(alg, hx(vector, "KEY"), hx(vector, "CHALLENGE"), hx(vector, "MESSAGE"))
    assert got == hx(vector, "MAC")


@pytest.mark.parametrize("vector", cases("pin-block-custom.rsp"))
def test_pin_block(vector):
    alg, key, pin = alg_of(vector), hx(vector, "KEY"), vector["PIN"]
    assert pin_block(pin, alg) == hx(vector, "BLOCK")
    assert encipher_pin_block(alg, key, pin) == hx(vector, "ENCIPHERED")
    assert decipher_pin_block(alg, key, hx(vector, "ENCIPHERED")) == pin


# --- the loader itself ----------------------------------------------------------------------


def test_loader_sections_and_entries():
    text = "# c\n[A]\n\nCOUNT = 0\nX = 01\n\nCOUNT = 1\nX = 02\n[B]\nCOUNT = 0\nY = text with = sign\n"
    assert load_nist_vectors(text.splitlines()) == [
        {"section": "A", "COUNT": "0", "X": "01"},
        {"section": "A", "COUNT": "1", "X": "02"},
        {"section": "B", "COUNT": "0", "Y": "text with = sign"},
    ]


@pytest.mark.parametrize("bad", ["garbage line", "X = 1\nX = 2"])
def test_loader_rejects_malformed(bad):
    with pytest.raises(ValueError):
        load_nist_vectors(bad.splitlines())
