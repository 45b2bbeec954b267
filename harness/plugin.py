"""pytest plugin that turns a pytest-bdd run into a conformance run.

Options say which card, profile, key source (public test roots, a lab key file, a hardware PSAM),
issuer declaration and terminals to use; fixtures hand the suite a traced terminal over the device
under test and a PSAM per terminal region; hooks fold each scenario's outcome, APDU trace and
counters into results.json. Scenarios of the personalization review (PER) need an issuer
declaration: without one they are reported not run. Only this layer knows about options.

The device under test is opened once, before the first scenario: when there is no reader by that
name, no card in it or no PC/SC service at all, no scenario runs (each is reported not run with
the reason, `dut.error_type` says why) and `ssc-conform run` stops with exit status 2 — a missing
card is the operator's to fix, not a verdict on the card.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import platform
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from checks.verdicts import Inconclusive
from harness.cardspec import CardSpec, parse_card_spec
from harness.cardwatch import DEFAULT_CARD_GRACE, CardWatch, loss_of
from harness.cases import example_params as _example_params
from harness.cases import is_scenario as _is_scenario
from harness.cases import item_tags as _tags
from harness.cases import scenario_names as _scenario_names
from harness.exitstatus import UNAVAILABLE_ERRORS
from harness.progress import Progress
from harness.results import (
    FAILED,
    INCONCLUSIVE,
    NOT_APPLICABLE,
    NOT_APPLICABLE_VERDICT,
    NOT_RUN,
    PASSED,
    ScenarioResult,
    inconclusive_reason,
    write_results,
)
from harness.tags import GENERATION_TAGS, OTHER_TAGS
from ssc.catalogue import Catalogue, load_catalogue

if TYPE_CHECKING:
    from pluggy import Result

    from harness.cases import Case
    from harness.plan import Plan
    from terminal.psam_client import PsamClient


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ssc", "social security card conformance run")
    group.addoption("--ssc-card", default="reference", help="reference[:gen1|gen2|gen3] or reader:NAME")
    group.addoption("--ssc-extra-card", action="append", default=[], help="reader:NAME of a further card: a row of the interop matrix")
    group.addoption("--ssc-card-set", default=None, help="card-set file (ssc-card-set/1): the lab's test cards for the interop matrix")
    group.addoption(
        "--ssc-operator", default=None, help="who does what the kit cannot do by bytes: console, none or an answer file (harness.operator)"
    )
    group.addoption("--ssc-profile", default=None, help="built-in profile name or a profile YAML file")
    group.addoption("--ssc-report-dir", default=None, help="write results.json here")
    group.addoption("--ssc-allow-destructive", action="store_true", default=False)
    group.addoption("--ssc-keys", default=None, help="lab test-key file (default: the profile's public test roots)")
    group.addoption("--ssc-pin", default=None, help="the card's current PIN (default: the profile's initial PIN)")
    group.addoption("--ssc-regions", default=None, help="comma-separated terminal regions (default: every region of the registry)")
    group.addoption("--ssc-fault", action="append", default=[], help="inject a named fault into the reference card")
    group.addoption(
        "--ssc-no-plan", action="store_true", default=False, help="leave the executed test plan out of results.json (runs without a report)"
    )
    group.addoption("--ssc-progress", action="store_true", default=False, help="print one line per scenario")
    group.addoption(
        "--ssc-first-failure",
        action="store_true",
        default=False,
        help="stop at the first scenario whose verdict is failed (an inconclusive one does not stop the run)",
    )
    group.addoption(
        "--ssc-declaration", default=None, help="the issuer declaration (ssc-declaration/1 YAML) the PER scenarios check the card against"
    )
    group.addoption(
        "--ssc-ics", default=None, help="the card's ICS (ssc-ics/1 YAML): which PROFILE options it implements; decides applicability"
    )
    group.addoption("--ssc-psam", default=None, help="reader:NAME — a hardware PSAM (PROFILE §7) for terminals of the card's region")
    group.addoption("--ssc-run-id", default=None, help="the run's id, written into results.json (default: a new one)")
    group.addoption(
        "--ssc-apdu-timeout", type=float, default=None, help="seconds a card in a reader may take to answer one command (default 5)"
    )
    group.addoption(
        "--ssc-card-grace", type=float, default=None, help="seconds to wait for a card that was removed or stopped answering (default 3)"
    )
    group.addoption(
        "--ssc-random-bits",
        type=int,
        default=None,
        help="bits the STD-CMD-3 randomness battery judges (default: the profile's randomness.min_bits)",
    )
    group.addoption("--ssc-robustness-budget", type=int, default=None, help="SEC-ROB-1: APDUs to send (default: the profile's budget)")
    group.addoption(
        "--ssc-tearing-offsets", type=int, default=None, help="SEC-TEAR-1: about this many byte offsets per write (default: every byte)"
    )


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    """Remember what --tags, -k or -m left out: the plan is computed over the whole suite, so a
    narrowed run is a partial plan and its deselected requirements show as not run."""
    for item in items:
        if _is_scenario(item):
            item.config.stash.setdefault(_DESELECTED, []).append(sorted(_tags(item)))


_DESELECTED = pytest.StashKey[list]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Remember every case of the suite as collected (before --tags/-k/-m deselect any: the plan
    of a narrowed run still lists them, harness.cases); scenarios that end the card's life (CARD
    BLOCK) run last, so nothing after them needs a live card."""
    from harness.cases import cases_of

    config.stash[_CASES] = cases_of(items)
    items.sort(key=lambda item: item.get_closest_marker("ends_card_life") is not None)


