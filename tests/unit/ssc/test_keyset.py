"""Key sources and card-key derivation (ssc/keyset.py, PROFILE §6.2).

Expected roots are recomputed here from the formula of PROFILE §6.2 with hashlib, and expected card
keys from single diversification steps, so the key set's wiring (templates, factor order, levels)
is checked independently of the code under test.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ssc.crypto.algorithm import Algorithm
from ssc.crypto.diversify import diversify_once
from ssc.crypto.testroots import local_test_root, national_test_root
from ssc.keyset import KeyFileError, LabKeyFile, TestKeySet, derive_card_key, diversification_factors
from ssc.profile import load_profile

CARD_SN = bytes.fromhex("8684000000000001")
REGION = "441800"


def sha16(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


@pytest.fixture(scope="module")
def gen2():
    return load_profile("gen2")


@pytest.fixture(scope="module")
def gen3():
    return load_profile("gen3")


@pytest.mark.parametrize("name, version, alg", [("MK", 1, Algorithm.TDES), ("IRK", 3, Algorithm.SM4), ("UK1DF01", 2, Algorithm.TDES)])
def test_test_key_set_national_roots_follow_profile_section_6_2(gen2, name: str, version: int, alg: Algorithm) -> None:
    keys = TestKeySet.for_profile(gen2)
    root = keys.national_root(name, version, alg)
    assert root == sha16(f"SSC-TEST-ROOT|{name}|{version:02X}|{alg.value}")
    assert root == national_test_root(gen2.security.test_roots.national, name, version, alg)
    assert keys.is_test


@pytest.mark.parametrize("region, name, version, alg", [("441800", "RLK", 1, Algorithm.TDES), ("330200", "ULK", 2, Algorithm.SM4)])
def test_test_key_set_local_roots_follow_profile_section_6_2(gen2, region: str, name: str, version: int, alg: Algorithm) -> None:
    keys = TestKeySet.for_profile(gen2)
    root = keys.local_root(region, name, version, alg)
    assert root == sha16(f"SSC-TEST-LOCAL|{region}|{name}|{version:02X}|{alg.value}")
    assert root == local_test_root(gen2.security.test_roots.local, region, name, version, alg)
    assert root != keys.local_root("330300" if region != "330300" else "441800", name, version, alg)


def test_the_spec_example_local_root() -> None:
    """PROFILE §6.2 gives "SSC-TEST-LOCAL|441800|RLK|01|3DES" as the example input."""
    keys = TestKeySet("SSC-TEST-ROOT|{name}|{version:02X}|{alg}", "SSC-TEST-LOCAL|{region}|{name}|{version:02X}|{alg}")
    assert keys.local_root("441800", "RLK", 1, Algorithm.TDES) == sha16("SSC-TEST-LOCAL|441800|RLK|01|3DES")


# -- lab key files ---------------------------------------------------------------------------

MK1 = "00112233445566778899AABBCCDDEEFF"
MK2 = "0F1E2D3C4B5A69788796A5B4C3D2E1F0"
SM4_MK1 = "FFEEDDCCBBAA99887766554433221100"
RLK1 = "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"

GOOD = f"""\
format: ssc-keys/1
national:
  MK:
    3DES: {{"01": "{MK1}", "02": "{MK2}"}}
    SM4: {{"01": "{SM4_MK1}"}}
