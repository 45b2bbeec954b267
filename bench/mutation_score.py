"""Mutation score of the conformance suite over the reference card's command and security code
(issue "Verdicts a lab can sign", §7; target: ≥ 90 % of non-equivalent mutants killed, the run
within 30 minutes on 2 cores).

    .venv/bin/pip install -e '.[bench]'            # cosmic-ray
    .venv/bin/python bench/mutation_score.py [--modules reference_card/security.py,...]
        [--generations gen2,gen3,gen1] [--jobs 2] [--limit N] [--seconds S] [--json FILE]

Why cosmic-ray, and why not its `exec`: cosmic-ray enumerates and applies the mutations
(`cosmic-ray init` over the configured modules and `cosmic_ray.mutating.mutate_code`), but its
runner maps every non-zero exit and every time-out to "killed". The oracle here is the conformance
suite itself — `ssc-conform run -q --card reference:genN` — whose exit status says more: 0 every
requirement passed (survived), 1 a requirement failed (killed), 2/3 or a crash the run could not
complete (incompetent: e.g. the mutant breaks the card's start-up), and a run past its time limit is
timed out; so the benchmark runs the oracle itself. mutmut 3 was not used: it only runs pytest
in-process on its own trampolined copy (mutants/), with no external oracle command, so the suite's
exit-status contract and its per-generation runs could not be used as they are.

Every mutation is applied to a private copy of the work tree (one per job, in a temporary
directory removed at the end, Ctrl-C included); the work tree is never written. Each oracle run is
its own process group, killed on time-out and on Ctrl-C or SIGTERM (which print the partial
result, the untested mutants as "not run"), so nothing is left behind. Generations
run in the configured order and a mutant killed by one is not run on the next.

Mutations inside annotations or under `if TYPE_CHECKING:` are not counted: every module here has
`from __future__ import annotations`, so they never execute. AddNot on a condition that is a single
==, !=, is or is-not comparison, or a `not x`, is left out: the comparison's own negation mutant
(or the deleted `not`) is the same program, and one slip should count once. Survivors judged equivalent are data
in bench/mutation_equivalents.yaml (stable key → reason), so re-runs keep the judgement; the score
is (killed + timed out) / (killed + timed out + non-equivalent survivors), incompetent mutants
left out and counted apart.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import platform
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).with_name("mutation_score.toml")
EQUIVALENTS = Path(__file__).with_name("mutation_equivalents.yaml")

KILLED, SURVIVED, TIMED_OUT, INCOMPETENT, NOT_RUN = "killed", "survived", "timed out", "incompetent", "not run"
# what the copy of the tree leaves out: history, the venv, run output, caches
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".hypothesis", "mutants", "2*-*")


# -- pure logic (tests/unit/bench/test_mutation_score.py) -------------------------------------------
@dataclass(frozen=True)
class Mutant:
    """One cosmic-ray work item, with the line it changes before and after."""

    job_id: str
    path: str
    operator: str  # without cosmic-ray's "core/" prefix
    occurrence: int
    line: int
    col: int
    original: str
    mutated: str
    definition: str = ""  # the enclosing class.function ("" at module level)

    @property
    def key(self) -> str:
        """Stable across unrelated edits (no line number; the enclosing function tells apart the same
        line written twice in one file): what the equivalents file is keyed by."""
        return f"{self.path}: {self.definition or '<module>'}: {self.operator}: {self.original} → {self.mutated}"

    def describe(self) -> str:
        return f"{self.path}:{self.line}  {self.operator}  {self.original} → {self.mutated}"


@dataclass
class MutantResult:
    mutant: Mutant
    outcome: str
    generations: list[str] = field(default_factory=list)  # the generations run, in order
    failed_requirements: list[str] = field(default_factory=list)  # of the run that killed it
    seconds: float = 0.0
    detail: str = ""


# One suite run as `ssc-conform run -q` does it, writing only results.json (no report or bundle:
# the oracle needs the verdicts, nothing else) and stopping at the first failed scenario: one
# failed requirement kills the mutant, and a survivor runs the whole suite anyway.
_ORACLE = (
    "import sys; from pathlib import Path; from harness.run import RunOptions, run_suite; "
    "sys.exit(run_suite(RunOptions(card=sys.argv[1], report_dir=Path(sys.argv[2]), quiet=True, results_only=True, first_failure=True)).exit_code)"
)
# Exit statuses of a run that found no failed requirement: every requirement passed (0), or the
# plan is incomplete only because some requirement did not run (4, e.g. no scenario yet).
NO_FAILURE = (0, 4)


def classify(exit_code: int | None, timed_out: bool) -> str:
    """The outcome of one oracle run from `ssc-conform run`'s exit status (README: 0 pass, 1 a
    requirement failed, 2 bad input, 3 the run could not complete, 4 incomplete or partial)."""
    if timed_out:
        return TIMED_OUT
    if exit_code in NO_FAILURE:
        return SURVIVED
    if exit_code == 1:
        return KILLED
    return INCOMPETENT


def changed_line(original: str, mutated: str, line: int) -> tuple[str, str]:
    """The (whitespace-trimmed) text of `line` (1-based) before and after the mutation. cosmic-ray
    rewrites through parso, which keeps the layout, so the mutated source has the same lines."""
    before = original.splitlines()
    after = mutated.splitlines()
    old = before[line - 1] if 0 < line <= len(before) else ""
    new = after[line - 1] if 0 < line <= len(after) else ""
    if old == new:  # the change is on another line (a multi-line node): show the first that differs
        for a, b in zip(before, after):
            if a != b:
                old, new = a, b
                break
    return strip_comment(old), strip_comment(new)


def definition_at(source: str, line: int) -> str:
    """The dotted name of the innermost class/function around `line` ("" at module level)."""
    names: list[str] = []

    def visit(node: ast.AST, prefix: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if child.lineno <= line <= (child.end_lineno or child.lineno):
                    names[:] = [*prefix, child.name]
                    visit(child, [*prefix, child.name])
            else:
                visit(child, prefix)

    visit(ast.parse(source), [])
    return ".".join(names)


def strip_comment(line: str) -> str:
    """`line` trimmed and without its trailing comment, so that rewording a comment does not orphan
    an equivalents entry (a line that does not tokenize alone is only trimmed)."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline):
            if tok.type == tokenize.COMMENT:
                return line.strip()[: tok.start[1]].rstrip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return line.strip()


