"""The project has one error tree (`terminal.errors`): every error class of the host side, the checks
and the harness derives from `HarnessError`, and the tree drawn in the module docstring is complete
and right, class by class and parent by parent.

The modules are walked, not listed, so a new error class that forgets the base, or a class the
drawing leaves out or hangs under the wrong parent, fails here. `ssc/`, `reference_card/` and
`reports/` may not import terminal/ (ARCHITECTURE.md layers) and are outside the tree, as the
docstring says; private exceptions (leading underscore) never leave their module.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import checks
import harness
import terminal
from terminal import errors
from terminal.errors import HarnessError

PACKAGES = (terminal, checks, harness)


def _error_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in PACKAGES:
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            module = importlib.import_module(info.name)
            for name, obj in vars(module).items():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, BaseException)
                    and obj.__module__ == module.__name__
                    and not name.startswith("_")
                ):
                    found[f"{module.__name__}.{name}"] = obj
    return found


ERRORS = _error_classes()


def _drawn_tree() -> dict[str, str | None]:
    """Class name → the name of its parent in the docstring's drawing (None for the root): the
    indented block after the paragraph ending in "::", one class per line, children indented."""
    lines = (errors.__doc__ or "").splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip().endswith("::")) + 1
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []  # (column of the name, name)
    for line in lines[start:]:
        if line.strip() and not line.startswith(" "):
            break  # the drawing ends at the next unindented paragraph
        m = re.match(r"^([ │├└─]*)([A-Z][A-Za-z]+)\b", line)
        if not m:
            continue
        column = len(m.group(1))
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[m.group(2)] = stack[-1][1] if stack else None
        stack.append((column, m.group(2)))
    return parents


def test_the_walk_finds_the_known_errors() -> None:
    names = {cls.__name__ for cls in ERRORS.values()}
    assert {"TransportError", "OperationError", "PsamError", "GrantError", "TryGuardRefusal", "Abort"} <= names


@pytest.mark.parametrize("qualified", sorted(ERRORS))
def test_every_error_class_derives_from_the_base(qualified: str) -> None:
    assert issubclass(ERRORS[qualified], HarnessError), f"{qualified} does not derive from terminal.errors.HarnessError"


def test_the_docstring_draws_every_class_under_its_parent() -> None:
    drawn = _drawn_tree()
    assert drawn.get("HarnessError", "missing") is None, "the drawing starts at HarnessError"
    for qualified, cls in sorted(ERRORS.items()):
        assert cls.__name__ in drawn, f"{qualified} is not drawn in terminal/errors.py's docstring"
        if cls is HarnessError:
            continue
        in_tree = [b for b in cls.__bases__ if issubclass(b, HarnessError)]
        assert len(in_tree) == 1, f"{qualified} has {len(in_tree)} parents in the tree"
        assert drawn[cls.__name__] == in_tree[0].__name__, (
            f"{qualified} derives from {in_tree[0].__name__}, the docstring draws it under {drawn[cls.__name__]}"
        )


def test_the_docstring_names_each_class_module() -> None:
    doc = errors.__doc__ or ""
    for qualified, cls in ERRORS.items():
        if cls.__module__ != errors.__name__:
            assert re.search(rf"\b{cls.__name__}\s+\[{re.escape(cls.__module__)}\]", doc), (
                f"{qualified}: its module is not named in the tree"
            )


def test_the_docstring_draws_no_class_that_does_not_exist() -> None:
    existing = {cls.__name__ for cls in ERRORS.values()}
    assert set(_drawn_tree()) <= existing, f"drawn but not defined: {sorted(set(_drawn_tree()) - existing)}"
