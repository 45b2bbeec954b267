"""Access rules as data: the grammar of PROFILE §3.3 parsed into a small AST.

The same declaration drives both sides: the card enforces it, and the suite derives from it the
minimal condition sets that must open a file and the near misses that must not. Evaluating a rule
against a security state is deliberately left to each side, so the suite's expectations never share
code with a card model.

Grammar: ``free`` | ``never`` | term (("or" | "and") term)*, with one connective per rule;
term := ``PIN`` | ``AUTH <key>`` | ``SM <key>``.
"""

from __future__ import annotations

from dataclasses import dataclass


class AccessRuleError(ValueError):
    pass


@dataclass(frozen=True)
class Pin:
    def __str__(self) -> str:
        return "PIN"


@dataclass(frozen=True)
class Auth:
    key: str

    def __str__(self) -> str:
        return f"AUTH {self.key}"


@dataclass(frozen=True)
class Sm:
    key: str

    def __str__(self) -> str:
        return f"SM {self.key}"


Term = Pin | Auth | Sm


@dataclass(frozen=True)
class AccessRule:
    """`kind` is "free", "never", "single", "or" or "and"; `terms` holds the conditions."""

    kind: str
    terms: tuple[Term, ...] = ()

    @property
    def is_free(self) -> bool:
        return self.kind == "free"

    @property
    def is_never(self) -> bool:
        return self.kind == "never"

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(t.key for t in self.terms if isinstance(t, (Auth, Sm)))

    @property
    def sm_keys(self) -> frozenset[str]:
        return frozenset(t.key for t in self.terms if isinstance(t, Sm))

    @property
    def needs_pin(self) -> bool:
        return any(isinstance(t, Pin) for t in self.terms)

    def minimal_grants(self) -> list[frozenset[Term]]:
        """Every minimal set of conditions that satisfies the rule (empty set for free)."""
        if self.kind == "free":
            return [frozenset()]
        if self.kind == "never":
            return []
        if self.kind == "and":
            return [frozenset(self.terms)]
        return [frozenset({t}) for t in self.terms]

    def __str__(self) -> str:
        if self.kind in ("free", "never"):
            return self.kind
        joiner = f" {self.kind} " if self.kind in ("or", "and") else ""
        return joiner.join(str(t) for t in self.terms)


def _parse_term(words: list[str], text: str) -> Term:
    if words == ["PIN"]:
        return Pin()
    if len(words) == 2 and words[0] in ("AUTH", "SM"):
        return Auth(words[1]) if words[0] == "AUTH" else Sm(words[1])
    raise AccessRuleError(
        f"cannot read access rule {text!r}: expected 'free', 'never', 'PIN', 'AUTH <key>' or "
        f"'SM <key>' joined by 'or'/'and', got the term {' '.join(words)!r}"
    )


def parse_rule(text: str) -> AccessRule:
    if not isinstance(text, str) or not text.strip():
        raise AccessRuleError(f"an access rule must be a non-empty string, got {text!r}")
    words = text.split()
    if words in (["free"], ["never"]):
        return AccessRule(words[0])
    connectives = {w for w in words if w in ("or", "and")}
    if len(connectives) > 1:
        raise AccessRuleError(f"access rule {text!r} mixes 'or' and 'and'; use one connective per rule")
    if not connectives:
        return AccessRule("single", (_parse_term(words, text),))
    joiner = connectives.pop()
    groups: list[list[str]] = [[]]
    for w in words:
        if w == joiner:
            groups.append([])
        else:
            groups[-1].append(w)
    terms = tuple(_parse_term(g, text) for g in groups)
    if len(set(terms)) != len(terms):
        raise AccessRuleError(f"access rule {text!r} repeats a term")
    return AccessRule(joiner, terms)
