"""File types observed from behaviour (checks/standards/file_types.py): the clean reference card
shows every declared type; a card whose record file also answers READ BINARY with data, or whose
transparent file answers READ RECORD, is caught; a file out of the terminal's read reach is judged
by the stand-in structure status word, marked as such."""

from __future__ import annotations

import pytest

from checks.standards import file_survey as survey
from checks.standards.file_types import observed_kind, type_survey
from reference_card import ReferenceCard
from ssc.profile.expectation import STAND_IN, expect_sw
from ssc.profile.model import Profile
from terminal.channel import Terminal
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from terminal.transports.inprocess import InProcessTransport
from terminal.transports.mock import MockTransport
from tests.unit import rig
from tests.unit.checks.zh import chinese_first


def test_clean_card_shows_every_declared_type(profile: Profile, session: CardSession, psam_client: PsamClient, pin: str) -> None:
    result = type_survey(session, survey.mandatory_files(profile), lambda: psam_client, pin)
    assert result.findings == [] and result.unobserved == []
    assert result.observed["SSSE/EF07"] == "transparent"
    assert result.observed["SSSE/EF05"].startswith("record file")
    stand_in = [p for p, what in result.observed.items() if "out of this terminal's reach" in what]
    assert stand_in and all(p.startswith("PSE/") for p in stand_in)  # only behind the firewall


def _doctored(profile: Profile, doctor: bytes, answer: bytes) -> CardSession:
    """A reference card behind a wrapper that answers `answer` to every command starting with `doctor`."""
    card = InProcessTransport(ReferenceCard.default(profile.name))
    card.reset()

    def handler(command: bytes) -> bytes:
        return answer if command.startswith(doctor) else card.transmit(command)

    transport = MockTransport(handler)
    transport.reset()
    return CardSession(Terminal(transport, profile), check=False)


@pytest.mark.parametrize("gen", ["gen2"])
@pytest.mark.parametrize(
    ("path", "doctor", "answer"),
    [
        ("SSSE/EF05", bytes.fromhex("00B085"), bytes.fromhex("0190 00".replace(" ", ""))),  # READ BINARY via SFI 05 gives data
        ("SSSE/EF07", bytes.fromhex("00B2013C"), bytes.fromhex("01 01 00 90 00".replace(" ", ""))),  # READ RECORD 1 of SFI 07 gives data
    ],
)
def test_contradicting_structure_is_a_finding(
    profile: Profile, psam_client: PsamClient, pin: str, path: str, doctor: bytes, answer: bytes
) -> None:
    session = _doctored(profile, doctor, answer)
    result = type_survey(session, [profile.file(path)], lambda: psam_client, pin)
    assert len(result.findings) == 1 and path in result.findings[0], result.findings
    assert chinese_first(result.findings[0]) and "APDU：" in result.findings[0]


def test_observed_kind_needs_one_structure_only() -> None:
    session = rig.open_session("gen2")
    session.select_path("SSSE", check=True)
    binary, record = session.read_binary("SSSE/EF05", 0, 1, check=False), session.read_record("SSSE/EF05", 1, check=False)
    assert observed_kind(binary, record) == "record"
    assert observed_kind(record, record) is None  # data both ways: neither structure


def test_stand_in_expectation_is_marked(profile: Profile) -> None:
    by_order = expect_sw(profile, "incompatible_file_structure", "check_order")
    assert by_order.stand_in and STAND_IN in str(by_order) and "check_order [S]" in str(by_order)
    plain = expect_sw(profile, "incompatible_file_structure")
    assert not plain.stand_in and STAND_IN not in str(plain)
    with pytest.raises(KeyError, match="no basis"):
        expect_sw(profile, "ok", "no_such_section")


@pytest.mark.parametrize("gen", ["gen2"])
def test_cyclic_told_from_linear_by_the_marked_stand_in(profile: Profile, psam_client: PsamClient, pin: str) -> None:
    session = _doctored(profile, bytes.fromhex("00DC0144"), bytes.fromhex("6982"))  # UPDATE RECORD 1 of SFI 08: security first
    result = type_survey(session, [profile.file("SSSE/DF04/EF08")], lambda: psam_client, pin)
    assert len(result.findings) == 1 and STAND_IN in result.findings[0] and "check_order [S]" in result.findings[0]
