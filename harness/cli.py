"""`ssc-conform`: the operator's command line.

run         run the conformance suite on a card (default: the embedded reference card), or with
            --plan reader the reader plan (RDR) on the reader given with --reader
plan        print the test plan (cases, flags, applicability under the ICS, estimates) and write plan.csv
mutants     run the suite on the clean reference card and on every known fault; check each is caught
reader-faults  run RDR-6 on the reference reader library (readerlib/) clean and with each of its faults
learn       learn the card's state machine over an abstract alphabet and compare it with the reference model's
serve-card  serve the reference card on the vpcd virtual reader (for PC/SC clients and the suite);
            --reader-test: the programmable reader-test card, --psam: the reference PSAM
diff        lockstep differential test: every command to the card and to its reference twin, answers compared
replay      replay a divergence script (ssc-replay/1) on a card and show where its answers differ
readers     list PC/SC readers, whether a card is present, and its ATR
report      rebuild report.html of a run directory from its stored results.json (and mutants.json)
keygen      create a lab signing key pair (Ed25519) for evidence bundles
verify      check an evidence bundle: every file intact, none added or removed, signature valid

Each run writes its artefacts into a run directory `reports/<run-id>/` (and, once it has finished,
points the symlink `reports/latest` at it), or exactly into `--report-dir DIR` when given:
results.json, junit.xml, allure-results/ (and allure-report/ when the Allure CLI is installed),
report.html, evidence.zip. `run` itself is `harness.run.run_suite`; this module only turns the
command line into `RunOptions` and exit statuses (harness.exitstatus).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cardspec import CardSpecError, parse_card_spec
from harness.exitstatus import BAD_INPUT, EPILOG, UNFINISHED, UsageError
from harness.rundir import new_run_id, open_run_dir

if TYPE_CHECKING:
    from harness.run import RunOptions
from terminal.errors import InputError

SIGN_KEY_ENV = "SSC_LAB_KEY"  # the lab's Ed25519 private key file, when --sign-key is not given


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ssc-conform", description="Social security card (社会保障卡) conformance harness", epilog=EPILOG)
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the conformance suite and write results.json", epilog=EPILOG)
    run.add_argument(
        "--plan",
        choices=("card", "reader"),
        default="card",
        help="what the run certifies: card (default; STD/SEC/INT/PER on --card) or reader (RDR on --reader, with a known card in it)",
    )
    run.add_argument(
        "--reader",
        help="--plan reader: the reader under test, PC/SC name or pattern; a vpcd reader ('Virtual PCD 00 00') with no card gets the "
        "served reader-test card and the served PSAM (second slot) for the run",
    )
    run.add_argument("--psam-reader", help="--plan reader: the reader holding the PSAM (default with vpcd: the other vpcd slot)")
    run.add_argument(
        "--lib",
        metavar="PATH",
        help="--plan reader: a reader vendor's library (Linux .so, cdecl) for RDR-6, e.g. readerlib/build/libsscreader.so; each function "
        "of READER-INTERFACE.md is called in a child process against reference cards and PSAMs the kit serves in the two vpcd slots "
        "(RDR-6 runs last); with a physical --reader, against the conditions the operator makes in it and --psam-reader (see "
        "--operator). Without it the RDR-6 scenarios are not run",
    )
    run.add_argument("--card-atr", metavar="HEX", help="--plan reader: the declared ATR of the physical test card in the reader (RDR-2)")
    run.add_argument(
        "--long-run", type=int, metavar="N", help="--plan reader: APDUs of the RDR-5 long run (default 10000, ssc/data/reader-test.yaml)"
    )
    run.add_argument(
        "--card",
        action="append",
        default=None,
        help="reference[:gen1|gen2|gen3] (default reference = gen2) or reader:NAME; repeat it (reader:NAME) to add further cards "
        "in their readers as rows of the interop matrix — the first is the device under test",
    )
    run.add_argument(
        "--card-set",
        metavar="FILE",
        help="card-set file (ssc-card-set/1, e.g. fixtures/cardsets/example.yaml): the lab's test cards of several regions, each in "
        "its reader or swapped in one reader on request, and cards declared invalid for INT-XR-7",
    )
    run.add_argument(
        "--operator",
        metavar="console|none|FILE",
        help="who does what the kit cannot do by bytes — take a card out of a physical reader, insert another card or take the PSAM "
        "out (RDR-6 on a physical reader), type on a physical reader's PIN pad, swap the test cards of --card-set: console (a "
        "person at this terminal: Enter = done, n = cannot), none (nobody: those cases are inconclusive with the reason, never passed) "
        "or an answer file (ssc-operator-answers/1, e.g. fixtures/operator/example.yaml) for a lab's own automation; default: the "
        "console when there is one, else none",
    )
    run.add_argument(
        "--profile",
        help="built-in profile (gen1, gen2, gen3) or a profile YAML file; default: the reference card's generation, or detected from a real card",
    )
    run.add_argument(
        "--report-dir", help="write the run's artefacts exactly here (default: a new reports/<run-id>/, linked as reports/latest)"
    )
    run.add_argument(
        "--sign-key",
        help=f"the lab's Ed25519 private key (ssc-conform keygen) that signs evidence.zip (default: ${SIGN_KEY_ENV}; none: an unsigned bundle)",
    )
    run.add_argument("--allow-destructive", action="store_true", help="run scenarios that block or irreversibly change a real card")
    run.add_argument(
        "--keys",
        help="lab test-key file, ssc-keys/1 YAML (default: the profile's public test roots); e.g. fixtures/keys/example-lab-keys.yaml",
    )
    run.add_argument(
        "--psam",
        help="reader:NAME — a hardware PSAM (PROFILE §7) in that reader serves the terminals of the card's region (default: software PSAMs)",
    )
    run.add_argument(
        "--pin", help="the card's current PIN, digits as the profile's VERIFY allows (default: the profile's initial test PIN)"
    )
    run.add_argument(
        "--declaration",
        help="issuer declaration (ssc-declaration/1 YAML) for the personalization review PER-1..3; default for the embedded reference card: fixtures/issuers/<card region>.yaml, otherwise PER is not run",
    )
    run.add_argument(
        "--ics",
        help="the card's Implementation Conformance Statement (ssc-ics/1 YAML, e.g. fixtures/ics/reference-gen2.yaml): "
        "options declared absent make their cases not-applicable, undeclared options leave them not run; "
        "default for the embedded reference card: fixtures/ics/reference-<gen>.yaml",
    )
    run.add_argument("--regions", help="comma-separated terminal regions of fixtures/regions.yaml, e.g. 441800,330200 (default: all)")
    run.add_argument("--fault", action="append", default=[], help="inject a named fault into the reference card (mutant)")
    run.add_argument(
        "--tags",
        help="only scenarios matching this tag expression: requirement IDs and gen1-3/destructive/slow/interop, e.g. 'SEC-PIN-1', '@gen3 and not destructive'",
    )
    run.add_argument("-k", dest="keyword", help="only scenarios matching this pytest keyword expression")
    run.add_argument("-m", dest="markers", help="only scenarios matching this pytest marker expression (unchecked; prefer --tags)")
    run.add_argument("-q", "--quiet", action="store_true", help="no per-scenario progress lines")
    run.add_argument(
        "--apdu-timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="a card in a reader must answer each command within this (default 5; the profile's slow commands get a multiple); "
        "a command without an answer fails its scenario",
    )
    run.add_argument(
        "--card-grace",
        type=_positive_seconds,
        metavar="SECONDS",
        help="how long to wait for a card that was removed or stopped answering before the remaining scenarios are not run (default 3)",
    )
    run.add_argument(
        "--random-bits",
        type=_bit_count,
        metavar="N",
        help="bits of GET CHALLENGE output the randomness battery of STD-CMD-3 (@slow) judges "
        "(default and minimum: the profile's randomness.min_bits, 20000 in the built-in profiles)",
    )
    run.add_argument(
        "--robustness-budget",
        type=_bit_count,
        metavar="N",
        help="APDUs the SEC-ROB-1 battery sends (default: the profile's robustness budget, 20000 on the embedded card, "
        "2000 on a card in a reader)",
    )
    run.add_argument(
        "--tearing-offsets",
        type=_offset_count,
        metavar="N",
        help="SEC-TEAR-1 through the tearing hook: cut at about N byte offsets per write, the first ones and then "
        "jumping towards the end (default: every byte offset; over vpcd each cut costs about a second)",
    )

    mutants = sub.add_parser(
        "mutants", help="run the suite on the clean reference card and on every fault; exit 0 only if each fault is caught"
    )
    mutants.add_argument(
        "--report-dir", help="where mutants.json and each run's results go (default: a new reports/<run-id>/, linked as reports/latest)"
    )
    mutants.add_argument("--sign-key", help=f"the lab's Ed25519 private key that signs evidence.zip (default: ${SIGN_KEY_ENV})")
    mutants.add_argument(
        "--fault", action="append", default=[], help="only this fault (repeatable; default: every fault of reference_card.FAULTS)"
    )
    mutants.add_argument("--generations", default=None, help="comma-separated generations (default: every built-in profile)")
    mutants.add_argument("--jobs", type=int, default=None, help="runs in parallel (default: one per CPU this process may use)")
    mutants.add_argument(
        "--full-suite",
        action="store_true",
        help="run each mutant on the whole suite (default: only the requirements that name its fault, which decide whether it "
        "is caught; the whole suite also lists the other requirements a fault breaks, at several times the cost)",
    )

    learn = sub.add_parser(
        "learn",
        help="learn the card's state machine (automata learning) and compare it with the reference model's; "
        "exit 0 equivalent, 1 different, 2 bad input, 3 could not complete",
        epilog="Exit status: 0 equivalent, 1 different, 2 bad input, 3 could not complete.",
    )
    learn.add_argument("--card", default="reference", help="reference[:gen1|gen2|gen3] (default reference = gen2) or reader:NAME")
    learn.add_argument("--profile", help="built-in profile or profile YAML (default: the reference card's generation, or detected)")
    learn.add_argument("--alphabet", help="learning alphabet, ssc-alphabet/1 YAML (default: fixtures/alphabets/<profile>.yaml)")
    learn.add_argument(
        "--max-apdus", type=int, default=None, help="stop (exit 3) when learning the DUT needs more APDUs than this (default 200000)"
    )
    learn.add_argument(
        "--allow-destructive",
        action="store_true",
        help="let a query block the PIN (restored with UNBLOCK PIN) and send destructive symbols (APPLICATION BLOCK) to a card in a reader",
    )
    learn.add_argument("--fault", action="append", default=[], help="learn a mutant of the embedded reference card")
    learn.add_argument("--keys", help="lab test-key file, ssc-keys/1 YAML (default: the profile's public test roots)")
    learn.add_argument("--pin", help="the card's current PIN (default: the profile's initial test PIN)")
    learn.add_argument("--report-dir", help="write learn.json, report.html and learn/ exactly here (default: a new reports/<run-id>/)")
    learn.add_argument("--seed", type=int, default=1, help="seed of the random equivalence walks (default 1: reproducible)")
    learn.add_argument(
        "--model",
        default="embedded",
        choices=["embedded", "twin"],
        help="the reference model: the embedded reference card of the DUT's generation (default) or the DUT's twin "
        "(a reference card personalized from the DUT's data, as `diff` builds it)",
    )

    serve = sub.add_parser("serve-card", help="serve the reference card on the vpcd virtual reader")
    serve.add_argument("--card", default="reference", help="reference[:gen1|gen2|gen3]")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=35963, help="vpcd port (35963 = 'Virtual PCD 00 00', 35964 = '... 00 01')")
    serve.add_argument("--fault", action="append", default=[], help="serve a mutant with this fault")
    serve.add_argument("--tearing-hook", action="store_true", help="enable the FF 7E power-cut test hook (PROFILE §6.5)")
    what = serve.add_mutually_exclusive_group()
    what.add_argument(
        "--reader-test",
        action="store_true",
        help="serve the programmable reader-test card (the reference card plus the in-band hook of ssc/data/reader-test.yaml) for the reader plan",
    )
    what.add_argument(
        "--psam", action="store_true", help="serve the reference PSAM of the reference card's region (use --port 35964, the second slot)"
    )

    reader_faults = sub.add_parser(
        "reader-faults",
        help="run RDR-6 of the reader plan (run --plan reader --reader 'Virtual PCD 00 00' --lib PATH --tags @RDR-6) on the reference "
        "reader library clean and with each of its faults; exit 0 only if each fault is caught",
    )
    reader_faults.add_argument(
        "--lib", default="readerlib/build/libsscreader.so", metavar="PATH", help="the reference library (default: %(default)s)"
    )
    reader_faults.add_argument("--fault", action="append", default=None, help="only this fault (repeatable; default: every fault)")
    reader_faults.add_argument("--report-dir", default=None, help="where each run's results go (default: a new temporary directory)")

    diff = sub.add_parser(
        "diff",
        help="lockstep differential test against the card's reference twin; exit 0 no divergence, 1 divergence(s), 2 bad input, 3 unfinished",
    )
    diff.add_argument("--card", default="reference", help="reader:NAME, or reference[:gen1|gen2|gen3] (with --fault: a mutant)")
    diff.add_argument("--profile", help="built-in profile or profile YAML (default: the reference card's generation, or detected)")
    diff.add_argument("--keys", help="lab test-key file, ssc-keys/1 YAML (default: the profile's public test roots)")
    diff.add_argument("--pin", help="the card's current PIN (default: the profile's initial test PIN); never written anywhere")
    diff.add_argument("--psam", help="reader:NAME — a hardware PSAM (default: the software PSAM of the card's region)")
    diff.add_argument(
        "--declaration", "--ics", dest="declaration", help="issuer declaration (ssc-declaration/1): institution, key versions"
    )
    diff.add_argument(
        "--card-set",
        metavar="FILE",
        help="card-set file (ssc-card-set/1): the card number the issuer registered for this card, from the entry of its region and "
        "generation (and reader); default for the embedded reference card: the number it is issued with; without it the twin "
        "copies the card's number",
    )
    budget = diff.add_mutually_exclusive_group()
    budget.add_argument("--max-apdus", type=int, metavar="N", help="APDUs to send to the card, shrinking included (default 20000)")
    budget.add_argument("--seconds", type=_positive_seconds, metavar="S", help="wall time to spend instead of an APDU budget")
    diff.add_argument("--seed", type=int, default=0, help="seed of the command sequences (default 0: a run is reproducible)")
    diff.add_argument(
        "--allow-destructive",
        action="store_true",
        help="also APPEND RECORD on the cyclic file (irreversible), APPLICATION BLOCK/UNBLOCK, and the PIN run down to its last "
        "try and to blocked (the try guard off for that operation alone), then unblocked and given back",
    )
    diff.add_argument("--fault", action="append", default=[], help="inject a named fault into the reference card (repeatable)")
    diff.add_argument("--report-dir", help="write diff.json, the scripts and report.html here (default: a new reports/<run-id>/)")
    diff.add_argument("--first", action="store_true", help="stop at the first divergence")
    diff.add_argument(
        "--apdu-timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="a card in a reader must answer each command within this (default 5): a command without an answer is a divergence, "
        "and the card is brought back by a cold reset for the next sequence",
    )

    replay = sub.add_parser("replay", help="replay an ssc-replay/1 script on a card; exit 0 same answers, 1 a step differs")
    replay.add_argument(
        "script", metavar="SCRIPT", help="a divergence-N.json of a diff run, any ssc-replay/1 file, or a run's results.json / run directory"
    )
    replay.add_argument("--scenario", help="with a run's results.json: the scenario (part of its id or name) whose trace to replay")
    replay.add_argument("--save-script", metavar="PATH", help="also write the script replayed (e.g. the one made from a trace)")
    replay.add_argument("--card", default="reference", help="reader:NAME or reference[:genN]")
    replay.add_argument("--profile", help="built-in profile or profile YAML (default: the script's)")
    replay.add_argument("--keys", help="lab test-key file, ssc-keys/1 YAML")
    replay.add_argument("--pin", help="the card's current PIN (the script only says right or wrong)")
    replay.add_argument("--psam", help="reader:NAME — a hardware PSAM")
    replay.add_argument("--fault", action="append", default=[], help="inject a named fault into the reference card")
    replay.add_argument("--allow-destructive", action="store_true", help="replay destructive steps too (otherwise they are not run)")

    plan = sub.add_parser(
        "plan",
        help="print the test plan (every case, its flags, applicability under the ICS, APDU and time estimate) and write it as CSV",
        epilog=EPILOG,
    )
    plan.add_argument(
        "--card",
        default=None,
        help="reference[:gen1|gen2|gen3] or reader:NAME — open it to detect its profile and measure the latency (default: no card)",
    )
    plan.add_argument(
        "--profile", help="built-in profile (gen1, gen2, gen3) or a profile YAML file (default: the ICS's generation, else gen2)"
    )
    plan.add_argument(
        "--ics", help="the card's ICS (ssc-ics/1 YAML); default for the embedded reference card: fixtures/ics/reference-<gen>.yaml"
    )
    plan.add_argument("--declaration", help="issuer declaration (ssc-declaration/1) for the PER cases (default: the ICS's declaration)")
    plan.add_argument("--allow-destructive", action="store_true", help="plan the @destructive cases on a card in a reader too")
    plan.add_argument(
        "--plan",
        dest="plan_of",
        choices=("card", "reader", "all"),
        default="card",
        help="the card plan (STD, SEC, INT, PER; default), the reader plan (RDR), or both (all)",
    )
    plan.add_argument(
        "--latency-ms",
        type=_positive_ms,
        metavar="MS",
        help="per-APDU latency for the duration estimate (default: measured on the card when --card is given, else 20)",
    )
    plan.add_argument("--csv", default="plan.csv", metavar="FILE", help="write the plan here as CSV (default plan.csv; '-' for none)")

    sub.add_parser("readers", help="list PC/SC readers and the cards in them")

    report = sub.add_parser("report", help="rebuild report.html of a run directory from its results.json")
    report.add_argument("run_dir", metavar="RUN_DIR", help="a run directory, e.g. reports/latest")

    keygen = sub.add_parser("keygen", help="create a lab signing key pair: PREFIX.key (mode 0600) and PREFIX.pub")
    keygen.add_argument("--out", default="lab", metavar="PREFIX", help="file name prefix (default: lab → lab.key, lab.pub)")

    verify = sub.add_parser("verify", help="verify an evidence bundle against the lab's public key")
    verify.add_argument("bundle", metavar="EVIDENCE.zip")
    verify.add_argument("--pubkey", required=True, metavar="PUB", help="the lab's public key file (PREFIX.pub of keygen)")
    return p


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0 seconds, got {text!r}")
    return value


def _bit_count(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of bits, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of bits, got {text!r}")
    return value


def _offset_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of byte offsets, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected at least 2 byte offsets (the first byte and the completed write), got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "mutants":
            return cmd_mutants(args)
        if args.command == "reader-faults":
            return cmd_reader_faults(args)
        if args.command == "serve-card":
            return cmd_serve(args)
        if args.command == "learn":
            return cmd_learn(args)
        if args.command == "diff":
            return cmd_diff(args)
        if args.command == "replay":
            return cmd_replay(args)
        if args.command == "plan":
            return cmd_plan(args)
        if args.command == "readers":
            return cmd_readers()
        if args.command == "report":
            return cmd_report(args)
        if args.command == "keygen":
            return cmd_keygen(args)
        if args.command == "verify":
            return cmd_verify(args)
    except InputError as exc:  # a file or option the operator can fix (UsageError, CardSpecError, …)
        print(f"ssc-conform: {exc}", file=sys.stderr)
        return BAD_INPUT
    return BAD_INPUT


def run_options(args: argparse.Namespace) -> RunOptions:
    """The `run` command line as `RunOptions` (checked by `run_suite` before anything is written)."""
    from harness.run import RunOptions, parse_regions

    return RunOptions(
        card=(args.card or ["reference"])[0],
        extra_cards=tuple((args.card or [])[1:]),
        card_set=Path(args.card_set) if args.card_set is not None else None,
        profile=args.profile,
        report_dir=Path(args.report_dir) if args.report_dir else None,
        sign_key=_sign_key(args.sign_key, args.report_dir),
        allow_destructive=args.allow_destructive,
        keys=Path(args.keys) if args.keys is not None else None,
        psam=args.psam,
        pin=args.pin,
        declaration=Path(args.declaration) if args.declaration is not None else None,
        ics=Path(args.ics) if args.ics is not None else None,
        regions=parse_regions(args.regions) if args.regions is not None else None,
        faults=tuple(args.fault),
        tags=args.tags,
        keyword=args.keyword,
        markers=args.markers,
        quiet=args.quiet,
        apdu_timeout=args.apdu_timeout,
        card_grace=args.card_grace,
        random_bits=args.random_bits,
        tearing_offsets=args.tearing_offsets,
        robustness_budget=args.robustness_budget,
        plan=args.plan,
        reader=args.reader,
        psam_reader=args.psam_reader,
        lib=Path(args.lib) if args.lib is not None else None,
        card_atr=args.card_atr,
        long_run=args.long_run,
        operator=args.operator,
    )


def _positive_ms(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected milliseconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of milliseconds, got {text!r}")
    return value


def cmd_plan(args: argparse.Namespace) -> int:
    from harness.planmake import PlanOptions, make_plan
    from harness.testplan import print_plan, write_csv

    plan = make_plan(
        PlanOptions(
            card=args.card,
            profile=args.profile,
            ics=Path(args.ics) if args.ics else None,
            declaration=Path(args.declaration) if args.declaration else None,
            allow_destructive=args.allow_destructive,
            latency_ms=args.latency_ms,
            of=args.plan_of,
        )
    )
    print_plan(plan, sys.stdout)
    if args.csv != "-":
        write_csv(plan, Path(args.csv))
        print(f"plan: {args.csv}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from harness.run import run_suite

    return run_suite(run_options(args)).exit_code


def _sign_key(option: str | None, report_dir: str | None) -> Path | None:
    """--sign-key, else $SSC_LAB_KEY, else None (unsigned bundle); a key file that is not there,
    is not an Ed25519 private key, or lies inside the report directory is an operator error caught
    before the run, not after it."""
    from harness.artefacts import SignKeyError, check_sign_key

    value = option or os.environ.get(SIGN_KEY_ENV) or None
    if value is None:
        return None
    path = Path(value)
    source = "--sign-key" if option else f"${SIGN_KEY_ENV}"
    if not path.is_file():
        raise UsageError(f"{source}: {path}: no such key file (create one with: ssc-conform keygen --out lab)")
    try:
        check_sign_key(path, Path(report_dir) if report_dir else None)
    except SignKeyError as exc:
        raise UsageError(f"{source}: {exc}") from None
    return path


def cmd_reader_faults(args: argparse.Namespace) -> int:
    import tempfile

    from harness.exitstatus import FAILED, PASSED, UsageError
    from harness.reader_faults import print_outcomes, run_reader_faults

    lib = Path(args.lib)
    if not lib.is_file():
        raise UsageError(f"--lib: {lib}: no such library file (build it with: make -C readerlib)")
    report_dir = Path(args.report_dir) if args.report_dir else Path(tempfile.mkdtemp(prefix="ssc-reader-faults-"))
    try:
        outcomes = run_reader_faults(lib, args.fault, report_dir)
    except ValueError as exc:
        raise UsageError(f"--fault: {exc}") from None
    ok = print_outcomes(outcomes)
    print(f"runs: {report_dir / 'reader-faults'}")
    return PASSED if ok else FAILED


def cmd_mutants(args: argparse.Namespace) -> int:
    from reference_card import FAULTS
    from ssc.profile import builtin_profiles

    faults = args.fault or list(FAULTS)
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        raise UsageError(f"--fault: unknown fault(s) {', '.join(unknown)}; known faults: {', '.join(FAULTS)}")
    generations = [g.strip() for g in args.generations.split(",") if g.strip()] if args.generations else list(builtin_profiles())
    bad = [g for g in generations if g not in builtin_profiles()]
    if bad:
        raise UsageError(f"--generations: unknown generation(s) {', '.join(bad)}; expected some of {', '.join(builtin_profiles())}")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs: expected at least 1")
    from harness.mutants import default_jobs

    jobs = args.jobs if args.jobs is not None else default_jobs()
    sign_key = _sign_key(args.sign_key, args.report_dir)
    with open_run_dir(Path(args.report_dir) if args.report_dir else None, new_run_id(), clean=False) as report_dir:
        return _mutants_in(report_dir, faults, generations, jobs, sign_key, full_suite=args.full_suite)


def _mutants_in(
    report_dir: Path, faults: list[str], generations: list[str], jobs: int, sign_key: Path | None, *, full_suite: bool = False
) -> int:
    import time

    from harness import mutants

    runs = mutants.plan(faults, generations)
    scope = "the whole suite" if full_suite else "the requirements naming its fault"
    print(
        f"ssc-conform mutants: {len(runs)} runs ({len(generations)} clean on the whole suite, {len(runs) - len(generations)} mutants "
        f"each on {scope}), {jobs} at a time",
        file=sys.stderr,
    )

    def progress(outcome: mutants.RunOutcome, done: int, total: int) -> None:
        failed = ",".join(outcome.failed_requirements) or "-"
        state = outcome.error or f"failed: {failed}"
        print(
            f"[{done}/{total}] {outcome.generation} {outcome.fault or mutants.CLEAN} ({outcome.duration_s:.1f} s) {state}",
            file=sys.stderr,
            flush=True,
        )

    started = time.monotonic()
    outcomes = mutants.run_all(runs, report_dir, jobs=jobs, progress=progress, full_suite=full_suite)
    clean, verdicts = mutants.evaluate(outcomes)
    from reference_card import FAULTS

    complete = set(faults) == set(FAULTS)  # every fault ran: a requirement no fault names is a gap
    mutants.print_table(clean, verdicts)
    if not full_suite:
        print(
            "(targeted runs: each mutant ran only the requirements naming its fault, so 'other failed requirements' shows only "
            "those sharing a scenario with them; --full-suite runs every mutant on the whole suite)"
        )
    mutants.print_requirements(mutants.requirement_table(clean, verdicts, complete=complete))
    path = report_dir / "mutants.json"
    mutants.write_report(path, clean, verdicts, time.monotonic() - started, complete=complete, full_suite=full_suite)
    print(f"mutants: {path}")
    from harness.artefacts import finish_run

    if finish_run(report_dir, sign_key, allure=False).evidence is None:
        return 3  # the run's evidence was not produced (the reason is printed): the run failed
    return 0 if mutants.passed(clean, verdicts, complete=complete) else 1


def cmd_learn(args: argparse.Namespace) -> int:
    from harness.learn.run import DEFAULT_MAX_APDUS, LearnOptions, run_learn

    options = LearnOptions(
        card=args.card,
        profile=args.profile,
        alphabet=Path(args.alphabet) if args.alphabet else None,
        max_apdus=DEFAULT_MAX_APDUS if args.max_apdus is None else args.max_apdus,
        allow_destructive=args.allow_destructive,
        faults=tuple(args.fault),
        keys=Path(args.keys) if args.keys else None,
        pin=args.pin,
        report_dir=Path(args.report_dir) if args.report_dir else None,
        seed=args.seed,
        model=args.model,
    )
    return run_learn(options)


def cmd_serve(args: argparse.Namespace) -> int:
    from harness.serve import serve_reference_card

    try:
        spec = parse_card_spec(args.card)
    except CardSpecError as exc:
        raise UsageError(str(exc)) from None
    if spec.kind != "reference":
        raise UsageError("serve-card serves the embedded reference card: use --card reference[:genN]")
    return serve_reference_card(
        spec, args.host, args.port, faults=args.fault, tearing_hook=args.tearing_hook, reader_test=args.reader_test, psam=args.psam
    )


def cmd_diff(args: argparse.Namespace) -> int:
    from harness.diff.command import DiffOptions, run_diff

    return run_diff(
        DiffOptions(
            card=args.card,
            profile=args.profile,
            keys=Path(args.keys) if args.keys else None,
            pin=args.pin,
            psam=args.psam,
            declaration=Path(args.declaration) if args.declaration else None,
            card_set=Path(args.card_set) if args.card_set else None,
            max_apdus=args.max_apdus,
            seconds=args.seconds,
            seed=args.seed,
            allow_destructive=args.allow_destructive,
            faults=tuple(args.fault),
            report_dir=Path(args.report_dir) if args.report_dir else None,
            stop_at_first=args.first,
            apdu_timeout=args.apdu_timeout,
        )
    )


def cmd_replay(args: argparse.Namespace) -> int:
    from harness.replay.command import run_replay

    return run_replay(
        Path(args.script),
        args.card,
        profile=args.profile,
        keys=Path(args.keys) if args.keys else None,
        pin=args.pin,
        psam=args.psam,
        faults=tuple(args.fault),
        allow_destructive=args.allow_destructive,
        scenario=args.scenario,
        save_script=Path(args.save_script) if args.save_script else None,
    )


def cmd_readers() -> int:
    from terminal.transports.base import TransportError
    from terminal.transports.readers import list_readers

    try:
        readers = list_readers()
    except TransportError as exc:
        print(f"ssc-conform: {exc}", file=sys.stderr)
        return 2
    if not readers:
        print("no PC/SC readers found")
        return 0
    for r in readers:
        state = (
            f"card present, ATR {r.atr.hex(' ').upper()}" if r.card_present and r.atr else ("card present" if r.card_present else "no card")
        )
        print(f"{r.name}\t{state}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from harness.artefacts import ArtefactUnavailable, build_report
    from harness.rundocs import MUTANTS, RESULTS, read_run_document

    run_dir = Path(args.run_dir)
    documents = [run_dir / name for name in (RESULTS, MUTANTS) if (run_dir / name).exists()]
    if not documents and not (run_dir / "diff.json").exists():
        raise UsageError(f"{run_dir}: no results.json here — expected a run directory such as reports/latest")
    for path in documents:
        read_run_document(path)  # one line naming the file when it is broken
    try:
        path = build_report(run_dir)
    except ArtefactUnavailable as exc:
        print(f"ssc-conform: report.html not produced: {exc}", file=sys.stderr)
        return UNFINISHED
    except (OSError, ValueError) as exc:
        raise UsageError(f"{run_dir}: report.html not produced: {' '.join(str(exc).split())}") from None
    print(f"report: {path}")
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    from harness.artefacts import ArtefactUnavailable, evidence_module

    try:
        evidence = evidence_module()
    except ArtefactUnavailable as exc:
        print(f"ssc-conform: {exc}", file=sys.stderr)
        return 3
    private, public = Path(f"{args.out}.key"), Path(f"{args.out}.pub")
    try:
        fingerprint = evidence.generate_keypair(private, public)
    except (evidence.EvidenceError, OSError) as exc:
        raise UsageError(f"keygen: {exc}") from None
    print(f"private key: {private} (mode 0600; keep it in the lab — it signs evidence bundles)")
    print(f"public key:  {public} (give it to whoever verifies: ssc-conform verify evidence.zip --pubkey {public})")
    print(f"fingerprint: {fingerprint}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from harness.artefacts import ArtefactUnavailable, evidence_module

    try:
        evidence = evidence_module()
    except ArtefactUnavailable as exc:
        print(f"ssc-conform: {exc}", file=sys.stderr)
        return 3
    try:
        result = evidence.verify_bundle(Path(args.bundle), Path(args.pubkey))
    except (evidence.EvidenceError, OSError) as exc:
        raise UsageError(f"verify: {exc}") from None
    for message in result.messages:
        print(message)
    print("OK" if result.ok else "NOT OK")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
