"""Parsers for the vector files of `ssc.vectors`, one per file format (see ssc/vectors/SOURCES.md).

Parsers return plain dicts of strings; the tests decide which fields are hex.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO, TypeVar

from ssc.vectors import open_vector_file

T = TypeVar("T")


def load_nist_vectors(lines: Iterable[str]) -> list[dict[str, str]]:
    """NIST-.rsp-like blocks: `[SECTION]`, `FIELD = value` lines, blank line between entries.

    Each entry gets the current section under the key "section" (empty string before any
    section header). Raises ValueError on a line that is none of comment, section, field, blank,
    or on a field repeated inside one entry.
    """
    vectors: list[dict[str, str]] = []
    section = ""
    current: dict[str, str] = {}

    def flush() -> None:
        nonlocal current
        if current:
            vectors.append({"section": section, **current})
            current = {}

    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            continue
        elif line.startswith("[") and line.endswith("]"):
            flush()
            section = line[1:-1].strip()
        elif "=" in line:
            name, _, value = line.partition("=")
            name = name.strip()
            if name in current:
                raise ValueError(f"line {number}: field {name} repeated in one entry")
            current[name] = value.strip()
        else:
            raise ValueError(f"line {number}: cannot parse {raw!r}")
    flush()
    return vectors


def load_vectors_from_file(name: str, loader: Callable[[IO[str]], T]) -> T:
    """Open `ssc.vectors/<name>` and hand it to `loader`."""
    with open_vector_file(name) as handle:
        return loader(handle)
