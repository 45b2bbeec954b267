"""Check-order probes (checks/standards/check_order.py): each probe breaks several checks at once
and the reference card answers with the earliest broken check's status word (PROFILE §5); a card
with the checks swapped is caught. Expected values come from the profile and PROFILE §3."""

from __future__ import annotations

import pytest

from checks.standards.check_order import Probe, challenge_lengths, check_order_probes, record_le_probe, unused_cla, unused_ins
from ssc.apdu import CommandApdu
from ssc.profile.model import Profile
from terminal.session import CardSession
from tests.unit import rig


def _run_probe(s: CardSession, probe: Probe) -> int:
    s.select_mf(check=True)
    s.select_path(probe.df, check=True)
    return s.terminal.send(probe.apdu, raw=True).sw


def test_probes_answered_by_earliest_check(profile: Profile, session: CardSession) -> None:
    probes = check_order_probes(profile)
    assert probes and len({probe.key for probe in probes}) == len(probes)
    answers = {probe.key: (probe.expected.sw, _run_probe(session, probe)) for probe in probes}
    wrong = {key: f"{sw:04X}, expected {name}" for key, (name, sw) in answers.items() if not profile.sw[name].matches(sw)}
    assert not wrong


def test_probe_catches_security_before_record() -> None:
    p = rig.PROFILES["gen3"]
    probe = next(x for x in check_order_probes(p) if x.key == "absent_record+protected")
    assert [v.sw for v in probe.violations] == ["record_not_found", "security_not_satisfied"]
    assert probe.expected.sw == "record_not_found"
    assert p.sw["security_not_satisfied"].matches(_run_probe(rig.open_session("gen3", faults=("security_before_record",)), probe))


def test_unused_codes_are_unused() -> None:
    p = rig.PROFILES["gen2"]
    assert unused_cla(p) not in {c for cmd in p.commands.values() for c in cmd.cla}
    assert unused_ins(p) not in {cmd.ins for cmd in p.commands.values()}


def test_challenge_lengths() -> None:
    allowed, refused = challenge_lengths(rig.PROFILES["gen2"])
    assert allowed == (4, 8, 16) and 0 in refused and not set(allowed) & set(refused)


@pytest.mark.parametrize("case, le", [("zero", 0), ("missing", None), ("short", 10), ("long", 12)])
def test_record_le_probe(case: str, le: int | None) -> None:
    p = rig.PROFILES["gen2"]
    f = p.file("SSSE/EF05")
    apdu = record_le_probe(p, f, f.record_by_tag(0x07), case)  # type: ignore[arg-type]  # EF05 declares record tag 07 in every built-in profile
    assert apdu == CommandApdu(0x00, 0xB2, 7, 0x2C, b"", le)  # PROFILE §3: real readers send 00 B2 07 2C 0B
