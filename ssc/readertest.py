"""The reader-test card's hook commands and the reader plan's limits (ssc/data/reader-test.yaml).

`load_reader_test()` validates the file once (schema ssc-reader-test/1) and returns a `ReaderTest`:
the card side builds its answers from it, the kit side its commands, so both use the same codes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from ssc.readertest_schema import ReaderTestDocument, ReaderTestLimits

__all__ = ["READER_TEST_PATH", "ReaderTest", "load_reader_test", "pattern"]

READER_TEST_PATH = Path(__file__).resolve().parent / "data" / "reader-test.yaml"


@dataclass(frozen=True)
class ReaderTest:
    """Hook codes as bytes, and the limits."""

    cla: int
    ins: dict[str, int]  # command name → INS
    limits: ReaderTestLimits

    def command(self, name: str, p1p2: int = 0, data: bytes = b"", le: int | None = None) -> bytes:
        """A short command APDU of hook command `name` (Le 256 is written 00)."""
        apdu = bytes((self.cla, self.ins[name], (p1p2 >> 8) & 0xFF, p1p2 & 0xFF))
        if data:
            apdu += bytes((len(data),)) + data
        if le is not None:
            apdu += bytes((le & 0xFF,))
        return apdu


def pattern(n: int) -> bytes:
    """The `n` data bytes the card answers `respond`, `wrong_le` and `chain` with: every byte
    value occurs, and answers of different lengths differ from their first byte on, so a reader
    that drops, repeats or shifts a byte is caught."""
    return bytes((i * 7 + n) & 0xFF for i in range(n))


@functools.cache
def load_reader_test(path: Path = READER_TEST_PATH) -> ReaderTest:
    try:
        doc = ReaderTestDocument.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    return ReaderTest(int(doc.hook_cla, 16), {name: int(c.ins, 16) for name, c in doc.commands.items()}, doc.limits)
