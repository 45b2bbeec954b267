"""Is the card there for the next scenario? After a loss, wait once for it, then stop waiting.

A card pulled out for good used to cost every remaining scenario the full re-insertion wait (5 s
each, 1,196 s for one run). Now the first scenario after a loss waits up to the run's grace period
(--card-grace) for the card to come back; if it does not, that scenario and every later one is
*not run* with the reason ("card removed", "card does not answer"), each after a single check that
does not wait — so a card that comes back later is still picked up, and the run resumes normally.
"""

from __future__ import annotations

from collections.abc import Callable

from terminal.transports.base import ApduTimeoutError, CardMuteError, CardRemovedError, TransportError

DEFAULT_CARD_GRACE = 3.0  # seconds (run option --card-grace)
REMOVED = "card removed"
MUTE = "card does not answer"

# Transport errors, by class name as a trace records them, that leave the card unusable until reset.
LOSS_REASONS = {
    CardRemovedError.__name__: REMOVED,
    ApduTimeoutError.__name__: MUTE,
    CardMuteError.__name__: MUTE,
}


def loss_of(error: str | None) -> str | None:
    """The loss a trace entry's error text ("ClassName: message") stands for, or None."""
    if not error:
        return None
    return LOSS_REASONS.get(error.partition(":")[0].strip())


class CardWatch:
    """Tracks whether the card was lost, and decides before each scenario whether it may run."""

    def __init__(self, grace: float = DEFAULT_CARD_GRACE) -> None:
        self.grace = grace
        self.lost: str | None = None  # REMOVED or MUTE while the card is gone
        self._waited = False  # the grace period was spent on this loss already

    def note_loss(self, reason: str) -> None:
        if self.lost is None:
            self.lost, self._waited = reason, False

    def check(self, reset: Callable[[float], object]) -> str | None:
        """None when the card can be used (re-connected by `reset(timeout)` after a loss), else the
        reason the scenario is not run. Waits up to `grace` s on the first check after a loss only."""
        if self.lost is None:
            return None
        timeout = 0.0 if self._waited else self.grace
        try:
            reset(timeout)
        except TransportError:
            self._waited = True
            return self.lost
        self.lost, self._waited = None, False
        return None
