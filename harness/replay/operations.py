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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from checks.security.pin_admin import restore_pin, temporary_pin, wrong_pin
from ssc.apdu import CommandApdu
from ssc.profile.model import FileDef, Profile
from terminal.channel import Terminal
from terminal.errors import HarnessError, InputError
from terminal.grants import GrantError, grant
from terminal.psam_client import PsamClient
from terminal.session import CardSession, OperationError
from terminal.transports.base import Transport, WrappingTransport
from terminal.transports.tracing import Masker, MaskRule

__all__ = [
    "OPERATIONS",
    "CaptureTransport",
    "Exchange",
    "Operation",
    "OperationContext",
    "OperationSpec",
    "OperationUnavailable",
    "check_operation",
    "perform",
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

    def transmit(self, command: bytes) -> bytes:
        response = self.inner.transmit(command)
        self.events.append((bytes(command), bytes(response)))
        return response

    def reset(self, **options: float) -> bytes:
        atr = self.inner.reset(**options)
        self.events.append((None, bytes(atr)))
        return atr

    def take(self) -> list[tuple[bytes | None, bytes]]:
        out, self.events = self.events, []
        return out


def _mask_rules(profile: Profile) -> list[MaskRule]:
    rules = []
    for cmd in profile.commands.values():
        if cmd.sensitive:
            for cla in cmd.cla:
                rules.append(MaskRule(cla, cmd.ins, cmd.sensitive == "command_data", cmd.sensitive == "response_data", cmd.name))
    return rules


@dataclass
class OperationContext:
    """Where operations run: the card session, the run's secrets and what operations remember.

    `pin` is the run's PIN (the card's PIN when the run starts), `psam` computes cryptograms and
    MACs with the run's key set (None: authentication operations are unavailable). The session's
    terminal is re-wrapped with a `CaptureTransport` so `perform` can return the exchanges.
    """

    session: CardSession
    pin: str
    psam: PsamClient | None = None
    allow_destructive: bool = False
    pin_now: str = ""  # the PIN the card holds now (changes with change_pin)
    originals: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (path, where) → content before a write
    last_external_auth: bytes | None = None  # the last EXTERNAL AUTHENTICATE sent (for a replay)
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
        self._masker = Masker(_mask_rules(self.profile))
        self._challenge_ins = self.profile.command("get_challenge").ins

    @classmethod
    def over(cls, transport: Transport, profile: Profile, pin: str, psam: PsamClient | None = None, **kwargs: object) -> OperationContext:
        """A context on a bare transport (a session with unchecked answers is built on it)."""
        return cls(CardSession(Terminal(CaptureTransport(transport), profile), check=False), pin, psam, **kwargs)  # type: ignore[arg-type]  # **kwargs are the dataclass's keyword fields, checked there

    @property
    def profile(self) -> Profile:
        return self.session.profile

    def need_psam(self, what: str) -> PsamClient:
        if self.psam is None:
            raise OperationUnavailable(f"{what} needs a PSAM (the run's key set) and none was given")
        return self.psam

    def record(self, events: list[tuple[bytes | None, bytes]]) -> list[Exchange]:
        """Mask and classify raw events for recording (see `Exchange`)."""
        out = []
        for command, response in events:
            if command is None:
                out.append(Exchange(RESET_COMMAND, response.hex().upper(), None, response.hex().upper()))
                continue
            masked_command, masked_response, reason = self._masker.apply(command, response)
            sw = int.from_bytes(response[-2:], "big") if len(response) >= 2 else None
            fresh = len(command) >= 2 and command[1] == self._challenge_ins
            comparable = not fresh and masked_response.span is None
            data = response[:-2].hex().upper() if comparable else None
            out.append(Exchange(masked_command.hex(), masked_response.hex(), sw, data, comparable))
        return out


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
    """to=temp: CHANGE PIN from the run PIN to a temporary one; to=run: give the run PIN back
    (CHANGE PIN, or RELOAD PIN after PUK authentication when the run PIN is the initial PIN,
    which CHANGE PIN must refuse — `checks.security.pin_admin.restore_pin`)."""
    initial = ctx.profile.security.pin.initial
    if op.arg("to") == "temp":
        new = temporary_pin(ctx.pin, initial)
        if ctx.session.change_pin(ctx.pin_now, new, check=False).ok:
            ctx.pin_now = new
        return
    if ctx.pin_now == ctx.pin:
        return  # the card holds the run PIN: nothing to give back, nothing sent
    restore_pin(ctx.session, ctx.need_psam("giving the initial PIN back"), ctx.pin_now, ctx.pin)
    ctx.pin_now = ctx.pin


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
    """Obtain `right` on `path` when `auth` is "rule" (raises OperationError when refused)."""
    if auth == "rule":
        try:
            grant(ctx.session, path, right, ctx.psam, ctx.pin_now)
        except GrantError as exc:
            raise OperationUnavailable(str(exc)) from None
    elif auth == "none":
        ctx.session.ensure_df(ctx.profile.df_of(path).path)
    else:
        raise OperationUnavailable(f"auth={auth!r}; expected rule or none")


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


def _new_value(ctx: OperationContext, key: tuple[str, str], current: bytes, value: str, record: bool) -> bytes:
    """The bytes a write carries: "changed" flips the current content (remembered as the original),
    "original" writes back what the first change found."""
    if value == "changed":
        ctx.originals.setdefault(key, current)
        base = ctx.originals[key]
        return base[:2] + bytes(b ^ 0xFF for b in base[2:]) if record else bytes(b ^ 0xFF for b in base)
    if value == "original":
        if key not in ctx.originals:
            raise OperationUnavailable(f"{key[0]}: nothing to restore (no earlier changed write)")
        return ctx.originals[key]
    raise OperationUnavailable(f"value={value!r}; expected changed or original")


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


def _sm_update(ctx: OperationContext, op: Operation) -> None:
    path = op.arg("path")
    f = ctx.profile.file(path)
    number = _record_number(f, op)
    current = _current_record(ctx, path, number)
    data = _new_value(ctx, (path, f"record {number}"), current, op.arg("value", "changed"), True)
    psam = _psam_for(ctx, "a MAC", op.arg("mac", "right") == "right")
    ctx.session.secure_update_record(path, data, psam, number=number, check=False)


def _append_record(ctx: OperationContext, op: Operation) -> None:
    path = op.arg("path")
    f = ctx.profile.file(path)
    if not f.records:
        raise OperationUnavailable(f"append_record: {path} declares no record layout")
    layout = f.records[0]
    record = bytes([layout.tag, layout.length]) + bytes([_APPEND_FILL]) * layout.length
    psam = _psam_for(ctx, "a MAC", op.arg("mac", "right") == "right")
    ctx.session.secure_append_record(path, record, psam, check=False)


_APPEND_FILL = 0xA5  # the value bytes an appended record carries (a test choice)
_BINARY_PROBE = 16  # bytes read or rewritten at an offset of a transparent file (a test choice)


def _read_binary(ctx: OperationContext, op: Operation) -> None:
    path = op.arg("path")
    _granted(ctx, path, "read", op.arg("auth", "none"))
    ctx.session.read_binary(path, int(op.arg("offset", "0")), int(op.arg("length", str(_BINARY_PROBE))), check=False)


def _update_binary(ctx: OperationContext, op: Operation) -> None:
    path = op.arg("path")
    offset, length = int(op.arg("offset", "0")), int(op.arg("length", str(_BINARY_PROBE)))
    key = (path, f"binary {offset}+{length}")
    if key not in ctx.originals:
        _granted(ctx, path, "read", "rule")
        current = ctx.session.read_binary(path, offset, length, check=True).data
    else:
        current = ctx.originals[key]
    data = _new_value(ctx, key, current, op.arg("value", "changed"), False)
    _granted(ctx, path, "update", op.arg("auth", "rule"))
    ctx.session.update_binary(path, offset, data, check=False)


def _lifecycle(command: str) -> Callable[[OperationContext, Operation], None]:
    def run(ctx: OperationContext, op: Operation) -> None:
        psam = _psam_for(ctx, command, op.arg("mac", "right") == "right")
        ctx.session.identity()
        getattr(ctx.session, command)(psam, check=False)

    return run


def _unblock_pin(ctx: OperationContext, op: Operation) -> None:
    """UNBLOCK PIN after PUK authentication (PROFILE §5): the try counter back to full. Not
    destructive — it is how a learner or a replay restores a PIN its wrong VERIFYs blocked."""
    ctx.session.identity()
    ctx.session.unblock_pin(_psam_for(ctx, "unblock pin", op.arg("mac", "right") == "right"), check=False)


def _reset(ctx: OperationContext, op: Operation) -> None:
    ctx.session.reset()


def _apdu(ctx: OperationContext, op: Operation) -> None:
    ctx.session.forget_selection()
    try:
        command = bytes.fromhex(op.arg("hex"))
    except ValueError:
        raise OperationUnavailable(f"apdu: hex={op.arg('hex')!r} is not hexadecimal") from None
    ctx.session.terminal.send(command, raw=op.arg("raw", "no") == "yes")


_RIGHT_WRONG = ("right", "wrong")
_AUTH = ("rule", "none")
_VALUE = ("changed", "original")

OPERATIONS: Mapping[str, OperationSpec] = {
    "select": OperationSpec(
        _select, {"path": None, "by": ("name", "fid", "child")}, False, False, ("STD-CMD-1", "STD-FS-1", "STD-FS-2"), frozenset({"by"})
    ),
    "verify": OperationSpec(_verify, {"pin": _RIGHT_WRONG}, True, False, ("SEC-PIN-1", "SEC-AC-8")),
    "change_pin": OperationSpec(_change_pin, {"to": ("temp", "run")}, True, False, ("SEC-PIN-2", "INT-XR-4")),
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
    "update_record": OperationSpec(
        _update_record,
        {"path": None, "number": None, "value": _VALUE, "auth": _AUTH},
        True,
        False,
        ("STD-CMD-2", "SEC-AC-1", "SEC-AC-2", "SEC-AC-4"),
        frozenset({"number", "value", "auth"}),
    ),
    "sm_update": OperationSpec(
        _sm_update,
        {"path": None, "number": None, "value": _VALUE, "mac": _RIGHT_WRONG},
        True,
        False,
        ("SEC-SM-1",),
        frozenset({"number", "value", "mac"}),
    ),
    "append_record": OperationSpec(
        _append_record, {"path": None, "mac": _RIGHT_WRONG}, True, True, ("STD-CMD-5", "SEC-SM-1"), frozenset({"mac"})
    ),
    "application_block": OperationSpec(
        _lifecycle("application_block"), {"mac": _RIGHT_WRONG}, True, True, ("SEC-LC-1",), frozenset({"mac"})
    ),
    "application_unblock": OperationSpec(
        _lifecycle("application_unblock"), {"mac": _RIGHT_WRONG}, True, True, ("SEC-LC-1",), frozenset({"mac"})
    ),
    "unblock_pin": OperationSpec(_unblock_pin, {"mac": _RIGHT_WRONG}, True, False, ("SEC-PIN-3",), frozenset({"mac"})),
    "reset": OperationSpec(_reset, {}, False, False, ("SEC-AC-8", "STD-ATR-1")),
    "power_cycle": OperationSpec(_reset, {}, False, False, ("SEC-AC-8", "STD-ATR-1")),
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
