"""Where key roots come from, and how a card key is derived from them (PROFILE §6.2).

A `KeySet` answers "root of key NAME, version V, algorithm A" (national) and "local root of key NAME
for city R". `TestKeySet` computes the profile's public, deterministic test roots; `LabKeyFile`
reads a lab's own test-key file. Card personalization (reference card) and the PSAM both take a
KeySet, so a run against a card whose keys do not match names the key and the level that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from ssc.crypto.algorithm import Algorithm
from ssc.crypto.diversify import card_factor, city_factor, diversify, province_factor
from ssc.crypto.testroots import local_test_root, national_test_root
from ssc.profile.model import KeyDef, Profile


class KeySet(Protocol):
    label: str
    is_test: bool

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
    """

    national: dict[tuple[str, int, Algorithm], bytes]
    local: dict[tuple[str, str, int, Algorithm], bytes]
    label: str
    is_test: bool = True

    @classmethod
    def load(cls, path: str | Path) -> LabKeyFile:
        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise KeyFileError(f"{p}: cannot read key file: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != "ssc-keys/1":
            raise KeyFileError(f"{p}: format: expected 'ssc-keys/1'")
        national = {}
        for name, by_alg in cls._mapping(p, "national", data.get("national")).items():
            for (alg, version), key in cls._versions(p, f"national.{name}", by_alg).items():
                national[(name, version, alg)] = key
        local = {}
        for region, keys in cls._mapping(p, "local", data.get("local")).items():
            for name, by_alg in cls._mapping(p, f"local.{region}", keys).items():
                for (alg, version), key in cls._versions(p, f"local.{region}.{name}", by_alg).items():
                    local[(str(region), name, version, alg)] = key
        return cls(national, local, label=f"lab key file {p.name}")

    @staticmethod
    def _mapping(p: Path, where: str, value: object) -> dict[Any, Any]:
        """A section that is absent or empty is an empty mapping; anything but a mapping is an
        error naming the field (a lab edits this file by hand)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise KeyFileError(f"{p}: {where}: expected a mapping, got {type(value).__name__} {value!r}")
        return value

    @classmethod
    def _versions(cls, p: Path, where: str, by_alg: object) -> dict[tuple[Algorithm, int], bytes]:
        out = {}
        if not isinstance(by_alg, dict):
            raise KeyFileError(f"{p}: {where}: expected a mapping of algorithm → versions")
        for alg_name, versions in by_alg.items():
            try:
                alg = Algorithm.from_name(alg_name)
            except ValueError as exc:
                raise KeyFileError(f"{p}: {where}.{alg_name}: {exc}") from None
            for v, key_hex in cls._mapping(p, f"{where}.{alg_name}", versions).items():
                field = f"{where}.{alg_name}.{v}"
                try:
                    key = bytes.fromhex(str(key_hex))
                    version = int(str(v), 16)
                except ValueError:
                    raise KeyFileError(f"{p}: {field}: expected a hex version and 32 hex digits") from None
                if len(key) != 16:
                    raise KeyFileError(f"{p}: {field}: expected a 16-byte key, got {len(key)} bytes")
                out[(alg, version)] = key
        return out

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
