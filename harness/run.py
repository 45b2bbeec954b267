"""The one way to run the conformance suite: `run_suite(RunOptions(...)) -> RunResult`.

`ssc-conform run` builds `RunOptions` from its command line and `ssc-conform mutants` builds one per
mutant card; both call `run_suite`, so an option means the same wherever a run starts and nothing
travels through the environment or a hand-built argv. Every option is checked (`validate`) before
the run directory is created and before the first APDU: bad input is a `UsageError` (exit status
2), never a report with verdicts on the card.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cardspec import CardSpecError, parse_card_spec
from harness.exitstatus import BAD_INPUT, FAILED, INCOMPLETE_OR_PARTIAL, PASSED, UNAVAILABLE_ERRORS, UNFINISHED, UsageError
from harness.rundir import new_run_id, open_run_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUITE_DIR = PROJECT_ROOT / "suite"
READER_SUITE_DIR = PROJECT_ROOT / "reader_suite"  # the reader plan: every feature under features/readers/
PLANS = ("card", "reader")
# pytest's own statuses that still end in verdicts: 0 all passed, 1 some failed, 5 none selected.
_PYTEST_VERDICT_STATUSES = (0, 1, 5)


@dataclass(frozen=True)
class RunOptions:
    """Everything one run is asked to do; `None` means the documented default."""

    card: str = "reference"  # reference[:genN] or reader:NAME
    extra_cards: tuple[str, ...] = ()  # further reader:NAME cards (a repeated --card): rows of the interop matrix
    card_set: Path | None = None  # card-set file (ssc-card-set/1): the lab's test cards for the interop matrix
    profile: str | None = None  # built-in profile name or a profile YAML file
    report_dir: Path | None = None  # exactly here; None: a new reports/<run-id>/ linked as reports/latest
    sign_key: Path | None = None  # Ed25519 key that signs evidence.zip; None: unsigned
    allow_destructive: bool = False
    keys: Path | None = None  # lab test-key file (ssc-keys/1); None: the profile's public test roots
    psam: str | None = None  # reader:NAME of a hardware PSAM
    pin: str | None = None  # the card's current PIN; None: the profile's initial test PIN
    declaration: Path | None = None  # issuer declaration for PER
    ics: Path | None = None  # the card's ICS (ssc-ics/1); None: the reference card's own, none for other cards
    regions: tuple[str, ...] | None = None  # terminal regions; None: every region of the registry
    faults: tuple[str, ...] = ()  # faults injected into the reference card (a mutant)
    tags: str | None = None  # tag expression (harness.tags)
    keyword: str | None = None  # pytest -k expression
    markers: str | None = None  # pytest -m expression
    quiet: bool = False  # no per-scenario progress lines
    apdu_timeout: float | None = None  # seconds a reader card has per command; None: the plugin's default
    card_grace: float | None = None  # seconds to wait for a removed or mute card; None: the plugin's default
    random_bits: int | None = None  # GET CHALLENGE bits the randomness battery judges; None: the profile's minimum
    tearing_offsets: int | None = None  # SEC-TEAR-1: about this many byte offsets per write; None: every byte
    robustness_budget: int | None = None  # SEC-ROB-1: APDUs; None: the profile's budget for the kind of card
    results_only: bool = False  # only results.json: no junit.xml, Allure results, report or bundle (mutants)
    first_failure: bool = False  # stop at the first failed scenario (a mutation oracle needs one kill, not all)
    plan: str = "card"  # card: certify the card (suite/); reader: certify the reader (reader_suite/, RDR)
    reader: str | None = None  # --plan reader: the reader under test (PC/SC name or pattern)
    psam_reader: str | None = None  # --plan reader: the PSAM's reader; None: the other vpcd slot when served
    lib: Path | None = None  # --plan reader: the reader library under test (RDR-6)
    card_atr: str | None = None  # --plan reader: the declared ATR (hex) of a physical test card
    long_run: int | None = None  # --plan reader: APDUs of the RDR-5 long run
    operator: str | None = None  # console, none or an answer file (harness.operator); None: the console if there is one

    def _validate_reader_options(self) -> None:
        """The options of the plan not chosen are refused rather than silently ignored."""
        reader_options = {
            "--reader": self.reader,
            "--psam-reader": self.psam_reader,
            "--lib": self.lib,
            "--card-atr": self.card_atr,
            "--long-run": self.long_run,
        }
        if self.plan not in PLANS:
            raise UsageError(f"--plan {self.plan!r}: expected one of {', '.join(PLANS)}")
        if self.plan == "card":
            given = [name for name, value in reader_options.items() if value is not None]
            if given:
                raise UsageError(f"{given[0]}: only with --plan reader (the card plan tests the card given with --card)")
            return
        if not self.reader:
            raise UsageError("--reader: required with --plan reader (the PC/SC name or pattern of the reader under test)")
        if self.card != "reference" or self.faults or self.declaration is not None or self.psam is not None:
            raise UsageError(
                "--plan reader: --card, --fault, --declaration and --psam belong to the card plan; use --reader and --psam-reader"
            )
        if self.lib is not None and not self.lib.is_file():
            raise UsageError(f"--lib: {self.lib}: no such library file (build the reference library with: make -C readerlib)")
        if self.card_atr is not None:
            try:
                if len(bytes.fromhex(self.card_atr)) < 2:
                    raise ValueError
            except ValueError:
                raise UsageError(f"--card-atr {self.card_atr!r}: expected the test card's ATR as hex digits, e.g. 3B6D00…") from None
        if self.long_run is not None and self.long_run < 1:
            raise UsageError(f"--long-run {self.long_run}: expected at least 1 APDU")

    def _validate_operator(self) -> None:
        from harness.operator import OperatorFileError, operator_from_option

        if self.operator is not None:
            try:
                operator_from_option(self.operator)
            except OperatorFileError as exc:
                raise UsageError(f"--operator: {exc}") from None

    def validate(self) -> str | None:
        """Check every option, loading each input file once; returns the pytest marker expression
        (--tags and -m combined). Raises `UsageError` naming the first bad option."""
        from harness.declaration import DeclarationError, load_declaration
        from harness.ics import IcsError, load_ics
        from harness.labcards import CardSetError, load_card_set
        from harness.optioncheck import check_keys, check_pin, check_regions, run_profile
        from harness.psam import parse_psam_option
        from harness.tags import TagError, to_marker_expression
        from reference_card.faults import resolve_faults

        self._validate_reader_options()
        self._validate_operator()
        if self.plan == "reader":
            return self._reader_markers()
        try:
            spec = parse_card_spec(self.card)
            for extra in self.extra_cards:
                if parse_card_spec(extra).kind != "reader":
                    raise UsageError(
                        f"--card {extra!r}: a further card must be reader:NAME (only the first --card may be the embedded reference card)"
                    )
            if self.card_set is not None:
                load_card_set(self.card_set)
            if self.declaration is not None:
                load_declaration(self.declaration)
            if self.ics is not None:
                load_ics(self.ics)
            tags = to_marker_expression(self.tags) if self.tags is not None else None
        except (CardSpecError, DeclarationError, IcsError, TagError, CardSetError) as exc:
            raise UsageError(f"--card-set: {exc}" if isinstance(exc, CardSetError) else str(exc)) from None
        try:
            if self.psam is not None:
                parse_psam_option(self.psam)  # its message names --psam
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        try:
            resolve_faults(self.faults)
        except ValueError as exc:
            raise UsageError(f"--fault: {exc}") from None
        if self.sign_key is not None and not self.sign_key.is_file():
            raise UsageError(f"--sign-key: {self.sign_key}: no such key file (create one with: ssc-conform keygen --out lab)")
        profile = run_profile(spec, self.profile)
        if self.pin is not None:
            check_pin(self.pin, profile)
        if self.random_bits is not None and self.random_bits < profile.randomness.min_bits:
            raise UsageError(
                f"--random-bits {self.random_bits}: the randomness battery needs at least {profile.randomness.min_bits} bits "
                "(profile randomness.min_bits)"
            )
        if self.robustness_budget is not None and self.robustness_budget < 1:
            raise UsageError(f"--robustness-budget {self.robustness_budget}: at least 1 APDU")
        if self.tearing_offsets is not None and self.tearing_offsets < 2:
            raise UsageError(f"--tearing-offsets {self.tearing_offsets}: at least 2 (the first byte and the completed write)")
        if self.regions is not None:
            check_regions(self.regions)
        if self.keys is not None:
            check_keys(self.keys, profile if spec.kind == "reference" or self.profile else None)
        return self._marker_expression(tags)

    def _reader_markers(self) -> str | None:
        from harness.tags import TagError, to_marker_expression

        if self.sign_key is not None and not self.sign_key.is_file():
            raise UsageError(f"--sign-key: {self.sign_key}: no such key file (create one with: ssc-conform keygen --out lab)")
        try:
            tags = to_marker_expression(self.tags) if self.tags is not None else None
        except TagError as exc:
            raise UsageError(str(exc)) from None
        return self._marker_expression(tags)

    def _marker_expression(self, tags: str | None) -> str | None:
        """-k and -m checked, then the marker expression of `--tags` and `-m` together."""
        from harness.optioncheck import check_expression

        if self.keyword:
            check_expression("-k", self.keyword)
        if self.markers:
            check_expression("-m", self.markers)
        if tags and self.markers:
            return f"({self.markers}) and ({tags})"
        return tags or self.markers or None


def parse_regions(text: str) -> tuple[str, ...]:
    """``--regions 441800,330200`` → the codes; a list without any code is bad input."""
    codes = tuple(code.strip() for code in text.split(",") if code.strip())
    if not codes:
        raise UsageError(f"--regions {text!r}: expected comma-separated region codes, e.g. 441800,330200")
    return codes


@dataclass(frozen=True)
class RunResult:
    """How a run ended: the exit status of `ssc-conform run`, where its artefacts are, and its
    results.json (None when the run wrote none)."""

    exit_code: int
    report_dir: Path
    results: dict[str, Any] | None


def run_suite(options: RunOptions) -> RunResult:
    """Validate, lock the run directory, run the suite under pytest, write the artefacts."""
    import pytest

    from harness.summary import print_summary

    markers = options.validate()
    run_id = new_run_id()
    with open_run_dir(options.report_dir, run_id) as report_dir:
        results = report_dir / "results.json"
        if options.plan == "reader":
            from harness.reader_serve import served_readers

            try:
                with served_readers(str(options.reader), options.psam_reader) as readers:
                    args = _pytest_args(options, report_dir, run_id, markers) + _reader_args(options, readers.psam_reader)
                    code = int(pytest.main(args))
            except RuntimeError as exc:
                print(f"ssc-conform: {exc}", file=sys.stderr)
                return RunResult(UNFINISHED, report_dir, None)
        else:
            code = int(pytest.main(_pytest_args(options, report_dir, run_id, markers)))
        if not results.exists():
            print(f"ssc-conform: the run wrote no results (pytest exit status {code}); see the messages above", file=sys.stderr)
            return RunResult(UNFINISHED, report_dir, None)
        doc = json.loads(results.read_text(encoding="utf-8"))
        print_summary(doc, results)
        if not options.results_only:
            from harness.artefacts import finish_run

            if finish_run(report_dir, options.sign_key).evidence is None:
                return RunResult(UNFINISHED, report_dir, doc)  # the evidence was not produced (the reason is printed)
        return RunResult(_exit_code(doc, code), report_dir, doc)


def _exit_code(doc: dict[str, Any], pytest_code: int) -> int:
    """The exit status of a run that wrote results.json: 2 when the card could not be opened, 3
    when pytest stopped without verdicts, else the overall verdict — 0 pass, 1 fail, 4 incomplete
    or partial (a document without a verdict block, from an older harness, is never 0)."""
    from harness.plan import FAIL, PASS
    from harness.results import any_failed

    error_type = doc.get("dut", {}).get("error_type")
    if error_type in UNAVAILABLE_ERRORS:
        print(f"ssc-conform: the card under test could not be opened, no scenario ran: {doc['dut'].get('error')}", file=sys.stderr)
        if error_type != "NoReaderError":
            print("ssc-conform: `ssc-conform readers` lists the readers and whether a card is in each", file=sys.stderr)
        return BAD_INPUT
    if pytest_code not in _PYTEST_VERDICT_STATUSES:  # 1 = some scenario failed: the verdicts say so
        print(f"ssc-conform: pytest stopped with exit status {pytest_code}", file=sys.stderr)
        return UNFINISHED
    overall = doc.get("verdict", {}).get("overall")
    if overall == FAIL or any_failed(doc):
        return FAILED
    return PASSED if overall == PASS else INCOMPLETE_OR_PARTIAL


def _reader_args(options: RunOptions, psam_reader: str | None) -> list[str]:
    """The reader plan's own pytest options (harness.reader_plugin)."""
    args = ["--ssc-plan=reader", f"--ssc-reader={options.reader}"]
    valued = (
        ("--ssc-psam-reader", psam_reader),
        ("--ssc-lib", options.lib),
        ("--ssc-card-atr", options.card_atr),
        ("--ssc-long-run", options.long_run),
    )
    return args + [f"{opt}={value}" for opt, value in valued if value is not None]


