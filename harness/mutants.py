"""`ssc-conform mutants`: does the suite catch every known defect of the reference card?

The suite runs against the clean reference card and against every fault of
`reference_card.FAULTS` (a mutant card), for each generation the fault is observable on. A fault is
*caught* on a generation when at least one requirement in its `requirement_ids` — the requirements
that name the defect — fails there; the clean card must pass everything. A fault none of whose
requirements has a scenario that runs on the clean card of that generation is *not covered by
this suite version*: listed, but not a failure. The clean card's run is 通过 (exit status 0) when
every requirement of the card plan has scenarios (the case since SEC-TEAR-1/2 and SEC-ROB-1 got
theirs); should a requirement of the plan lack scenarios, the run's 未完成 (exit 4) for that reason
alone still counts as clean; any other requirement of the plan left not run or inconclusive, and
any failed one, does not.

The same verdicts read per requirement (`requirement_table`): for each requirement of the
catalogue, the faults that name it and whether it killed them (failed on the mutant). When the run
covers the whole registry, a requirement whose scenarios ran on the clean card but that kills no
fault fails the command: the suite would not notice if that requirement's check stopped checking.

Each run is a `harness.run.run_suite` call in a child process (forked from a parent that has already
imported the harness and parsed the profiles, so a child starts in milliseconds, and no pytest or
card state leaks from one run into the next), at most `jobs` at a time (by default one per CPU the
process may use). Each run's results.json stays under ``<report dir>/mutants/<generation>-<fault|clean>/``;
the verdicts go to ``<report dir>/mutants.json``.

The clean cards run the whole suite. A mutant, by default, runs only the scenarios of the
requirements that name its fault (``--tags "A or B"``, `targets`): whether a fault is caught, and
which requirement kills it, depends on those requirements alone — the suite's cases are
independent (issue 8 §4: a requirement run alone gets the verdict it gets in the full run) — so
the verdicts, the per-requirement table and the exit status are those of full runs, at a fraction
of the cost. What a targeted run does not show is the collateral: other requirements the fault
also breaks (``other_failed``); ``full_suite`` (``mutants --full-suite``) runs every mutant on
the whole suite to list them.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

CLEAN = "clean"
CAUGHT, MISSED, NOT_COVERED, ERROR = "caught", "MISSED", "not covered", "error"
# Per-requirement states (`RequirementVerdict.state`); NOT_KILLED and NO_FAULT fail the command.
KILLS, NOT_KILLED, NO_FAULT = "kills", "NOT KILLED", "NO FAULT"
# In a run of chosen faults (--fault) the table only informs: another fault may kill the requirement.
NO_SCENARIO, NOT_IN_RUN, NOT_KILLED_HERE = "no scenario in this suite version", "no fault of this run names it", "not killed here"


@dataclass
class RunOutcome:
    """One `ssc-conform run` on the clean card (fault None) or a mutant."""

    generation: str
    fault: str | None
    exit_code: int
    report_dir: str
    duration_s: float
    verdicts: dict[str, str] = field(default_factory=dict)  # requirement → verdict (with scenarios)
    failed_scenarios: list[dict[str, Any]] = field(default_factory=list)  # name, requirements, reason
    error: str | None = None
    tags: str | None = None  # the tag expression of a targeted mutant run (`targets`); None: the whole suite
    # requirements of the plan neither passed nor failed for a reason other than "no scenario in
    # this suite version" (harness.plan): what keeps a clean run from being clean
    open_requirements: list[str] = field(default_factory=list)

    @property
    def failed_requirements(self) -> list[str]:
        return [r for r, v in self.verdicts.items() if v == "failed"]


@dataclass
class FaultVerdict:
    fault: str
    generation: str
    expected: list[str]  # the fault's requirement_ids
    verdict: str  # CAUGHT, MISSED, NOT_COVERED or ERROR
    caught_by: list[str]
    covered: list[str]  # expected requirements with a scenario that ran (passed) on the clean card
    other_failed: list[str]
    failed_scenarios: list[dict[str, Any]]
    detail: str = ""


@dataclass
class RequirementVerdict:
    """One requirement of the catalogue against the faults that name it."""

    requirement: str
    faults: list[str]  # faults of this run naming the requirement (registry order)
    killed: list[str]  # "fault (generation)" of every mutant run on which this requirement failed
    survived: list[str]  # "fault (generation)" of the runs naming it on which it did not fail
    state: str  # KILLS, NOT_KILLED, NO_FAULT, NO_SCENARIO; in a partial run NOT_KILLED_HERE or NOT_IN_RUN

    @property
    def failing(self) -> bool:
        return self.state in (NOT_KILLED, NO_FAULT)


def plan(faults: Sequence[str], generations: Sequence[str]) -> list[tuple[str, str | None]]:
    """(generation, fault or None for the clean card) for every run, clean runs first."""
    from reference_card import FAULTS

    runs: list[tuple[str, str | None]] = [(g, None) for g in generations]
    for name in faults:
        applies = FAULTS[name].generations or tuple(generations)
        runs += [(g, name) for g in generations if g in applies]
    return runs


def targets(fault: str) -> str:
    """The tag expression of a targeted mutant run: the requirements that name `fault`."""
    from reference_card import FAULTS

    return " or ".join(FAULTS[fault].requirement_ids)


def default_jobs() -> int:
    """Runs in parallel: one per CPU this process may use (each run is one busy process)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no sched_getaffinity (macOS)
        return max(1, os.cpu_count() or 1)


