"""No check words a finding in English only: a lab reads report.html and results.json in Chinese
(checks.wording, features/GLOSSARY.md).

An AST walk over checks/ (and ssc/, whose data-element, record and ATR checks feed the same
findings) finds every text a check reports — the reason of `Inconclusive`, the message of an
`AssertionError`, an item appended to a ``findings`` or ``problems`` list, an item of a list a
``*_problems`` / ``*_findings`` function returns — and fails on one written as a literal (a
string or f-string, alone or joined with ``+``) that holds no Chinese character. Texts built by a
call (``bilingual(...)``) are judged where they are built. A text that must stay English is
allow-listed below with the reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CHECKS = sorted((ROOT / "checks").rglob("*.py")) + sorted((ROOT / "ssc").rglob("*.py"))
_CJK = re.compile(r"[\u4e00-\u9fff]")
_REPORTERS = {"Inconclusive", "AssertionError"}
_LISTS = {"findings", "problems"}

# (file relative to the repository, first words of the text) → why it may stay English only
ALLOWED: dict[tuple[str, str], str] = {}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _reports(call: ast.Call) -> bool:
    """`call` reports a text: Inconclusive(...), AssertionError(...), <findings|problems>.append(...)."""
    func = call.func
    if _name(func) in _REPORTERS:
        return True
    return isinstance(func, ast.Attribute) and func.attr == "append" and _name(func.value) in _LISTS


def _literal_parts(node: ast.expr) -> list[str] | None:
    """The literal text of a string, f-string or ``+`` of them (None: not a literal text)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal_parts(node.left), _literal_parts(node.right)
        if left is None and right is None:
            return None
        return (left or []) + (right or [])
    return None


def _returned_items(function: ast.FunctionDef) -> list[ast.expr]:
    """The items of the list literals a findings/problems function returns (``return [..]``,
    ``return x, [..]``)."""
    if not any(word in function.name for word in ("problems", "findings")):
        return []
    items: list[ast.expr] = []
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            items += [item for v in values if isinstance(v, ast.List) for item in v.elts]
    return items


def english_only_texts(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every reported literal text in `path` without a Chinese character."""
    texts: list[ast.expr] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and _reports(node):
            texts += node.args
        elif isinstance(node, ast.FunctionDef):
            texts += _returned_items(node)
    found = []
    for arg in texts:
        parts = _literal_parts(arg)
        if parts is None:
            continue
        text = "".join(parts)
        if not _CJK.search(text):
            found.append((arg.lineno, text))
    return sorted(found)


def test_the_walk_finds_an_english_only_finding(tmp_path: Path) -> None:
    """The walk itself can fail: each reporter form with an English-only literal is found, the
    same text made bilingual is not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "findings.append(f'READ answered {x}')\n"
        "self.problems.append('no data' + tail)\n"
        "raise Inconclusive(f'no file {p}')\n"
        "raise AssertionError('wrong')\n"
        "findings.append(f'读返回 {x} / READ answered {x}')\n"
        "findings.append(bilingual('读', 'read'))\n"
        "other.append('english is fine here')\n"
        "def output_problems():\n"
        "    return [f'the output differs: {x}']\n"
        "def hsm_problems():\n"
        "    return b'', [bilingual('读', 'read'), 'no tag']\n",
        encoding="utf-8",
    )
    assert [line for line, _ in english_only_texts(sample)] == [1, 2, 3, 4, 9, 11]


def test_every_finding_in_checks_has_its_chinese() -> None:
    bad = []
    for path in CHECKS:
        rel = path.relative_to(ROOT).as_posix()
        for line, text in english_only_texts(path):
            if not any(rel == f and text.startswith(head) for f, head in ALLOWED):
                bad.append(f"{rel}:{line}: {text[:80]!r}")
    assert not bad, "word these Chinese first with checks.wording.bilingual (or allow-list one with a reason): " + "; ".join(bad)
