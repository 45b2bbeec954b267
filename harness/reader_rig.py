"""The served card and PSAM behind a reader library under test (RDR-6).

A reader library talks to PC/SC readers; to provoke each of its return codes with a real
condition, the harness serves the reference card on vpcd's first reader and the reference PSAM on
the second (ENVIRONMENT.md: "Virtual PCD 00 00" on port 35963, "Virtual PCD 00 01" on 35964) and
swaps them: no card, a card of another type, a card whose identification code carries a wrong MAC,
a gen3 card, no PSAM, a PSAM without the card's algorithm or without RKSSSE. This is harness code:
it builds reference models; the checks still see them only through PC/SC.

The card model is wrapped in a `Recorder`, so a PIN-pad case can check which bytes reached the
card (the wire, not the model's state).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from reference_card import ReferenceCard
from reference_card.psam import PsamCard
from ssc.card import CardModel
from ssc.keyset import TestKeySet
from ssc.profile import load_profile
from terminal.channel import Terminal
from terminal.psam_client import PsamClient
from terminal.regions import load_regions
from terminal.session import CardSession
from terminal.transports.readers import wait_for_card
from terminal.vpcd import ServerThread, VpcdServer

__all__ = ["CARD_KINDS", "PSAM_KINDS", "ReaderRig", "Recorder", "build_card", "build_psam"]

CARD_PORT, PSAM_PORT = 35963, 35964
VPCD_READERS = {CARD_PORT: "Virtual PCD 00 00", PSAM_PORT: "Virtual PCD 00 01"}  # /etc/reader.conf.d/vpcd
CARD_WAIT = 5.0  # seconds for pcscd to notice an inserted or removed virtual card
NAME_EXTENSION = "·阿不都热合曼"  # gives the served gen2/gen3 card a name extension (PROFILE §3.2 tag 4E)


class Recorder:
    """A card model that keeps every command APDU it receives and its answer (what reached the
    card and what the card said)."""

    def __init__(self, inner: CardModel) -> None:
        self.inner = inner
        self.exchanges: list[tuple[bytes, bytes]] = []

    @property
    def commands(self) -> list[bytes]:
        return [c for c, _ in self.exchanges]

    def power_on(self) -> bytes:
        return self.inner.power_on()

    def power_off(self) -> None:
        self.inner.power_off()

    def process(self, apdu: bytes) -> bytes:
        response = self.inner.process(apdu)
        self.exchanges.append((bytes(apdu), response))
        return response


class _PsamVariant:
    """The reference PSAM with one answer replaced: `refuse(apdu)` returns a status word or None."""

    def __init__(self, inner: PsamCard, refuse: Callable[[bytes], int | None]) -> None:
        self.inner = inner
        self.refuse = refuse

    def power_on(self) -> bytes:
        return self.inner.power_on()

    def power_off(self) -> None:
        self.inner.power_off()

    def process(self, apdu: bytes) -> bytes:
        sw = self.refuse(apdu)
        return self.inner.process(apdu) if sw is None else sw.to_bytes(2, "big")


def build_card(kind: str) -> CardModel:
    """gen2 / gen3 (with a name extension), bad_card_id_mac (gen2 whose card-ID MAC is wrong),
    not_ssc (a PSAM in the card slot: a card without the social security application)."""
    if kind == "not_ssc":
        return build_psam("reference", "gen2")
    generation, _, fault = kind.partition(":")
    profile = load_profile(generation)
    base = ReferenceCard.default(generation)
    person = base.personalization
    person = dataclasses.replace(person, cardholder=dataclasses.replace(person.cardholder, name_ext=NAME_EXTENSION))
    return ReferenceCard(profile, person, faults=[fault] if fault else [])


def build_psam(kind: str, generation: str) -> CardModel:
    """reference, no_algorithm (the key DF of the card's algorithm is missing), no_rksse (no
    RKSSSE root: DERIVE KEY for key id 0A answers 6A88)."""
    profile = load_profile(generation)
    region = ReferenceCard.default(generation).personalization.region
    terminal = load_regions(profile=profile)[region].terminal_number
    psam = PsamCard(profile, region, terminal, TestKeySet.for_profile(profile))
    if kind == "reference":
        return psam
    spec = profile.psam
    if kind == "no_algorithm":
        hidden = bytes.fromhex(f"{spec.dfs[profile.algorithm]:04X}")
        select_cla, select_ins = spec.commands["select"]
        return _PsamVariant(
            psam, lambda a: profile.sw.file_not_found if a[:2] == bytes([select_cla, select_ins]) and a[5:7] == hidden else None
        )
    if kind == "no_rksse":
        derive_cla, derive_ins = spec.commands["derive_key"]
        rksse = profile.key("RKSSSE").id
        return _PsamVariant(
            psam, lambda a: profile.sw.key_not_found if a[:2] == bytes([derive_cla, derive_ins]) and a[3] == rksse else None
        )
    raise ValueError(f"unknown PSAM kind {kind!r}; known: {', '.join(PSAM_KINDS)}")


CARD_KINDS = ("gen2", "gen3", "gen2:bad_card_id_mac", "not_ssc")
PSAM_KINDS = ("reference", "no_algorithm", "no_rksse")


@dataclass
class ReaderRig:
    """Serves one card and one PSAM at a time; `insert_card(None)` removes the card."""

    card_reader: str = VPCD_READERS[CARD_PORT]
    psam_reader: str = VPCD_READERS[PSAM_PORT]
    card: Recorder | None = None
    card_kind: str | None = None
    psam_kind: str | None = None
    _threads: dict[int, ServerThread] = field(default_factory=dict)

    def insert_card(self, kind: str | None, *, fresh: bool = False) -> Recorder | None:
        """Serve a card of `kind` (CARD_KINDS; None: no card). The card already served is kept
        unless `fresh`: a case that changes the card (PIN, records) asks for a new one."""
        if kind == self.card_kind and self.card is not None and not fresh:
            self.card.exchanges.clear()
            return self.card
        self.card = Recorder(build_card(kind)) if kind is not None else None
        self._serve(CARD_PORT, self.card)
        self.card_kind = kind
        return self.card

    def insert_psam(self, kind: str | None, generation: str = "gen2") -> None:
        key = None if kind is None else f"{kind}/{generation}"
        if key == self.psam_kind:
            return
        self._serve(PSAM_PORT, build_psam(kind, generation) if kind is not None else None)
        self.psam_kind = key

    @contextmanager
    def card_session(self, generation: str) -> Iterator[CardSession]:
        """The harness's own PC/SC connection to the served card. The card is reset before it is
        closed, so no PIN or key state the harness gained helps the library under test."""
        from terminal.transports.pcsc import PcscTransport

        transport = PcscTransport(self.card_reader)
        try:
            yield CardSession(Terminal(transport, load_profile(generation)))
            transport.reset()
        finally:
            transport.close()

    @contextmanager
    def psam_client(self, generation: str) -> Iterator[PsamClient]:
        """The harness's own PC/SC connection to the served PSAM (its key DF not yet selected)."""
        from terminal.transports.pcsc import PcscTransport

        transport = PcscTransport(self.psam_reader)
        try:
            yield PsamClient(transport, load_profile(generation))
        finally:
            transport.close()

    def close(self) -> None:
        for port in list(self._threads):
            self._serve(port, None)
        self.card = self.card_kind = self.psam_kind = None

    def _serve(self, port: int, model: CardModel | None) -> None:
        reader = VPCD_READERS[port]
        old = self._threads.pop(port, None)
        if old is not None:
            old.stop()
            wait_for_card(reader, present=False, timeout=CARD_WAIT)
        if model is None:
            return
        handle = VpcdServer(model, port=port).run_in_thread()
        self._threads[port] = handle
        if not handle.wait_connected(CARD_WAIT):
            raise RuntimeError(f"the served card could not connect to vpcd on port {port} (is vpcd installed and pcscd running?)")
        wait_for_card(reader, timeout=CARD_WAIT)
