"""pytest plugin of the reader plan (`ssc-conform run --plan reader`): the reader under test, not
the card, is certified.

A reader-plan run collects reader_suite/ (every feature under features/readers/, RDR-1..6), opens
the reader under test once (`harness.reader_session.ReaderSession`), and writes results.json with
``"plan": "reader"`` and an overall verdict against the reader plan (`harness.plan.reader_plan`):
a card run never certifies a reader and a reader run never certifies a card. harness.plugin (the
card plan) stands aside in a reader-plan run; the verdict rules (harness.results) are the same.

RDR-6 (the reader's programming interface, features/readers/library.feature) needs the library
under test: without --lib its scenarios are not run ("no --lib given"). With it, RDR-6 serves its
own reference cards and PSAMs in the two vpcd slots and swaps them for its error conditions
(`harness.reader_rig`), so the RDR-6 scenarios run last: before the first of them the plan closes
its connections to the reader under test and gives up the reader-test card and PSAM it served
(`harness.reader_serve.release_served`). No later scenario needs them again. With a physical
reader under test there is no vpcd rig: the operator (--operator) makes each condition in the
reader under test and its PSAM reader, and the kit checks it over PC/SC
(`harness.reader_operator_rig`).
"""

from __future__ import annotations

import datetime
import platform
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.reader_session import NO_LIB
from harness.results import FAILED, INCONCLUSIVE, NOT_RUN, PASSED, ScenarioResult, write_results
from ssc.catalogue import load_catalogue

if TYPE_CHECKING:
    from pluggy import Result

    from harness.reader_session import ReaderSession

CARD, READER = "card", "reader"
LATENCY_PICTURE = "latency.svg"  # the RDR-5 histogram beside report.html, for a lab's own report
LIBRARY_REQUIREMENT = "RDR-6"  # the scenarios that call the reader library
UNAVAILABLE = "the reader under test could not be opened"
_SESSION = pytest.StashKey["ReaderSession"]()
_RESULTS = pytest.StashKey[list]()
_TRACE_START = pytest.StashKey[int]()
_REPORTS = pytest.StashKey[list]()
_INCONCLUSIVE = pytest.StashKey[str]()
_RELEASED = pytest.StashKey[bool]()
_SLOTS_BLOCKED = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ssc-reader", "reader plan (RDR)")
    group.addoption("--ssc-plan", choices=(CARD, READER), default=CARD, help="card (default) or reader: what the run certifies")
    group.addoption("--ssc-reader", default=None, help="the reader under test: PC/SC name or pattern")
    group.addoption("--ssc-psam-reader", default=None, help="the reader holding the PSAM (RDR-4)")
    group.addoption("--ssc-lib", default=None, help="the reader library under test (RDR-6)")
    group.addoption("--ssc-card-atr", default=None, help="the declared ATR (hex) of a physical test card")
    group.addoption("--ssc-long-run", type=int, default=None, help="APDUs of the RDR-5 long run (default: ssc/data/reader-test.yaml)")


def is_reader_plan(config: pytest.Config) -> bool:
    """True in a reader-plan run (harness.plugin then stands aside)."""
    return bool(config.getoption("--ssc-plan", default=CARD) == READER)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RESULTS] = []
    for tag in test_case_tags():
        config.addinivalue_line("markers", f"{tag}: reader-plan test case")


def test_case_tags() -> list[str]:
    """The test-case IDs (``@TC-RDR-…``) of the reader features, registered as markers."""
    import re

    root = Path(__file__).resolve().parent.parent / "features" / "readers"
    found = {m for path in root.glob("*.feature") for m in re.findall(r"@(TC-RDR-[0-9A-Za-z-]+)", path.read_text(encoding="utf-8"))}
    return sorted(found)


def _is_scenario(item: pytest.Item) -> bool:
    return "_pytest_bdd_example" in getattr(item, "fixturenames", ())


def _tags(item: pytest.Item) -> set[str]:
    return {m.name for m in item.iter_markers()}


