"""The lockstep diff in-process: the twin, the mirror's rules, one fault found and shrunk, the clean card."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from html import escape
from pathlib import Path

import pytest

from checks.security.access_plan import parse_conditions
from harness.diff.catalogue import catalogue, firewall_probes, key_near_misses, malformed_apdus
from harness.diff.command import DiffOptions, _suspect, prepare, run_diff
from harness.diff.inputs import TwinInputs, registered_number
from harness.diff.lockstep import StepRecord, _candidates, _whole_probe, run_lockstep
from harness.diff.mirror import Divergence, MirrorTransport
from harness.diff.twin import InjectedRandom, build_twin, read_twin_source
from harness.exitstatus import UsageError
from harness.replay.command import run_replay
from harness.replay.operations import OPERATIONS, Operation, OperationContext, check_operation, perform
from reference_card import ReferenceCard
from reference_card.issuance import issue
from ssc.profile.model import Profile
from terminal.channel import Terminal
from terminal.session import CardSession
from terminal.transports.base import ApduTimeoutError, CardMuteError, Transport, WrappingTransport
from terminal.transports.inprocess import InProcessTransport


@pytest.mark.parametrize("generation", ["gen1", "gen2", "gen3"])
def test_the_twin_of_the_clean_card_is_the_same_card(generation: str) -> None:
    card, run, source = prepare(DiffOptions(card=f"reference:{generation}"))
    dut = ReferenceCard.default(generation)
    a, b = issue(dut.profile, dut.personalization, dut.keyset), issue(run.profile, run.personalization, run.keyset)
    assert (a.atr, a.present, a.records, a.binaries, a.keys) == (b.atr, b.present, b.records, b.binaries, b.keys)
    assert source.binaries, "the transparent files were read, not left to the model's defaults"


def test_the_twin_recomputes_what_the_standard_determines() -> None:
    """A wrong check character on the DUT is not copied: the twin's card number is right."""
    _, run, source = prepare(DiffOptions(card="reference:gen2", faults=("bad_card_number_check",)))
    dut = ReferenceCard.default("gen2")
    assert run.personalization.card_number == dut.personalization.card_number
    assert source.values["card_number"] != dut.personalization.card_number


def _mirror(faults: tuple[str, ...] = ()) -> MirrorTransport:
    dut = ReferenceCard.default("gen2", faults=list(faults))
    twin, rng = build_twin(dut.profile, dut.personalization, dut.keyset)
    dut_transport, twin_transport = InProcessTransport(dut), InProcessTransport(twin)
    mirror = MirrorTransport(dut_transport, twin_transport, rng, dut.profile)
    mirror.reset()
    return mirror


def test_the_dut_challenge_is_injected_so_the_twin_answers_the_same() -> None:
    mirror = _mirror()
    first = mirror.transmit(bytes.fromhex("0084000008"))
    assert mirror.log[-1].model == first


def test_a_repeated_or_counting_challenge_breaks_the_freshness_rule() -> None:
    for fault, commands in (("counter_challenge", 2), ("challenge_restarts_at_reset", 1)):
        mirror = _mirror((fault,))
        with pytest.raises(Divergence, match="freshness"):
            for _ in range(commands):
                mirror.transmit(bytes.fromhex("0084000008"))
            mirror.reset()
            mirror.transmit(bytes.fromhex("0084000008"))


def test_an_injected_value_of_another_length_is_not_used() -> None:
    rng = InjectedRandom(b"seed")
    rng.inject(b"\x01\x02")
    assert rng.randbytes(4) != b"\x01\x02"


SHRUNK_AT_MOST = 10  # issue 10 §1: a divergence is shrunk to at most 10 commands


def test_a_fault_is_found_and_shrunk_to_its_few_commands() -> None:
    _, run, _ = prepare(DiffOptions(card="reference:gen2", faults=("pin_counter_not_decremented",), stop_at_first=True))
    run_lockstep(run)
    (found,) = run.divergences
    assert 1 <= len(found.steps) <= SHRUNK_AT_MOST and found.apdus_before <= 20_000
    assert any(r.startswith("SEC-PIN-") for r in found.requirements), "an unchanged PIN try counter is classified under a PIN requirement"
    last = found.steps[-1].op.name
    by_command = {OPERATIONS[name].requirements for name in (last, "select", "verify", "external_authenticate")}
    if last.startswith("torn_"):  # the try counter read back after a cut: the tear's requirement and the VERIFY's own
        by_command.add(OPERATIONS[last].requirements + OPERATIONS["verify"].requirements)
    assert found.requirements in by_command, "classified by the diverging operation or the preparatory command that diverged"
    assert "******" in str(found.divergence), "the wrong PIN derives from the run's PIN: masked"