def inert_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) positions — line 1-based, column in characters — of code that never runs:
    annotations (the modules use `from __future__ import annotations`) and `if TYPE_CHECKING:`
    blocks including their test."""
    tree = ast.parse(source)
    lines = source.splitlines()

    def char_col(line: int, byte_col: int) -> int:
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    nodes: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nodes += [a.annotation for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs) if a.annotation]
            nodes += [a.annotation for a in (node.args.vararg, node.args.kwarg) if a is not None and a.annotation]
            if node.returns is not None:
                nodes.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            nodes.append(node.annotation)
        elif isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            nodes.append(node)
    spans = []
    for n in nodes:
        start_line, start_col = n.lineno, n.col_offset  # type: ignore[attr-defined]
        end_line, end_col = n.end_lineno or start_line, n.end_col_offset or 0  # type: ignore[attr-defined]
        spans.append(((start_line, char_col(start_line, start_col)), (end_line, char_col(end_line, end_col))))
    return spans


def duplicate_addnot(source: str) -> set[tuple[int, int]]:
    """Positions (line, character column) of conditions where cosmic-ray's AddNot makes a program
    another operator makes too: `not (a == b)` is the `==`→`!=` mutant (likewise `!=`, `is`,
    `is not`), and `not not x` is the deleted-`not` mutant. Counting both would weigh one slip twice."""
    tree = ast.parse(source)
    lines = source.splitlines()
    negatable = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)
    out = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            continue
        test = node.test
        single = isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], negatable)
        if single or (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)):
            text = lines[test.lineno - 1]
            out.add((test.lineno, len(text.encode("utf-8")[: test.col_offset].decode("utf-8", errors="ignore"))))
    return out


def is_inert(position: tuple[int, int], spans: Iterable[tuple[tuple[int, int], tuple[int, int]]]) -> bool:
    return any(start <= position < end for start, end in spans)


def load_equivalents(path: Path) -> dict[str, str]:
    """The equivalents file: a mapping of mutant key → one-line reason (an empty file is {})."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    if doc is None:
        return {}
    if not isinstance(doc, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in doc.items()):
        raise ValueError(f"{path}: expected a mapping of mutant key → non-empty reason")
    return {k.strip(): v.strip() for k, v in doc.items()}