local:
  "441800":
    RLK:
      3DES: {{"01": "{RLK1}"}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lab-keys.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_lab_key_file_round_trip(tmp_path: Path) -> None:
    keys = LabKeyFile.load(write(tmp_path, GOOD))
    assert keys.national_root("MK", 1, Algorithm.TDES) == bytes.fromhex(MK1)
    assert keys.national_root("MK", 2, Algorithm.TDES) == bytes.fromhex(MK2)
    assert keys.national_root("MK", 1, Algorithm.SM4) == bytes.fromhex(SM4_MK1)
    assert keys.local_root("441800", "RLK", 1, Algorithm.TDES) == bytes.fromhex(RLK1)
    assert keys.local_root("330200", "RLK", 1, Algorithm.TDES) is None
    assert keys.local_root("441800", "RLK", 2, Algorithm.TDES) is None
    assert len(keys.national) == 3 and len(keys.local) == 1
    assert keys.label == "lab key file lab-keys.yaml" and keys.is_test


def test_a_lab_key_file_without_a_root_names_what_is_missing(tmp_path: Path) -> None:
    keys = LabKeyFile.load(write(tmp_path, GOOD))
    with pytest.raises(KeyError) as info:
        keys.national_root("IRK", 3, Algorithm.SM4)
    assert "lab-keys.yaml" in str(info.value) and "IRK version 03 (SM4)" in str(info.value)


@pytest.mark.parametrize(
    "text, fragment",
    [
        (GOOD.replace("ssc-keys/1", "ssc-keys/2"), "format: expected 'ssc-keys/1'"),
        ("national: {}\n", "format: expected 'ssc-keys/1'"),
        ("- a list\n", "format: expected 'ssc-keys/1'"),
        ("format: ssc-keys/1\nnational: {MK: [1]}\n", "national.MK: expected a mapping, got [1] — a mapping of algorithm"),
        (GOOD.replace('3DES: {"01": "' + MK1, 'AES: {"01": "' + MK1), "national.MK.AES: unknown algorithm 'AES'"),
        (
            GOOD.replace(MK1, "00112233445566778899AABBCCDDEEGG"),
            "national.MK.3DES.01: expected hex digits (a 16-byte key), got '00112233445566778899AABBCCDDEEGG'",
        ),
        (GOOD.replace(MK2, MK2[:-2]), "national.MK.3DES.02: expected a 16-byte key, got 15 bytes"),
        (GOOD.replace(SM4_MK1, SM4_MK1 + "00"), "national.MK.SM4.01: expected a 16-byte key, got 17 bytes"),
        (GOOD.replace('"02": ', '"v2": '), "national.MK.3DES.v2: expected a hex version"),
        (GOOD.replace(RLK1, RLK1[:8]), "local.441800.RLK.3DES.01: expected a 16-byte key, got 4 bytes"),
        ("format: ssc-keys/1\nnational: {MK: {3DES: [\n", "cannot read key file"),
    ],
)
def test_a_malformed_lab_key_file_names_the_field(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(KeyFileError) as info:
        LabKeyFile.load(path)
    assert str(info.value).startswith(f"{path}: ") and fragment in str(info.value)


def test_a_missing_lab_key_file_is_a_key_file_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read key file"):
        LabKeyFile.load(tmp_path / "absent.yaml")


# -- deriving card keys ----------------------------------------------------------------------


def test_a_national_key_is_diversified_province_city_card(gen2) -> None:
    keys = TestKeySet.for_profile(gen2)
    key = gen2.key("MK")
    assert diversification_factors(gen2, key, REGION, CARD_SN) == [b"440000sh", b"441800sx", CARD_SN]
    expected = sha16("SSC-TEST-ROOT|MK|01|3DES")
    for factor in (b"440000sh", b"441800sx", CARD_SN):
        expected = diversify_once(Algorithm.TDES, expected, factor)
    assert derive_card_key(gen2, keys, key, 1, REGION, CARD_SN) == expected


def test_a_gen3_key_uses_sm4_roots_and_steps(gen3) -> None:
    keys = TestKeySet.for_profile(gen3)
    expected = sha16("SSC-TEST-ROOT|RKSSSE|02|SM4")
    for factor in (b"330000sh", b"330200sx", CARD_SN):
        expected = diversify_once(Algorithm.SM4, expected, factor)
    assert derive_card_key(gen3, keys, gen3.key("RKSSSE"), 2, "330200", CARD_SN) == expected


def test_a_local_key_uses_only_the_card_factor_from_the_citys_local_root(gen2) -> None:
    keys = TestKeySet.for_profile(gen2)
    key = gen2.key("RLK")
    assert key.level == "local"
    assert diversification_factors(gen2, key, REGION, CARD_SN) == [CARD_SN]
    local_root = sha16("SSC-TEST-LOCAL|441800|RLK|01|3DES")
    assert derive_card_key(gen2, keys, key, 1, REGION, CARD_SN) == diversify_once(Algorithm.TDES, local_root, CARD_SN)
    assert derive_card_key(gen2, keys, key, 1, "330200", CARD_SN) != derive_card_key(gen2, keys, key, 1, REGION, CARD_SN)


def test_a_local_key_from_a_lab_key_file(tmp_path: Path, gen2) -> None:
    keys = LabKeyFile.load(write(tmp_path, GOOD))
    assert derive_card_key(gen2, keys, gen2.key("RLK"), 1, REGION, CARD_SN) == diversify_once(Algorithm.TDES, bytes.fromhex(RLK1), CARD_SN)


def test_a_key_set_without_the_citys_local_root_names_key_and_city(tmp_path: Path, gen2) -> None:
    keys = LabKeyFile.load(write(tmp_path, GOOD))
    with pytest.raises(KeyError) as info:
        derive_card_key(gen2, keys, gen2.key("ULK"), 1, REGION, CARD_SN)
    assert "ULK" in str(info.value) and "city 441800" in str(info.value) and "lab-keys.yaml" in str(info.value)
    with pytest.raises(KeyError, match="RLK for city 330200"):
        derive_card_key(gen2, keys, gen2.key("RLK"), 1, "330200", CARD_SN)
