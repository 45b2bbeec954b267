"""RDR-5's statistics and error counting, and RDR-2's ATR variants."""

from __future__ import annotations

from functools import reduce

from checks.readers import atr_variants, long_run
from reference_card import ReferenceCard
from reference_card.reader_test import ReaderTestCard
from ssc.atr import parse_atr
from ssc.readertest import load_reader_test
from terminal.transports.inprocess import InProcessTransport

HOOKS = load_reader_test()


def test_percentiles_are_nearest_rank() -> None:
    values = list(range(1, 101))
    assert long_run.percentile(values, 50) == 50
    assert long_run.percentile(values, 99) == 99
    assert long_run.percentile(values, 100) == 100
    assert long_run.percentile([7], 95) == 7


def test_histogram_counts_every_value_once() -> None:
    values = [50.0, 90.0, 100.0, 120.0, 1500.0, 4000.0]
    h = long_run.histogram(values)
    assert sum(h["counts"]) == len(values)
    assert h["edges_us"][0] <= 50.0 <= h["edges_us"][1]
    assert h["edges_us"][-1] >= 4000.0


def test_a_long_run_on_a_faithful_card_has_no_error_and_every_kind() -> None:
    transport = InProcessTransport(ReaderTestCard(ReferenceCard.default("gen2")))
    run = long_run.run(transport, HOOKS, 50)
    summary = run.summary()
    assert summary["errors"] == 0 and summary["completed"] == 50
    assert set(summary["kinds"]) == set(long_run.kinds(HOOKS))
    assert all(k["count"] == 10 and k["p50_us"] <= k["p99_us"] <= k["max_us"] for k in summary["kinds"].values())


def test_wrong_answers_are_counted_not_timed() -> None:
    class Wrong(InProcessTransport):
        def transmit(self, command: bytes) -> bytes:
            return b"\x6f\x00"

    run = long_run.run(Wrong(ReaderTestCard(ReferenceCard.default("gen2"))), HOOKS, 12)
    assert run.error_count == 12 and run.done == 0
    assert len(run.errors) == long_run.MAX_ERRORS_KEPT


def test_atr_variants_are_well_formed() -> None:
    variants = atr_variants.variants([0, 1, 15])
    assert len(variants) == 6
    for v in variants:
        parsed = parse_atr(v.atr)
        assert parsed.historical == v.historical
        if v.protocol == 1:  # TCK: every byte from T0 to TCK XORs to zero
            assert reduce(lambda a, b: a ^ b, v.atr[1:], 0) == 0
    assert atr_variants.historical_bytes(15)[0] == 0x80


def test_the_data_asks_for_every_count_of_historical_bytes() -> None:
    assert sorted(HOOKS.limits.historical_bytes) == list(range(16))
    assert set(HOOKS.limits.reinserted_historical_bytes) <= set(HOOKS.limits.historical_bytes)


class _FakeReader:
    """A reader over a card that sends the programmed ATR at its next power-up; `mangle` is what
    the reader does to the ATR on the way (a faulty reader)."""

    def __init__(self, own: bytes, mangle: object = None) -> None:
        self.own, self.mangle = own, mangle
        self.next: bytes | None = None
        self.log: list[str] = []

    def program(self, atr: bytes | None) -> None:
        self.next = atr

    def power_up(self, how: str) -> bytes:
        self.log.append(how)
        atr = self.next if self.next is not None else self.own
        return self.mangle(atr) if callable(self.mangle) else atr


def test_every_variant_goes_through_a_cold_reset_and_some_through_a_reinsertion() -> None:
    reader = _FakeReader(bytes.fromhex("3B6D00"))
    variants = atr_variants.variants(list(range(16)))
    out = atr_variants.deliver_all(variants, {0, 15}, reader.program, lambda: reader.power_up("cold"), lambda: reader.power_up("insert"))
    assert len(variants) == 32 and all(d.ok for d in out)
    assert [d.how for d in out].count("cold reset") == 32 and [d.how for d in out].count("re-insertion") == 4
    assert reader.next is None and reader.log[-1] == "cold"  # the card's own ATR restored last


def test_a_reader_that_drops_a_historical_byte_fails_that_variant_only() -> None:
    reader = _FakeReader(b"\x3b\x00", mangle=lambda atr: atr[:-1] if len(atr) == 2 + 15 else atr)  # T=0, 15 bytes: the last lost
    out = atr_variants.deliver_all(atr_variants.variants([14, 15]), set(), reader.program, lambda: reader.power_up("cold"), lambda: b"")
    bad = [d for d in out if not d.ok]
    assert [d.variant.label for d in bad] == ["T=0, 15 historical bytes"]
    assert "sent 3B 0F 80" in bad[0].describe()


def test_the_own_atr_is_restored_even_when_a_reset_fails() -> None:
    reader = _FakeReader(b"\x3b\x00")
    calls = {"n": 0}

    def flaky() -> bytes:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("reader gone")
        return reader.power_up("cold")

    try:
        atr_variants.deliver_all(atr_variants.variants([1, 2]), set(), reader.program, flaky, lambda: b"")
    except RuntimeError:
        pass
    assert reader.next is None and calls["n"] == 3
