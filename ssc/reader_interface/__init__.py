"""The reader programming interface (READER-INTERFACE.md) as data: `load_reader_interface()`.

The RDR-6 checks take field order, separators, lengths and return codes from here, never from
literals, so a lab can load the official LD/T 33 values instead of these public ones.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ssc.datafile import read_data_file
from ssc.formats import validate

from .schema import FORMAT, ReaderCode, ReaderInterfaceDocument

__all__ = ["DEFAULT_FILE", "ReaderCode", "ReaderInterface", "load_reader_interface"]

DEFAULT_FILE = Path(__file__).resolve().parent / "data" / "reader_interface.yaml"
ReaderInterface = ReaderInterfaceDocument


@cache
def load_reader_interface(path: Path = DEFAULT_FILE) -> ReaderInterface:
    def fail(field: str, message: str) -> ValueError:
        return ValueError(f"{path.name}: {field}: {message}")

    return validate(ReaderInterfaceDocument, read_data_file(path, FORMAT, ValueError), fail)