def test_the_clean_card_shows_no_divergence() -> None:
    _, run, _ = prepare(DiffOptions(card="reference:gen2", max_apdus=3_000, allow_destructive=True))
    run_lockstep(run)
    assert not run.divergences and not run.restore_problems
    assert run.apdus >= 1_500 and len(run.commands) > 10 and len(run.states) > 5


def test_the_command_writes_diff_json_a_script_and_the_report(tmp_path: Path) -> None:
    code = run_diff(DiffOptions(card="reference:gen2", faults=("pin_counter_not_decremented",), stop_at_first=True, report_dir=tmp_path))
    assert code == 1
    doc = json.loads((tmp_path / "diff.json").read_text(encoding="utf-8"))
    (d,) = doc["divergences"]
    assert 1 <= len(d["commands"]) <= SHRUNK_AT_MOST and d["script"] == "divergence-1.json"
    assert any(r.startswith("SEC-PIN-") for r in d["requirements"])
    assert d["dut"][-1]["response"] != d["model"][-1]["response"]
    assert doc["apdus"] > 0 and doc["commands_covered"] > 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="divergence-1"' in html and escape(d["commands"][-1]) in html, "the report shows the diverging command"
    pin = ReferenceCard.default("gen2").personalization.pin or ""
    for name in ("diff.json", "divergence-1.json", "report.html"):
        assert pin not in (tmp_path / name).read_text(encoding="utf-8"), f"{name} holds the PIN"
    script = tmp_path / "divergence-1.json"
    assert run_replay(script, "reference:gen2", faults=("pin_counter_not_decremented",)) == 0
    assert run_replay(script, "reference:gen2") == 1  # the clean card answers as the model did


def _lockstep_context(faults: tuple[str, ...]) -> OperationContext:
    """An operation context over the mirror of a (faulty) embedded card and its twin, as the lockstep has."""
    _, run, _ = prepare(DiffOptions(card="reference:gen2", faults=faults, allow_destructive=True))
    twin, rng = build_twin(run.profile, run.personalization, run.keyset)
    mirror = MirrorTransport(run.open_dut(), InProcessTransport(twin), rng, run.profile)
    return OperationContext.over(mirror, run.profile, run.pin, run.psam, identity=run.identity, allow_destructive=True)


def _write_then_read(profile: Profile, write: dict[str, str]) -> list[Operation]:
    """The first write of the catalogue with `write`'s arguments, then the read-back of its record."""
    ops = catalogue(profile, destructive=True)
    name = write["name"]
    chosen = next(op for op in ops if op.name == name and all(op.arg(k, "") == v for k, v in write.items() if k != "name"))
    path = chosen.arg("path")
    read = next(
        op for op in ops if op.name == "read_record" and op.arg("path") == path and op.arg("auth") == "rule" and op.arg("number", "") == "1"
    )
    return [chosen, read]


@pytest.mark.parametrize(
    ("fault", "write"),
    [
        ("wrong_tag_written", {"name": "update_record", "value": "wrong_tag", "auth": "rule"}),
        ("sm_refusal_writes", {"name": "sm_update", "mac": "replayed", "value": "changed"}),
        ("sm_refusal_writes", {"name": "sm_update", "mac": "wrong", "value": "changed"}),
        ("blocked_application_writes", {"name": "blocked_sm_update", "value": "changed"}),
    ],
)
def test_the_catalogue_has_the_refused_write_a_read_back_exposes(fault: str, write: dict[str, str]) -> None:
    """The write is answered the same by both cards (refused); only a read-back (the operation's own,
    or the next read) tells the faulty card, which stored it anyway. The clean card goes through
    the same operations in lockstep."""
    clean = _lockstep_context(())
    ops = _write_then_read(clean.profile, write)
    for op in ops:
        perform(op, clean)
    faulty = _lockstep_context((fault,))
    with pytest.raises(Divergence):
        for op in ops:
            perform(op, faulty)


@pytest.mark.parametrize(
    ("fault", "kind"),
    [("undefined_ins_answers_ok", "unknown INS under a used CLA"), ("truncated_apdu_answers_data", "a header cut to 2-3 bytes")],
)
def test_the_malformed_apdus_reach_the_robustness_faults(fault: str, kind: str) -> None:
    profile = ReferenceCard.default("gen2").profile
    known_ins = {c.ins for c in profile.commands.values()}
    used_cla = {cla for c in profile.commands.values() for cla in c.cla}
    apdus = malformed_apdus(profile, random.Random(0), 200)
    if fault == "undefined_ins_answers_ok":
        chosen = [a for a in apdus if len(a) >= 4 and a[0] in used_cla and a[1] not in known_ins]
    else:
        chosen = [a for a in apdus if len(a) < 4]
    assert chosen, f"no {kind} among the malformed APDUs"
    clean, faulty = _lockstep_context(()), _lockstep_context((fault,))
    op = Operation.of("apdu", hex=chosen[0].hex().upper())
    perform(op, clean)
    with pytest.raises(Divergence):
        perform(op, faulty)


