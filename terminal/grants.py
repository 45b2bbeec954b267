"""Obtain an access right to a file the way a legitimate terminal would (PROFILE §3.3).

A file's access rule (profile data) lists the conditions that open it; `grant` satisfies the
cheapest of them — the PIN (VERIFY with the cardholder's PIN) and/or external authentication with
the named keys through the terminal's PSAM — and leaves the file's DF current, so the right holds
for the commands that follow. SM terms are per command (a MAC on the command itself) and cannot be
granted in advance; `never` cannot be granted at all.
"""

from __future__ import annotations

from ssc.profile.access import AccessRule, Auth, Pin, Sm, Term
from ssc.profile.model import Profile
from terminal.session import CardSession

from .errors import HarnessError
from .psam_client import PsamClient

__all__ = ["GrantError", "cheapest_grant", "grant", "terminal_can_grant"]


class GrantError(HarnessError):
    """The rule cannot be satisfied in advance (never, SM only, or no rule for that right)."""


def cheapest_grant(rule: AccessRule) -> frozenset[Term]:
    """The minimal condition set with the fewest key authentications (the PIN is cheapest)."""
    grants = [g for g in rule.minimal_grants() if not any(isinstance(t, Sm) for t in g)]
    if not grants:
        raise GrantError(f"access rule {rule} cannot be satisfied before the command")
    return min(grants, key=lambda g: (sum(isinstance(t, Auth) for t in g), len(g)))


def grant(session: CardSession, path: str, right: str, psam: PsamClient | None, pin: str | None) -> list[str]:
    """Satisfy the `right` ("read", "update", "append") of file `path`; returns what was done.

    Raises `OperationError` when the card refuses a step (wrong PIN, authentication failed),
    `GrantError` when the rule cannot be granted beforehand.
    """
    profile = session.profile
    f = profile.file(path)
    rule = f.rule(right)
    if rule is None:
        raise GrantError(f"{path} declares no {right} rule")
    terms = cheapest_grant(rule)
    done: list[str] = []
    if any(isinstance(t, Auth) for t in terms):
        session.identity()  # reading the identity selects SSSE: do it before the DF is made current
    if any(isinstance(t, Pin) for t in terms):
        if pin is None:
            raise GrantError(f"{path}: the {right} rule {rule} needs the PIN and none was given")
        session.verify_pin(pin, check=True)
        done.append("PIN verified")
    session.ensure_df(profile.df_of(path).path)
    for term in sorted((t for t in terms if isinstance(t, Auth)), key=lambda t: t.key):
        if psam is None:
            raise GrantError(f"{path}: the {right} rule {rule} needs AUTH {term.key} and no PSAM was given")
        session.external_authenticate(term.key, profile.command("external_authenticate").byte("active_version"), psam, check=True)
        done.append(f"AUTH {term.key}")
    return done


def terminal_can_grant(profile: Profile, path: str, right: str) -> bool:
    """Whether a terminal with the PIN and an SSSE PSAM can obtain `right` on `path` beforehand.

    The PSAM serves the keys outside firewalled trees only (behaviour ``psam_key_scope``): the
    PSE's keys are a bank PSAM's business, so its protected files are out of this terminal's reach.
    """
    rule = profile.file(path).rule(right)
    if rule is None:
        return False
    try:
        terms = cheapest_grant(rule)
    except GrantError:
        return False
    if profile.behaviour.psam_key_scope.value == "ssse":
        return not any(isinstance(term, Auth) and profile.behind_firewall(profile.key(term.key).df) for term in terms)
    return True
