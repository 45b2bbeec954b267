"""Single raw commands for the terminated-card checks (checks/security/lifecycle_probes.py).

Each probe's bytes are written out here from PROFILE §5 (the command headers, the SSSE DF name,
SFI 05 of SSSE/EF05 and its 18-byte first record) and the embedded card's PIN, not computed by
the code under test. On the in-process reference card a live card takes each probe, and after
CARD BLOCK refuses every one with function_not_supported.
"""

from __future__ import annotations

import pytest

from checks.security.lifecycle_probes import raw_probe
from ssc.profile.model import Profile
from terminal.psam_client import PsamClient
from terminal.session import CardSession

EF = "SSSE/EF05"  # a free-read file of SSSE, the one the terminated-card feature names
SSSE_NAME = "7378312E73682EC9E7BBE1B1A3D5CF"  # "sx1.sh.社会保障" (PROFILE §2)
PROBES = ("select", "get_challenge", "read_record", "verify", "internal_authenticate")


def _expected(command: str, pin: str) -> bytes:
    assert len(pin) == 6 and pin.isdigit()  # six digits: BCD with no F padding, 3 bytes
    return bytes.fromhex(
        {
            "select": "00A404000F" + SSSE_NAME,  # SELECT by DF name, 15 bytes
            "get_challenge": "0084000008",  # 8-byte challenge, as for EXTERNAL AUTHENTICATE
            "read_record": "00B2012C12",  # record 1 of SFI 05 (05 << 3 | 04), Le = 2 + 16
            "verify": "0020000003" + pin,
            "internal_authenticate": "0088000010" + "00" * 16,  # IRK (key id 00), 16 bytes of data
        }[command]
    )


@pytest.mark.parametrize("command", PROBES)
def test_probe_bytes(profile: Profile, pin: str, command: str) -> None:
    assert raw_probe(profile, command, ef_path=EF, pin=pin).to_bytes() == _expected(command, pin)


def test_verify_probe_pads_an_odd_pin(profile: Profile) -> None:
    assert raw_probe(profile, "verify", ef_path=EF, pin="12345").to_bytes() == bytes.fromhex("002000000312345F")


def test_read_probe_addresses_the_named_file(profile: Profile, pin: str) -> None:
    # SSSE/EF06 (the cardholder's basic data): another SFI and another first-record length
    other = profile.file("SSSE/EF06")
    apdu = raw_probe(profile, "read_record", ef_path=other.path, pin=pin)
    assert (apdu.p2, apdu.le) == ((other.sfi or 0) << 3 | 0x04, other.records[0].record_length)
    assert apdu.to_bytes() != _expected("read_record", pin)


def test_unknown_probe_is_refused(profile: Profile, pin: str) -> None:
    with pytest.raises(ValueError, match="no raw probe for 'update_record'"):
        raw_probe(profile, "update_record", ef_path=EF, pin=pin)


def test_live_card_takes_the_probes_and_a_terminated_card_refuses_them(
    profile: Profile, session: CardSession, psam_client: PsamClient, pin: str
) -> None:
    def answers() -> dict[str, str]:
        session.forget_selection()
        session.select_by_name(bytes.fromhex(SSSE_NAME), check=True)
        out = {}
        for command in PROBES:
            sw = session.terminal.send(raw_probe(profile, command, ef_path=EF, pin=pin), raw=True).sw
            out[command] = "function_not_supported" if profile.sw["function_not_supported"].matches(sw) else f"{sw:04X}"
        return out

    live = answers()
    assert "function_not_supported" not in live.values() and live["verify"] == "9000", live
    assert session.card_block(psam_client).ok
    session.reset()
    terminated = {}
    for command in PROBES:
        sw = session.terminal.send(raw_probe(profile, command, ef_path=EF, pin=pin), raw=True).sw
        terminated[command] = profile.sw["function_not_supported"].matches(sw)
    assert terminated == dict.fromkeys(PROBES, True)


def test_a_read_probe_refuses_an_ef_without_sfi() -> None:
    """SFI 0 would read the current EF: a probe of a file without SFI is refused, not sent."""
    from dataclasses import replace

    from ssc.profile import load_profile

    profile = load_profile("gen2")
    path = profile.file("SSSE/EF05").path
    ef = replace(profile.file(path), sfi=None)
    broken = replace(profile, files={**profile.files, path: ef})
    with pytest.raises(ValueError, match="no SFI"):
        raw_probe(broken, "read_record", ef_path=path, pin="123456")
