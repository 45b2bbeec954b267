"""PIN helpers for tests that must present a wrong PIN without ever guessing the right one."""
from __future__ import annotations


def wrong_pin(pin: str) -> str:
    """A PIN of the same length that differs from `pin` in its last digit."""
    if not pin or not pin.isdigit():
        raise ValueError("a PIN is a non-empty string of digits")
    return pin[:-1] + str((int(pin[-1]) + 1) % 10)