@pytest.mark.parametrize("generation", ["gen1", "gen2", "gen3"])
def test_every_operation_of_the_catalogue_is_well_formed(generation: str) -> None:
    """An operation the registry refuses would be skipped silently in the lockstep (not sent)."""
    profile = ReferenceCard.default(generation).profile
    for op in catalogue(profile, destructive=True):
        check_operation(op)
        if op.name == "access":
            parse_conditions(op.arg("conditions"))
    assert firewall_probes(profile), "the firewall near miss has probes"


class _SilentCard(InProcessTransport):
    """The DUT's transport when the card stays silent: present, no answer."""

    def transmit(self, command: bytes) -> bytes:
        raise CardMuteError("no answer within the limit")


def test_a_silent_card_diverges_from_a_twin_that_answers() -> None:
    dut = ReferenceCard.default("gen2")
    twin, rng = build_twin(dut.profile, dut.personalization, dut.keyset)
    mirror = MirrorTransport(_SilentCard(dut), InProcessTransport(twin), rng, dut.profile)
    with pytest.raises(Divergence, match="no answer"):
        mirror.transmit(bytes.fromhex("0084000008"))


def test_a_divergence_in_a_preparatory_select_is_classified_under_select() -> None:
    """fci_wrong_algorithm_id shows in the FCI of the SELECT any operation starts with."""
    _, run, _ = prepare(DiffOptions(card="reference:gen2", faults=("fci_wrong_algorithm_id",), stop_at_first=True, max_apdus=2_000))
    run_lockstep(run)
    (found,) = run.divergences
    assert found.requirements == OPERATIONS["select"].requirements


@pytest.mark.parametrize(
    ("fault", "probe"),
    [
        ("read_wrong_data", {"name": "read_records", "by": "both", "auth": "rule"}),
        ("change_pin_sets_no_pin_state", {"name": "change_pin", "to": "temp"}),
    ],
)
def test_the_catalogue_has_the_whole_probe_a_rare_combination_needs(fault: str, probe: dict[str, str]) -> None:
    """A record read by number and by tag under the same right, and CHANGE PIN followed by a read
    its PIN state alone opens: each one operation (drawn as often as an access-plan case), which
    the clean card goes through in lockstep and the faulty one diverges on."""
    clean = _lockstep_context(())
    ops = [
        op
        for op in catalogue(clean.profile, destructive=True)
        if op.name == probe["name"] and all(op.arg(k, "") == v for k, v in probe.items() if k != "name")
    ]
    ops = [op for op in ops if op.name != "change_pin" or op.arg("read", "")]
    assert ops and all(_whole_probe(op) for op in ops)
    for op in ops:
        perform(op, _lockstep_context(()))
    diverging = 0
    for op in ops:
        try:
            perform(op, _lockstep_context((fault,)))
        except Divergence:
            diverging += 1
    assert diverging


def test_shrinking_runs_on_a_fresh_card_when_the_run_can_replace_it() -> None:
    """A card whose key tries the diverging EXTERNAL AUTHENTICATE spends is kept as found (not
    rebuilt between sequences, as a card in a reader); once the divergence is seen each shrink
    attempt runs on a replacement card, and the sequence shrinks to its few commands."""
    card, run, _ = prepare(DiffOptions(card="reference:gen2", faults=("local_keys_from_national_root",), stop_at_first=True))
    kept = card.open()
    run.fresh_dut = False
    run.open_dut = lambda: kept
    replacements = []

    def replace() -> Callable[[], Transport]:
        replacements.append(1)
        return card.open

    run.replace_dut = replace
    run.suspects = ()  # the search's own divergence, not the twin's refused reads probed first
    run_lockstep(run)
    assert run.divergences and replacements
    assert len(run.divergences[0].steps) <= 3


