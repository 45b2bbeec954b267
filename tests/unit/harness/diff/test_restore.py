"""The lockstep's restore on a card that persists, as a physical card (or the vpcd-served one) does:
after every sequence each try counter is full again, so the next sequence's fresh twin and the
card hold the same tries (a counter left short shows later as a false divergence: a wrong
cryptogram answered 63C1 by the card and 63C2 by its twin). And no counter is ever left with
fewer than two tries: at one, the try guard refuses even the right cryptogram that refills it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.diff.catalogue import terminal_can_grant_key
from harness.diff.command import DiffOptions, prepare
from harness.diff.lockstep import DiffRun, _machine, run_lockstep
from harness.replay.operations import Operation
from reference_card import ReferenceCard
from ssc.profile.model import KeyDef, Profile
from terminal.transports.base import Transport, WrappingTransport
from terminal.transports.inprocess import InProcessTransport
from terminal.transports.tryguard import TryGuardTransport

BUDGET = 8_000  # APDUs per seeded run: 25-40 sequences
FEWEST = 2  # tries a counter keeps at the least (the lockstep sends a wrong value only to a full counter of 3)
# The PIN's exception: a torn wrong VERIFY (virtual cards only: the tearing hook) is read back by a
# second wrong VERIFY, whose 63Cx shows whether the torn one spent its try; a right VERIFY of the
# PIN the card accepted before refills it at once (the try guard lets an accepted PIN through).
FEWEST_PIN_TORN = 1


class _Kept(WrappingTransport):
    """One sequence's view of the long-lived guarded transport (as `harness.diff.card` opens a reader)."""

    def transmit(self, command: bytes) -> bytes:
        return self.inner.transmit(command)

    def close(self) -> None:
        pass


class _Watched(WrappingTransport):
    """The card's transport, noting the fewest tries any key counter (and the PIN's) held after each command."""

    def __init__(self, inner: InProcessTransport, card: ReferenceCard) -> None:
        super().__init__(inner)
        self.card = card
        self.fewest = self.fewest_pin = 99
        self._note()

    def transmit(self, command: bytes) -> bytes:
        response = self.inner.transmit(command)
        if len(response) >= 2 and response[-2] == 0x63:  # only a refused comparison spends a try
            self._note()
        return response

    def _note(self) -> None:
        counters = self.card.try_counters()
        self.fewest = min(self.fewest, *(left for name, (left, _) in counters.items() if name[0] != "PIN"))
        self.fewest_pin = min(self.fewest_pin, *(left for name, (left, _) in counters.items() if name[0] == "PIN"))


@dataclass
class _Persisting:
    run: DiffRun
    card: ReferenceCard
    watched: _Watched
    short_at_start: list[tuple[int, dict[tuple[str, int], int]]] = field(default_factory=list)  # (sequence, counters)


def _short_counters(card: ReferenceCard) -> dict[tuple[str, int], int]:
    return {counter: left for counter, (left, limit) in card.try_counters().items() if left < limit}


def _persisting_run(generation: str, seed: int = 0) -> _Persisting:
    """A run on one reference card kept across sequences; each sequence start records the
    counters the previous restore left short."""
    _, run, _ = prepare(DiffOptions(card=f"reference:{generation}", max_apdus=BUDGET, seed=seed))
    card = ReferenceCard.default(generation, tearing_hook=run.tearing_hook)  # as the run probed the embedded card: torn writes too
    watched = _Watched(InProcessTransport(card), card)
    guarded = TryGuardTransport(watched, card.profile)  # long-lived: it remembers what the card refused
    out = _Persisting(run, card, watched)

    def open_dut() -> Transport:
        if left := _short_counters(card):
            out.short_at_start.append((run.sequences, left))
        view = _Kept(guarded)
        view.reset()
        return view

    run.open_dut = open_dut
    run.fresh_dut = False
    run.allow_destructive = False  # as a persisting card is diffed by default
    return out


def _assert_restored(p: _Persisting) -> None:
    assert p.run.fatal is None
    assert p.short_at_start == [], f"a sequence started with counters the restore left short (sequence, counters): {p.short_at_start[:3]}"
    assert _short_counters(p.card) == {}
    assert p.watched.fewest >= FEWEST
    assert p.watched.fewest_pin >= (FEWEST_PIN_TORN if p.run.tearing_hook else FEWEST)
    assert not p.run.restore_problems and not p.run.unrefilled
    assert not p.run.divergences, [str(d.divergence) for d in p.run.divergences]


@pytest.mark.parametrize("seed", [0, 2])
@pytest.mark.parametrize("generation", ["gen1", "gen2", "gen3"])
def test_every_try_counter_is_full_after_each_sequence_on_a_persisting_card(generation: str, seed: int) -> None:
    p = _persisting_run(generation, seed)
    run_lockstep(p.run)
    assert p.run.sequences >= 20
    _assert_restored(p)


def _sequence(p: _Persisting, ops: list[Operation]) -> None:
    """One lockstep sequence of exactly `ops` (nothing drawn), then its teardown (the restore)."""
    machine: Any = _machine(p.run, set())()  # the lockstep class is built inside _machine: its methods are not typed outside
    assert machine.open()
    for op in ops:
        machine._do(op)
    machine.teardown()


def _two_keys_of_one_df(profile: Profile) -> tuple[KeyDef, KeyDef]:
    """Two external keys of one DF the terminal's PSAM serves."""
    keys = [k for k in profile.keys() if k.use == "external" and terminal_can_grant_key(profile, k.name)]
    return next((a, b) for a in keys for b in keys if a.df == b.df and a.name != b.name)


@pytest.mark.parametrize("generation", ["gen1", "gen2", "gen3"])
def test_the_active_version_code_and_the_active_version_spend_one_counter(generation: str) -> None:
    """A wrong cryptogram with P1 00 (the active version) and then one with the active version's
    own number spend the same counter: the second is not sent from 2 tries."""
    p = _persisting_run(generation)
    key, _ = _two_keys_of_one_df(p.run.profile)
    active_code = p.run.profile.command("external_authenticate").byte("active_version")
    wrong = [Operation.of("external_authenticate", key=key.name, version=f"{v:02X}", cryptogram="wrong") for v in (active_code, key.active)]
    _sequence(p, wrong)
    _sequence(p, list(reversed(wrong)))
    _assert_restored(p)


@pytest.mark.parametrize("generation", ["gen1", "gen2", "gen3"])
def test_a_replayed_cryptogram_is_judged_by_the_counter_it_spends(generation: str) -> None:
    """A replay resends the last authentication, of another key of the same DF: with a fresh
    challenge it spends that key's try, so it is not sent while that key holds 2."""
    p = _persisting_run(generation)
    first, other = _two_keys_of_one_df(p.run.profile)
    _sequence(
        p,
        [
            Operation.of("external_authenticate", key=first.name, version=f"{first.active:02X}", cryptogram="wrong"),
            Operation.of("get_challenge", n="8"),
            Operation.of("external_authenticate", key=other.name, version=f"{other.active:02X}", cryptogram="replayed"),
        ],
    )
    _assert_restored(p)


@pytest.mark.parametrize("generation", ["gen2"])
def test_a_wrong_pin_then_the_unblock_probe_keep_two_pin_tries(generation: str) -> None:
    """The UNBLOCK PIN probe spends two PIN tries if UNBLOCK does nothing: only from a full counter."""
    p = _persisting_run(generation)
    _sequence(p, [Operation.of("verify", pin="wrong"), Operation.of("unblock_pin", probe="counter"), Operation.of("verify", pin="wrong")])
    _assert_restored(p)