@dataclass
class Summary:
    counts: dict[str, int]
    total: int
    score: float | None  # over non-equivalent mutants; None when there is none
    survivors: list[MutantResult]  # non-equivalent: the suite's gaps
    equivalent: list[tuple[MutantResult, str]]  # survivors judged equivalent, with the reason
    stale: list[str]  # equivalents entries that name no mutant of this run


def summarize(results: Sequence[MutantResult], equivalents: dict[str, str], *, complete: bool) -> Summary:
    """Counts, score and survivors; `complete` (every mutant of the configured set ran) decides
    whether an unmatched equivalents entry is reported stale."""
    counts = Counter(r.outcome for r in results)
    survivors, equivalent = [], []
    for r in results:
        if r.outcome != SURVIVED:
            continue
        reason = equivalents.get(r.mutant.key)
        if reason is None:
            survivors.append(r)
        else:
            equivalent.append((r, reason))
    detected = counts[KILLED] + counts[TIMED_OUT]
    denominator = detected + len(survivors)
    keys = {r.mutant.key for r in results}
    stale = sorted(k for k in equivalents if k not in keys) if complete else []
    order = (KILLED, SURVIVED, TIMED_OUT, INCOMPETENT, NOT_RUN)
    return Summary(
        counts={o: counts[o] for o in order},
        total=len(results),
        score=detected / denominator if denominator else None,
        survivors=sorted(survivors, key=lambda r: (r.mutant.path, r.mutant.line, r.mutant.operator)),
        equivalent=sorted(equivalent, key=lambda e: (e[0].mutant.path, e[0].mutant.line, e[0].mutant.operator)),
        stale=stale,
    )


def select_operators(operator_name: str, allowed: Sequence[str]) -> bool:
    """cosmic-ray names operators 'core/Name'; the config lists bare names."""
    return operator_name.rpartition("/")[2] in allowed


def sample(mutants: Sequence[Mutant], limit: int | None, seed: int) -> list[Mutant]:
    """A reproducible sample of `limit` mutants (all when limit is None), in file/line order."""
    chosen = list(mutants) if limit is None or limit >= len(mutants) else random.Random(seed).sample(list(mutants), limit)
    return sorted(chosen, key=lambda m: (m.path, m.line, m.col, m.operator, m.occurrence))


# -- the tree copies and cosmic-ray --------------------------------------------------------------
def copy_tree(dest: Path) -> None:
    shutil.copytree(ROOT, dest, ignore=COPY_IGNORE, symlinks=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "1", str(dest)], check=False, stdout=subprocess.DEVNULL)


