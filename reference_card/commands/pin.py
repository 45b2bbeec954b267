"""VERIFY, CHANGE PIN, RELOAD PIN and UNBLOCK PIN (PROFILE §5, §6.4, §6.5).

The PIN lives in the DF `profile.security.pin.df` (SSSE) and is reachable from that DF and its
ADFs only (elsewhere → 6A88). Every comparison spends a try first (written before the result is
known) and restores it on success. RELOAD/UNBLOCK need EXTERNAL AUTHENTICATE with the PUK in the
current session and a MAC under the PUK version used there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_card.commands.base import CommandFamily
from ssc.codecs import decode_pin, encode_pin
from ssc.crypto.recipes import decipher_pin_block

if TYPE_CHECKING:
    from reference_card.cos import Cos
    from reference_card.security import CardKey


class PinCommands(CommandFamily):
    def __init__(self, cos: Cos, initial_pin: str) -> None:
        super().__init__(cos)
        vf = self.profile.command("verify")
        self.verify_p1p2 = (vf.byte("p1"), vf.byte("p2"))
        self.min_bytes = vf.byte("min_pin_bytes")
        if "shortest_pin_refused" in self.faults:  # the fault: a PIN of exactly the shortest length is too short
            self.min_bytes += 1
        self.max_bytes = vf.byte("max_pin_bytes")
        cp = self.profile.command("change_pin")
        self.change_p1p2 = (cp.byte("p1"), cp.byte("p2"))
        self.separator = cp.byte("separator")
        self.initial_pin = initial_pin
        self.algorithm = self.profile.algorithm
        self.mac_challenge = self.profile.security.challenge_mac
        self.blocked_first = self.profile.behaviour.card_pin_blocked_before_format.value
        self.reload_sets_state = self.profile.behaviour.card_reload_pin_sets_pin_state.value
        self._no_decrement = "pin_counter_not_decremented" in self.faults
        self._change_no_effect = "change_pin_no_effect" in self.faults
        self._reload_no_effect = "reload_pin_no_effect" in self.faults
        self._unblock_no_effect = "unblock_pin_no_effect" in self.faults
        self._change_sets_no_state = "change_pin_sets_no_pin_state" in self.faults
        self._change_ignores_block = "change_pin_ignores_block" in self.faults
        self._change_blocked_at_one = "change_pin_blocked_at_last_try" in self.faults
        self.counter = cos.pin_counter
        self.puk: CardKey | None = self.fs.keys_by_name.get(self.profile.command_key("reload_pin").name)
        self.unblock_puk: CardKey | None = self.fs.keys_by_name.get(self.profile.command_key("unblock_pin").name)

    def handlers(self) -> dict[str, object]:
        return {
            "verify": self.verify,
            "change_pin": self.change_pin,
            "reload_pin": self.reload_pin,
            "unblock_pin": self.unblock_pin,
        }

    # -- helpers -------------------------------------------------------------------------------
    def _digits(self, raw: bytes) -> str | None:
        if not self.min_bytes <= len(raw) <= self.max_bytes:
            return None
        try:
            return decode_pin(raw)
        except ValueError:
            return None

    def _matches(self, digits: str) -> bool:
        return self.cos.pin_digits() == digits

    def _compare(self, digits: str) -> bool:
        ok = self.cos.access.attempt(self.counter, self._matches(digits), decrement=not self._no_decrement)
        self.session.pin_ok = ok
        return ok

    # -- VERIFY --------------------------------------------------------------------------------
    def verify(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        if (apdu[2], apdu[3]) != self.verify_p1p2:
            return self.sw.wrong_p1p2
        if not data or not self.min_bytes <= len(data) <= self.max_bytes:
            return self.sw.wrong_length
        if not self.session.df.in_pin_scope:
            return self.sw.key_not_found
        digits = self._digits(data)
        blocked = self.counter.value == 0
        if blocked and (self.blocked_first or digits is not None):
            return self.sw.method_blocked
        if digits is None:
            return self.sw.wrong_data
        if self._compare(digits):
            return self.sw.ok
        return self.sw.tries_left(self.counter.value)

    # -- CHANGE PIN ----------------------------------------------------------------------------
    def change_pin(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        if (apdu[2], apdu[3]) != self.change_p1p2:
            return self.sw.wrong_p1p2
        if not data:
            return self.sw.wrong_length
        if not self.session.df.in_pin_scope:
            return self.sw.key_not_found
        cut = data.find(self.separator)
        old = self._digits(data[:cut]) if cut >= 0 else None
        new = self._digits(data[cut + 1 :]) if cut >= 0 else None
        malformed = old is None or new is None or new == self.initial_pin
        blocked = self.counter.value <= (1 if self._change_blocked_at_one else 0) and not self._change_ignores_block
        if blocked and (self.blocked_first or not malformed):
            return self.sw.method_blocked
        if malformed:
            return self.sw.wrong_data
        assert old is not None and new is not None  # not malformed: both parts parsed
        if self._change_no_effect and self._matches(old):
            return self.sw.ok
        if not self._compare(old):
            return self.sw.tries_left(self.counter.value)
        self.cos.write_pin(new)
        self.session.pin_ok = not self._change_sets_no_state
        return self.sw.ok

    # -- RELOAD / UNBLOCK PIN ------------------------------------------------------------------
    def _puk_session(self, puk: CardKey | None, apdu: bytes, data: bytes, chal: bytes | None) -> tuple[bytes | None, int]:
        """(error, version): PUK authenticated in this DF, a fresh 4-byte challenge, a valid MAC."""
        s = self.session
        if not s.df.in_pin_scope:
            return self.sw.key_not_found, 0
        if puk is None or s.df.keys.get(puk.id) is not puk or puk.id not in s.auth:
            return self.sw.security_not_satisfied, 0
        if chal is None or len(chal) != self.mac_challenge:
            return self.sw.referenced_data_invalid, 0
        version = s.auth[puk.id]
        if not self.access.mac_valid(puk, version, apdu, data, chal):
            return self.sw.sm_data_incorrect, 0
        return None, version

    def reload_pin(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        block = self.algorithm.block_size
        if data is None or len(data) != block + self.mac_length:
            return self.sw.wrong_length
        err, version = self._puk_session(self.puk, apdu, data, chal)
        if err is not None:
            return err
        try:
            assert self.puk is not None  # _puk_session refused the command when the card has no PUK
            digits = decipher_pin_block(self.algorithm, self.puk.versions[version], data[:block])
        except ValueError:
            return self.sw.wrong_data
        if self._digits(encode_pin(digits)) is None:
            return self.sw.wrong_data
        if self._reload_no_effect:
            return self.sw.ok
        self.cos.write_pin(digits)
        self.cos.access.set_counter(self.counter, self.counter.limit)
        if self.reload_sets_state:
            self.session.pin_ok = True
        return self.sw.ok

    def unblock_pin(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        if data is None or len(data) != self.mac_length:
            return self.sw.wrong_length
        err, _ = self._puk_session(self.unblock_puk, apdu, data, chal)
        if err is not None:
            return err
        if self._unblock_no_effect:
            return self.sw.ok
        self.cos.access.set_counter(self.counter, self.counter.limit)
        return self.sw.ok
