"""The 依据 (clauses) block of a feature file: for each requirement its scenarios check, the clauses a
lab cites — PROFILE.md sections, LD/T 6001 parts, items of the 27-item submission list — written
from the requirement catalogue (`ssc.catalogue`), so the feature text and the catalogue cannot
disagree. A scenario names its clauses through its requirement tag: its line in this block.

`scripts/assign-case-ids` writes the block at the end of each feature's description;
`scripts/generate-access-features` writes it into the generated feature; a unit test fails when a
block differs from what the catalogue says.
"""

from __future__ import annotations

import re
from pathlib import Path

from ssc.catalogue import Catalogue

__all__ = ["HEADER", "clause_block", "clause_text", "feature_requirements", "refresh", "with_clauses"]

HEADER = "  依据（检测项目：规范条款；LD/T 6001 部分；送检项目）："
_LINE = "    "
_TAG = re.compile(r"@([A-Z]{3}-[A-Z0-9-]+)")


def clause_text(catalogue: Catalogue, rid: str) -> str:
    """``STD-FS-2：规范 §3；LD/T 6001.3、LD/T 6001.2；送检项目第 8、9 项`` (parts not known are left out)."""
    r = catalogue.requirements[rid]
    parts = []
    if r.sections:
        parts.append("规范 " + "、".join(r.sections))
    elif r.ref:
        parts.append(r.ref)
    if r.ldt:
        parts.append("、".join(r.ldt))
    if r.items:
        parts.append("送检项目第 " + "、".join(str(n) for n in r.items) + " 项")
    return f"{rid}：" + "；".join(parts)


def clause_block(catalogue: Catalogue, rids: list[str]) -> list[str]:
    return [HEADER] + [_LINE + clause_text(catalogue, rid) for rid in rids] if rids else []


def feature_requirements(text: str, catalogue: Catalogue) -> list[str]:
    """The requirement tags of a feature file (feature, scenarios, example blocks), catalogue order."""
    found = {m[1] for line in text.splitlines() if line.strip().startswith("@") for m in _TAG.finditer(line)}
    return [rid for rid in catalogue.requirements if rid in found]


def with_clauses(text: str, catalogue: Catalogue) -> str:
    """`text` with its 依据 block (re)written at the end of the feature's description."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("功能:")), None)
    if start is None:
        return text
    end = start + 1
    while end < len(lines) and lines[end].strip() and not lines[end].strip().startswith(("@", "背景:", "场景", "规则:")):
        end += 1
    block_at = next((i for i in range(start + 1, end) if lines[i] == HEADER), end)
    lines[block_at:end] = clause_block(catalogue, feature_requirements(text, catalogue))
    return "\n".join(lines) + "\n"


def refresh(features: Path, catalogue: Catalogue, *, write: bool) -> list[Path]:
    """The feature files whose 依据 block is missing or stale (rewritten when `write`)."""
    stale = []
    for path in sorted(features.rglob("*.feature")):
        text = path.read_text(encoding="utf-8")
        new = with_clauses(text, catalogue)
        if new != text:
            stale.append(path)
            if write:
                path.write_text(new, encoding="utf-8")
    return stale
