"""Security state, keys, try counters and access-rule enforcement (PROFILE §3.3, §6).

- `Session`: the volatile state a reset clears — current DF/EF, authenticated keys, PIN state,
  the last challenge and pending GET RESPONSE data.
- `CardKey` / `TryCounter`: keys with one persistent try counter per version (§6.1).
- `AccessControl`: compiles each access rule of the profile once into a `CompiledRule` and
  evaluates it against the session, including the MAC of an `SM k` term (§6.4), and runs every
  PIN/key comparison with the counter written before the result is known (§6.5).

Rule faults (or→and, and→or, any key opens an AUTH term, MAC not checked, counters) are applied
here by configuration: the clean and the faulty card run the same code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_card.iso7816 import LC_OFFSET, is_sm_cla
from reference_card.statuswords import StatusBytes
from reference_card.store import PersistentStore
from ssc.crypto.algorithm import Algorithm
from ssc.crypto.recipes import command_mac
from ssc.profile.access import AccessRule, Auth, Pin, Sm
from ssc.profile.model import KeyDef

if TYPE_CHECKING:  # filesystem builds on this module, so the name is for the type checker only
    from reference_card.filesystem import Node

__all__ = ["AccessControl", "CardKey", "CompiledRule", "Session", "TryCounter"]


class Session:
    """Volatile card state; `reset` is what power-on does."""

    __slots__ = ("df", "ef", "auth", "pin_ok", "challenge", "pending")

    def __init__(self, mf: Node) -> None:
        self.reset(mf)

    def reset(self, mf: Node) -> None:
        self.df: Node = mf
        self.ef: Node | None = None
        self.auth: dict[int, int] = {}  # external key id (in the current DF) → version used
        self.pin_ok = False
        self.challenge: bytes | None = None
        self.pending: bytes | None = None


class TryCounter:
    """A persistent try counter (one byte in the store)."""

    __slots__ = ("value", "limit")

    def __init__(self, limit: int) -> None:
        self.value = limit
        self.limit = limit


class CardKey:
    """A card key: one value and one try counter per loaded version."""

    __slots__ = ("name", "id", "use", "df", "versions", "active", "counters")

    def __init__(self, definition: KeyDef, versions: dict[int, bytes]) -> None:
        self.name = definition.name
        self.id = definition.id
        self.use = definition.use
        self.df = definition.df
        self.versions = versions
        self.active = definition.active
        self.counters = {v: TryCounter(definition.tries) for v in versions}

    def resolve(self, version: int, active_code: int) -> int | None:
        """The loaded version a P1 value refers to (`active_code` = the active version), or None."""
        v = self.active if version == active_code else version
        return v if v in self.versions else None


class CompiledRule:
    """An access rule ready to evaluate: `mode` is "free", "never", "all" or "any"."""

    __slots__ = ("mode", "pin", "auth_ids", "sm_keys", "df_keys", "text")

    def __init__(
        self, mode: str, pin: bool, auth_ids: tuple[int, ...], sm_keys: tuple[CardKey, ...], text: str, df_keys: tuple[CardKey, ...] = ()
    ) -> None:
        self.mode = mode
        self.pin = pin
        self.auth_ids = auth_ids
        self.sm_keys = sm_keys
        self.df_keys = df_keys  # every key of the file's DF (the sm_any_key_mac fault accepts their MACs)
        self.text = text


class AccessControl:
    def __init__(
        self,
        session: Session,
        sw: StatusBytes,
        store: PersistentStore,
        algorithm: Algorithm,
        *,
        mac_challenge_length: int,
        mac_length: int,
        sm_version: str,
        faults: frozenset[str],
    ) -> None:
        self.session = session
        self.sw = sw
        self.store = store
        self.algorithm = algorithm
        self.mac_challenge_length = mac_challenge_length
        self.mac_length = mac_length
        self._sm_version = sm_version
        self._or_as_and = "or_rule_as_and" in faults
        self._and_as_or = "and_rule_as_or" in faults
        self._any_key = "any_key_opens_auth" in faults
        self._mac_unchecked = "mac_not_checked" in faults
        self._late_counter = "try_counter_after_compare" in faults
        self._any_mac_key = "sm_any_key_mac" in faults

    # -- rules ---------------------------------------------------------------------------------
    def compile(self, rule: AccessRule | None, keys: dict[str, CardKey]) -> CompiledRule:
        """`keys`: the card keys of the file's DF by name (rules only name keys of that DF)."""
        if rule is None or rule.is_never:
            return CompiledRule("never", False, (), (), str(rule) if rule else "never")
        if rule.is_free:
            return CompiledRule("free", False, (), (), "free")
        mode = "any" if rule.kind == "or" else "all"
        if mode == "any" and self._or_as_and:
            mode = "all"
        elif rule.kind == "and" and self._and_as_or:
            mode = "any"
        pin = any(isinstance(t, Pin) for t in rule.terms)
        auth_ids = tuple(keys[t.key].id for t in rule.terms if isinstance(t, Auth) and t.key in keys)
        sm_keys = tuple(keys[t.key] for t in rule.terms if isinstance(t, Sm) and t.key in keys)
        return CompiledRule(mode, pin, auth_ids, sm_keys, str(rule), tuple(keys.values()))

    def check(self, rule: CompiledRule, apdu: bytes, data: bytes, chal: bytes | None) -> bytes | None:
        """None when `rule` allows this command, else the status word. `data` is the whole data
        field (with the trailing MAC when the CLA announces secure messaging)."""
        sm = is_sm_cla(apdu[0])
        mode = rule.mode
        if mode == "free":
            return self.sw.security_not_satisfied if sm else None
        if mode == "never":
            return self.sw.security_not_satisfied
        sm_ok: tuple[CardKey, ...] = ()
        if sm:
            if not rule.sm_keys:
                return self.sw.security_not_satisfied
            if chal is None or len(chal) != self.mac_challenge_length:
                return self.sw.referenced_data_invalid
            sm_ok = tuple(k for k in rule.sm_keys if self.mac_valid(k, self.sm_version_of(k), apdu, data, chal))
            if self._any_mac_key and any(self.mac_valid(k, self.sm_version_of(k), apdu, data, chal) for k in rule.df_keys):
                sm_ok = rule.sm_keys
            if not sm_ok:
                return self.sw.sm_data_incorrect
        session = self.session
        results = []
        if rule.pin:
            results.append(session.pin_ok)
        for kid in rule.auth_ids:
            results.append(bool(session.auth) if self._any_key else kid in session.auth)
        for key in rule.sm_keys:
            results.append(key in sm_ok)
        ok = all(results) if mode == "all" else any(results)
        return None if ok else self.sw.security_not_satisfied

    # -- MACs ----------------------------------------------------------------------------------
    def sm_version_of(self, key: CardKey) -> int:
        if self._sm_version != "active":
            raise NotImplementedError(f"SM key version policy {self._sm_version!r}")
        return key.active

    def mac_valid(self, key: CardKey, version: int, apdu: bytes, data: bytes, chal: bytes) -> bool:
        """Check the trailing MAC of `data`: over CLA INS P1 P2 Lc ‖ data-without-MAC (§6.4)."""
        if self._mac_unchecked:
            return True
        value = key.versions.get(version)
        if value is None or len(data) < self.mac_length:
            return False
        body_end = LC_OFFSET + 1 + len(data) - self.mac_length
        expected = command_mac(self.algorithm, value, chal, apdu[:body_end])
        return expected == data[-self.mac_length :]

    # -- try counters (§6.5) -------------------------------------------------------------------
    def set_counter(self, counter: TryCounter, value: int) -> None:
        def commit(raw: bytes) -> None:
            counter.value = raw[0]

        self.store.write(bytes([counter.value]), bytes([value]), commit)

    def attempt(self, counter: TryCounter, matches: bool, *, decrement: bool = True) -> bool:
        """Spend a try and restore it on success: the decremented counter is written before the
        comparison result can be observed. `decrement=False` is the PIN-counter fault."""
        if self._late_counter:  # compare first, count afterwards: only a power cut can tell
            if matches:
                if counter.value != counter.limit:
                    self.set_counter(counter, counter.limit)
                return True
            if decrement and counter.value:
                self.set_counter(counter, counter.value - 1)
            return False
        if decrement and counter.value:
            self.set_counter(counter, counter.value - 1)
        if matches:
            self.set_counter(counter, counter.limit)
        return matches
