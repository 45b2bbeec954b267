"""The report's view model: plain, already-decided data the templates only lay out.

Everything a template reads is here, as strings or numbers taken from the results (never HTML): the
templates escape every value they print, so a reason or name that carries markup shows as text.
Choices — which verdict is the worst, what a cell says, which rows exist — are made in
`reports.page` while building these objects, so the templates hold no logic beyond loops and ifs.
Frozen dataclasses rather than dicts so a misspelt field is a mypy error on the Python side and an
`UndefinedError` (StrictUndefined) on the template side, not a silently empty cell.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Field:
    """One row of a key/value table: bilingual label and the value as text."""

    zh: str
    en: str
    value: str


@dataclass(frozen=True, slots=True)
class Badge:
    """A verdict badge: `css` is one of the known verdict classes, `raw` the verdict as recorded."""

    css: str
    raw: str
    text: str


@dataclass(frozen=True, slots=True)
class StandIn:
    """The "S" mark of a verdict resting on stand-in profile values; `tip` names those values."""

    requirement: str
    tip: str


@dataclass(frozen=True, slots=True)
class Listed:
    """A requirement of the plan named in the overall verdict (failed, inconclusive, not run), with why."""

    requirement: str
    reason: str


@dataclass(frozen=True, slots=True)
class Overall:
    """The overall verdict a lab signs (harness.plan): the headline badge (通过 / 不通过 / 未完成),
    the plan, the certification statement (None unless a full plan passed) and what kept it from
    passing; then the per-requirement counts."""

    badge: Badge
    headline: str
    plan: str
    statement: tuple[str, str] | None
    out_of_plan: str  # one line: what the plan leaves out (harness.plan.out_of_plan_line); "" for nothing
    failed_list: list[Listed]
    inconclusive_list: list[Listed]
    not_run_list: list[Listed]
    passed: int
    failed: int
    inconclusive: int
    not_run: int


@dataclass(frozen=True, slots=True)
class KeyWarning:
    text: str
    label: str


@dataclass(frozen=True, slots=True)
class ReviewCount:
    """One line of the summary table: the counts of one review."""

    code: str
    zh: str
    en: str
    passed: int
    failed: int
    not_run: int
    stand_in: int


@dataclass(frozen=True, slots=True)
class Dut:
    fields: list[Field]
    atr_decoded: list[Field]
    declaration: list[Field] | None


@dataclass(frozen=True, slots=True)
class FeatureFile:
    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Inputs:
    fields: list[Field]
    features: list[FeatureFile]


@dataclass(frozen=True, slots=True)
class RestsOn:
    what: str
    tag: str


@dataclass(frozen=True, slots=True)
class Provenance:
    weakest: str
    rests_on: list[RestsOn]


@dataclass(frozen=True, slots=True)
class ScenarioLine:
    """A scenario under a requirement; `trace` is the index of its trace block, None if unrecorded."""

    case_id: str  # the stable test-case ID (用例编号) a lab cites
    name: str
    trace: int | None
    badge: Badge
    stand_in: StandIn | None
    reason: str
    apdus: str
    resets: str


@dataclass(frozen=True, slots=True)
class RequirementLine:
    requirement: str
    zh: str
    en: str
    badge: Badge
    stand_in: StandIn | None
    reason: str
    provenance: Provenance | None
    scenarios: list[ScenarioLine]


@dataclass(frozen=True, slots=True)
class Review:
    """The verdict table of one review (STD, SEC, …), headed by its code and title."""

    code: str
    zh: str
    en: str
    requirements: list[RequirementLine]


@dataclass(frozen=True, slots=True)
class GridCell:
    """A matrix cell; `verdict` is None for a card/terminal pair with no result."""

    verdict: str | None
    tip: str
    text: str


@dataclass(frozen=True, slots=True)
class GridRow:
    label: str
    cells: list[GridCell]
    mark: str = ""  # a note beside the label: the DUT's row


@dataclass(frozen=True, slots=True)
class Grid:
    ident: str
    columns: list[str]
    rows: list[GridRow]


@dataclass(frozen=True, slots=True)
class MatrixRequirement:
    """One INT-XR requirement's own grid, folded under its title and verdict counts."""

    requirement: str
    zh: str
    en: str
    counts: str
    stand_in: StandIn | None
    grid: Grid


