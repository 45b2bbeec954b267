"""Issuer declarations (fixtures/issuers/*.yaml): the loader, its error messages, and agreement of
the embedded reference card with its issuer's declaration."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.declaration import (
    DEFAULT_ISSUERS_DIR,
    DeclarationError,
    Validity,
    default_declaration_path,
    load_declaration,
)
from reference_card import ReferenceCard, load_personalization
from reference_card.personalization import DEFAULT_CARD_PATH
from ssc.profile import builtin_profiles, load_profile
from terminal.regions import load_regions

EXAMPLE = DEFAULT_ISSUERS_DIR / "441800.yaml"
PERSO = load_personalization(DEFAULT_CARD_PATH)


@pytest.mark.parametrize("region", load_regions().codes)
def test_every_registry_region_has_a_loadable_declaration(region: str) -> None:
    path = default_declaration_path(region)
    assert path is not None, f"fixtures/issuers/{region}.yaml is missing"
    decl = load_declaration(path)
    assert decl.region == region and decl.init_institution.startswith(region)
    assert decl.source == f"{region}.yaml"


def test_no_declaration_for_a_region_without_a_file(tmp_path: Path) -> None:
    assert default_declaration_path("441800", tmp_path) is None


# -- the embedded reference card against its issuer's declaration -----------------------------


def test_reference_card_identity_matches_its_declaration() -> None:
    decl = load_declaration(default_declaration_path(PERSO.region))  # type: ignore[arg-type]  # the default card's region is set in its personalization data
    assert decl.region == PERSO.region
    assert decl.init_institution == PERSO.init_institution
    assert decl.card_type == PERSO.card_type
    assert decl.validity.problems(PERSO.issue_date, PERSO.expiry_date) == []
    assert decl.local_extension == PERSO.local_extension
    assert sorted(decl.optional_dfs) == sorted(PERSO.optional_dfs)


@pytest.mark.parametrize("generation", builtin_profiles())
def test_reference_card_generation_keys_and_atr_match_its_declaration(generation: str) -> None:
    decl = load_declaration(EXAMPLE)
    profile = load_profile(generation)
    assert profile.generation in decl.generations
    for key in profile.keys():
        loaded = key.versions if PERSO.key_versions is None else tuple(v for v in key.versions if v in PERSO.key_versions)
        assert set(decl.key_versions) <= set(loaded), f"{key.name}: declared {decl.key_versions}, loaded {loaded}"
    atr = ReferenceCard(profile, PERSO).atr
    for name, expected in decl.atr.items():
        assert profile.atr.field_of(atr, name) == expected, name
    assert decl.unknown_optional_dfs(profile) == []
    assert set(decl.present_dfs(profile)) == set(PERSO.optional_dfs) | {"SSSE/DF80"}


# -- loader errors name the file and the field -------------------------------------------------


def _example() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    p = tmp_path / "999900.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def _without(key: str) -> Any:
    return lambda d: d.pop(key)


def _set(key: str, value: Any) -> Any:
    def change(d: dict[str, Any]) -> None:
        target = d
        *parents, last = key.split(".")
        for part in parents:
            target = target[part]
        target[last] = value

    return change


@pytest.mark.parametrize(
    "change, field, words",
    [
        (_set("format", "ssc-declaration/2"), "format", "expected 'ssc-declaration/1'"),
        (_set("colour", "blue"), "colour", "unknown field"),
        (_without("region"), "region", "missing"),
        (_set("region", 441800), "region", "quote it"),
        (_set("region", "4418"), "region", "6 decimal digits"),
        (_set("init_institution", "330200000000000000000001"), "init_institution", "does not start with the declared region code 441800"),
        (_set("init_institution", "44180000"), "init_institution", "24 decimal digits"),
        (_set("generation", "gen3"), "generation", "generation number"),
        (_set("generation", []), "generation", "generation number"),
        (_set("card_type", 1), "card_type", "quoted string"),
        (_without("validity"), "validity", "missing"),
        (_set("validity", {}), "validity", "expected a mapping"),
        (_set("validity.issue_not_before", "20241301"), "validity.issue_not_before", "not a real date"),
        (_set("validity.issue_not_before", 20240101), "validity.issue_not_before", "quoted date"),
        (_set("validity.max_years", 5), "validity.max_years", "less than validity.min_years"),
        (_set("validity.min_years", -1), "validity.min_years", "whole number"),
        (_set("validity.until", "20300101"), "validity.until", "unknown field"),
        (_set("key_versions", []), "key_versions", "non-empty list"),
        (_set("key_versions", ["01", "1G"]), "key_versions[1]", "two hex digits"),
        (_set("key_versions", ["00"]), "key_versions[0]", "01–FF"),
        (_set("key_versions", ["01", 1]), "key_versions[1]", "listed twice"),
        (_set("local_extension", "yes please"), "local_extension", "true or false"),
        (_without("optional_dfs"), "optional_dfs", "missing"),
        (_set("optional_dfs", "SSSE/DF05"), "optional_dfs", "list of DF paths"),
        (_set("optional_dfs", ["SSSE/DF05", "SSSE/DF05"]), "optional_dfs", "twice"),
        (_set("atr", {"cos_id": "52"}), "atr.cos_version", "COS version"),
        (_set("atr.cos_version", "4G"), "atr.cos_version", "hex digits"),
        (_set("atr.card_maker", 8684), "atr.card_maker", "quoted hex"),
        (_set("issuer", {"fr": "x"}), "issuer.fr", "unknown field; expected one of zh, en"),
    ],
)
def test_a_bad_field_is_named_with_the_file(tmp_path: Path, change: Any, field: str, words: str) -> None:
    data = _example()
    change(data)
    with pytest.raises(DeclarationError) as info:
        load_declaration(_write(tmp_path, data))
    message = str(info.value)
    assert message.startswith(f"999900.yaml: {field}: "), message
    assert words in message


def test_unreadable_and_non_yaml_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(DeclarationError, match="nothere.yaml: cannot read"):
        load_declaration(tmp_path / "nothere.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("region: [unclosed", encoding="utf-8")
    with pytest.raises(DeclarationError, match="bad.yaml: not valid YAML"):
        load_declaration(bad)


def test_a_single_generation_and_integer_versions_are_accepted(tmp_path: Path) -> None:
    data = _example()
    data.update(generation=3, key_versions=[1, "02"])
    decl = load_declaration(_write(tmp_path, data))
    assert decl.generations == (3,) and decl.key_versions == (1, 2)


# -- validity window ----------------------------------------------------------------------------


D = datetime.date


@pytest.mark.parametrize(
    "window, issue, expiry, problem",
    [
        (Validity(issue_not_before=D(2020, 1, 1)), "20240115", "20340115", None),
        (Validity(issue_not_before=D(2024, 1, 16)), "20240115", "20340115", "before the declared earliest issue date 20240116"),
        (Validity(issue_not_after=D(2024, 1, 14)), "20240115", "20340115", "after the declared latest issue date 20240114"),
        (Validity(expiry_not_after=D(2034, 1, 15)), "20240115", "20340115", None),
        (Validity(expiry_not_after=D(2034, 1, 14)), "20240115", "20340115", "after the declared latest expiry date"),
        (Validity(min_years=10, max_years=10), "20240115", "20340115", None),
        (Validity(min_years=10), "20240115", "20340114", "shorter than the declared minimum of 10 years"),
        (Validity(max_years=5), "20240115", "20290116", "longer than the declared maximum of 5 years"),
        (Validity(max_years=5), "20240229", "20290228", None),
        (Validity(min_years=1), "20241301", "20340115", "issue date '20241301' is not a date"),
    ],
)
def test_validity_window(window: Validity, issue: str, expiry: str, problem: str | None) -> None:
    problems = window.problems(issue, expiry)
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0], problems


# -- declared DFs against a profile ------------------------------------------------------------


def test_declared_dfs_follow_optional_dfs_and_local_extension(tmp_path: Path) -> None:
    data = _example()
    data.update(optional_dfs=["SSSE/DF06", "SSSE/DF99"], local_extension=False)
    decl = load_declaration(_write(tmp_path, data))
    profile = load_profile("gen2")
    declared = decl.dfs_declared(profile)
    assert declared == {"SSSE/DF05": False, "SSSE/DF06": True, "SSSE/DF07": False, "SSSE/DF80": False}
    assert decl.present_dfs(profile) == ["SSSE/DF06"]
    assert decl.unknown_optional_dfs(profile) == ["SSSE/DF99"]
