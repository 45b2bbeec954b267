from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

from aalpy.base import SUL

from harness.learn.alphabet import Alphabet, Symbol
from harness.replay.operations import Exchange, Operation, OperationContext, changed_value, perform
from ssc.profile.model import Profile
from terminal.errors import HarnessError
from terminal.psam_client import PsamClient
from terminal.transports.base import Transport, WrappingTransport

__all__ = [
    "GUARD",
    "NOTHING",
    "BudgetExceeded",
    "CardSUL",
    "CountingTransport",
    "Evidence",
    "Leftover",
    "RestoreFailed",
    "RestorePlan",
    "RestoreUnverified",
    "probe_hook",
]

GUARD = "guard"  # the guard withheld the symbol: nothing was sent
NOTHING = "-"  # the symbol sent no APDU (a reset)
WRITES = frozenset({"update_record", "sm_update", "update_binary", "torn_update"})
TORN = frozenset({"torn_update", "torn_verify"})  # operations through the tearing test hook (PROFILE §6.5)
CUT, ANSWERED, NO_HOOK = "cut", "answered", "nohook"  # a torn symbol's outcome: no answer, an answer, the arm refused
LIFECYCLE = frozenset({"application_block", "application_unblock"})
PIN_CHANGES = frozenset({"change_pin", "reload_pin", "unblock_pin"})
_IA_D = bytes(range(0x11, 0x19))  # the registry's default INTERNAL AUTHENTICATE data (operations._IA_D)
_IA_F = bytes(range(1, 9))
_BINARY_PROBE = "16"  # the registry's default length of a transparent-file access

Log = list[tuple[Operation, list[Exchange]]]


class BudgetExceeded(HarnessError):
    """Learning needed more APDUs than ``--max-apdus`` allows."""


class RestoreFailed(HarnessError):
    """The card refuses a step of the restore that no symbol can show (the run PIN at set-up, a
    restore step the alphabet has no symbol for): no query can start from a known state."""


@dataclass(frozen=True)
class Evidence:
    """What the card answered on the way to a failed restore: the previous query and the restore's
    operations as symbols (`sequence`, `outputs`), the operations performed before them
    (`restore_log`) and each symbol's operations (`steps`) — a replay script as it stands."""

    sequence: tuple[str, ...]
    outputs: tuple[str, ...]
    restore_log: Log
    steps: tuple[Log, ...]


class RestoreUnverified(HarnessError):
    """A restore after a query could not be verified (the VERIFY after giving the PIN back, a right
    cryptogram refused): the card cannot be put back, learning stops; `evidence` is the sequence
    that led there with the card's answers (a difference when the model answers otherwise)."""

    def __init__(self, message: str, evidence: Evidence) -> None:
        super().__init__(message)
        self.evidence = evidence


class CountingTransport(WrappingTransport):
    """Counts APDUs and the time the card took; keeps the last raw exchange (the abstraction
    needs the final answer's data, which the recorded exchanges mask or drop for challenges)."""

    def __init__(self, inner: Transport) -> None:
        super().__init__(inner)
        self.apdus = 0
        self.seconds = 0.0
        self._budget: int | None = None
        self.limit: int | None = None  # the count at which the budget is spent (set through `budget`)
        self.last: tuple[bytes, bytes] | None = None

    @property
    def budget(self) -> int | None:
        return None if self.limit is None else self.limit - self.apdus

    @budget.setter
    def budget(self, apdus: int | None) -> None:
        """Allow `apdus` more APDUs from now (None: no bound)."""
        self._budget = apdus
        self.limit = None if apdus is None else self.apdus + apdus

    def transmit(self, command: bytes) -> bytes:
        if self.limit is not None and self.apdus >= self.limit:
            raise BudgetExceeded(f"learning needs more than --max-apdus {self._budget:,} APDUs")
        start = time.perf_counter()
        answer = self.inner.transmit(command)
        self.seconds += time.perf_counter() - start
        self.apdus += 1
        self.last = (bytes(command), bytes(answer))
        return answer

    def reset(self, **options: float) -> bytes:
        start = time.perf_counter()
        atr = self.inner.reset(**options)
        self.seconds += time.perf_counter() - start  # resets are part of the cost per APDU
        return atr

    def power_cycle(self) -> bytes:
        start = time.perf_counter()
        atr = self.inner.power_cycle()
        self.seconds += time.perf_counter() - start
        return atr

    @property
    def latency(self) -> float:
        """Mean seconds per APDU so far, the resets' time included (0 before the first APDU)."""
        return self.seconds / self.apdus if self.apdus else 0.0


