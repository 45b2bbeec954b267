"""Check characters of the card number (PROFILE §4.2) and the social security number (§4.3)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssc.checks import (
    card_number_check_char,
    is_valid_card_number,
    is_valid_ssn,
    ssn_check_char,
    ssn_problems,
)

# --- card number ------------------------------------------------------------------------------

PUBLIC_CARD_NUMBERS = ["X00000019", "B7K334774", "188347080"]  # PROFILE §4.2


@pytest.mark.parametrize("number", PUBLIC_CARD_NUMBERS)
def test_public_card_numbers_validate(number):
    assert is_valid_card_number(number)
    assert card_number_check_char(number[:8]) == number[8]


@pytest.mark.parametrize(
    "body, check",
    [
        ("X0000001", "9"),  # 33*3 + 1*2 = 101 ≡ 2 (mod 11) → 11 - 2 = 9
        ("00000000", "0"),  # sum 0 → c = 11 → "0"
        ("00000006", "X"),  # 6*2 = 12 ≡ 1 → c = 10 → "X"
        ("10000000", "8"),  # 1*3 = 3 → 8
    ],
)
def test_card_check_char_by_hand(body, check):
    assert card_number_check_char(body) == check


@pytest.mark.parametrize(
    "number",
    [
        "X00000018",  # wrong check
        "B7K334775",
        "188347081",
        "x00000019",  # lowercase
        "X0000001",  # too short
        "X000000199",  # too long
        "X0000-019",
        "",
    ],
)
def test_invalid_card_numbers(number):
    assert not is_valid_card_number(number)


@pytest.mark.parametrize("body", ["X000000", "X0000001a", "X000-001", "b7K33477"])
def test_card_check_char_refuses_bad_body(body):
    with pytest.raises(ValueError):
        card_number_check_char(body)


@given(
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=8, max_size=8),
    st.integers(min_value=0, max_value=7),
    st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
)
def test_card_check_detects_single_substitution(body, index, replacement):
    # weights are nonzero mod 11 and values differ by < 36; a substitution is missed only when
    # the value difference times the weight is a multiple of 11
    number = body + card_number_check_char(body)
    assert is_valid_card_number(number)
    changed = body[:index] + replacement + body[index + 1 :]
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    value = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".index
    delta = (value(replacement) - value(body[index])) * weights[index]
    assert is_valid_card_number(changed + number[8]) == (delta % 11 == 0)


# --- social security number -------------------------------------------------------------------

PUBLIC_SSNS = ["111111198101011110", "441522199106240088", "320223195302147992"]  # PROFILE §4.3


@pytest.mark.parametrize("ssn", PUBLIC_SSNS + ["11010519491231002X"])
def test_valid_ssns(ssn):
    assert is_valid_ssn(ssn)
    assert ssn_problems(ssn) == []
    assert ssn_check_char(ssn[:17]) == ssn[17]


@pytest.mark.parametrize(
    "ssn, words",
    [
        ("111111198101011111", ["check character", "'0'"]),
        ("441522199106240089", ["check character"]),
        ("11010519491231002x", ["lowercase"]),
        ("441522199102300088", ["19910230", "not a real date"]),
        ("991522199106240088", ["991522", "province"]),
        ("44152219910624008", ["18 characters"]),
        ("44152219910624A088", ["character 15"]),
        ("441522209906240088", ["future"]),
    ],
)
def test_ssn_problems(ssn, words):
    problems = ssn_problems(ssn, today=datetime.date(2025, 1, 1))
    assert problems
    assert not is_valid_ssn(ssn)
    for word in words:
        assert any(word in p for p in problems), (word, problems)


def test_ssn_future_birth_date_relative_to_today():
    ssn_body = "44152220300101008"
    ssn = ssn_body + ssn_check_char(ssn_body)
    assert ssn_problems(ssn, today=datetime.date(2030, 1, 1)) == []
    assert ssn_problems(ssn, today=datetime.date(2029, 12, 31)) != []


@pytest.mark.parametrize("body", ["4415221991062400", "4415221991062400A", "44152219910624008X"])
def test_ssn_check_char_refuses_bad_body(body):
    with pytest.raises(ValueError):
        ssn_check_char(body)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.integers(0, 16), st.data())
def test_ssn_check_detects_every_single_digit_error(body, index, data):
    # MOD 11-2 detects all single substitutions: weights 2^k mod 11 are never 0
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != body[index]]))
    changed = body[:index] + digit + body[index + 1 :]
    assert ssn_check_char(changed) != ssn_check_char(body)


@pytest.mark.parametrize("code, ok", [("441800", True), ("330200", True), ("991800", False), ("44180", False), ("44180A", False)])
def test_region_code_problems(code: str, ok: bool) -> None:
    from ssc.checks import region_code_problems

    assert (region_code_problems(code) == []) is ok
