"""PC/SC readers through pyscard's low-level `smartcard.scard` API (pcsc-lite's C calls).

This is the ONLY module that touches pyscard: every PC/SC result code is translated here into the
`TransportError` tree of `terminal.transports.base` (see `_error_for`). The low-level API is used
instead of pyscard's CardConnection objects to keep the per-APDU overhead to one C call, one list
conversion each way and one integer test.

Facts this module relies on (measured with pcscd 1.9.9 + vpcd, see ENVIRONMENT.md):
- neither pcscd nor pyscard handles 61xx/6Cxx: `terminal.t0` does, above the transport;
- after a card removal the next transmit fails at once with SCARD_E_NOT_TRANSACTED (0x80100016),
  the reader reports the removal ~0.4 s later, and SCardReconnect recovers after re-insertion;
- pcsc-lite answers SCARD_E_NOT_TRANSACTED to any exchange its reader driver failed, a card that
  did not answer within the reader's own waiting time included (the card stays in the slot): so
  that code is a removal only once the reader shows the card gone (`_still_in_reader`, up to
  `_GONE_WITHIN` s), else the card is mute (`CardMuteError`);
- pcscd's event thread polls presence (~0.4 s) and counts each removal and insertion in the upper
  16 bits of the reader's event state; when it notices an insertion it powers the card up itself.
  A handle reconnected before that power-up loses the card's volatile state under it and then gets
  SCARD_E_PROTO_MISMATCH (0x8010000F) on every transmit, so `reset()` after a removal first waits
  until pcscd has counted the card leaving and coming back;
- a context/card handle left open when the interpreter exits can hang the exit, so `close()` (and
  a `weakref.finalize` safety net) disconnects and releases;
- a blocking SCardTransmit has no timeout and holds the context's lock while it waits, and
  pcscd's reader stays busy with it: a card that never answers (vpcd: a 0-byte answer) blocks it
  for good and Ctrl-C with it. So every call that may wait on the card runs through a
  `deadline.Caller` (worker thread): past its deadline the call is abandoned together with its
  context (the stuck thread releases it if the call ever returns), `ApduTimeoutError` is raised,
  and `reset()` starts over on a fresh context once the stuck call has returned.
"""

from __future__ import annotations

import fnmatch
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from smartcard import scard

from .base import (
    ApduTimeoutError,
    CardMuteError,
    CardRemovedError,
    CardUnavailableError,
    NoCardError,
    NoReaderError,
    ReaderNotFoundError,
    Transport,
    TransportError,
)
from .deadline import Abandoned, Caller

T = TypeVar("T")
DEFAULT_APDU_TIMEOUT = 5.0  # seconds a card may take to answer one command (run option --apdu-timeout)
# The deadline of one exchange: seconds, a function of the command, or None for none at all (a
# direct call: ~35 µs less per APDU, for benchmarks only — a mute card then hangs the caller).
ApduTimeout = float | Callable[[bytes], float] | None

# PC/SC result codes grouped by the error they become (codes from pcsc-lite's pcsclite.h).
_SERVICE_DOWN = {scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED}
_CARD_GONE = {
    scard.SCARD_E_NOT_TRANSACTED,  # 0x80100016: first symptom of a removal during transmit
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_E_READER_UNAVAILABLE,
}
_MUTE = {scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNPOWERED_CARD, scard.SCARD_E_TIMEOUT}

_PCI = {scard.SCARD_PROTOCOL_T0: scard.SCARD_PCI_T0, scard.SCARD_PROTOCOL_T1: scard.SCARD_PCI_T1}
_PROTOCOL_NAMES = {scard.SCARD_PROTOCOL_T0: "T=0", scard.SCARD_PROTOCOL_T1: "T=1"}

_ANY_PROTOCOL = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
_REINSERT_POLL = 0.05  # seconds between reconnect attempts while waiting for re-insertion
_GONE_WITHIN = 1.0  # seconds for pcscd to show a removal after a failed exchange (it polls presence every ~0.4 s)