def test_the_key_near_misses_are_the_plan_reads_a_key_must_not_open() -> None:
    """The write key UK1DF03 opening the read of SSSE/DF03/EF05 shows in its key near miss (the
    key alone from a reset, then the read), an access-plan case the lockstep draws in a group of
    its own; the clean card goes through every one in lockstep."""
    clean = _lockstep_context(())
    ops = key_near_misses(clean.profile)
    assert ops and all(op in catalogue(clean.profile) and op.arg("right") == "read" for op in ops)
    target = Operation.of("access", path="SSSE/DF03/EF05", right="read", conditions="外部认证 UK1DF03")
    assert target in ops
    for op in ops:
        perform(op, clean)
    with pytest.raises(Divergence):
        perform(target, _lockstep_context(("write_key_grants_read",)))


def test_the_twin_takes_a_filler_card_sn_from_the_card_identification_code() -> None:
    """An ATR whose card SN was never personalized (FF, STD-ATR-2) is not copied: the twin's SN
    ends in the serial the card identification code shows, so the first reset diverges."""
    _, run, source = prepare(DiffOptions(card="reference:gen2", faults=("atr_without_card_sn",), stop_at_first=True, max_apdus=500))
    layout = run.profile.card_id
    shown = source.identity.card_id_code[layout.serial] if source.identity is not None else b""
    assert run.profile.atr.card_sn_of(source.atr) == b"\xff" * 8
    assert run.personalization.serial.endswith(shown) and shown != b"\xff" * len(shown)
    run_lockstep(run)
    (found,) = run.divergences
    assert found.apdus_before == 0 and "STD-ATR-2" in found.requirements


def test_the_twin_holds_the_registered_card_number() -> None:
    """The embedded card's registration is the number it is issued with: a card that carries
    another (well-formed) number is not copied."""
    _, run, source = prepare(DiffOptions(card="reference:gen2", faults=("card_number_not_as_issued",)))
    registered = ReferenceCard.default("gen2").personalization.card_number
    assert run.personalization.card_number == registered != source.values["card_number"]
    assert not source.inputs.missing


def test_the_card_set_registers_the_number_of_the_dut_entry(tmp_path: Path) -> None:
    card, _, _ = prepare(DiffOptions(card="reference:gen2"))
    path = tmp_path / "cards.yaml"
    path.write_text(
        "format: ssc-card-set/1\ncards:\n"
        f'  - {{reader: "Lab Reader 01", region: "{card.identity.region}", generation: gen2, card_number: "X00000019"}}\n'
        f'  - {{reader: "Lab Reader 02", region: "{card.identity.region}", generation: gen2, card_number: "B7K334774"}}\n'
        '  - {reader: "Lab Reader 01", region: "330200", generation: gen2, card_number: "188347080"}\n',
        encoding="utf-8",
    )
    assert registered_number(path, card.identity, "gen2", "Lab Reader 01") == "X00000019"
    with pytest.raises(UsageError, match="--card-set: .*2 card numbers"):
        registered_number(path, card.identity, "gen2", None)
    with pytest.raises(UsageError, match="--card-set: .*no card number"):
        registered_number(path, card.identity, "gen3", "Lab Reader 01")
    with pytest.raises(UsageError, match="--card-set: .*cannot read"):
        registered_number(tmp_path / "none.yaml", card.identity, "gen2", None)
    single = tmp_path / "one.yaml"
    single.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:3]) + "\n", encoding="utf-8")
    _, run, source = prepare(DiffOptions(card="reference:gen2", card_set=single))
    assert run.personalization.card_number == "X00000019" and source.inputs.card_number_source == str(single)


def test_a_twin_without_the_lab_inputs_says_which_it_lacked() -> None:
    inputs = TwinInputs()
    inputs.note_missing()
    assert [m.split(" (")[0] for m in inputs.missing] == ["no issuer declaration", "no card registration"]


def test_a_divergence_that_spends_a_try_is_shrunk_by_its_cheap_candidate() -> None:
    """A card kept as found (a card in a reader, no replacement) whose key differs from the run's:
    each re-run of the diverging right EXTERNAL AUTHENTICATE spends one of its tries, and the try
    guard refuses the key at the last. The cheap candidate (the diverging operation alone after a
    reset) gets the one re-run the key allows, so the report is short although Hypothesis' shrinker
    cannot reproduce anything after it. (The kept card is another of the batch than the one the twin
    was read from, so its key starts with all 3 tries; read from the same card, as through vpcd, the
    twin's reading spends one and no re-run is left.)"""
    card, run, _ = prepare(DiffOptions(card="reference:gen2", faults=("local_keys_from_national_root",), stop_at_first=True))
    kept = card.open()
    run.fresh_dut = False
    run.open_dut = lambda: kept
    run.suspects = ()  # the search's own divergence, not the twin's refused reads probed first
    run_lockstep(run)
    (found,) = run.divergences
    assert [step.op.name for step in found.steps][0] == "reset" and len(found.steps) == 2
    assert found.divergence.dut[-2] == 0x63 and found.divergence.model[-2:] == b"\x90\x00"
    assert run.apdus < 1_000, "the shrinker's refused attempts cost nothing once the candidate is kept"


