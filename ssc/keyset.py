"""Where key roots come from, and how a card key is derived from them (PROFILE §6.2).

A `KeySet` answers "root of key NAME, version V, algorithm A" (national) and "local root of key NAME
for city R". `TestKeySet` computes the profile's public, deterministic test roots; `LabKeyFile`
reads a lab's own test-key file. Card personalization (reference card) and the PSAM both take a
KeySet, so a run against a card whose keys do not match names the key and the level that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from ssc.crypto.algorithm import Algorithm
from ssc.crypto.diversify import card_factor, city_factor, diversify, province_factor
from ssc.crypto.testroots import local_test_root, national_test_root
from ssc.formats import validate
from ssc.keyset_schema import FORMAT, LabKeyDocument
from ssc.profile.model import KeyDef, Profile


class KeySet(Protocol):
    # Read-only members: the key sets are frozen dataclasses, which a settable attribute excludes.
    @property
    def label(self) -> str: ...

    @property
    def is_test(self) -> bool: ...

    def national_root(self, name: str, version: int, alg: Algorithm) -> bytes: ...

    def local_root(self, region: str, name: str, version: int, alg: Algorithm) -> bytes | None:
        """None when this key set holds no local root for that city."""


@dataclass(frozen=True)
class TestKeySet:
    """The public test roots of the profile: deterministic, for testing only."""

    national_template: str
    local_template: str
    label: str = "public test roots (PROFILE §6.2)"
    is_test: bool = True

    __test__ = False  # not a pytest class

    @classmethod
    def for_profile(cls, profile: Profile) -> TestKeySet:
        roots = profile.security.test_roots
        return cls(roots.national, roots.local)

    def national_root(self, name: str, version: int, alg: Algorithm) -> bytes:
        return national_test_root(self.national_template, name, version, alg)

    def local_root(self, region: str, name: str, version: int, alg: Algorithm) -> bytes | None:
        return local_test_root(self.local_template, region, name, version, alg)


class KeyFileError(ValueError):
    pass


@dataclass(frozen=True)
class LabKeyFile:
    """A lab's test-key file (YAML): national roots and per-city local roots, hex, by version.

    ``format: ssc-keys/1``, ``national: {MK: {3DES: {"01": "<32 hex>", ...}, SM4: {...}}, ...}``,
    ``local: {"441800": {RLK: {3DES: {"01": ...}}}}``. Only test keys may ever be stored this way.
    The format is the schema model ssc/keyset_schema.py (schemas/ssc-keys-1.schema.json).
    """

    national: dict[tuple[str, int, Algorithm], bytes]
    local: dict[tuple[str, str, int, Algorithm], bytes]
    label: str
    is_test: bool = True

    @classmethod
    def load(cls, path: str | Path) -> LabKeyFile:
        """The key file at `path`; KeyFileError names the file, the field and what was expected."""
        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise KeyFileError(f"{p}: cannot read key file: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeyFileError(f"{p}: format: expected {FORMAT!r}")
        doc = validate(LabKeyDocument, data, lambda field, message: KeyFileError(f"{p}: {field}: {message}"))
        national = {
            (name, version, alg): bytes.fromhex(root)
            for name, by_alg in doc.national.items()
            for alg, versions in by_alg.items()
            for version, root in versions.items()
        }
        local = {
            (region, name, version, alg): bytes.fromhex(root)
            for region, keys in doc.local.items()
            for name, by_alg in keys.items()
            for alg, versions in by_alg.items()
            for version, root in versions.items()
        }
        return cls(national, local, label=f"lab key file {p.name}")

    def national_root(self, name: str, version: int, alg: Algorithm) -> bytes:
        try:
            return self.national[(name, version, alg)]
        except KeyError:
            raise KeyError(f"{self.label} holds no national root {name} version {version:02X} ({alg.value})") from None

    def local_root(self, region: str, name: str, version: int, alg: Algorithm) -> bytes | None:
        return self.local.get((region, name, version, alg))


def diversification_factors(profile: Profile, key: KeyDef, region: str, card_sn: bytes) -> list[bytes]:
    """The factors, in derivation order from the root, for `key` on a card of city `region`."""
    div = profile.security.diversification
    by_level = {
        "province": lambda: province_factor(div.province_factor, region),
        "city": lambda: city_factor(div.city_factor, region),
        "card": lambda: card_factor(card_sn),
    }
    levels = div.levels if key.level == "national" else div.local_levels
    return [by_level[level]() for level in levels]


def derive_card_key(profile: Profile, keys: KeySet, key: KeyDef, version: int, region: str, card_sn: bytes) -> bytes:
    """The card-level key `key`/`version` of a card issued in `region` with serial number `card_sn`."""
    alg = profile.algorithm
    if key.level == "national":
        root = keys.national_root(key.name, version, alg)
    else:
        local = keys.local_root(region, key.name, version, alg)
        if local is None:
            raise KeyError(f"{keys.label} holds no local root {key.name} for city {region}")
        root = local
    return diversify(alg, root, diversification_factors(profile, key, region, card_sn))
