"""Serve a reference card (or a mutant) on the vpcd virtual reader for a benchmark (needs pcscd + vpcd,
e.g. inside scripts/pcsc-sandbox): ``with served("gen2", ("mac_not_checked",)) as reader: ...``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from reference_card import ReferenceCard
from terminal.transports.readers import wait_for_card
from terminal.vpcd import VpcdServer

PORT, READER = 35963, "Virtual PCD 00 00"  # /etc/reader.conf.d/vpcd
CARD_WAIT = 5.0


@contextmanager
def served(generation: str, faults: Sequence[str]) -> Iterator[str]:
    wait_for_card(READER, present=False, timeout=CARD_WAIT)
    handle = VpcdServer(ReferenceCard.default(generation, faults=list(faults)), port=PORT).run_in_thread()
    try:
        if not handle.wait_connected(CARD_WAIT):
            raise RuntimeError(f"the virtual card could not connect to vpcd on port {PORT}")
        wait_for_card(READER, timeout=CARD_WAIT)
        yield READER
    finally:
        handle.stop()
        wait_for_card(READER, present=False, timeout=CARD_WAIT)
