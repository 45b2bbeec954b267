"""Is the card's GET CHALLENGE a random number generator, or something that only looks distinct?

Distinct values within one session prove little: a counter, an arithmetic progression, or a
generator that restarts at every power-on all give distinct challenges within a session. This
module judges a sample of challenges in two ways:

- **structure** — the first challenge after each reset must differ from every other first
  challenge (a generator re-seeded identically at power-on repeats them), and successive
  challenges must not form an arithmetic progression (a counter is one with step 1) when read
  as big- or little-endian integers;
- **statistics** — the randomness tests of GM/T 0005-2021 (which follows NIST SP 800-22 rev. 1a)
  on the concatenated bits: monobit frequency, block frequency, runs and poker, each a p-value
  compared with the significance level α (0.01 in both standards).

The statistic formulas are those of NIST SP 800-22 rev. 1a §2.1 (frequency), §2.2 (block
frequency), §2.3 (runs) and GM/T 0005-2021 §6.3 (poker); the known-answer examples of SP 800-22
are in the unit tests. The parameters (α, block lengths, sample sizes) come from the profile's
`randomness` section, so a lab can use the values of its own edition of the standard.

At α = 0.01 a perfect generator fails one of the four tests in about 4 % of samples, so a single
sample cannot carry a verdict a lab signs. `judge_battery` applies the retest rule of BSI AIS 31:
a sample failing exactly one test is replaced by a fresh one (as often as the profile allows); a
sample failing two or more tests, or a failing retest, fails the generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from scipy.special import gammaincc

from ssc.profile.model import RandomnessSpec

__all__ = [
    "BatteryParameters",
    "BatteryVerdict",
    "TestResult",
    "arithmetic_progressions",
    "bits_of",
    "block_frequency_test",
    "byte_progressions",
    "challenges_needed",
    "counter_findings",
    "judge_battery",
    "monobit_test",
    "poker_test",
    "repeated_first_challenges",
    "run_battery",
    "runs_test",
]


@dataclass(frozen=True)
class BatteryParameters:
    """The battery's parameters (GM/T 0005-2021 / NIST SP 800-22 rev. 1a), from the profile."""

    alpha: float  # significance level of every test
    block_length: int  # block frequency: M ≥ 20, M > 0.01·n and n/M < 100 for n = min_bits
    poker_width: int  # poker: m-bit words, m = 4 or 8 in GM/T 0005 (m = 8 needs n ≥ 5·2^8·8 bits)
    min_bits: int  # the smallest sample judged
    retests: int = 0  # fresh samples allowed after a sample failing exactly one test

    @classmethod
    def from_profile(cls, spec: RandomnessSpec) -> BatteryParameters:
        return cls(spec.alpha, spec.block_length, spec.poker_width, spec.min_bits, spec.retests)


# The tests' names as the feature writes them (样本通过单比特频数、块内频数、游程与扑克检测).
TEST_NAMES_ZH = {"monobit": "单比特频数检测", "block frequency": "块内频数检测", "runs": "游程检测", "poker": "扑克检测"}


@dataclass(frozen=True)
class TestResult:
    """One statistical test: its name, statistic, p-value and whether it passed at α."""

    name: str
    statistic: float
    p_value: float
    passed: bool
    detail: str = ""


def bits_of(data: bytes) -> list[int]:
    """The bits of `data`, most significant first (the order the card sent them)."""
    return [(byte >> (7 - i)) & 1 for byte in data for i in range(8)]


def monobit_test(bits: Sequence[int], alpha: float = 0.01) -> TestResult:
    """Frequency (monobit): are ones and zeros about equally frequent? (SP 800-22 §2.1)"""
    n = len(bits)
    if n == 0:
        raise ValueError("the monobit test needs at least one bit")
    s = sum(2 * b - 1 for b in bits)
    s_obs = abs(s) / math.sqrt(n)
    p = math.erfc(s_obs / math.sqrt(2))
    return TestResult("monobit", s_obs, p, p >= alpha, f"n={n}, S={s}")


