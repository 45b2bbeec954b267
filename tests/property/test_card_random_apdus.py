"""Random APDUs against the reference card (SEC-ROB-1, PROFILE §5).

Properties, for every APDU of every run (≥ 10,000 APDUs per run):
- `process` never raises (except `PowerCut` after the tearing hook was armed with FF 7E → 9000);
- every response ends in a status word the profile lists, and carries data only with 9000/61xx;
- no protected data leaks: the plaintext of every record or binary file whose read rule is not
  free (known from an oracle card opened with the right keys and PIN) never appears in a
  response — except PIN-openable files after a successful VERIFY / CHANGE PIN in this session
  (random bytes cannot pass EXTERNAL AUTHENTICATE or a MAC).

The generator is biased toward the profile's own CLA/INS/P1-P2 values, FIDs, DF names, SFIs, key
ids, record lengths and the right PIN, so deep paths (inside ADFs, after VERIFY, 61xx/6Cxx
exchanges) are reached.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_card import ReferenceCard
from ssc.card import PowerCut
from ssc.codecs import encode_pin
from ssc.crypto.recipes import auth_cryptogram
from ssc.keyset import TestKeySet, derive_card_key
from ssc.profile import load_profile
from ssc.profile.access import Pin
from ssc.profile.model import FileDef, Profile

GENERATIONS = ("gen1", "gen2", "gen3")
APDUS_PER_EXAMPLE = 50
EXAMPLES = 210  # 210 × ≥ 50 ≥ 10,500 APDUs per run


@functools.cache
def profile_of(generation: str) -> Profile:
    return load_profile(generation)


@dataclass(frozen=True)
class Secrets:
    pin_openable: tuple[bytes, ...]  # readable after VERIFY alone
    never: tuple[bytes, ...]  # need a key: never readable by random APDUs


def _send(card: ReferenceCard, apdu: bytes) -> tuple[bytes, int]:
    out = card.process(apdu)
    return out[:-2], int.from_bytes(out[-2:], "big")


def _df_name(df: FileDef) -> bytes:
    assert df.name is not None, f"{df.path}: every DF holding an EF is selected by name"
    return df.name


def _sfi(ef: FileDef) -> int:
    assert ef.sfi is not None, f"{ef.path}: every EF declares its SFI (the profile loader requires one)"
    return ef.sfi


@functools.cache
def secrets_of(generation: str) -> Secrets:
    """Read every protected file on an oracle card, opening each rule with the right PIN/keys."""
    profile = profile_of(generation)
    card = ReferenceCard.default(generation)
    card.power_on()
    keyset = TestKeySet.for_profile(profile)
    card_sn = profile.atr.card_sn_of(card.atr)
    region = card.personalization.region
    pin_open: list[bytes] = []
    never: list[bytes] = []
    for f in profile.efs():
        rule = f.rule("read")
        if rule is None or rule.is_free:
            continue
        df = profile.file(f.parent or "MF")
        card.power_on()
        _send(card, bytes([0, 0xA4, 4, 0, len(_df_name(df))]) + _df_name(df))
        if rule.needs_pin:
            pin = encode_pin(card.personalization.pin or profile.security.pin.initial)
            assert _send(card, bytes([0, 0x20, 0, 0, len(pin)]) + pin)[1] == 0x9000
        for key_name in rule.keys:
            kdef = profile.key(key_name)
            key = derive_card_key(profile, keyset, kdef, kdef.active, region, card_sn)
            r = _send(card, bytes([0, 0x84, 0, 0, 8]))[0]
            crypt = auth_cryptogram(profile.algorithm, key, r, r)
            assert _send(card, bytes([0, 0x82, 0, kdef.id, 16]) + crypt + r)[1] == 0x9000
        contents: list[bytes] = []
        if f.kind == "transparent":
            assert _send(card, bytes([0, 0xA4, 0, 0, 2]) + f.fid.to_bytes(2, "big"))[1] == 0x9000
            chunk = 128
            for offset in range(0, f.size or 0, chunk):
                data, sw = _send(card, bytes([0, 0xB0, offset >> 8, offset & 0xFF, chunk]))
                assert sw == 0x9000
                contents.append(data)
        else:
            for n in range(1, 20):
                data, sw = _send(card, bytes([0, 0xB2, n, _sfi(f) << 3 | 4, 0]))
                if sw >> 8 != 0x6C:
                    break
                data, sw = _send(card, bytes([0, 0xB2, n, _sfi(f) << 3 | 4, sw & 0xFF]))
                assert sw == 0x9000
                contents.append(data)
        pin_alone = rule.kind in ("single", "or") and any(isinstance(t, Pin) for t in rule.terms)
        (pin_open if pin_alone else never).extend(contents)
    return Secrets(tuple(pin_open), tuple(never))


def _leaks(data: bytes, secret: bytes) -> bool:
    if len(data) < 6 or len(secret) < 6:
        return data == secret
    if len(data) >= len(secret):
        return secret in data
    return len(data) >= 8 and data in secret


# -- the generator -------------------------------------------------------------------------------


def apdu_strategy(profile: Profile) -> st.SearchStrategy[bytes]:
    commands = sorted(profile.commands.values(), key=lambda c: c.name)
    pairs = [(cla, c.ins) for c in commands for cla in c.cla]
    fids = sorted({f.fid for f in profile.files.values()})
    names = [f.name for f in profile.files.values() if f.name]
    sfis = sorted({f.sfi for f in profile.files.values() if f.sfi is not None})
    key_ids = sorted({k.id for k in profile.keys()})
    rec_lengths = sorted({r.record_length for f in profile.files.values() for r in f.records})
    interesting = sorted(
        {
            0,
            1,
            2,
            3,
            4,
            7,
            8,
            0x0C,
            0x10,
            0x1E,
            0x80,
            0xFF,
            *key_ids,
            *(s << 3 | 4 for s in sfis),
            *(s << 3 for s in sfis),
            *(0x80 | s for s in sfis),
        }
    )
    pin = encode_pin(profile.security.pin.initial)
    param = st.one_of(st.sampled_from(interesting), st.integers(0, 255))
    data = st.one_of(
        st.just(b""),
        st.sampled_from([fid.to_bytes(2, "big") for fid in fids]),
        st.sampled_from(names),
        st.sampled_from([pin, pin, encode_pin("000000"), pin + b"\xff" + encode_pin("24680"), b"\x12\x3a"]),
        st.binary(max_size=24),
    )
    le = st.one_of(st.none(), st.sampled_from([0, 4, 8, 0x10, 0x1E, 0x12, *rec_lengths]), st.integers(0, 255))

    def build(pair: tuple[int, int], p1: int, p2: int, body: bytes, le_byte: int | None) -> bytes:
        out = bytes([pair[0], pair[1], p1, p2])
        if body:
            out += bytes([len(body)]) + body
        if le_byte is not None:
            out += bytes([le_byte])
        return out

    shaped = st.builds(build, st.sampled_from(pairs), param, param, data, le)
    navigation = st.one_of(
        st.sampled_from([bytes([0, 0xA4, 4, 0, len(n)]) + n for n in names]),
        st.sampled_from([bytes([0, 0xA4, p1, 0, 2]) + fid.to_bytes(2, "big") for fid in fids for p1 in (0, 2)]),
        st.just(bytes([0, 0x20, 0, 0, len(pin)]) + pin),
        st.sampled_from([bytes([0, 0x84, 0, 0, n]) for n in (4, 8, 16)]),
        st.builds(
            lambda n, s, le_: bytes([0, 0xB2, n, s << 3 | 4, le_]),
            st.integers(0, 12),
            st.sampled_from(sfis),
            st.sampled_from([0, *rec_lengths]),
        ),
        st.builds(lambda n: bytes([0, 0xC0, 0, 0, n]), st.integers(0, 0x20)),
    )
    malformed = st.one_of(
        st.binary(max_size=40),
        st.builds(lambda a, cut: a[:cut], shaped, st.integers(0, 8)),
        st.builds(lambda a: a[:4] + b"\x00\x00" + a[4:], shaped),  # extended length
    )
    return st.one_of(shaped, shaped, shaped, navigation, navigation, malformed)


def chunk_strategy(profile: Profile) -> st.SearchStrategy[list[bytes]]:
    """One APDU, or a short realistic sequence reaching a protected file: select a DF, maybe
    VERIFY the right PIN from SSSE first, then read by SFI."""
    ssse = profile.file(profile.security.pin.df)
    pin = encode_pin(profile.security.pin.initial)
    targets = [(profile.file(f.parent or "MF"), f) for f in profile.efs() if f.sfi is not None]

    def deep(verify: bool, target: tuple[FileDef, FileDef], number: int, le: int) -> list[bytes]:
        df, ef = target
        out = []
        if verify:
            out += [bytes([0, 0xA4, 4, 0, len(_df_name(ssse))]) + _df_name(ssse), bytes([0, 0x20, 0, 0, len(pin)]) + pin]
        out.append(bytes([0, 0xA4, 4, 0, len(_df_name(df))]) + _df_name(df))
        if ef.kind == "transparent":
            out.append(bytes([0, 0xB0, 0x80 | _sfi(ef), number, le]))
        else:
            out.append(bytes([0, 0xB2, number, _sfi(ef) << 3 | 4, le]))
        return out

    deep_read = st.builds(deep, st.booleans(), st.sampled_from(targets), st.integers(1, 8), st.sampled_from([0, 0x10]))
    single = apdu_strategy(profile).map(lambda a: [a])
    return st.one_of(single, single, single, single, deep_read)


def session_strategy() -> st.SearchStrategy[tuple[str, bool, list[bytes]]]:
    return st.tuples(st.sampled_from(GENERATIONS), st.booleans()).flatmap(
        lambda g: st.tuples(
            st.just(g[0]),
            st.just(g[1]),
            st.lists(chunk_strategy(profile_of(g[0])), min_size=APDUS_PER_EXAMPLE, max_size=APDUS_PER_EXAMPLE + 10).map(
                lambda chunks: [a for chunk in chunks for a in chunk]
            ),
        )
    )


# -- the property --------------------------------------------------------------------------------


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(session_strategy())
def test_random_apdus(session: tuple[str, bool, list[bytes]]) -> None:
    generation, hook, apdus = session
    profile = profile_of(generation)
    secret = secrets_of(generation)
    card = ReferenceCard.default(generation, tearing_hook=hook)
    card.power_on()
    pin_session = False
    armed = False
    ok = profile.sw["ok"].sw
    more = profile.sw["more_data"]
    queue = list(apdus)
    while queue:
        apdu = queue.pop(0)
        try:
            out = card.process(apdu)
        except PowerCut:
            assert armed, f"PowerCut without an armed hook after {apdu.hex()}"
            card.power_on()
            pin_session = armed = False
            continue
        assert len(out) >= 2, apdu.hex()
        data, sw = out[:-2], int.from_bytes(out[-2:], "big")
        assert profile.sw.is_listed(sw), f"{apdu.hex()} → unlisted {sw:04X}"
        assert not data or sw == ok or more.matches(sw), f"{apdu.hex()} → data with {sw:04X}"
        if sw == ok and len(apdu) >= 2:
            if apdu[:2] in (b"\x00\x20", b"\x80\x5e"):
                pin_session = True
            if hook and apdu[:2] == b"\xff\x7e":
                armed = True
        if profile.sw["wrong_le"].matches(sw) and len(apdu) == 5:
            queue.insert(0, apdu[:4] + bytes([sw & 0xFF]))  # a T=0 terminal re-issues with the exact Le
        if data:
            for s in secret.never:
                assert not _leaks(data, s), f"{apdu.hex()} leaked key-protected data {s.hex()}"
            if not pin_session:
                for s in secret.pin_openable:
                    assert not _leaks(data, s), f"{apdu.hex()} leaked PIN-protected data {s.hex()} without VERIFY"


def test_oracle_found_protected_data() -> None:
    """The leak check has teeth: each generation has key- and PIN-protected plaintext."""
    for generation in GENERATIONS:
        s = secrets_of(generation)
        assert s.pin_openable and s.never
    assert len(secrets_of("gen3").never) > len(secrets_of("gen2").never)  # EF06 + photo on gen3
