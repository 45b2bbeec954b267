"""Lockstep diff against every fault of the reference card's registry, and against the clean card.

    .venv/bin/python bench/diff_faults.py [--budget 20000] [--clean 100000] [--generations gen1,gen2,gen3]
                                          [--fault NAME ...] [--via inprocess|vpcd] [--seed 0] [--clean-only]
                                          [--allow-destructive] [--replace-to-shrink] [--apdu-timeout S] [--no-tearing-hook]
                                          (these four: --via vpcd only)

In-process, destructive operations are on (APPEND RECORD, APPLICATION BLOCK/UNBLOCK): each
sequence gets a fresh card. Through vpcd the served card persists, as a physical card does: the
lockstep restores it between sequences and leaves destructive operations out unless
--allow-destructive (a lab certifying with destructive checks opts in; the lockstep then unblocks
the application and follows the appended records). --replace-to-shrink re-serves a fresh card of
the same batch for each shrink attempt once a divergence is seen, as a lab replaces a test card
(the search itself stays on the one persisting card). For each fault (in every generation where it is observable, or --generations' first one when it
is observable everywhere), `ssc-conform diff`'s lockstep runs against the mutant and prints the
APDUs sent to the DUT before the first diverging sequence, the length of the shrunk sequence, its
requirements and the time. Targets (issue 8 §1): every fault found within 20,000 APDUs and shrunk
to at most 10 commands; no divergence on the clean card of each generation in 100,000 APDUs
(and, through vpcd, no restore problem: the restores print what they could not put back).

Faults out of diff's reach are listed with the reason instead of being run as if they could be
caught (`OUT_OF_REACH`). ``--via vpcd`` serves each card through the vpcd virtual reader (run it
inside scripts/test's pcscd sandbox or with pcscd + vpcd running) and diffs it as ``reader:``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_vpcd import ServedCard
from common import print_table

from harness.declaration import default_declaration_path
from harness.diff.card import open_card
from harness.diff.command import DiffOptions, prepare
from harness.diff.lockstep import DiffRun, run_lockstep
from reference_card.faults import FAULTS
from terminal.transports.base import Transport

SHRINK_TARGET = 10

# Faults the lockstep cannot see by construction, and why (the suite's checks catch them).
OUT_OF_REACH: dict[str, str] = {}


# Faults that only show under destructive operations, which the vpcd run (a card that persists,
# as a physical one) leaves out; the in-process run (a fresh card per sequence) has them on.
DESTRUCTIVE_ONLY: dict[str, str] = {
    "application_block_ignored": "needs APPLICATION BLOCK: run with --allow-destructive (on in the in-process run)",
    "change_pin_ignores_block": "needs the PIN run down to blocked (pin_run_down): run with --allow-destructive (on in the in-process run)",
    "change_pin_blocked_at_last_try": "needs the PIN run down to its last try (pin_run_down): run with --allow-destructive (on in the "
    "in-process run)",
    "cyclic_append_no_rotation": "needs APPEND RECORD: run with --allow-destructive (on in the in-process run)",
    "blocked_application_writes": "needs APPLICATION BLOCK (a write sent while blocked): run with --allow-destructive (on in the in-process run)",
}


def _faults(args: argparse.Namespace, generations: list[str]) -> list[tuple[str, str]]:
    out = []
    for name in args.fault or list(FAULTS):
        fault = FAULTS[name]
        gens = [g for g in generations if not fault.generations or g in fault.generations] or list(fault.generations[:1])
        out.append((name, gens[0]))
    return out


def _declaration(gen: str) -> Path | None:
    """The served card's issuer declaration, as a lab passes ``--declaration`` for its card (the
    embedded card gets its own without asking): the institution and key versions the twin takes
    from it rather than from the card."""
    region = open_card(f"reference:{gen}").identity.region
    return default_declaration_path(region)


def _card_set(gen: str, reader: str, directory: Path) -> Path:
    """The served card's registration, as a lab passes ``--card-set`` for its card: a card-set file
    whose entry for the reader holds the card number the card was issued with (the embedded card
    gets it without asking)."""
    from reference_card import ReferenceCard

    card = ReferenceCard.default(gen)
    path = directory / f"cardset-{gen}.yaml"
    path.write_text(
        f'format: ssc-card-set/1\ncards:\n  - reader: "{reader}"\n    region: "{card.personalization.region}"\n'
        f'    generation: {gen}\n    card_number: "{card.personalization.card_number}"\n',
        encoding="utf-8",
    )
    return path


def _one(
    card: str,
    gen: str,
    faults: tuple[str, ...],
    budget: int,
    seed: int,
    first: bool,
    *,
    destructive: bool = False,
    served: ServedCard | None = None,
    apdu_timeout: float | None = None,
) -> tuple[DiffRun, float]:
    embedded = card.startswith("reference")
    scratch = tempfile.TemporaryDirectory(prefix="diff-faults-")
    options = DiffOptions(
        card=card,
        profile=gen,
        faults=faults,
        max_apdus=budget,
        seed=seed,
        stop_at_first=first,
        allow_destructive=embedded or destructive,  # a fresh embedded card per sequence: nothing to lose
        declaration=None if embedded else _declaration(gen),
        card_set=None if embedded else _card_set(gen, card.removeprefix("reader:"), Path(scratch.name)),
        apdu_timeout=apdu_timeout,
    )
    with scratch:
        _, run, _ = prepare(options)
    if served is not None:
        batch = served

        def replace() -> Callable[[], Transport]:
            """Shrinking: a fresh served card of the same batch for each sequence."""
            batch.replace()
            return open_card(card, profile_option=gen, apdu_timeout=apdu_timeout).open

        run.replace_dut = replace
    started = time.perf_counter()
    run_lockstep(run)
    return run, time.perf_counter() - started


def _print_restore_problems(run: DiffRun) -> None:
    """What the restores between sequences could not put back on a persisting card (none on a
    fresh card per sequence): each distinct problem once, with how often it came up."""
    for problem in sorted(set(run.restore_problems)):
        print(f"  restore problem ({run.restore_problems.count(problem)}×): {problem}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=20_000, help="APDUs per fault (default 20000)")
    parser.add_argument("--clean", type=int, default=100_000, help="APDUs per clean generation (default 100000; 0: skip)")
    parser.add_argument("--generations", default="gen2,gen1,gen3")
    parser.add_argument("--fault", action="append", default=[])
    parser.add_argument("--via", choices=("inprocess", "vpcd"), default="inprocess")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clean-only", action="store_true", help="skip the faults: only the clean card of each generation")
    parser.add_argument(
        "--allow-destructive",
        action="store_true",
        help="--via vpcd: destructive operations on as well (APPEND RECORD, APPLICATION BLOCK/UNBLOCK), as a lab certifying "
        "with destructive checks runs diff (the in-process run always has them: a fresh card per sequence)",
    )
    parser.add_argument(
        "--replace-to-shrink",
        action="store_true",
        help="--via vpcd: once a divergence is seen, re-serve a fresh card of the same batch for each shrink attempt, as a lab "
        "replaces a test card (a card whose tries the diverging command spent, or that went mute, cannot re-run it)",
    )
    parser.add_argument(
        "--apdu-timeout",
        type=float,
        default=None,
        help="--via vpcd: seconds the served card may take per command before it counts as mute (default: the transport's 5 s; "
        "the served reference card answers in well under 0.1 s, so 0.5 keeps each mute shrink attempt short)",
    )
    parser.add_argument(
        "--no-tearing-hook",
        action="store_true",
        help="--via vpcd: serve the clean cards without the PROFILE §6.5 tearing hook, as a physical card (no torn writes "
        "drawn; through vpcd each power cut costs the served card about a second: a 100,000-APDU clean run with the hook "
        "takes about 40 min per generation). The fault cards keep the hook: three faults need it",
    )
    args = parser.parse_args()
    if args.apdu_timeout is not None and args.apdu_timeout <= 0:
        parser.error("--apdu-timeout: expected more than 0 seconds")
    generations = [g.strip() for g in args.generations.split(",") if g.strip()]
    if args.via == "vpcd":
        from bench_vpcd import served
    elif args.allow_destructive or args.replace_to_shrink or args.apdu_timeout is not None or args.no_tearing_hook:
        parser.error(
            "--allow-destructive, --replace-to-shrink, --apdu-timeout and --no-tearing-hook apply to --via vpcd (the in-process run "
            "has a fresh card per sequence)"
        )
    rows: list[tuple[object, ...]] = []
    missed = 0
    for name, gen in [] if args.clean_only else _faults(args, generations):
        if name in OUT_OF_REACH:
            rows.append((name, gen, "out of reach", None, None, None, OUT_OF_REACH[name]))
            continue
        if args.via == "vpcd" and name in DESTRUCTIVE_ONLY and not args.allow_destructive:
            rows.append((name, gen, "out of reach", None, None, None, DESTRUCTIVE_ONLY[name]))
            continue
        if args.via == "vpcd":
            with ServedCard(gen, (name,)) as card:
                run, seconds = _one(
                    f"reader:{card.reader}",
                    gen,
                    (),
                    args.budget,
                    args.seed,
                    True,
                    destructive=args.allow_destructive,
                    served=card if args.replace_to_shrink else None,
                    apdu_timeout=args.apdu_timeout,
                )
            if card.replacements:
                print(f"  {card.replacements} fresh served cards for the shrink attempts", file=sys.stderr, flush=True)
        else:
            run, seconds = _one(f"reference:{gen}", gen, (name,), args.budget, args.seed, True)
        print(f"{name} ({gen}): {len(run.divergences)} divergence(s), {run.apdus:,} APDUs, {seconds:.1f} s", file=sys.stderr, flush=True)
        _print_restore_problems(run)
        if run.divergences:
            found = run.divergences[0]
            ok = found.apdus_before <= args.budget and len(found.steps) <= SHRINK_TARGET
            missed += not ok
            rows.append(
                (
                    name,
                    gen,
                    "found" if ok else "found (over target)",
                    found.apdus_before,
                    len(found.steps),
                    seconds,
                    ", ".join(found.requirements),
                )
            )
        else:
            missed += 1
            rows.append((name, gen, "NOT FOUND", run.apdus, None, seconds, ""))
    if not args.clean_only:
        print(f"lockstep diff against each fault ({args.via}): budget {args.budget:,} APDUs, shrink target ≤ {SHRINK_TARGET} commands")
        print_table(("fault", "gen", "result", "APDUs to first", "shrunk", "s", "requirements / reason"), rows)
        reachable = [r for r in rows if r[2] != "out of reach"]
        print(
            f"\n{len(reachable) - missed}/{len(reachable)} reachable faults found within target; {len(rows) - len(reachable)} out of reach"
        )
    clean_rows: list[tuple[object, ...]] = []
    if args.clean:
        for gen in generations:
            if args.via == "vpcd":
                with served(gen, (), tearing_hook=not args.no_tearing_hook) as reader:
                    run, seconds = _one(f"reader:{reader}", gen, (), args.clean, args.seed, False, destructive=args.allow_destructive)
            else:
                run, seconds = _one(f"reference:{gen}", gen, (), args.clean, args.seed, False)
            _print_restore_problems(run)
            problems = len(run.restore_problems)
            clean_rows.append((gen, run.apdus, run.sequences, len(run.states), len(run.commands), len(run.divergences), problems, seconds))
            missed += bool(run.divergences) or bool(run.restore_problems)
        print(f"\nclean reference card ({args.via}): no divergence and no restore problem expected")
        print_table(("gen", "APDUs", "sequences", "states", "commands", "divergences", "restore problems", "s"), clean_rows)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
