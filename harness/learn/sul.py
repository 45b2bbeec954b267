"""The card as a system under learning: abstract symbols in, abstract outputs out, every query from
a restored card. Symbols are operations of the replay registry (harness/replay/operations.py), so
a distinguishing sequence is a replay script as it stands.

Why each piece is here:
- *Restore before every query*: a membership query must start in the same state, and a real card
  cannot be re-personalized between queries. The restore is itself a list of operations
  (`RestorePlan.operations`): reset, VERIFY with the right PIN (after UNBLOCK PIN with the PUK
  when a destructive query blocked it), APPLICATION UNBLOCK when a query may have blocked the
  application, a right EXTERNAL AUTHENTICATE with each key the alphabet uses (a right cryptogram
  restores its try counter), each record the alphabet writes given its original back, reset. Only
  the parts the previous query's symbols can have changed are performed.
- *Guard*: without ``--allow-destructive`` a query never presents more wrong PINs than the try
  counter minus one; wrong or replayed key cryptograms are always kept below the key's tries (a
  blocked key cannot be restored). A symbol the guard withholds sends nothing and outputs
  ``guard``.
- *Output abstraction*: the status word alone misses effect faults and challenge reuse, so an
  output is the status word plus what the data says: a read shows ``orig`` or ``other`` (against
  the content before the first write: the alphabet's writes write one changed value), GET
  CHALLENGE ``fresh`` or ``repeat`` (against every challenge of this query, across resets).
- *Budget*: every APDU is counted; past ``max_apdus`` the query stops with `BudgetExceeded`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aalpy.base import SUL

from harness.learn.alphabet import Alphabet, Symbol
from harness.replay.operations import Exchange, Operation, OperationContext, perform
from ssc.profile.model import Profile
from terminal.errors import HarnessError
from terminal.psam_client import PsamClient
from terminal.transports.base import Transport, WrappingTransport

__all__ = ["GUARD", "NOTHING", "BudgetExceeded", "CardSUL", "CountingTransport", "RestoreFailed", "RestorePlan"]

GUARD = "guard"  # the guard withheld the symbol: nothing was sent
NOTHING = "-"  # the symbol sent no APDU (a reset)
WRITES = frozenset({"update_record", "sm_update", "update_binary"})
LIFECYCLE = frozenset({"application_block", "application_unblock"})


class BudgetExceeded(HarnessError):
    """Learning needed more APDUs than ``--max-apdus`` allows."""


class RestoreFailed(HarnessError):
    """The card refuses a step of the restore (the right PIN, a right cryptogram): no query can
    start from a known state, so the card cannot be learned (wrong keys, a wrong PIN?)."""


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

    @property
    def latency(self) -> float:
        """Mean seconds per APDU so far, the resets' time included (0 before the first APDU)."""
        return self.seconds / self.apdus if self.apdus else 0.0


@dataclass
class RestorePlan:
    """What a query may change and the operations that put it back (derived from the alphabet)."""

    keys: tuple[str, ...]
    writes: tuple[Operation, ...]  # the alphabet's write operations, given value=original to restore
    pin_destructive: bool
    lifecycle: bool

    def operations(self, touched: set[str] | None) -> list[Operation]:
        """The restore for a previous query that performed the operations `touched` (None: all)."""
        ops = [Operation.of("reset")]
        if touched is not None and not touched - {"reset", "power_cycle"}:
            return ops
        if self.lifecycle and (touched is None or touched & LIFECYCLE):
            ops.append(Operation.of("application_unblock"))  # answered with an error when not blocked
        if touched is None or "change_pin" in touched:
            ops.append(Operation.of("change_pin", to="run"))  # nothing sent when the card holds the run PIN
        if touched is None or touched & {"verify", "change_pin", "unblock_pin"}:
            ops.append(Operation.of("verify", pin="right"))
        if touched is None or "external_authenticate" in touched:
            ops += [Operation.of("external_authenticate", key=k) for k in self.keys]
        if touched is None or touched & WRITES:
            for w in self.writes:
                ops.append(_restoring(w))
        ops.append(Operation.of("reset"))
        return ops


def _restoring(write: Operation) -> Operation:
    """The write that gives the content back: the same target, value=original, with its right."""
    args = {k: v for k, v in write.args if k not in ("value", "mac", "auth")}
    if write.name == "sm_update":
        return Operation.of("sm_update", **args, value="original")
    return Operation.of(write.name, **args, value="original", auth="rule")