def _child(generation: str, fault: str | None, report_dir: str, log_path: str, tags: str | None = None) -> None:
    """Child process body: one quiet results-only run (`run_suite`), its output into `log_path`;
    `tags` narrows it to the requirements naming the fault (a targeted run)."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    from harness.exitstatus import BAD_INPUT, UNFINISHED, UsageError
    from harness.run import RunOptions, run_suite

    options = RunOptions(
        card=f"reference:{generation}",
        report_dir=Path(report_dir),
        faults=(fault,) if fault is not None else (),
        tags=tags,
        # SEC-ROB-1 with the budget of a card in a reader (2,000 APDUs, not 20,000): its systematic
        # phases stay whole, so every robustness fault is still killed, at a tenth of the cost per run
        robustness_budget=_reader_budget(generation),
        quiet=True,
        results_only=True,  # one report and one bundle for all the runs, made by the parent
    )
    try:
        code = run_suite(options).exit_code
    except UsageError as exc:
        print(f"ssc-conform: {exc}", file=sys.stderr)
        code = BAD_INPUT
    except BaseException as exc:  # a crash is an outcome of its own, reported by the parent
        print(f"ssc-conform mutants: run crashed: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = UNFINISHED
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _reader_budget(generation: str) -> int | None:
    """The profile's SEC-ROB-1 budget for a card in a reader (None: the profile has no battery)."""
    from ssc.profile import load_profile

    spec = load_profile(generation).robustness
    return spec.budget_reader if spec is not None else None


