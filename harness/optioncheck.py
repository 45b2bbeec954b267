"""Checks of the run options that need the standard's data: PIN rules from the profile, terminal
regions from the registry, lab key files against the profile's algorithm, pytest's -k/-m grammar.

They run before the card is opened, so an operator's typo is one line naming the option (exit
status 2) instead of a run in which every requirement fails — or, on a card in a reader, dozens of
malformed VERIFY commands that spend the card's PIN tries.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.cardspec import CardSpec
from harness.exitstatus import UsageError
from ssc.keyset import KeyFileError, LabKeyFile
from ssc.profile import ProfileError, builtin_profiles, load_profile
from ssc.profile.model import Profile


def run_profile(spec: CardSpec, option: str | None) -> Profile:
    """The profile the run starts with (the one checked against); `--profile` that does not load
    is bad input, never a run of failed requirements."""
    from harness.profiles import initial_profile

    try:
        return initial_profile(spec, option)
    except (ProfileError, OSError, ValueError) as exc:
        raise UsageError(f"--profile {option}: {_one_line(exc)}") from None


def check_pin(pin: str, profile: Profile) -> None:
    """Decimal digits only, as many as VERIFY of the profile carries in BCD (two digits a byte, an
    odd count padded with F). The PIN itself is never echoed: it is a secret of the card."""
    verify = profile.command("verify")
    low, high = verify.byte("min_pin_bytes"), verify.byte("max_pin_bytes")
    fewest, most = 2 * low - 1, 2 * high
    if not (pin.isascii() and pin.isdigit() and fewest <= len(pin) <= most):
        got = "an empty PIN" if not pin else f"{len(pin)} characters" + ("" if pin.isascii() and pin.isdigit() else ", not all digits")
        raise UsageError(
            f"--pin: expected {fewest} to {most} decimal digits (VERIFY of profile {profile.name} carries {low} to {high} BCD bytes), got {got}"
        )


def check_regions(codes: Sequence[str]) -> None:
    from terminal.regions import RegionError, load_regions

    try:
        registry = load_regions()
    except RegionError as exc:
        raise UsageError(f"--regions: the region registry cannot be used: {_one_line(exc)}") from None
    unknown = [code for code in codes if code not in registry]
    if unknown:
        raise UsageError(f"--regions: unknown region(s) {', '.join(unknown)}; known regions: {', '.join(registry.codes)}")


def check_keys(path: Path, profile: Profile | None) -> None:
    """The key file loads and holds a national root for the algorithm of the card's profile (any
    built-in profile's when the profile is detected from the card later): a file without one
    could only fail every authentication."""
    try:
        keys = LabKeyFile.load(path)
    except KeyFileError as exc:
        raise UsageError(f"--keys: {_one_line(exc)}") from None
    algorithms = [profile.algorithm] if profile is not None else sorted({load_profile(p).algorithm for p in builtin_profiles()}, key=str)
    held = {alg for (_, _, alg) in keys.national}
    if not held.intersection(algorithms):
        wanted = " or ".join(a.value for a in algorithms)
        raise UsageError(f"--keys {path}: holds no national root for {wanted}; no authentication could succeed with it")


def check_expression(flag: str, text: str) -> None:
    """pytest's own -k/-m grammar, checked before the run (pytest would stop with exit status 4
    only after collecting the suite)."""
    from _pytest.mark import expression

    parse_errors: tuple[type[Exception], ...] = (SyntaxError,)
    legacy = getattr(expression, "ParseError", None)  # pytest < 9
    if isinstance(legacy, type) and issubclass(legacy, Exception):
        parse_errors += (legacy,)
    try:
        expression.Expression.compile(text)
    except parse_errors as exc:
        where = f"at column {exc.offset}: {exc.msg}" if isinstance(exc, SyntaxError) else str(exc)
        raise UsageError(f"{flag} {text!r}: not a valid expression, {where}") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