@dataclass(frozen=True)
class Leftover:
    """What a finished query may have left changed on the card, as the terminal knows it."""

    ops: frozenset[str]  # operation names performed
    pin_spent: bool = False  # a wrong PIN was presented after the last accepted one
    keys_spent: frozenset[str] = frozenset()  # keys whose last cryptogram the card refused
    written: bool = False  # a write the card accepted


@dataclass(frozen=True)
class RestorePlan:
    """What a query may change and the operations that put it back (derived from the alphabet)."""

    keys: tuple[str, ...]
    writes: tuple[Operation, ...]  # the alphabet's write operations, given value=original to restore
    pin_destructive: bool
    lifecycle: bool

    def operations(self, left: Leftover | None) -> list[Operation]:
        """The restore after a query that left `left` (None: unknown, restore everything)."""
        ops = [Operation.of("reset")]
        every = left is None
        if self.lifecycle and (left is None or left.ops & LIFECYCLE):
            ops.append(Operation.of("application_unblock"))  # answered with an error when not blocked
        if left is None or left.ops & {"change_pin", "reload_pin"}:
            ops.append(Operation.of("change_pin", to="run"))  # nothing sent when the card holds the run PIN
        if left is None or left.pin_spent or left.ops & PIN_CHANGES:
            ops.append(Operation.of("verify", pin="right"))
        if left is None or left.ops & WRITES:
            ops += [_restoring(w) for w in self.writes]  # before the keys: a write-back's own authentication restores its key
        ops += [Operation.of("external_authenticate", key=k) for k in self.keys if every or k in left.keys_spent]  # type: ignore[union-attr]  # every is left is None
        if len(ops) > 1:
            ops.append(Operation.of("reset"))
        return ops


def probe_hook(transport: Transport, profile: Profile) -> str | None:
    """None when the card arms a power cut on the tearing hook's `FF 7E` (dropped by the reset
    that follows), else the not-applicable reason with the card's answer."""
    from checks.security.tearing import hook_present
    from terminal.channel import Terminal
    from terminal.session import CardSession

    return hook_present(CardSession(Terminal(transport, profile), check=False))


def _plain_write(op: Operation, profile: Profile) -> Operation:
    """A torn update's target as the plain write the restore gives back (the others unchanged)."""
    if op.name != "torn_update":
        return op
    args = {k: v for k, v in op.args if k != "cut"}
    return Operation.of("update_binary" if profile.file(op.arg("path")).kind == "transparent" else "update_record", **args)


def _restoring(write: Operation) -> Operation:
    """The write that gives the content back: the same target, value=original, with its right."""
    args = {k: v for k, v in write.args if k not in ("value", "mac", "auth")}
    if write.name == "sm_update":
        return Operation.of("sm_update", **args, value="original")
    return Operation.of(write.name, **args, value="original", auth="rule")


def _same_op(a: Operation, b: Operation) -> bool:
    """The same operation once the registry's defaults are filled in."""
    defaults = {"cryptogram": "right", "mac": "right", "probe": "plain", "by": "name"}
    return a.name == b.name and {**defaults, **dict(a.args)} == {**defaults, **dict(b.args)}


