"""SEC-TEAR-1/2 through the tearing hook (checks/security/tearing.py) on the in-process reference
card: the clean card leaves old or new at every offset and spends its tries first; the tearing
faults are exposed; a card without the hook is not applicable; every item is put back."""

from __future__ import annotations

import pytest

from checks.security.tearing import MIXED, NEW, OLD, hook_offsets, hook_present, sweep, tear_items, try_probes
from reference_card import ReferenceCard
from ssc.profile import load_profile
from terminal.session import CardSession
from tests.unit import rig
from tests.unit.checks.zh import chinese_first

PROFILE = load_profile("gen2")
PIN = rig.PIN


def _card(*faults: str, hook: bool = True) -> CardSession:
    return rig.session_on(ReferenceCard.default("gen2", tearing_hook=hook, faults=list(faults)))


@pytest.mark.parametrize("group", ["data", "pin", "counters", "lifecycle"])
def test_the_clean_card_holds_old_or_new_at_every_offset(group: str) -> None:
    card, psam = _card(), rig.open_psam(PROFILE)
    items = tear_items(card, psam, PIN, PIN, group)
    assert items
    for item in items:
        report = sweep(card, item)
        assert report.problems == [], report.problems
        assert {c.left for c in report.cuts} <= {OLD, NEW}
        assert report.cuts[-1].left == NEW or item.single_offset
    assert card.verify_pin(PIN, check=False).ok  # the PIN was put back


def test_change_pin_is_torn_inside_the_pin_write_too() -> None:
    """The counter's two bytes come first; the cuts go on through the PIN's own bytes."""
    card, psam = _card(), rig.open_psam(PROFILE)
    change = next(i for i in tear_items(card, psam, PIN, PIN, "pin") if i.name.startswith("CHANGE PIN"))
    report = sweep(card, change)
    assert len(report.cuts) > 3 and [c.left for c in report.cuts[:-1]] == [OLD] * (len(report.cuts) - 1)


def test_a_card_without_anti_tearing_shows_a_mix() -> None:
    card, psam = _card("no_anti_tearing"), rig.open_psam(PROFILE)
    record = next(i for i in tear_items(card, psam, PIN, PIN, "data") if i.name.startswith("UPDATE RECORD"))
    report = sweep(card, record)
    assert report.cuts[-1].left == MIXED and report.problems
    assert all(chinese_first(p) for p in report.problems), report.problems


def test_sampled_offsets_still_reach_the_complete_write() -> None:
    card, psam = _card(), rig.open_psam(PROFILE)
    binary = next(i for i in tear_items(card, psam, PIN, PIN, "data") if i.name.startswith("UPDATE BINARY"))
    report = sweep(card, binary, 3)
    assert report.problems == [] and report.cuts[-1].left == NEW and len(report.cuts) < 8


def test_tries_are_spent_before_the_result_on_the_clean_card() -> None:
    card, psam = _card(), rig.open_psam(PROFILE)
    probes, problems = try_probes(card, psam, PIN)
    assert problems == [] and all(p.answered is None for p in probes)
    assert [p.counter_after for p in probes][-2:] == [p.counter_before - 1 for p in probes][-2:]


def test_a_counter_written_after_the_comparison_is_exposed() -> None:
    card, psam = _card("try_counter_after_compare"), rig.open_psam(PROFILE)
    _, problems = try_probes(card, psam, PIN)
    assert any("right PIN" in p and "answered 9000" in p for p in problems), problems


def test_a_card_without_the_hook_is_not_applicable() -> None:
    reason = hook_present(_card(hook=False))
    assert reason is not None and reason.startswith("not applicable: ") and "6E00" in reason
    assert hook_present(_card()) is None


def test_the_hook_cuts_where_p1p2_asks() -> None:
    card, psam = _card(), rig.open_psam(PROFILE)
    assert hook_offsets(card, psam, PIN) == []


def test_a_hook_reading_p2_alone_is_caught() -> None:
    card, psam = _card("tearing_hook_p2_only"), rig.open_psam(PROFILE)
    problems = hook_offsets(card, psam, PIN)
    assert any("byte 256" in p for p in problems)
    assert problems and all(chinese_first(p) and p.startswith("数据项「更新二进制 ") for p in problems), problems