# pyscard's `scard.SCardTransmit` is a Python shim over the SWIG builtin; on the hot path call the
# builtin itself (same arguments and result) when this pyscard version exposes it.
try:
    from smartcard.scard.scard import _scard as _swig

    _transmit = _swig.SCardTransmit
except (ImportError, AttributeError):  # pragma: no cover - other pyscard layouts
    _transmit = scard.SCardTransmit


def _describe(rc: int) -> str:
    return f"{scard.SCardGetErrorMessage(rc).rstrip('.')} (0x{rc & 0xFFFFFFFF:08X})"


def _error_for(rc: int, action: str, *, connected: bool) -> TransportError:
    """Translate a PC/SC result code; `connected` tells a removal from an empty reader."""
    if rc in _SERVICE_DOWN:
        return NoReaderError(
            f"{action}: the PC/SC service is not reachable — is pcscd running? "
            f"(tests: run them through scripts/pcsc-sandbox) [{_describe(rc)}]"
        )
    if rc == scard.SCARD_E_NO_READERS_AVAILABLE:
        return NoReaderError(f"{action}: pcscd is running but reports no readers [{_describe(rc)}]")
    if rc == scard.SCARD_E_UNKNOWN_READER:
        return ReaderNotFoundError(f"{action}: unknown reader [{_describe(rc)}]")
    if rc == scard.SCARD_E_READER_UNAVAILABLE and not connected:
        return TransportError(f"{action}: the reader is unavailable (unplugged?) [{_describe(rc)}]")
    if rc in _CARD_GONE:
        if connected:
            return CardRemovedError(f"card removed ({action}: {_describe(rc)})")
        return NoCardError(f"{action}: no card in the reader [{_describe(rc)}]")
    if rc in _MUTE:
        return CardMuteError(f"{action}: the card does not answer [{_describe(rc)}]")
    if rc == scard.SCARD_E_SHARING_VIOLATION:
        return TransportError(f"{action}: the reader is in exclusive use by another application [{_describe(rc)}]")
    return TransportError(f"{action} failed [{_describe(rc)}]")


def select_reader(pattern: str, names: Sequence[str]) -> str:
    """Pick one reader: exact name, else a unique fnmatch glob match, else a unique substring.

    Raises ReaderNotFoundError listing the candidates (ambiguous) or the available readers (none).
    """
    if pattern in names:
        return pattern
    stages = (
        ("glob", [n for n in names if fnmatch.fnmatchcase(n, pattern)]),
        ("substring", [n for n in names if pattern.casefold() in n.casefold()]),
    )
    for how, matches in stages:
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ReaderNotFoundError(
                f"reader {pattern!r} is ambiguous ({how} matches {len(matches)}): " + ", ".join(repr(n) for n in matches)
            )
    available = ", ".join(repr(n) for n in names) or "none"
    raise ReaderNotFoundError(f"no reader matches {pattern!r}; available readers: {available}")


@contextmanager
def _context() -> Iterator[int]:
    """A short-lived PC/SC context, always released."""
    try:
        rc, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    except scard.error as exc:
        raise TransportError(f"SCardEstablishContext: {exc}") from exc
    if rc != scard.SCARD_S_SUCCESS:
        raise _error_for(rc, "SCardEstablishContext", connected=False)
    try:
        yield ctx
    finally:
        scard.SCardReleaseContext(ctx)


def _reader_names(ctx: int) -> list[str]:
    """Reader names known to pcscd; [] when it has none."""
    rc, names = scard.SCardListReaders(ctx, [])
    if rc == scard.SCARD_E_NO_READERS_AVAILABLE:
        return []
    if rc != scard.SCARD_S_SUCCESS:
        raise _error_for(rc, "SCardListReaders", connected=False)
    return list(names)


