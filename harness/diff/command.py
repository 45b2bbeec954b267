"""`ssc-conform diff`: pair the card under test with its twin, run the lockstep, write what it found.

The run directory gets ``diff.json`` (APDUs sent, sequences, security states reached, commands
covered, whether torn writes were drawn — only on a card that answers the tearing test hook — and
every divergence with its minimal sequence, both sides' answers and the requirements its command
belongs to), one replay script per divergence (``divergence-N.json``, format
``ssc-replay/1``, operation-level: no PIN or cryptogram in it) and ``report.html`` with both
transcripts side by side. Exit status: 0 no divergence, 1 at least one, 2 bad input, 3 the run
could not complete.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checks.security.tearing import hook_present
from harness.diff.card import OpenCard, open_card
from harness.diff.inputs import TwinInputs, registered_number
from harness.diff.lockstep import DiffRun, FoundDivergence, StepRecord, run_lockstep
from harness.diff.twin import TwinError, TwinSource, read_twin_source, twin_personalization
from harness.exitstatus import BAD_INPUT, FAILED, PASSED, UNFINISHED, UsageError
from harness.replay.operations import Exchange, Operation, recorder
from harness.replay.script import ReplayScript, ReplayStep, save
from ssc.profile.model import Profile
from terminal.channel import Terminal
from terminal.errors import AnswerError
from terminal.session import CardSession
from terminal.transports.base import TransportError

__all__ = ["DIFF_NAME", "DiffOptions", "diff_document", "run_diff"]

DIFF_NAME = "diff.json"
FORMAT = "ssc-diff/1"
DEFAULT_MAX_APDUS = 20_000


@dataclass(frozen=True)
class DiffOptions:
    card: str = "reference"
    profile: str | None = None
    keys: Path | None = None
    pin: str | None = None
    psam: str | None = None
    declaration: Path | None = None
    card_set: Path | None = None  # the lab's card-set file: the card number the issuer registered for the DUT
    max_apdus: int | None = None
    seconds: float | None = None
    seed: int = 0
    allow_destructive: bool = False
    faults: tuple[str, ...] = ()
    report_dir: Path | None = None
    stop_at_first: bool = False
    apdu_timeout: float | None = None  # a card in a reader: seconds per command (None: the transport's default)


def twin_inputs(options: DiffOptions, card: OpenCard) -> TwinInputs:
    """The lab's inputs of the twin (harness.diff.inputs): given, or the embedded card's own."""
    inputs = TwinInputs()
    declaration_path = options.declaration
    if declaration_path is None and card.spec.kind == "reference":
        from harness.declaration import default_declaration_path

        declaration_path = default_declaration_path(card.identity.region)  # as `run` does for the embedded card
    if declaration_path is not None:
        from harness.declaration import DeclarationError, load_declaration

        try:
            inputs.declaration = load_declaration(declaration_path)
        except DeclarationError as exc:
            raise UsageError(f"--declaration: {exc}") from None
        inputs.declaration_source = str(declaration_path)
    if options.card_set is not None:
        inputs.card_number = registered_number(options.card_set, card.identity, card.profile.name, card.reader)
        inputs.card_number_source = str(options.card_set)
    elif card.spec.kind == "reference":
        from reference_card.personalization import DEFAULT_CARD_PATH, load_personalization

        inputs.card_number = load_personalization(DEFAULT_CARD_PATH).card_number  # what the embedded card is issued with
        inputs.card_number_source = str(DEFAULT_CARD_PATH)
    inputs.note_missing()
    return inputs


def prepare(options: DiffOptions) -> tuple[OpenCard, DiffRun, TwinSource]:
    """Open the DUT, read what its twin copies, and set up the lockstep (UsageError: bad input)."""
    if options.max_apdus is not None and options.max_apdus < 1:
        raise UsageError("--max-apdus: expected at least 1")
    if options.seconds is not None and options.seconds <= 0:
        raise UsageError("--seconds: expected more than 0")
    card = open_card(
        options.card,
        profile_option=options.profile,
        keys=options.keys,
        pin=options.pin,
        psam_option=options.psam,
        faults=options.faults,
        apdu_timeout=options.apdu_timeout,
        tearing_hook=True,  # the embedded card is a virtual card: it has the test hook, as a served one can
    )
    inputs = twin_inputs(options, card)
    session = CardSession(Terminal(card.open(), card.profile), check=False, identity=card.identity)
    no_hook = hook_present(session)  # once, before the run, as the learner probes it
    source = read_twin_source(session, card.psam, card.pin)
    source.inputs = inputs
    personalization = twin_personalization(card.profile, source, card.pin, inputs.declaration, inputs.card_number)
    run = DiffRun(
        card.profile,
        personalization,
        card.keyset,
        card.open,
        card.psam,
        card.pin,
        identity=card.identity,
        max_apdus=options.max_apdus if options.max_apdus is not None else (DEFAULT_MAX_APDUS if options.seconds is None else 1 << 62),
        seconds=options.seconds,
        seed=options.seed,
        allow_destructive=options.allow_destructive,
        stop_at_first=options.stop_at_first,
        fresh_dut=card.fresh,
        suspects=tuple(_suspect(card.profile, path) for path in source.refused),
        tearing_hook=no_hook is None,
        no_tearing=no_hook or "",
    )
    return card, run, source


def _suspect(profile: Profile, path: str) -> Operation:
    """The read the twin's personalization was refused, as a lockstep operation under the file's rule."""
    if profile.file(path).is_record_file:
        return Operation.of("read_records", path=path, auth="rule")
    return Operation.of("read_binary", path=path, offset="0", auth="rule")


def run_diff(options: DiffOptions) -> int:
    """The whole command: prepare, run, write diff.json / scripts / report.html; the exit status."""
    from harness.rundir import new_run_id, open_run_dir

    try:
        card, run, source = prepare(options)
    except (TransportError, AnswerError, TwinError) as exc:
        print(f"ssc-conform diff: the card could not be prepared: {exc}", file=sys.stderr)
        return UNFINISHED if isinstance(exc, TwinError) else BAD_INPUT
    started = time.monotonic()
    run_lockstep(run)
    elapsed = time.monotonic() - started
    with open_run_dir(options.report_dir, new_run_id(), clean=False) as run_dir:
        doc = diff_document(card, run, source, run_dir, elapsed)
        (run_dir / DIFF_NAME).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _summary(doc, run_dir)
        try:
            from reports.html import write_report

            print(f"report: {write_report(run_dir)}")
        except Exception as exc:  # the figures are in diff.json; a report problem must not hide them
            print(f"ssc-conform diff: report.html not produced: {type(exc).__name__}: {exc}", file=sys.stderr)
    if run.fatal is not None:
        print(f"ssc-conform diff: the run could not complete: {run.fatal}", file=sys.stderr)
        return UNFINISHED
    return FAILED if run.divergences else PASSED


def _exchanges(exchanges: list[Exchange]) -> list[dict[str, Any]]:
    return [{"command": e.command, "response": e.response} for e in exchanges]


def _sides(run: DiffRun, steps: list[StepRecord]) -> list[tuple[StepRecord, list[Exchange], list[Exchange]]]:
    record = recorder(run.profile)
    out = []
    for step in steps:
        dut = record([(e.command, e.dut) for e in step.exchanges])
        model = record([(e.command, e.model) for e in step.exchanges])
        out.append((step, dut, model))
    return out


def _divergence(run: DiffRun, index: int, found: FoundDivergence, run_dir: Path) -> dict[str, Any]:
    sides = _sides(run, found.steps)
    script = ReplayScript(
        format="ssc-replay/1",
        profile=run.profile.name,
        source="diff",
        title=f"divergence {index}: {found.steps[-1].op} — {found.divergence}",
        requirements=list(found.requirements),
        steps=[ReplayStep.of(step.op, dut, model) for step, dut, model in sides],
    )
    name = f"divergence-{index}.json"
    save(script, run_dir / name)
    last_step, last_dut, last_model = sides[-1]
    return {
        "commands": [str(step.op) for step in found.steps],
        "dut": _exchanges(last_dut),
        "model": _exchanges(last_model),
        "requirements": list(found.requirements),
        "script": name,
        "what": str(found.divergence),
        "rule": found.divergence.rule,
        "apdus_to_first": found.apdus_before,
        "transcript": [{"op": str(step.op), "dut": _exchanges(dut), "model": _exchanges(model)} for step, dut, model in sides],
    }


def diff_document(card: OpenCard, run: DiffRun, source: TwinSource, run_dir: Path, elapsed: float) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "card": card.description,
        "profile": run.profile.name,
        "faults": list(card.faults),
        "seed": run.seed,
        "budget": {"max_apdus": run.max_apdus if run.max_apdus < 1 << 62 else None, "seconds": run.seconds},
        "apdus": run.apdus,
        "sequences": run.sequences,
        "states": len(run.states),
        "commands": sorted(run.commands),
        "commands_covered": len([c for c in run.commands if c in run.profile.commands]),
        "elapsed_s": round(elapsed, 1),
        "divergences": [_divergence(run, i, found, run_dir) for i, found in enumerate(run.divergences, 1)],
        "restore_problems": sorted(set(run.restore_problems)),
        # torn writes (PROFILE §6.5's test hook, virtual cards only): drawn, or why not
        "tearing": {"drawn": run.tearing_hook, "why_not": run.no_tearing or None},
        "twin": {
            "optional_dfs": list(source.present_optional),
            "local_extension": source.local_extension,
            "not_read": source.unread,
            "refused": source.refused,
            "inputs": {
                "declaration": source.inputs.declaration_source,
                "card_registration": source.inputs.card_number_source,
            },
            "missing_inputs": source.inputs.missing,
        },
        "completed": run.fatal is None,
        "error": None if run.fatal is None else str(run.fatal),
    }


def _summary(doc: dict[str, Any], run_dir: Path) -> None:
    print(
        f"diff: {doc['card']}: {doc['apdus']} APDUs, {doc['sequences']} sequences, {doc['states']} states, "
        f"{doc['commands_covered']} commands covered, {len(doc['divergences'])} divergence(s) in {doc['elapsed_s']} s"
    )
    for i, d in enumerate(doc["divergences"], 1):
        print(f"  {i}. [{', '.join(d['requirements'])}] {d['what']}")
        print(f"     {len(d['commands'])} commands: {' → '.join(d['commands'])}")
        print(f"     replay: ssc-conform replay {run_dir / d['script']} --card …")
    for missing in doc["twin"]["missing_inputs"]:
        print(f"  twin: {missing}")
    if not doc["tearing"]["drawn"]:
        print(f"  no torn writes drawn: {doc['tearing']['why_not']}")
    for problem in doc["restore_problems"]:
        print(f"  ! {problem}", file=sys.stderr)
    print(f"diff.json: {run_dir / DIFF_NAME}")