def _open(config: pytest.Config) -> ReaderSession:
    from harness.operator import operator_from_option
    from harness.reader_session import ReaderSession

    atr = config.getoption("--ssc-card-atr")
    lib = config.getoption("--ssc-lib")
    timeout = config.getoption("--ssc-apdu-timeout", default=None)
    session = ReaderSession(
        reader_pattern=config.getoption("--ssc-reader") or "",
        psam_pattern=config.getoption("--ssc-psam-reader"),
        lib=Path(lib) if lib else None,
        declared_atr=bytes.fromhex(atr) if atr else None,
        long_run=config.getoption("--ssc-long-run"),
        apdu_timeout=5.0 if timeout is None else float(timeout),
        operator=operator_from_option(config.getoption("--ssc-operator", default=None)),
    )
    session.open()
    return session


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """RDR-6 last (stable otherwise): its rig takes the vpcd slots over from the served cards."""
    if is_reader_plan(config):
        items.sort(key=lambda item: _is_scenario(item) and LIBRARY_REQUIREMENT in _tags(item))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the first RDR-6 scenario that runs (a library given): close the reader under test and
    stop the cards the plan served, before any fixture of the scenario serves RDR-6's own."""
    config = item.config
    if not is_reader_plan(config) or not _is_scenario(item) or LIBRARY_REQUIREMENT not in _tags(item):
        return
    reader = config.stash.get(_SESSION, None)
    if config.stash.get(_RELEASED, False) or reader is None or reader.lib is None or reader.error is not None:
        return
    from harness.reader_serve import release_served, slots_blocked

    config.stash[_RELEASED] = True
    physical = reader.physical
    reader.close()
    if physical:  # no vpcd rig: the operator makes RDR-6's conditions in the reader under test
        return
    release_served()
    blocked = slots_blocked()
    if blocked is not None:
        config.stash[_SLOTS_BLOCKED] = blocked


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """Open the reader before the first scenario; when it cannot be opened (no reader by that
    name, no card, no pcscd) every scenario is not run and none runs."""
    config = session.config
    if not is_reader_plan(config) or config.option.collectonly:
        return None
    scenarios = [item for item in session.items if _is_scenario(item)]
    if not scenarios:
        return None
    from harness.exitstatus import UNAVAILABLE_ERRORS
    from harness.plugin import _PROGRESS
    from harness.progress import Progress

    if config.getoption("--ssc-progress", default=False):
        config.stash[_PROGRESS] = Progress(len(session.items))
    reader = _open(config)
    config.stash[_SESSION] = reader
    if reader.error_type not in UNAVAILABLE_ERRORS and reader.error is None:
        return None
    for item in scenarios:
        config.stash[_RESULTS].append(_result(item, NOT_RUN, f"{UNAVAILABLE}: {reader.error}"))
    return True


@pytest.fixture(scope="session")
def ssc_reader_session(request: pytest.FixtureRequest) -> Iterator[ReaderSession]:
    """The reader-plan session (opened by pytest_runtestloop; closed at the end of the run)."""
    session = request.config.stash.get(_SESSION, None)
    if session is None:
        session = _open(request.config)
        request.config.stash[_SESSION] = session
    yield session
    session.close()