def cosmic_ray_mutants(
    tree: Path, work: Path, cfg: dict[str, Any], modules: Sequence[str] | None, operators: Sequence[str]
) -> list[Mutant]:
    """`cosmic-ray init` in `tree`, then the work items of the chosen operators, outside inert code."""
    from cosmic_ray.work_db import WorkDB, use_db

    cr = dict(cfg["cosmic-ray"])
    if modules:
        cr["module-path"] = list(modules)
    config = work / "cosmic-ray.toml"
    config.write_text(_toml({"cosmic-ray": cr}), encoding="utf-8")
    session = work / "session.sqlite"
    cli = Path(sys.executable).with_name("cosmic-ray")
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "cosmic_ray.cli"]
    subprocess.run([*command, "init", str(config), str(session)], cwd=tree, check=True)
    sources: dict[str, str] = {}
    spans: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    duplicates: dict[str, set[tuple[int, int]]] = {}
    out = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in db.pending_work_items:
            (spec,) = item.mutations
            if not select_operators(spec.operator_name, operators):
                continue
            path = str(spec.module_path)
            if path not in sources:
                sources[path] = (tree / path).read_text(encoding="utf-8")
                spans[path] = inert_spans(sources[path])
                duplicates[path] = duplicate_addnot(sources[path])
            start = (int(spec.start_pos[0]), int(spec.start_pos[1]))
            if is_inert(start, spans[path]) or (spec.operator_name.endswith("/AddNot") and start in duplicates[path]):
                continue
            out.append(_mutant(item.job_id, path, spec.operator_name, int(spec.occurrence), start, sources[path]))
    return [m for m in out if m is not None]


def _mutant(job_id: str, path: str, operator_name: str, occurrence: int, start: tuple[int, int], source: str) -> Mutant | None:
    mutated = _mutate(source, operator_name, occurrence)
    if mutated is None:
        return None
    old, new = changed_line(source, mutated, start[0])
    return Mutant(job_id, path, operator_name.rpartition("/")[2], occurrence, start[0], start[1], old, new, definition_at(source, start[0]))


def _mutate(source: str, operator_name: str, occurrence: int) -> str | None:
    import cosmic_ray.plugins
    from cosmic_ray.mutating import mutate_code

    operator = cosmic_ray.plugins.get_operator(operator_name)()
    mutated = mutate_code(source, operator, occurrence)
    return None if mutated is None else str(mutated)


def _toml(doc: dict[str, Any]) -> str:
    """Just enough TOML for cosmic-ray's config (tables of strings, numbers, string lists)."""
    lines: list[str] = []

    def emit(prefix: str, table: dict[str, Any]) -> None:
        lines.append(f"[{prefix}]")
        subs = []
        for k, v in table.items():
            if isinstance(v, dict):
                subs.append((k, v))
            else:
                lines.append(f"{k} = {json.dumps(v)}")
        for k, v in subs:
            emit(f"{prefix}.{k}", v)

    for name, table in doc.items():
        emit(name, table)
    return "\n".join(lines) + "\n"


