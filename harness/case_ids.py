"""Stable test-case IDs (用例编号): one ``@TC-<requirement>-<suffix>`` tag per test case.

A lab's report cites a test case by an ID that never changes once given (EMVCo, BSI TR-03105 and
ETSI TS 102 230 work the same way), so the ID is a tag written into the feature file, not derived
from the title or from the pytest node ID: rewording a title, moving a scenario or adding rows
elsewhere changes no ID. A test case is a ``场景`` (Scenario) or one ``例子`` (Examples) block of a
``场景大纲`` (Scenario Outline); an outline's block holds exactly one row, so every pytest item
carries exactly one ID. Hand-written cases are numbered per requirement in file order (``-01``,
``-02`` …, the first requirement tag of the case); the generated access-control rows carry a suffix
derived from their rule (``checks.security.access_plan.AccessCase.case_slug``).

`scan` reads the feature files line by line (the IDs must be written back without reformatting the
file, which a Gherkin parser cannot do); `problems` is the check a unit test runs;
`assign` (``scripts/assign-case-ids``) fills in missing IDs and splits multi-row example blocks,
leaving every existing ID as it is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PREFIX", "Case", "assign", "case_id_of", "problems", "scan"]

PREFIX = "TC-"
_NUMBERED = re.compile(r"^TC-(?P<req>.+)-(?P<n>\d{2,})$")
_SCENARIO = ("场景:", "剧本:")
_OUTLINE = ("场景大纲:", "剧本大纲:")
_EXAMPLES = ("例子:",)
_FEATURE = ("功能:",)
_BACKGROUND = ("背景:",)
GENERATED_MARK = "# GENERATED"


def case_id_of(tags: Iterable[str]) -> str | None:
    """The test-case ID among a test's tags (markers), without the ``@``; None when it has none."""
    found = sorted(t.removeprefix("@") for t in tags if t.removeprefix("@").startswith(PREFIX))
    return found[0] if found else None


@dataclass
class Case:
    """One test case in a feature file: a scenario, or one examples block of an outline."""

    path: Path
    line: int  # 0-based index of the 场景 / 例子 keyword line
    kind: str  # "scenario" or "examples"
    title: str  # the scenario's (or the outline's) title
    tags: list[str]  # the case's own tags, then its outline's, then the feature's (no "@")
    tag_lines: list[int] = field(default_factory=list)  # lines holding the case's own tags
    rows: int = 0  # data rows (examples blocks only)
    generated: bool = False

    @property
    def ids(self) -> list[str]:
        return [t for t in self.tags if t.startswith(PREFIX)]

    def requirements(self, known: set[str]) -> list[str]:
        out: list[str] = []
        for t in self.tags:
            if t in known and t not in out:
                out.append(t)
        return out


def _tags_of(line: str) -> list[str]:
    return [t.removeprefix("@") for t in line.split("#", 1)[0].split() if t.startswith("@")]


def _scan_text(path: Path, lines: list[str]) -> tuple[list[Case], list[str]]:
    """The cases of one file, and IDs placed where no test inherits them alone (on an outline)."""
    generated = any(line.startswith(GENERATED_MARK) for line in lines[:5])
    cases: list[Case] = []
    misplaced: list[str] = []
    feature_tags: list[str] = []
    pending: list[tuple[int, list[str]]] = []
    outline: tuple[str, list[str]] | None = None
    current: Case | None = None
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            pending.append((i, _tags_of(line)))
            continue
        own = [t for _, ts in pending for t in ts]
        own_lines = [j for j, _ in pending]
        if line.startswith("|"):
            if current is not None and current.kind == "examples":
                current.rows += 1
            continue
        pending = []
        if line.startswith(_FEATURE):
            feature_tags, outline, current = own, None, None
        elif line.startswith(_BACKGROUND):
            outline, current = None, None
        elif line.startswith(_OUTLINE):
            title = line.split(":", 1)[1].strip()
            outline, current = (title, own), None
            misplaced += [f"{path}:{i + 1}: {t} on a 场景大纲: put it on each of its 例子 blocks" for t in own if t.startswith(PREFIX)]
        elif line.startswith(_SCENARIO):
            outline = None
            current = Case(path, i, "scenario", line.split(":", 1)[1].strip(), own + feature_tags, own_lines, generated=generated)
            cases.append(current)
        elif line.startswith(_EXAMPLES) and outline is not None:
            current = Case(path, i, "examples", outline[0], own + outline[1] + feature_tags, own_lines, generated=generated)
            cases.append(current)
    for case in cases:  # a header row is not a test
        if case.kind == "examples":
            case.rows = max(case.rows - 1, 0)
    return cases, misplaced