OBSERVATIONS = pytest.StashKey[list]()  # steps.context.ScenarioContext.observations of the scenario
_CASES = pytest.StashKey[list["Case"]]()  # harness.cases.Case of every scenario collected, deselected ones included


def pytest_configure(config: pytest.Config) -> None:
    for rid, req in load_catalogue().requirements.items():
        config.addinivalue_line("markers", f"{rid}: {req.title.en}")
    for tag in GENERATION_TAGS:
        config.addinivalue_line("markers", f"{tag}: applies to {tag} cards")
    for tag, text in OTHER_TAGS.items():
        config.addinivalue_line("markers", f"{tag}: {text}")
    for case_id in _case_ids(config):  # pytest-bdd marks an examples block's tags without the hook
        config.addinivalue_line("markers", f"{case_id}: test case")
    config.stash[_RESULTS] = []


def _case_ids(config: pytest.Config) -> list[str]:
    """The test-case IDs written in the suite's feature files (harness.case_ids)."""
    from harness.case_ids import scan

    base = Path(str(config.rootpath)) / (config.getini("bdd_features_base_dir") or "features")
    if not base.is_dir():
        return []
    cases, _ = scan(base)
    return sorted({i for c in cases for i in c.ids})


_RESULTS = pytest.StashKey[list]()
_SESSION = pytest.StashKey["SscSession"]()
_PROGRESS = pytest.StashKey[Progress]()


@dataclass
class SscSession:
    """Everything a conformance run shares across scenarios."""

    config: pytest.Config
    card_spec: CardSpec
    profile: Any
    keyset: Any
    dut: Any = None
    dut_error: str | None = None
    dut_error_type: str | None = None  # the exception class name when the card could not be opened
    regions: list[Any] = field(default_factory=list)
    psams: dict[str, Any] = field(default_factory=dict)
    allow_destructive: bool = False
    started: float = field(default_factory=time.time)
    declaration: Any = None  # harness.declaration.Declaration the PER scenarios check against
    declaration_error: str | None = None
    ics: Any = None  # harness.ics.Ics: the options the card implements (None: no ICS, option-dependent cases not run)
    ics_error: str | None = None
    psam_reader: str | None = None  # --psam reader:NAME: hardware PSAM for the card's region
    card_watch: CardWatch = field(default_factory=CardWatch)  # a removed or mute card, and the grace it gets
    scenario_summary: dict[str, Any] | None = None  # a bulk check's summary for the running scenario's result

    @property
    def initial_pin(self) -> str:
        """The card's personalized initial PIN: the embedded card is personalized with --pin when
        one is given; any other card has the profile's (region-configurable) initial PIN."""
        given = self.config.getoption("--ssc-pin")
        return given if given and self.card_spec.kind == "reference" else self.profile.security.pin.initial

    def psam_for(self, region_code: str) -> PsamClient:
        """The PSAM of a terminal in `region_code` (built once per run): the hardware PSAM given
        with --psam for the card's own region, a software PSAM otherwise."""
        if region_code not in self.psams:
            from harness.psam import hardware_psam, software_psam
            from terminal.regions import load_regions

            if self.psam_reader is not None and region_code == self.card_region:
                self.psams[region_code] = hardware_psam(self.profile, self.psam_reader)
            else:
                self.psams[region_code] = software_psam(self.profile, load_regions().get(region_code), self.keyset)
        return self.psams[region_code]

    @property
    def random_bits(self) -> int:
        """The sample size of the randomness battery: --random-bits, else the profile's minimum."""
        given = self.config.getoption("--ssc-random-bits")
        return int(given) if given is not None else int(self.profile.randomness.min_bits)

    def robustness_budget(self, profile_budget: int) -> int:
        """SEC-ROB-1's APDU budget: --robustness-budget, else the profile's for this kind of card."""
        given = self.config.getoption("--ssc-robustness-budget")
        return int(given) if given is not None else profile_budget

    @property
    def tearing_offsets(self) -> int | None:
        """SEC-TEAR-1's byte offsets per write through the hook: --tearing-offsets, else None (every byte)."""
        given = self.config.getoption("--ssc-tearing-offsets")
        return int(given) if given is not None else None

    @property
    def physical_reader(self) -> bool:
        """True when the card under test sits in a PC/SC reader (slow APDUs worth an estimate)."""
        return self.card_spec.kind == "reader"

    def announce(self, text: str) -> None:
        """A line for the operator in the middle of a scenario (e.g. what a long check will cost),
        past pytest's output capture and above the progress line."""
        import sys

        capture = self.config.pluginmanager.getplugin("capturemanager")
        progress = self.config.stash.get(_PROGRESS, None)
        with capture.global_and_fixture_disabled() if capture is not None else _nothing():
            if progress is not None:
                progress.note(text)
            else:
                print(text, file=sys.stderr, flush=True)

    @property
    def card_region(self) -> str | None:
        """The issuing region the card under test reads out (None when it could not be read)."""
        if self.dut is None:
            return None
        region = self.dut.identity.get("region")
        return str(region) if region else None


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


