"""Host-side checks behind the personalization review: cardholder consistency (PER-3), reading a
protected EF the way a terminal does, and declared key versions × declared region (PER-2).

Cards are reference cards issued here with chosen personalizations; the expectations come from the
personalization data and the profile, not from the code under test."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from checks.personalization.cardholder import birth_date_mismatch, gender_parity_mismatch, read_items
from checks.personalization.declared_keys import check_key_versions, keys_of_present_dfs
from reference_card import ReferenceCard
from ssc.profile import load_profile
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from tests.unit import rig

PERSO = rig.PERSONALIZATION
SSN = "441802198503171238"  # born 1985-03-17, digit 17 = 3 (odd: male)


@pytest.mark.parametrize(
    "ssn, birth_date, expected",
    [
        (SSN, "19850317", None),
        (SSN, "19850318", "differs from SSN 441802198503171238 digits 7–14 (19850317)"),
        ("4418021985031712", "19850317", "not 17 digits"),
    ],
)
def test_birth_date_against_ssn(ssn: str, birth_date: str, expected: str | None) -> None:
    result = birth_date_mismatch(ssn, birth_date)
    assert result == expected if expected is None else expected in (result or "")


@pytest.mark.parametrize(
    "ssn, gender, contradicts",
    [
        (SSN, "1", False),
        (SSN, "2", True),
        ("441522199106240088", "2", False),  # digit 17 = 8: female
        ("441522199106240088", "1", True),
        (SSN, "0", False),  # unknown: the parity cannot contradict it
        (SSN, "9", False),  # not stated
    ],
)
def test_gender_against_ssn_parity(ssn: str, gender: str, contradicts: bool) -> None:
    result = gender_parity_mismatch(ssn, gender)
    assert (result is not None) == contradicts, result


def _psam(profile_name: str, region: str) -> PsamClient:
    return rig.open_psam(load_profile(profile_name), region)


def _session(generation: str, region: str | None = None, **perso_changes: Any) -> tuple[CardSession, PsamClient]:
    """A session on a freshly issued reference card, addressed as a card of `region` (default: the
    region it reads out), and the PSAM of a terminal in that region."""
    profile = load_profile(generation)
    perso = dataclasses.replace(PERSO, **perso_changes) if perso_changes else PERSO
    return rig.session_on(ReferenceCard(profile, perso), region=region), _psam(generation, region or perso.region)


@pytest.mark.parametrize("generation", ["gen1", "gen3"])
def test_read_items_opens_the_read_rule_and_returns_the_cardholder(generation: str) -> None:
    """gen3 EF06 needs AUTH RKSSSE (PROFILE §1); gen1 reads it freely — both give the same data."""
    session, psam = _session(generation)
    values = read_items(session, ["ssn", "gender", "birth_date", "birthplace"], psam, rig.initial_pin(session.profile))
    h = PERSO.cardholder
    assert values == {"ssn": h.ssn, "gender": h.gender, "birth_date": h.birth_date, "birthplace": h.birthplace}


def test_keys_of_present_dfs_leave_out_absent_and_firewalled_dfs() -> None:
    profile = load_profile("gen3")
    external = {k.name for k in keys_of_present_dfs(profile, [], use="external")}
    assert "RKSSSE" in external and "UK2DF04" in external
    assert not external & {"RLK", "ULK", "PSEMK"}
    with_local = {k.name for k in keys_of_present_dfs(profile, ["SSSE/DF80"], use="external")}
    assert with_local - external == {"RLK", "ULK"}
    assert [k.name for k in keys_of_present_dfs(profile, [], use="internal")] == ["IRK"]


@pytest.mark.parametrize("generation", ["gen2", "gen3"])
def test_declared_versions_for_the_card_region_all_match(generation: str) -> None:
    session, psam = _session(generation, PERSO.region)
    profile = session.profile
    keys = keys_of_present_dfs(profile, ["SSSE/DF80"], use="external") + keys_of_present_dfs(profile, [], use="internal")
    assert {"RLK", "ULK", "IRK"} <= {k.name for k in keys}
    result = check_key_versions(session, psam, keys, (1, 2, 3))
    assert result.ok, [r.summary for r in result.failures]
    assert len(result.reports) == 3 * len(keys)


def test_a_version_the_card_lacks_fails_and_names_the_key() -> None:
    session, psam = _session("gen2", PERSO.region, key_versions=(1, 2))
    keys = keys_of_present_dfs(session.profile, [], use="internal")
    result = check_key_versions(session, psam, keys, (1, 2, 3))
    assert [(r.key, r.version) for r in result.failures] == [("IRK", 3)]
    assert "IRK v03" in result.failures[0].summary


def test_another_region_stops_after_the_first_external_key_and_keeps_tries() -> None:
    """Checked as a 330200 card, the first key matches at no level: the check stops there, names
    what it did not try, and the card still accepts that key from its own region afterwards."""
    session, psam = _session("gen2", "330200")
    keys = keys_of_present_dfs(session.profile, [], use="external")
    result = check_key_versions(session, psam, keys, (1, 2))
    assert len(result.reports) == 1 and not result.reports[0].ok
    assert result.stopped_at is result.reports[0]
    assert len(result.not_tried) == 2 * len(keys) - 1
    home = CardSession(session.terminal, check=False)  # the same card, addressed from its own region
    response = home.external_authenticate(keys[0].name, 1, _psam("gen2", PERSO.region), check=False)
    assert response.ok, response.describe()