@dataclass(frozen=True, slots=True)
class Matrix:
    combined: Grid | None
    requirements: list[MatrixRequirement]
    rows_issued: bool | None = None  # True: harness-issued cards; False: the DUT; None: not recorded
    dut_row: str | None = None  # the DUT's row (a real card) or the row of its region/generation


@dataclass(frozen=True, slots=True)
class MutantCell:
    """A fault × requirement cell; `css` None is an empty cell (neither expected nor failed)."""

    css: str | None
    tip: str
    text: str


@dataclass(frozen=True, slots=True)
class FaultLine:
    fault: str
    generation: str
    verdict: str
    css: str
    cells: list[MutantCell]
    reason: str


@dataclass(frozen=True, slots=True)
class CleanRun:
    generation: str
    exit_code: str
    duration_s: str
    problems: str


@dataclass(frozen=True, slots=True)
class Mutants:
    badge: Badge
    elapsed_s: str
    columns: list[str]
    faults: list[FaultLine]
    clean: list[CleanRun]
    not_covered: str | None


@dataclass(frozen=True, slots=True)
class TraceEntry:
    index: str
    kind: str
    command: str
    response: str
    meaning: str
    micros: str
    note: str


@dataclass(frozen=True, slots=True)
class SummaryTable:
    """What a bulk check kept instead of its exchanges (SEC-ROB-1: INS × outcome; SEC-TEAR: what
    each cut left), as a table plus lines of notes (phases, failing APDUs)."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str]


@dataclass(frozen=True, slots=True)
class Trace:
    """One scenario's recorded APDUs, as recorded (masked at recording time)."""

    index: int
    badge: Badge
    case_id: str
    name: str
    requirements: str
    entries: list[TraceEntry]
    summary: SummaryTable | None = None


@dataclass(frozen=True, slots=True)
class LatencyRow:
    """One APDU kind of the RDR-5 long run, figures in microseconds as text."""

    kind: str
    count: str
    p50: str
    p95: str
    p99: str
    max: str


@dataclass(frozen=True, slots=True)
class ReaderMeasures:
    """What a reader-plan run measured (results.json ``run.reader``); `svg` is the latency
    histogram, markup built by reports.latency_svg from numbers only (its texts escaped there)."""

    fields: list[Field]
    latency: list[LatencyRow]
    svg: str | None


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One exchange of a divergence's transcript: the command and both cards' answers."""

    op: str
    command: str
    dut: str
    model: str
    differs: bool


@dataclass(frozen=True, slots=True)
class DiffDivergence:
    index: int
    what: str
    requirements: str
    commands: list[str]
    script: str
    rows: list[DiffRow]


@dataclass(frozen=True, slots=True)
class Diff:
    """A lockstep diff run (diff.json): its figures and each divergence side by side."""

    figures: list[Field]
    divergences: list[DiffDivergence]
    restore_problems: list[str]


@dataclass(frozen=True, slots=True)
class Observation:
    """What a check saw beside what it expected (`expected` empty: a value shown as evidence)."""

    what: str
    observed: str
    expected: str


@dataclass(frozen=True, slots=True)
class PlanLine:
    """A case of the plan the run executed, beside its result and its evidence."""

    case_id: str
    requirements: str
    clause: str
    title: str
    flags: str
    applicability: str
    reason: str
    apdus: str
    badge: Badge
    observations: list[Observation]
    trace: int | None


@dataclass(frozen=True, slots=True)
class PlanSection:
    summary: str
    lines: list[PlanLine]


@dataclass(frozen=True, slots=True)
class Page:
    """The whole report. Sections that need results are None for a mutants-only report."""

    title: str
    header: list[Field]
    overall: Overall | None
    key_warning: KeyWarning | None
    notes: list[str]
    summary: list[ReviewCount] | None
    tag_legend: str
    dut: Dut | None
    inputs: Inputs | None
    reviews: list[Review] | None
    matrix: Matrix | None
    mutants: Mutants | None
    traces: list[Trace] | None
    reader: ReaderMeasures | None = None  # a reader-plan run only
    diff: Diff | None = None
    plan: PlanSection | None = None
