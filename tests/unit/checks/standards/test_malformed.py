"""checks/standards/malformed.py: the clean card answers every probe as its broken check requires;
a card that ignores one malformed field is caught."""

from __future__ import annotations

import pytest

from checks.standards.malformed import judge, malformed_probes, partial_get_response, send
from terminal.session import CardSession
from tests.unit import rig
from tests.unit.checks.zh import chinese_first


def _findings(card: CardSession) -> list[str]:
    probes = malformed_probes(card.profile, rig.initial_pin(card.profile))
    return [f for p in probes if (f := judge(card.profile, p, send(card, p))) is not None]


@pytest.mark.parametrize("gen", rig.GENERATIONS)
def test_the_clean_card_answers_every_probe_as_required(gen: str) -> None:
    card = rig.open_session(gen)
    assert _findings(card) == []
    assert partial_get_response(card) == []


def test_probes_cover_every_kind_of_malformed_field() -> None:
    keys = {p.key for p in malformed_probes(rig.PROFILES["gen2"], "123456")}
    for key in (
        "get_challenge.p1",
        "get_response.data",
        "select.name16",
        "read_record.mode5",
        "update_record.zero",
        "verify.p2",
        "verify.not_bcd",
        "application_block.p1",
    ):
        assert key in keys


def test_a_card_accepting_any_challenge_p1p2_is_caught() -> None:
    findings = _findings(rig.open_session("gen2", faults=("get_challenge_any_p1p2",)))
    assert any("get_challenge: P1" in f and "accepted" in f for f in findings)
    assert findings and all(chinese_first(f) for f in findings), findings
    assert findings[0].startswith(
        "取随机数：P1 为 01（应为 00）：被接受（卡片执行了畸形命令），返回 9000（成功执行），预期 6A86（参数P1、P2不正确） / "
    )
