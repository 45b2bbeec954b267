"""Which PC/SC readers exist and what is in them (for `ssc-conform readers`, fixtures, messages)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from terminal.transports.base import TransportError
from terminal.transports.pcsc import reader_states, select_reader

__all__ = ["ReaderInfo", "list_readers", "select_reader", "wait_for_card"]


@dataclass(frozen=True, slots=True)
class ReaderInfo:
    name: str
    card_present: bool
    atr: bytes | None  # None when the reader is empty


def list_readers() -> list[ReaderInfo]:
    """Every reader pcscd knows, with card presence and ATR; [] if it knows none.

    Raises NoReaderError (with a plain "is pcscd running?" message) when pcscd is not reachable.
    """
    return [ReaderInfo(name, present, atr) for name, present, atr in reader_states()]


def wait_for_card(reader: str, *, present: bool = True, timeout: float = 5.0) -> ReaderInfo:
    """Poll until the reader matching `reader` shows a card (or, with present=False, none).

    Raises TransportError on timeout, ReaderNotFoundError if no reader matches.
    """
    deadline = time.monotonic() + timeout
    while True:
        infos = list_readers()
        name = select_reader(reader, [info.name for info in infos])
        info = next(i for i in infos if i.name == name)
        if info.card_present == present:
            return info
        if time.monotonic() >= deadline:
            state = "present" if present else "absent"
            raise TransportError(f"reader {name!r}: card still not {state} after {timeout:.1f} s")
        time.sleep(0.02)
