"""The lockstep's PIN probes: PINs of each boundary length (and one byte out), and the PIN run down
to its last try and to blocked under --allow-destructive; each leaves a clean card as found, and
the PIN faults of the registry diverge on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.diff import catalogue as catalogue_module
from harness.diff.catalogue import can_unblock_pin, catalogue
from harness.diff.command import DiffOptions, prepare
from harness.diff.lockstep import DiffRun, _pin_probe, _restore, run_lockstep
from harness.diff.mirror import Divergence, MirrorTransport
from harness.diff.twin import build_twin
from harness.replay.command import run_replay
from harness.replay.operations import Operation, OperationContext, OperationUnavailable, perform
from harness.replay.script import ReplayScript, ReplayStep, save
from reference_card import ReferenceCard
from terminal.channel import Terminal
from terminal.session import CardSession
from terminal.transports.base import Transport
from terminal.transports.inprocess import InProcessTransport
from terminal.transports.tryguard import TryGuardTransport, find_try_guard

LENGTH_PROBES = [Operation.of(c, to=t) for c in ("change_pin", "reload_pin") for t in ("shortest", "longest")] + [
    Operation.of("change_pin", to=t) for t in ("too_short", "too_long")
]
RUN_DOWN = [Operation.of("pin_run_down", to=t) for t in ("last_try", "blocked")]


def _context(
    faults: tuple[str, ...] = (), generation: str = "gen2", *, destructive: bool = True
) -> tuple[OperationContext, DiffRun, Transport]:
    """The lockstep's context over the mirror of a (faulty) embedded card, its try guard found below it."""
    _, run, _ = prepare(DiffOptions(card=f"reference:{generation}", faults=faults, allow_destructive=destructive))
    twin, rng = build_twin(run.profile, run.personalization, run.keyset)
    dut = run.open_dut()
    mirror = MirrorTransport(dut, InProcessTransport(twin), rng, run.profile)
    ctx = OperationContext.over(
        mirror, run.profile, run.pin, run.psam, identity=run.identity, allow_destructive=destructive, guard=find_try_guard(dut)
    )
    return ctx, run, dut


def _as_found(run: DiffRun, dut: Transport) -> list[str]:
    """The card's PIN state read back directly: the run PIN verifies and the counter is full (a
    wrong VERIFY leaves tries-1, a right one refills it)."""
    session = CardSession(Terminal(dut, run.profile), check=False, identity=run.identity)
    session.reset()
    tries = run.profile.security.pin.tries
    wrong = session.verify_pin(run.pin[:-1] + str((int(run.pin[-1]) + 1) % 10))
    right = session.verify_pin(run.pin)
    return [f"{wrong.sw:04X}", f"{right.sw:04X}", f"63C{tries - 1:X}"]


@pytest.mark.parametrize("generation", ["gen1", "gen2", "gen3"])
def test_the_pin_probes_go_through_a_clean_card_in_lockstep_and_leave_it_as_found(generation: str) -> None:
    ctx, run, dut = _context(generation=generation)
    for op in LENGTH_PROBES + RUN_DOWN:
        perform(op, ctx)
        assert ctx.pin_now == ctx.pin, f"{op} did not give the run PIN back"
        guard = find_try_guard(dut)
        assert guard is not None and guard.armed, f"{op} left the try guard off"
    wrong, right, full = _as_found(run, dut)
    assert (wrong, right) == (full, "9000")


