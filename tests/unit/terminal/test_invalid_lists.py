"""Invalid-card lists (terminal/invalid_lists.py, PROFILE §8): loading, coverage, matching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from terminal.invalid_lists import CITY, NATIONAL, PROVINCIAL, InvalidCardLists, InvalidListError, load_list

CARD_ID = "441800D15600000500020001AABBCCDD"


@dataclass(frozen=True)
class Ident:
    region: str
    card_number: str
    card_id_code: bytes = bytes(16)


def _write(d: Path, name: str, body: str) -> Path:
    p = d / name
    p.write_text("format: ssc-invalid-list/1\n" + body, encoding="utf-8")
    return p


@pytest.fixture
def lists(tmp_path: Path) -> InvalidCardLists:
    _write(tmp_path, "n.yaml", 'level: national\nentries:\n  - {card_number: "X00000019", reason: lost}\n')
    _write(tmp_path, "p.yaml", f'level: provincial\nscope: "440000"\nentries:\n  - {{card_id: "{CARD_ID}", reason: damaged}}\n')
    _write(tmp_path, "c.yaml", 'level: city\nscope: "330200"\nentries:\n  - {card_number: "B7K334774", reason: expired}\n')
    return InvalidCardLists.load(tmp_path)


@pytest.mark.parametrize(
    ("region", "levels"),
    [
        ("441800", [NATIONAL, PROVINCIAL]),
        ("440100", [NATIONAL, PROVINCIAL]),
        ("330200", [NATIONAL, CITY]),
        ("330100", [NATIONAL]),
        ("510100", [NATIONAL]),
    ],
)
def test_covering_lists_are_national_province_city_of_the_card(lists: InvalidCardLists, region: str, levels: list[str]) -> None:
    assert [lst.level for lst in lists.covering(region)] == levels


@pytest.mark.parametrize(
    ("ident", "listed"),
    [
        (Ident("610100", "X00000019"), True),  # national: every card
        (Ident("441800", "188347080", bytes.fromhex(CARD_ID)), True),  # provincial, by identification code
        (Ident("320500", "188347080", bytes.fromhex(CARD_ID)), False),  # same code, but Jiangsu's lists do not cover it
        (Ident("330200", "B7K334774"), True),  # its city's list
        (Ident("330100", "B7K334774"), False),  # another city's list does not cover a Hangzhou card
        (Ident("441800", "188347080"), False),
    ],
)
def test_a_card_is_listed_only_by_a_covering_list(lists: InvalidCardLists, ident: Ident, listed: bool) -> None:
    assert lists.is_listed(ident) is listed
    assert bool(lists.hits(ident)) is listed


def test_a_hit_names_the_list_and_entry(lists: InvalidCardLists) -> None:
    (hit,) = lists.hits(Ident("330200", "B7K334774"))
    assert "city 330200" in str(hit) and "B7K334774" in str(hit) and "expired" in str(hit)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("level: national\nentries: []\n", None),  # valid baseline
        ("level: county\nentries: []\n", "level"),
        ('level: national\nscope: "440000"\nentries: []\n', "scope"),
        ('level: provincial\nscope: "441800"\nentries: []\n', "scope"),
        ('level: city\nscope: "440000"\nentries: []\n', "scope"),
        ("level: city\nscope: 441800\nentries: []\n", "scope"),
        ('level: national\nentries:\n  - {card_number: "X00000018", reason: lost}\n', "entries[0].card_number"),
        ('level: national\nentries:\n  - {card_number: "X00000019", reason: stolen}\n', "entries[0].reason"),
        ('level: national\nentries:\n  - {card_number: "X00000019", card_id: "00", reason: lost}\n', "entries[0]"),
        ('level: national\nentries:\n  - {card_id: "ZZ", reason: lost}\n', "entries[0].card_id"),
        ('level: national\nentries:\n  - {card_id: "00112233", reason: lost}\n', "entries[0].card_id"),
        ("level: national\nentries: {}\n", "entries"),
    ],
)
def test_list_errors_name_file_and_field(tmp_path: Path, body: str, field: str | None) -> None:
    p = _write(tmp_path, "bad.yaml", body)
    if field is None:
        assert load_list(p).level == NATIONAL
        return
    with pytest.raises(InvalidListError, match="^" + re.escape(f"bad.yaml: {field}:")):
        load_list(p)


def test_wrong_format_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "x.yaml"
    p.write_text("format: other\nlevel: national\n", encoding="utf-8")
    with pytest.raises(InvalidListError, match="format"):
        load_list(p)


def test_two_lists_for_the_same_scope_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "level: national\nentries: []\n")
    _write(tmp_path, "b.yaml", "level: national\nentries: []\n")
    with pytest.raises(InvalidListError, match="second national list"):
        InvalidCardLists.load(tmp_path)


def test_the_fixture_lists_load_and_cover_every_level() -> None:
    lists = InvalidCardLists.load()
    assert {lst.level for lst in lists} == {NATIONAL, PROVINCIAL, CITY}
    assert all(lst.entries or lst.level == CITY for lst in lists)
