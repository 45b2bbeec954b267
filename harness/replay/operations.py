"""Card operations by name: the vocabulary of replay scripts, lockstep diffs and learned automata.

An `Operation` is a name and string arguments, nothing else: ``Operation("verify", (("pin",
"right"),))`` says *what* a terminal does ("VERIFY with the run PIN"), never the secret bytes, so a
script made of operations holds no PIN, key or cryptogram and replays on any card of the same key
set. `perform(op, ctx)` turns it into APDUs through the run's `CardSession` (which builds every
command from the profile) and the run's PSAM, and returns the exchanges it made, masked for
recording.

`OPERATIONS` is the registry: for each name the callable, the arguments it accepts (with their
allowed values, ``None`` = free text), whether it carries secrets (its exchanges are compared by
status word only when replayed elsewhere), whether it is destructive (it can block the card,
the PIN or a key, or leaves a trace that cannot be undone), and the requirements its command
belongs to (a divergence in it is classified under them).

Preparatory steps that the card refuses (the PIN a VERIFY before an update needs, an
authentication) stop the operation: `perform` returns the exchanges made up to and including the
refused one, because that answer is the observable outcome. The PSAM refusing is the harness's
problem and raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from checks.security.access_check import read_probe
from checks.security.access_plan import AUTH, DF_CHANGE, NO_CONDITION, PIN, RESET, SELECT_MF, SM, other_df, parse_conditions
from checks.security.pin_admin import restore_pin, temporary_pin, wrong_pin
from checks.security.pin_lengths import bad_new_pin, boundary_pin, pin_bytes
from checks.security.tearing import arm
from harness.dut import mask_rules
from ssc.apdu import CommandApdu
from ssc.codecs import decode_pin, encode_pin
from ssc.profile.model import FileDef, Profile
from terminal.channel import Response, Terminal
from terminal.errors import HarnessError, InputError
from terminal.grants import GrantError, grant, terminal_can_grant
from terminal.psam_client import PsamClient
from terminal.session import CardIdentity, CardSession, OperationError
from terminal.transports.base import CardUnavailableError, Transport, WrappingTransport
from terminal.transports.tracing import Masker
from terminal.transports.tryguard import TryGuardTransport

__all__ = [
    "BINARY_PROBE",
    "OPERATIONS",
    "CaptureTransport",
    "Exchange",
    "Operation",
    "OperationContext",
    "OperationSpec",
    "OperationUnavailable",
    "changed_value",
    "check_operation",
    "perform",
    "recorded",
    "recorder",
]

RESET_COMMAND = "RESET"  # the `command` of a recorded reset (its response is the ATR)
_IA_F = bytes(range(1, 9))  # default INTERNAL AUTHENTICATE factor and data: fixed, so replays compare
_IA_D = bytes(range(0x11, 0x19))


class OperationUnavailable(InputError):
    """An operation or argument this registry does not know, or one the context cannot perform
    (no PSAM for an authentication, a destructive one without permission)."""


@dataclass(frozen=True)
class Operation:
    """A named card operation with string arguments (sorted by `of`); hashable, JSON-friendly."""

    name: str
    args: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, name: str, **args: str) -> Operation:
        return cls(name, tuple(sorted(args.items())))

    def arg(self, key: str, default: str | None = None) -> str:
        for k, v in self.args:
            if k == key:
                return v
        if default is None:
            raise OperationUnavailable(f"operation {self.name}: argument {key!r} is missing")
        return default

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.args)
        return f"{self.name}({inner})"


@dataclass(frozen=True)
class Exchange:
    """One raw APDU exchange (or a reset) as recorded: `command` and `response` in hex with secret
    spans as ``**``; `sw` None for a reset. `comparable` is False when the response data cannot be
    expected to repeat (a fresh challenge) or is masked: then only the status word is compared."""

    command: str
    response: str
    sw: int | None
    data: str | None  # response data hex; None when masked or not comparable
    comparable: bool = True

    def same_outcome(self, other: Exchange) -> bool:
        if self.sw != other.sw:
            return False
        if self.sw is None:
            return self.response == other.response
        return self.data is None or other.data is None or self.data == other.data


class CaptureTransport(WrappingTransport):
    """Keeps the raw exchanges and resets that pass through since the last `take()`."""

    def __init__(self, inner: Transport) -> None:
        super().__init__(inner)
        self.events: list[tuple[bytes | None, bytes]] = []  # (command, response); command None = reset
        self.sent = 0  # commands sent since the capture was made

    def transmit(self, command: bytes) -> bytes:
        self.sent += 1
        response = self.inner.transmit(command)
        self.events.append((bytes(command), bytes(response)))
        return response

    def reset(self, **options: float) -> bytes:
        atr = self.inner.reset(**options)
        self.events.append((None, bytes(atr)))
        return atr

    def power_cycle(self) -> bytes:
        atr = self.inner.power_cycle()
        self.events.append((None, bytes(atr)))
        return atr

    def take(self) -> list[tuple[bytes | None, bytes]]:
        out, self.events = self.events, []
        return out


@dataclass
class OperationContext:
    """Where operations run: the card session, the run's secrets and what operations remember.

    `pin` is the run's PIN (the card's PIN when the run starts), `psam` computes cryptograms and
    MACs with the run's key set (None: authentication operations are unavailable). The session's
    terminal is re-wrapped with a `CaptureTransport` so `perform` can return the exchanges.
    `guard` is the DUT's try guard, which the one operation that runs the PIN down on purpose
    (`pin_run_down`, destructive) turns off while it does (None: no guard to turn off).
    """

    session: CardSession
    pin: str
    psam: PsamClient | None = None
    allow_destructive: bool = False
    pin_now: str = ""  # the PIN the card holds now (changes with change_pin)
    originals: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (path, where) → content before a write
    last_external_auth: bytes | None = None  # the last EXTERNAL AUTHENTICATE sent (for a replay)
    guard: TryGuardTransport | None = None
    capture: CaptureTransport = field(init=False)

    def __post_init__(self) -> None:
        if not self.pin_now:
            self.pin_now = self.pin
        terminal = self.session.terminal
        if isinstance(terminal.transport, CaptureTransport):
            self.capture = terminal.transport
        else:
            self.capture = CaptureTransport(terminal.transport)
            self.session.terminal = Terminal(self.capture, terminal.profile, t0=terminal.t0)
        self._masker = Masker(mask_rules(self.profile))
        self._challenge_ins = self.profile.command("get_challenge").ins

    @classmethod
    def over(
        cls,
        transport: Transport,
        profile: Profile,
        pin: str,
        psam: PsamClient | None = None,
        *,
        identity: CardIdentity | None = None,
        **kwargs: object,
    ) -> OperationContext:
        """A context on a bare transport (a session with unchecked answers is built on it).
        `identity`: the card's, read before (operations that rewrite EF05 must not make it unreadable)."""
        session = CardSession(Terminal(CaptureTransport(transport), profile), check=False, identity=identity)
        return cls(session, pin, psam, **kwargs)  # type: ignore[arg-type]  # **kwargs are the dataclass's keyword fields, checked there

    @property
    def profile(self) -> Profile:
        return self.session.profile

    def need_psam(self, what: str) -> PsamClient:
        if self.psam is None:
            raise OperationUnavailable(f"{what} needs a PSAM (the run's key set) and none was given")
        return self.psam

    def record(self, events: list[tuple[bytes | None, bytes]]) -> list[Exchange]:
        """Mask and classify raw events for recording (see `Exchange`)."""
        return recorded(self._masker, self._challenge_ins, events)