def _build_session(config: pytest.Config) -> SscSession:
    from harness.dut import DEFAULT_APDU_TIMEOUT, open_dut
    from harness.identity import identify
    from harness.profiles import detect_profile, initial_profile
    from ssc.keyset import LabKeyFile, TestKeySet
    from terminal.regions import load_regions

    spec = parse_card_spec(config.getoption("--ssc-card"))
    profile_option = config.getoption("--ssc-profile")
    profile = initial_profile(spec, profile_option)
    keys_path = config.getoption("--ssc-keys")
    keyset = LabKeyFile.load(keys_path) if keys_path else TestKeySet.for_profile(profile)
    registry = load_regions()
    wanted = config.getoption("--ssc-regions")
    regions = [registry.get(c.strip()) for c in wanted.split(",") if c.strip()] if wanted else list(registry)
    session = SscSession(
        config,
        spec,
        profile,
        keyset,
        regions=regions,
        allow_destructive=config.getoption("--ssc-allow-destructive") or spec.is_virtual_reference,
    )
    grace = config.getoption("--ssc-card-grace")
    session.card_watch = CardWatch(DEFAULT_CARD_GRACE if grace is None else grace)
    timeout = config.getoption("--ssc-apdu-timeout")
    try:
        session.dut = open_dut(
            spec,
            profile,
            keyset,
            faults=config.getoption("--ssc-fault"),
            pin=config.getoption("--ssc-pin"),
            apdu_timeout=DEFAULT_APDU_TIMEOUT if timeout is None else timeout,
        )
        if spec.kind == "reader" and not profile_option:
            session.profile = session.dut.profile = profile = detect_profile(session.dut.transport, profile)
            if not keys_path:
                session.keyset = TestKeySet.for_profile(profile)
        identify(session.dut)
    except Exception as exc:  # reported per scenario and in results.json; the run goes on
        session.dut_error = f"{type(exc).__name__}: {exc}"
        session.dut_error_type = type(exc).__name__
    psam_option = config.getoption("--ssc-psam")
    if psam_option:
        from harness.psam import parse_psam_option

        session.psam_reader = parse_psam_option(psam_option)
    _attach_ics(session, config.getoption("--ssc-ics"))
    declaration = config.getoption("--ssc-declaration")
    if declaration is None and session.ics is not None and session.ics.declaration_path is not None:
        declaration = str(session.ics.declaration_path)
    _attach_declaration(session, declaration)
    return session


def _attach_ics(session: SscSession, path: str | None) -> None:
    """The ICS given, or — for the embedded reference card — its own (fixtures/ics/reference-<gen>.yaml)."""
    from harness.ics import IcsError, load_ics, reference_ics_path

    if path is None and session.card_spec.is_virtual_reference:
        default = reference_ics_path(session.profile.name)
        path = str(default) if default is not None else None
    if path is None:
        return
    try:
        session.ics = load_ics(path)
    except IcsError as exc:
        session.ics_error = str(exc)


