"""The randomness battery against the worked examples of NIST SP 800-22 rev. 1a (§2.1.8, §2.2.8,
§2.3.8: ε = 1011010101 and friends, and the first 100 bits of π's binary expansion), and the
structural checks against counters and restarted generators."""

from __future__ import annotations

import hashlib
import os
from typing import Literal

import pytest

from checks.security.randomness import (
    BatteryParameters,
    arithmetic_progressions,
    bits_of,
    block_frequency_test,
    byte_progressions,
    challenges_needed,
    counter_findings,
    judge_battery,
    monobit_test,
    poker_test,
    repeated_first_challenges,
    run_battery,
    runs_test,
)
from ssc.profile import load_profile
from tests.unit.checks.zh import chinese_first

# The parameters every built-in profile carries (common.yaml `randomness`).
PARAMETERS = BatteryParameters.from_profile(load_profile("gen2").randomness)

# π = 3.243F6A8885A308D313198A2E03707344A4093822299F31D008… (hexadecimal). SP 800-22's 100-bit
# examples use the binary expansion starting with the integer part: 11.00100100001111110110…
PI_HEX = "3243F6A8885A308D313198A2E03707344A4093822299F31D008"


def pi_bits(n: int) -> list[int]:
    value = int(PI_HEX, 16)
    bits = [int(b) for b in bin(value)[2:]]
    assert len(bits) >= n
    return bits[:n]


def from_string(text: str) -> list[int]:
    return [int(c) for c in text]


def test_pi_bits_start_as_in_the_standard() -> None:
    assert "".join(map(str, pi_bits(20))) == "11001001000011111101"


@pytest.mark.parametrize(
    ("bits", "expected"),
    [(from_string("1011010101"), 0.527089), (pi_bits(100), 0.109599)],
    ids=["sp800-22-2.1.4", "sp800-22-2.1.8"],
)
def test_monobit_matches_the_worked_examples(bits: list[int], expected: float) -> None:
    assert monobit_test(bits).p_value == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("bits", "m", "expected"),
    [(from_string("0110011010"), 3, 0.801252), (pi_bits(100), 10, 0.706438)],
    ids=["sp800-22-2.2.4", "sp800-22-2.2.8"],
)
def test_block_frequency_matches_the_worked_examples(bits: list[int], m: int, expected: float) -> None:
    assert block_frequency_test(bits, m).p_value == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("bits", "expected"),
    [(from_string("1001101011"), 0.147232), (pi_bits(100), 0.500798)],
    ids=["sp800-22-2.3.4", "sp800-22-2.3.8"],
)
def test_runs_matches_the_worked_examples(bits: list[int], expected: float) -> None:
    assert runs_test(bits).p_value == pytest.approx(expected, abs=1e-6)


def test_runs_fails_its_frequency_prerequisite_on_a_biased_sample() -> None:
    result = runs_test([1] * 90 + [0] * 10)
    assert not result.passed and result.p_value == 0.0 and "prerequisite" in result.detail


def test_poker_statistic_by_hand() -> None:
    # 4-bit words 0000, 0000, 1111, 1010: counts n_0 = 2, n_15 = 1, n_10 = 1, N = 4.
    result = poker_test(from_string("0000000011111010"), 4)
    assert result.statistic == pytest.approx(16 / 4 * (4 + 1 + 1) - 4)