def scan(features: Path) -> tuple[list[Case], list[str]]:
    """Every case of every ``*.feature`` under `features` (sorted paths, file order), and the
    misplaced IDs found on the way."""
    cases: list[Case] = []
    misplaced: list[str] = []
    for path in sorted(features.rglob("*.feature")):
        found, bad = _scan_text(path, path.read_text(encoding="utf-8").splitlines())
        cases += found
        misplaced += bad
    return cases, misplaced


def problems(features: Path, known: set[str]) -> list[str]:
    """What is wrong with the IDs of the suite under `features` (empty when all is well): a case
    with no ID or several, an examples block of several rows (one ID would name several tests),
    an ID used twice, an ID whose requirement is not one the case checks."""
    cases, out = scan(features)
    counts = Counter(i for c in cases for i in c.ids)
    for c in cases:
        where = f"{c.path}:{c.line + 1}"
        if c.kind == "examples" and c.rows != 1:
            out.append(
                f"{where}: 例子 block of {c.title!r} has {c.rows} rows: one test-case ID names one row (run scripts/assign-case-ids)"
            )
        if not c.ids:
            out.append(f"{where}: {c.title!r} has no test-case ID (run scripts/assign-case-ids)")
            continue
        if len(c.ids) > 1:
            out.append(f"{where}: {c.title!r} has {len(c.ids)} test-case IDs: {', '.join(c.ids)}")
        for tc in c.ids:
            if counts[tc] > 1:
                out.append(f"{where}: test-case ID {tc} is used {counts[tc]} times")
            reqs = c.requirements(known)
            if not any(tc.startswith(f"{PREFIX}{r}-") for r in reqs):
                out.append(f"{where}: test-case ID {tc} does not name a requirement the case checks ({', '.join(reqs) or 'none'})")
    return out


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _table(rows: list[list[str]], indent: str) -> list[str]:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [f"{indent}| " + " | ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)) + " |" for r in rows]


def _split_examples(lines: list[str], case: Case) -> list[str]:
    """The lines of `case` (an examples block of several rows) as one block per row, each with the
    block's tags and name; the table columns realigned."""
    keyword = lines[case.line]
    indent = keyword[: len(keyword) - len(keyword.lstrip())]
    tag_text = [lines[j] for j in case.tag_lines]
    j = case.line + 1
    table: list[list[str]] = []
    table_indent = indent + "  "
    while j < len(lines) and lines[j].strip().startswith("|"):
        table_indent = lines[j][: len(lines[j]) - len(lines[j].lstrip())]
        table.append(_cells(lines[j]))
        j += 1
    header, rows = table[0], table[1:]
    out: list[str] = []
    for n, row in enumerate(rows):
        if n:
            out.append("")
        out += tag_text + [keyword] + _table([header, row], table_indent)
    return out


def assign(features: Path, known: set[str]) -> list[str]:
    """Give every hand-written case without an ID the next free number of its first requirement,
    after splitting multi-row examples blocks into one block per row; existing IDs never change.
    Generated files are left alone (their generator writes the IDs). Returns the IDs given."""
    given: list[str] = []
    for path in sorted(features.rglob("*.feature")):
        lines = path.read_text(encoding="utf-8").splitlines()
        cases, _ = _scan_text(path, lines)
        if cases and cases[0].generated:
            continue
        for case in reversed(cases):  # bottom-up, so earlier line numbers stay valid
            if case.kind == "examples" and case.rows > 1 and not case.ids:
                start = min(case.tag_lines or [case.line])
                end = case.line + 1
                while end < len(lines) and lines[end].strip().startswith("|"):
                    end += 1
                lines[start:end] = _split_examples(lines, case)
        text = "\n".join(lines) + "\n"
        if text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
    all_cases, _ = scan(features)
    used: dict[str, int] = {}
    for c in all_cases:
        for tc in c.ids:
            m = _NUMBERED.match(tc)
            if m:
                used[m["req"]] = max(used.get(m["req"], 0), int(m["n"]))
    for path in sorted(features.rglob("*.feature")):
        lines = path.read_text(encoding="utf-8").splitlines()
        cases, _ = _scan_text(path, lines)
        if cases and cases[0].generated:
            continue
        inserts: list[tuple[Case, str]] = []
        for case in cases:
            if case.ids:
                continue
            reqs = case.requirements(known)
            if not reqs:
                continue  # reported by `problems`: a case must name its requirement first
            used[reqs[0]] = used.get(reqs[0], 0) + 1
            tc = f"{PREFIX}{reqs[0]}-{used[reqs[0]]:02d}"
            inserts.append((case, tc))
            given.append(tc)
        for case, tc in reversed(inserts):
            if case.tag_lines:
                last = case.tag_lines[-1]
                lines[last] = f"{lines[last].rstrip()} @{tc}"
            else:
                keyword = lines[case.line]
                indent = keyword[: len(keyword) - len(keyword.lstrip())]
                lines.insert(case.line, f"{indent}@{tc}")
        if inserts:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return given
