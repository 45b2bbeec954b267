"""The lockstep: a Hypothesis state machine that drives the DUT and its twin with the same commands.

Each example starts from a fresh twin and the DUT as found (reset), draws operations from the
profile's `catalogue` and malformed APDUs, and performs them on a `MirrorTransport`: the first
answer that differs raises `Divergence`, Hypothesis shrinks the sequence to a minimal one, and the
run keeps it with both sides' exchanges. Between examples the DUT is put back as found (every file
written back, the PIN given back and verified, a reset): a physical card cannot be replaced, and
shrinking re-executes sequences on it (unless the run is given `DiffRun.replace_dut`: a fresh card
of the same batch for each sequence once a divergence is seen, and for the search that goes on
after it).

Cheap candidates first (`_shrink_cheaply`): when a round's first sequence diverges, before
Hypothesis' shrinker spends any try of the card, the shortest sequences that may show the same
divergence are re-run on the DUT — the diverging operation alone after a reset, then the operations
since the sequence's last reset ending with it. A card whose diverging command spends a try it
cannot get back (a key that differs from the run's) or that goes mute allows few re-runs: these are
the ones worth spending them on. The first that diverges alike is kept as the failing sequence, so
the report is short even when the shrinker cannot reproduce anything after it.

A DUT that gave no answer within the APDU time limit diverged from its twin (`MirrorTransport`);
before the restore, a cold reset brings it back (`_recover`), as a reader recovers a card whose
command interpreter stopped answering: the reader's own timeout ends the exchange, the host
powers the card down and up. A card that still does not answer ends the run: vpcd, for one, has no
timeout of its own and holds pcscd's call to a silent served card until the card leaves the reader.
A reader whose own timeout comes first fails the exchange (SCARD_E_NOT_TRANSACTED); the PC/SC
transport calls that a mute card while pcscd still shows the card in the reader, a removal (which
ends the run: no answer of the card) once it shows it gone.

Torn writes (`tearing_probes`, their own group) only when the DUT answered the tearing test hook
before the run (`DiffRun.tearing_hook`): the twin is built with the hook as well, so both tear alike
and the mirror compares the power cuts.

Safety: a wrong VERIFY or a wrong or replayed EXTERNAL AUTHENTICATE is only sent to a full try
counter (the one it spends, P1 00 being the active version's: the twin's counter, which the DUT
holds too while both answer alike), so no counter drops below two tries and the try guard below
the mirror never has to refuse the right value that refills it; the restore refills every counter
the sequence spent (the twin's, and any the DUT answered "63Cx" for). Destructive operations only
with ``allow_destructive``. The one exception is itself destructive: `pin_run_down` runs the PIN
down to its last try or to blocked with the try guard off for that operation alone, and unblocks
it and gives its tries back before it ends (the restore unblocks it as well when a divergence
interrupted it).

Budget: `DiffRun.max_apdus` counts commands sent to the DUT, shrinking included; `seconds` bounds
the wall time. Each round of examples seeds Hypothesis from the run's `seed` (and permutes the
catalogue), so a run is reproducible and two seeds explore differently.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, assume, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException, UnsatisfiedAssumption
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from checks.security import access_plan
from checks.security.access_plan import build_plan, format_conditions
from harness.diff.catalogue import catalogue, firewall_probes, key_near_misses, malformed_apdus, tearing_probes
from harness.diff.mirror import Divergence, MirroredExchange, MirrorTransport
from harness.diff.twin import build_twin
from harness.replay.operations import OPERATIONS, Exchange, Operation, OperationContext, OperationUnavailable, perform
from reference_card import ReferenceCard
from reference_card.issuance import CardImage
from reference_card.personalization import Personalization
from ssc.keyset import KeySet
from ssc.profile.model import Profile
from terminal.channel import Terminal
from terminal.errors import AnswerError
from terminal.psam_client import PsamClient
from terminal.session import CardIdentity, CardSession
from terminal.transports.base import CardMuteError, Transport, TransportError
from terminal.transports.inprocess import InProcessTransport
from terminal.transports.tryguard import TryGuardRefusal, find_try_guard

__all__ = ["Counter", "DiffRun", "FoundDivergence", "StepRecord", "run_lockstep"]

Counter = tuple[str, str]  # a try counter: (external key name, its version in hex, never the "active" code), or `PIN`

STEPS_PER_EXAMPLE = 30  # operations per drawn sequence (Hypothesis' stateful_step_count)
EXAMPLES_PER_ROUND = 40  # sequences per Hypothesis run; rounds repeat until the budget is spent
SHRINK_MIN = 2_000  # APDUs shrinking may spend at least, after the search budget
MAX_DIVERGENCES = 8  # distinct divergences a run looks for before it stops
MALFORMED = 200  # malformed APDUs drawn per round (Hypothesis picks among them)
# The groups Hypothesis draws from, each as often as the others: security state changes (few,
# so each is drawn often; the PIN's whole probes with them, `_pin_probe`), selections, authentications (by key; the firewall near misses as one
# more family), accesses (by file), the access-control
# plan's cases (conditions and access in one operation) with the other whole probes (`_whole_probe`:
# writes the card must refuse, each read back; whole files read), malformed APDUs, and the plan's key
# near misses (`key_near_misses`: a key that must not open a read, authenticated from a reset, then
# the read): a dozen cases that among the plan's 170 were drawn once per thousand steps or less,
# so a write key that also opens the read could go unseen for 20,000 APDUs.
_SELECT_OPS = ("select",)
_STATE_OPS = (
    "reset",
    "verify",
    "change_pin",
    "reload_pin",
    "unblock_pin",
    "get_challenge",
    "application_block",
    "application_unblock",
    "append_record",
)
_AUTH_OPS = ("external_authenticate", "internal_authenticate")
_MAX_INDEX = 1023  # a step's indices into its group (taken modulo the group's size)
_RESERVE = 3  # a wrong PIN or key attempt only while the counter holds at least this many tries
PIN = ("PIN", "")  # the PIN's `Counter`
_SW_LENGTH = 2
VERBOSITY = Verbosity.quiet  # tests and the benchmark may set Verbosity.debug to watch the shrinker


@dataclass
class StepRecord:
    """One operation of a sequence and what each side answered, raw (not yet masked)."""

    op: Operation
    exchanges: list[MirroredExchange]


@dataclass
class FoundDivergence:
    steps: list[StepRecord]  # the minimal sequence; the last step holds the diverging exchange
    divergence: Divergence
    requirements: tuple[str, ...]
    apdus_before: int  # APDUs sent to the DUT before the first failing sequence was found

    @property
    def signature(self) -> tuple[str, str, str]:
        return _signature(self.steps[-1].op, self.divergence)


def _signature(op: Operation, d: Divergence) -> tuple[str, str, str]:
    return (op.name, d.dut[-_SW_LENGTH:].hex(), d.model[-_SW_LENGTH:].hex())


@dataclass
class DiffRun:
    """Everything one lockstep run needs, and what it found."""

    profile: Profile
    personalization: Personalization  # the twin's
    keyset: KeySet
    open_dut: Callable[[], Transport]  # the DUT's transport for the next sequence (reset)
    psam: PsamClient | None
    pin: str
    identity: CardIdentity | None = None  # the DUT's, read once before the run
    max_apdus: int = 20_000
    seconds: float | None = None
    seed: int = 0
    allow_destructive: bool = False
    fci_extension: bool = False
    stop_at_first: bool = False
    fresh_dut: bool = False  # open_dut builds a new card each time: nothing to restore between sequences
    # The DUT answers the tearing test hook (PROFILE §6.5, probed before the run): its twin gets the
    # hook too, and torn writes are drawn (`tearing_probes`); `no_tearing` says why not otherwise.
    tearing_hook: bool = False
    no_tearing: str = ""
    # A lab's fresh test card for shrinking: once a divergence is seen, each sequence runs on a card
    # this puts in (it returns the new card's opener), and none is restored. A card whose tries a
    # diverging command spent, or that went mute, cannot re-run it; a new card of the batch can.
    replace_dut: Callable[[], Callable[[], Transport]] | None = None
    # Reads the twin's personalization was refused although the run's rights open them on a
    # conforming card (`TwinSource.refused`): each is probed as a sequence of its own before the search
    suspects: tuple[Operation, ...] = ()
    # results
    apdus: int = 0
    sequences: int = 0  # examples run (shrinking included)
    rounds: int = 0
    states: set[tuple[object, ...]] = field(default_factory=set)
    commands: set[str] = field(default_factory=set)
    divergences: list[FoundDivergence] = field(default_factory=list)
    restore_problems: list[str] = field(default_factory=list)
    # Try counters (`Counter`) the last restore could not refill: the DUT may hold fewer tries
    # than a fresh twin, so no sequence sends them a wrong value until a right one refills them.
    unrefilled: set[Counter] = field(default_factory=set)
    # Key counters whose right value (the key set's, accepted by the twin) the DUT refused: a key
    # that differs. A right authentication cannot refill them, only spend another try, so the
    # restore leaves them (as a restore problem) and no sequence sends them a wrong value.
    refused_right: set[Counter] = field(default_factory=set)
    fatal: BaseException | None = None
    _started: float = field(default_factory=time.monotonic)
    _failing: list[StepRecord] | None = None
    _failure: Divergence | None = None
    _first_seen: int | None = None
    _twin_image: CardImage | None = None

    def budget_left(self) -> bool:
        """APDUs (and seconds) left; once a divergence is found, shrinking it may spend the budget
        again (a minimal sequence is worth it, and the search is over)."""
        limit = self.max_apdus + (max(self.max_apdus, SHRINK_MIN) if self._first_seen is not None else 0)
        if self.fatal is not None or self.apdus >= limit:
            return False
        return self.seconds is None or time.monotonic() - self._started < self.seconds

    def shrunk(self) -> bool:
        """The kept failing sequence is a reset and the diverging operation: none that shows the
        same divergence is shorter, so the shrinker's attempts would only spend the card."""
        return self._failing is not None and len(self._failing) <= 2

    def command_name(self, command: bytes) -> str:
        for name, cmd in self.profile.commands.items():
            if len(command) >= 2 and command[1] == cmd.ins and command[0] in cmd.cla:
                return name
        return "(no command of the profile)"  # malformed: unknown class or instruction, or too short


