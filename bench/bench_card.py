"""Reference-card throughput through `card.process(bytes)` (in-process, no transport).

    .venv/bin/python bench/bench_card.py [--seconds 2] [--generation gen2]

(a) SELECT EF by FID + READ RECORD mix (what a reader does most);
(b) full mix: (a) plus GET CHALLENGE + EXTERNAL AUTHENTICATE, VERIFY, SELECT by name + GET
    RESPONSE, READ BINARY. Cryptograms are precomputed from a twin of the card's seeded RNG, so
    only the card's work is timed. Target: ≥ 100,000 APDU/s for (a).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import print_table, rate

from reference_card import ReferenceCard
from ssc.codecs import encode_pin
from ssc.crypto.recipes import auth_cryptogram
from ssc.keyset import TestKeySet, derive_card_key


def select_read_mix(card: ReferenceCard) -> list[bytes]:
    p = card.profile
    ssse = p.file("SSSE")
    assert ssse.name is not None, "SSSE has a DF name in every profile"
    out = [bytes([0, 0xA4, 4, 0, len(ssse.name)]) + ssse.name]
    for path in ("SSSE/EF05", "SSSE/EF06"):
        f = p.file(path)
        out.append(bytes([0, 0xA4, 0, 0, 2]) + f.fid.to_bytes(2, "big"))
        for rec in f.records[:3]:
            out.append(bytes([0, 0xB2, rec.number, 4, rec.record_length]))
        rec = f.records[-1]
        assert f.sfi is not None, f"{path} has an SFI (every EF declares one)"
        out.append(bytes([0, 0xB2, rec.number, f.sfi << 3 | 4, rec.record_length]))
    return out


def open_read_keys(card: ReferenceCard) -> None:
    """Authenticate the keys the read rules of SSSE/EF05 and EF06 name (gen3: RKSSSE)."""
    p = card.profile
    keyset = TestKeySet.for_profile(p)
    sn = p.atr.card_sn_of(card.atr)
    for path in ("SSSE/EF05", "SSSE/EF06"):
        rule = p.file(path).rule("read")
        assert rule is not None, f"{path} declares a read rule in every profile"
        for name in sorted(rule.keys):
            kdef = p.key(name)
            key = derive_card_key(p, keyset, kdef, kdef.active, card.personalization.region, sn)
            r = card.process(bytes([0, 0x84, 0, 0, 8]))[:-2]
            out = card.process(bytes([0, 0x82, 0, kdef.id, 16]) + auth_cryptogram(p.algorithm, key, r, r) + r)
            assert out == b"\x90\x00", out.hex()


def bench_select_read(generation: str, seconds: float) -> tuple[int, float]:
    card = ReferenceCard.default(generation)
    card.power_on()
    mix = select_read_mix(card)
    process = card.process
    process(mix[0])  # SELECT SSSE (61 1E; the FCI is not fetched, as deployed readers do)
    open_read_keys(card)  # gen3: EF06 needs AUTH RKSSSE, which holds while the DF stays SSSE
    body = mix[1:]
    for apdu in body:
        assert process(apdu)[-2:] == b"\x90\x00", apdu.hex()
    n = len(body)

    def cycle() -> None:
        for apdu in body:
            process(apdu)

    calls, per_second = rate(cycle, seconds, batch=16)
    return calls * n, per_second * n


def full_mix_script(card: ReferenceCard, seed: int, cycles: int) -> list[bytes]:
    p = card.profile
    twin = random.Random(seed)
    keyset = TestKeySet.for_profile(p)
    sn = p.atr.card_sn_of(card.atr)
    read_rule = p.file("SSSE/EF06").rule("read")
    assert read_rule is not None, "SSSE/EF06 declares a read rule in every profile"
    read_keys = sorted(read_rule.keys)
    kdef = p.key(read_keys[0] if read_keys else "UKSSSE")  # gen3: RKSSSE opens EF06
    key = derive_card_key(p, keyset, kdef, kdef.active, card.personalization.region, sn)
    ssse = p.file("SSSE")
    assert ssse.name is not None, "SSSE has a DF name in every profile"
    pin = encode_pin(p.security.pin.initial)
    script: list[bytes] = []
    for _ in range(cycles):
        script.append(bytes([0, 0xA4, 4, 0, len(ssse.name)]) + ssse.name)
        script.append(bytes([0, 0xC0, 0, 0, 0x1E]))
        r = twin.randbytes(8)
        script.append(bytes([0, 0x84, 0, 0, 8]))
        script.append(bytes([0, 0x82, 0, kdef.id, 16]) + auth_cryptogram(p.algorithm, key, r, r) + r)
        script += select_read_mix(card)[1:]
        script.append(bytes([0, 0x20, 0, 0, len(pin)]) + pin)
        script.append(bytes([0, 0xB0, 0x87, 0, 0x40]))
    return script


def bench_full_mix(generation: str, seconds: float) -> tuple[int, float]:
    seed = 1
    probe = ReferenceCard.default(generation)
    script = full_mix_script(probe, seed, 2000)
    total, elapsed = 0, 0.0
    while elapsed < seconds:
        card = ReferenceCard.default(generation, rng=random.Random(seed))
        card.power_on()
        process = card.process
        start = time.perf_counter()
        for apdu in script:
            process(apdu)
        elapsed += time.perf_counter() - start
        total += len(script)
    # sanity: the script is accepted (every EXTERNAL AUTHENTICATE succeeds)
    card = ReferenceCard.default(generation, rng=random.Random(seed))
    card.power_on()
    bad = [a.hex() for a in script[:200] if card.process(a)[-2:] not in (b"\x90\x00", b"\x61\x1e")]
    assert not bad, bad[:3]
    return total, total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--generation", action="append")
    args = parser.parse_args()
    rows = []
    for generation in args.generation or ["gen2", "gen3"]:
        n, r = bench_select_read(generation, args.seconds)
        rows.append([generation, "(a) SELECT EF + READ RECORD", n, r])
        n, r = bench_full_mix(generation, args.seconds)
        rows.append([generation, "(b) full mix incl. GET CHALLENGE + EXTERNAL AUTH", n, r])
    print_table(["profile", "mix", "APDUs", "APDU/s"], rows)


if __name__ == "__main__":
    main()
