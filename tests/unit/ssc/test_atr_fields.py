"""Historical-byte checks (ssc/atr_fields.py) on ATRs built from the profile's reference values."""

from __future__ import annotations

from ssc.atr_fields import historical_problems
from ssc.profile import load_profile


def test_historical_bytes() -> None:
    spec = load_profile("gen2").atr
    good = spec.prefix + spec.reference_prefix + spec.reference_card_maker + bytes.fromhex("000000000001")
    problems = historical_problems(spec, good)
    assert {"chip_maker", "card_sn", "card_maker"} <= problems.keys() and not any(problems.values())
    unknown_maker = spec.prefix + bytes.fromhex("0099524630") + spec.reference_card_maker + bytes(5) + b"\x01"
    assert historical_problems(spec, unknown_maker)["chip_maker"]
    filler_sn = spec.prefix + spec.reference_prefix + b"\xff" * 8
    assert historical_problems(spec, filler_sn)["card_sn"] and historical_problems(spec, filler_sn)["card_maker"]
    short = bytes([0x3B, 0x6A, 0x00, 0x00]) + spec.reference_prefix + bytes(5)  # 10 historical bytes
    assert historical_problems(spec, short)["card_sn"]