# Commands an operation sends to prepare its own (select the file, verify the PIN, authenticate,
# fetch a challenge): a divergence in one of them is classified under that command, not the operation.
_PREPARATORY = ("select", "verify", "external_authenticate", "get_challenge")
_PIN_OPS = ("change_pin", "reload_pin", "unblock_pin", "pin_run_down")  # their VERIFYs prove the operation's effect: theirs


def _diverging_command(run: DiffRun, step: StepRecord, d: Divergence) -> str:
    """The profile command that diverged; a GET RESPONSE stands for the command it answers."""
    name = run.command_name(d.command or b"")
    if name == "get_response":
        sent = [e.command for e in step.exchanges if e.command is not None]
        if len(sent) >= 2:
            return run.command_name(sent[-2])
    return name


_HISTORICAL_REQUIREMENT = "STD-ATR-2"  # the content of the historical bytes (chip, COS, card maker, card SN)


def _requirements(run: DiffRun, step: StepRecord, d: Divergence) -> tuple[str, ...]:
    """Requirement IDs of the diverging command: a preparatory command's own (`_PREPARATORY`),
    else its operation's (a torn operation's: all its commands); for a raw (malformed) APDU
    SEC-ROB-1 and the command's."""
    if d.command is not None and d.rule.startswith("freshness"):
        return OPERATIONS["get_challenge"].requirements
    torn = _torn_requirements(run, step, d)
    if torn is not None:
        return torn
    if d.command is None and run.profile.atr.historical(d.dut) != run.profile.atr.historical(d.model):
        return (*OPERATIONS[step.op.name].requirements, _HISTORICAL_REQUIREMENT)  # the ATRs differ in what they carry
    if step.op.name != "apdu":
        command = _diverging_command(run, step, d) if d.command is not None else step.op.name
        if command in _PREPARATORY and command != step.op.name and not (command == "verify" and step.op.name in _PIN_OPS):
            return OPERATIONS[command].requirements
        if step.op.name == "access":
            return _access_requirements(run.profile, step.op)
        return _near_miss_requirements(run.profile, step.op) + OPERATIONS[step.op.name].requirements
    name = run.command_name(d.command or b"")
    reqs = ["SEC-ROB-1", *OPERATIONS["apdu"].requirements]  # the lockstep's raw APDUs are its malformed ones
    if name in OPERATIONS:
        reqs += [r for r in OPERATIONS[name].requirements if r not in reqs]
    return tuple(reqs)


