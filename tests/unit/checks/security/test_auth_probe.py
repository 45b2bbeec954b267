"""Authentication / secure-messaging probes (terminal/auth_probe.py) and PIN restoration
(terminal/pin_admin.py), against the in-process reference card; expected status words are the
profile's names for the answers PROFILE §5, §6.3 and §6.4 require."""

from __future__ import annotations

import pytest

from checks.security.auth_probes import (
    external_authenticate_as,
    external_authenticate_without_challenge,
    internal_auth_all_versions,
    national_external_keys,
    reload_pin_command,
    replay,
    sacrificial_key,
    secured_command,
    secured_record_update,
    send_secured,
    tampered,
    verify_pin_here,
    wrong_cryptogram,
)
from checks.security.pin_admin import restore_pin, temporary_pin
from ssc.profile import builtin_profiles, load_profile
from ssc.profile.model import Profile
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from tests.unit import rig

PROFILES = {name: load_profile(name) for name in builtin_profiles()}
PIN = rig.PIN


def _session(profile: Profile, faults: tuple[str, ...] = ()) -> tuple[CardSession, PsamClient]:
    return rig.open_session(profile.name, faults=faults), rig.open_psam(profile)


@pytest.mark.parametrize(("current", "avoid"), [("123456", ("123456",)), ("234567", ("123456",)), ("0000", ()), ("99", ("00", "11"))])
def test_temporary_pin_differs_from_current_and_avoided(current: str, avoid: tuple[str, ...]) -> None:
    pin = temporary_pin(current, *avoid)
    assert len(pin) == len(current) and pin.isdigit() and pin != current and pin not in avoid


def test_national_keys_leave_out_the_firewalled_application() -> None:
    names = {k.name for k in national_external_keys(PROFILES["gen3"])}
    assert {"MK", "UKSSSE", "PUK", "RKSSSE", "UK2DF04"} <= names
    assert "PSEMK" not in names and "RLK" not in names and "IRK" not in names
    assert "RKSSSE" not in {k.name for k in national_external_keys(PROFILES["gen2"])}


@pytest.mark.parametrize("gen", PROFILES)
def test_sacrificial_key_is_used_by_no_rule_and_no_command(gen: str) -> None:
    p = PROFILES[gen]
    key, version = sacrificial_key(p)
    assert all(key.name not in r.keys for f in p.files.values() for r in f.access.values())
    assert key.name not in {cmd.key for cmd in p.commands.values()}
    assert version == key.versions[-1]


@pytest.mark.parametrize("gen", ["gen2", "gen3"])
def test_external_authentication_probes(gen: str) -> None:
    p = PROFILES[gen]
    card, psam = _session(p)
    sw = p.sw
    tries = p.key("UKSSSE").tries
    assert wrong_cryptogram(card, psam, "UKSSSE").sw == sw["verification_failed"].with_value(tries - 1)
    ok = card.external_authenticate("UKSSSE", 0, psam, check=False)
    assert ok.ok
    assert sw["referenced_data_invalid"].matches(replay(card, ok).sw)
    assert sw["referenced_data_invalid"].matches(external_authenticate_without_challenge(card, "UKSSSE").sw)
    assert sw["verification_failed"].matches(external_authenticate_as(card, psam, "UKSSSE", 1, 2).sw)
    assert external_authenticate_as(card, psam, "UKSSSE", 2, 2).ok
    card.select_path("PSE/ADF1", check=True)
    assert sw["key_not_found"].matches(external_authenticate_as(card, psam, "UKSSSE", 0, 0, here=True).sw)
    assert sw["key_not_found"].matches(verify_pin_here(card, PIN).sw)


def test_replay_is_accepted_by_a_card_that_keeps_its_challenge() -> None:
    card, psam = _session(PROFILES["gen2"], ("reusable_challenge",))
    ok = card.external_authenticate("UKSSSE", 0, psam, check=False)
    assert replay(card, ok).ok


@pytest.mark.parametrize("gen", ["gen1", "gen3"])
def test_secured_commands_and_tampered_macs(gen: str) -> None:
    p = PROFILES[gen]
    card, psam = _session(p)
    sw = p.sw
    record = card.read_record("SSSE/DF04/EF06", number=1, check=True).data
    assert sw["sm_data_incorrect"].matches(send_secured(card, tampered(secured_record_update(card, psam, "SSSE/DF04/EF06", record))).sw)
    assert send_secured(card, secured_record_update(card, psam, "SSSE/DF04/EF06", record)).ok
    puk = p.command_key("unblock_pin").name
    card.select_mf(check=True)
    assert sw["security_not_satisfied"].matches(send_secured(card, secured_command(card, psam, "unblock_pin", puk)).sw)
    card.external_authenticate(puk, 0, psam, check=True)
    assert sw["sm_data_incorrect"].matches(send_secured(card, tampered(secured_command(card, psam, "unblock_pin", puk))).sw)
    card.external_authenticate(puk, 0, psam, check=True)
    assert send_secured(card, reload_pin_command(card, psam, PIN, puk_name=puk)).ok
    assert card.verify_pin(PIN, check=False).ok


def test_mac_fault_accepts_a_tampered_mac() -> None:
    p = PROFILES["gen2"]
    card, psam = _session(p, ("mac_not_checked",))
    record = card.read_record("SSSE/DF04/EF06", number=1, check=True).data
    assert send_secured(card, tampered(secured_record_update(card, psam, "SSSE/DF04/EF06", record))).ok


@pytest.mark.parametrize("gen", ["gen2", "gen3"])
def test_internal_auth_all_versions_verify_and_differ(gen: str) -> None:
    card, psam = _session(PROFILES[gen])
    results = internal_auth_all_versions(card, psam)
    assert len(results) == 3 and all(r.verified for r in results)
    assert len({r.card_result for r in results}) == 3


def test_restore_pin_reloads_the_initial_pin() -> None:
    p = PROFILES["gen2"]
    assert PIN == p.security.pin.initial
    card, psam = _session(p)
    temporary = temporary_pin(PIN, p.security.pin.initial)
    assert card.change_pin(PIN, temporary, check=False).ok
    assert p.sw["wrong_data"].matches(card.change_pin(temporary, PIN, check=False).sw)  # CHANGE PIN cannot restore it
    restore_pin(card, psam, temporary, PIN)
    assert card.verify_pin(PIN, check=False).ok
