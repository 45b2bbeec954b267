"""`ssc-conform`: the operator's command line.

run         run the conformance suite on a card (default: the embedded reference card)
serve-card  serve the reference card on the vpcd virtual reader (for PC/SC clients and the suite)
readers     list PC/SC readers, whether a card is present, and its ATR
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from harness.cardspec import CardSpecError, parse_card_spec

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUITE_DIR = PROJECT_ROOT / "suite"
DEFAULT_REPORT_DIR = Path("reports") / "latest"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ssc-conform", description="Social security card (社会保障卡) conformance harness")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the conformance suite and write results.json")
    run.add_argument("--card", default="reference", help="reference[:gen1|gen2|gen3] (default reference = gen2) or reader:NAME")
    run.add_argument("--profile", help="built-in profile (gen1, gen2, gen3) or a profile YAML file; default: the reference card's generation, or detected from a real card")
    run.add_argument("--report-dir", default=str(DEFAULT_REPORT_DIR), help="where results.json goes (default: reports/latest)")
    run.add_argument("--allow-destructive", action="store_true", help="run scenarios that block or irreversibly change a real card")
    run.add_argument("--keys", help="lab test-key file (default: the profile's public test roots)")
    run.add_argument("--pin", help="the card's current PIN (default: the profile's initial test PIN)")
    run.add_argument("--regions", help="comma-separated terminal regions, e.g. 441800,330200")
    run.add_argument("--fault", action="append", default=[], help="inject a named fault into the reference card (mutant)")
    run.add_argument("-k", dest="keyword", help="only scenarios matching this pytest keyword expression")
    run.add_argument("-m", dest="markers", help="only scenarios matching this tag expression, e.g. 'STD-ATR-1 or gen3'")
    run.add_argument("-q", "--quiet", action="store_true", help="no per-scenario progress lines")

    serve = sub.add_parser("serve-card", help="serve the reference card on the vpcd virtual reader")
    serve.add_argument("--card", default="reference", help="reference[:gen1|gen2|gen3]")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=35963, help="vpcd port (35963 = 'Virtual PCD 00 00', 35964 = '... 00 01')")
    serve.add_argument("--fault", action="append", default=[], help="serve a mutant with this fault")
    serve.add_argument("--tearing-hook", action="store_true", help="enable the FF 7E power-cut test hook (PROFILE §6.5)")

    sub.add_parser("readers", help="list PC/SC readers and the cards in them")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "serve-card":
            return cmd_serve(args)
        if args.command == "readers":
            return cmd_readers()
    except CardSpecError as exc:
        print(f"ssc-conform: {exc}", file=sys.stderr)
        return 2
    return 2


def cmd_run(args: argparse.Namespace) -> int:
    import pytest

    from harness.results import run_passed
    from harness.summary import print_summary

    parse_card_spec(args.card)  # fail early with a clear message
    report_dir = Path(args.report_dir)
    results = report_dir / "results.json"
    if results.exists():
        results.unlink()
    pytest_args = [
        str(SUITE_DIR), "-p", "harness.plugin", "-p", "no:cacheprovider", "-q", "--no-header", "-rN", "--tb=line",
        f"--rootdir={PROJECT_ROOT}", "--color=no", "-o", "console_output_style=classic",
        f"--ssc-card={args.card}", f"--ssc-report-dir={report_dir}",
    ]
    for opt, value in (("--ssc-profile", args.profile), ("--ssc-keys", args.keys), ("--ssc-pin", args.pin), ("--ssc-regions", args.regions)):
        if value:
            pytest_args.append(f"{opt}={value}")
    pytest_args += [f"--ssc-fault={f}" for f in args.fault]
    if args.allow_destructive:
        pytest_args.append("--ssc-allow-destructive")
    if not args.quiet:
        pytest_args.append("--ssc-progress")
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    if args.markers:
        pytest_args += ["-m", args.markers]
    code = pytest.main(pytest_args)
    if not results.exists():
        print(f"ssc-conform: the run wrote no results (pytest exit status {int(code)}); see the messages above", file=sys.stderr)
        return 3
    doc = json.loads(results.read_text(encoding="utf-8"))
    print_summary(doc, results)
    if int(code) not in (0, 1, 5):  # 1 = some scenario failed: the verdicts say so
        print(f"ssc-conform: pytest stopped with exit status {int(code)}", file=sys.stderr)
        return 3
    return 0 if run_passed(doc) else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from harness.serve import serve_reference_card

    spec = parse_card_spec(args.card)
    if spec.kind != "reference":
        raise CardSpecError("serve-card serves the embedded reference card: use --card reference[:genN]")
    return serve_reference_card(spec, args.host, args.port, faults=args.fault, tearing_hook=args.tearing_hook)


def cmd_readers() -> int:
    from terminal.readers import list_readers
    from terminal.transports.base import TransportError

    try:
        readers = list_readers()
    except TransportError as exc:
        print(f"ssc-conform: {exc}", file=sys.stderr)
        return 2
    if not readers:
        print("no PC/SC readers found")
        return 0
    for r in readers:
        state = f"card present, ATR {r.atr.hex(' ').upper()}" if r.card_present and r.atr else ("card present" if r.card_present else "no card")
        print(f"{r.name}\t{state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