def _attach_declaration(session: SscSession, path: str | None) -> None:
    """The declaration given, or — for the embedded reference card — its issuer's own
    (fixtures/issuers/<card region>.yaml); none for other cards."""
    from harness.declaration import DeclarationError, default_declaration_path, load_declaration

    if path is None and session.card_spec.is_virtual_reference and session.card_region:
        default = default_declaration_path(session.card_region)
        path = str(default) if default is not None else None
    if path is None:
        return
    try:
        session.declaration = load_declaration(path)
    except DeclarationError as exc:
        session.declaration_error = str(exc)


@pytest.fixture(scope="session")
def ssc_session(request: pytest.FixtureRequest) -> Iterator[SscSession]:
    session = request.config.stash.get(_SESSION, None)
    if session is None:
        session = _build_session(request.config)
        request.config.stash[_SESSION] = session
    yield session
    if session.dut is not None:
        session.dut.close()
    for psam in session.psams.values():
        psam.transport.close()


@pytest.fixture(autouse=True)
def _ssc_scenario_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Decide applicability before a scenario runs: generation, destructive opt-in, card present."""
    if not _is_scenario(request.node) or _reader_plan(request.config):
        yield
        return
    session: SscSession = request.getfixturevalue("ssc_session")
    tags = _tags(request.node)
    gens = [t for t in tags if t in GENERATION_TAGS]
    if gens and session.profile.name not in gens:
        request.node.stash[_NOT_APPLICABLE] = True  # neither passes nor blocks its requirement
        pytest.skip(f"applies to {'/'.join(gens)} only; the card under test is {session.profile.name}")
    if "destructive" in tags and not session.allow_destructive:
        pytest.skip("destructive (blocks or irreversibly changes the card): not run without --allow-destructive")
    if session.dut is None:
        pytest.fail(f"the card under test could not be opened: {session.dut_error}", pytrace=False)
    _apply_ics(request.node, session, tags)
    if _needs_declaration(tags):
        if session.declaration_error is not None:
            pytest.fail(f"the issuer declaration cannot be used: {session.declaration_error}", pytrace=False)
        if session.declaration is None:
            pytest.skip(NO_DECLARATION)
    dut = session.dut
    gone = session.card_watch.check(_resetter(dut))
    if gone is not None:
        pytest.skip(gone)
    request.node.stash[_TRACE_START] = len(dut.recorder)
    request.node.stash[_UNRECORDED_START] = dut.recorder.unrecorded
    session.scenario_summary = None
    if dut.try_guard is not None:  # a @destructive scenario may block on purpose; nothing else may
        dut.try_guard.armed = "destructive" not in tags
    try:
        yield
    finally:
        if dut.try_guard is not None:
            dut.try_guard.armed = True


def _apply_ics(item: pytest.Item, session: SscSession, tags: set[str]) -> None:
    """Skip a case the ICS decides against: not applicable when its option is declared absent,
    not run when the ICS does not declare the option (harness.ics_options)."""
    from harness.ics_options import ABSENT, UNDECLARED, decide

    if session.ics_error is not None:
        pytest.fail(f"the ICS cannot be used: {session.ics_error}", pytrace=False)
    decision = decide(session.ics, session.profile, tags, _example_params(item))
    if decision is None:
        return
    if decision.outcome in (ABSENT, UNDECLARED):  # ABSENT's reason starts "not applicable: ": verdict not-applicable
        pytest.skip(decision.reason)


def _resetter(dut: Any) -> Any:
    """reset(timeout) for the card watch: a reader waits up to `timeout` for the card; an embedded
    card is simply powered on again."""
    from terminal.transports.pcsc import PcscTransport

    inner = dut.transport
    while hasattr(inner, "inner"):
        inner = inner.inner
    if isinstance(inner, PcscTransport):
        return lambda timeout: dut.transport.reset(timeout=timeout)
    return lambda timeout: dut.transport.reset()


_TRACE_START = pytest.StashKey[int]()
_UNRECORDED_START = pytest.StashKey[int]()  # exchanges counted, not kept, before the scenario (summarized checks)
_NOT_APPLICABLE = pytest.StashKey[bool]()
NO_DECLARATION = "no issuer declaration given (--declaration)"
DECLARATION_REVIEW = "PER"  # the personalization review checks a card against its issuer's declaration


def _needs_declaration(tags: set[str]) -> bool:
    catalogue = load_catalogue()
    return any(catalogue.is_requirement(t) and catalogue.review_of(t) == DECLARATION_REVIEW for t in tags)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    """Open the card before the first scenario; when it cannot be opened because the reader, the
    card or pcscd is missing, report every scenario not run and run none (returns True)."""
    config = session.config
    scenarios = [item for item in session.items if _is_scenario(item)]
    if config.option.collectonly or not scenarios or _reader_plan(config):
        return None
    if config.getoption("--ssc-progress"):
        config.stash[_PROGRESS] = Progress(len(session.items))
    try:
        ssc = _build_session(config)
    except Exception:
        return None
    config.stash[_SESSION] = ssc
    if ssc.dut_error_type not in UNAVAILABLE_ERRORS:
        return None
    catalogue = load_catalogue()
    for item in scenarios:
        config.stash[_RESULTS].append(_not_run(item, catalogue, f"the card under test could not be opened: {ssc.dut_error}"))
    return True


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    progress = item.config.stash.get(_PROGRESS, None)
    if progress is not None and _is_scenario(item):
        catalogue = load_catalogue()
        progress.started(sorted(t for t in _tags(item) if catalogue.is_requirement(t)), _scenario_names(item)[1])
    yield


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """With the progress display on, pytest's own dots would interleave with it: keep the
    outcome categories (pytest's summary line counts them) but print no letter."""
    if config.stash.get(_PROGRESS, None) is None:
        return None
    if report.failed and report.when != "call":
        return "error", "", ""
    if report.when == "call" or (report.when == "setup" and report.skipped) or report.failed:
        return report.outcome, "", ""
    return "", "", ""


@pytest.hookimpl(hookwrapper=True)
def pytest_bdd_before_step_call(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any, step_func_args: dict[str, Any]
) -> Iterator[None]:
    """allure-pytest-bdd records every argument of a step function as a step parameter, fixtures
    included — the repr of the scenario context carries the PIN and the key set. Keep only the
    arguments parsed from the step text (plain values) in the Allure step."""
    yield
    listener = _allure_listener(request.config)
    if listener is None:
        return
    from allure_pytest_bdd.steps import get_step_uuid  # type: ignore[import-untyped]  # allure-pytest-bdd ships no py.typed

    with listener.lifecycle.update_step(uuid=get_step_uuid(step)) as step_result:
        if step_result is not None:
            step_result.parameters = [
                p
                for p in step_result.parameters
                if isinstance(step_func_args.get(p.name), (str, int, float))
                and not isinstance(step_func_args.get(p.name), bool)
                and p.name not in request.fixturenames
                and not _is_fixture(request, p.name)
            ]


@pytest.hookimpl(hookwrapper=True)
def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> Iterator[None]:
    """Allure keys the test case by its test-case ID (testCaseId, and the ID first in its name),
    not by a hash of the title, so a reworded title keeps its history."""
    yield
    listener = _allure_listener(request.config)
    uuid = getattr(listener, "nodeid_to_uuid", {}).get(request.node.nodeid) if listener is not None else None
    if uuid is None:
        return
    case_id = _case_id(request.node)
    with listener.lifecycle.update_test_case(uuid=uuid) as test_result:
        if test_result is not None:
            test_result.testCaseId = case_id
            test_result.name = f"{case_id} {test_result.name}"


def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Any, exception: Any) -> None:
    """Remember the step that failed: its Chinese text states the expected result, so a failure
    reads 未满足「那么 状态字为 6A82（未找到文件）」：预期 … 实际 … — Chinese first."""
    request.node.stash[_FAILED_STEP] = f"{step.keyword.strip()} {step.name}"


