"""The firewall probes never hand an SSSE secret to the PSE, and the trace check that guards this
(checks/security/firewall.py) does see a VERIFY or EXTERNAL AUTHENTICATE sent inside the PSE."""

from __future__ import annotations

import pytest

from checks.security.firewall import foreign_challenge_in_home_app, secrets_sent_behind_firewall
from ssc.profile.model import Profile
from terminal.transports.tracing import TraceRecorder
from tests.unit import rig


def _select_name(profile: Profile, path: str) -> bytes:
    name = profile.file(path).name
    assert name is not None
    return bytes([0x00, 0xA4, 0x04, 0x00, len(name)]) + name


def _verify(profile: Profile) -> bytes:
    return bytes([0x00, profile.command("verify").ins, 0x00, 0x00, 0x03, 0x12, 0x34, 0x56])


@pytest.mark.parametrize("gen", ["gen2"])
def test_trace_check_sees_a_secret_sent_inside_the_pse(profile: Profile) -> None:
    recorder = TraceRecorder()
    recorder.record(_select_name(profile, "SSSE"), b"\x61\x1e", 0)
    recorder.record(_verify(profile), b"\x90\x00", 0)  # inside SSSE: fine
    recorder.record(_select_name(profile, "PSE/ADF1"), b"\x61\x20", 0)
    recorder.record(_verify(profile), b"\x63\xc2", 0)  # inside the PSE: a leak
    recorder.record(b"", b"\x3b", 0, kind="reset")
    recorder.record(_verify(profile), b"\x6a\x88", 0)  # after a reset: the MF, not the PSE
    leaks = secrets_sent_behind_firewall(profile, recorder.entries)
    assert leaks == ["APDU #3 00200000"]


@pytest.mark.parametrize("gen", ["gen2"])
def test_a_failed_select_does_not_enter_the_pse(profile: Profile) -> None:
    recorder = TraceRecorder()
    recorder.record(_select_name(profile, "PSE/ADF1"), b"\x6a\x82", 0)
    recorder.record(_verify(profile), b"\x6a\x88", 0)
    assert secrets_sent_behind_firewall(profile, recorder.entries) == []


def test_foreign_challenge_is_refused_without_a_try(gen: str) -> None:
    session = rig.open_session(gen)
    psam = rig.open_psam(session.profile)
    response = foreign_challenge_in_home_app(session, psam, "PSE/ADF1", "UKSSSE")
    assert response.means("referenced_data_invalid")