def _access_requirements(profile: Profile, op: Operation) -> tuple[str, ...]:
    """An access case's own requirements, as the access-control plan files it (a state that must
    be lost at reset: SEC-AC-8; a key that must not open another right: SEC-AC-4 …); a firewall near
    miss SEC-FW-1."""
    if op in firewall_probes(profile):
        return ("SEC-FW-1",)
    for case in build_plan(profile):
        if case.file == op.arg("path") and case.right == op.arg("right") and format_conditions(case.conditions) == op.arg("conditions"):
            return case.requirement_ids
    return OPERATIONS["access"].requirements


_RIGHT_OF = {"read_record": "read", "read_records": "read", "read_binary": "read", "update_record": "update", "update_binary": "update"}


def _near_miss_requirements(profile: Profile, op: Operation) -> tuple[str, ...]:
    """A read or update tried under a security state that must not open it (none, the PIN alone,
    another key: catalogue `_near_misses`) is an access case of the plan: its requirements first."""
    right, auth = _RIGHT_OF.get(op.name), op.arg("auth", "rule")
    if right is None or auth == "rule":
        return ()
    pin, key = access_plan.Condition(access_plan.PIN), access_plan.Condition(access_plan.AUTH, auth.removeprefix("key:"))
    conditions = () if auth == "none" else ((pin,) if auth == "pin" else (key,))
    for case in build_plan(profile):
        if case.file == op.arg("path") and case.right == right and case.conditions == conditions:
            return tuple(r for r in case.requirement_ids if r not in OPERATIONS[op.name].requirements)
    return ()


def _torn_requirements(run: DiffRun, step: StepRecord, d: Divergence) -> tuple[str, ...] | None:
    """A torn operation's requirements (None for any other): before the arm, a preparatory
    command's own (as `_PREPARATORY`); the armed command itself, the tear's (SEC-TEAR-1/2); after
    the reset that follows the cut — the item read back, the try counter, the refill — the tear's
    and the torn command's own (a write that did not come through, or a counter that was not
    spent, may be so under tearing or always)."""
    if not step.op.name.startswith("torn_"):
        return None
    own = OPERATIONS[step.op.name].requirements
    arms = [i for i, e in enumerate(step.exchanges) if e.command is not None and run.command_name(e.command) == "tearing_hook"]
    if not arms:
        name = _diverging_command(run, step, d) if d.command is not None else ""
        return OPERATIONS[name].requirements if name in OPERATIONS else own
    if not any(e.command is None for e in step.exchanges[arms[-1] + 1 :]):
        return own
    torn = _TORN_COMMAND.get(step.op.name) or (
        "update_binary" if run.profile.file(step.op.arg("path")).kind == "transparent" else "update_record"
    )
    return own + tuple(r for r in OPERATIONS[torn].requirements if r not in own)


_TORN_COMMAND = {"torn_verify": "verify", "torn_authenticate": "external_authenticate"}  # torn_update: by its file


def _probe_kind(op: Operation) -> str:
    """A whole probe's family: its operation, and for a security state that must be lost, whose
    state it is (the PIN's, a key's: the PIN's are few among them)."""
    if op.name != "access":
        return op.name
    return (
        "lost:pin"
        if op.arg("conditions").startswith(access_plan.format_conditions([access_plan.Condition(access_plan.PIN)]))
        else "lost:key"
    )


def _whole_probe(op: Operation) -> bool:
    """An operation that is a whole probe by itself, like the access plan's cases, and joins their
    group: a refused write read back (`_refused_write`), every record of a file read without a
    right and with the file's read right (what personalization faults show in), or CHANGE PIN
    followed by a read its PIN state alone opens, a PIN of a boundary length (or one byte out of
    bounds) set, proven and given back, or the PIN run down to its last try or blocked and back."""
    if op.name == "change_pin" and op.arg("read", ""):  # CHANGE PIN, then a read only its PIN state opens
        return True
    if op.name == "read_all":  # every file the run can read
        return True
    if _pin_probe(op):
        return True
    return _refused_write(op) or (op.name == "read_records" and op.arg("auth", "none") in ("none", "rule"))


def _pin_probe(op: Operation) -> bool:
    """A whole probe of the PIN's own state: a PIN of a boundary length (or one byte out of bounds)
    set, proven and given back, or the PIN run down to its last try or blocked and back. Few, and
    drawn with the security state changes (each often) rather than among the access plan's many
    cases: a fault of one PIN length or of one try count shows in one of them alone."""
    if op.name in ("change_pin", "reload_pin") and op.arg("to") not in ("temp", "run"):
        return True
    return op.name == "pin_run_down"