def recorded(masker: Masker, challenge_ins: int, events: list[tuple[bytes | None, bytes]]) -> list[Exchange]:
    """Raw (command, response) events as recorded `Exchange`s: secrets masked, a fresh challenge's
    data not comparable; a reset (command None) keeps the ATR as its data."""
    out = []
    for command, response in events:
        if command is None:
            out.append(Exchange(RESET_COMMAND, response.hex().upper(), None, response.hex().upper()))
            continue
        masked_command, masked_response, _ = masker.apply(command, response)
        sw = int.from_bytes(response[-2:], "big") if len(response) >= 2 else None
        fresh = len(command) >= 2 and command[1] == challenge_ins
        comparable = not fresh and masked_response.span is None
        data = response[:-2].hex().upper() if comparable else None
        out.append(Exchange(masked_command.hex(), masked_response.hex(), sw, data, comparable))
    return out


def recorder(profile: Profile) -> Callable[[list[tuple[bytes | None, bytes]]], list[Exchange]]:
    """`recorded` with the masks and the challenge instruction of `profile`."""
    masker = Masker(mask_rules(profile))
    ins = profile.command("get_challenge").ins
    return lambda events: recorded(masker, ins, events)


@dataclass(frozen=True)
class OperationSpec:
    """What the registry knows of one operation name."""

    run: Callable[[OperationContext, Operation], None]
    args: Mapping[str, tuple[str, ...] | None]  # argument → allowed values (None: free; names a file, key, hex…)
    secret: bool
    destructive: bool
    requirements: tuple[str, ...]
    optional: frozenset[str] = frozenset()  # arguments with a default

    def describe(self, name: str) -> str:
        parts = [f"{a}={'|'.join(v) if v else '…'}" for a, v in self.args.items()]
        return f"{name}({', '.join(parts)})"


# -- the operations --------------------------------------------------------------------------------


def _select(ctx: OperationContext, op: Operation) -> None:
    s = ctx.session
    path, by = op.arg("path"), op.arg("by", "name")
    f = ctx.profile.file(path)
    if by == "name":
        df = ctx.profile.df_of(path)
        if df.name is None:
            raise OperationUnavailable(f"select: {df.path} has no DF name")
        s.select_by_name(df.name)
        if f.is_ef:
            s.select_ef(path)
    elif by == "fid":
        s.select_path(path, by="fid")
    elif by == "child":  # one SELECT by FID from wherever the card is now (P1 00 for a DF, 02 for an EF)
        cmd = ctx.profile.command("select")
        p1 = cmd.byte("p1_ef") if f.is_ef else cmd.byte("p1_fid")
        s.forget_selection()
        s.terminal.send(CommandApdu(cmd.cla[0], cmd.ins, p1, cmd.byte_list("p2")[0], f.fid.to_bytes(2, "big")))
    else:
        raise OperationUnavailable(f"select: by={by!r}; expected name, fid or child")


def _verify(ctx: OperationContext, op: Operation) -> None:
    right = op.arg("pin") == "right"
    ctx.session.verify_pin(ctx.pin_now if right else wrong_pin(ctx.pin_now), check=False)


def _change_pin(ctx: OperationContext, op: Operation) -> None:
    """to=temp: CHANGE PIN from the run PIN to a temporary one (with read=PATH, then READ RECORD of
    PATH, a file the PIN alone opens, with no other grant); to=run: give the run PIN back
    (CHANGE PIN, or RELOAD PIN after PUK authentication when the run PIN is the initial PIN,
    which CHANGE PIN must refuse — `checks.security.pin_admin.restore_pin`); to=shortest or
    longest: a whole probe of a PIN of a boundary length (`_boundary_pin`); to=too_short or
    too_long: one of a new PIN one byte out of bounds (`_out_of_bounds_pin`)."""
    initial = ctx.profile.security.pin.initial
    to = op.arg("to")
    if to in _BOUNDARIES:
        _boundary_pin(ctx, "change_pin", to)
        return
    if to in _OUT_OF_BOUNDS:
        _out_of_bounds_pin(ctx, to)
        return
    if to == "temp":
        new = temporary_pin(ctx.pin, initial)
        if ctx.session.change_pin(ctx.pin_now, new, check=False).ok:
            ctx.pin_now = new
        read = op.arg("read", "")
        if read:  # the PIN state CHANGE PIN sets (PROFILE §5): a file the PIN alone opens, read with no other grant
            _read_record(ctx, Operation.of("read_record", path=read, auth="none"))
        return
    _give_back(ctx)


def _give_back(ctx: OperationContext) -> None:
    """The run PIN back on the card (`restore_pin`); nothing sent when it holds it already."""
    if ctx.pin_now == ctx.pin:
        return  # the card holds the run PIN: nothing to give back, nothing sent
    restore_pin(ctx.session, ctx.need_psam("giving the initial PIN back"), ctx.pin_now, ctx.pin)
    ctx.pin_now = ctx.pin