def test_each_boundary_length_is_set_and_proven_out_of_bounds_refused() -> None:
    ctx, run, _ = _context()
    low, high = (run.profile.command("verify").byte(k) for k in ("min_pin_bytes", "max_pin_bytes"))
    for op, n in ((Operation.of("change_pin", to="shortest"), low), (Operation.of("change_pin", to="longest"), high)):
        out = [e for e in perform(op, ctx) if e.sw is not None]
        change = next(e for e in out if e.command.upper().startswith("805E"))
        assert change.sw == 0x9000 and change.command.count("*") == 2 * (len(run.pin) // 2 + 1 + n), "old ‖ FF ‖ new, masked"
        assert [e.sw for e in out[-2:]] == [0x9000, 0x9000], "the run PIN given back and verified"
    for to in ("too_short", "too_long"):
        out = perform(Operation.of("change_pin", to=to), ctx)
        assert [e.sw for e in out] == [0x6A80, 0x9000], f"{to}: refused, and the PIN still verifies"


@pytest.mark.parametrize(
    ("fault", "op"),
    [
        ("shortest_pin_refused", Operation.of("change_pin", to="shortest")),
        ("shortest_pin_refused", Operation.of("reload_pin", to="shortest")),
        ("change_pin_ignores_block", Operation.of("pin_run_down", to="blocked")),
        ("change_pin_blocked_at_last_try", Operation.of("pin_run_down", to="last_try")),
    ],
)
def test_the_pin_fault_diverges_on_its_probe(fault: str, op: Operation) -> None:
    ctx, _, dut = _context((fault,))
    with pytest.raises(Divergence):
        perform(op, ctx)
    guard = find_try_guard(dut)
    assert guard is not None and guard.armed, "a divergence inside the run-down leaves the guard armed"


def test_the_restore_unblocks_a_pin_a_divergence_left_blocked_and_gives_back_the_pin_the_card_took() -> None:
    """change_pin_ignores_block changes the PIN of a blocked card: the divergence ends the probe there,
    and the restore of a card that persists (a reader's) unblocks it and gives the run PIN back."""
    ctx, run, dut = _context(("change_pin_ignores_block",))
    with pytest.raises(Divergence):
        perform(Operation.of("pin_run_down", to="blocked"), ctx)
    assert ctx.pin_now != ctx.pin, "the DUT took the new PIN: pin_now follows the card, not its twin"
    _restore(run, dut, ctx, set(), unblock_pin=True)
    assert not run.restore_problems
    wrong, right, full = _as_found(run, dut)
    assert (wrong, right) == (full, "9000")


def test_nothing_runs_the_pin_down_without_allow_destructive() -> None:
    ctx, run, dut = _context(destructive=False)
    with pytest.raises(OperationUnavailable, match="destructive"):
        perform(RUN_DOWN[1], ctx)
    assert not any(op.name == "pin_run_down" for op in catalogue(run.profile))
    guard = find_try_guard(dut)
    assert isinstance(guard, TryGuardTransport) and guard.armed


def test_the_run_down_is_not_drawn_when_the_psam_cannot_unblock(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = ReferenceCard.default("gen2").profile
    assert can_unblock_pin(profile) and RUN_DOWN[0] in catalogue(profile, destructive=True)
    puk = profile.command_key("unblock_pin").name
    real = catalogue_module.terminal_can_grant_key
    monkeypatch.setattr(catalogue_module, "terminal_can_grant_key", lambda p, key: key != puk and real(p, key))
    assert not can_unblock_pin(profile)
    assert not any(op.name == "pin_run_down" for op in catalogue(profile, destructive=True))


@pytest.mark.parametrize("fault", ["shortest_pin_refused", "change_pin_ignores_block", "change_pin_blocked_at_last_try"])
def test_the_lockstep_finds_the_pin_fault_and_shrinks_it(fault: str) -> None:
    _, run, _ = prepare(DiffOptions(card="reference:gen2", faults=(fault,), stop_at_first=True, allow_destructive=True, max_apdus=20_000))
    run_lockstep(run)
    assert run.divergences, f"{fault} not found in {run.apdus} APDUs"
    found = run.divergences[0]
    assert len(found.steps) <= 10 and _pin_probe(found.steps[-1].op)


def test_a_run_down_replays_with_allow_destructive_the_guard_off_only_inside(tmp_path: Path) -> None:
    """A divergence script holding the run-down replays on the faulty card as recorded (the replay's
    try guard, too, is off inside that operation), and differs on the clean card."""
    _, run, _ = prepare(DiffOptions(card="reference:gen2", faults=("change_pin_blocked_at_last_try",), allow_destructive=True))
    dut = run.open_dut()
    ctx = OperationContext.over(
        dut, run.profile, run.pin, run.psam, identity=run.identity, allow_destructive=True, guard=find_try_guard(dut)
    )
    op = RUN_DOWN[0]
    recorded = perform(op, ctx)
    script = ReplayScript(format="ssc-replay/1", profile="gen2", source="diff", steps=[ReplayStep.of(op, recorded)])
    path = tmp_path / "run-down.json"
    save(script, path)
    assert run_replay(path, "reference:gen2", faults=("change_pin_blocked_at_last_try",), allow_destructive=True) == 0
    assert run_replay(path, "reference:gen2", allow_destructive=True) == 1


def test_the_restore_reloads_a_pin_that_unblock_pin_left_blocked_while_answering_9000() -> None:
    """unblock_pin_no_effect answers UNBLOCK PIN with 9000 and leaves the counter at 0: the restore
    proves the unblock by a right VERIFY and, failing that, RELOADs the PIN; the card is left as found."""
    ctx, run, dut = _context(("unblock_pin_no_effect",))
    with pytest.raises(Divergence):
        perform(Operation.of("pin_run_down", to="blocked"), ctx)
    _restore(run, dut, ctx, set(), unblock_pin=True)
    assert not run.restore_problems, run.restore_problems
    wrong, right, full = _as_found(run, dut)
    assert (wrong, right) == (full, "9000")
