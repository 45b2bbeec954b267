"""Whole-suite figures: wall time per generation in-process and through vpcd, APDUs and card resets
per scenario (issue targets: ≤ 30 s in-process and ≤ 90 s through the virtual reader, per
generation; no scenario resets the card unless its requirement needs a reset).

    scripts/pcsc-sandbox .venv/bin/python bench/bench_suite.py [--generations gen2,gen3] [--no-vpcd]

Each run is `ssc-conform run` in a child process, as a user runs it; the vpcd runs serve the
reference card from another process on 'Virtual PCD 00 00' with --allow-destructive and the card's
ICS and issuer declaration (as a lab runs a card in a reader), so both paths execute the same
scenarios; requirements inconclusive or not run are listed with their reasons.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_table

ROOT = Path(__file__).resolve().parents[1]
READER = "Virtual PCD 00 00"
SERVER = (
    "import logging\nlogging.basicConfig(level=logging.WARNING)\n"
    "from reference_card import ReferenceCard\nfrom terminal.vpcd import VpcdServer\n"
    "VpcdServer(ReferenceCard.default({gen!r})).serve_forever()\n"
)


def run_suite(card: str, report_dir: Path, *extra: str) -> tuple[float, dict]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "-q", "--card", card, "--report-dir", str(report_dir), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    results = report_dir / "results.json"
    if not results.exists():
        raise SystemExit(f"{card}: no results (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, json.loads(results.read_text(encoding="utf-8"))


def summary(name: str, wall: float, doc: dict) -> tuple[object, ...]:
    scenarios = doc["scenarios"]
    verdicts = [r["verdict"] for r in doc["requirements"].values() if r["scenarios"]]
    return (
        name,
        round(wall, 1),
        len(scenarios),
        sum(s["apdus"] for s in scenarios),
        sum(s["resets"] for s in scenarios),
        "/".join(str(verdicts.count(v)) for v in ("passed", "failed", "inconclusive", "not-run")),
    )


def _not_run(name: str, doc: dict) -> list[str]:
    """One line per requirement of `doc` that is inconclusive or was not run: its scenarios' reasons."""
    by_id = {s["id"]: s for s in doc["scenarios"]}
    out = []
    for req, r in doc["requirements"].items():
        if r["verdict"] not in ("not-run", "inconclusive") or not r["scenarios"]:
            continue
        reasons = sorted({str(by_id[s].get("reason") or "") for s in r["scenarios"] if s in by_id} or {str(r.get("reason") or "")})
        out.append(f"  {name}: {req}: {'; '.join(x[:140] for x in reasons if x) or '(no reason recorded)'}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generations", default="gen1,gen2,gen3")
    parser.add_argument("--no-vpcd", action="store_true", help="only the in-process runs")
    args = parser.parse_args()
    gens = [g.strip() for g in args.generations.split(",") if g.strip()]
    vpcd = not args.no_vpcd
    if vpcd and not Path(os.environ.get("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm")).is_socket():
        print("no pcscd here: run me inside scripts/pcsc-sandbox, or pass --no-vpcd", file=sys.stderr)
        return 2
    rows, docs = [], {}
    not_run: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for gen in gens:
            wall, doc = run_suite(f"reference:{gen}", Path(tmp) / f"in-{gen}")
            rows.append(summary(f"{gen} in-process", wall, doc))
            docs[gen] = doc
            if vpcd:
                from terminal.transports.readers import wait_for_card

                server = subprocess.Popen([sys.executable, "-c", SERVER.format(gen=gen)], cwd=ROOT)
                try:
                    wait_for_card(READER, timeout=10)
                    wall, doc = run_suite(
                        f"reader:{READER}",
                        Path(tmp) / f"vpcd-{gen}",
                        "--allow-destructive",
                        "--declaration",
                        "fixtures/issuers/441800.yaml",
                        "--ics",
                        f"fixtures/ics/reference-{gen}.yaml",
                    )
                finally:
                    server.terminate()
                    server.wait(10)
                    wait_for_card(READER, present=False, timeout=10)
                rows.append(summary(f"{gen} through pcscd+vpcd", wall, doc))
                not_run += _not_run(f"{gen} through pcscd+vpcd", doc)
    print_table(("run", "wall s", "scenarios", "APDUs", "resets", "req passed/failed/inconclusive/not-run"), rows)
    if not_run:
        print("\nrequirements inconclusive or not run, and why (each scenario's reason):")
        print("\n".join(not_run))
    doc = docs[gens[-1]]
    print(f"\nper scenario ({gens[-1]} in-process), most APDUs first:")
    per = sorted(doc["scenarios"], key=lambda s: -s["apdus"])
    print_table(
        ("scenario", "requirements", "APDUs", "resets"),
        [(s["name"][:70], ",".join(s["requirements"]), s["apdus"], s["resets"]) for s in per[:25]],
    )
    resetting = [s for s in doc["scenarios"] if s["resets"]]
    print(
        f"\nscenarios that reset the card: {len(resetting)}"
        + "".join(f"\n  {s['name']} ({','.join(s['requirements'])}): {s['resets']}" for s in resetting)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