def _reload_pin(ctx: OperationContext, op: Operation) -> None:
    """RELOAD PIN (after PUK authentication) to a temporary PIN (to=temp) or to the run PIN
    (to=run); to=shortest or longest: a whole probe of a PIN of a boundary length (`_boundary_pin`)."""
    to = op.arg("to")
    if to in _BOUNDARIES:
        _boundary_pin(ctx, "reload_pin", to)
        return
    new = temporary_pin(ctx.pin, ctx.profile.security.pin.initial) if to == "temp" else ctx.pin
    psam = ctx.need_psam("RELOAD PIN")
    _setting_pin(ctx, new, lambda: ctx.session.reload_pin(psam, new, check=False))


_BOUNDARIES = ("shortest", "longest")  # the PIN lengths the profile allows (commands.verify.min/max_pin_bytes)
_OUT_OF_BOUNDS = ("too_short", "too_long")  # one byte under the shortest, over the longest (`bad_new_pin`)


def _setting_pin(ctx: OperationContext, new: str, send: Callable[[], Response]) -> Response | None:
    """Send a command that makes `new` the PIN when the card accepts it, and keep `ctx.pin_now`
    the PIN the card holds: also when the command's answer ends the operation (a lockstep mirror
    raises on an answer the twin does not share, and carries the DUT's as ``dut``), so the restore
    gives back the PIN a card took although its twin refused it."""
    ok = ctx.profile.sw.ok.to_bytes(2, "big")
    try:
        response = send()
    except HarnessError as exc:
        answer = getattr(exc, "dut", None)
        if isinstance(answer, bytes) and answer[-2:] == ok:
            ctx.pin_now = new
        raise
    if response.ok:
        ctx.pin_now = new
    return response


def _boundary_pin(ctx: OperationContext, command: str, which: str) -> None:
    """CHANGE PIN (or RELOAD PIN) to a PIN of exactly the shortest or the longest length the
    profile allows, VERIFY with it (the proof the card holds it), then the run PIN given back and
    verified: a card that refuses a legal length shows in the command's answer, one that stores it
    wrong in the VERIFY. `ctx.pin_now` follows every step, so a restore after an interrupted probe
    knows the PIN on the card."""
    low, high = pin_bytes(ctx.profile)
    new = boundary_pin(ctx.profile, low if which == "shortest" else high, ctx.pin, ctx.pin_now, ctx.profile.security.pin.initial)
    s = ctx.session
    if command == "change_pin":
        old = ctx.pin_now
        _setting_pin(ctx, new, lambda: s.change_pin(old, new, check=False))
    else:
        psam = ctx.need_psam("RELOAD PIN")
        _setting_pin(ctx, new, lambda: s.reload_pin(psam, new, check=False))
    if ctx.pin_now != new:
        return  # refused: that answer is the outcome
    s.verify_pin(new, check=False)
    _give_back(ctx)
    s.verify_pin(ctx.pin, check=False)


def _out_of_bounds_pin(ctx: OperationContext, which: str) -> None:
    """CHANGE PIN to a new PIN one byte shorter than the shortest or longer than the longest: the
    card must refuse it (6A80, PROFILE §5), and VERIFY with the PIN it held must still pass."""
    s, profile = ctx.session, ctx.profile
    field = bad_new_pin(profile, which)
    cmd = profile.command("change_pin")
    s.ensure_inside(profile.security.pin.df)
    data = encode_pin(ctx.pin_now) + bytes((cmd.byte("separator"),)) + field
    apdu = CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1"), cmd.byte("p2"), data)
    taken = decode_pin(field) if field else ctx.pin_now  # the PIN a card that took the field holds
    _setting_pin(ctx, taken, lambda: s.terminal.send(apdu, raw=True))
    s.verify_pin(ctx.pin_now, check=False)


@contextmanager
def _guard_off(ctx: OperationContext) -> Iterator[None]:
    if ctx.guard is None:
        yield
        return
    with ctx.guard.disarmed():
        yield


def _pin_run_down(ctx: OperationContext, op: Operation) -> None:
    """Destructive whole probe (SEC-PIN-1/2): the PIN run down with wrong VERIFYs to its last try
    (to=last_try) or to blocked (to=blocked), CHANGE PIN from the right PIN to a temporary one
    there and a VERIFY with the PIN the card then holds, then the tries given back and the PIN
    unblocked (UNBLOCK PIN, or RELOAD PIN when the card refuses it or a right VERIFY still fails
    after it), the counter proven full by a
    right VERIFY and the run PIN given back: the card is left as found. An UNBLOCK PIN on the full
    counter comes first (it changes nothing there): a card or PSAM that cannot unblock ends the
    probe before a try is spent. The DUT's try guard is off inside, and only inside, this probe."""
    s, profile = ctx.session, ctx.profile
    psam = ctx.need_psam("UNBLOCK PIN")
    if not s.verify_pin(ctx.pin_now, check=False).ok:
        return  # the PIN is not what the run believes: nothing is spent
    if not s.unblock_pin(psam, check=False).ok:
        return  # no way back from a blocked PIN: nothing is spent
    left = 1 if op.arg("to") == "last_try" else 0
    failed = profile.sw["verification_failed"]
    with _guard_off(ctx):
        for _ in range(profile.security.pin.tries):
            answer = s.verify_pin(wrong_pin(ctx.pin_now), check=False)
            if not failed.matches(answer.sw) or answer.sw & failed.variable_mask <= left:
                break
        old, new = ctx.pin_now, temporary_pin(ctx.pin_now, ctx.pin, profile.security.pin.initial)
        _setting_pin(ctx, new, lambda: s.change_pin(old, new, check=False))
        s.verify_pin(ctx.pin_now, check=False)
        # unblocked is proven by a right VERIFY, not by UNBLOCK's 9000: else RELOAD PIN
        if not (s.unblock_pin(psam, check=False).ok and s.verify_pin(ctx.pin_now, check=False).ok):
            now = ctx.pin_now
            _setting_pin(ctx, now, lambda: s.reload_pin(psam, now, check=False))
            s.verify_pin(ctx.pin_now, check=False)
    _give_back(ctx)