def _pytest_args(options: RunOptions, report_dir: Path, run_id: str, markers: str | None) -> list[str]:
    args = [
        str(READER_SUITE_DIR if options.plan == "reader" else SUITE_DIR),
        "-p",
        "harness.plugin",
        "-p",
        "no:cacheprovider",
        "-q",
        "--no-header",
        "-rN",
        "--tb=line",
        f"--rootdir={PROJECT_ROOT}",
        "--color=no",
        "-o",
        "console_output_style=classic",
        f"--ssc-card={options.card}",
        f"--ssc-report-dir={report_dir}",
        f"--ssc-run-id={run_id}",
    ]
    if options.results_only:
        args.append("--ssc-no-plan")  # the plan goes into the report, and these runs make none
    else:
        args += [f"--junitxml={report_dir / 'junit.xml'}", "-o", "junit_suite_name=ssc-conform"]
        if importlib.util.find_spec("allure_pytest_bdd") is not None:
            args += [f"--alluredir={report_dir / 'allure-results'}"]
    valued: Sequence[tuple[str, object]] = (
        ("--ssc-profile", options.profile),
        ("--ssc-keys", options.keys),
        ("--ssc-pin", options.pin),
        ("--ssc-regions", ",".join(options.regions) if options.regions is not None else None),
        ("--ssc-declaration", options.declaration),
        ("--ssc-ics", options.ics),
        ("--ssc-psam", options.psam),
        ("--ssc-apdu-timeout", options.apdu_timeout),
        ("--ssc-card-grace", options.card_grace),
        ("--ssc-random-bits", options.random_bits),
        ("--ssc-tearing-offsets", options.tearing_offsets),
        ("--ssc-robustness-budget", options.robustness_budget),
    )
    args += [f"{opt}={value}" for opt, value in valued if value is not None]
    args += [f"--ssc-fault={f}" for f in options.faults]
    args += [f"--ssc-extra-card={c}" for c in options.extra_cards]
    if options.card_set is not None:
        args.append(f"--ssc-card-set={options.card_set}")
    if options.operator is not None:
        args.append(f"--ssc-operator={options.operator}")
    if options.allow_destructive:
        args.append("--ssc-allow-destructive")
    if not options.quiet:
        args.append("--ssc-progress")
    if options.first_failure:
        args.append("--ssc-first-failure")
    if options.keyword:
        args += ["-k", options.keyword]
    if markers:
        args += ["-m", markers]
    return args
