"""INT-XR-6 can fail: its expectation comes from fixtures/interop_expectations.yaml, not from the
terminal's list matching (terminal/invalid_lists.py). A matcher that lists nothing or everything
fails cells; and the declaration agrees with the list files, read here without that matcher."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.interop import InteropRun, build_interop_run
from harness.interop_expectations import DEFAULT_EXPECTATIONS, ExpectationError, load_expectations
from ssc.keyset import TestKeySet
from ssc.profile import load_profile
from terminal import invalid_lists
from terminal.channel import Terminal
from terminal.invalid_lists import DEFAULT_LISTS_DIR
from terminal.regions import RegionRegistry, load_regions
from terminal.session import CardSession
from tests.unit import rig

KEYS = TestKeySet.for_profile(load_profile("gen3"))
SMALL = (rig.HOME_REGION, "330200", "320500")  # lists at national, provincial and city level name cards of these


@functools.cache
def _registry() -> RegionRegistry:
    return load_regions()


def _run(codes: tuple[str, ...]) -> InteropRun:
    registry = _registry()
    return build_interop_run(regions=[registry.get(c) for c in codes], registry=registry, keyset=KEYS, pin=rig.PIN)


def _int_xr_6(run: InteropRun) -> list[str]:
    return run.run("INT-XR-6", run.listed_check())


def test_clean_run_passes_and_every_level_is_exercised() -> None:
    run = _run(SMALL)
    try:
        assert _int_xr_6(run) == []
        assert run.unexercised_list_levels() == []
    finally:
        run.close()


@pytest.mark.parametrize("matches", [False, True], ids=["matcher-lists-nothing", "matcher-lists-everything"])
def test_a_broken_matcher_is_caught(monkeypatch: pytest.MonkeyPatch, matches: bool) -> None:
    monkeypatch.setattr(invalid_lists.ListEntry, "matches", lambda self, card: matches)
    run = _run(SMALL)
    try:
        failures = _int_xr_6(run)
    finally:
        run.close()
    assert failures, "INT-XR-6 passed with a broken list matcher"


def _raw_lists() -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(Path(DEFAULT_LISTS_DIR).glob("*.yaml"))]


def _covers(lst: dict[str, Any], region: str) -> bool:
    if lst["level"] == "national":
        return True
    scope = str(lst["scope"])
    return region[:2] == scope[:2] if lst["level"] == "provincial" else region == scope


def _label(lst: dict[str, Any]) -> str:
    return "national" if lst["level"] == "national" else f"{lst['level']} {lst['scope']}"


def test_declaration_agrees_with_the_list_files() -> None:
    """For every card of the full set: the lists whose raw entries name its card number or its
    identification code (read from the card) are exactly the declared ones."""
    expectations = load_expectations()
    run = _run(tuple(r.code for r in _registry()))
    try:
        for card in run.cards:
            ident = CardSession(Terminal(card.transport, card.profile), check=True).identity(refresh=True)
            naming = {
                _label(lst)
                for lst in _raw_lists()
                if _covers(lst, card.declaration.region)
                for e in lst.get("entries") or []
                if e.get("card_number") == card.declaration.card_number
                or str(e.get("card_id", "")).upper() == ident.card_id_code.hex().upper()
            }
            listing = expectations.for_card(card.label, card.declaration.card_number)
            assert naming == (set(listing.lists) if listing else set()), card.label
    finally:
        run.close()


def test_malformed_declaration_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_text(DEFAULT_EXPECTATIONS.read_text(encoding="utf-8").replace("lists: [national]", "lists: [global]"), encoding="utf-8")
    with pytest.raises(ExpectationError, match=r"x.yaml: listed\[0\].lists"):
        load_expectations(bad)
