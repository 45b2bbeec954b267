"""Torn writes in the lockstep: the operations, the mirror's armed power cut, the hook probe."""

from __future__ import annotations

import pytest

from harness.diff import command as diff_command
from harness.diff.card import OpenCard, open_card
from harness.diff.catalogue import TEAR_PAST, tearing_probes
from harness.diff.command import DiffOptions, prepare
from harness.diff.lockstep import run_lockstep
from harness.diff.mirror import Divergence, MirrorTransport
from harness.diff.twin import build_twin
from harness.replay.operations import Operation, OperationContext, check_operation, perform
from reference_card import ReferenceCard
from ssc.profile.loader import load_profile
from terminal.transports.base import CardRemovedError
from terminal.transports.inprocess import InProcessTransport

RECORD = "SSSE/DF01/EF05"  # a record file the terminal updates in plain and reads back (a 3-byte value)
MIDDLE, PAST = "3", "259"  # its tag, length and first value byte; the same 256 further


def _mirrored(faults: tuple[str, ...] = ()) -> tuple[OperationContext, ReferenceCard, ReferenceCard]:
    """A context over the mirror of an embedded card (with `faults`) and its twin, both with the hook."""
    dut = ReferenceCard.default("gen2", faults=list(faults), tearing_hook=True)
    twin, rng = build_twin(dut.profile, dut.personalization, dut.keyset, tearing_hook=True)
    mirror = MirrorTransport(InProcessTransport(dut), InProcessTransport(twin), rng, dut.profile)
    mirror.reset()
    _, run, _ = prepare(DiffOptions(card="reference:gen2"))
    return OperationContext.over(mirror, run.profile, run.pin, run.psam, identity=run.identity), dut, twin


@pytest.mark.parametrize("generation", ["gen1", "gen2", "gen3"])
def test_the_tearing_probes_are_well_formed_and_cover_every_cut(generation: str) -> None:
    ops = tearing_probes(load_profile(generation))
    for op in ops:
        check_operation(op)
    cuts = {int(op.arg("cut")) for op in ops if op.name == "torn_update"}
    assert {0, 1} <= cuts and any(1 < c < TEAR_PAST for c in cuts) and any(c > TEAR_PAST for c in cuts)
    assert {op.name for op in ops} == {"torn_update", "torn_verify", "torn_authenticate"}


def test_the_clean_card_and_its_twin_tear_alike_and_the_counters_are_refilled() -> None:
    ctx, dut, twin = _mirrored()
    tries = dut.profile.security.pin.tries
    for op in tearing_probes(dut.profile):
        perform(op, ctx)  # no Divergence: the twin tears the same way
        if op.name != "torn_update":
            assert dut.state[-1] == twin.state[-1] == tries, f"{op}: the PIN counter is full again"


def test_a_torn_write_past_the_end_comes_through_and_reads_back_new() -> None:
    ctx, dut, _ = _mirrored()
    out = perform(Operation.of("torn_update", path=RECORD, cut=PAST, read="yes"), ctx)
    original = ctx.originals[(RECORD, "record 1")]
    assert out[-1].sw == 0x9000 and out[-1].data is not None
    assert bytes.fromhex(out[-1].data) != original, "the write completed before the cut: the new value"
    assert any(e.sw is None for e in out), "the cut was followed by a reset"


@pytest.mark.parametrize(
    ("fault", "op", "rule"),
    [
        ("no_anti_tearing", Operation.of("torn_update", path=RECORD, cut=MIDDLE, read="yes"), "bytes"),
        ("tearing_hook_p2_only", Operation.of("torn_update", path=RECORD, cut=PAST, read="yes"), "bytes"),
        ("try_counter_after_compare", Operation.of("torn_verify", pin="right", cut="0", probe="counter"), "power cut"),
        ("try_counter_after_compare", Operation.of("torn_authenticate", key="UK1DF01", cryptogram="right", cut="0"), "power cut"),
    ],
)
def test_a_tearing_fault_diverges_in_its_probe(fault: str, op: Operation, rule: str) -> None:
    ctx, _, _ = _mirrored((fault,))
    with pytest.raises(Divergence) as caught:
        perform(op, ctx)
    assert caught.value.rule.startswith(rule)


def test_a_lost_card_with_no_cut_armed_is_no_divergence_but_ends_the_run() -> None:
    dut = ReferenceCard.default("gen2", tearing_hook=True)
    twin, rng = build_twin(dut.profile, dut.personalization, dut.keyset, tearing_hook=True)
    lost = InProcessTransport(dut)
    mirror = MirrorTransport(lost, InProcessTransport(twin), rng, dut.profile)
    mirror.reset()
    lost._removed = True  # the card pulled out: not a cut the hook armed
    with pytest.raises(CardRemovedError):
        mirror.transmit(bytes.fromhex("0084000008"))


def test_a_card_without_the_hook_gets_no_torn_writes_and_diff_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    def without_hook(card: str, **options: object) -> OpenCard:
        options["tearing_hook"] = False
        return open_card(card, **options)  # type: ignore[arg-type]  # the same keyword options, the hook off

    monkeypatch.setattr(diff_command, "open_card", without_hook)
    _, run, _ = prepare(DiffOptions(card="reference:gen2", max_apdus=400))
    assert not run.tearing_hook and "6E00" in run.no_tearing
    run_lockstep(run)
    assert "tearing_hook" not in run.commands and not run.divergences


def test_the_embedded_card_has_the_hook_and_the_run_draws_torn_writes() -> None:
    _, run, _ = prepare(DiffOptions(card="reference:gen2", max_apdus=3000))
    assert run.tearing_hook and not run.no_tearing
    run_lockstep(run)
    assert "tearing_hook" in run.commands and not run.divergences


def test_the_lockstep_finds_a_tearing_fault_and_files_it_under_the_tear() -> None:
    _, run, _ = prepare(DiffOptions(card="reference:gen2", faults=("tearing_hook_p2_only",), stop_at_first=True))
    run_lockstep(run)
    (found,) = run.divergences
    assert found.steps[-1].op.name == "torn_update" and found.requirements[0] == "SEC-TEAR-1"
    assert len(found.steps) <= 10 and found.apdus_before <= 20_000
