"""T=0 behaviour: 61xx and GET RESPONSE, 6Cxx, pending data discarded (PROFILE §5; STD-CMD-4)."""

from __future__ import annotations

import pytest

from ssc.profile.templates import fci_for
from tests.unit.reference_card.card_support import SSSE_NAME, Host, new_card


@pytest.fixture
def host() -> Host:
    return Host(new_card("gen2"))


def test_get_response_partial_then_rest(host: Host) -> None:
    fci = fci_for(host.profile, host.profile.file("SSSE"))
    host.select_name(SSSE_NAME)
    first = host.send("00C0000010")
    assert first.data == fci[:0x10] and first.sw == host.sw("more_data", len(fci) - 0x10)
    rest = host.send(bytes([0, 0xC0, 0, 0, len(fci) - 0x10]))
    assert rest.data == fci[0x10:] and rest.sw == host.sw("ok")
    assert host.send("00C0000001").sw == host.sw("conditions_not_satisfied")


@pytest.mark.parametrize("apdu", ["00C0000020", "00C0000000", "00C00000"])
def test_get_response_too_long_keeps_the_data(host: Host, apdu: str) -> None:
    host.select_name(SSSE_NAME)
    assert host.send(apdu).sw == host.sw("wrong_le", 0x1E)
    assert host.send("00C000001E").sw == host.sw("ok")


def test_any_other_command_discards_pending_data(host: Host) -> None:
    host.select_name(SSSE_NAME)
    assert host.send("00B2072C0B").sw == host.sw("ok")  # the reader ignores 61 1E (C)
    assert host.send("00C000001E").sw == host.sw("conditions_not_satisfied")


def test_get_response_with_nothing_pending(host: Host) -> None:
    assert host.send("00C0000010").sw == host.sw("conditions_not_satisfied")


def test_get_response_p1p2(host: Host) -> None:
    host.select_name(SSSE_NAME)
    assert host.send("00C0010010").sw == host.sw("wrong_p1p2")
