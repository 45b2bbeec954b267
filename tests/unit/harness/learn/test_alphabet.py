"""Learning alphabets load, fit the profile, and bad ones fail with one line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.learn.alphabet import ALPHABETS_DIR, AlphabetError, default_alphabet_path, load_alphabet
from ssc.profile.model import Profile
from tests.unit import rig


def test_the_default_alphabet_of_each_generation_loads(profile: Profile) -> None:
    alphabet = load_alphabet(default_alphabet_path(profile.name), profile)
    assert len(alphabet.names) == len(set(alphabet.names)) >= 9
    assert all(s.requirements for s in alphabet.symbols), "every symbol classifies its differences"
    assert not any(s.destructive for s in alphabet.symbols), "the default alphabet is safe on a real card"


@pytest.mark.parametrize("path", sorted((ALPHABETS_DIR / "focus").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_focus_alphabet_loads_for_every_generation(path: Path) -> None:
    for profile in rig.PROFILES.values():
        assert load_alphabet(path, profile).symbols


def test_the_lifecycle_alphabet_is_destructive() -> None:
    alphabet = load_alphabet(ALPHABETS_DIR / "focus" / "lifecycle.yaml", rig.PROFILES["gen2"])
    assert {s.name for s in alphabet.symbols if s.destructive} == {"app_block", "app_unblock"}


HEADER = "format: ssc-alphabet/1\nprofiles: [gen2]\nsymbols:\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  - {name: a, op: fly}\n", "symbols[0]: unknown operation 'fly'"),
        ("  - {name: a, op: verify, args: {pin: maybe}}\n", "symbols[0]: operation verify: pin='maybe'"),
        ("  - {name: a, op: verify, args: {pin: right, colour: red}}\n", "unknown argument 'colour'"),
        ("  - {name: a, op: read_record, args: {path: SSSE/EF99, tag: '01'}}\n", "symbols[0].args.path: profile gen2 has no file"),
        ("  - {name: a, op: external_authenticate, args: {key: NOKEY}}\n", "symbols[0].args.key: profile gen2 has no key"),
        ("  - {name: a, op: reset}\n  - {name: a, op: reset}\n", "symbols[1].name: symbol 'a' appears twice"),
        ("  - {name: Bad-Name, op: reset}\n", "symbols[0].name"),
        ("  - {name: a, op: reset, requirements: [pin]}\n", "symbols[0].requirements[0]"),
    ],
)
def test_a_bad_alphabet_names_the_field(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "alphabet.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(AlphabetError) as err:
        load_alphabet(path, rig.PROFILES["gen2"])
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith("alphabet.yaml: ")


def test_an_alphabet_for_another_profile_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(HEADER + "  - {name: a, op: reset}\n", encoding="utf-8")
    with pytest.raises(AlphabetError, match="profiles: the alphabet is for gen2, the card's profile is gen3"):
        load_alphabet(path, rig.PROFILES["gen3"])


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("format: ssc-keys/1\n", encoding="utf-8")
    with pytest.raises(AlphabetError, match="format: expected 'ssc-alphabet/1'"):
        load_alphabet(path, rig.PROFILES["gen2"])
