"""The FCI check (checks/standards/fci.py) follows the requirement, not the stand-in template:
a conforming card may lay its proprietary template out differently, a card announcing the wrong
algorithm id or another DF name may not."""

from __future__ import annotations

from checks.standards.fci import fci_problems, required_elements
from ssc.profile.model import Profile
from ssc.profile.templates import fci_for
from ssc.tlv import encode_tlv
from tests.unit import rig
from tests.unit.checks.zh import chinese_first


def _ssse(profile: Profile) -> bytes:
    return fci_for(profile, profile.file("SSSE"))


def test_template_fci_is_valid(profile: Profile) -> None:
    for f in profile.files.values():
        if f.fci is not None and f.name is not None:
            assert fci_problems(profile, f, fci_for(profile, f)) == [], f.path


def test_required_elements_come_from_the_template(profile: Profile) -> None:
    paths = {k: v[0] for k, v in required_elements(profile, profile.file("SSSE")).items()}
    assert paths == {"name": (0x6F, 0x84), "alg_id": (0x6F, 0xA5, 0x9F0C)}
    assert "alg_id" not in required_elements(profile, profile.file("PSE"))  # the PSE FCI names no algorithm


def test_another_conforming_layout_is_valid(profile: Profile) -> None:
    """Proprietary elements reordered, the DIR SFI left out and a vendor element added: still valid."""
    ssse = profile.file("SSSE")
    assert ssse.name is not None
    proprietary = encode_tlv(0xDF01, b"\x42") + encode_tlv(0x9F0C, bytes([0x86, 0x01, profile.algorithm_id]))
    fci = encode_tlv(0x6F, encode_tlv(0x84, ssse.name) + encode_tlv(0xA5, proprietary))
    assert fci != _ssse(profile)
    assert fci_problems(profile, ssse, fci) == []


def test_wrong_or_missing_algorithm_id_is_a_problem(profile: Profile) -> None:
    ssse = profile.file("SSSE")
    assert ssse.name is not None
    wrong = _ssse(profile)[:-1] + bytes([profile.algorithm_id ^ 0x02])
    assert any("algorithm id" in p for p in fci_problems(profile, ssse, wrong))
    missing = encode_tlv(0x6F, encode_tlv(0x84, ssse.name) + encode_tlv(0xA5, encode_tlv(0x88, b"\x0b")))
    assert any("no tag 9F0C" in p for p in fci_problems(profile, ssse, missing))
    assert all(chinese_first(p) for p in fci_problems(profile, ssse, missing) + fci_problems(profile, ssse, wrong))


def test_wrong_name_wrong_outer_tag_and_garbage_are_problems(profile: Profile) -> None:
    ssse = profile.file("SSSE")
    fci = _ssse(profile)
    assert any("DF name" in p for p in fci_problems(profile, ssse, fci.replace(b"sx1", b"sx2")))
    assert fci_problems(profile, ssse, b"\x70" + fci[1:])
    assert fci_problems(profile, ssse, fci + b"\x90")
    assert fci_problems(profile, ssse, fci[:-3])


def test_fault_is_seen_on_the_card(gen: str) -> None:
    session = rig.open_session(gen, faults=("fci_wrong_algorithm_id",))
    ssse = session.profile.file("SSSE")
    assert ssse.name is not None
    response = session.select_by_name(ssse.name, check=False)
    assert any("algorithm id" in p for p in fci_problems(session.profile, ssse, response.data))