def _unblock_pin(ctx: OperationContext, op: Operation) -> None:
    """UNBLOCK PIN; ``probe=counter`` proves its effect the way the suite does: a wrong VERIFY
    spends a try, UNBLOCK PIN, a second wrong VERIFY must show the full counter less one again,
    and a right VERIFY refills it (never more than two tries spent)."""
    s = ctx.session
    probe = op.arg("probe", "plain") == "counter"
    if probe:
        s.verify_pin(wrong_pin(ctx.pin_now), check=False)
    s.unblock_pin(ctx.need_psam("UNBLOCK PIN"), check=False)
    if probe:
        s.verify_pin(wrong_pin(ctx.pin_now), check=False)
        s.verify_pin(ctx.pin_now, check=False)


def _get_challenge(ctx: OperationContext, op: Operation) -> None:
    ctx.session.get_challenge(int(op.arg("n", "8")), check=False)


class _WrongPsam:
    """A PSAM whose cryptograms and MACs have their last bit flipped: a terminal with a wrong key."""

    def __init__(self, inner: PsamClient) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def process(self, f8: bytes, d8: bytes) -> bytes:
        out = self._inner.process(f8, d8)
        return out[:-1] + bytes([out[-1] ^ 0x01])

    def mac(self, iv: bytes, message: bytes) -> bytes:
        out = self._inner.mac(iv, message)
        return out[:-1] + bytes([out[-1] ^ 0x01])


def _psam_for(ctx: OperationContext, what: str, right: bool) -> PsamClient:
    psam = ctx.need_psam(what)
    return psam if right else _WrongPsam(psam)  # type: ignore[return-value]  # duck-typed: the session only calls derive/process/mac/select_for


def _external_authenticate(ctx: OperationContext, op: Operation) -> None:
    key, version, cryptogram = op.arg("key"), int(op.arg("version", "00"), 16), op.arg("cryptogram", "right")
    s = ctx.session
    if cryptogram == "replayed" and ctx.last_external_auth is not None:
        s.ensure_df(ctx.profile.key(key).df)
        s.terminal.send(ctx.last_external_auth)
        return
    if cryptogram not in ("right", "wrong", "replayed"):
        raise OperationUnavailable(f"external_authenticate: cryptogram={cryptogram!r}; expected right, wrong or replayed")
    s.identity()
    mark = len(ctx.capture.events)
    s.external_authenticate(key, version, _psam_for(ctx, "external authentication", cryptogram != "wrong"), check=False)
    sent = [c for c, _ in ctx.capture.events[mark:] if c is not None]
    ctx.last_external_auth = sent[-1] if sent else None
    if cryptogram == "replayed" and ctx.last_external_auth is not None:
        s.terminal.send(ctx.last_external_auth)


def _internal_authenticate(ctx: OperationContext, op: Operation) -> None:
    f = bytes.fromhex(op.arg("f", _IA_F.hex()))
    d = bytes.fromhex(op.arg("d", _IA_D.hex()))
    ctx.session.internal_authenticate(f, d, int(op.arg("version", "00"), 16), check=False)


def _granted(ctx: OperationContext, path: str, right: str, auth: str) -> None:
    """Set up the security state an access is sent in: ``rule`` obtains `right` on `path` the
    legitimate way, ``none`` nothing, ``pin`` only the PIN, ``key:NAME`` only an authentication
    with key NAME (a near miss: another key of the file's DF). Raises OperationError when refused."""
    s = ctx.session
    if auth == "rule":
        try:
            grant(s, path, right, ctx.psam, ctx.pin_now)
        except GrantError as exc:
            raise OperationUnavailable(str(exc)) from None
        return
    if auth == "pin":
        s.verify_pin(ctx.pin_now, check=True)
    elif auth.startswith("key:"):
        key = ctx.profile.key(auth[4:])
        s.identity()
        s.ensure_df(key.df)
        s.external_authenticate(
            key.name, ctx.profile.command("external_authenticate").byte("active_version"), ctx.need_psam(auth), check=True
        )
    elif auth != "none":
        raise OperationUnavailable(f"auth={auth!r}; expected rule, none, pin or key:<name>")
    s.ensure_df(ctx.profile.df_of(path).path)


def _record_number(f: FileDef, op: Operation) -> int:
    return int(op.arg("number", str(f.records[0].number if f.records else 1)))


def _read_record(ctx: OperationContext, op: Operation) -> None:
    path = op.arg("path")
    f = ctx.profile.file(path)
    _granted(ctx, path, "read", op.arg("auth", "none"))
    tag = op.arg("tag", "")
    if tag:
        ctx.session.read_record(path, tag=int(tag, 16), check=False)
    else:
        ctx.session.read_record(path, _record_number(f, op), check=False)


def _read_records(ctx: OperationContext, op: Operation) -> None:
    """READ RECORD of every record of `path` by number, one past the last too (the DIR: one per
    ADF of its DF), in the security state `auth` sets up; with ``by=both`` each defined record is
    read by its tag too, right after its number, under the same right (the two addressing modes
    of one record must give the same record, STD-REC-3)."""
    path = op.arg("path")
    f = ctx.profile.file(path)
    _granted(ctx, path, "read", op.arg("auth", "none"))
    if "dir" in f.flags:
        count = sum(1 for d in ctx.profile.children(ctx.profile.df_of(path).path) if d.kind == "adf")
    else:
        count = (f.record_count or 0) if f.kind == "cyclic" else len(f.records)
    by_tag = op.arg("by", "number") == "both" and f.kind != "cyclic" and "dir" not in f.flags
    tags = {r.number: r.tag for r in f.records} if by_tag else {}
    for number in range(1, count + 2):
        ctx.session.read_record(path, number, check=False)
        if number in tags:
            ctx.session.read_record(path, tag=tags[number], check=False)


def _read_all(ctx: OperationContext, op: Operation) -> None:
    """Every file the run's rights can read, each after a reset and under its read right: every
    record by number and by tag (one past the last too), a transparent file's first bytes. One
    whole probe for what a personalization fault shows in (a value the twin computes otherwise, a
    record too many), wherever it is: a fault in one file is not one variant among dozens."""
    for f in ctx.profile.efs():
        if "reserved" in f.flags or not terminal_can_grant(ctx.profile, f.path, "read"):
            continue
        ctx.session.reset()
        try:
            if f.is_record_file:
                _read_records(ctx, Operation.of("read_records", path=f.path, auth="rule", by="both"))
            elif f.kind == "transparent" and f.size:
                _read_binary(ctx, Operation.of("read_binary", path=f.path, offset="0", auth="rule"))
        except OperationUnavailable:
            continue  # the right cannot be obtained here (an absent optional DF): the same on both sides


