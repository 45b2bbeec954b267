"""Operations by name, the ssc-replay/1 format and the player, on the embedded reference card."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.psam import software_psam
from harness.replay.operations import OPERATIONS, Operation, OperationContext, OperationUnavailable, check_operation, perform
from harness.replay.player import replay
from harness.replay.script import ReplayScript, ReplayStep, ScriptError, load, save
from reference_card import ReferenceCard
from terminal.regions import load_regions
from terminal.transports.inprocess import InProcessTransport

ROOT = Path(__file__).resolve().parents[4]


def _context(faults: tuple[str, ...] = (), *, destructive: bool = False) -> OperationContext:
    card = ReferenceCard.default("gen2", faults=faults)
    transport = InProcessTransport(card)
    transport.reset()
    psam = software_psam(card.profile, load_regions().get("441800"), card.keyset)
    return OperationContext.over(transport, card.profile, card.profile.security.pin.initial, psam, allow_destructive=destructive)


def test_verify_masks_the_pin_and_records_the_status_word() -> None:
    ctx = _context()
    exchange = perform(Operation.of("verify", pin="wrong"), ctx)[-1]
    assert exchange.command.endswith("******") and exchange.sw == 0x63C2
    assert ctx.session.profile.security.pin.initial.encode().hex() not in exchange.command


def test_an_update_is_changed_then_restored_and_reads_back() -> None:
    ctx = _context()
    path = "SSSE/DF01/EF05"
    before = perform(Operation.of("read_record", path=path), ctx)[-1]
    assert perform(Operation.of("update_record", path=path), ctx)[-1].sw == 0x9000
    changed = perform(Operation.of("read_record", path=path), ctx)[-1]
    assert changed.data != before.data
    assert perform(Operation.of("update_record", path=path, value="original"), ctx)[-1].sw == 0x9000
    assert perform(Operation.of("read_record", path=path), ctx)[-1].data == before.data


def test_change_pin_to_temp_and_back_restores_the_initial_pin_by_reload() -> None:
    ctx = _context()
    assert perform(Operation.of("change_pin", to="temp"), ctx)[-1].sw == 0x9000
    assert ctx.pin_now != ctx.pin
    assert perform(Operation.of("change_pin", to="run"), ctx)[-1].sw == 0x9000
    assert perform(Operation.of("verify", pin="right"), ctx)[-1].sw == 0x9000


def test_a_replayed_external_authentication_is_refused_by_the_clean_card_only() -> None:
    op = Operation.of("external_authenticate", key="UKSSSE", cryptogram="replayed")
    assert perform(op, _context())[-1].sw != 0x9000
    assert perform(op, _context(("reusable_challenge",)))[-1].sw == 0x9000


def test_destructive_operations_need_permission_and_unknown_ones_are_named() -> None:
    with pytest.raises(OperationUnavailable, match="destructive"):
        perform(Operation.of("application_block"), _context())
    with pytest.raises(OperationUnavailable, match="unknown operation 'fly'"):
        check_operation(Operation.of("fly"))
    with pytest.raises(OperationUnavailable, match="pin='maybe'"):
        check_operation(Operation.of("verify", pin="maybe"))
    assert all(spec.requirements for spec in OPERATIONS.values())


def test_a_recorded_script_replays_the_same_on_a_clean_card_and_differs_on_a_mutant(tmp_path: Path) -> None:
    ops = [
        Operation.of("select", path="SSSE"),
        Operation.of("verify", pin="wrong"),
        Operation.of("get_challenge", n="8"),
        Operation.of("sm_update", path="SSSE/DF04/EF06", mac="wrong"),
        Operation.of("sm_update", path="SSSE/DF04/EF06", value="original"),
        Operation.of("reset"),
    ]
    ctx = _context()
    script = ReplayScript(format="ssc-replay/1", profile="gen2", source="trace", steps=[ReplayStep.of(op, perform(op, ctx)) for op in ops])
    path = save(script, tmp_path / "s.json")
    loaded = load(path)
    assert loaded == script
    assert all(c.same for c in replay(loaded, _context()))
    differing = [c.index for c in replay(loaded, _context(("mac_not_checked",))) if not c.same]
    assert differing == [3]


def test_the_example_script_replays_on_the_reference_card() -> None:
    assert all(c.same for c in replay(load(ROOT / "fixtures/replay/pin_counter.yaml"), _context()))


def test_a_bad_script_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "ssc-replay/1", "profile": "gen2", "source": "diff", "steps": [{"op": "verify", "args": {"pin": "x"}}]}')
    with pytest.raises(ScriptError, match="steps.0"):
        load(bad)
    bad.write_text('{"format": "ssc-replay/1", "profile": "gen2", "source": "guess", "steps": []}')
    with pytest.raises(ScriptError, match="source"):
        load(bad)


def test_a_trace_becomes_a_script_with_operations_for_its_secrets() -> None:
    from harness.replay.trace import script_from_trace
    from ssc.profile import load_profile

    entries = [
        {"kind": "reset", "command": "", "response": "3B6D000000815246308684000000000001"},
        {"kind": "apdu", "command": "00A404000F7378312E73682EC9E7BBE1B1A3D5CF", "response": "611E"},
        {"kind": "apdu", "command": "0020000003******", "response": "63C2"},
        {"kind": "apdu", "command": "0084000008", "response": "0102030405060708" + "9000"},
        {"kind": "apdu", "command": "0082000410" + "00" * 16, "response": "9000"},
        {"kind": "apdu", "command": "04DC0134095203BBE7FD7748B14B", "response": "9000"},
    ]
    script, left_out = script_from_trace(load_profile("gen2"), entries)
    assert [s.op for s in script.steps] == ["reset", "apdu", "verify", "external_authenticate"]
    assert script.steps[2].args == {"pin": "wrong"} and script.steps[3].args["key"] == "UKSSSE"
    assert len(left_out) == 1 and "MAC" in left_out[0]