# -- the oracle ----------------------------------------------------------------------------------
class Oracle:
    """Runs `ssc-conform run` in a tree copy, each run its own process group; `stop()` kills them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self.stopping = threading.Event()

    def run(self, tree: Path, generation: str, timeout: float) -> tuple[int | None, bool, float, list[str]]:
        """(exit status, timed out, seconds, failed requirements) of one suite run."""
        report = tree / f"mutation-report-{generation}"
        shutil.rmtree(report, ignore_errors=True)
        env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
        cmd = [sys.executable, "-c", _ORACLE, f"reference:{generation}", str(report)]
        start = time.monotonic()
        with self._lock:
            if self.stopping.is_set():
                return None, False, 0.0, []
            proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            self._running.add(proc)
        timed_out = False
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(proc)
        finally:
            with self._lock:
                self._running.discard(proc)
        failed: list[str] = []
        results = report / "results.json"
        if results.exists():
            try:
                doc = json.loads(results.read_text(encoding="utf-8"))
                failed = sorted(r for r, v in doc["requirements"].items() if v.get("verdict") == "failed")
            except (ValueError, KeyError):
                pass
        return proc.returncode, timed_out, time.monotonic() - start, failed

    def stop(self) -> None:
        with self._lock:
            self.stopping.set()
            for proc in list(self._running):
                _kill(proc)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def try_mutant(oracle: Oracle, tree: Path, mutant: Mutant, generations: Sequence[str], timeouts: dict[str, float]) -> MutantResult:
    """Apply `mutant` in `tree` (a copy), run the generations until one kills it, restore the file."""
    target = tree / mutant.path
    original = target.read_text(encoding="utf-8")
    mutated = _mutate(original, "core/" + mutant.operator, mutant.occurrence)
    if mutated is None:
        return MutantResult(mutant, INCOMPETENT, detail="cosmic-ray made no mutation")
    result = MutantResult(mutant, SURVIVED)
    try:
        _write_source(target, mutated)
        for generation in generations:
            code, timed_out, seconds, failed = oracle.run(tree, generation, timeouts[generation])
            if oracle.stopping.is_set():
                return MutantResult(mutant, NOT_RUN)
            result.generations.append(generation)
            result.seconds += seconds
            result.outcome = classify(code, timed_out)
            if result.outcome != SURVIVED:
                result.failed_requirements = failed
                result.detail = f"{generation}: exit {code}" + (" (timed out)" if timed_out else "")
                break
    finally:
        _write_source(target, original)
    return result


def _write_source(target: Path, text: str) -> None:
    """Write a module and drop its cached bytecode, so the next run compiles what is there even
    when the rewrite keeps the file's size and lands in the same second as the cache."""
    target.write_text(text, encoding="utf-8")
    for pyc in (target.parent / "__pycache__").glob(f"{target.stem}.*.pyc"):
        pyc.unlink(missing_ok=True)


def run_all(
    mutants: Sequence[Mutant],
    trees: Sequence[Path],
    oracle: Oracle,
    generations: Sequence[str],
    timeouts: dict[str, float],
    deadline: float | None,
) -> list[MutantResult]:
    """One worker thread per tree copy; a mutant not started before `deadline` is 'not run'."""
    queue = list(reversed(mutants))
    lock = threading.Lock()
    results: list[MutantResult] = []
    done = 0

    def worker(tree: Path) -> None:
        nonlocal done
        while True:
            with lock:
                if not queue:
                    return
                mutant = queue.pop()
            late = deadline is not None and time.monotonic() > deadline
            r = (
                MutantResult(mutant, NOT_RUN)
                if late or oracle.stopping.is_set()
                else try_mutant(oracle, tree, mutant, generations, timeouts)
            )
            with lock:
                results.append(r)
                done += 1
                if r.outcome != NOT_RUN:
                    gens = ",".join(r.generations)
                    print(f"[{done}/{len(mutants)}] {r.outcome:<11} {r.seconds:6.1f}s {gens:<14} {mutant.describe()}", flush=True)

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in trees]
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(0.2)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: report what ran, the rest as not run
        print("\ninterrupted: stopping the running suites", file=sys.stderr, flush=True)
        oracle.stop()
        for t in threads:
            t.join()
    return results


