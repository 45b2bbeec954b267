"""`ssc-conform plan`: collect the suite, decide each case's applicability, estimate, print.

Without a card the plan is made for the generation the ICS declares (or --profile, else gen2) at
the default or given per-APDU latency. With ``--card`` the card is opened first: a card in a
reader has its profile detected as a run would, and the latency is measured on it (the median of
a few SELECT MF exchanges) unless --latency-ms is given. Nothing is written to the card.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cardspec import parse_card_spec
from harness.cases import Case
from harness.exitstatus import UsageError
from harness.ics import Ics, IcsError, load_ics, reference_ics_path
from harness.testplan import DEFAULT_LATENCY_MS, TestPlan, build_test_plan

__all__ = ["PlanOptions", "collect_cases", "make_plan", "measure_latency_ms"]

LATENCY_SAMPLES = 15


@dataclass(frozen=True)
class PlanOptions:
    card: str | None = None  # None: no card, a plan on paper
    profile: str | None = None
    ics: Path | None = None
    declaration: Path | None = None
    allow_destructive: bool = False
    latency_ms: float | None = None
    of: str = "card"


class _Collector:
    """A pytest plugin keeping the cases the ssc plugin named at collection."""

    def __init__(self) -> None:
        self.cases: list[Case] = []

    def pytest_collection_finish(self, session: Any) -> None:
        from harness.plugin import _CASES

        self.cases = list(session.config.stash.get(_CASES, []))


def collect_cases(of: str = "card") -> list[Case]:
    """Every case of the plan `of` (card: suite/; reader: reader_suite/, RDR-1..6; all: both), as a
    run would collect it (pytest --collect-only, output kept quiet)."""
    import pytest

    from harness.run import PROJECT_ROOT, READER_SUITE_DIR, SUITE_DIR

    collector = _Collector()
    dirs = {"card": [SUITE_DIR], "reader": [READER_SUITE_DIR]}.get(of, [SUITE_DIR, READER_SUITE_DIR])
    args = [*map(str, dirs), "-p", "harness.plugin", "-p", "no:cacheprovider", "--collect-only", "-q", f"--rootdir={PROJECT_ROOT}"]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = pytest.main(args, plugins=[collector])
    if int(code) not in (0, 5):
        raise UsageError(f"the suite could not be collected (pytest exit status {int(code)}): {out.getvalue().strip()[-400:]}")
    return collector.cases


def measure_latency_ms(dut: Any, profile: Any, samples: int = LATENCY_SAMPLES) -> float:
    """The median time of one exchange with the card (SELECT MF by FID), in milliseconds."""
    from terminal.channel import Terminal
    from terminal.session import CardSession

    card = CardSession(Terminal(dut.transport, profile), check=False)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        card.select_path(profile.files["MF"].path, by="fid", check=False)
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def _ics(options: PlanOptions, generation: str | None, reference: bool) -> Ics | None:
    path = options.ics
    if path is None and reference and generation is not None:
        path = reference_ics_path(generation)
    if path is None:
        return None
    try:
        return load_ics(path)
    except IcsError as exc:
        raise UsageError(f"--ics: {exc}") from None


def make_plan(options: PlanOptions) -> TestPlan:
    from harness.apdu_estimates import load_estimates
    from harness.declaration import DeclarationError, load_declaration
    from harness.optioncheck import run_profile
    from harness.profiles import detect_profile
    from ssc.catalogue import load_catalogue
    from ssc.keyset import TestKeySet

    if options.declaration is not None:
        try:
            load_declaration(options.declaration)
        except DeclarationError as exc:
            raise UsageError(f"--declaration: {exc}") from None
    given_ics = _ics(options, None, False)
    latency, source = (options.latency_ms, "--latency-ms") if options.latency_ms is not None else (DEFAULT_LATENCY_MS, "default")
    reference = False
    if options.card is None:
        name = options.profile or (f"gen{given_ics.doc.generation}" if given_ics and given_ics.doc.generation else "gen2")
        profile = run_profile(parse_card_spec("reference"), name)
    else:
        from harness.dut import open_dut

        spec = parse_card_spec(options.card)
        reference = spec.is_virtual_reference
        profile = run_profile(spec, options.profile)
        try:
            dut = open_dut(spec, profile, TestKeySet.for_profile(profile))
        except Exception as exc:  # no reader, no card, no pcscd: the operator's to fix
            raise UsageError(f"--card {options.card}: the card could not be opened: {exc}") from None
        try:
            if spec.kind == "reader" and not options.profile:
                profile = detect_profile(dut.transport, profile)
            if options.latency_ms is None:
                latency, source = measure_latency_ms(dut, profile), f"measured on {dut.description}"
        finally:
            dut.close()
    ics = given_ics or _ics(options, profile.name, reference)
    declaration = options.declaration is not None or (ics is not None and ics.declaration_path is not None)
    return build_test_plan(
        collect_cases(options.of),
        load_catalogue(),
        profile,
        ics,
        load_estimates(),
        of=options.of,
        allow_destructive=options.allow_destructive or reference,
        declaration=declaration,
        latency_ms=latency,
        latency_source=source,
    )