_FAILED_STEP = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """junit.xml names each test case by its test-case ID; the pytest node id stays as a property."""
    from _pytest.junitxml import xml_key

    xml = item.config.stash.get(xml_key, None)
    if xml is None or not _is_scenario(item):
        return
    reporter = xml.node_reporter(item.nodeid)
    reporter.add_attribute("name", _case_id(item))
    reporter.add_property("node_id", item.nodeid)


def _allure_listener(config: pytest.Config) -> Any:
    for plugin in config.pluginmanager.get_plugins():
        if type(plugin).__name__ == "PytestBDDListener" and hasattr(plugin, "lifecycle"):
            return plugin
    return None


def _is_fixture(request: pytest.FixtureRequest, name: str) -> bool:
    """True when `name` is a fixture visible to the scenario (a step argument that is not parsed
    from the step text)."""
    try:
        request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return False
    except Exception:
        return True
    return True


def _case_id(item: pytest.Item) -> str:
    """The stable test-case ID tag of a scenario (harness.cases.case_id); its node id when it has none."""
    from harness.cases import case_id

    return case_id(item.nodeid, _tags(item))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Generator[None, Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if not _is_scenario(item) or _reader_plan(item.config):
        return
    reports = item.stash.setdefault(_REPORTS, [])
    reports.append(report)
    reason = phase_inconclusive(report, call, "the card's answer")
    if reason is not None and _INCONCLUSIVE not in item.stash:
        item.stash[_INCONCLUSIVE] = reason
    if report.when == "teardown":
        _record_scenario(item, reports)


def phase_inconclusive(report: pytest.TestReport, call: pytest.CallInfo, whose: str) -> str | None:
    """Why a failed phase of a scenario is inconclusive rather than the device's failure (None when
    it is a failure or did not fail): a check said so, or the set-up broke for a reason that is not
    `whose` doing. Shared by the card and the reader plugins, which judge different devices."""
    if not report.failed or call.excinfo is None:
        return None
    reason = inconclusive_reason(call.excinfo.value)
    if reason is None and report.when == "setup" and not call.excinfo.errisinstance(pytest.fail.Exception):
        reason = f"inconclusive (set-up error, not {whose}): {call.excinfo.typename}: {call.excinfo.value}"
    return reason


_REPORTS = pytest.StashKey[list]()
_INCONCLUSIVE = pytest.StashKey[str]()  # why a failed phase of the scenario is inconclusive (harness.results)


def _failure_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:  # an inconclusive case reads "inconclusive: …", not the exception's class
        return str(crash.message).removeprefix(f"{Inconclusive.__module__}.{Inconclusive.__name__}: ").removeprefix("AssertionError: ")
    return str(report.longrepr).strip().splitlines()[-1] if report.longrepr else "failed"


def _record_scenario(item: pytest.Item, reports: list[pytest.TestReport]) -> None:
    from harness.cardwatch import REMOVED

    catalogue = load_catalogue()
    verdict, reason = PASSED, ""
    for rep in reports:
        if rep.skipped:
            verdict = NOT_RUN
            reason = rep.longrepr[2].removeprefix("Skipped: ") if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
            if reason.startswith(NOT_APPLICABLE):
                verdict = NOT_APPLICABLE_VERDICT
            break
        if rep.failed:
            verdict, reason = FAILED, _failure_text(rep)
            if _INCONCLUSIVE in item.stash:
                verdict, reason = INCONCLUSIVE, item.stash[_INCONCLUSIVE]
            elif _FAILED_STEP in item.stash:
                reason = f"未满足「{item.stash[_FAILED_STEP]}」：{reason}"
            break
    if verdict == FAILED and item.config.getoption("--ssc-first-failure", default=False):
        # pytest's own --exitfirst stops at any failed phase, an inconclusive one included: a mutant
        # that first breaks a precondition would then hide the failure a later scenario finds
        item.session.shouldfail = f"stopped at the first failed scenario ({item.nodeid})"
    session: SscSession | None = item.config.stash.get(_SESSION, None)
    trace: list[dict[str, Any]] = []
    unrecorded = 0
    summary: dict[str, Any] | None = None
    if session is not None and session.dut is not None and _TRACE_START in item.stash:
        unrecorded = session.dut.recorder.unrecorded - item.stash.get(_UNRECORDED_START, session.dut.recorder.unrecorded)
        summary, session.scenario_summary = session.scenario_summary, None
        entries = session.dut.recorder.entries[item.stash[_TRACE_START] :]
        trace = [e.to_dict() for e in entries]
        lost = next(((loss, e.error) for e in entries if (loss := loss_of(e.error)) is not None), None)
        if lost is not None:
            session.card_watch.note_loss(lost[0])
            if verdict == FAILED and lost[0] == REMOVED and REMOVED not in reason:
                reason = f"{REMOVED}: {reason}"
            elif verdict == FAILED and lost[0] != REMOVED:
                reason = str(lost[1]).partition(": ")[2]  # "no answer within 5 s to …", not the step's wording
    result = ScenarioResult(
        **scenario_identity(item, catalogue),
        observations=_observations(item),
        verdict=verdict,
        reason=reason,
        duration_s=round(sum(r.duration for r in reports), 4),
        apdus=sum(1 for e in trace if e["kind"] == "apdu") + unrecorded,
        resets=sum(1 for e in trace if e["kind"] == "reset"),
        applicable=not (item.stash.get(_NOT_APPLICABLE, False) or verdict == NOT_APPLICABLE_VERDICT),
        trace=trace,
        summary=summary,
    )
    item.config.stash[_RESULTS].append(result)
    progress = item.config.stash.get(_PROGRESS, None)
    if progress is not None:
        progress.finished(verdict, result.requirements, result.name, reason)


def _observations(item: pytest.Item) -> list[dict[str, Any]]:
    """What the scenario's checks recorded with `ctx.observe` (steps/context.py). A PIN of the run
    that slipped into a value anyway is masked, as in the traces."""
    found = item.stash.get(OBSERVATIONS, [])
    session: SscSession | None = item.config.stash.get(_SESSION, None)
    given = item.config.getoption("--ssc-pin")
    pins = {p for p in (given, session.initial_pin if session is not None else None) if p and len(p) >= 4}
    out = []
    for entry in found:
        clean = dict(entry)
        for key in ("observed", "expected"):
            text = clean.get(key)
            if isinstance(text, str):
                for pin in pins:
                    text = text.replace(pin, "**" * ((len(pin) + 1) // 2))
                clean[key] = text
        out.append(clean)
    return out


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    progress = session.config.stash.get(_PROGRESS, None)
    if progress is not None:
        progress.close()
    report_dir = session.config.getoption("--ssc-report-dir", None)
    if not report_dir or _reader_plan(session.config):  # harness.reader_plugin writes a reader plan's results
        return
    ssc: SscSession | None = session.config.stash.get(_SESSION, None)
    dut_info: dict[str, Any] = {"card": session.config.getoption("--ssc-card")}
    interrupted = int(exitstatus) == int(pytest.ExitCode.INTERRUPTED)
    if interrupted:
        _record_not_run(session, INTERRUPTED)
    run_info: dict[str, Any] = {
        "interrupted": interrupted,
        "started": datetime.datetime.fromtimestamp(ssc.started if ssc else time.time(), datetime.UTC).isoformat(),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(),
        "python": platform.python_version(),
        "pytest_exit_status": int(exitstatus),
        "run_id": session.config.getoption("--ssc-run-id") or Path(report_dir).resolve().name,
    }
    provenance = None
    if ssc is not None:
        from harness.identity import describe_run

        dut_info, extra = describe_run(ssc)
        run_info.update(extra)
        run_info["declaration"] = dut_info["declaration"] = _describe_declaration(ssc)
        run_info["ics"] = dut_info["ics"] = _describe_ics(ssc)
        from harness.interop import matrix_report

        if (matrix := matrix_report(ssc)) is not None:
            run_info["interop_matrix"] = matrix
        provenance = _provenance_of(ssc.profile)
    run_info["features"] = _feature_files(session.items)
    if ssc is not None and not session.config.getoption("--ssc-no-plan"):
        run_info["plan"] = _executed_plan(session.config, ssc)
    plan, verdict = _overall_verdict(session, ssc, interrupted)
    write_results(
        Path(report_dir) / "results.json",
        dut_info,
        run_info,
        session.config.stash[_RESULTS],
        load_catalogue(),
        provenance=provenance,
        verdict=verdict,
        plan="card",
        in_plan=plan.requirements,  # the reader plan and other generations are out_of_plan, not rows of this run
    )


def _reader_plan(config: pytest.Config) -> bool:
    """A reader-plan run (--ssc-plan reader): harness.reader_plugin runs it, this plugin stands aside."""
    return bool(config.getoption("--ssc-plan", default="card") == "reader")


def _overall_verdict(session: pytest.Session, ssc: SscSession | None, interrupted: bool) -> tuple[Plan, Any]:
    """The card plan of the card's generation over the whole suite as collected, deselected
    scenarios included, and requirement verdicts → the overall verdict block (harness.plan) against it."""
    from harness.plan import card_plan, overall_verdict

    config = session.config
    deselected: list[list[str]] = config.stash.get(_DESELECTED, [])
    suite = [sorted(_tags(item)) for item in session.items if _is_scenario(item)] + deselected
    generation = ssc.profile.name if ssc is not None else "unknown"
    plan = card_plan(load_catalogue(), suite, generation)
    # a run told to stop at its first failure (the mutation benchmark's oracle) covered part of the plan
    stops_early = bool(config.getoption("maxfail", 0) or config.getoption("--ssc-first-failure", default=False))
    partial = bool(config.getoption("keyword", "") or config.getoption("markexpr", "") or deselected or stops_early)
    return plan, lambda requirements: overall_verdict(plan, requirements, partial=partial, interrupted=interrupted)


INTERRUPTED = "the run was interrupted (Ctrl-C)"


def _executed_plan(config: pytest.Config, ssc: SscSession) -> dict[str, Any]:
    """The card plan this run executed (harness.testplan), over every case collected, with the
    latency this run measured (the median APDU of its traces)."""
    import statistics

    from harness.apdu_estimates import EstimatesError, load_estimates
    from harness.testplan import DEFAULT_LATENCY_MS, build_test_plan

    try:
        estimates = load_estimates()
    except EstimatesError:
        estimates = None
    results: list[ScenarioResult] = config.stash[_RESULTS]
    times = [e["duration_ns"] for r in results for e in r.trace if e.get("kind") == "apdu" and isinstance(e.get("duration_ns"), int)]
    latency, source = (round(statistics.median(times) / 1e6, 3), "measured in this run") if times else (DEFAULT_LATENCY_MS, "default")
    cases: list[Case] = config.stash.get(_CASES, [])
    plan = build_test_plan(
        cases,
        load_catalogue(),
        ssc.profile,
        ssc.ics,
        estimates,
        allow_destructive=ssc.allow_destructive,
        declaration=ssc.declaration is not None,
        latency_ms=latency,
        latency_source=source,
    )
    return plan.to_json()


def _record_not_run(session: pytest.Session, reason: str) -> None:
    """Every scenario that has no result yet (the one in flight included) is not run, with `reason`."""
    results: list[ScenarioResult] = session.config.stash[_RESULTS]
    done = {r.node_id for r in results}
    catalogue = load_catalogue()
    for item in session.items:
        if _is_scenario(item) and item.nodeid not in done:
            results.append(_not_run(item, catalogue, reason))


def _not_run(item: pytest.Item, catalogue: Catalogue, reason: str) -> ScenarioResult:
    """The result of a scenario that never ran (card not opened, run interrupted), with `reason`."""
    return ScenarioResult(**scenario_identity(item, catalogue), verdict=NOT_RUN, reason=reason)


def scenario_identity(item: pytest.Item, catalogue: Catalogue) -> dict[str, Any]:
    """What names a scenario in results.json — its test-case ID first (the pytest node id second),
    feature, title, requirements and tags — the same for the card and the reader plans."""
    feature_name, scenario_name = _scenario_names(item)
    tags = sorted(_tags(item))
    return {
        "id": _case_id(item),
        "node_id": item.nodeid,
        "feature": feature_name,
        "name": scenario_name,
        "requirements": [t for t in tags if catalogue.is_requirement(t)],
        "tags": tags,
    }


def _provenance_of(profile: Any) -> Any:
    """`reports.provenance.requirement_provenance` bound to the run's profile, when that module is
    installed (it comes with the report package); None otherwise."""
    try:
        from reports.provenance import requirement_provenance
    except ImportError:
        return None
    return lambda rid: requirement_provenance(profile, rid)


def _feature_files(items: list[pytest.Item]) -> list[dict[str, str]]:
    """The feature files the collected scenarios come from, with their SHA-256: what was run."""
    paths: set[Path] = set()
    for item in items:
        try:
            from pytest_bdd.scenario import scenario_wrapper_template_registry

            paths.add(Path(scenario_wrapper_template_registry[item.obj].feature.filename))  # type: ignore[attr-defined]  # as above
        except (ImportError, KeyError, AttributeError, TypeError):
            continue
    root = Path(str(items[0].config.rootpath)) if items else Path.cwd()
    out = []
    for path in sorted(paths):
        try:
            shown = str(path.relative_to(root))
        except ValueError:
            shown = str(path)
        out.append({"path": shown, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
    return out


def _describe_declaration(ssc: SscSession) -> dict[str, Any] | None:
    if ssc.declaration_error is not None:
        return {"error": ssc.declaration_error}
    decl = ssc.declaration
    if decl is None:
        return None
    return {"file": str(decl.path) if decl.path else decl.source, "region": decl.region, "issuer": dict(decl.issuer)}


def _describe_ics(ssc: SscSession) -> dict[str, Any] | None:
    if ssc.ics_error is not None:
        return {"error": ssc.ics_error}
    if ssc.ics is None:
        return None
    return {"file": str(ssc.ics.path), "declared": ssc.ics.declared()}
