"""Serve a reference card (or a mutant) on the vpcd virtual reader for a benchmark (needs pcscd + vpcd,
e.g. inside scripts/pcsc-sandbox): ``with served("gen2", ("mac_not_checked",)) as reader: ...``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from reference_card import ReferenceCard
from terminal.transports.readers import wait_for_card
from terminal.vpcd import ServerThread, VpcdServer

PORT, READER = 35963, "Virtual PCD 00 00"  # /etc/reader.conf.d/vpcd
CARD_WAIT = 5.0


@contextmanager
def served(generation: str, faults: Sequence[str], *, tearing_hook: bool = False) -> Iterator[str]:
    """The reference card served on vpcd (`tearing_hook`: with the PROFILE §6.5 test hook, as
    ``serve-card --tearing-hook``)."""
    wait_for_card(READER, present=False, timeout=CARD_WAIT)
    handle = VpcdServer(ReferenceCard.default(generation, faults=list(faults), tearing_hook=tearing_hook), port=PORT).run_in_thread()
    try:
        if not handle.wait_connected(CARD_WAIT):
            raise RuntimeError(f"the virtual card could not connect to vpcd on port {PORT}")
        wait_for_card(READER, timeout=CARD_WAIT)
        yield READER
    finally:
        handle.stop()
        wait_for_card(READER, present=False, timeout=CARD_WAIT)


class ServedCard:
    """A card of a batch served on vpcd, which `replace` swaps for a fresh one of the same batch
    (as a lab takes a new test card): the old one is withdrawn (a call pcscd still holds on it
    ends), the new one inserted. ``with ServedCard("gen2", faults) as card: ... card.replace()``.
    Served with the tearing test hook (``serve-card --tearing-hook``), so a diff through vpcd
    draws torn writes as in-process."""

    def __init__(self, generation: str, faults: Sequence[str]) -> None:
        self.generation = generation
        self.faults = list(faults)
        self.reader = READER
        self.replacements = 0
        self._handle: ServerThread | None = None

    def _insert(self) -> None:
        wait_for_card(READER, present=False, timeout=CARD_WAIT)
        self._handle = VpcdServer(ReferenceCard.default(self.generation, faults=self.faults, tearing_hook=True), port=PORT).run_in_thread()
        if not self._handle.wait_connected(CARD_WAIT):
            raise RuntimeError(f"the virtual card could not connect to vpcd on port {PORT}")
        wait_for_card(READER, timeout=CARD_WAIT)

    def _withdraw(self) -> None:
        if self._handle is not None:
            self._handle.stop()
            self._handle = None

    def replace(self) -> None:
        self._withdraw()
        self._insert()
        self.replacements += 1

    def __enter__(self) -> ServedCard:
        self._insert()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._withdraw()
        wait_for_card(READER, present=False, timeout=CARD_WAIT)
