"""`ssc-conform`: the operator's command line.

run         run the conformance suite on a card (default: the embedded reference card)
mutants     run the suite on the clean reference card and on every known fault; check each is caught
serve-card  serve the reference card on the vpcd virtual reader (for PC/SC clients and the suite)
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
    mutants.add_argument("--jobs", type=int, default=2, help="runs in parallel (default 2)")

    serve = sub.add_parser("serve-card", help="serve the reference card on the vpcd virtual reader")
    serve.add_argument("--card", default="reference", help="reference[:gen1|gen2|gen3]")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=35963, help="vpcd port (35963 = 'Virtual PCD 00 00', 35964 = '... 00 01')")
    serve.add_argument("--fault", action="append", default=[], help="serve a mutant with this fault")
    serve.add_argument("--tearing-hook", action="store_true", help="enable the FF 7E power-cut test hook (PROFILE §6.5)")

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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "mutants":
            return cmd_mutants(args)
        if args.command == "serve-card":
            return cmd_serve(args)
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
        regions=parse_regions(args.regions) if args.regions is not None else None,
        faults=tuple(args.fault),
        tags=args.tags,
        keyword=args.keyword,
        markers=args.markers,
        quiet=args.quiet,
        apdu_timeout=args.apdu_timeout,
        card_grace=args.card_grace,
        random_bits=args.random_bits,
    )


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
    if args.jobs < 1:
        raise UsageError("--jobs: expected at least 1")
    sign_key = _sign_key(args.sign_key, args.report_dir)
    with open_run_dir(Path(args.report_dir) if args.report_dir else None, new_run_id(), clean=False) as report_dir:
        return _mutants_in(report_dir, faults, generations, args.jobs, sign_key)


def _mutants_in(report_dir: Path, faults: list[str], generations: list[str], jobs: int, sign_key: Path | None) -> int:
    import time

    from harness import mutants

    runs = mutants.plan(faults, generations)
    print(
        f"ssc-conform mutants: {len(runs)} runs ({len(generations)} clean, {len(runs) - len(generations)} mutants), {jobs} at a time",
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
    outcomes = mutants.run_all(runs, report_dir, jobs=jobs, progress=progress)
    clean, verdicts = mutants.evaluate(outcomes)
    from reference_card import FAULTS

    complete = set(faults) == set(FAULTS)  # every fault ran: a requirement no fault names is a gap
    mutants.print_table(clean, verdicts)
    mutants.print_requirements(mutants.requirement_table(clean, verdicts, complete=complete))
    path = report_dir / "mutants.json"
    mutants.write_report(path, clean, verdicts, time.monotonic() - started, complete=complete)
    print(f"mutants: {path}")
    from harness.artefacts import finish_run

    if finish_run(report_dir, sign_key, allure=False).evidence is None:
        return 3  # the run's evidence was not produced (the reason is printed): the run failed
    return 0 if mutants.passed(clean, verdicts, complete=complete) else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from harness.serve import serve_reference_card

    try:
        spec = parse_card_spec(args.card)
    except CardSpecError as exc:
        raise UsageError(str(exc)) from None
    if spec.kind != "reference":
        raise UsageError("serve-card serves the embedded reference card: use --card reference[:genN]")
    return serve_reference_card(spec, args.host, args.port, faults=args.fault, tearing_hook=args.tearing_hook)


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
    if not documents:
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