def changed_value(base: bytes, *, record: bool) -> bytes:
    """The "changed" value of a write: every byte flipped (a record keeps its tag and length)."""
    return base[:2] + bytes(b ^ 0xFF for b in base[2:]) if record else bytes(b ^ 0xFF for b in base)


def _new_value(ctx: OperationContext, key: tuple[str, str], current: bytes, value: str, record: bool) -> bytes:
    """The bytes a write carries: "changed" flips the content the run first found (remembered as
    the original), "original" writes that content back (the current one, when nothing was changed),
    "wrong_tag" (records only) is the changed content under a tag the record definition does not
    have: a card must refuse it (6A80) and store nothing."""
    ctx.originals.setdefault(key, current)
    base = ctx.originals[key]
    if value == "changed":
        return changed_value(base, record=record)
    if value == "original":
        return base
    if value == "wrong_tag" and record and len(base) >= 2:  # the changed content under another tag (same length)
        return bytes([base[0] ^ 0xFF, base[1]]) + bytes(b ^ 0xFF for b in base[2:])
    raise OperationUnavailable(f"value={value!r}; expected changed or original" + (" or wrong_tag" if record else ""))


def _current_record(ctx: OperationContext, path: str, number: int) -> bytes:
    """The record as it is now, read with the file's read right (state is spent: callers grant
    their own right afterwards)."""
    key = (path, f"record {number}")
    if key in ctx.originals:
        return ctx.originals[key]
    _granted(ctx, path, "read", "rule")
    response = ctx.session.read_record(path, number, check=True)
    return response.data


def _update_record(ctx: OperationContext, op: Operation) -> None:
    path = op.arg("path")
    f = ctx.profile.file(path)
    number = _record_number(f, op)
    current = _current_record(ctx, path, number)
    data = _new_value(ctx, (path, f"record {number}"), current, op.arg("value", "changed"), True)
    _granted(ctx, path, "update", op.arg("auth", "rule"))
    ctx.session.update_record(path, data, number=number, check=False)
    if op.arg("value", "changed") == "wrong_tag":
        _read_back(ctx, path, number)


def _read_back(ctx: OperationContext, path: str, number: int) -> None:
    """Read the record a refused write aimed at, with the file's read right: what a write the
    card refused left behind shows only there (the status words of both cards agree)."""
    _granted(ctx, path, "read", "rule")
    ctx.session.read_record(path, number, check=False)


def _sm_update(ctx: OperationContext, op: Operation) -> None:
    path = op.arg("path")
    f = ctx.profile.file(path)
    number = _record_number(f, op)
    current = _current_record(ctx, path, number)
    data = _new_value(ctx, (path, f"record {number}"), current, op.arg("value", "changed"), True)
    mac = op.arg("mac", "right")
    if mac == "replayed":
        _sm_replayed(ctx, path, number, op.arg("value", "changed"), data)
        return
    key_name = None
    if mac == "other":  # a right MAC under another external key of the file's DF
        rule_keys = f.rule("update").sm_keys if f.rule("update") is not None else frozenset()  # type: ignore[union-attr]  # checked in the same expression
        others = sorted(k.name for k in ctx.profile.df_of(path).keys.values() if k.use == "external" and k.name not in rule_keys)
        if not others:
            raise OperationUnavailable(f"sm_update: {path}'s DF has no other external key")
        key_name = others[0]
    psam = _psam_for(ctx, "a MAC", mac != "wrong")
    ctx.session.secure_update_record(path, data, psam, key_name, number=number, check=False)
    if mac != "right" or op.arg("value", "changed") == "wrong_tag":  # a write the card must refuse
        _read_back(ctx, path, number)


def _sm_replayed(ctx: OperationContext, path: str, number: int, value: str, data: bytes) -> None:
    """A replayed secure-messaging write: `data` written with a right MAC, the other value written
    over it, then the first command sent again byte for byte. Its challenge is spent, so the card
    must refuse it (6984) and keep the other value: the read-back that ends the operation shows
    whether it did."""
    if value not in ("changed", "original"):
        raise OperationUnavailable(f"sm_update: mac=replayed takes value changed or original, not {value!r}")
    s = ctx.session
    psam = ctx.need_psam("a MAC")
    mark = len(ctx.capture.events)
    s.secure_update_record(path, data, psam, number=number, check=True)
    first = [c for c, _ in ctx.capture.events[mark:] if c is not None][-1]
    other = _new_value(ctx, (path, f"record {number}"), data, "original" if value == "changed" else "changed", True)
    s.secure_update_record(path, other, psam, number=number, check=True)
    s.terminal.send(first)
    _read_back(ctx, path, number)


def _blocked_sm_update(ctx: OperationContext, op: Operation) -> None:
    """A secure-messaging write (right MAC) while the application is blocked, then the application
    unblocked and the record read back: the card must refuse the write (6A81) and store nothing.
    The record is first read before blocking (reads are refused after)."""
    path = op.arg("path")
    f = ctx.profile.file(path)
    number = _record_number(f, op)
    current = _current_record(ctx, path, number)
    data = _new_value(ctx, (path, f"record {number}"), current, op.arg("value", "changed"), True)
    psam = ctx.need_psam("APPLICATION BLOCK")
    s = ctx.session
    s.identity()
    s.application_block(psam, check=True)
    s.secure_update_record(path, data, psam, number=number, check=False)
    s.application_unblock(psam, check=True)
    _read_back(ctx, path, number)


def _append_record(ctx: OperationContext, op: Operation) -> None:
    path = op.arg("path")
    f = ctx.profile.file(path)
    if not f.records:
        raise OperationUnavailable(f"append_record: {path} declares no record layout")
    layout = f.records[0]
    record = bytes([layout.tag, layout.length]) + bytes([_APPEND_FILL]) * layout.length
    psam = _psam_for(ctx, "a MAC", op.arg("mac", "right") == "right")
    times = (f.record_count or 0) + 1 if op.arg("times", "1") == "fill" else 1
    for _ in range(times):  # "fill": one more than the file holds, so the oldest must be overwritten
        ctx.session.secure_append_record(path, record, psam, check=False)


