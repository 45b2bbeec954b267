"""The layers of ARCHITECTURE.md hold: imports go only along the allowed arrows, no project module
imports itself back through a cycle, and `terminal/` (the host side) names no requirement ID.

The import graph is read from the source (ast), so a lazy import inside a function counts as much
as one at the top: a layer violation is a violation wherever it is written. Imports under
`if TYPE_CHECKING:` never run and are left out of the cycle check, as are edges to the importing
module's own parent packages (running a package's `__init__` first is how Python imports a submodule).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ssc", "reference_card", "terminal", "checks", "harness", "steps", "reports")

# package → the project packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "ssc": set(),
    "reference_card": {"ssc"},
    "terminal": {"ssc"},
    "checks": {"ssc", "terminal"},
    "harness": {"ssc", "terminal", "checks", "reference_card", "reports"},
    "steps": {"ssc", "terminal", "checks", "harness"},
    "reports": {"ssc", "harness"},
}
REQUIREMENT_ID = re.compile(r"\b(STD|SEC|INT|PER|RDR)-[A-Z]+-?\d")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `name` imports (resolving relative imports and `from pkg import mod`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    out: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target not in ancestors:
                out.add(target)
    return out


GRAPH = {name: _imports(name, path, _modules()) for name, path in _modules().items()}


def test_the_graph_is_not_empty() -> None:
    assert len(GRAPH) > 60
    assert any(GRAPH.values())


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_follow_the_layers(module: str) -> None:
    package = module.split(".")[0]
    wrong = sorted(t for t in GRAPH[module] if t.split(".")[0] not in ALLOWED[package] | {package})
    assert not wrong, f"{module} imports {wrong}; {package} may import only {sorted(ALLOWED[package])}"


def test_there_is_no_import_cycle() -> None:
    # Tarjan's strongly connected components: any component of more than one module is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The cycle check can fail: a two-module cycle planted in a copy of the graph is found."""
    planted = {"a": {"b"}, "b": {"a"}, "c": set()}
    saved = dict(GRAPH)
    try:
        GRAPH.clear()
        GRAPH.update(planted)
        with pytest.raises(AssertionError, match="import cycles"):
            test_there_is_no_import_cycle()
    finally:
        GRAPH.clear()
        GRAPH.update(saved)


def test_terminal_names_no_requirement_id() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "terminal").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if REQUIREMENT_ID.search(line)
    ]
    assert not offenders, f"terminal/ is the host side, review logic goes to checks/: {offenders}"


@pytest.mark.parametrize("review", ["standards", "security", "interop", "personalization", "readers"])
def test_every_feature_folder_has_its_checks_folder(review: str) -> None:
    assert (ROOT / "features" / review).is_dir()
    assert list((ROOT / "checks" / review).glob("*.py")), f"checks/{review}/ holds the review logic of features/{review}/"


def test_the_reader_features_belong_to_the_reader_plan_only() -> None:
    """features/readers/ (RDR-1..6, library.feature included) is bound by reader_suite/ alone: a card
    run collects no reader scenario and the card plugin knows no reader option (--ssc-lib is the
    reader plugin's)."""
    bound = {
        path.relative_to(ROOT).as_posix(): re.findall(r'scenarios\("([^"]+)"\)', path.read_text(encoding="utf-8"))
        for folder in ("suite", "reader_suite")
        for path in sorted((ROOT / folder).glob("*.py"))
    }
    assert [f for f, dirs in bound.items() if "readers" in dirs] == ["reader_suite/test_readers.py"], bound
    card_plugin = (ROOT / "harness" / "plugin.py").read_text(encoding="utf-8")
    assert "--ssc-lib" not in card_plugin and not re.search(r"\bRDR\b|RDR-\d", card_plugin)