@pytest.fixture(autouse=True)
def _ssc_reader_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Before a reader scenario: the reader is open, RDR-6 has its library."""
    if not is_reader_plan(request.config) or not _is_scenario(request.node):
        yield
        return
    reader: ReaderSession = request.getfixturevalue("ssc_reader_session")
    if reader.error is not None:
        pytest.fail(f"{UNAVAILABLE}: {reader.error}", pytrace=False)
    if LIBRARY_REQUIREMENT in _tags(request.node):
        if reader.lib is None:
            pytest.skip(NO_LIB)
        blocked = request.config.stash.get(_SLOTS_BLOCKED, None)
        if blocked is not None:
            from checks.verdicts import Inconclusive

            raise Inconclusive(blocked)
    request.node.stash[_TRACE_START] = len(reader.recorder)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    if not is_reader_plan(item.config) or not _is_scenario(item):
        return
    report = outcome.get_result()
    reports = item.stash.setdefault(_REPORTS, [])
    reports.append(report)
    from harness.plugin import phase_inconclusive

    reason = phase_inconclusive(report, call, "the reader's doing")
    if reason is not None and _INCONCLUSIVE not in item.stash:
        item.stash[_INCONCLUSIVE] = reason
    if report.when == "teardown":
        _record(item, reports)


def _record(item: pytest.Item, reports: list[pytest.TestReport]) -> None:
    from harness.plugin import _PROGRESS, _failure_text

    verdict, reason = PASSED, ""
    for rep in reports:
        if rep.skipped:
            verdict = NOT_RUN
            reason = rep.longrepr[2].removeprefix("Skipped: ") if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
            break
        if rep.failed:
            verdict, reason = FAILED, _failure_text(rep)
            if _INCONCLUSIVE in item.stash:
                verdict, reason = INCONCLUSIVE, item.stash[_INCONCLUSIVE]
            break
    reader = item.config.stash.get(_SESSION, None)
    trace: list[dict[str, Any]] = []
    if reader is not None and _TRACE_START in item.stash:
        trace = [e.to_dict() for e in reader.recorder.entries[item.stash[_TRACE_START] :]]
    result = _result(item, verdict, reason, trace=trace, duration=sum(r.duration for r in reports))
    item.config.stash[_RESULTS].append(result)
    progress = item.config.stash.get(_PROGRESS, None)
    if progress is not None:
        progress.finished(verdict, result.requirements, result.name, reason)


def _result(
    item: pytest.Item, verdict: str, reason: str, *, trace: list[dict[str, Any]] | None = None, duration: float = 0.0
) -> ScenarioResult:
    from harness.plugin import scenario_identity

    trace = trace or []
    return ScenarioResult(
        **scenario_identity(item, load_catalogue()),  # keyed by the test-case ID, as the card plan's
        verdict=verdict,
        reason=reason,
        duration_s=round(duration, 4),
        apdus=sum(1 for e in trace if e["kind"] == "apdu"),
        resets=sum(1 for e in trace if e["kind"] == "reset"),
        trace=trace,
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if not is_reader_plan(config):
        return
    report_dir = config.getoption("--ssc-report-dir", default=None)
    if not report_dir:
        return
    from harness.plan import overall_verdict, reader_plan
    from harness.plugin import _DESELECTED, INTERRUPTED, _feature_files

    reader: ReaderSession | None = config.stash.get(_SESSION, None)
    results: list[ScenarioResult] = config.stash[_RESULTS]
    interrupted = int(exitstatus) == int(pytest.ExitCode.INTERRUPTED)
    if interrupted:
        done = {r.node_id for r in results}  # node ids: a result's `id` is its test-case ID
        results += [_result(i, NOT_RUN, INTERRUPTED) for i in session.items if _is_scenario(i) and i.nodeid not in done]
    deselected: list[list[str]] = config.stash.get(_DESELECTED, [])
    suite = [sorted(_tags(item)) for item in session.items if _is_scenario(item)] + deselected
    catalogue = load_catalogue()
    plan = reader_plan(catalogue, suite, reader.profile.name if reader is not None else "unknown")
    partial = bool(config.getoption("keyword", "") or config.getoption("markexpr", "") or deselected)
    run_info: dict[str, Any] = {
        "interrupted": interrupted,
        "started": datetime.datetime.fromtimestamp(reader.started if reader else time.time(), datetime.UTC).isoformat(),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(),
        "python": platform.python_version(),
        "pytest_exit_status": int(exitstatus),
        "run_id": config.getoption("--ssc-run-id", default=None) or Path(report_dir).resolve().name,
        "reader": reader.measurements if reader is not None else {},
        "features": _feature_files(session.items),
    }
    dut = reader.describe() if reader is not None else {"plan": READER, "reader": config.getoption("--ssc-reader")}
    write_results(
        Path(report_dir) / "results.json",
        dut,
        run_info,
        results,
        catalogue,
        verdict=lambda requirements: overall_verdict(plan, requirements, partial=partial, interrupted=interrupted),
        plan=READER,
        in_plan=plan.requirements,  # the card plan's requirements are out_of_plan, not rows of this run
    )
    kinds = run_info["reader"].get("latency", {}).get("kinds")
    if kinds:
        from reports.latency_svg import latency_svg

        (Path(report_dir) / LATENCY_PICTURE).write_text(latency_svg(kinds), encoding="utf-8")