_APPEND_FILL = 0xA5  # the value bytes an appended record carries (a test choice)
BINARY_PROBE = 16  # bytes read or rewritten at an offset of a transparent file (a test choice)


def _read_binary(ctx: OperationContext, op: Operation) -> None:
    path = op.arg("path")
    _granted(ctx, path, "read", op.arg("auth", "none"))
    ctx.session.read_binary(path, int(op.arg("offset", "0")), int(op.arg("length", str(BINARY_PROBE))), check=False)


def _update_binary(ctx: OperationContext, op: Operation) -> None:
    path = op.arg("path")
    offset, length = int(op.arg("offset", "0")), int(op.arg("length", str(BINARY_PROBE)))
    key = (path, f"binary {offset}+{length}")
    if key not in ctx.originals:
        _granted(ctx, path, "read", "rule")
        current = ctx.session.read_binary(path, offset, length, check=True).data
    else:
        current = ctx.originals[key]
    data = _new_value(ctx, key, current, op.arg("value", "changed"), False)
    _granted(ctx, path, "update", op.arg("auth", "rule"))
    ctx.session.update_binary(path, offset, data, check=False)


def _access(ctx: OperationContext, op: Operation) -> None:
    """An access case of the access-control plan (`checks.security.access_plan`): from a reset,
    the conditions in the plan's notation ("PIN → 复位", "AUTH UK1DF03", "无") in order, then the
    read (the file's first record or bytes) or the update (a changed value) of `path`."""
    s, profile = ctx.session, ctx.profile
    path, right = op.arg("path"), op.arg("right")
    f = profile.file(path)
    try:
        conditions = parse_conditions(op.arg("conditions", NO_CONDITION))
    except ValueError as exc:
        raise OperationUnavailable(f"access: {exc}") from None
    data = b""
    if right == "update":
        key = (path, "binary 0+16" if f.size else f"record {_first_record(f)}")
        s.reset()
        current = ctx.originals.get(key) or _read_for_write(ctx, path, key)
        data = _new_value(ctx, key, current, "changed", not f.size)
    s.identity()
    s.reset()
    s.select_mf(check=True)
    sm_key = None
    for c in conditions:
        if c.kind == PIN:
            s.verify_pin(ctx.pin_now, check=True)
        elif c.kind == AUTH and c.key is not None:
            s.external_authenticate(
                c.key, profile.command("external_authenticate").byte("active_version"), ctx.need_psam(str(c)), check=True
            )
        elif c.kind == SM:
            sm_key = c.key
        elif c.kind == DF_CHANGE:
            s.select_path(other_df(profile, s.current_df), check=True)
        elif c.kind == RESET:
            s.reset()
        elif c.kind == SELECT_MF:
            s.select_mf(check=True)
    if right == "read":
        read_probe(s, path)
    elif sm_key is not None:
        s.secure_update_record(path, data, ctx.need_psam(f"SM {sm_key}"), sm_key, number=_first_record(f), check=False)
    elif f.size:
        s.update_binary(path, 0, data, check=False)
    else:
        s.update_record(path, data, number=_first_record(f), check=False)


def _first_record(f: FileDef) -> int:
    return f.records[0].number if f.records else 1


def _read_for_write(ctx: OperationContext, path: str, key: tuple[str, str]) -> bytes:
    _granted(ctx, path, "read", "rule")
    if key[1].startswith("binary"):
        return ctx.session.read_binary(path, 0, BINARY_PROBE, check=True).data
    return ctx.session.read_record(path, int(key[1].split()[1]), check=True).data


def _lifecycle(command: str) -> Callable[[OperationContext, Operation], None]:
    def run(ctx: OperationContext, op: Operation) -> None:
        psam = _psam_for(ctx, command, op.arg("mac", "right") == "right")
        ctx.session.identity()
        getattr(ctx.session, command)(psam, check=False)

    return run


def _torn(ctx: OperationContext, cut: int, send: Callable[[], object]) -> None:
    """Arm the card's tearing hook (PROFILE §6.5, `FF 7E`) at `cut` bytes, send the command, then
    the reset the cut implies. A card that refuses the arm (no hook: 6E00) ends the operation with
    that answer; a card that answers the armed command has written less than `cut` bytes (or
    nothing before answering), and its answer is recorded."""
    if not arm(ctx.session, cut).ok:
        return
    try:
        send()
    except CardUnavailableError:
        pass  # the cut: the card lost power without answering
    ctx.session.reset()