def sha256_stream(n: int, seed: bytes = b"ssc-conform") -> bytes:
    """A deterministic stream with the statistics of random bytes (SHA-256 in counter mode), so the
    test's outcome does not depend on the draw."""
    out = b"".join(hashlib.sha256(seed + k.to_bytes(4, "big")).digest() for k in range(n // 32 + 1))
    return out[:n]


def test_a_good_generator_passes_and_a_biased_or_patterned_one_fails() -> None:
    good = run_battery(sha256_stream(2500), PARAMETERS)
    assert [r.name for r in good] == ["monobit", "block frequency", "runs", "poker"]
    assert all(r.passed for r in good), good
    biased = run_battery(bytes(b | 0x01 for b in sha256_stream(2500)), PARAMETERS)  # one bit in eight forced to 1
    assert not next(r for r in biased if r.name == "monobit").passed
    patterned = run_battery(bytes([0x55, 0xAA]) * 1250, PARAMETERS)  # balanced but regular
    assert not next(r for r in patterned if r.name == "runs").passed
    assert not next(r for r in patterned if r.name == "poker").passed


def test_the_battery_refuses_too_small_a_sample() -> None:
    with pytest.raises(ValueError, match="at least 20000 bits"):
        run_battery(os.urandom(100), PARAMETERS)


def test_bits_are_most_significant_first() -> None:
    assert bits_of(b"\x80\x01") == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]


def test_a_restarted_generator_repeats_its_first_challenge() -> None:
    assert repeated_first_challenges([b"\x01\x02", b"\x03\x04", b"\x01\x02"]) == [(0, 2)]
    assert repeated_first_challenges([os.urandom(8) for _ in range(20)]) == []


@pytest.mark.parametrize("order", ["big", "little"])
def test_a_counter_is_an_arithmetic_progression(order: Literal["big", "little"]) -> None:
    challenges = [(1000 + 7 * k).to_bytes(4, order) for k in range(5)]
    found = arithmetic_progressions(challenges)
    assert any(f" / {order}-endian, step 7" in f and f.startswith("按") for f in found), found


def test_random_challenges_form_no_progression() -> None:
    assert arithmetic_progressions([os.urandom(4) for _ in range(50)]) == []


def test_the_profile_carries_the_standard_parameters() -> None:
    spec = load_profile("gen3").randomness
    assert (spec.alpha, spec.poker_width, spec.min_bits) == (0.01, 4, 20000)
    assert spec.prov.of("alpha") == "D"
    n, m = spec.min_bits, spec.block_length  # SP 800-22 §2.2.7: M ≥ 20, M > 0.01·n, n/M < 100
    assert m >= 20 and m > 0.01 * n and n / m < 100


@pytest.mark.parametrize("permutation", [(0, 1, 2, 3), (3, 2, 1, 0), (2, 0, 3, 1)], ids=["big", "little", "shuffled"])
def test_a_counter_in_any_byte_order_is_found(permutation: tuple[int, ...]) -> None:
    def shuffled(value: int) -> bytes:
        raw = value.to_bytes(4, "big")
        return bytes(raw[i] for i in permutation)

    challenges = [shuffled(0x01FFFFF0 + 3 * k) for k in range(16)]  # carries through three bytes
    found = byte_progressions(challenges)
    assert any("steps by 03" in f for f in found), found
    assert counter_findings(challenges) and all(chinese_first(f) for f in counter_findings(challenges))


def test_a_byte_that_never_changes_is_found() -> None:
    challenges = [sha256_stream(8, bytes([k]))[:7] + b"\x00" for k in range(16)]
    assert byte_progressions(challenges) == [
        "16 个随机数中，8 字节的第 8 字节始终不变（恒为 00） / byte 8 of 8 never changes (always 00) over 16 challenges"
    ]


def test_random_challenges_show_no_counter() -> None:
    assert counter_findings([sha256_stream(16, bytes([k])) for k in range(16)]) == []


def test_challenges_needed_rounds_up_to_whole_challenges() -> None:
    assert challenges_needed(20000, 16) == 157 and challenges_needed(20000, 8) == 313 and challenges_needed(128, 16) == 1


def _sampler(samples: list[bytes]) -> tuple[list[bytes], object]:
    drawn: list[bytes] = []

    def draw() -> bytes:
        drawn.append(samples[len(drawn)])
        return drawn[-1]

    return drawn, draw


# A good stream that happens to fail one test (the monobit test, p < 0.01): what a perfect generator
# gives in about 1 % of samples per test — found by trying seeds b"one0", b"one1", …
ONE_FAILURE = sha256_stream(2500, b"one7")


def test_a_sample_failing_one_test_is_retested_once() -> None:
    good = sha256_stream(2500)
    one = ONE_FAILURE
    first = run_battery(one, PARAMETERS)
    assert [r.name for r in first if not r.passed] == ["monobit"], first
    drawn, draw = _sampler([one, good])
    verdict = judge_battery(draw, PARAMETERS)  # type: ignore[arg-type]  # a stub draw function stands in for the card
    assert verdict.passed and len(verdict.rounds) == 2 and len(drawn) == 2
    drawn, draw = _sampler([one, one])
    verdict = judge_battery(draw, PARAMETERS)  # type: ignore[arg-type]  # as above
    assert not verdict.passed and len(verdict.rounds) == 2 and "retest 1" in verdict.describe()
    assert all(chinese_first(line) for line in verdict.describe().splitlines()) and "第 1 次重测" in verdict.describe()


def test_a_sample_failing_two_tests_is_not_retested() -> None:
    drawn, draw = _sampler([bytes([0x55, 0xAA]) * 1250, sha256_stream(2500)])
    verdict = judge_battery(draw, PARAMETERS)  # type: ignore[arg-type]  # as above
    assert not verdict.passed and len(verdict.rounds) == 1 and len(drawn) == 1


def test_no_retest_when_the_profile_allows_none() -> None:
    strict = BatteryParameters(PARAMETERS.alpha, PARAMETERS.block_length, PARAMETERS.poker_width, PARAMETERS.min_bits, retests=0)
    drawn, draw = _sampler([ONE_FAILURE, sha256_stream(2500)])
    assert not judge_battery(draw, strict).passed and len(drawn) == 1  # type: ignore[arg-type]  # as above