def reader_states() -> list[tuple[str, bool, bytes | None]]:
    """(name, card present, ATR or None) for every reader; [] if pcscd has no readers.

    Raises NoReaderError when pcscd is not reachable. Used by `terminal.transports.readers.list_readers`.
    """
    with _context() as ctx:
        names = _reader_names(ctx)
        if not names:
            return []
        query = [(name, scard.SCARD_STATE_UNAWARE) for name in names]
        rc, states = scard.SCardGetStatusChange(ctx, 0, query)
        if rc not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
            raise _error_for(rc, "SCardGetStatusChange", connected=False)
    result = []
    for name, state, atr in states:
        present = bool(state & scard.SCARD_STATE_PRESENT)
        result.append((name, present, bytes(atr) if present and atr else None))
    return result


def await_presence(reader: str, *, present: bool, timeout: float) -> float | None:
    """Block in SCardGetStatusChange until pcscd reports a card in `reader` (present=True) or
    none; returns `time.monotonic()` when it did (at once if it already does), None after
    `timeout` seconds. This is the event a PC/SC application sees, not a poll of our own, so the
    time it returns is when the reader's insertion or removal reached applications."""
    with _context() as ctx:
        name = select_reader(reader, _reader_names(ctx))
        deadline = time.monotonic() + timeout
        known = scard.SCARD_STATE_UNAWARE
        while True:
            wait_ms = 0 if known == scard.SCARD_STATE_UNAWARE else max(int((deadline - time.monotonic()) * 1000), 0)
            rc, states = scard.SCardGetStatusChange(ctx, wait_ms, [(name, known)])
            now = time.monotonic()
            if rc == scard.SCARD_E_TIMEOUT:
                if now >= deadline:
                    return None
                continue
            if rc != scard.SCARD_S_SUCCESS:
                raise _error_for(rc, "SCardGetStatusChange", connected=False)
            state = states[0][1]
            if bool(state & scard.SCARD_STATE_PRESENT) == present:
                return now
            if now >= deadline:
                return None
            known = state & ~scard.SCARD_STATE_CHANGED


class _Handles:
    """The PC/SC handles, kept apart from the transport so a finalizer can release them."""

    __slots__ = ("context", "card")

    def __init__(self) -> None:
        self.context = 0
        self.card = 0

    def release(self) -> None:
        card, self.card = self.card, 0
        context, self.context = self.context, 0
        if card:
            try:
                scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
            except scard.error:
                pass
        if context:
            try:
                scard.SCardReleaseContext(context)
            except scard.error:
                pass


