"""Access grants (terminal/grants.py): the cheapest way to satisfy a rule, what a terminal can grant,
and a grant carried out on the in-process reference card."""

from __future__ import annotations

import pytest

from ssc.profile import load_profile
from ssc.profile.access import parse_rule
from terminal.grants import GrantError, cheapest_grant, grant, terminal_can_grant
from terminal.psam_client import PsamClient
from terminal.session import CardSession


@pytest.mark.parametrize(
    "rule, expected",
    [
        ("free", set()),
        ("PIN or AUTH UK1DF03", {"PIN"}),
        ("PIN and AUTH RK1DF04", {"PIN", "AUTH RK1DF04"}),
        ("AUTH RKSSSE", {"AUTH RKSSSE"}),
    ],
)
def test_cheapest_grant(rule: str, expected: set[str]) -> None:
    assert {str(t) for t in cheapest_grant(parse_rule(rule))} == expected


@pytest.mark.parametrize("rule", ["never", "SM UK2DF04"])
def test_ungrantable(rule: str) -> None:
    with pytest.raises(GrantError):
        cheapest_grant(parse_rule(rule))


def test_terminal_cannot_grant_firewalled_keys() -> None:
    p = load_profile("gen2")
    assert terminal_can_grant(p, "PSE/ADF1/EF01", "read")
    assert not terminal_can_grant(p, "PSE/ADF1/EF02", "read")  # PSEMK: a bank PSAM's key
    assert terminal_can_grant(p, "SSSE/DF80/EF05", "read")  # local key of the home city


def test_grant_opens_protected_file(session: CardSession, psam_client: PsamClient, pin: str) -> None:
    path = "SSSE/DF04/EF05"  # PIN and AUTH RK1DF04
    assert session.read_record(path, 1).means("security_not_satisfied")
    grant(session, path, "read", psam_client, pin)
    assert session.read_record(path, 1).ok
