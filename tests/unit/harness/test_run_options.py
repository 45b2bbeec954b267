"""`RunOptions.validate`: every option is checked before the first APDU, and bad input is one line
naming the option (exit status 2 at the CLI), never a run whose every requirement fails."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.exitstatus import UsageError
from harness.run import RunOptions, parse_regions
from ssc.profile import load_profile

PROFILES = Path(__file__).resolve().parents[3] / "ssc" / "profile" / "data"


def refused(options: RunOptions) -> str:
    with pytest.raises(UsageError) as info:
        options.validate()
    text = str(info.value)
    assert "\n" not in text, text
    return text


def test_run_options_are_a_frozen_value_with_results_only_as_a_field() -> None:
    options = RunOptions(results_only=True)
    assert options.results_only and options.card == "reference"
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.card = "reader:x"  # type: ignore[misc]  # assigning to a frozen field is what the test checks


def test_good_options_validate_and_give_the_marker_expression() -> None:
    assert RunOptions().validate() is None
    assert RunOptions(pin="1234", regions=("441800",), markers="slow").validate() == "slow"
    assert RunOptions(keyword="PIN and not block").validate() is None


@pytest.mark.parametrize("pin", ["abcdef", "12", "1" * 20, "", "12 456", "12345６"])
def test_a_pin_the_profile_does_not_allow_is_refused(pin: str) -> None:
    text = refused(RunOptions(pin=pin))
    assert text.startswith("--pin") and "3 to 12 decimal digits" in text, text


@pytest.mark.parametrize("pin", ["123", "123456", "123456789012"])
def test_a_pin_within_the_profiles_limits_is_accepted(pin: str) -> None:
    RunOptions(pin=pin).validate()


def test_pin_limits_come_from_the_profile(tmp_path: Path) -> None:
    """A lab profile whose VERIFY allows at most 4 PIN bytes allows at most 8 digits."""
    own = tmp_path / "lab.yaml"
    own.write_text(
        f"format: ssc-profile/1\nextends: {PROFILES / 'gen2.yaml'}\nprofile: lab\ncommands:\n  verify: {{params: {{max_pin_bytes: 4}}}}\n",
        encoding="utf-8",
    )
    assert load_profile(own).command("verify").byte("max_pin_bytes") == 4
    RunOptions(profile=str(own), pin="12345678").validate()
    text = refused(RunOptions(profile=str(own), pin="123456789"))
    assert "3 to 8 decimal digits" in text, text


@pytest.mark.parametrize(
    "profile, words",
    [
        ("gen9", "no built-in profile named 'gen9'"),
        ("absent.yaml", "absent.yaml does not exist"),
    ],
)
def test_a_profile_that_does_not_load_is_bad_input(profile: str, words: str) -> None:
    text = refused(RunOptions(profile=profile))
    assert text.startswith("--profile") and words in text, text


def test_a_malformed_profile_file_is_bad_input(tmp_path: Path) -> None:
    own = tmp_path / "broken.yaml"
    own.write_text("format: ssc-profile/1\nprofile: [\n", encoding="utf-8")
    text = refused(RunOptions(profile=str(own)))
    assert text.startswith("--profile") and "broken.yaml" in text, text


def test_an_unknown_region_is_named_with_the_known_ones() -> None:
    text = refused(RunOptions(regions=("441800", "999999")))
    assert text.startswith("--regions") and "999999" in text and "441800" in text and "330200" in text, text


@pytest.mark.parametrize("text", ["", ",", " , "])
def test_regions_without_a_code_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--regions"):
        parse_regions(text)


def test_regions_are_split_and_stripped() -> None:
    assert parse_regions(" 441800, 330200 ,") == ("441800", "330200")


@pytest.mark.parametrize(
    "content, words",
    [
        ("format: ssc-keys/1\nnational: 5\n", "national: expected a mapping"),
        ("format: ssc-keys/1\nlocal: [1, 2]\n", "local: expected a mapping"),
        ("format: ssc-keys/1\nlocal: {'441800': 7}\n", "local.441800: expected a mapping"),
        ("format: ssc-keys/1\nnational: {MK: {3DES: 9}}\n", "national.MK.3DES: expected a mapping"),
    ],
)
def test_a_key_file_of_the_wrong_shape_is_one_line_naming_the_field(tmp_path: Path, content: str, words: str) -> None:
    keys = tmp_path / "lab-keys.yaml"
    keys.write_text(content, encoding="utf-8")
    text = refused(RunOptions(keys=keys))
    assert "lab-keys.yaml" in text and words in text, text


@pytest.mark.parametrize(
    "content",
    [
        "format: ssc-keys/1\n",
        "format: ssc-keys/1\nnational: {}\n",
        # SM4 roots only: nothing a gen2 (3DES) card can be checked with
        'format: ssc-keys/1\nnational: {MK: {SM4: {"01": "00112233445566778899AABBCCDDEEFF"}}}\n',
    ],
)
def test_a_key_file_without_usable_keys_is_bad_input(tmp_path: Path, content: str) -> None:
    keys = tmp_path / "lab-keys.yaml"
    keys.write_text(content, encoding="utf-8")
    text = refused(RunOptions(keys=keys))
    assert text.startswith("--keys") and "no national root for 3DES" in text, text


@pytest.mark.parametrize(
    "field, value",
    [("keyword", "PIN and ("), ("keyword", "not"), ("markers", "slow or"), ("markers", "(slow")],
)
def test_a_bad_k_or_m_expression_is_bad_input(field: str, value: str) -> None:
    text = refused(RunOptions(**{field: value}))  # type: ignore[arg-type]  # field names and values come from a parametrize table
    assert text.startswith("-k" if field == "keyword" else "-m") and value in text, text


@pytest.mark.parametrize(
    "options, words",
    [
        (RunOptions(card="floppy:A"), "--card"),
        (RunOptions(faults=("no_such_fault",)), "no_such_fault"),
        (RunOptions(psam="slot2"), "--psam"),
        (RunOptions(sign_key=Path("/nonexistent/lab.key")), "--sign-key"),
        (RunOptions(tags="SEC-NOPE-1"), "unknown tag"),
    ],
)
def test_other_options_are_checked_too(options: RunOptions, words: str) -> None:
    assert words in refused(options)


@pytest.mark.parametrize(
    "options, words",
    [
        (RunOptions(extra_cards=("reference:gen3",)), "a further card must be reader:NAME"),
        (RunOptions(card_set=Path("/nonexistent/cards.yaml")), "--card-set"),
    ],
)
def test_further_cards_and_the_card_set_are_checked(options: RunOptions, words: str) -> None:
    assert words in refused(options)


def test_a_repeated_card_option_gives_the_dut_and_further_cards() -> None:
    from harness.cli import _parser, run_options

    args = _parser().parse_args(["run", "--card", "reader:A", "--card", "reader:B", "--card-set", "cards.yaml"])
    options = run_options(args)
    assert (options.card, options.extra_cards, options.card_set) == ("reader:A", ("reader:B",), Path("cards.yaml"))
    assert run_options(_parser().parse_args(["run"])).card == "reference"


def test_the_operator_option_is_checked_and_reaches_both_plans(tmp_path: Path) -> None:
    from harness.run import _pytest_args

    text = refused(RunOptions(operator=str(tmp_path / "missing.yaml")))
    assert text.startswith("--operator:") and "missing.yaml" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: ssc-operator-answers/1\nanswers: [{request: x, answer: perhaps}]\n", encoding="utf-8")
    assert "answer" in refused(RunOptions(operator=str(bad)))
    for plan in (RunOptions(operator="none"), RunOptions(plan="reader", reader="Virtual PCD 00 00", operator="console")):
        plan.validate()
        assert f"--ssc-operator={plan.operator}" in _pytest_args(plan, tmp_path, "run", None)