def block_frequency_test(bits: Sequence[int], block_length: int, alpha: float = 0.01) -> TestResult:
    """Frequency within blocks of M bits: is each block's share of ones about 1/2? (SP 800-22 §2.2)"""
    n_blocks = len(bits) // block_length
    if n_blocks == 0:
        raise ValueError(f"the block frequency test needs at least one block of {block_length} bits")
    chi2 = 0.0
    for i in range(n_blocks):
        block = bits[i * block_length : (i + 1) * block_length]
        pi = sum(block) / block_length
        chi2 += (pi - 0.5) ** 2
    chi2 *= 4 * block_length
    p = float(gammaincc(n_blocks / 2, chi2 / 2))
    return TestResult("block frequency", chi2, p, p >= alpha, f"M={block_length}, N={n_blocks}")


def runs_test(bits: Sequence[int], alpha: float = 0.01) -> TestResult:
    """Runs: do runs of identical bits alternate as often as chance says? (SP 800-22 §2.3)

    The prerequisite frequency check (|π − 1/2| < 2/√n) is part of the test: a sample that fails
    it gets p = 0, as the standard prescribes."""
    n = len(bits)
    if n < 2:
        raise ValueError("the runs test needs at least two bits")
    pi = sum(bits) / n
    tau = 2 / math.sqrt(n)
    if abs(pi - 0.5) >= tau:
        return TestResult("runs", float("nan"), 0.0, False, f"频数前提不满足 frequency prerequisite failed: π={pi:.4f}, τ={tau:.4f}")
    v_obs = 1 + sum(1 for k in range(n - 1) if bits[k] != bits[k + 1])
    numerator = abs(v_obs - 2 * n * pi * (1 - pi))
    denominator = 2 * math.sqrt(2 * n) * pi * (1 - pi)
    p = math.erfc(numerator / denominator)
    return TestResult("runs", float(v_obs), p, p >= alpha, f"n={n}, V={v_obs}")


def poker_test(bits: Sequence[int], width: int, alpha: float = 0.01) -> TestResult:
    """Poker: are all 2^m words of m bits about equally frequent? (GM/T 0005-2021 §6.3)

    V = 2^m / N · Σ n_i² − N follows χ² with 2^m − 1 degrees of freedom."""
    n_words = len(bits) // width
    if n_words == 0:
        raise ValueError(f"the poker test needs at least one {width}-bit word")
    counts = [0] * (1 << width)
    for i in range(n_words):
        value = 0
        for b in bits[i * width : (i + 1) * width]:
            value = (value << 1) | b
        counts[value] += 1
    v = (1 << width) / n_words * sum(c * c for c in counts) - n_words
    p = float(gammaincc(((1 << width) - 1) / 2, v / 2))
    return TestResult("poker", v, p, p >= alpha, f"m={width}, N={n_words}")


def run_battery(sample: bytes, parameters: BatteryParameters) -> list[TestResult]:
    """Every statistical test of the battery on `sample` (the concatenated challenges)."""
    bits = bits_of(sample)
    if len(bits) < parameters.min_bits:
        raise ValueError(f"the battery needs at least {parameters.min_bits} bits, got {len(bits)}")
    a = parameters.alpha
    return [
        monobit_test(bits, a),
        block_frequency_test(bits, parameters.block_length, a),
        runs_test(bits, a),
        poker_test(bits, parameters.poker_width, a),
    ]