# -- output --------------------------------------------------------------------------------------
def report(summary: Summary, meta: dict[str, Any]) -> None:
    c = summary.counts
    wall = float(meta["wall_s"])
    print(f"\n{meta['date']} on {meta['machine']}")
    print(f"modules: {', '.join(meta['modules'])}")
    limit = meta.get("limit")
    print(
        f"generations (in order, first kill stops): {', '.join(meta['generations'])}; jobs: {meta['jobs']}"
        + (f"; sample of {limit}" if limit else "")
    )
    print(
        f"killed {c[KILLED]} / survived {c[SURVIVED]} (equivalent {len(summary.equivalent)}) / timed out {c[TIMED_OUT]}"
        f" / incompetent {c[INCOMPETENT]} / not run {c[NOT_RUN]} / total {summary.total}"
    )
    score = "n/a" if summary.score is None else f"{summary.score:.1%}"
    met = "" if summary.score is None else (" -> met" if summary.score >= 0.9 else " -> NOT met")
    partial = f" — partial: {c[NOT_RUN]} of {summary.total} mutants not run" if c[NOT_RUN] else ""
    print(f"mutation score over non-equivalent mutants: {score} (target ≥ 90 %){met}{partial}")
    verdict = " (partial run: not comparable)" if partial or limit else (" -> met" if wall <= 1800 else " -> NOT met")
    print(f"wall time: {wall / 60:.1f} min (target ≤ 30 min on 2 cores){verdict}")
    if meta.get("cpu_s"):
        cpu, runs = float(meta["cpu_s"]), int(meta["suite_runs"])
        print(
            f"CPU time of the suite runs: {cpu / 60:.1f} min for {runs} runs ({cpu / max(runs, 1):.1f} s a run; / 2 cores = {cpu / 120:.1f} min)"
        )
    print(f"\nsurviving mutants (suite gaps): {len(summary.survivors)}")
    for r in summary.survivors:
        print(f"  {r.mutant.describe()}")
    print(f"\nsurviving mutants judged equivalent ({EQUIVALENTS.name}): {len(summary.equivalent)}")
    for r, reason in summary.equivalent:
        print(f"  {r.mutant.describe()}\n      equivalent: {reason}")
    if summary.stale:
        print(f"\nstale entries of {EQUIVALENTS.name} (no such mutant any more): {len(summary.stale)}")
        for key in summary.stale:
            print(f"  {key}")


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends a run like Ctrl-C: the running suites are killed and the partial result printed."""
    raise KeyboardInterrupt


def matches(mutant: Mutant, texts: Sequence[str]) -> bool:
    """Whether `--match` keeps this mutant: no text given, or one of them in its description."""
    return not texts or any(text in mutant.describe() for text in texts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--modules", help="comma-separated files or folders (default: the config's module-path)")
    parser.add_argument("--generations", help="comma-separated, tried in order (default: the config's)")
    parser.add_argument("--jobs", type=int, help="mutants tested at once, one tree copy each (default: the config's)")
    parser.add_argument("--limit", type=int, help="test a reproducible random sample of N mutants")
    parser.add_argument(
        "--match",
        action="append",
        default=[],
        help="test only the mutants whose description contains this text, e.g. 'pin.py:74' (repeatable; a partial run)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the --limit sample")
    parser.add_argument("--seconds", type=float, help="start no mutant after this many seconds (the rest: not run)")
    parser.add_argument("--json", type=Path, help="also write every mutant's result here")
    parser.add_argument("--list", action="store_true", help="list the mutants (after --limit) and run nothing")
    parser.add_argument("--rescore", type=Path, metavar="JSON", help="re-read a --json file with the current equivalents; run nothing")
    args = parser.parse_args(argv)
    cfg = tomllib.loads(args.config.read_text(encoding="utf-8"))
    ms = cfg["mutation-score"]
    modules = [m.strip() for m in args.modules.split(",") if m.strip()] if args.modules else list(cfg["cosmic-ray"]["module-path"])
    generations = [g.strip() for g in args.generations.split(",") if g.strip()] if args.generations else list(ms["generations"])
    jobs = max(1, args.jobs or int(ms["jobs"]))
    equivalents = load_equivalents(EQUIVALENTS)
    if args.rescore:
        meta, results = read_results(json.loads(args.rescore.read_text(encoding="utf-8")), ROOT)
        report(summarize(results, equivalents, complete=bool(meta["complete"])), meta)
        return 0
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"
    oracle = Oracle()
    start = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupt)
    work = Path(tempfile.mkdtemp(prefix="ssc-mutation-score-"))
    try:
        template = work / "tree0"
        copy_tree(template)
        every = cosmic_ray_mutants(template, work, cfg, modules, ms["operators"])
        mutants = sample([m for m in every if matches(m, args.match)], args.limit, args.seed)
        print(f"{len(every)} mutants of {len(ms['operators'])} operators in {', '.join(modules)}; testing {len(mutants)}", flush=True)
        if args.list:
            for m in mutants:
                print(f"  {m.describe()}")
            return 0
        trees = [template] + [work / f"tree{i}" for i in range(1, jobs)]
        for tree in trees[1:]:
            shutil.copytree(template, tree, symlinks=True)
        timeouts = {}
        # the clean card must pass every generation; its time sets the time-out (jobs at a time)
        with ThreadPoolExecutor(max_workers=len(trees)) as pool:
            clean = list(pool.map(lambda i: oracle.run(trees[i % len(trees)], generations[i], 600), range(len(generations))))
        for generation, (code, _, seconds, failed) in zip(generations, clean):
            if code not in NO_FAILURE:
                print(f"the clean reference card {generation} does not pass (exit {code}; failed {failed}): no oracle", file=sys.stderr)
                return 2
            timeouts[generation] = max(float(ms["min-timeout"]), float(ms["timeout-factor"]) * seconds)
            print(f"clean {generation}: {seconds:.1f} s, per-mutant time-out {timeouts[generation]:.0f} s", flush=True)
        deadline = start + args.seconds if args.seconds else None
        # a seeded random order: a run cut short by --seconds or Ctrl-C is still a fair sample
        order = random.Random(args.seed).sample(mutants, len(mutants))
        results = run_all(order, trees, oracle, generations, timeouts, deadline)
    except KeyboardInterrupt:
        return 130
    finally:
        oracle.stop()
        shutil.rmtree(work, ignore_errors=True)
    wall = time.monotonic() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    runs = sum(len(r.generations) for r in results) + len(generations)
    complete = args.limit is None and all(r.outcome != NOT_RUN for r in results) and not args.modules and not args.match
    summary = summarize(results, equivalents, complete=complete)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine + f", {os.getloadavg()[0]:.1f} at end",
        "modules": modules,
        "generations": generations,
        "jobs": jobs,
        "limit": args.limit,
        "wall_s": round(wall, 1),
        # CPU of every child (cosmic-ray init and the suite runs): on a busy machine the wall time
        # says more about the neighbours than about the suite; CPU / cores bounds an idle run
        "cpu_s": round(children.ru_utime + children.ru_stime, 1),
        "suite_runs": runs,
        "complete": complete,
        "command": " ".join(["bench/mutation_score.py", *(argv if argv is not None else sys.argv[1:])]),
    }
    report(summary, meta)
    if args.json:
        rows = [asdict(r) | {"key": r.mutant.key} for r in sorted(results, key=lambda r: (r.mutant.path, r.mutant.line))]
        doc = {"meta": meta, "summary": asdict(summary), "results": rows}
        args.json.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def read_results(doc: dict[str, Any], root: Path | None = None) -> tuple[dict[str, Any], list[MutantResult]]:
    """(meta, results) of a --json file; the changed lines are normalized again (strip_comment), so
    a file written before a change of that rule is read with today's keys. A file from before keys
    named the enclosing function gets it from the source under `root` (valid while unchanged)."""
    results = []
    sources: dict[str, str] = {}
    for row in doc["results"]:
        m = dict(row["mutant"])
        m["original"], m["mutated"] = strip_comment(m["original"]), strip_comment(m["mutated"])
        if "definition" not in m and root is not None:
            if m["path"] not in sources:
                sources[m["path"]] = (root / m["path"]).read_text(encoding="utf-8")
            m["definition"] = definition_at(sources[m["path"]], int(m["line"]))
        fields = {k: row[k] for k in ("generations", "failed_requirements", "seconds", "detail") if k in row}
        results.append(MutantResult(Mutant(**m), row["outcome"], **fields))
    meta: dict[str, Any] = {
        "date": "?",
        "machine": "?",
        "modules": [],
        "generations": [],
        "jobs": "?",
        "limit": None,
        "wall_s": 0.0,
        "complete": False,
    }
    return meta | doc.get("meta", {}), results


if __name__ == "__main__":
    sys.exit(main())
