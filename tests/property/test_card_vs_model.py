"""CardVsModel (STYLE §4): the reference card and a deliberately small model in lockstep.

The model is written from the profile, not from `reference_card/`: plain values for the current
DF, the PIN counter and state, the authenticated keys and the records written so far, and its own
evaluation of the profile's access-rule AST. Each rule sends one APDU (or a 6Cxx re-issue) and
compares the status word — and the data where the model knows it — with the model's prediction.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from reference_card import ReferenceCard
from ssc.codecs import encode_pin
from ssc.crypto.recipes import auth_cryptogram
from ssc.keyset import TestKeySet, derive_card_key
from ssc.profile import load_profile
from ssc.profile.access import AccessRule, Auth, Pin, Sm
from ssc.profile.model import FileDef, KeyDef

PROFILE = load_profile("gen3")
SW = PROFILE.sw
PIN_DF = PROFILE.security.pin.df
DFS = [f for f in PROFILE.files.values() if f.is_df and f.name and f.presence != "optional"]
RECORD_EFS = [f for f in PROFILE.efs() if f.kind == "linear" and f.records and "dir" not in f.flags]
KEYS = [k for k in PROFILE.keys() if k.use == "external"]


def _sfi(ef: FileDef) -> int:
    assert ef.sfi is not None, f"{ef.path}: every EF declares its SFI (the profile loader requires one)"
    return ef.sfi


SFIS = sorted({_sfi(f) for f in RECORD_EFS})
WRONG_PIN = "000000"


def in_pin_scope(df: str) -> bool:
    return df == PIN_DF or df.startswith(PIN_DF + "/")


def allows(rule: AccessRule | None, pin_ok: bool, auth: set[str]) -> bool:
    """The model's own reading of PROFILE §3.3 (plain APDUs: SM terms are never satisfied)."""
    if rule is None or rule.kind == "never":
        return False
    if rule.kind == "free":
        return True
    truth = [
        pin_ok if isinstance(t, Pin) else (t.key in auth if isinstance(t, Auth) else False)
        for t in rule.terms
        if isinstance(t, (Pin, Auth, Sm))
    ]
    return any(truth) if rule.kind == "or" else all(truth)


class CardVsModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.card = ReferenceCard.default(PROFILE.name)
        self.keyset = TestKeySet.for_profile(PROFILE)
        self.card_sn = PROFILE.atr.card_sn_of(self.card.atr)
        self.region = self.card.personalization.region
        self.pin = self.card.personalization.pin or PROFILE.security.pin.initial
        self.pin_tries = PROFILE.security.pin.tries
        self.key_tries: dict[str, int] = {k.name: k.tries for k in KEYS}
        self.written: dict[tuple[str, int], bytes] = {}
        self.reset_volatile()

    def reset_volatile(self) -> None:
        self.df = "MF"
        self.pin_ok = False
        self.auth: set[str] = set()

    def ef_here(self, sfi: int) -> FileDef | None:
        return next((f for f in PROFILE.children(self.df) if f.sfi == sfi), None) if self.df != "MF" else None

    def key_here(self, key_id: int) -> KeyDef | None:
        return next((k for k in KEYS if k.df == self.df and k.id == key_id), None)

    def send(self, apdu: bytes) -> tuple[bytes, int]:
        out = self.card.process(apdu)
        return out[:-2], int.from_bytes(out[-2:], "big")

    @initialize()
    def power(self) -> None:
        assert self.card.power_on() == self.card.atr

    # -- rules ---------------------------------------------------------------------------------
    @rule()
    def reset(self) -> None:
        self.card.power_on()
        self.reset_volatile()

    @rule(df=st.sampled_from(DFS))
    def select_df(self, df: FileDef) -> None:
        assert df.name is not None, "DFS holds only DFs with a name"
        _, sw = self.send(bytes([0, 0xA4, 4, 0, len(df.name)]) + df.name)
        assert SW["more_data"].matches(sw)
        if df.path != self.df:
            self.auth.clear()
        self.df = df.path
        if not in_pin_scope(df.path):
            self.pin_ok = False

    @precondition(lambda self: in_pin_scope(self.df))
    @rule(right=st.booleans())
    def verify(self, right: bool) -> None:
        if not right and self.pin_tries <= 1:
            right = True  # fence: keep the PIN usable
        pin = encode_pin(self.pin if right else WRONG_PIN)
        _, sw = self.send(bytes([0, 0x20, 0, 0, len(pin)]) + pin)
        if self.pin_tries == 0:
            assert sw == SW.method_blocked
            return
        if right:
            assert sw == SW.ok
            self.pin_tries = PROFILE.security.pin.tries
            self.pin_ok = True
        else:
            self.pin_tries -= 1
            assert sw == SW["verification_failed"].with_value(self.pin_tries)
            self.pin_ok = False

    @rule(index=st.integers(0, 15), right=st.booleans(), here=st.booleans())
    def external_auth(self, index: int, right: bool, here: bool) -> None:
        """A key of the current DF (mostly), or any key of the profile (6A88 or a same-id clash)."""
        local = [k for k in KEYS if k.df == self.df]
        key = local[index % len(local)] if here and local else KEYS[index % len(KEYS)]
        target = self.key_here(key.id)
        succeeds = right and target is not None and target.name == key.name
        if target is not None and not succeeds and self.key_tries[target.name] <= 1:
            return  # fence: never block a key
        challenge, sw = self.send(bytes([0, 0x84, 0, 0, PROFILE.security.challenge_external_auth]))
        assert sw == SW.ok
        k = derive_card_key(PROFILE, self.keyset, key, key.active, self.region, self.card_sn)
        crypt = auth_cryptogram(PROFILE.algorithm, k, challenge, challenge)
        if not right:
            crypt = bytes([crypt[0] ^ 0x01]) + crypt[1:]
        _, sw = self.send(bytes([0, 0x82, 0, key.id, 16]) + crypt + challenge)
        if target is None:
            assert sw == SW.key_not_found
        elif succeeds:
            assert sw == SW.ok
            self.key_tries[target.name] = target.tries
            self.auth.add(target.name)
        else:
            self.key_tries[target.name] -= 1
            assert sw == SW["verification_failed"].with_value(self.key_tries[target.name])
            self.auth.discard(target.name)

    def pick_sfi(self, index: int, here: bool) -> int:
        local = [_sfi(f) for f in RECORD_EFS if f.parent == self.df]
        return local[index % len(local)] if here and local else SFIS[index % len(SFIS)]

    @rule(index=st.integers(0, 15), here=st.booleans(), number=st.integers(1, 3))
    def read_record(self, index: int, here: bool, number: int) -> None:
        sfi = self.pick_sfi(index, here)
        ef = self.ef_here(sfi)
        if ef is not None and ef not in RECORD_EFS:
            return  # DIR, transparent, cyclic and reserved files are covered by the unit tests
        data, sw = self.send(bytes([0, 0xB2, number, sfi << 3 | 4, 0]))
        if ef is None:
            assert sw == SW.file_not_found
            return
        if number > len(ef.records):
            assert sw == SW.record_not_found
            return
        if not allows(ef.rule("read"), self.pin_ok, self.auth):
            assert sw == SW.security_not_satisfied
            return
        rec = ef.records[number - 1]
        assert sw == SW["wrong_le"].with_value(rec.record_length)
        data, sw = self.send(bytes([0, 0xB2, number, sfi << 3 | 4, rec.record_length]))
        assert sw == SW.ok and data[:2] == bytes([rec.tag, rec.length])
        if (ef.path, number) in self.written:
            assert data == self.written[(ef.path, number)]

    @rule(index=st.integers(0, 15), here=st.booleans(), number=st.integers(1, 2), fill=st.integers(0x30, 0x39))
    def update_record(self, index: int, here: bool, number: int, fill: int) -> None:
        sfi = self.pick_sfi(index, here)
        ef = self.ef_here(sfi)
        if ef is None or ef not in RECORD_EFS or number > len(ef.records):
            return
        rec = ef.records[number - 1]
        value = bytes([rec.tag, rec.length]) + bytes([fill]) * rec.length
        _, sw = self.send(bytes([0, 0xDC, number, sfi << 3 | 4, len(value)]) + value)
        if not allows(ef.rule("update"), self.pin_ok, self.auth):
            assert sw == SW.security_not_satisfied
        else:
            assert sw == SW.ok
            self.written[(ef.path, number)] = value


CardVsModel.TestCase.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
TestCardVsModel = CardVsModel.TestCase
