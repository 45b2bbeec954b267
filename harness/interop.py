"""The cross-region interoperability run: card set × terminals, and the matrix of results.

REQUIREMENTS INT-XR-* are checked as a matrix: every card of the set (rows: issuing region and
generation) at the terminal of every test region (columns), one cell per pair and requirement.
`InteropRun` owns the card set (harness.cardset: reference cards issued per region and generation,
or just the device under test when it is a real card), one terminal per region with its software
PSAM, the invalid-card lists and the region registry; `InteropRun.run` walks the pairs for one
requirement and records each cell into an `InteropMatrix`, which results.json carries as
``run.interop_matrix``.

The run is built once per conformance run and kept on the harness session (`session.interop`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from checks.interop.crossregion import (
    Abort,
    CellOutcome,
    RegionTerminal,
    Visit,
    declared_invalid_refused,
    invalid_card_refused,
    listed_card_refused,
)
from harness.cardset import DEFAULT_GENERATIONS, UNKNOWN_ISSUER, CardDeclaration, IssuedCard, issue_card, issue_card_set
from harness.interop_expectations import DeclaredListing, ListExpectations, load_expectations
from harness.labcards import CardSwapError
from harness.results import FAILED, NOT_RUN, PASSED
from ssc.keyset import KeySet
from ssc.profile.model import Profile
from terminal.channel import Terminal
from terminal.invalid_lists import LEVELS, InvalidCardLists
from terminal.psam_client import PsamClient
from terminal.regions import Region, RegionRegistry, load_regions
from terminal.session import CardSession

__all__ = [
    "DEFECTIVE_CARDS",
    "Cell",
    "InteropMatrix",
    "InteropRun",
    "build_interop_run",
    "interop_run",
    "matrix_report",
    "terminal_profile",
]

# Deliberately defective cards issued beside the set for INT-XR-7 (reference DUT only): one whose
# identification-code MAC is wrong, one issued by a region the registry does not know.
DEFECTIVE_CARDS: tuple[tuple[str | None, str, str], ...] = (
    (None, "gen3", "bad_card_id_mac"),  # None: the first region of the run
    ("110100", "gen2", UNKNOWN_ISSUER),  # 北京市 — deliberately absent from fixtures/regions.yaml
)
_TRACE_LINES = 4  # APDUs quoted in a failing cell's reason


@dataclass
class Cell:
    verdict: str  # harness.results PASSED / FAILED / NOT_RUN
    reason: str = ""
    apdus: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "reason": self.reason, "apdus": self.apdus}


class InteropMatrix:
    """Cells by requirement, row (card) and column (terminal region)."""

    def __init__(self, rows: Sequence[str], columns: Sequence[str]) -> None:
        self.rows = list(rows)
        self.columns = list(columns)
        self.cells: dict[str, dict[str, dict[str, Cell]]] = {}

    def record(self, requirement: str, row: str, column: str, verdict: str, reason: str = "", apdus: int = 0) -> None:
        if row not in self.rows:
            self.rows.append(row)
        if column not in self.columns:
            self.columns.append(column)
        self.cells.setdefault(requirement, {}).setdefault(row, {})[column] = Cell(verdict, reason, apdus)

    def clear(self, requirement: str) -> None:
        self.cells.pop(requirement, None)

    def cell(self, requirement: str, row: str, column: str) -> Cell | None:
        return self.cells.get(requirement, {}).get(row, {}).get(column)

    def with_verdict(self, requirement: str, verdict: str) -> list[tuple[str, str, Cell]]:
        return [(row, col, c) for row, cols in self.cells.get(requirement, {}).items() for col, c in cols.items() if c.verdict == verdict]

    def counts(self, requirement: str) -> dict[str, int]:
        out = {PASSED: 0, FAILED: 0, NOT_RUN: 0}
        for cols in self.cells.get(requirement, {}).values():
            for c in cols.values():
                out[c.verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": list(self.rows),
            "columns": list(self.columns),
            "cells": {
                req: {row: {col: c.to_dict() for col, c in cols.items()} for row, cols in by_row.items()}
                for req, by_row in self.cells.items()
            },
            "summary": {req: self.counts(req) for req in self.cells},
        }


def terminal_profile(profiles: Iterable[Profile]) -> Profile:
    """The profile a terminal's PSAM is built with: one whose keys include every key of the
    others (a PSAM built for gen3 also knows RKSSSE and serves gen2 cards from its 3DES DF)."""
    candidates = list(profiles)

    def keys(p: Profile) -> set[tuple[str, int, str]]:
        return {(k.name, k.id, k.use) for k in p.keys()}

    for p in sorted(candidates, key=lambda p: -p.generation):
        if all(keys(q) <= keys(p) for q in candidates):
            return p
    raise ValueError(f"no profile among {[p.name for p in candidates]} holds the keys of all the others; a terminal cannot serve them all")


@dataclass
class InteropRun:
    cards: list[IssuedCard]  # the matrix rows
    defective: list[IssuedCard]  # INT-XR-7 only
    terminals: dict[str, RegionTerminal]  # the matrix columns, by region code
    registry: RegionRegistry
    lists: InvalidCardLists
    pin: str
    matrix: InteropMatrix
    expectations: ListExpectations  # INT-XR-6: which cards the lists are declared to name
    issued: bool = True  # True: the harness issued the set (reference cards); False: the set is the DUT (and the lab's cards)
    lab: Any = None  # harness.labcards.LabCards: the lab's physical cards in the set (closed with the run)
    owns_psams: bool = True  # False: the PSAMs belong to the harness session, which closes them
    extra_terminals: dict[str, RegionTerminal] = field(default_factory=dict)  # home terminals outside the columns
    _sessions: dict[int, CardSession] = field(default_factory=dict)
    _psam_factory: Callable[[Region], RegionTerminal] | None = None
    # The matrix walks of this run (requirement → (cell check, with the defective cards)), for the
    # cards swapped through a shared reader: such a card takes every planned requirement's row
    # while it is in the reader, so the operator is asked once per card, not once per
    # requirement and card. `_early` keeps, per requirement, the rows already taken that way.
    planned: dict[str, tuple[Callable[[Visit, IssuedCard], CellOutcome], bool]] = field(default_factory=dict)
    _early: dict[str, set[str]] = field(default_factory=dict)

    @property
    def algorithms(self) -> dict[int, Any]:
        """FCI algorithm id → Algorithm, over the profiles of the set (what the terminals know)."""
        return {c.profile.algorithm_id: c.profile.algorithm for c in self.cards + self.defective}

    def session_for(self, card: IssuedCard) -> CardSession:
        """One terminal-side session per card (its identity read once, at the first visit)."""
        key = id(card)
        if key not in self._sessions:
            self._sessions[key] = CardSession(Terminal(card.transport, card.profile), check=False)
        return self._sessions[key]

    def home_of(self, card: IssuedCard) -> RegionTerminal | None:
        code = card.declaration.region
        if code in self.terminals:
            return self.terminals[code]
        if code not in self.extra_terminals and code in self.registry and self._psam_factory is not None:
            self.extra_terminals[code] = self._psam_factory(self.registry.get(code))
        return self.extra_terminals.get(code)

    # -- expectations from declarations and fixtures ------------------------------------------------

    def declared_listing(self, card: IssuedCard) -> DeclaredListing | None:
        """What the expectations declaration says of `card`: by its row (issued cards only: a
        lab's DUT may share a row label with no harness card) or by its declared card number."""
        return self.expectations.for_card(card.label if self.issued else None, card.declaration.card_number)

    def listed_check(self) -> Callable[[Visit, IssuedCard], CellOutcome]:
        """INT-XR-6 cell check. Expected: refused as listed iff the expectations declaration
        (fixtures/interop_expectations.yaml) names the card and this terminal among those that must
        refuse it — never from the terminal's own list matching, which is what is under test."""

        def check(v: Visit, card: IssuedCard) -> CellOutcome:
            listing = self.declared_listing(card)
            card.notes["listed_levels"] = listing.levels if listing is not None else set()
            expect = listing is not None and listing.refused_at(v.terminal.region)
            outcome = listed_card_refused(v, self.lists, self.registry, expect)
            declared = f"declared on {', '.join(listing.lists)}" if listing is not None else "declared on no list"
            declared_zh = f"声明在 {', '.join(listing.lists)} 上" if listing is not None else "未声明在任何名单上"
            detail = f"{outcome.detail}（{declared_zh} / {declared}，{self.expectations.source}）"
            return CellOutcome(outcome.ok, detail, outcome.applicable)

        return check

    def validity_check(self) -> Callable[[Visit, IssuedCard], CellOutcome]:
        """INT-XR-7 cell check. Expected: refused for MAC or issuer iff the card is declared
        defective (the deliberately defective cards of the set)."""

        def check(v: Visit, card: IssuedCard) -> CellOutcome:
            reason = card.notes.get("invalid_reason")
            if reason is not None:  # a card the lab declares invalid, with its reason
                return declared_invalid_refused(v, self.lists, self.registry, str(reason))
            return invalid_card_refused(v, self.lists, self.registry, card.defective)

        return check

    def unexercised_list_levels(self) -> list[str]:
        """List levels that are declared to name no card of an issued set in the INT-XR-6 walk
        (empty for a DUT-only set: the lab's lists need not name the DUT)."""
        if not self.issued:
            return []
        hit: set[str] = set()
        for card in self.cards:
            hit |= set(card.notes.get("listed_levels", ()))
        return [level for level in LEVELS if level not in hit]

    def run(self, requirement: str, check: Callable[[Visit, IssuedCard], CellOutcome], *, include_defective: bool = False) -> list[str]:
        """Every (card × terminal) cell of `requirement`; returns one line per failing cell.

        Within a row the home terminal goes first (restoring and reference readings need it); a
        check raising `Abort` leaves the rest of its row not run.
        """
        early = self._early.get(requirement, set())
        kept = {row: cols for row, cols in self.matrix.cells.get(requirement, {}).items() if row in early}
        self.matrix.clear(requirement)
        if kept:
            self.matrix.cells[requirement] = kept
        cards = self.cards + (self.defective if include_defective else [])
        for card in cards:
            if "swap_reader" in card.notes:
                self._whole_row(card)
            if card.label not in self._early.get(requirement, set()):
                self._run_row(requirement, card, check)
        return [f"{row} @ {col}: {c.reason}" for row, col, c in self.matrix.with_verdict(requirement, FAILED)]

    def plan_walks(self, walks: dict[str, tuple[Callable[[Visit, IssuedCard], CellOutcome], bool]]) -> None:
        """The requirements this run walks, with their cell checks (see `planned`)."""
        self.planned.update(walks)

    def _whole_row(self, card: IssuedCard) -> None:
        """Every planned requirement's row of a swapped card not yet taken, while it is in the reader."""
        for requirement, (check, include_defective) in self.planned.items():
            if card.label in self._early.get(requirement, set()) or (card in self.defective and not include_defective):
                continue
            self._run_row(requirement, card, check)
            self._early.setdefault(requirement, set()).add(card.label)

    def _run_row(self, requirement: str, card: IssuedCard, check: Callable[[Visit, IssuedCard], CellOutcome]) -> None:
        session = self.session_for(card)
        home = self.home_of(card)
        columns = sorted(self.terminals, key=lambda code: code != card.declaration.region)
        memo: dict[str, Any] = {}
        aborted: str | None = None
        for code in columns:
            if aborted is not None:
                self.matrix.record(requirement, card.label, code, NOT_RUN, f"未执行 / not run：{aborted}")
                continue
            visit = Visit(session, self.terminals[code], home, card.declaration.region, self.pin, memo)
            start = len(card.recorder)
            try:
                outcome = check(visit, card)
            except Abort as stop:
                outcome, aborted = stop.outcome, stop.reason
            except CardSwapError as exc:  # the operator could not put the card in: nothing was judged
                self.matrix.record(requirement, card.label, code, NOT_RUN, f"not run: {exc}")
                aborted = str(exc)
                continue
            except Exception as exc:  # that cell's verdict; the card's state is unknown, so its row stops
                outcome = CellOutcome.failed(f"意外错误 / unexpected error {type(exc).__name__}: {exc}")
                aborted = f"{code} 的终端处的意外错误使卡处于未知状态 / an unexpected error at the terminal of {code} left the card in an unknown state"
            apdus = len(card.recorder) - start
            if not outcome.applicable:
                verdict, reason = NOT_RUN, f"不适用 / not applicable：{outcome.detail}"
            elif outcome.ok:
                verdict, reason = PASSED, outcome.detail
            else:
                verdict, reason = FAILED, f"{outcome.detail}；APDU：{self._trace_tail(card, start)}"
            self.matrix.record(requirement, card.label, code, verdict, reason, apdus)

    @staticmethod
    def _trace_tail(card: IssuedCard, start: int) -> str:
        entries = card.recorder.entries[start:][-_TRACE_LINES:]
        return "; ".join(f"{e.command.hex()} → {e.response.hex()}" for e in entries) or "(none)"

    def close(self) -> None:
        for card in self.cards + self.defective:
            card.close()
        if self.lab is not None:
            self.lab.close()
        if self.owns_psams:
            for terminal in list(self.terminals.values()) + list(self.extra_terminals.values()):
                terminal.psam.transport.close()


def build_interop_run(
    *,
    regions: Sequence[Region],
    registry: RegionRegistry,
    keyset: KeySet,
    pin: str,
    dut: Any = None,
    dut_profile: Profile | None = None,
    generations: Sequence[str] = DEFAULT_GENERATIONS,
    faults: Sequence[str] = (),
    lists: InvalidCardLists | None = None,
    psam_for: Callable[[Region], PsamClient] | None = None,
    expectations: ListExpectations | None = None,
    lab: Any = None,
) -> InteropRun:
    """The run's card set and terminals.

    With `dut` None the set is issued here: one reference card per region and generation (with
    `faults` in every card) plus the `DEFECTIVE_CARDS`. With a `dut` (an opened real card with
    its profile) the set is that card alone. `psam_for` supplies the terminals' PSAMs (e.g. the
    session's, with a hardware PSAM for the card's region); by default software PSAMs are built
    with `terminal_profile` of the set, and closed with the run.
    """
    from harness.psam import software_psam

    if dut is None:
        cards = issue_card_set(regions, generations, keyset, faults=faults, pin=pin)
        defective = []
        for code, generation, defect in DEFECTIVE_CARDS:
            region: Region | str = regions[0] if code is None else (registry.get(code) if code in registry else code)
            defective.append(issue_card(region, generation, keyset, faults=faults, defects=[defect], pin=pin))
        psam_profile = terminal_profile(c.profile for c in cards + defective)
    else:
        assert dut_profile is not None
        ident = dut.identity or {}
        code = str(ident.get("region") or "unidentified")
        declaration = CardDeclaration(code, ident.get("card_number"))
        cards = [
            IssuedCard(
                registry.get(code) if code in registry else None,
                dut_profile.name,
                dut_profile,
                dut.transport,
                dut.recorder,
                declaration,
                owned=False,
            )
        ]
        defective = []
        psam_profile = dut_profile

    if lab is not None:  # the lab's physical cards: rows of their own; the invalid ones for INT-XR-7
        for card in lab.rows + lab.invalid:
            card.region = registry.get(card.declaration.region) if card.declaration.region in registry else None
        cards += lab.rows
        defective += lab.invalid
        psam_profile = terminal_profile(c.profile for c in cards + defective)

    def terminal_of(region: Region) -> RegionTerminal:
        if psam_for is not None:
            return RegionTerminal(region.code, psam_for(region))
        return RegionTerminal(region.code, software_psam(psam_profile, region, keyset))

    terminals = {r.code: terminal_of(r) for r in regions}
    matrix = InteropMatrix([c.label for c in cards], list(terminals))
    return InteropRun(
        cards,
        defective,
        terminals,
        registry,
        lists or InvalidCardLists.load(),
        pin,
        matrix,
        expectations or load_expectations(),
        issued=dut is None,
        lab=lab,
        owns_psams=psam_for is None,
        _psam_factory=terminal_of,
    )


def interop_run(session: Any) -> InteropRun:
    """The run of this conformance session (`harness.plugin.SscSession`), built on first use."""
    run: InteropRun | None = getattr(session, "interop", None)
    if run is None:
        reference = session.card_spec.kind == "reference"
        pin = session.config.getoption("--ssc-pin") or session.profile.security.pin.initial
        lab = open_session_lab_cards(session)
        # The session's PSAMs serve the DUT's generation (and carry a hardware PSAM): used unless
        # the lab's cards bring generations a PSAM built for the DUT's profile may not serve.
        session_psams = not reference and (lab is None or session.psam_reader is not None)
        run = build_interop_run(
            regions=list(session.regions),
            registry=load_regions(),
            keyset=session.keyset,
            pin=pin,
            dut=None if reference else session.dut,
            dut_profile=session.profile,
            psam_for=(lambda region: session.psam_for(region.code)) if session_psams else None,
            faults=tuple(session.dut.faults) if reference and session.dut is not None else (),
            lab=lab,
        )
        session.interop = run
        session.config.add_cleanup(run.close)
    return run


def open_session_lab_cards(session: Any) -> Any:
    """The lab's cards of this run (repeated --card reader:NAME, --card-set FILE), opened through
    PC/SC; None when there are none. A card that cannot be opened stops the interop review with
    that error (the matrix would otherwise silently lose a row)."""
    from harness.cardspec import parse_card_spec
    from harness.dut import DEFAULT_APDU_TIMEOUT, apdu_deadline
    from harness.labcards import LabCard, load_card_set, open_lab_cards
    from harness.operator import operator_from_option
    from terminal.transports.pcsc import PcscTransport

    config = session.config
    cards = [LabCard(parse_card_spec(text).reader or "", None, None) for text in config.getoption("--ssc-extra-card") or ()]
    path = config.getoption("--ssc-card-set")
    if path:
        cards += load_card_set(path)
    if not cards:
        return None
    timeout = config.getoption("--ssc-apdu-timeout")
    deadline = apdu_deadline(session.profile, DEFAULT_APDU_TIMEOUT if timeout is None else timeout)
    return open_lab_cards(
        cards,
        session.profile,
        lambda reader: PcscTransport(reader, apdu_timeout=deadline),
        operator_from_option(config.getoption("--ssc-operator", default=None)),
    )


def matrix_report(session: Any) -> dict[str, Any] | None:
    """``run.interop_matrix`` of results.json: rows (cards), columns (terminal regions), cells."""
    run: InteropRun | None = getattr(session, "interop", None)
    if run is None:
        return None
    out = run.matrix.to_dict()
    # Who the rows are: on the embedded reference card, harness-issued cards exercising the
    # terminals (the DUT itself is not among them; `dut_row` names the row of its region and
    # generation); on a real card, the DUT is the only row.
    out["rows_issued"] = run.issued
    dut = getattr(session, "dut", None)
    region = (getattr(dut, "identity", None) or {}).get("region") if dut is not None else None
    twin = f"{region}/{session.profile.name}" if region else None
    out["dut_row"] = run.cards[0].label if not run.issued and run.cards else (twin if twin in run.matrix.rows else None)
    return out