@dataclass
class _Query:
    challenges: set[bytes] = field(default_factory=set)
    wrong_pins: int = 0
    wrong_keys: dict[str, int] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)


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
        self.destructive = destructive
        self.pin_tries = profile.security.pin.tries
        self.plan = RestorePlan(
            keys=tuple(sorted({s.op.arg("key") for s in alphabet.symbols if s.op.name == "external_authenticate"})),
            writes=tuple(dict.fromkeys(s.op for s in alphabet.symbols if s.op.name in WRITES)),
            pin_destructive=destructive,
            lifecycle=any(s.op.name in LIFECYCLE for s in alphabet.symbols),
        )
        self.originals: dict[Operation, bytes] = {}
        self.query_state = _Query()
        self._previous: set[str] | None = None  # None: restore everything before the first query
        self._log: list[tuple[Operation, list[Exchange]]] | None = None
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
        self._previous = None

    def _read_granted(self, op: Operation, *, every_term: bool = False) -> bytes | None:
        """The data `op` reads from a reset card (after granting every term of the read rule
        first when `every_term`); None when the card or the terminal cannot give it."""
        self._do(Operation.of("reset"))
        try:
            if every_term:
                rule = self.profile.file(op.arg("path")).rule("read")
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

    def record(self, word: tuple[str, ...]) -> tuple[list[tuple[Operation, list[Exchange]]], int, list[str]]:
        """`word` from a fully restored card, uncached: every operation performed (restore
        first) with its exchanges, how many of them are the restore, and the outputs."""
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
        checks that the card accepts the right PIN and every right cryptogram (`RestoreFailed`)."""
        full = self._previous is None
        for op in self.plan.operations(self._previous):
            if op.name == "verify":
                self._do(op)
                if self._last_sw() != 0x9000 and self.plan.pin_destructive:
                    self._do(Operation.of("unblock_pin"))
                    self._do(op)
            elif op.name in WRITES:
                if op.name == "sm_update" or self.ctx.originals:
                    try:
                        self._do(op)
                    except HarnessError:
                        pass  # nothing was written yet: nothing to give back
            else:
                self._do(op)
            if full and op.name in ("verify", "external_authenticate") and self._last_sw() != 0x9000:
                sw = self._last_sw()
                raise RestoreFailed(
                    f"the card refuses the restore's {op} ({'no answer' if sw is None else f'{sw:04X}'}): "
                    "no query can start from a known state (wrong keys or PIN for this card?)"
                )
        self.ctx.last_external_auth = None

    def _last_sw(self) -> int | None:
        last = self.transport.last
        return int.from_bytes(last[1][-2:], "big") if last is not None and len(last[1]) >= 2 else None

    def pre(self) -> None:
        self.restore()
        self.query_state = _Query()

    def post(self) -> None:
        self._previous = self.query_state.touched

    def step(self, letter: str | None) -> str:
        if letter is None:
            return NOTHING
        symbol = self.symbols[letter]
        if self._guarded(symbol):
            return GUARD
        op = symbol.op
        self.query_state.touched.add(op.name)
        if op.name == "external_authenticate" and op.arg("cryptogram", "right") == "replayed":
            self.ctx.last_external_auth = None  # the symbol replays its own right authentication
        exchanges = self._do(op)
        out = self._abstract(symbol, exchanges)
        self._account(symbol, out)
        return out

    def _guarded(self, symbol: Symbol) -> bool:
        op, q = symbol.op, self.query_state
        if op.name == "verify" and op.arg("pin") == "wrong" and not self.destructive:
            return q.wrong_pins >= self.pin_tries - 1
        if op.name == "external_authenticate" and op.arg("cryptogram", "right") != "right":
            tries = self.profile.key(op.arg("key")).tries
            return q.wrong_keys.get(op.arg("key"), 0) >= tries - 1
        return False

    def _account(self, symbol: Symbol, out: str) -> None:
        op, q = symbol.op, self.query_state
        if op.name == "verify":
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

    def _abstract(self, symbol: Symbol, exchanges: list[Exchange]) -> str:
        last = self.transport.last
        if not exchanges or last is None or exchanges[-1].sw is None:
            return NOTHING
        answer = last[1]
        sw = answer[-2:].hex().upper()
        data = answer[:-2]
        if sw != "9000":
            return sw
        op = symbol.op
        if op.name == "get_challenge":
            seen = data in self.query_state.challenges
            self.query_state.challenges.add(data)
            return f"{sw} {'repeat' if seen else 'fresh'}"
        if op.name in ("read_record", "read_binary"):
            return f"{sw} {'orig' if data == self.originals.get(op) else 'other'}"
        return sw
