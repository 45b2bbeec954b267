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
class Trace:
    """One scenario's recorded APDUs, as recorded (masked at recording time)."""

    index: int
    badge: Badge
    case_id: str
    name: str
    requirements: str
    entries: list[TraceEntry]


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
