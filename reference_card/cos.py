"""The card operating system: state, dispatch and the first checks every APDU goes through.

`Cos.process` is the hot path. It takes the challenge and the pending GET RESPONSE data off the
session (both are consumed by the next command, whatever it is — PROFILE §5), answers 6A81 on a
terminated card, then runs the profile's first check groups — unknown CLA → 6E00, unknown INS →
6D00, an INS the CLA may not carry → 6E00 — from one precomputed (CLA, INS) table, applies the
blocked-application gate (§6.5), splits Lc/data/Le with plain byte indexing and calls the handler.
Handlers (`commands/`) do the rest in the documented order.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from reference_card.commands.auth import Authentication
from reference_card.commands.binary import Binary
from reference_card.commands.exchange import Exchange
from reference_card.commands.hook import TearingHook
from reference_card.commands.lifecycle import APPLICATION_BLOCKED, PERSONALIZED, TERMINATED, Lifecycle
from reference_card.commands.pin import PinCommands
from reference_card.commands.records import Records
from reference_card.commands.select import Select
from reference_card.filesystem import FileSystem, Node
from reference_card.iso7816 import HEADER_LENGTH, LC_OFFSET
from reference_card.issuance import CardImage
from reference_card.security import AccessControl, Session, TryCounter
from reference_card.statuswords import StatusBytes
from reference_card.store import PersistentStore
from ssc.codecs import decode_pin, encode_pin
from ssc.profile.model import Behaviour, BehaviourChoice, Profile

if TYPE_CHECKING:
    from reference_card.commands import Handler

__all__ = ["Cos"]

_PIN_PAD = 0xFF

# The order of checks the handlers implement (PROFILE §5), by status-word name. A profile asking
# for another order is refused rather than silently ignored.
IMPLEMENTED_CHECK_ORDER = (
    ("cla_not_supported",),
    ("ins_not_supported",),
    ("cla_not_supported",),
    ("wrong_p1p2",),
    ("wrong_length",),
    ("file_not_found", "record_not_found", "no_current_ef", "incompatible_file_structure", "offset_beyond_ef", "not_enough_space"),
    ("security_not_satisfied", "referenced_data_invalid", "sm_data_incorrect"),
    ("wrong_le", "wrong_data"),
)


def _fixed_behaviour(b: Behaviour) -> tuple[tuple[BehaviourChoice[Any], object], ...]:
    """Behaviour choices (profile `behaviour:`) this card implements one way only, with that way;
    a profile choosing otherwise is refused. The other `card_*` choices are read where they apply."""
    return (
        (b.card_unexpected_data_field, "wrong_length"),
        (b.card_sfi_selects_ef, False),
        (b.card_blocked_application_check, "after_cla_ins"),
        (b.card_try_counter_write, "decrement_before_compare_restore_on_success"),
        (b.card_tearing_at_write_end, "commit_then_cut"),
    )


class Cos:
    def __init__(
        self,
        profile: Profile,
        image: CardImage,
        *,
        faults: frozenset[str],
        tearing_hook: bool,
        rng: random.Random | None,
    ) -> None:
        self.profile = profile
        self.faults = faults
        if tuple(tuple(sorted(g)) for g in profile.check_order) != tuple(tuple(sorted(g)) for g in IMPLEMENTED_CHECK_ORDER):
            raise NotImplementedError(f"profile {profile.name} asks for a check order this card does not implement: {profile.check_order}")
        for choice, implemented in _fixed_behaviour(profile.behaviour):
            if choice.value != implemented:
                raise NotImplementedError(
                    f"behaviour {choice.name}: this card implements {implemented!r}, the profile asks for {choice.value!r}"
                )
        self.sw = StatusBytes(profile.sw)
        self.store = PersistentStore(anti_tearing="no_anti_tearing" not in faults)
        self.session = Session(None)  # type: ignore[arg-type]  # placed at the MF below, once the file system exists
        self.access = AccessControl(
            self.session,
            self.sw,
            self.store,
            profile.algorithm,
            mac_challenge_length=profile.security.challenge_mac,
            mac_length=profile.security.mac_length,
            sm_version=profile.behaviour.card_sm_key_version.value,
            faults=faults,
        )
        self.fs = FileSystem(profile, image, self.access, faults)
        self.session.reset(self.fs.mf)
        self.lifecycle = PERSONALIZED
        self.pin_counter = TryCounter(profile.security.pin.tries)
        self._pin_slot = profile.command("verify").byte("max_pin_bytes") + 1
        self._pin_cell = self._pin_cell_for(decode_pin(image.pin))
        self._keep_challenge = "reusable_challenge" in faults
        self._keep_pin_state = "pin_state_survives_reset" in faults
        self._blocked_writes = (
            frozenset(profile.command(c).ins for c in ("update_record", "update_binary"))
            if "blocked_application_writes" in faults
            else frozenset()
        )
        self._short: bytes = getattr(self.sw, profile.behaviour.card_short_apdu.value)
        if "truncated_apdu_answers_data" in faults:
            self._short = image.card_sn + self.sw.ok
        self._unknown_ins = self.sw.ok if "undefined_ins_answers_ok" in faults else self.sw.ins_not_supported
        self._mute_on_bad_lc = "inconsistent_lc_mute" in faults
        lifecycle_key = profile.command_key("application_block")
        self._app = self.fs.nodes.get(lifecycle_key.df)

        self._exchange = Exchange(self, rng)
        self._exchange.power_on()
        families = [
            Select(self),
            Records(self),
            Binary(self),
            self._exchange,
            Authentication(self),
            PinCommands(self, image.initial_pin),
            Lifecycle(self),
        ]
        if tearing_hook:
            families.append(TearingHook(self))
        handlers: dict[str, Handler] = {}
        for family in families:
            handlers.update(family.handlers())  # type: ignore[arg-type]  # bound methods: their parameter names differ from Handler's
        self._build_table(handlers, tearing_hook)

    # -- dispatch table ------------------------------------------------------------------------
    def _build_table(self, handlers: dict[str, Handler], tearing_hook: bool) -> None:
        by_pair: dict[int, list[tuple[str, Handler]]] = {}
        for name, cmd in self.profile.commands.items():
            if cmd.virtual_only and not tearing_hook:
                continue
            handler = handlers.get(name)
            if handler is None:
                raise NotImplementedError(f"the profile declares command {name!r}; the reference card has no handler for it")
            for cla in cmd.cla:
                by_pair.setdefault(cla << 8 | cmd.ins, []).append((name, handler))
        self._table: dict[int, Handler] = {}
        for pair, entries in by_pair.items():
            self._table[pair] = entries[0][1] if len(entries) == 1 else self._by_p1p2(entries)
        self._known_cla = frozenset(pair >> 8 for pair in self._table)
        self._known_ins = frozenset(pair & 0xFF for pair in self._table)
        allowed = set(self.profile.security.lifecycle_blocked_allows)
        allowed |= {name for name, cmd in self.profile.commands.items() if cmd.virtual_only}  # test hooks
        self._blocked_ok = frozenset(pair for pair, entries in by_pair.items() if any(name in allowed for name, _ in entries))

    def _by_p1p2(self, entries: list[tuple[str, Handler]]) -> Handler:
        """Commands sharing CLA and INS (RELOAD/UNBLOCK PIN) are told apart by their P1-P2."""
        table = {}
        for name, handler in entries:
            cmd = self.profile.command(name)
            table[cmd.byte("p1") << 8 | cmd.byte("p2")] = handler
        wrong = self.sw.wrong_p1p2

        def dispatch(apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
            handler = table.get(apdu[2] << 8 | apdu[3])
            return wrong if handler is None else handler(apdu, data, le, chal, pending)

        return dispatch

    # -- the hot path --------------------------------------------------------------------------
    def process(self, apdu: bytes) -> bytes:
        s = self.session
        chal = s.challenge
        if not self._keep_challenge:
            s.challenge = None
        pending = s.pending
        s.pending = None
        if self.lifecycle == TERMINATED:
            return self.sw.function_not_supported
        n = len(apdu)
        if n < HEADER_LENGTH:
            return self._short
        pair = apdu[0] << 8 | apdu[1]
        handler = self._table.get(pair)
        if handler is None:
            if apdu[0] not in self._known_cla:
                return self.sw.cla_not_supported
            if apdu[1] not in self._known_ins:
                return self._unknown_ins
            return self.sw.cla_not_supported
        if self.lifecycle == APPLICATION_BLOCKED and s.df.app is self._app and pair not in self._blocked_ok:
            if apdu[1] in self._blocked_writes:  # fault blocked_application_writes: refused, yet executed
                self._call(handler, apdu, n, chal, pending)
            return self.sw.function_not_supported
        return self._call(handler, apdu, n, chal, pending)

    def _call(self, handler: Handler, apdu: bytes, n: int, chal: bytes | None, pending: bytes | None) -> bytes:
        """Split the APDU into data and Le for `handler` (ISO/IEC 7816-3 short cases)."""
        if n == HEADER_LENGTH:
            return handler(apdu, b"", None, chal, pending)
        lc = apdu[LC_OFFSET]
        if n == HEADER_LENGTH + 1:
            return handler(apdu, b"", lc, chal, pending)
        if lc:
            body = HEADER_LENGTH + 1 + lc
            if n == body:
                return handler(apdu, apdu[HEADER_LENGTH + 1 :], None, chal, pending)
            if n == body + 1:
                return handler(apdu, apdu[HEADER_LENGTH + 1 : body], apdu[body], chal, pending)
        if self._mute_on_bad_lc:
            return b""  # the fault: the command interpreter gives no answer at all
        return handler(apdu, None, None, chal, pending)  # extended or inconsistent Lc → 6700

    # -- services for the handlers -------------------------------------------------------------
    def reset_volatile(self) -> None:
        """Power-on (or power loss): the session is cleared and an armed power cut forgotten."""
        keep = self.session.pin_ok and self._keep_pin_state
        self.session.reset(self.fs.mf)  # the reset itself clears the PIN state (Session.reset) ...
        if keep:  # ... which only the pin_state_survives_reset fault gives back
            self.session.pin_ok = True
        self.store.disarm()
        self._exchange.power_on()

    @staticmethod
    def within(node: Node | None, ancestor: Node | None) -> bool:
        if ancestor is None:
            return False
        while node is not None:
            if node is ancestor:
                return True
            node = node.parent
        return False

    def _pin_cell_for(self, digits: str) -> bytes:
        bcd = encode_pin(digits)
        return bytes([len(bcd)]) + bcd + bytes([_PIN_PAD]) * (self._pin_slot - 1 - len(bcd))

    def pin_digits(self) -> str | None:
        cell = self._pin_cell
        n = cell[0]
        try:
            return decode_pin(cell[1 : 1 + n]) if 0 < n < len(cell) else None
        except ValueError:
            return None  # a torn PIN (no_anti_tearing fault) matches nothing

    def write_pin(self, digits: str) -> None:
        def commit(value: bytes) -> None:
            self._pin_cell = value

        self.store.write(self._pin_cell, self._pin_cell_for(digits), commit)

    def set_lifecycle(self, state: int) -> None:
        def commit(value: bytes) -> None:
            self.lifecycle = value[0]

        self.store.write(bytes([self.lifecycle]), bytes([state]), commit)
