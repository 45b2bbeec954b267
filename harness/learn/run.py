"""`ssc-conform learn`: learn the card's Mealy machine over an abstract alphabet, learn the
reference model's machine over the same alphabet, and compare them.

Order of work, and why:
1. Everything that can be bad input (card spec, profile, alphabet, keys, destructive symbols) is
   checked before the first APDU (exit 2).
2. The model's machine is learned first, in-process (seconds, no card wear): the embedded
   reference card or the DUT's twin (`MODEL_SOURCES`). Its APDU count is the estimate for the DUT,
   printed with the DUT's measured latency before the DUT sees a query.
3. The DUT is learned with the model as a guide for the equivalence oracle and bounded by
   ``--max-apdus``; running out keeps the differences the card already answered (else exit 3), a
   card that answers non-deterministically ends with exit 3. A difference that one card's own
   answers refute sends that card back to learning with the refuting words first.
4. Each difference (shortest distinguishing sequence) is confirmed by performing it again on both
   cards from a restored state, classified to requirement IDs through its last symbol, and saved
   as a replay script (ssc-replay/1, source "learn").
5. learn.json, the two state diagrams and report.html go into the run directory.
Exit status: 0 equivalent, 1 different, 2 bad input, 3 could not complete.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harness.cardspec import CardSpec, parse_card_spec
from harness.exitstatus import UNFINISHED, UsageError
from harness.learn.alphabet import Alphabet, default_alphabet_path, load_alphabet
from harness.learn.compare import Difference, compare
from harness.learn.engine import Learned, Witness, learn_machine
from harness.learn.render import path_dot, render_svg, to_dot
from harness.learn.sul import TORN, BudgetExceeded, CardSUL, CountingTransport, probe_hook
from harness.replay.script import ReplayScript, ReplayStep
from harness.rundir import new_run_id, open_run_dir
from ssc.keyset import KeySet, LabKeyFile, TestKeySet
from ssc.profile.model import Profile
from terminal.errors import HarnessError, InputError
from terminal.psam_client import PsamClient
from terminal.transports.base import Transport

__all__ = ["DEFAULT_MAX_APDUS", "EQUIVALENT", "DIFFERENT", "LearnOptions", "run_learn"]

EQUIVALENT, DIFFERENT = 0, 1
DEFAULT_MAX_APDUS = 200_000
MODEL_WALKS_PER_STATE = 30  # the model is learned in-process: more random walks cost seconds, not card wear
REFINEMENTS = 3  # rounds of learning again when the cards refute a difference of the learned machines
LEARN_FORMAT = "ssc-learn/1"


@dataclass(frozen=True)
class LearnOptions:
    card: str = "reference"
    profile: str | None = None
    alphabet: Path | None = None
    max_apdus: int = DEFAULT_MAX_APDUS
    allow_destructive: bool = False
    faults: tuple[str, ...] = ()
    keys: Path | None = None
    pin: str | None = None
    report_dir: Path | None = None
    model: str = "embedded"
    seed: int = 1
    quiet: bool = False


class ModelSource(Protocol):
    """Where the reference model's machine comes from: a card (transport) that behaves as the model
    should. It may read the DUT (through `dut`, with the run's PIN and PSAM) to personalize itself."""

    cacheable: bool  # the same model for every DUT of the profile (its machine is learned once per process)

    def open(self, profile: Profile, keyset: KeySet, dut: Transport, pin: str, psam: PsamClient, *, hook: bool = False) -> Transport: ...


class EmbeddedModel:
    """The embedded reference card of the DUT's generation, clean, in-process."""

    cacheable = True

    def open(self, profile: Profile, keyset: KeySet, dut: Transport, pin: str, psam: PsamClient, *, hook: bool = False) -> Transport:
        from reference_card import ReferenceCard, load_personalization
        from reference_card.personalization import DEFAULT_CARD_PATH
        from terminal.transports.inprocess import InProcessTransport

        return InProcessTransport(ReferenceCard(profile, load_personalization(DEFAULT_CARD_PATH), keyset=keyset, tearing_hook=hook))


class TwinModel:
    """The DUT's reference twin (the diff feature's, harness/diff/twin.py): a clean reference card
    personalized from the data the DUT shows, so the model holds the DUT's own records and PIN."""

    cacheable = False

    def open(self, profile: Profile, keyset: KeySet, dut: Transport, pin: str, psam: PsamClient, *, hook: bool = False) -> Transport:
        from harness.diff.twin import build_twin, read_twin_source, twin_personalization
        from terminal.channel import Terminal
        from terminal.session import CardSession
        from terminal.transports.inprocess import InProcessTransport

        session = CardSession(Terminal(dut, profile), check=False)
        personalization = twin_personalization(profile, read_twin_source(session, psam, pin), pin)
        dut.reset()
        card, rng = build_twin(profile, personalization, keyset)
        if hook:  # the same twin with the tearing hook (the DUT has one)
            from reference_card import ReferenceCard

            card = ReferenceCard(profile, card.personalization, keyset=keyset, rng=rng, image=card.image, tearing_hook=True)
        return InProcessTransport(card)


MODEL_SOURCES: dict[str, Callable[[], ModelSource]] = {"embedded": EmbeddedModel, "twin": TwinModel}

# The model's machine depends only on these; a process that learns several DUTs (the tests, the
# benchmark, a lab comparing cards) learns each model once.
_MODEL_CACHE: dict[tuple[object, ...], Learned] = {}


@dataclass
class _Card:
    """One side of the comparison: its transport, PSAM and learner."""

    label: str
    transport: CountingTransport
    sul: CardSUL


def _keyset(options: LearnOptions, profile: Profile) -> KeySet:
    if options.keys is None:
        return TestKeySet.for_profile(profile)
    try:
        return LabKeyFile.load(options.keys)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--keys {options.keys}: {exc}") from None


def _psam_for(transport: Transport, profile: Profile, keyset: KeySet) -> PsamClient:
    """A software PSAM of a terminal in the card's own region (read from the card)."""
    from harness.psam import software_psam
    from terminal.channel import Terminal
    from terminal.regions import load_regions
    from terminal.session import CardSession

    session = CardSession(Terminal(transport, profile), check=True)
    session.items_by_number = True  # a card that refuses READ RECORD by tag is still learned (sul.py)
    region = session.identity().region
    try:
        reg = load_regions().get(region)
    except KeyError as exc:
        raise UsageError(f"--card: the card's region {region} is not in fixtures/regions.yaml ({exc})") from None
    return software_psam(profile, reg, keyset)


def _open_dut(spec: CardSpec, options: LearnOptions, keyset: KeySet) -> tuple[Transport, Profile]:
    from harness.profiles import detect_profile, initial_profile

    profile = initial_profile(spec, options.profile)
    if spec.kind == "reference":
        from reference_card import ReferenceCard, load_personalization
        from reference_card.faults import resolve_faults
        from reference_card.personalization import DEFAULT_CARD_PATH
        from terminal.transports.inprocess import InProcessTransport

        try:
            faults = resolve_faults(options.faults)
        except ValueError as exc:
            raise UsageError(f"--fault: {exc}") from None
        personalization = load_personalization(DEFAULT_CARD_PATH)
        if options.pin is not None:
            personalization = dataclasses.replace(personalization, pin=options.pin)
        # with the tearing hook, as the suite's embedded DUT (the torn symbols of an alphabet use it)
        card = ReferenceCard(profile, personalization, faults=sorted(faults), keyset=keyset, tearing_hook=True)
        return InProcessTransport(card), profile
    if options.faults:
        raise UsageError("--fault: faults can only be injected into the embedded reference card")
    from harness.dut import open_dut

    dut = open_dut(spec, profile, keyset, pin=options.pin)
    if dut.try_guard is not None:
        dut.try_guard.armed = False  # the learner keeps wrong attempts below the tries itself (sul.py)
    if options.profile is None:
        profile = detect_profile(dut.transport, profile)
    return dut.transport, profile


def run_learn(options: LearnOptions, out: Callable[[str], None] | None = None) -> int:
    """Learn, compare, write the artefacts; the exit status. Bad input raises `UsageError` (or
    another `InputError`) before the run directory is made."""
    say = out or (lambda text: print(text, flush=True))
    spec = parse_card_spec(options.card)
    if options.max_apdus < 1:
        raise UsageError(f"--max-apdus {options.max_apdus}: expected a positive number of APDUs")
    if options.model not in MODEL_SOURCES:
        raise UsageError(f"--model {options.model!r}: expected one of {', '.join(MODEL_SOURCES)}")
    if options.alphabet is not None and not options.alphabet.is_file():
        raise UsageError(f"--alphabet {options.alphabet}: no such file")
    from harness.profiles import initial_profile

    try:
        first = initial_profile(spec, options.profile)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--profile {options.profile}: {exc}") from None
    try:
        dut_transport, profile = _open_dut(spec, options, _keyset(options, first))
    except HarnessError as exc:
        if isinstance(exc, InputError):
            raise
        raise UsageError(f"--card {options.card}: cannot open the card: {exc}") from None
    keyset = _keyset(options, profile)
    alphabet = _alphabet(options, profile)
    pin = options.pin or profile.security.pin.initial
    with open_run_dir(options.report_dir, new_run_id(), clean=False) as run_dir:
        try:
            return _learn_in(run_dir, options, spec, profile, keyset, alphabet, dut_transport, pin, say)
        except BudgetExceeded as exc:
            say(f"learn: could not complete: {exc}")
            return UNFINISHED
        except HarnessError as exc:
            say(f"learn: could not complete: {type(exc).__name__}: {exc}")
            return UNFINISHED
        except KeyboardInterrupt:
            say("learn: could not complete: interrupted (Ctrl-C)")
            return UNFINISHED
        finally:
            dut_transport.close()


def _alphabet(options: LearnOptions, profile: Profile) -> Alphabet:
    path = options.alphabet if options.alphabet is not None else default_alphabet_path(profile.name)
    alphabet = load_alphabet(path, profile)
    destructive = [s.name for s in alphabet.symbols if s.destructive]
    if destructive and not options.allow_destructive and not options.card.startswith("reference"):
        raise UsageError(
            f"--alphabet {alphabet.source}: symbols {', '.join(destructive)} are destructive: give --allow-destructive (or drop them)"
        )
    return alphabet


def _learn_in(
    run_dir: Path,
    options: LearnOptions,
    spec: CardSpec,
    profile: Profile,
    keyset: KeySet,
    alphabet: Alphabet,
    dut_transport: Transport,
    pin: str,
    say: Callable[[str], None],
) -> int:
    names = alphabet.names
    source = MODEL_SOURCES[options.model]()
    dut_counting = CountingTransport(dut_transport)
    dut_psam = _psam_for(dut_counting, profile, keyset)
    # The model has the tearing hook exactly when the DUT has it (a card without one answers the
    # torn symbols' arm with an error, and so must the model, or every torn symbol would differ).
    hook = any(s.op.name in TORN for s in alphabet.symbols) and probe_hook(dut_counting, profile) is None
    model_transport = CountingTransport(source.open(profile, keyset, dut_counting, pin, dut_psam, hook=hook))
    model = _Card(
        "model",
        model_transport,
        CardSUL(
            model_transport,
            profile,
            _psam_for(model_transport, profile, keyset),
            pin if options.model == "twin" else profile.security.pin.initial,
            alphabet,
            destructive=options.allow_destructive,
        ),
    )
    say(f"learn: alphabet {alphabet.source} ({len(names)} symbols: {', '.join(names)}), profile {profile.name}")
    cache_key = (
        options.model,
        profile.name,
        tuple((s.name, s.op) for s in alphabet.symbols),
        options.allow_destructive,
        options.seed,
        hook,
    )
    model_learned = _MODEL_CACHE.get(cache_key) if source.cacheable else None
    if model_learned is None:
        say(f"learn: learning the reference model's machine ({options.model}, in-process) …")
        model_learned = learn_machine(model.sul, names, seed=options.seed, walks_per_state=MODEL_WALKS_PER_STATE)
    say(_figures_line("model", model_learned))

    dut = _Card("dut", dut_counting, CardSUL(dut_counting, profile, dut_psam, pin, alphabet, destructive=options.allow_destructive))
    for note in dut.sul.notes:
        say(f"learn: {note}")
    latency = dut_counting.latency
    estimate = model_learned.apdus
    say(
        f"learn: the DUT ({spec}) is expected to need at most about {estimate:,} APDUs (what the model needed with more "
        f"random walks), ~{estimate * latency:.0f} s at its measured {latency * 1000:.2f} ms per APDU (resets included); "
        f"bound: --max-apdus {options.max_apdus:,}"
    )
    dut_counting.budget = options.max_apdus
    dut_learned = learn_machine(dut.sul, names, guide=model_learned.machine, seed=options.seed)
    say(_figures_line("DUT", dut_learned))
    # A learned machine is a hypothesis: a difference the two cards do not both confirm shows that
    # one learning missed a state. That card is learned again with the refuting words first.
    model_known: tuple[tuple[str, ...], ...] = ()
    dut_known: tuple[tuple[str, ...], ...] = ()
    for _round in range(REFINEMENTS):
        if not dut_learned.complete:
            break
        differences, _, _ = compare(model_learned.machine, dut_learned.machine)
        model_wrong = [d.sequence for d in differences if tuple(model.sul.query(d.sequence)) != d.model_outputs]
        dut_wrong = [d.sequence for d in differences if tuple(dut.sul.query(d.sequence)) != d.dut_outputs]
        if not model_wrong and not dut_wrong:
            break
        if model_wrong:
            model_known += tuple(model_wrong)
            say(f"learn: {len(model_wrong)} difference(s) refuted by the model card itself: learning the model again")
            model_learned = learn_machine(model.sul, names, seed=options.seed, known=model_known, walks_per_state=MODEL_WALKS_PER_STATE)
            say(_figures_line("model", model_learned))
        dut_known += tuple(dut_wrong)
        say("learn: learning the DUT again against the corrected model" if model_wrong else "learn: learning the DUT again")
        dut_learned = learn_machine(dut.sul, names, guide=model_learned.machine, seed=options.seed, known=dut_known)
        say(_figures_line("DUT", dut_learned))
    if source.cacheable:
        _MODEL_CACHE[cache_key] = model_learned
    dut_counting.limit = None  # the budget bounds learning; confirming the differences costs a few APDUs more

    differences, model_marks, dut_marks = compare(model_learned.machine, dut_learned.machine)
    if not dut_learned.complete:
        say(f"learn: learning the DUT stopped early: {dut_learned.stopped}; its diagram is the last hypothesis")
        differences = _from_witnesses(dut_learned.witnesses)
    run_dir_learn = run_dir / "learn"
    run_dir_learn.mkdir(exist_ok=True)
    findings = []
    for i, d in enumerate(differences, 1):
        findings.append(_finding(i, d, alphabet, model, dut, profile, run_dir_learn))
    equivalent = not differences
    verdict = "different" if differences else ("equivalent" if dut_learned.complete else "incomplete")
    doc = _document(options, spec, profile, alphabet, model_learned, dut_learned, findings, verdict)
    doc["notes"] = list(dut.sul.notes)  # what the learner had to do about the card (a refused key)
    dots = {
        "model": to_dot(model_learned.machine, f"reference model ({options.model}, {profile.name})", model_marks),
        "dut": to_dot(dut_learned.machine, f"DUT ({spec})", dut_marks),
    }
    for f in findings:  # each difference drawn as its path through both machines
        if dut_learned.complete:
            path = path_dot(model_learned.machine, dut_learned.machine, tuple(f["sequence"]), f"difference {f['index']}")
            dots[f"difference-{f['index']}"] = path
    for side, dot in dots.items():
        (run_dir_learn / f"{side}.dot").write_text(dot, encoding="utf-8")
    svgs = {side: render_svg(dot) for side, dot in dots.items()}
    for side, svg in svgs.items():
        if svg is not None:
            (run_dir_learn / f"{side}.svg").write_text(svg, encoding="utf-8")
    (run_dir / "learn.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    from reports.learn_page import write_learn_report

    write_learn_report(run_dir / "report.html", doc, svgs, dots)
    if verdict == "incomplete":
        say("learn: INCOMPLETE — no difference found before learning stopped; raise --max-apdus")
        say(f"learn: {run_dir / 'learn.json'}, {run_dir / 'report.html'}")
        return UNFINISHED
    if equivalent:
        say(f"learn: EQUIVALENT — the DUT's machine equals the model's ({len(dut_learned.machine.states)} states)")
    else:
        say(f"learn: DIFFERENT — {len(findings)} difference(s):")
        for f in findings:
            say(
                f"  {f['index']}. {' → '.join(f['sequence'])}: model {f['model_outputs'][-1]}, DUT {f['dut_outputs'][-1]}"
                f" [{', '.join(f['requirements']) or 'no requirement'}]{'' if f['confirmed'] else ' (not confirmed on replay)'}"
            )
    say(f"learn: {run_dir / 'learn.json'}, {run_dir / 'report.html'}")
    return EQUIVALENT if equivalent else DIFFERENT


def _from_witnesses(witnesses: tuple[Witness, ...]) -> list[Difference]:
    """Differences the card proved by its answers while learning stopped early: one per kind
    (last symbol, model output, DUT output), shortest first, cut at the first differing output."""
    out: list[Difference] = []
    kinds: set[tuple[str, str, str]] = set()
    for w in witnesses:
        n = next(i for i, (m, d) in enumerate(zip(w.model_outputs, w.dut_outputs)) if m != d) + 1
        kind = (w.sequence[n - 1], w.model_outputs[n - 1], w.dut_outputs[n - 1])
        if kind not in kinds:
            kinds.add(kind)
            out.append(Difference(w.sequence[:n], w.model_outputs[:n], w.dut_outputs[:n], "", ""))
    return sorted(out, key=lambda d: len(d.sequence))


def _figures_line(label: str, learned: Learned) -> str:
    f = learned.figures()
    return f"learn: {label}: {f['states']} states, {f['queries']:,} queries, {f['apdus']:,} APDUs, {f['seconds']} s"


def _finding(index: int, d: Difference, alphabet: Alphabet, model: _Card, dut: _Card, profile: Profile, where: Path) -> dict[str, Any]:
    """Confirm `d` on both cards, classify it and save its replay script."""
    dut_log, restore_length, dut_out = dut.sul.record(d.sequence)
    model_log, model_restore, model_out = model.sul.record(d.sequence)
    confirmed = dut_out[-1] != model_out[-1]
    last = alphabet.symbol(d.symbol)
    requirements = sorted(set(last.requirements))
    steps = []
    model_ops = model_log[model_restore:]
    for i, (op, exchanges) in enumerate(dut_log):
        model_exchanges = None
        if i >= restore_length and i - restore_length < len(model_ops) and model_ops[i - restore_length][0] == op:
            model_exchanges = model_ops[i - restore_length][1]
        steps.append(ReplayStep.of(op, exchanges, model_exchanges))
    script = ReplayScript(
        format="ssc-replay/1",
        profile=profile.name,
        source="learn",
        title=f"difference {index}: {' → '.join(d.sequence)} (the first {restore_length} steps restore the card)",
        requirements=requirements,
        steps=steps,
    )
    path = script.save(where / f"difference-{index}.replay.json")
    return {
        "index": index,
        "sequence": list(d.sequence),
        "model_outputs": list(d.model_outputs),
        "dut_outputs": list(d.dut_outputs),
        "symbol": d.symbol,
        "model_state": d.model_state,
        "dut_state": d.dut_state,
        "requirements": requirements,
        "confirmed": confirmed,
        "replayed": {"model": model_out, "dut": dut_out},
        "replay": str(path.relative_to(where.parent)),
        "restore_steps": restore_length,
    }


def _document(
    options: LearnOptions,
    spec: CardSpec,
    profile: Profile,
    alphabet: Alphabet,
    model: Learned,
    dut: Learned,
    findings: list[dict[str, Any]],
    verdict: str,
) -> dict[str, Any]:
    return {
        "format": LEARN_FORMAT,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "card": str(spec),
        "faults": list(options.faults),
        "profile": profile.name,
        "model_source": options.model,
        "allow_destructive": options.allow_destructive,
        "max_apdus": options.max_apdus,
        "verdict": verdict,
        "learning_complete": dut.complete,
        "stopped": dut.stopped,
        "alphabet": {
            "source": alphabet.source,
            "symbols": [
                {
                    "name": s.name,
                    "op": s.op.name,
                    "args": dict(s.op.args),
                    "requirements": list(s.requirements),
                    "description": s.description,
                }
                for s in alphabet.symbols
            ],
        },
        "model": {"figures": model.figures(), "machine": model.machine.to_json()},
        "dut": {"figures": dut.figures(), "machine": dut.machine.to_json()},
        "differences": findings,
    }