@dataclass
class _Query:
    challenges: set[bytes] = field(default_factory=set)
    results: set[bytes] = field(default_factory=set)  # INTERNAL AUTHENTICATE results of the query
    wrong_pins: int = 0
    wrong_keys: dict[str, int] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    written: bool = False
    word: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    restore_log: Log = field(default_factory=list)
    steps: list[Log] = field(default_factory=list)

    def leftover(self) -> Leftover:
        return Leftover(
            frozenset(self.touched),
            self.wrong_pins > 0,
            frozenset(k for k, n in self.wrong_keys.items() if n > 0),
            self.written,
        )


class CardSUL(SUL):  # aalpy is untyped: SUL is Any to mypy
    def __init__(
        self,
        transport: Transport,
        profile: Profile,
        psam: PsamClient | None,
        pin: str,
        alphabet: Alphabet,
        *,
        destructive: bool,
    ) -> None:
        super().__init__()
        self.transport = transport if isinstance(transport, CountingTransport) else CountingTransport(transport)
        self.profile = profile
        self.alphabet = alphabet
        self.symbols = {s.name: s for s in alphabet.symbols}
        self.ctx = OperationContext.over(self.transport, profile, pin, psam, allow_destructive=True)
        self.ctx.session.items_by_number = True  # the identity is read even from a card that refuses reading by tag
        self.destructive = destructive
        self.pin_tries = profile.security.pin.tries
        self.plan = RestorePlan(
            keys=tuple(sorted({s.op.arg("key") for s in alphabet.symbols if s.op.name == "external_authenticate"})),
            writes=tuple(dict.fromkeys(_plain_write(s.op, profile) for s in alphabet.symbols if s.op.name in WRITES)),
            pin_destructive=destructive,
            lifecycle=any(s.op.name in LIFECYCLE for s in alphabet.symbols),
        )
        self.originals: dict[Operation, bytes] = {}
        self.refused: dict[str, tuple[str, list[Exchange]]] = {}  # key → set-up answer to its right cryptogram
        self.notes: list[str] = []  # what the run should tell the operator (a refused key)
        self.evidence: Evidence | None = None  # set when a restore could not be verified: the card is lost
        self._expected: dict[tuple[int, bytes, bytes], bytes] = {}  # INTERNAL AUTHENTICATE results the PSAM computed
        self.query_state = _Query()
        self._previous: _Query | None = None  # None: restore everything before the next query
        self._log: Log | None = None
        self.hook: str | None = None  # why the card cannot be torn (no tearing hook), None when it can
        if any(s.op.name in TORN for s in alphabet.symbols):
            self.hook = probe_hook(self.transport, profile)
            if self.hook is not None:
                self.notes.append(
                    f"{self.hook.split(' / ')[-1]}: the torn symbols answer that (`{NO_HOOK}`) and this alphabet cannot see tearing"
                )
        self._read_originals()

    # -- set-up -----------------------------------------------------------------------------------

    def _read_originals(self) -> None:
        """What every read of the alphabet should answer on the restored card: read at set-up with
        the file's right, a record read by tag read *by number* (the same record read another way,
        so a card that answers a tag with the wrong record shows ``other``). When the cheapest grant
        of the rule is refused, every condition of the rule is granted (a card that enforces an
        'or' as an 'and' must not make its own reference value unreadable)."""
        self.restore()
        for s in self.alphabet.symbols:
            if s.op.name in ("read_record", "read_binary") and s.op not in self.originals:
                args = dict(s.op.args)
                if s.op.name == "read_record" and "tag" in args:
                    record = self.profile.file(args["path"]).record_by_tag(int(args.pop("tag"), 16))
                    if record is not None:
                        args["number"] = str(record.number)
                    else:
                        args = dict(s.op.args)
                data = self._read_granted(Operation(s.op.name, tuple(sorted({**args, "auth": "rule"}.items()))))
                if data is None:
                    data = self._read_granted(Operation(s.op.name, tuple(sorted({**args, "auth": "none"}.items()))), every_term=True)
                if data is not None:
                    self.originals[s.op] = data
        if self.ctx.psam is not None:
            try:
                self.ctx.session.identity()  # read now, not in the middle of a query (INTERNAL AUTHENTICATE's factors)
            except HarnessError:
                pass  # the symbols that need it fail as the card's answer says
        self._previous = None

    def _read_granted(self, op: Operation, *, every_term: bool = False) -> bytes | None:
        """The data `op` reads from a reset card (after granting every term of the read rule
        first when `every_term`); None when the card or the terminal cannot give it."""
        rule = self.profile.file(op.arg("path")).rule("read")
        if rule is not None and rule.keys & set(self.refused):
            return None  # the grant would spend a try of a key the learner cannot restore
        self._do(Operation.of("reset"))
        try:
            if every_term:
                if rule is None:
                    return None
                if rule.needs_pin:
                    self._do(Operation.of("verify", pin="right"))
                for key in sorted(rule.keys - rule.sm_keys):
                    self._do(Operation.of("external_authenticate", key=key))
            self._do(op)
        except HarnessError:
            return None  # the terminal cannot obtain the right (a bank key): any data read is "other"
        last = self.transport.last
        return last[1][:-2] if last is not None and last[1][-2:] == b"\x90\x00" else None

    # -- one query --------------------------------------------------------------------------------

    def _do(self, op: Operation) -> list[Exchange]:
        self.transport.last = None
        exchanges = perform(op, self.ctx)
        if self._log is not None:
            self._log.append((op, exchanges))
        return exchanges

    def record(self, word: tuple[str, ...]) -> tuple[Log, int, list[str]]:
        """`word` from a fully restored card, uncached: every operation performed (restore
        first) with its exchanges, how many of them are the restore, and the outputs. On a card
        whose restore failed, the evidence of that failure (or a prefix of it) is returned."""
        if self.evidence is not None:
            e = self.evidence
            if e.sequence[: len(word)] != tuple(word):
                raise RestoreFailed(f"the card can no longer be restored: {' → '.join(word)} cannot be performed again")
            steps = [entry for step in e.steps[: len(word)] for entry in step]
            return list(e.restore_log) + steps, len(e.restore_log), list(e.outputs[: len(word)])
        self._previous = None
        self._log = []
        try:
            self.pre()
            restore_length = len(self._log)
            outputs = [self.step(a) for a in word]
            self.post()
            return self._log, restore_length, outputs
        finally:
            self._log = None

    def restore(self) -> None:
        """Put back what the previous query's operations may have changed. The first, full restore
        checks that the card accepts the right PIN (`RestoreFailed`) and marks every key whose right
        cryptogram it refuses; a later restore that fails raises `RestoreUnverified`."""
        left = None if self._previous is None else self._previous.leftover()
        log: Log = []
        restored: set[str] = set()  # keys a write-back authenticated with (a right cryptogram accepted)
        for op in self.plan.operations(left):
            if op.name in WRITES:
                restored |= self._restore_write(op, left, log)
                continue
            if op.name == "external_authenticate" and left is not None and op.arg("key") in restored:
                continue
            mark = len(log)
            log.append((op, self._do(op)))
            if op.name == "verify" and self._last_sw() != 0x9000 and self.plan.pin_destructive:
                log.append((Operation.of("unblock_pin"), self._do(Operation.of("unblock_pin"))))
                log.append((op, self._do(op)))
            if op.name not in ("verify", "external_authenticate") or self._last_sw() == 0x9000:
                continue
            sw = self._last_sw()
            answer = "no answer" if sw is None else f"{sw:04X}"
            if left is None and op.name == "external_authenticate":
                self._refuse(op.arg("key"), answer, log[mark][1])
            elif left is None:
                raise RestoreFailed(
                    f"the card refuses the restore's {op} ({answer}): no query can start from a known state (wrong PIN for this card?)"
                )
            else:
                raise self._unverified(f"after the query, the card refused the restore's {op} ({answer})", log)
        self.ctx.last_external_auth = None

    def _refuse(self, key: str, answer: str, exchanges: list[Exchange]) -> None:
        """The card refused a right cryptogram of `key` from the restored state: the key's try
        counter cannot be restored, so the key is never sent again; its symbols answer for it."""
        self.refused[key] = (answer, exchanges)
        self.plan = dataclasses.replace(self.plan, keys=tuple(k for k in self.plan.keys if k != key))
        self.notes.append(
            f"the card refuses a right EXTERNAL AUTHENTICATE with {key} ({answer}): another key than the key set's "
            f"(a fault, or the wrong key set for this card); {key} is not sent again (one try of it is spent)"
        )

    def _restore_write(self, op: Operation, left: Leftover | None, log: Log) -> set[str]:
        """Give a written record back: at once after an accepted write; after refused writes only
        if reading it back shows a change. Nothing when the alphabet's write never ran. The keys
        its granted write-back authenticated with (their try counters are restored by it)."""
        path = op.arg("path")
        f = self.profile.file(path)
        if op.name == "update_binary":
            where = f"binary {op.arg('offset', '0')}+{op.arg('length', _BINARY_PROBE)}"
        else:
            where = f"record {op.arg('number', str(f.records[0].number if f.records else 1))}"
        original = self.ctx.originals.get((path, where))
        if original is None:
            return set()  # nothing was written yet: nothing to give back
        if left is not None and not left.written and self._reads_back(op, original, log):
            return set()
        rule = f.rule("update")
        if rule is not None and rule.keys & set(self.refused):
            if left is None:
                return set()  # set-up: the learner has written nothing with a key it cannot use
            raise self._unverified(f"{path} changed and its write right needs {', '.join(sorted(rule.keys & set(self.refused)))}", log)
        try:
            log.append((op, self._do(op)))
        except HarnessError:
            return set()  # the terminal cannot obtain the right: the next query shows what is left
        granted = op.name != "sm_update" and self._last_sw() == 0x9000 and rule is not None and rule.kind == "single"
        return set(rule.keys - rule.sm_keys) if granted and rule is not None else set()

    def _reads_back(self, op: Operation, original: bytes, log: Log) -> bool:
        """Whether the content `op` writes still holds `original` (False when it cannot be read
        freely: then the write-back is the cheaper certainty)."""
        rule = self.profile.file(op.arg("path")).rule("read")
        if rule is None or not rule.is_free:
            return False
        if op.name == "update_binary":
            probe = Operation.of("read_binary", path=op.arg("path"), offset=op.arg("offset", "0"), length=op.arg("length", _BINARY_PROBE))
        else:
            f = self.profile.file(op.arg("path"))
            probe = Operation.of("read_record", path=op.arg("path"), number=op.arg("number", str(f.records[0].number if f.records else 1)))
        log.append((probe, self._do(probe)))
        last = self.transport.last
        return last is not None and last[1][-2:] == b"\x90\x00" and last[1][:-2] == original

    def _unverified(self, what: str, log: Log) -> HarnessError:
        """The evidence of a failed restore: the previous query, then the restore's operations up
        to the refused one as symbols (when the alphabet has a symbol for each)."""
        prev = self._previous or _Query()
        sequence, outputs, steps = list(prev.word), list(prev.outputs), list(prev.steps)
        for op, exchanges in log:
            symbol = next((s for s in self.alphabet.symbols if _same_op(s.op, op)), None)
            if symbol is None:
                return RestoreFailed(f"{what}; the alphabet has no symbol for the restore's {op}, so no sequence can show it")
            last = exchanges[-1] if exchanges else None
            outputs.append(NOTHING if last is None or last.sw is None else f"{last.sw:04X}")
            sequence.append(symbol.name)
            steps.append([(op, exchanges)])
        self.evidence = Evidence(tuple(sequence), tuple(outputs), list(prev.restore_log), tuple(steps))
        return RestoreUnverified(f"{what}: the card cannot be put back (it may still hold what the query left)", self.evidence)

    def _last_sw(self) -> int | None:
        last = self.transport.last
        return int.from_bytes(last[1][-2:], "big") if last is not None and len(last[1]) >= 2 else None

    def pre(self) -> None:
        if self.evidence is not None:
            raise RestoreFailed("the card can no longer be restored (a restore failed before)")
        outer = self._log
        self._log = []
        try:
            self.restore()
        finally:
            restore_log, self._log = self._log, outer
            if outer is not None:
                outer.extend(restore_log)
        self.query_state = _Query(restore_log=restore_log)

    def post(self) -> None:
        self._previous = self.query_state

    def step(self, letter: str | None) -> str:
        if letter is None:
            return NOTHING
        q = self.query_state
        outer = self._log
        self._log = []
        try:
            out = self._step(self.symbols[letter])
        finally:
            entries, self._log = self._log, outer
            if outer is not None:
                outer.extend(entries)
        q.word.append(letter)
        q.outputs.append(out)
        q.steps.append(entries)
        return out

    def _step(self, symbol: Symbol) -> str:
        op = symbol.op
        if op.name == "external_authenticate" and op.arg("key") in self.refused:
            if op.arg("cryptogram", "right") != "right":
                return GUARD  # never sent again: its try counter could not be restored
            answer, exchanges = self.refused[op.arg("key")]
            assert self._log is not None  # step() collects the symbol's operations
            self._log.append((op, exchanges))
            return answer
        if self._guarded(symbol):
            return GUARD
        self.query_state.touched.add(op.name)
        if op.name == "external_authenticate" and op.arg("cryptogram", "right") == "replayed":
            self.ctx.last_external_auth = None  # the symbol replays its own right authentication
        if op.name == "internal_authenticate":
            op = self._varied(op)
        exchanges = self._do(op)
        out = self._abstract(op, exchanges)
        self._account(op, out)
        return out

    def _varied(self, op: Operation) -> Operation:
        """The n-th INTERNAL AUTHENTICATE of a query carries D with its last byte xor n, spelled
        out (the replay script performs exactly what was sent)."""
        n = sum(1 for s in self.query_state.word if self.symbols[s].op.name == "internal_authenticate")
        d = bytes.fromhex(op.arg("d", _IA_D.hex()))
        args = {**dict(op.args), "f": op.arg("f", _IA_F.hex()), "d": (d[:-1] + bytes([d[-1] ^ n])).hex()}
        return Operation.of(op.name, **args)

    def _guarded(self, symbol: Symbol) -> bool:
        op, q = symbol.op, self.query_state
        if (op.name == "verify" and op.arg("pin") == "wrong" or op.name == "torn_verify") and not self.destructive:
            return q.wrong_pins >= self.pin_tries - 1  # a torn VERIFY may spend a try even with the right PIN
        if op.name == "external_authenticate" and op.arg("cryptogram", "right") != "right":
            tries = self.profile.key(op.arg("key")).tries
            return q.wrong_keys.get(op.arg("key"), 0) >= tries - 1
        return False

    def _account(self, op: Operation, out: str) -> None:
        q = self.query_state
        if op.name == "torn_verify":
            if not out.endswith(NO_HOOK):
                q.wrong_pins += 1  # a cut after the counter's write leaves a try spent: the restore verifies
        elif op.name == "verify":
            if op.arg("pin") == "wrong":
                q.wrong_pins += 1
            elif out.startswith("9000"):
                q.wrong_pins = 0
        elif op.name == "external_authenticate":
            key, kind = op.arg("key"), op.arg("cryptogram", "right")
            if kind != "right" and out != NOTHING and not out.startswith("9000"):
                q.wrong_keys[key] = q.wrong_keys.get(key, 0) + 1  # a refused replay may cost a try too
            elif kind == "right" and out.startswith("9000"):
                q.wrong_keys[key] = 0
            elif kind == "right":
                q.wrong_keys[key] = q.wrong_keys.get(key, 0) + 1  # a refused right cryptogram: restore the key
        elif op.name in WRITES and out.startswith("9000"):
            q.written = True

    def _abstract(self, op: Operation, exchanges: list[Exchange]) -> str:
        if op.name in TORN:
            return self._torn_outcome(exchanges)
        last = self.transport.last
        if not exchanges or last is None or exchanges[-1].sw is None:
            return NOTHING
        answer = last[1]
        sw = answer[-2:].hex().upper()
        data = answer[:-2]
        if sw != "9000":
            return sw
        q = self.query_state
        if op.name == "get_challenge":
            seen = data in q.challenges
            q.challenges.add(data)
            return f"{sw} {'repeat' if seen else 'fresh'}"
        if op.name in ("read_record", "read_binary"):
            return f"{sw} {self._content(data, self.originals.get(op), op.name == 'read_record')}"
        if op.name == "update_record" and op.arg("value", "changed") == "wrong_tag":
            return self._refused_write(op, exchanges, data)
        if op.name == "internal_authenticate":
            seen = data in q.results
            q.results.add(data)
            valid = self._internal_result(op)
            verdict = "" if valid is None else (" valid" if data == valid else " invalid")
            return f"{sw}{verdict} {'repeat' if seen else 'fresh'}"
        return sw

    @staticmethod
    def _content(data: bytes, original: bytes | None, record: bool) -> str:
        """`orig` (what the restored card holds), `torn` (the alphabet's changed value over the
        first bytes and the original after them: a write a power cut tore, kept half done) or
        `other`."""
        if data == original:
            return "orig"
        if original is None:
            return "other"
        new = changed_value(original, record=record)
        if len(data) == len(original) and data != new and any(data == new[:k] + original[k:] for k in range(1, len(data))):
            return "torn"
        return "other"

    def _refused_write(self, op: Operation, exchanges: list[Exchange], data: bytes) -> str:
        """A write under a wrong tag and its read-back (the operation reads the record by number
        with the file's right): the write's status word and whether the record still holds what
        it held before the query (`orig`) — a card that answers 6A80 but stores shows `other`."""
        ins = f"{self.profile.command('update_record').ins:02X}"
        write = next((e for e in reversed(exchanges) if e.sw is not None and e.command[2:4].upper() == ins), None)
        if write is None or write is exchanges[-1]:
            return f"{exchanges[-1].sw:04X}"  # refused before the write, or no read-back
        f = self.profile.file(op.arg("path"))
        number = op.arg("number", str(f.records[0].number if f.records else 1))
        original = self.ctx.originals.get((op.arg("path"), f"record {number}"))
        return f"{write.sw:04X} {self._content(data, original, True)}"

    def _torn_outcome(self, exchanges: list[Exchange]) -> str:
        """What a torn symbol saw: `cut` (the armed command got no answer), `SW answered` (the card
        answered with a cut armed), `SW nohook` (the arm refused: no tearing hook), or the status
        word of a preparatory step the card refused before the arm."""
        arm_at = next((i for i, e in enumerate(exchanges) if e.command[:4].upper() == self._hook_cla_ins), None)
        if arm_at is None:
            commands = [e for e in exchanges if e.sw is not None]
            return f"{commands[-1].sw:04X}" if commands else NOTHING
        armed = exchanges[arm_at]
        if armed.sw != 0x9000:
            return f"{armed.sw:04X} {NO_HOOK}"
        answers = [e for e in exchanges[arm_at + 1 :] if e.sw is not None]
        return f"{answers[0].sw:04X} {ANSWERED}" if answers else CUT

    @property
    def _hook_cla_ins(self) -> str:
        cmd = self.profile.command("tearing_hook")
        return f"{cmd.cla[0]:02X}{cmd.ins:02X}"

    def _internal_result(self, op: Operation) -> bytes | None:
        """What the card's INTERNAL AUTHENTICATE result should be under the key set's internal key
        (computed by the PSAM; None without one)."""
        psam = self.ctx.psam
        if psam is None:
            return None
        version, f, d = int(op.arg("version", "00"), 16), bytes.fromhex(op.arg("f")), bytes.fromhex(op.arg("d"))
        if (version, f, d) not in self._expected:
            session = self.ctx.session
            irk = self.profile.internal_key()
            psam.select_for(session.algorithm)
            psam.derive("internal_auth", irk, version, session.factors(irk))
            self._expected[(version, f, d)] = psam.process(f, d)
        return self._expected[(version, f, d)]