def _cut_at(op: Operation, length: int) -> int:
    """The byte count a torn write is cut after: "half" (the default) is the middle of the
    `length` bytes the command writes, so a card without anti-tearing keeps a mix of both values."""
    cut = op.arg("cut", "half")
    if cut == "half":
        return max(length // 2, 1)
    if not cut.isdigit() or int(cut) > 0xFFFF:
        raise OperationUnavailable(f"{op.name}: cut={cut!r}; expected half or a byte count 0-65535")
    return int(cut)


def _torn_update(ctx: OperationContext, op: Operation) -> None:
    """UPDATE RECORD (or BINARY, for a transparent EF) of `path` with the changed value, its right
    obtained first (`auth`), power cut after `cut` bytes of the write, then reset. What the cut
    left shows in a following read (old, new or a mix — `torn` in the learner's abstraction)."""
    path = op.arg("path")
    f = ctx.profile.file(path)
    s = ctx.session
    if f.kind == "transparent":
        offset, length = int(op.arg("offset", "0")), int(op.arg("length", str(BINARY_PROBE)))
        key = (path, f"binary {offset}+{length}")
        if key not in ctx.originals:
            _granted(ctx, path, "read", "rule")
            current = s.read_binary(path, offset, length, check=True).data
        else:
            current = ctx.originals[key]
        data = _new_value(ctx, key, current, "changed", False)
        _granted(ctx, path, "update", op.arg("auth", "rule"))
        _torn(ctx, _cut_at(op, len(data)), lambda: s.update_binary(path, offset, data, check=False))
        if op.arg("read", "no") == "yes":  # what the cut left, read with the file's right
            _granted(ctx, path, "read", "rule")
            s.read_binary(path, offset, length, check=False)
        return
    number = _record_number(f, op)
    current = _current_record(ctx, path, number)
    record = _new_value(ctx, (path, f"record {number}"), current, "changed", True)
    _granted(ctx, path, "update", op.arg("auth", "rule"))
    _torn(ctx, _cut_at(op, len(record)), lambda: s.update_record(path, record, number=number, check=False))
    if op.arg("read", "no") == "yes":
        _read_back(ctx, path, number)


def _torn_verify(ctx: OperationContext, op: Operation) -> None:
    """VERIFY (right or wrong PIN) with power cut after `cut` bytes of its writes (default 0: at
    its first write), then reset. A conforming card writes the decremented try counter before the
    comparison's result can be seen, so it never answers at 0; a card that compares first answers
    a right PIN (nothing to write) — SEC-TEAR-2.

    ``probe=counter`` makes it a whole probe that leaves the counter full: a right VERIFY first
    (the counter full, so at most two tries are spent below; nothing more is sent when it is
    refused), the torn VERIFY, then after the reset a wrong VERIFY — its 63Cx shows whether the
    torn one spent its try — and a right VERIFY that refills the counter."""
    s = ctx.session
    s.ensure_inside(ctx.profile.security.pin.df)
    pin = ctx.pin_now if op.arg("pin") == "right" else wrong_pin(ctx.pin_now)
    cut = _byte_count(op, "0")
    probe = op.arg("probe", "plain") == "counter"
    if probe and not s.verify_pin(ctx.pin_now, check=False).ok:
        return
    _torn(ctx, cut, lambda: s.verify_pin(pin, check=False))
    if probe:
        s.ensure_inside(ctx.profile.security.pin.df)
        s.verify_pin(wrong_pin(ctx.pin_now), check=False)
        s.verify_pin(ctx.pin_now, check=False)


def _torn_authenticate(ctx: OperationContext, op: Operation) -> None:
    """EXTERNAL AUTHENTICATE of `key` (active version) with a right or wrong cryptogram, power cut
    after `cut` bytes of its writes (default 0), as a whole probe: a right authentication first
    (the key's counter full; nothing more is sent when it is refused), the arm, the torn
    authentication (its GET CHALLENGE after the arm, as SEC-TEAR-2's checks send it), the reset,
    and a right authentication again — it refills a try the torn one spent, and its answer
    shows the key usable after the cut. A conforming card writes the counter before the result
    can be seen, so armed at 0 it answers neither cryptogram (SEC-TEAR-2). The counter is not read
    with a second wrong cryptogram: the try guard keeps a key that reports one try left from
    every further attempt, the refill included."""
    s = ctx.session
    key = ctx.profile.key(op.arg("key"))
    version = ctx.profile.command("external_authenticate").byte("active_version")
    cut = _byte_count(op, "0")
    psam = ctx.need_psam("EXTERNAL AUTHENTICATE")
    torn_psam = _psam_for(ctx, "external authentication", op.arg("cryptogram", "right") == "right")
    s.identity()
    if not s.external_authenticate(key.name, version, psam, check=False).ok:
        return
    _torn(ctx, cut, lambda: s.external_authenticate(key.name, version, torn_psam, check=False))
    s.external_authenticate(key.name, version, psam, check=False)


def _byte_count(op: Operation, default: str) -> int:
    cut = op.arg("cut", default)
    if not cut.isdigit() or int(cut) > 0xFFFF:
        raise OperationUnavailable(f"{op.name}: cut={cut!r}; expected a byte count 0-65535")
    return int(cut)


def _reset(ctx: OperationContext, op: Operation) -> None:
    ctx.session.reset()


def _power_cycle(ctx: OperationContext, op: Operation) -> None:
    """A cold reset: through PC/SC the reader removes the card's power (a warm reset may keep RAM)."""
    ctx.session.power_cycle()


def _apdu(ctx: OperationContext, op: Operation) -> None:
    ctx.session.forget_selection()
    try:
        command = bytes.fromhex(op.arg("hex"))
    except ValueError:
        raise OperationUnavailable(f"apdu: hex={op.arg('hex')!r} is not hexadecimal") from None
    ctx.session.terminal.send(command, raw=op.arg("raw", "no") == "yes")


_RIGHT_WRONG = ("right", "wrong")
_AUTH = None  # rule, none, pin or key:<name>
_VALUE = ("changed", "original")
_RECORD_VALUE = ("changed", "original", "wrong_tag")

OPERATIONS: Mapping[str, OperationSpec] = {
    "select": OperationSpec(
        _select, {"path": None, "by": ("name", "fid", "child")}, False, False, ("STD-CMD-1", "STD-FS-1", "STD-FS-2"), frozenset({"by"})
    ),
    "verify": OperationSpec(_verify, {"pin": _RIGHT_WRONG}, True, False, ("SEC-PIN-1", "SEC-AC-8")),
    "change_pin": OperationSpec(
        _change_pin,
        {"to": ("temp", "run", *_BOUNDARIES, *_OUT_OF_BOUNDS), "read": None},
        True,
        False,
        ("SEC-PIN-2", "INT-XR-4"),
        frozenset({"read"}),
    ),
    "reload_pin": OperationSpec(_reload_pin, {"to": ("temp", "run", *_BOUNDARIES)}, True, False, ("SEC-PIN-3",)),
    "pin_run_down": OperationSpec(_pin_run_down, {"to": ("last_try", "blocked")}, True, True, ("SEC-PIN-1", "SEC-PIN-2")),
    "unblock_pin": OperationSpec(_unblock_pin, {"probe": ("plain", "counter")}, True, False, ("SEC-PIN-3",), frozenset({"probe"})),
    "get_challenge": OperationSpec(_get_challenge, {"n": ("4", "8", "16")}, False, False, ("STD-CMD-3",), frozenset({"n"})),
    "external_authenticate": OperationSpec(
        _external_authenticate,
        {"key": None, "version": None, "cryptogram": ("right", "wrong", "replayed")},
        True,
        False,
        ("SEC-AUTH-2", "SEC-AUTH-3", "SEC-KEY-1", "SEC-KEY-2"),
        frozenset({"version", "cryptogram"}),
    ),
    "internal_authenticate": OperationSpec(
        _internal_authenticate,
        {"version": None, "f": None, "d": None},
        False,
        False,
        ("SEC-AUTH-1", "SEC-KEY-2"),
        frozenset({"version", "f", "d"}),
    ),
    "read_binary": OperationSpec(
        _read_binary,
        {"path": None, "offset": None, "length": None, "auth": _AUTH},
        False,
        False,
        ("STD-CMD-2", "SEC-AC-3"),
        frozenset({"offset", "length", "auth"}),
    ),
    "update_binary": OperationSpec(
        _update_binary,
        {"path": None, "offset": None, "length": None, "value": _VALUE, "auth": _AUTH},
        True,
        False,
        ("STD-CMD-2", "SEC-AC-1"),
        frozenset({"offset", "length", "value", "auth"}),
    ),
    "read_record": OperationSpec(
        _read_record,
        {"path": None, "number": None, "tag": None, "auth": _AUTH},
        False,
        False,
        ("STD-REC-3", "STD-CMD-2", "SEC-AC-3"),
        frozenset({"number", "tag", "auth"}),
    ),
    "read_records": OperationSpec(
        _read_records,
        {"path": None, "auth": _AUTH, "by": ("number", "both")},
        False,
        False,
        ("STD-REC-2", "STD-REC-3"),
        frozenset({"auth", "by"}),
    ),
    "update_record": OperationSpec(
        _update_record,
        {"path": None, "number": None, "value": _RECORD_VALUE, "auth": _AUTH},
        True,
        False,
        ("STD-CMD-2", "SEC-AC-1", "SEC-AC-2", "SEC-AC-4"),
        frozenset({"number", "value", "auth"}),
    ),
    "sm_update": OperationSpec(
        _sm_update,
        {"path": None, "number": None, "value": _RECORD_VALUE, "mac": ("right", "wrong", "other", "replayed")},
        True,
        False,
        ("SEC-SM-1",),
        frozenset({"number", "value", "mac"}),
    ),
    "blocked_sm_update": OperationSpec(
        _blocked_sm_update,
        {"path": None, "number": None, "value": _VALUE},
        True,
        True,
        ("SEC-LC-1", "SEC-SM-1"),
        frozenset({"number", "value"}),
    ),
    "append_record": OperationSpec(
        _append_record,
        {"path": None, "mac": _RIGHT_WRONG, "times": ("1", "fill")},
        True,
        True,
        ("STD-CMD-5", "SEC-SM-1"),
        frozenset({"mac", "times"}),
    ),
    "application_block": OperationSpec(
        _lifecycle("application_block"), {"mac": _RIGHT_WRONG}, True, True, ("SEC-LC-1",), frozenset({"mac"})
    ),
    "application_unblock": OperationSpec(
        _lifecycle("application_unblock"), {"mac": _RIGHT_WRONG}, True, True, ("SEC-LC-1",), frozenset({"mac"})
    ),
    "torn_update": OperationSpec(
        _torn_update,
        {"path": None, "number": None, "offset": None, "length": None, "cut": None, "auth": _AUTH, "read": ("yes", "no")},
        True,
        False,
        ("SEC-TEAR-1",),
        frozenset({"number", "offset", "length", "cut", "auth", "read"}),
    ),
    "torn_verify": OperationSpec(
        _torn_verify,
        {"pin": _RIGHT_WRONG, "cut": None, "probe": ("plain", "counter")},
        True,
        False,
        ("SEC-TEAR-2",),
        frozenset({"cut", "probe"}),
    ),
    "torn_authenticate": OperationSpec(
        _torn_authenticate,
        {"key": None, "cryptogram": _RIGHT_WRONG, "cut": None},
        True,
        False,
        ("SEC-TEAR-2",),
        frozenset({"cryptogram", "cut"}),
    ),
    "reset": OperationSpec(_reset, {}, False, False, ("SEC-AC-8", "STD-ATR-1")),
    "read_all": OperationSpec(_read_all, {}, False, False, ("STD-REC-2", "STD-REC-3")),
    "power_cycle": OperationSpec(_power_cycle, {}, False, False, ("SEC-AC-8", "STD-ATR-1")),
    "access": OperationSpec(
        _access, {"path": None, "right": ("read", "update"), "conditions": None}, True, False, ("SEC-AC-1",), frozenset({"conditions"})
    ),
    "apdu": OperationSpec(_apdu, {"hex": None, "raw": ("yes", "no")}, False, False, ("STD-SW-1", "STD-CMD-4"), frozenset({"raw"})),
}


def check_operation(op: Operation) -> OperationSpec:
    """The spec of `op`, after checking its name and arguments (OperationUnavailable names the bad one)."""
    spec = OPERATIONS.get(op.name)
    if spec is None:
        raise OperationUnavailable(f"unknown operation {op.name!r}; known: {', '.join(sorted(OPERATIONS))}")
    given = dict(op.args)
    for key, value in given.items():
        if key not in spec.args:
            raise OperationUnavailable(f"operation {op.name}: unknown argument {key!r}; expected {spec.describe(op.name)}")
        allowed = spec.args[key]
        if allowed is not None and value not in allowed:
            raise OperationUnavailable(f"operation {op.name}: {key}={value!r}; expected one of {', '.join(allowed)}")
    missing = [a for a in spec.args if a not in given and a not in spec.optional]
    if missing:
        raise OperationUnavailable(f"operation {op.name}: missing argument(s) {', '.join(missing)}")
    return spec


def perform(op: Operation, ctx: OperationContext) -> list[Exchange]:
    """Carry out `op` on the context's card; the exchanges it made, masked for recording.

    A destructive operation needs ``ctx.allow_destructive``. A preparatory step the card refuses
    ends the operation (the refused exchange is the last one returned)."""
    spec = check_operation(op)
    if spec.destructive and not ctx.allow_destructive:
        raise OperationUnavailable(f"operation {op} is destructive: it needs --allow-destructive")
    ctx.capture.take()
    try:
        spec.run(ctx, op)
    except OperationError:
        pass  # the card refused a preparatory step: its answer is the outcome, recorded below
    except HarnessError:
        ctx.capture.take()
        raise
    return ctx.record(ctx.capture.take())
