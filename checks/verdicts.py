"""Verdict signals a check raises when it cannot judge a case.

A lab signs a pass, so a case that could not prove the effect it checks must never pass. Until the
harness maps it to its own verdict, `Inconclusive` fails the scenario with a message starting
"inconclusive:" so the reason is visible in the report and the case is not counted as passed.
"""

from __future__ import annotations

from terminal.errors import HarnessError

__all__ = ["INCONCLUSIVE", "Inconclusive"]

INCONCLUSIVE = "inconclusive: "


class Inconclusive(HarnessError):
    """The case could not reach its precondition or observe its effect; reported inconclusive,
    never passed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason if reason.startswith(INCONCLUSIVE) else INCONCLUSIVE + reason)
        self.reason = reason.removeprefix(INCONCLUSIVE)
