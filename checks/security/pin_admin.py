"""Changing the PIN for a test and giving the card its PIN back (PROFILE §5, SEC-PIN-2).

A CHANGE PIN to the personalized initial PIN is refused (6A80) by design, so when the PIN to give
back *is* the initial PIN (a test card as issued) it cannot be restored with CHANGE PIN: it is
restored with RELOAD PIN after PUK authentication instead.
"""

from __future__ import annotations

from terminal.channel import Response
from terminal.psam_client import PsamClient
from terminal.session import CardSession, OperationError

__all__ = ["restore_pin", "temporary_pin"]


def temporary_pin(current: str, *avoid: str) -> str:
    """A PIN of the same length as `current` that differs from it and from every PIN in `avoid`
    (e.g. the initial PIN, which the card refuses as a new PIN)."""
    if not current.isdigit():
        raise ValueError("a PIN is a string of digits")
    banned = {current, *avoid}
    for step in range(1, 10):
        candidate = "".join(str((int(d) + step) % 10) for d in current)
        if candidate not in banned:
            return candidate
    raise ValueError(f"no temporary PIN of length {len(current)} avoids {len(banned)} PINs")


def restore_pin(card: CardSession, psam: PsamClient, now: str, original: str, *, initial: str | None = None) -> Response:
    """Set the PIN from `now` back to `original`: CHANGE PIN, or RELOAD PIN (after PUK
    authentication) when `original` is the card's initial PIN (default: the profile's), which
    CHANGE PIN must refuse."""
    if original != (initial if initial is not None else card.profile.security.pin.initial):
        return card.change_pin(now, original, check=True)
    response = card.reload_pin(psam, original, check=False)
    if not response.ok:
        raise OperationError(None, response, f"RELOAD PIN to give the card its initial PIN back: {response.describe()}")
    return response


def wrong_pin(pin: str) -> str:
    """A PIN of the same length that differs from `pin` in its last digit, for tests that must
    present a wrong PIN without ever guessing the right one."""
    if not pin or not pin.isdigit():
        raise ValueError("a PIN is a non-empty string of digits")
    return pin[:-1] + str((int(pin[-1]) + 1) % 10)
