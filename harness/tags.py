"""`--tags`: choose scenarios by a tag expression, checked before pytest ever sees it.

Tag expressions are written as in pytest-bdd / Gherkin: ``SEC-PIN-1``, ``@gen3 and not
destructive``, ``(STD-ATR-1 or STD-FS-1) and gen2``. pytest-bdd turns every Gherkin tag into a
pytest marker, so the expression maps onto ``pytest -m`` once the ``@`` are stripped. A tag that is
neither a requirement ID of the catalogue nor one of the harness's tags (generations, destructive,
slow, interop, …) is almost certainly a typo that would silently select nothing, so it is refused
with the closest known tags.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from terminal.errors import InputError

__all__ = ["GENERATION_TAGS", "OTHER_TAGS", "TagError", "known_tags", "to_marker_expression"]

# Tags the harness itself gives meaning to (beside the requirement IDs of the catalogue).
GENERATION_TAGS = ("gen1", "gen2", "gen3")
OTHER_TAGS = {
    "destructive": "changes a real card irreversibly or blocks it; opt in with --allow-destructive",
    "slow": "long-running scenario",
    "interop": "cross-region interoperability matrix",
    "pcsc": "needs pcscd + vpcd",
    "ends_card_life": "leaves the card terminated (CARD BLOCK): runs after every other scenario",
}

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_OPERATORS = ("and", "or", "not")


class TagError(InputError):
    pass


def known_tags() -> list[str]:
    """Requirement IDs of the catalogue, the harness's own tags, then the suite's test-case IDs
    (``TC-SEC-PIN-1-02``: `--tags` selects one case by the ID a lab cites)."""

    from harness.case_ids import scan
    from ssc.catalogue import load_catalogue

    cases, _ = scan(Path(__file__).resolve().parent.parent / "features")
    case_ids = sorted({i for c in cases for i in c.ids})
    return list(load_catalogue().requirements) + list(GENERATION_TAGS) + list(OTHER_TAGS) + case_ids


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # pragma: no cover - the pattern matches any non-space run
            raise TagError(f"--tags {text!r}: cannot read at position {pos}")
        out.append(m.group(1))
        pos = m.end()
    return out


def to_marker_expression(text: str, known: Iterable[str] | None = None) -> str:
    """The pytest ``-m`` expression for tag expression `text`; `TagError` names the problem.

    Grammar (pytest's): expr := and_expr ("or" and_expr)*; and_expr := not_expr ("and"
    not_expr)*; not_expr := "not" not_expr | "(" expr ")" | tag.
    """
    allowed = list(known) if known is not None else known_tags()
    allowed_set = set(allowed)
    tokens = _tokens(text)
    if not tokens:
        raise TagError(f"--tags {text!r}: empty tag expression")
    out: list[str] = []
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        out.append(tok)
        return tok

    def fail(message: str) -> TagError:
        return TagError(f"--tags {text!r}: {message}")

    def tag() -> None:
        nonlocal pos
        tok = peek()
        if tok is None:
            raise fail("ends where a tag was expected")
        if tok in _OPERATORS or tok in "()":
            raise fail(f"expected a tag, found {tok!r}")
        name = tok.removeprefix("@")
        if name not in allowed_set:
            close = difflib.get_close_matches(name, allowed, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise fail(
                f"unknown tag {tok!r}: not a requirement ID of the catalogue (e.g. SEC-PIN-1) nor one of "
                f"{', '.join(a for a in allowed if '-' not in a)}, nor a test-case ID (TC-…){hint}"
            )
        out.append(name)
        pos += 1

    def not_expr() -> None:
        tok = peek()
        if tok == "not":
            take()
            not_expr()
        elif tok == "(":
            take()
            expr()
            if peek() != ")":
                raise fail("missing ')'")
            take()
        else:
            tag()

    def and_expr() -> None:
        not_expr()
        while peek() == "and":
            take()
            not_expr()

    def expr() -> None:
        and_expr()
        while peek() == "or":
            take()
            and_expr()

    expr()
    if pos != len(tokens):
        raise fail(f"unexpected {tokens[pos]!r}; join tags with 'and', 'or', 'not' and parentheses")
    return " ".join(out).replace("( ", "(").replace(" )", ")")