def _preload(generations: Sequence[str]) -> None:
    """Import and parse in the parent what every child needs, so forks start warm: the review
    logic of checks/ (with scipy, which the randomness battery imports: about 2 s a child
    otherwise, most of a targeted run) and the profiles. Pytest plugins (pytest_bdd, the harness
    plugins) and the step modules are left for pytest to import, as it must."""
    import importlib
    import pkgutil

    import pytest  # noqa: F401  (pytest plugins such as pytest_bdd must be left for pytest to import)

    import checks
    import reference_card  # noqa: F401
    import terminal.session  # noqa: F401
    from ssc.profile import load_profile

    for module in pkgutil.walk_packages(checks.__path__, "checks."):
        importlib.import_module(module.name)

    for g in generations:
        load_profile(g)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_all(
    runs: Sequence[tuple[str, str | None]], report_dir: Path, jobs: int = 2, progress: Any = None, *, full_suite: bool = False
) -> list[RunOutcome]:
    """Run every (generation, fault) of `runs`, `jobs` child processes at a time; a mutant runs
    only the requirements naming its fault (`targets`) unless `full_suite`."""
    generations = sorted({g for g, _ in runs})
    _preload(generations)
    ctx = _context()
    base = report_dir / "mutants"
    base.mkdir(parents=True, exist_ok=True)
    pending = list(runs)
    active: dict[Any, tuple[Any, str, str | None, Path, float, str | None]] = {}  # sentinel → (process, run, dir, start, tags)
    outcomes: list[RunOutcome] = []
    while pending or active:
        while pending and len(active) < max(1, jobs):
            generation, fault = pending.pop(0)
            out = base / f"{generation}-{fault or CLEAN}"
            out.mkdir(parents=True, exist_ok=True)
            results = out / "results.json"
            if results.exists():
                results.unlink()
            tags = targets(fault) if fault is not None and not full_suite else None
            proc = ctx.Process(target=_child, args=(generation, fault, str(out), str(out / "run.log"), tags), daemon=False)
            proc.start()
            active[proc.sentinel] = (proc, generation, fault, out, time.monotonic(), tags)
        for sentinel in wait(list(active)):
            proc, generation, fault, out, started, tags = active.pop(sentinel)
            proc.join()
            outcome = _outcome(generation, fault, out, proc.exitcode if proc.exitcode is not None else 3, time.monotonic() - started)
            outcome.tags = tags
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome, len(outcomes), len(runs))
    order = {r: i for i, r in enumerate(runs)}
    return sorted(outcomes, key=lambda o: order[(o.generation, o.fault)])


