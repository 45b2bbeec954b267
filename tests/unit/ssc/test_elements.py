"""Data-element checks (ssc/elements.py) on hand-made values: gender, ethnicity, card type, dates,
initializing institution and GBK names (PROFILE §4)."""

from __future__ import annotations

import pytest

from ssc.elements import (
    card_type_problems,
    date_problems,
    ethnicity_problems,
    gbk_problems,
    gender_problems,
    init_institution_problems,
)
from ssc.profile import load_profile
from ssc.profile.model import Text


@pytest.mark.parametrize("code, ok", [("0", True), ("1", True), ("2", True), ("9", True), ("3", False), ("", False), ("男", False)])
def test_gender(code: str, ok: bool) -> None:
    assert (not gender_problems(code)) is ok


@pytest.mark.parametrize(
    "code, ok", [("01", True), ("56", True), ("97", True), ("98", True), ("00", False), ("57", False), ("96", False), ("1", False)]
)
def test_ethnicity(code: str, ok: bool) -> None:
    assert (not ethnicity_problems(code)) is ok


@pytest.mark.parametrize("value, ok", [("1", True), ("2", False), ("", False)])
def test_card_type(value: str, ok: bool) -> None:
    assert (not card_type_problems(value, load_profile("gen2").card_types.values)) is ok


def test_card_types_come_from_the_profile() -> None:
    assert card_type_problems("2", {"1": Text("个人卡", "personal card"), "2": Text("临时卡", "temporary card")}) == []


@pytest.mark.parametrize(
    "digits, ok", [("20240229", True), ("20230229", False), ("20241301", False), ("2024011", False), ("2024O101", False)]
)
def test_date(digits: str, ok: bool) -> None:
    assert (not date_problems(digits)) is ok


@pytest.mark.parametrize(
    "digits, region, problems",
    [
        ("441800000000000000000001", "441800", 0),
        ("441800000000000000000001", "330300", 1),  # another issuing region
        ("991800000000000000000001", None, 1),  # 99 is no province
        ("44180000000000000000001", None, 1),  # 23 digits
    ],
)
def test_init_institution(digits: str, region: str | None, problems: int) -> None:
    assert len(init_institution_problems(digits, region)) == problems


@pytest.mark.parametrize(
    "raw, ok",
    [("李清远".encode("gbk") + bytes(24), True), (b"ZHANG" + bytes(25), True), (b"\x81\x20" + bytes(28), False), (b"\xff\xff", False)],
)
def test_gbk(raw: bytes, ok: bool) -> None:
    assert (not gbk_problems(raw)) is ok