class PcscTransport(Transport):
    """A card in a PC/SC reader, chosen by exact name or pattern (see `select_reader`).

    Connects in shared mode with T=0, or T=0|T=1 when the card refuses T=0 (it then offers only
    T=1). `reset()` reconnects with a card reset; after a `CardRemovedError` it first waits up to
    `reinsert_timeout` seconds for the card to come back (a virtual card torn by its hook
    re-inserts itself about 0.5 s later). Every exchange, connect and reset must end within
    `apdu_timeout` (see the module docstring); a transmit after an abandoned one fails at once
    until `reset()` succeeds.
    """

    def __init__(self, reader: str, *, reinsert_timeout: float = 5.0, apdu_timeout: ApduTimeout = DEFAULT_APDU_TIMEOUT) -> None:
        self.reinsert_timeout = reinsert_timeout
        self.apdu_timeout = apdu_timeout
        self._handles = _Handles()
        self._finalizer = weakref.finalize(self, self._handles.release)
        self._caller: Caller | None = None
        self._stuck: Caller | None = None  # the caller of an abandoned call, until that call returns
        self._closed = False
        self._removed = False
        self._events_at_removal: tuple[int, bool] | None = None  # (event count, present) seen then
        self._atr: bytes | None = None
        self._protocols = scard.SCARD_PROTOCOL_T0
        self.protocol = scard.SCARD_PROTOCOL_T0
        self._pci = scard.SCARD_PCI_T0
        self._hcard = 0
        try:
            rc, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if rc != scard.SCARD_S_SUCCESS:
                raise _error_for(rc, "SCardEstablishContext", connected=False)
            self._handles.context = ctx
            names = _reader_names(ctx)
            if not names:
                raise NoReaderError("pcscd is running but reports no readers")
            self.reader = select_reader(reader, names)
            self.description = f"reader:{self.reader}"
            self._guarded("connecting to the card", self._connect)
        except scard.error as exc:
            self.close()
            raise TransportError(f"PC/SC: {exc}") from exc
        except BaseException:
            self.close()
            raise

    # -- hot path ------------------------------------------------------------------------------

    def transmit(self, command: bytes) -> bytes:
        hcard = self._hcard
        if not hcard:
            if self._closed:
                raise TransportError("transport is closed")
            raise CardMuteError("card does not answer (an earlier command got no answer; the card was not reset since)")
        try:
            if self.apdu_timeout is None:
                rc, response = _transmit(hcard, self._pci, list(command))
            else:
                rc, response = self._guarded(f"{command[:4].hex(' ').upper()}", _transmit, hcard, self._pci, list(command), command=command)
        except scard.error as exc:
            raise TransportError(f"SCardTransmit: {exc}") from exc
        if rc or len(response) < 2:
            raise self._transmit_error(rc, len(response))
        return bytes(response)

    def transmit_with_power_cut(self, command: bytes, delay: float) -> bytes | None:
        """The command goes out on a thread of its own; `delay` s later the reader is told to
        power the card down and up again (SCardReconnect with SCARD_UNPOWER_CARD). pcsc-lite
        carries out the reconnect once an exchange in flight is over, so with most readers the
        cut lands after the card answered: a best effort the caller reports with its delays."""
        hcard = self._hcard
        if not hcard:
            raise CardMuteError("card does not answer (an earlier command got no answer; the card was not reset since)")
        box: dict[str, Any] = {}

        def send() -> None:
            try:
                box["answer"] = _transmit(hcard, self._pci, list(command))
            except scard.error as exc:
                box["error"] = exc

        sender = threading.Thread(target=send, name="pcsc-power-cut", daemon=True)
        sender.start()
        time.sleep(delay)
        try:
            rc, active = scard.SCardReconnect(hcard, scard.SCARD_SHARE_SHARED, self._protocols, scard.SCARD_UNPOWER_CARD)
        except scard.error as exc:
            raise TransportError(f"SCardReconnect (power cut): {exc}") from exc
        sender.join(self._timeout_for(command))
        if rc != scard.SCARD_S_SUCCESS:
            raise _error_for(rc, "SCardReconnect (power cut)", connected=True)
        self._set_protocol(active)
        self._read_atr()
        answer = box.get("answer")
        if answer is None or answer[0] or len(answer[1]) < 2:
            return None
        return bytes(answer[1])

    def _timeout_for(self, command: bytes | None) -> float:
        timeout = self.apdu_timeout
        if timeout is None:
            return DEFAULT_APDU_TIMEOUT  # connects and resets keep a deadline even then
        if callable(timeout):
            return timeout(command or b"")
        return timeout

    def _guarded(self, what: str, fn: Callable[..., T], *args: Any, command: bytes | None = None) -> T:
        """`fn(*args)` in the worker thread; past the deadline: abandon it, raise ApduTimeoutError."""
        timeout = self._timeout_for(command)
        if self._caller is None:
            self._caller = Caller(f"pcsc:{getattr(self, 'reader', '?')}", on_abandon=self._handles.release)
        try:
            return self._caller.call(timeout, fn, *args)
        except Abandoned:
            self._abandon()
            raise ApduTimeoutError(f"no answer within {timeout:g} s to {what}") from None
        except BaseException:
            if self._caller is not None and self._caller.abandoned:  # Ctrl-C while waiting
                self._abandon()
            raise

    def _abandon(self) -> None:
        """Leave the handles to the stuck call (its thread releases them) and start over on new ones."""
        self._stuck, self._caller = self._caller, None
        self._finalizer.detach()
        self._handles = _Handles()
        self._finalizer = weakref.finalize(self, self._handles.release)
        self._hcard = 0

    def _transmit_error(self, rc: int, length: int) -> TransportError:
        if not rc:
            # vpcd answers the command during which the card vanished with success and no bytes;
            # a physical reader never returns a response without a status word either.
            if length == 0:
                self._note_removal()
                return CardRemovedError("card removed (empty response to the command in flight)")
            return CardMuteError(f"the card returned {length} byte(s), not even a status word")
        if self._removed:
            return CardRemovedError()
        error = _error_for(rc, "SCardTransmit", connected=True)
        if rc == scard.SCARD_E_NOT_TRANSACTED and self._still_in_reader():
            return CardMuteError(f"the card does not answer: the reader failed the exchange, the card is still in it [{_describe(rc)}]")
        if isinstance(error, CardRemovedError):
            self._note_removal()
        return error

    def _still_in_reader(self) -> bool:
        """After a failed exchange: True when pcscd still shows the card present, with no removal
        counted, `_GONE_WITHIN` s on (a mute card); False as soon as it shows one (or cannot tell)."""
        try:
            rc, states = scard.SCardGetStatusChange(self._handles.context, 0, [(self.reader, scard.SCARD_STATE_UNAWARE)])
            if rc != scard.SCARD_S_SUCCESS or not states or not states[0][1] & scard.SCARD_STATE_PRESENT:
                return False
            known = states[0][1] & ~scard.SCARD_STATE_CHANGED
            rc, states = scard.SCardGetStatusChange(self._handles.context, int(_GONE_WITHIN * 1000), [(self.reader, known)])
        except scard.error:
            return False
        if rc == scard.SCARD_E_TIMEOUT:
            return True
        if rc != scard.SCARD_S_SUCCESS or not states:
            return False
        state = states[0][1]
        return bool(state & scard.SCARD_STATE_PRESENT) and (state >> 16) == (known >> 16)

    def _note_removal(self) -> None:
        self._removed = True
        self._events_at_removal = self._reader_events()

    def _reader_events(self) -> tuple[int, bool] | None:
        """(pcscd's event count for the reader, card present), or None when it cannot be read."""
        try:
            rc, states = scard.SCardGetStatusChange(self._handles.context, 0, [(self.reader, scard.SCARD_STATE_UNAWARE)])
        except scard.error:
            return None
        if rc != scard.SCARD_S_SUCCESS or not states:
            return None
        state = states[0][1]
        return (state >> 16) & 0xFFFF, bool(state & scard.SCARD_STATE_PRESENT)

    def _await_pcscd_reinsertion(self, deadline: float) -> None:
        """Wait (until `deadline`) for pcscd to count the removal and then the re-insertion.

        Seen present at the removal means pcscd had not yet noticed it: two events to wait for.
        """
        if self._events_at_removal is None:
            return
        count0, present0 = self._events_at_removal
        needed = 2 if present0 else 1
        while True:
            now = self._reader_events()
            if now is None:
                return
            count, present = now
            if present and (count - count0) & 0xFFFF >= needed:
                return
            if time.monotonic() >= deadline:
                return  # the reconnect below reports what is wrong
            time.sleep(_REINSERT_POLL)

    # -- connection management -----------------------------------------------------------------

    def _connect(self) -> None:
        handles = self._handles
        ctx = handles.context
        protocols = scard.SCARD_PROTOCOL_T0
        rc, hcard, active = scard.SCardConnect(ctx, self.reader, scard.SCARD_SHARE_SHARED, protocols)
        if rc == scard.SCARD_E_PROTO_MISMATCH:
            protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
            rc, hcard, active = scard.SCardConnect(ctx, self.reader, scard.SCARD_SHARE_SHARED, protocols)
        if rc != scard.SCARD_S_SUCCESS:
            raise _error_for(rc, f"connecting to {self.reader!r}", connected=False)
        if handles is not self._handles:  # abandoned meanwhile: the handle goes with its context
            return
        handles.card = self._hcard = hcard
        self._protocols = protocols
        self._set_protocol(active)
        self._read_atr()

    def _set_protocol(self, active: int) -> None:
        self.protocol = active
        self._pci = _PCI.get(active, scard.SCARD_PCI_T0)

    def _read_atr(self) -> None:
        rc, _reader, _state, _protocol, atr = scard.SCardStatus(self._hcard)
        if rc != scard.SCARD_S_SUCCESS:
            raise _error_for(rc, "SCardStatus", connected=True)
        self._atr = bytes(atr)

    def _reconnect_once(self, cold: bool = False) -> None:
        if not self._hcard:
            self._connect()
            return
        how = scard.SCARD_UNPOWER_CARD if cold else scard.SCARD_RESET_CARD
        rc, active = scard.SCardReconnect(self._hcard, scard.SCARD_SHARE_SHARED, self._protocols, how)
        if rc == scard.SCARD_E_PROTO_MISMATCH and self._protocols != _ANY_PROTOCOL:
            # the card came back offering other protocols (a new ATR): take whichever it offers
            self._protocols = _ANY_PROTOCOL
            rc, active = scard.SCardReconnect(self._hcard, scard.SCARD_SHARE_SHARED, self._protocols, how)
        if rc == scard.SCARD_E_INVALID_HANDLE:  # handle lost (e.g. pcscd restarted): start over
            self._drop_card_handle()
            self._connect()
            return
        if rc != scard.SCARD_S_SUCCESS:
            raise _error_for(rc, "SCardReconnect", connected=not self._removed)
        self._set_protocol(active)
        self._read_atr()

    def _await_stuck_call(self, deadline: float) -> None:
        """After an abandoned call: wait (until `deadline`) for it to return, then open a new context.

        While it has not returned pcscd's reader is still busy with it, so nothing else can reach
        the card: raise CardMuteError at once rather than queue behind it.
        """
        stuck = self._stuck
        if stuck is not None:
            if not stuck.finished.wait(max(deadline - time.monotonic(), 0.0)):
                raise CardMuteError("card does not answer (a command sent to it has had no answer yet)")
            self._stuck = None
        if not self._handles.context:
            rc, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if rc != scard.SCARD_S_SUCCESS:
                raise _error_for(rc, "SCardEstablishContext", connected=False)
            self._handles.context = ctx

    def _drop_card_handle(self) -> None:
        if self._handles.card:
            try:
                scard.SCardDisconnect(self._handles.card, scard.SCARD_LEAVE_CARD)
            except scard.error:
                pass
        self._handles.card = self._hcard = 0

    def reset(self, *, timeout: float | None = None, cold: bool = False) -> bytes:
        """Reset the card and return its ATR; wait up to `timeout` s for a removed card to return.

        The default timeout is `reinsert_timeout` after a removal and 0 otherwise. `cold`: the
        reader powers the card down and up (SCARD_UNPOWER_CARD) instead of a warm reset, and the
        ATR returned is the one the card sent at that power-up.
        """
        if self._closed:
            raise TransportError("transport is closed")
        if timeout is None:
            timeout = self.reinsert_timeout if (self._removed or self._stuck is not None) else 0.0
        deadline = time.monotonic() + timeout
        self._await_stuck_call(deadline)
        if self._removed:
            self._await_pcscd_reinsertion(deadline)
        while True:
            try:
                self._guarded("a reset", self._reconnect_once, cold)
                break
            except CardUnavailableError:  # the card may yet come back before the deadline
                if time.monotonic() >= deadline:
                    raise
                time.sleep(_REINSERT_POLL)
            except scard.error as exc:
                raise TransportError(f"PC/SC: {exc}") from exc
        self._removed = False
        self._events_at_removal = None
        assert self._atr is not None
        return self._atr

    def power_cycle(self) -> bytes:
        """Cold reset: `reset(cold=True)` (SCardReconnect with SCARD_UNPOWER_CARD)."""
        return self.reset(cold=True)

    @property
    def atr(self) -> bytes | None:
        return self._atr

    @property
    def protocol_name(self) -> str:
        return _PROTOCOL_NAMES.get(self.protocol, f"0x{self.protocol:X}")

    def close(self) -> None:
        self._closed = True
        self._hcard = 0
        self._finalizer()
        if self._caller is not None:
            self._caller.abandon()  # idle: its thread ends at once; the handles are released already
            self._caller = None