def repeated_first_challenges(first_challenges: Sequence[bytes]) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of resets whose first challenge was the same value."""
    seen: dict[bytes, int] = {}
    repeats = []
    for j, value in enumerate(first_challenges):
        if value in seen:
            repeats.append((seen[value], j))
        else:
            seen[value] = j
    return repeats


_ORDER_ZH = {"big": "大端", "little": "小端"}


def _progressions(challenges: Sequence[bytes], min_length: int) -> list[tuple[str, int, int]]:
    """(byte order, step, first challenge, counting from 1) of each progression found."""
    found: list[tuple[str, int, int]] = []
    orders: tuple[Literal["big"], Literal["little"]] = ("big", "little")
    for order in orders:
        values = [int.from_bytes(c, order) for c in challenges]
        run = 2
        for k in range(2, len(values)):
            run = run + 1 if values[k] - values[k - 1] == values[k - 1] - values[k - 2] else 2
            if run >= min_length:
                found.append((order, values[k] - values[k - 1], k - run + 1))
                break
    return found


def arithmetic_progressions(challenges: Sequence[bytes], min_length: int = 3) -> list[str]:
    """The byte orders in which successive challenges form an arithmetic progression of at least
    `min_length` terms (a counter is the progression with step 1), Chinese first.

    A random 4-byte challenge continues a given progression with probability 2^-32, so three terms
    in a row are already no accident; the check reads each challenge as a big- and as a
    little-endian integer, since a counter may be stored either way."""
    return [
        f"按{_ORDER_ZH[order]}整数，公差 {step}，自第 {start} 个随机数起 / {order}-endian, step {step}, from challenge {start}"
        for order, step, start in _progressions(challenges, min_length)
    ]


def byte_progressions(challenges: Sequence[bytes]) -> list[str]:
    """Byte positions whose value steps by the same amount (mod 256) from each challenge to the
    next, over the whole series.

    A counter with any step, stored in any byte order (big- or little-endian, or bytes permuted),
    has one byte position — its least significant byte that changes — stepping by a constant
    modulo 256; a constant step of 0 is a byte that never changes. For random challenges a given
    position does so over k challenges with probability 256^-(k-2): negligible for the profile's
    series of 16."""
    if len(challenges) < 3:
        raise ValueError(f"a progression needs at least 3 challenges, got {len(challenges)}")
    width = min(len(c) for c in challenges)
    found = []
    for pos in range(width):
        values = [c[pos] for c in challenges]
        steps = {(b - a) % 256 for a, b in zip(values, values[1:], strict=False)}
        if len(steps) == 1:
            step = steps.pop()
            what = f"never changes (always {values[0]:02X})" if step == 0 else f"steps by {step:02X} (mod 256) each time"
            what_zh = f"始终不变（恒为 {values[0]:02X}）" if step == 0 else f"每次增加 {step:02X}（模 256）"
            found.append(
                f"{len(challenges)} 个随机数中，{width} 字节的第 {pos + 1} 字节{what_zh} / "
                f"byte {pos + 1} of {width} {what} over {len(challenges)} challenges"
            )
    return found


def counter_findings(challenges: Sequence[bytes]) -> list[str]:
    """Everything that shows `challenges` (successive, from one session) to be a counter or an
    arithmetic progression: as whole big- or little-endian integers, or at any byte position."""
    whole = [
        f"随机数构成等差数列（按{_ORDER_ZH[order]}整数，公差 {step}，自第 {start} 个随机数起）/ "
        f"the challenges form an arithmetic progression ({order}-endian, step {step}, from challenge {start})"
        for order, step, start in _progressions(challenges, 3)
    ]
    return whole + byte_progressions(challenges)


def challenges_needed(bits: int, challenge_length: int) -> int:
    """GET CHALLENGEs of `challenge_length` bytes that give at least `bits` bits."""
    return -(-bits // (8 * challenge_length))


@dataclass(frozen=True)
class BatteryVerdict:
    """The battery's outcome: every sample judged (the first, then any retests) and the verdict."""

    rounds: tuple[tuple[TestResult, ...], ...]
    passed: bool

    def describe(self) -> str:
        """One line per sample judged, Chinese first: ``样本：单比特频数检测 p=0.0003 不通过（统计量 …）… / sample: monobit …``."""
        lines = []
        for i, results in enumerate(self.rounds):
            label = "sample" if i == 0 else f"retest {i}"
            label_zh = "样本" if i == 0 else f"第 {i} 次重测"
            zh = "；".join(
                f"{TEST_NAMES_ZH.get(r.name, r.name)} p={r.p_value:.4f} {'通过' if r.passed else '不通过'}（统计量 {r.statistic:.3f}，{r.detail}）"
                for r in results
            )
            en = "; ".join(
                f"{r.name} p={r.p_value:.4f} {'pass' if r.passed else 'FAIL'} (statistic {r.statistic:.3f}, {r.detail})" for r in results
            )
            lines.append(f"{label_zh}：{zh} / {label}: {en}")
        return "\n".join(lines)


def judge_battery(draw: Callable[[], bytes], parameters: BatteryParameters) -> BatteryVerdict:
    """Run the battery on `draw()`; a sample failing exactly one test is replaced by a fresh
    `draw()` up to `parameters.retests` times (BSI AIS 31's retest rule). Two or more failing
    tests in one sample, or a failure left after the last retest, fail the generator."""
    rounds: list[tuple[TestResult, ...]] = []
    while True:
        results = tuple(run_battery(draw(), parameters))
        rounds.append(results)
        failed = sum(1 for r in results if not r.passed)
        if failed == 0:
            return BatteryVerdict(tuple(rounds), True)
        if failed > 1 or len(rounds) > parameters.retests:
            return BatteryVerdict(tuple(rounds), False)
