"""fixtures/keys/example-lab-keys.yaml holds the public test roots and nothing else (TEST ONLY)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssc.crypto.algorithm import Algorithm
from ssc.keyset import LabKeyFile, TestKeySet
from ssc.profile import builtin_profiles, load_profile
from terminal.regions import load_regions

EXAMPLE = Path(__file__).resolve().parents[3] / "fixtures" / "keys" / "example-lab-keys.yaml"
LAB = LabKeyFile.load(EXAMPLE)
ROOTS = TestKeySet.for_profile(load_profile("gen2"))


def test_the_file_says_it_holds_test_keys_only() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# yaml-language-server: $schema=")  # the editor's schema line comes first
    assert lines[1].startswith("# TEST KEYS ONLY")
    assert LAB.is_test


@pytest.mark.parametrize("generation", builtin_profiles())
def test_every_key_of_every_profile_is_the_public_test_root(generation: str) -> None:
    profile = load_profile(generation)
    alg = profile.algorithm
    for key in profile.keys():
        for version in key.versions:
            if key.level == "national":
                assert LAB.national_root(key.name, version, alg) == ROOTS.national_root(key.name, version, alg), (key.name, version)
            else:
                for region in load_regions().codes:
                    assert LAB.local_root(region, key.name, version, alg) == ROOTS.local_root(region, key.name, version, alg), (
                        region,
                        key.name,
                        version,
                    )


def test_the_file_holds_nothing_beyond_the_test_roots() -> None:
    for (name, version, alg), key in LAB.national.items():
        assert key == ROOTS.national_root(name, version, alg)
    for (region, name, version, alg), key in LAB.local.items():
        assert key == ROOTS.local_root(region, name, version, alg)
    assert {alg for (_, _, alg) in LAB.national} == {Algorithm.TDES, Algorithm.SM4}
