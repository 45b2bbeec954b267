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