def _outcome(generation: str, fault: str | None, out: Path, code: int, duration: float) -> RunOutcome:
    outcome = RunOutcome(generation, fault, code, str(out), round(duration, 2))
    results = out / "results.json"
    if not results.exists():
        log = (out / "run.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        outcome.error = f"no results.json (exit status {code}): {log[-1] if log else 'no output'}"
        return outcome
    doc = json.loads(results.read_text(encoding="utf-8"))
    outcome.verdicts = {rid: r["verdict"] for rid, r in doc["requirements"].items() if r["scenarios"]}
    outcome.failed_scenarios = [
        {"name": s["name"], "feature": s["feature"], "requirements": s["requirements"], "reason": s["reason"]}
        for s in doc["scenarios"]
        if s["verdict"] == "failed"
    ]
    from harness.exitstatus import FAILED, INCOMPLETE_OR_PARTIAL, PASSED
    from harness.plan import NO_SCENARIO

    verdict = doc.get("verdict") or {}
    outcome.open_requirements = [
        str(i.get("requirement"))
        for key in ("not_run", "inconclusive")
        for i in verdict.get(key) or []
        if not (key == "not_run" and i.get("reason") == NO_SCENARIO)
    ]
    if not verdict:
        outcome.open_requirements = ["(results.json carries no overall verdict)"]
    if code not in (PASSED, FAILED, INCOMPLETE_OR_PARTIAL):
        outcome.error = f"ssc-conform run exited with status {code}; see {out / 'run.log'}"
    return outcome


def evaluate(outcomes: Sequence[RunOutcome]) -> tuple[list[RunOutcome], list[FaultVerdict]]:
    """(clean runs, one verdict per mutant run)."""
    from reference_card import FAULTS

    clean = {o.generation: o for o in outcomes if o.fault is None}
    verdicts = []
    for o in outcomes:
        if o.fault is None:
            continue
        expected = list(FAULTS[o.fault].requirement_ids)
        base = clean.get(o.generation)
        covered = [r for r in expected if base is not None and base.verdicts.get(r) == "passed"]
        failed = o.failed_requirements
        caught_by = [r for r in expected if r in failed]
        other = [r for r in failed if r not in expected]
        if o.error is not None:
            verdict, detail = ERROR, o.error
        elif caught_by:
            verdict, detail = CAUGHT, ""
        elif covered:
            verdict, detail = MISSED, f"{', '.join(covered)} passed on the mutant"
        else:
            verdict, detail = (
                NOT_COVERED,
                "not covered by this suite version: no scenario of " + ", ".join(expected) + f" runs on {o.generation}",
            )
        verdicts.append(FaultVerdict(o.fault, o.generation, expected, verdict, caught_by, covered, other, o.failed_scenarios, detail))
    return list(clean.values()), verdicts


def clean_problems(clean: Sequence[RunOutcome]) -> list[str]:
    out = []
    for o in clean:
        if o.error is not None:
            out.append(f"{o.generation}: {o.error}")
        elif o.failed_requirements or o.exit_code not in (0, 4):
            names = "; ".join(s["name"] for s in o.failed_scenarios) or f"exit status {o.exit_code}"
            out.append(f"{o.generation}: clean card fails {', '.join(o.failed_requirements) or '(no requirement)'}: {names}")
        elif o.open_requirements:
            out.append(f"{o.generation}: clean card run incomplete beyond requirements without scenarios: {', '.join(o.open_requirements)}")
    return out


def requirement_table(clean: Sequence[RunOutcome], verdicts: Sequence[FaultVerdict], *, complete: bool) -> list[RequirementVerdict]:
    """One row per catalogue requirement, catalogue order. A requirement *has scenarios* when one
    of them ran (passed or failed) on a clean card of the run; one without is listed as NO_SCENARIO.
    `complete`: the run holds every fault of the registry, so a requirement with scenarios that kills
    none of its faults (NOT_KILLED), or that no fault names (NO_FAULT), is a gap; in a run of chosen
    faults these are only NOT_KILLED_HERE and NOT_IN_RUN (another fault may kill the requirement)."""
    from ssc.catalogue import load_catalogue

    ran = {r for o in clean for r, v in o.verdicts.items() if v in ("passed", "failed")}
    rows = []
    for rid in load_catalogue().requirements:
        naming = [v for v in verdicts if rid in v.expected]
        faults = list(dict.fromkeys(v.fault for v in naming))
        killed = [f"{v.fault} ({v.generation})" for v in naming if rid in v.caught_by]
        survived = [f"{v.fault} ({v.generation})" for v in naming if rid not in v.caught_by]
        if rid not in ran:
            state = NO_SCENARIO
        elif killed:
            state = KILLS
        elif faults:
            state = NOT_KILLED if complete else NOT_KILLED_HERE
        else:
            state = NO_FAULT if complete else NOT_IN_RUN
        rows.append(RequirementVerdict(rid, faults, killed, survived, state))
    return rows


def passed(clean: Sequence[RunOutcome], verdicts: Sequence[FaultVerdict], *, complete: bool = False) -> bool:
    """The clean cards pass, every fault is caught (or not covered), and every requirement with
    scenarios kills a fault that names it (`requirement_table`)."""
    return (
        not clean_problems(clean)
        and all(v.verdict in (CAUGHT, NOT_COVERED) for v in verdicts)
        and not any(r.failing for r in requirement_table(clean, verdicts, complete=complete))
    )


def print_table(
    clean: Sequence[RunOutcome], verdicts: Sequence[FaultVerdict], out: Any = None, *, max_scenarios: int = 4, max_other: int = 6
) -> None:
    """One row per mutant run (long lists shortened; mutants.json has them whole)."""
    out = out or sys.stdout
    w = max([len(v.fault) for v in verdicts] + [len("fault")])
    print(file=out)
    for o in clean:
        state = "passes every requirement with a scenario" if not clean_problems([o]) else "FAILS"
        ran = sum(1 for v in o.verdicts.values() if v == "passed")
        print(f"clean reference card {o.generation}: {state} ({ran} requirements passed, {o.duration_s:.1f} s)", file=out)
    for line in clean_problems(clean):
        print(f"  {line}", file=out)
    print(file=out)
    print(f"{'fault':<{w}}  gen   verdict      caught by (requirements naming the defect)   other failed requirements", file=out)
    for v in verdicts:
        caught = ", ".join(v.caught_by) if v.caught_by else f"— (expected {', '.join(v.expected)})"
        other = (
            ", ".join(v.other_failed[:max_other])
            + (f" (+{len(v.other_failed) - max_other} more)" if len(v.other_failed) > max_other else "")
            or "—"
        )
        print(f"{v.fault:<{w}}  {v.generation}  {v.verdict:<11}  {caught:<43}  {other}", file=out)
        names = [s["name"] for s in v.failed_scenarios]
        if names:
            shown = "; ".join(names[:max_scenarios]) + (f" (+{len(names) - max_scenarios} more)" if len(names) > max_scenarios else "")
            print(f"{'':<{w}}        failed scenarios: {shown}", file=out)
        if v.verdict in (MISSED, ERROR):
            print(f"{'':<{w}}        {v.detail}", file=out)
    not_covered = sorted({v.fault for v in verdicts if v.verdict == NOT_COVERED})
    if not_covered:
        print(file=out)
        print("not covered by this suite version (no scenario for the requirements naming the defect):", file=out)
        for name in not_covered:
            gens = [v.generation for v in verdicts if v.fault == name and v.verdict == NOT_COVERED]
            expected = next(v.expected for v in verdicts if v.fault == name)
            print(f"  {name} ({', '.join(expected)}) on {', '.join(gens)}", file=out)
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    print(file=out)
    print(f"{len(verdicts)} mutant runs: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in (CAUGHT, MISSED, NOT_COVERED, ERROR)), file=out)


def print_requirements(rows: Sequence[RequirementVerdict], out: Any = None, *, max_faults: int = 4) -> None:
    """Per requirement: its state and the faults naming it, killed or survived (lists shortened)."""
    out = out or sys.stdout

    def short(items: list[str]) -> str:
        return ", ".join(items[:max_faults]) + (f" (+{len(items) - max_faults} more)" if len(items) > max_faults else "")

    w = max([len(r.requirement) for r in rows] + [len("requirement")])
    print(file=out)
    print(f"{'requirement':<{w}}  {'state':<10}  faults naming it: killed / survived", file=out)
    for r in rows:
        if r.state in (NO_SCENARIO, NOT_IN_RUN):
            print(f"{r.requirement:<{w}}  {'—':<10}  {r.state}", file=out)
            continue
        parts = [f"killed {short(r.killed)}"] if r.killed else []
        parts += [f"survived {short(r.survived)}"] if r.survived else []
        print(f"{r.requirement:<{w}}  {r.state:<10}  {'; '.join(parts) or 'no fault in the registry names it'}", file=out)
    failing = [r.requirement for r in rows if r.failing]
    print(file=out)
    print(
        f"{sum(1 for r in rows if r.state == KILLS)} requirements kill a fault naming them"
        + (f"; {len(failing)} with scenarios kill none: {', '.join(failing)}" if failing else "")
        + f"; {sum(1 for r in rows if r.state == NO_SCENARIO)} have no scenario in this suite version",
        file=out,
    )


def write_report(
    path: Path,
    clean: Sequence[RunOutcome],
    verdicts: Sequence[FaultVerdict],
    elapsed: float,
    *,
    complete: bool = False,
    full_suite: bool = False,
) -> None:
    rows = requirement_table(clean, verdicts, complete=complete)
    doc = {
        "passed": passed(clean, verdicts, complete=complete),
        "complete": complete,
        # False: each mutant ran only the requirements naming its fault (`targets`), so
        # other_failed lists only requirements sharing a scenario with them
        "full_suite": full_suite,
        "elapsed_s": round(elapsed, 1),
        "clean": [asdict(o) | {"problems": clean_problems([o])} for o in clean],
        "faults": [asdict(v) for v in verdicts],
        "not_covered": sorted({v.fault for v in verdicts if v.verdict == NOT_COVERED}),
        "requirements": {r.requirement: {k: v for k, v in asdict(r).items() if k != "requirement"} for r in rows},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