def _refused_write(op: Operation) -> bool:
    """A write the card must refuse although it may look plausible (a wrong tag under the right, a
    wrong or replayed MAC, a write while the application is blocked), read back in the same
    operation: both cards answer the refusal alike, only the read-back tells whether it was stored.
    Few, and like the access plan's cases whole probes in one operation: they join that group
    rather than take a small share of their file's."""
    if op.name == "blocked_sm_update":
        return True
    if op.name not in ("update_record", "sm_update"):
        return False
    return op.arg("value", "") == "wrong_tag" or op.arg("mac", "") in ("wrong", "replayed")


def _tear_family(op: Operation) -> str:
    """What a torn operation tears: a file (each of its cuts a variant), the PIN, the keys."""
    return op.arg("path", "") or op.name


def _by(ops: list[Operation], family: Callable[[Operation], str | None]) -> list[list[Operation]]:
    """`ops` grouped by `family` (a key, a file; None: not in any), in first-seen order."""
    out: dict[str, list[Operation]] = {}
    for op in ops:
        name = family(op)
        if name is not None:
            out.setdefault(name, []).append(op)
    return list(out.values())


def _machine(run: DiffRun, known: set[tuple[str, str, str]]) -> type[RuleBasedStateMachine]:
    rng = random.Random(f"ssc-diff|{run.seed}|{run.rounds}")
    ops = catalogue(run.profile, destructive=run.allow_destructive)
    malformed = [Operation.of("apdu", hex=apdu.hex().upper()) for apdu in malformed_apdus(run.profile, rng, MALFORMED)]
    state_ops = [op for op in ops if op.name in _STATE_OPS and not _whole_probe(op)]
    pin_probes = [op for op in ops if _pin_probe(op)]
    select_ops = [op for op in ops if op.name in _SELECT_OPS]
    firewall = set(firewall_probes(run.profile))  # a key state must not cross the firewall: an authentication near miss
    auth_ops = _by(
        ops,
        lambda op: (
            op.arg("key")
            if op.name == "external_authenticate"
            else ("IRK" if op.name == "internal_authenticate" else ("firewall" if op in firewall else None))
        ),
    )
    near = set(key_near_misses(run.profile))  # a key that must not open a read, then the read
    near_ops = [op for op in ops if op in near]
    # the access plan's cases; those of a security state that must be lost (SEC-AC-8: at reset, at a
    # DF change, on leaving the application) join the whole probes below as a kind of their own
    lost = {(c.file, c.right, format_conditions(c.conditions)) for c in build_plan(run.profile) if c.requirement_ids[0] == "SEC-AC-8"}
    plan_ops = [op for op in ops if op.name == "access" and op not in firewall | near]
    lost_ops = [op for op in plan_ops if (op.arg("path"), op.arg("right"), op.arg("conditions")) in lost]
    plan_ops = [op for op in plan_ops if op not in lost_ops]
    # the other whole probes (refused writes read back, whole files read, CHANGE PIN then a read its
    # PIN state alone opens, a write while blocked) by kind: among the plan's 100-odd cases the
    # few of a rare kind went unseen for 20,000 APDUs at some seeds
    probe_ops = _by([op for op in ops if _whole_probe(op) and not _pin_probe(op)] + lost_ops, _probe_kind)
    access_ops = _by(
        ops,
        lambda op: op.arg("path") if op.name not in _STATE_OPS + _SELECT_OPS + _AUTH_OPS + ("access",) and not _whole_probe(op) else None,
    )
    # torn writes, by what they tear (a file, the PIN, the keys): only on a card with the hook
    tear_ops = _by(tearing_probes(run.profile) if run.tearing_hook else [], _tear_family)
    for group in (state_ops, select_ops, malformed, auth_ops, access_ops, plan_ops, tear_ops):
        rng.shuffle(group)
    for family in (*auth_ops, *access_ops, *tear_ops):
        rng.shuffle(family)
    random.Random(f"ssc-diff-near|{run.seed}|{run.rounds}").shuffle(near_ops)  # an order of their own, as the PIN probes
    probe_rng = random.Random(f"ssc-diff-probes|{run.seed}|{run.rounds}")
    probe_rng.shuffle(probe_ops)
    for family in probe_ops:
        probe_rng.shuffle(family)
    state_ops.sort(key=lambda op: op.name != "reset")  # shrinking goes towards index 0: a reset
    # the PIN probes after the others, in their own order: the other groups' permutations stay those
    # of a catalogue without them (a seed explores as it did before they were added)
    random.Random(f"ssc-diff-pin|{run.seed}|{run.rounds}").shuffle(pin_probes)
    state_ops += pin_probes
    groups: list[list[Operation] | list[list[Operation]]] = [state_ops, select_ops, auth_ops, access_ops, plan_ops, malformed]
    if tear_ops:
        groups.append(tear_ops)
    if near_ops:
        groups.append(near_ops)
    if probe_ops:
        groups.append(probe_ops)

    class Lockstep(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.mirror: MirrorTransport | None = None
            self.steps: list[StepRecord] = []
            self.dut_spent: set[Counter] = set()  # counters the DUT answered "63Cx" for (a faulty DUT may spend where its twin does not)
            self.diverged: Divergence | None = None  # the divergence that ended this sequence
            self.candidate = False  # a cheap candidate's or a suspect's run, driven outside Hypothesis: it keeps nothing itself
            self.first = False  # this sequence showed the round's first divergence: try the cheap candidates

        def _assume(self, condition: bool) -> None:
            """Hypothesis' `assume`, by the exception it raises: a sequence driven outside Hypothesis
            (a suspect, probed before the search) may not call `assume` itself (deprecated there)."""
            if not condition:
                raise UnsatisfiedAssumption()

        @initialize()
        def start(self) -> None:
            self._assume(not (run.shrunk() and not self.candidate) and self.open())

        def open(self) -> bool:
            """A fresh twin and the DUT as found, both reset; False when the run cannot start a sequence."""
            if not run.budget_left():
                return False
            twin, twin_rng = build_twin(run.profile, run.personalization, run.keyset, run._twin_image, tearing_hook=run.tearing_hook)
            run._twin_image = twin.image
            twin_transport = InProcessTransport(twin)
            self.twin = twin
            try:
                if run.replace_dut is not None and run._first_seen is not None:
                    run.open_dut = run.replace_dut()
                    run.unrefilled.clear()  # a fresh card of the batch
                    run.refused_right.clear()
                dut = run.open_dut()
            except TransportError as exc:
                run.fatal = exc
                return False
            self.mirror = MirrorTransport(dut, twin_transport, twin_rng, run.profile, fci_extension=run.fci_extension)
            self.ctx = OperationContext.over(
                self.mirror,
                run.profile,
                run.pin,
                run.psam,
                identity=run.identity,
                allow_destructive=run.allow_destructive,
                guard=find_try_guard(dut),
            )
            run.sequences += 1
            self._do(Operation.of("reset"))
            return True

        @rule(group=st.integers(0, len(groups) - 1), a=st.integers(0, _MAX_INDEX), b=st.integers(0, _MAX_INDEX))
        def step(self, group: int, a: int, b: int) -> None:
            """One operation; every step draws the same three integers, so Hypothesis can delete
            any step of a failing sequence without misaligning the rest."""
            chosen = groups[group]
            if isinstance(chosen[0], list):  # families (a key, a file): the family, then a variant
                family = chosen[a % len(chosen)]
                assert isinstance(family, list)
                self._do(family[b % len(family)])
            else:
                op = chosen[a % len(chosen)]
                assert isinstance(op, Operation)
                self._do(op)

        def _risky(self, op: Operation) -> bool:
            """Whether `op` could spend a try the restore may then be unable to give back: a wrong
            VERIFY or a wrong or replayed EXTERNAL AUTHENTICATE is only sent while the counter it
            spends holds at least `_RESERVE` tries (so it keeps two, and the try guard below never
            refuses the right value that refills it) and the last restore refilled it."""
            if op.name == "verify" and op.arg("pin") == "wrong":
                return self._short(PIN, _RESERVE)
            if op.name == "unblock_pin" and op.arg("probe", "plain") == "counter":
                return self._short(PIN, None)  # spends two tries if UNBLOCK does nothing: only from a full counter
            if op.name == "external_authenticate" and op.arg("cryptogram", "right") != "right":
                counter = self._addressed(op)
                return counter is not None and self._short(counter, _RESERVE)
            if op.name == "torn_verify":  # its right VERIFY refills first; then at most two tries are spent
                return self._short(PIN, _RESERVE)
            if op.name == "torn_authenticate" and op.arg("cryptogram", "right") != "right":
                return self._short(_counter(run.profile, op.arg("key"), "00"), _RESERVE)
            return False

        def _short(self, counter: Counter, need: int | None) -> bool:
            """The counter holds fewer than `need` tries (None: is not full), by the twin's counter:
            the DUT's too, as both answered alike since both started full — unless the last
            restore could not refill it on the DUT."""
            if counter in run.unrefilled or counter in run.refused_right:
                return True
            left, limit = self.twin.try_counters().get(_card_counter(counter), (0, 0))
            return left < (limit if need is None else need)

        def _addressed(self, op: Operation) -> Counter | None:
            """The counter a wrong or replayed EXTERNAL AUTHENTICATE spends. A replay resends the
            last authentication of any key in this key's DF: the key with its id there (None when
            there is none: the card answers "key not found" and spends nothing)."""
            if op.arg("cryptogram", "right") == "replayed" and self.ctx.last_external_auth is not None:
                sent = _sent_in(run.profile, run.profile.key(op.arg("key")).df, self.ctx.last_external_auth)
                return sent[0] if sent else None
            return _counter(run.profile, op.arg("key"), op.arg("version", "00"))

        def _observe(self, op: Operation, exchanges: list[MirroredExchange]) -> None:
            """Book what the DUT answered: every EXTERNAL AUTHENTICATE of the operation (an access
            case's, a replay's, a raw APDU's, not only the last exchange) answered "63Cx" spent a
            try of the counter it addresses; one answered 9000 refilled it."""
            for e in exchanges:
                if e.command is None:
                    continue
                run.commands.add(run.command_name(e.command))
                if len(e.dut) < _SW_LENGTH:
                    continue
                sw = int.from_bytes(e.dut[-_SW_LENGTH:], "big")
                failed, ok = run.profile.sw["verification_failed"].matches(sw), sw == run.profile.sw.ok
                if _is(e.command, run.profile, "external_authenticate"):
                    df = run.profile.key(op.arg("key")).df if op.name == "external_authenticate" else None
                    sent = _sent_in(run.profile, df, e.command)
                    if failed:
                        self.dut_spent.update(sent)
                        if e.model[-_SW_LENGTH:] == run.profile.sw.ok.to_bytes(_SW_LENGTH, "big") and len(sent) == 1:
                            run.refused_right.add(sent[0])
                    elif ok and len(sent) == 1:
                        run.unrefilled.discard(sent[0])
                elif _is(e.command, run.profile, "verify") and ok:
                    run.unrefilled.discard(PIN)

        def _twin_spent(self) -> set[Counter]:
            """The key counters the twin holds below full: what this sequence spent on a conforming DUT."""
            return {
                (name, f"{version:02X}")
                for (name, version), (left, limit) in self.twin.try_counters().items()
                if (name, version) != _card_counter(PIN) and left < limit
            }

        def _do(self, op: Operation) -> None:
            assert self.mirror is not None
            if not run.budget_left():
                return
            if self._risky(op):
                return
            try:
                perform(op, self.ctx)
            except Divergence as d:
                step = StepRecord(op, self.mirror.take())
                self.steps.append(step)
                self._observe(op, step.exchanges)  # the try the diverging command spent is refilled too
                self.diverged = d
                if self.candidate:
                    raise  # judged and kept (or not) by `_shrink_cheaply` / `_probe_suspects`
                if _signature(op, d) in known:
                    assume(False)  # already reported: this sequence says nothing new
                if run._first_seen is None:
                    run._first_seen = run.apdus + self.mirror.apdus
                    self.first = True
                if run._failing is None or len(self.steps) <= len(run._failing):
                    run._failing, run._failure = list(self.steps), d
                raise
            except (TryGuardRefusal, OperationUnavailable, AnswerError):
                pass  # not sent (guard), not possible here (nothing to restore), or the PSAM refused: both cards saw the same
            except TransportError as exc:
                run.fatal = exc
                self.mirror.take()
                self._assume(False)
            exchanges = self.mirror.take()
            self.steps.append(StepRecord(op, exchanges))
            self._observe(op, exchanges)
            run.states.add(self.twin.state)

        def teardown(self) -> None:
            if self.mirror is None:
                return
            run.apdus += self.mirror.apdus
            if not run.fresh_dut and not (run.replace_dut is not None and run._first_seen is not None):
                if self.diverged is not None and isinstance(self.diverged.__cause__, CardMuteError):
                    _recover(run, self.mirror.dut)
                names = {step.op.name for step in self.steps}
                spent = (self.dut_spent | self._twin_spent() | (run.unrefilled - {PIN})) - run.refused_right
                run.restore_problems += [
                    f"{key} v{version}: the card refuses the key set's key, its try counter cannot be refilled"
                    for key, version in sorted(self.dut_spent & run.refused_right)
                ]
                _restore(
                    run,
                    self.mirror.dut,
                    self.ctx,
                    spent,
                    unblock=bool(names & {"application_block", "blocked_sm_update"}),
                    unblock_pin="pin_run_down" in names,
                )
                if "append_record" in names:
                    _follow_appends(run, self.mirror.dut)
            if self.first and self.diverged is not None:
                _shrink_cheaply(run, Lockstep, self.steps, self.diverged)

    return seed(rng.getrandbits(64))(Lockstep)  # Hypothesis' own generator, seeded per round (reproducible)


def _candidates(steps: list[StepRecord]) -> list[list[Operation]]:
    """The cheap candidates of a failing sequence, shortest first, each as the operations after
    the reset every sequence starts with: the diverging operation alone; the operations since the
    sequence's last reset, ending with it. Only those shorter than the sequence itself."""
    ops = [step.op for step in steps]
    last = len(ops) - 1
    since = max((i for i in range(last) if ops[i].name == "reset"), default=0)
    out = [[ops[last]], ops[since + 1 :]]
    unique: list[list[Operation]] = []
    for ops_after_reset in out:
        if len(ops_after_reset) + 1 < len(ops) and ops_after_reset not in unique:
            unique.append(ops_after_reset)
    return unique


def _alike(run: DiffRun, op: Operation, d: Divergence, other_op: Operation, other: Divergence) -> bool:
    """The same divergence: the same operation, command (INS), rule and model answer, and the
    DUT's status word the same — "verification failed" with any count of tries left counting as
    one, since each re-run of a refused authentication or VERIFY spends a try."""

    def sw(answer: bytes) -> str:
        if len(answer) >= _SW_LENGTH and run.profile.sw["verification_failed"].matches(int.from_bytes(answer[-_SW_LENGTH:], "big")):
            return "verification_failed"
        return answer[-_SW_LENGTH:].hex()

    return (
        op == other_op
        and (d.command or b"")[1:2] == (other.command or b"")[1:2]
        and d.rule.split(":")[0] == other.rule.split(":")[0]
        and d.model[-_SW_LENGTH:] == other.model[-_SW_LENGTH:]
        and sw(d.dut) == sw(other.dut)
    )


def _shrink_cheaply(run: DiffRun, machine: Callable[[], Any], steps: list[StepRecord], failure: Divergence) -> None:
    """Re-run the cheap candidates (`_candidates`) of the round's first failing sequence on the DUT,
    each on a fresh twin and mirror, restored after as any sequence (budget, try guard and all);
    the first that diverges alike becomes the kept failing sequence (`run._failing`)."""
    for ops in _candidates(steps):
        if not run.budget_left() or (run._failing is not None and len(run._failing) <= len(ops) + 1):
            return
        attempt = machine()  # the lockstep's own machine, driven here rather than by Hypothesis
        attempt.candidate = True
        try:
            attempt.start()
            for op in ops:
                attempt._do(op)
        except (Divergence, UnsatisfiedAssumption):
            pass  # judged below; an assumption: no budget left, or the run ended
        finally:
            attempt.teardown()
        tried: list[StepRecord] = attempt.steps
        found: Divergence | None = attempt.diverged
        if found is not None and tried and _alike(run, tried[-1].op, found, steps[-1].op, failure):
            if run._failing is None or len(tried) < len(run._failing):
                run._failing, run._failure = list(tried), found
            return


def _recover(run: DiffRun, dut: Transport) -> None:
    """A DUT that gave no answer within the APDU time limit: a cold reset (the reader powers it
    down and up) once the reader has ended the exchange. A card that still does not answer, or a
    reader that still holds the call, ends the run."""
    if run.fatal is not None:
        return
    try:
        dut.power_cycle()
    except TransportError as exc:
        run.fatal = exc


def _counter(profile: Profile, key: str, version: str) -> Counter:
    """The counter of `key` at P1 `version`: the active-version code names the active version's
    counter (the card keeps one per loaded version, and "00" is no version of its own)."""
    number = int(version, 16)
    if number == profile.command("external_authenticate").byte("active_version"):
        number = profile.key(key).active
    return (key, f"{number:02X}")


def _card_counter(counter: Counter) -> tuple[str, int]:
    """A `Counter` as `ReferenceCard.try_counters` names it."""
    return ("PIN", 0) if counter == PIN else (counter[0], int(counter[1], 16))


def _is(command: bytes, profile: Profile, name: str) -> bool:
    spec = profile.command(name)
    return len(command) >= 4 and command[1] == spec.ins and command[0] in spec.cla


def _sent_in(profile: Profile, df: str | None, command: bytes) -> list[Counter]:
    """The counters an EXTERNAL AUTHENTICATE command addresses (P2 key id, P1 version) when sent
    in `df`; None: the DF is not known here, every external key with that id and version is a
    candidate (the restore refills them all, a right authentication of a full counter costs
    nothing)."""
    out = []
    for k in profile.keys():
        if k.use == "external" and k.id == command[3] and (df is None or k.df == df):
            counter = _counter(profile, k.name, f"{command[2]:02X}")
            if int(counter[1], 16) in k.versions:
                out.append(counter)
    return out


def _restore(
    run: DiffRun,
    dut: Transport,
    mirrored: OperationContext,
    spent: set[Counter],
    *,
    unblock: bool = False,
    unblock_pin: bool = False,
) -> None:
    """Put the DUT back as found: the application unblocked (when a sequence blocked it), the key
    counters a sequence spent refilled by a right authentication (first: giving the PIN back and
    writing files back may need those keys), the PIN unblocked with its tries back (when a sequence
    ran it down: a divergence may have ended that operation before it did), the PIN given back, files written back, the PIN
    verified (refilling its counter), a reset. Each part is tried even when another failed; a
    counter left unrefilled is kept in `DiffRun.unrefilled`."""
    if run.fatal is not None:
        return
    ctx = OperationContext.over(dut, run.profile, run.pin, run.psam, identity=run.identity, allow_destructive=True)
    ctx.originals = dict(mirrored.originals)
    ctx.pin_now = mirrored.pin_now
    try:
        ctx.session.reset()
        if unblock:
            _restore_op(run, ctx, Operation.of("application_unblock"))
            ctx.session.reset()
        for key, version in sorted(spent):
            ctx.session.reset()
            out = _restore_op(run, ctx, Operation.of("external_authenticate", key=key, version=version))
            sw = out[-1].sw if out else None
            if sw == run.profile.sw.ok:
                run.unrefilled.discard((key, version))
                continue
            if sw is None or any(run.profile.sw[name].matches(sw) for name in ("verification_failed", "method_blocked")):
                run.unrefilled.add((key, version))  # not sent, or the card counts this key short
            # any other answer ("key not found": a version the twin has and the DUT has not) left no try to refill
            if out is not None:
                run.restore_problems.append(f"{key} v{version}: a right authentication to refill its try counter answered {_last_sw(out)}")
        if unblock_pin:
            ctx.session.reset()
            _restore_op(run, ctx, Operation.of("unblock_pin"))
            ctx.session.reset()
            # the effect, not the status word: a card that refused UNBLOCK PIN, or answered 9000 and
            # left the counter as it was, gets RELOAD PIN (which fills the counter too)
            verified = _restore_op(run, ctx, Operation.of("verify", pin="right"))
            if not verified or verified[-1].sw != run.profile.sw.ok:
                _restore_op(run, ctx, Operation.of("reload_pin", to="run"))
            ctx.session.reset()
        if ctx.pin_now != ctx.pin:
            out = _restore_op(run, ctx, Operation.of("change_pin", to="run"))
            if ctx.pin_now != ctx.pin and out is not None:
                run.restore_problems.append(f"the PIN could not be given back: {_last_sw(out)}")
        for (path, where), original in list(ctx.originals.items()):
            _write_file_back(run, ctx, path, where, original)
        ctx.session.reset()
        if ctx.pin_now != ctx.pin:  # which PIN the DUT holds is not certain: a VERIFY might spend a try
            run.unrefilled.add(PIN)
        else:  # refills the PIN counter a wrong VERIFY spent
            out = _restore_op(run, ctx, Operation.of("verify", pin="right"))
            if out and out[-1].sw == run.profile.sw.ok:
                run.unrefilled.discard(PIN)
            else:
                run.unrefilled.add(PIN)
                if out is not None:
                    run.restore_problems.append(f"the PIN: a right VERIFY to refill its try counter answered {_last_sw(out)}")
        ctx.session.reset()
    except TransportError as exc:
        run.fatal = exc
    run.apdus += ctx.capture.sent


def _restore_op(run: DiffRun, ctx: OperationContext, op: Operation) -> list[Exchange] | None:
    """One operation of a restore; refused (None) is a restore problem, and the next part is still tried."""
    try:
        return perform(op, ctx)
    except (AnswerError, TryGuardRefusal, OperationUnavailable) as exc:
        run.restore_problems.append(f"restoring the DUT: {exc}")
        return None


def _write_file_back(run: DiffRun, ctx: OperationContext, path: str, where: str, original: bytes) -> None:
    try:
        ctx.session.reset()
        if _content(run, ctx, path, where) == original:
            return
        ctx.session.reset()
        out = perform(_write_back(run, path, where), ctx)
        ctx.session.reset()
        if _content(run, ctx, path, where) != original:
            run.restore_problems.append(f"{path} ({where}) could not be written back: {_last_sw(out)}")
    except OperationUnavailable as exc:
        run.restore_problems.append(f"{path} ({where}) may differ from what the run found, and cannot be checked: {exc}")
    except (AnswerError, TryGuardRefusal) as exc:
        run.restore_problems.append(f"restoring the DUT: {exc}")


def _follow_appends(run: DiffRun, dut: Transport) -> None:
    """APPEND RECORD cannot be undone: the twins from now on hold the cyclic records the DUT holds."""
    import dataclasses

    from harness.diff.twin import read_cyclic

    session = CardSession(Terminal(dut, run.profile), check=False, identity=run.identity)
    try:
        cyclic = read_cyclic(session, run.psam, run.pin)
    except (AnswerError, TryGuardRefusal) as exc:
        run.restore_problems.append(f"the cyclic files could not be read after APPEND RECORD: {exc}")
        return
    run.personalization = dataclasses.replace(run.personalization, cyclic_records=cyclic)
    run._twin_image = None


def _content(run: DiffRun, ctx: OperationContext, path: str, where: str) -> bytes | None:
    """The target of a write as the DUT holds it now (read with the file's read right)."""
    kind, _, place = where.partition(" ")
    if kind == "binary":
        offset, length = place.split("+")
        out = perform(Operation.of("read_binary", path=path, offset=offset, length=length, auth="rule"), ctx)
    else:
        out = perform(Operation.of("read_record", path=path, number=place, auth="rule"), ctx)
    last = out[-1] if out else None
    return bytes.fromhex(last.data) if last is not None and last.sw == 0x9000 and last.data is not None else None


def _write_back(run: DiffRun, path: str, where: str) -> Operation:
    kind, _, place = where.partition(" ")
    rule = run.profile.file(path).rule("update")
    if kind == "binary":
        offset, length = place.split("+")
        return Operation.of("update_binary", path=path, offset=offset, length=length, value="original")
    if rule is not None and rule.sm_keys:
        return Operation.of("sm_update", path=path, number=place, value="original")
    return Operation.of("update_record", path=path, number=place, value="original")


def _last_sw(exchanges: list[Exchange]) -> str:
    return f"{exchanges[-1].sw:04X}" if exchanges and exchanges[-1].sw is not None else "no answer"


def _found(run: DiffRun, known: set[tuple[str, str, str]]) -> None:
    assert run._failing is not None and run._failure is not None
    found = FoundDivergence(run._failing, run._failure, _requirements(run, run._failing[-1], run._failure), run._first_seen or run.apdus)
    run._first_seen = None
    known.add(found.signature)
    run.divergences.append(found)
    if run.replace_dut is not None:  # the last shrink attempt's card was not restored: the search goes on with a fresh one
        try:
            run.open_dut = run.replace_dut()
            run.unrefilled.clear()
            run.refused_right.clear()
        except TransportError as exc:
            run.fatal = exc


def _probe_suspects(run: DiffRun, known: set[tuple[str, str, str]]) -> None:
    """Each of `DiffRun.suspects` as a sequence of its own (a reset and the operation), before the
    search. A card that refused a right the key set grants (a key that differs from the key set's
    diversification) spent a try of that key on the twin's personalization already; the search
    would spend another on its first divergence and the try guard keeps the last, so no shrink
    attempt could re-run it. Probed first, the divergence is seen in its shortest form at once."""
    if not run.suspects:
        return
    machine: Callable[[], Any] = _machine(run, known)
    for op in run.suspects:
        if not run.budget_left() or len(run.divergences) >= MAX_DIVERGENCES:
            return
        before = run.apdus
        attempt = machine()  # driven here, not by Hypothesis
        attempt.candidate = True  # keeps nothing itself: judged below
        try:
            attempt.start()
            attempt._do(op)
        except (Divergence, UnsatisfiedAssumption):
            pass
        finally:
            attempt.teardown()
        found: Divergence | None = attempt.diverged
        if found is None or not attempt.steps or _signature(attempt.steps[-1].op, found) in known:
            continue
        run._failing, run._failure, run._first_seen = list(attempt.steps), found, before
        _found(run, known)
        if run.stop_at_first:
            return


def run_lockstep(run: DiffRun) -> DiffRun:
    """The suspects first (`_probe_suspects`), then rounds of Hypothesis runs until the budget is
    spent (or MAX_DIVERGENCES, or the first divergence with `stop_at_first`); fills the run's results."""
    known: set[tuple[str, str, str]] = set()
    _probe_suspects(run, known)
    if run.stop_at_first and run.divergences:
        return run
    while run.budget_left() and len(run.divergences) < MAX_DIVERGENCES:
        machine = _machine(run, known)
        run._failing, run._failure = None, None
        config = settings(
            max_examples=EXAMPLES_PER_ROUND,
            stateful_step_count=STEPS_PER_EXAMPLE,
            deadline=None,
            database=None,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            print_blob=False,
            verbosity=VERBOSITY,
        )
        try:
            run_state_machine_as_test(machine, settings=config)
        except Divergence:
            _found(run, known)
            if run.stop_at_first:
                break
        except HypothesisException:
            if run._failing is not None and run._failure is not None:  # shrinking ran out of budget: keep the shortest seen
                _found(run, known)
                if run.stop_at_first:
                    break
        run.rounds += 1  # a new round permutes the catalogue anew
    return run


def twin_card(run: DiffRun) -> ReferenceCard:
    """A fresh twin (for reports and tests that want to look at it)."""
    return build_twin(run.profile, run.personalization, run.keyset)[0]
