"""Known-answer vectors as data files (see SOURCES.md for the origin and format of each file).

Kept as data, apart from the code they test, so a lab can add official vectors without writing
Python; the parsers live with the tests (tests/unit/vector_loaders.py).
"""

from __future__ import annotations

from importlib import resources
from typing import IO

__all__ = ["open_vector_file"]


def open_vector_file(name: str, mode: str = "r") -> IO:
    """Open the vector file `name` of this package ("r": text, "rb": bytes)."""
    if mode not in ("r", "rb"):
        raise ValueError(f"vector files are read-only; mode must be 'r' or 'rb', got {mode!r}")
    resource = resources.files(__package__).joinpath(name)
    if mode == "r":
        return resource.open("r", encoding="utf-8")
    return resource.open("rb")