def test_a_read_the_twins_personalization_was_refused_is_probed_first_on_the_same_card() -> None:
    """Through a reader the twin is read from the card under test itself: a key that differs from
    the key set's spends a try there, the search's first divergence another, and the try guard
    keeps the last, so nothing could be re-run. The refused read, probed first as a sequence of its
    own, shows the divergence in 2 commands; a clean card refuses nothing and has no suspect."""
    card, run, _ = prepare(DiffOptions(card="reference:gen2", faults=("local_keys_from_national_root",), stop_at_first=True))
    kept = card.open()
    source = read_twin_source(CardSession(Terminal(kept, card.profile), check=False, identity=card.identity), card.psam, card.pin)
    assert source.refused, "the twin's reading saw the DUT refuse the key set's key"
    run.suspects = tuple(_suspect(card.profile, path) for path in source.refused)
    run.fresh_dut = False
    run.open_dut = lambda: kept
    run_lockstep(run)
    (found,) = run.divergences
    assert [step.op for step in found.steps][1] in run.suspects and len(found.steps) == 2
    assert found.divergence.dut[-2] == 0x63 and found.divergence.model[-2:] == b"\x90\x00"
    _, clean, clean_source = prepare(DiffOptions(card="reference:gen2"))
    assert not clean_source.refused and not clean.suspects


def test_cheap_candidates_are_the_diverging_operation_alone_then_the_operations_since_the_last_reset() -> None:
    ops = [Operation.of("reset"), Operation.of("get_challenge", n="8"), Operation.of("reset"), Operation.of("verify", pin="right")]
    ops.append(Operation.of("read_record", path="SSSE/EF05", tag="07", auth="rule"))
    steps = [StepRecord(op, []) for op in ops]
    assert _candidates(steps) == [[ops[-1]], ops[3:]]
    assert _candidates(steps[:2]) == [], "reset and one operation: nothing shorter to try"
    assert _candidates(steps[:1]) == []


class _ReaderWithTimeout(WrappingTransport):
    """A card in a reader whose own timeout ends an exchange the card does not answer: the host
    gets `ApduTimeoutError`; the card, whose command interpreter stopped, answers nothing (nor a
    warm reset) until the reader powers it down and up."""

    def __init__(self, inner: Transport) -> None:
        super().__init__(inner)
        self.crashed = False
        self.power_cycles = 0

    def transmit(self, command: bytes) -> bytes:
        if self.crashed:
            raise CardMuteError("card does not answer")
        answer = self.inner.transmit(command)
        if not answer:
            self.crashed = True
            raise ApduTimeoutError("no answer within 5 s")
        return answer

    def reset(self, **options: float) -> bytes:
        if self.crashed:
            raise CardMuteError("card does not answer (a warm reset)")
        return self.inner.reset(**options)

    def power_cycle(self) -> bytes:
        self.power_cycles += 1
        self.crashed = False
        return self.inner.reset()


@pytest.mark.parametrize("stop_at_first", [True, False])
def test_a_card_that_goes_mute_is_a_divergence_and_a_cold_reset_brings_it_back(stop_at_first: bool) -> None:
    card, run, _ = prepare(
        DiffOptions(card="reference:gen2", faults=("inconsistent_lc_mute",), stop_at_first=stop_at_first, max_apdus=1_500)
    )
    reader = _ReaderWithTimeout(card.open())
    run.fresh_dut = False
    run.open_dut = lambda: reader
    run_lockstep(run)
    assert run.fatal is None, "the run goes on after the card went mute"
    found = run.divergences[0]
    assert found.divergence.dut == b"" and "no answer" in found.divergence.rule
    assert len(found.steps) == 2, [step.op for step in found.steps]
    assert reader.power_cycles >= 1 and not reader.crashed
    if not stop_at_first:
        assert run.apdus >= 1_500 and len(run.divergences) == 1, "the search went on to its budget; the same divergence is reported once"


def test_the_diff_command_takes_the_apdu_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness import cli
    from harness.diff import command

    seen: list[DiffOptions] = []

    def run_diff(options: DiffOptions) -> int:
        seen.append(options)
        return 0

    monkeypatch.setattr(command, "run_diff", run_diff)
    assert cli.main(["diff", "--card", "reader:x", "--apdu-timeout", "1.5"]) == 0
    assert seen[0].apdu_timeout == 1.5
