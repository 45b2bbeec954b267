"""Keep the harness from blocking a card by accident: a transport wrapper that counts tries.

A run against a card whose keys or PIN do not match the run's inputs would otherwise spend one try
per scenario until the key or PIN is blocked — on a lab's physical test card, irreversibly. The
guard watches the card's own answers: once an EXTERNAL AUTHENTICATE with a key id is answered
"verification failed, x tries left" with x at or below the reserve, further attempts with that key
id are refused here, before they reach the card; once the PIN counter is at the reserve, only a PIN
value the card has already accepted in this run may still be sent (after a CHANGE PIN it answered
OK, only the new value; after a RELOAD PIN, whose new value is enciphered, none until one is accepted).
Scenarios that block on purpose (@destructive) disarm the guard while they run, as does a diff's
destructive PIN probe for the one operation that runs the PIN down on purpose (`disarmed`, found
below the diff's mirror with `find_try_guard`). Refusals raise `TryGuardRefusal`, which fails the
scenario with the reason; nothing is sent. PIN values are kept only as digests, in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from ssc.bilingual import bilingual
from ssc.profile.model import Profile
from terminal.errors import HarnessError
from terminal.transports.base import Transport, WrappingTransport

__all__ = ["TryGuardRefusal", "TryGuardTransport", "find_try_guard"]


class TryGuardRefusal(HarnessError):
    """A command was not sent because it could block a key or the PIN."""


class TryGuardTransport(WrappingTransport):
    def __init__(self, inner: Transport, profile: Profile, *, reserve: int = 1) -> None:
        super().__init__(inner)
        self.reserve = reserve
        self.armed = True
        self._failed = profile.sw["verification_failed"]
        self._ok = profile.sw.ok
        ext, verify, change = (profile.command(n) for n in ("external_authenticate", "verify", "change_pin"))
        self._ext = (frozenset(ext.cla), ext.ins)
        self._verify = (frozenset(verify.cla), verify.ins)
        self._change = (frozenset(change.cla), change.ins)
        self._separator = change.byte("separator")  # between the old and the new PIN in CHANGE PIN's data
        self._pin_resets = [(frozenset(c.cla), c.ins) for c in (profile.command("reload_pin"), profile.command("unblock_pin"))]
        self._active_version = ext.byte("active_version")  # P1 meaning "the active version"
        self._active = {k.id: k.active for k in profile.keys() if k.use == "external"}
        self._keys_at_reserve: dict[tuple[int, int], int] = {}  # (key id, version) -> tries left the card reported
        self._pin_tries: int | None = None  # last tries-left the card reported for the PIN
        self._good_pins: set[bytes] = set()  # digests of PIN fields the card accepted

    @contextmanager
    def disarmed(self) -> Iterator[None]:
        """The guard off for one block (an operation that spends tries on purpose and gives them
        back itself), then as it was: an exception inside cannot leave it off."""
        before, self.armed = self.armed, False
        try:
            yield
        finally:
            self.armed = before

    @staticmethod
    def _is(command: bytes, spec: tuple[frozenset[int], int]) -> bool:
        return len(command) >= 4 and command[1] == spec[1] and command[0] in spec[0]

    def transmit(self, command: bytes) -> bytes:
        is_ext, is_verify, is_change = (self._is(command, s) for s in (self._ext, self._verify, self._change))
        if self.armed:
            self._refuse_if_risky(command, is_ext, is_verify, is_change)
        response = self.inner.transmit(command)
        if len(response) >= 2:
            if is_ext or is_verify or is_change:
                self._observe(command, response, is_ext, is_verify)
            elif any(self._is(command, spec) for spec in self._pin_resets) and response[-2:] == self._ok.to_bytes(2, "big"):
                self._pin_tries = None  # RELOAD / UNBLOCK PIN restored the counter
                if self._is(command, self._pin_resets[0]):
                    self._good_pins.clear()  # RELOAD PIN set another PIN: a value accepted before may be wrong now
        return response

    def _key(self, command: bytes) -> tuple[int, int]:
        """(key id, version) with "active version" resolved, so 00 and 01 count as one counter."""
        version = command[2]
        if version == self._active_version:
            version = self._active.get(command[3], version)
        return command[3], version

    def _refuse_if_risky(self, command: bytes, is_ext: bool, is_verify: bool, is_change: bool) -> None:
        if is_ext and self._key(command) in self._keys_at_reserve:
            left = self._keys_at_reserve[self._key(command)]
            raise TryGuardRefusal(
                bilingual(
                    f"未发送密钥标识 {command[3]:02X}、版本 {self._key(command)[1]:02X} 的外部认证：卡片已拒绝该密钥，只剩 {left} 次尝试机会，"
                    "再失败一次可能导致密钥锁定——本次运行的密钥很可能与卡片不符（安全与个人化检测中的密钥检查会指出密钥及其分散层级）",
                    f"EXTERNAL AUTHENTICATE with key id {command[3]:02X} version {self._key(command)[1]:02X} not sent: "
                    f"the card already refused this key with {left} tr{'y' if left == 1 else 'ies'} left, and another failure could block it "
                    "— the run's keys probably do not match the card (the key checks of the security and personalization reviews "
                    "name the key and the diversification level)",
                )
            )
        pin_at_reserve = self._pin_tries is not None and self._pin_tries <= self.reserve
        if pin_at_reserve and is_change:
            raise TryGuardRefusal(
                bilingual(
                    f"未发送修改 PIN：PIN 只剩 {self._pin_tries} 次尝试机会；请检查 --pin 给出的 PIN",
                    "CHANGE PIN not sent: the PIN has only "
                    f"{self._pin_tries} tr{'y' if self._pin_tries == 1 else 'ies'} left; check the PIN given with --pin",
                )
            )
        if pin_at_reserve and is_verify and self._digest(command) not in self._good_pins:
            raise TryGuardRefusal(
                bilingual(
                    f"未发送校验 PIN：PIN 只剩 {self._pin_tries} 次尝试机会，且本次运行中从未接受过这个 PIN 值；请检查 --pin 给出的 PIN",
                    "VERIFY not sent: the PIN has only "
                    f"{self._pin_tries} tr{'y' if self._pin_tries == 1 else 'ies'} left and this PIN value was never "
                    "accepted in this run; check the PIN given with --pin",
                )
            )

    def _observe(self, command: bytes, response: bytes, is_ext: bool, is_verify: bool) -> None:
        sw = int.from_bytes(response[-2:], "big")
        failed = self._failed.matches(sw)
        tries = sw & self._failed.variable_mask if failed else None
        if is_ext:
            if failed and tries is not None and tries <= self.reserve:
                self._keys_at_reserve[self._key(command)] = tries
            elif sw == self._ok:
                self._keys_at_reserve.pop(self._key(command), None)
            return
        if failed:
            self._pin_tries = tries
        elif sw == self._ok:
            self._pin_tries = None
            if is_verify:
                self._good_pins.add(self._digest(command))
            else:  # CHANGE PIN: the old value is no longer the PIN, the new one is (as a VERIFY would send it)
                self._good_pins.clear()
                data = command[5 : 5 + command[4]] if len(command) > 5 else b""
                cut = data.find(self._separator)
                if cut >= 0:
                    new = data[cut + 1 :]
                    self._good_pins.add(hashlib.sha256(bytes([len(new)]) + new).digest())

    @staticmethod
    def _digest(command: bytes) -> bytes:
        return hashlib.sha256(command[4:]).digest()


def find_try_guard(transport: Transport) -> TryGuardTransport | None:
    """The try guard in a chain of wrapping transports (None: the chain has none)."""
    current: Transport | None = transport
    while current is not None:
        if isinstance(current, TryGuardTransport):
            return current
        current = current.inner if isinstance(current, WrappingTransport) else None
    return None
