"""ATR parsing (ISO/IEC 7816-3 §8.2) and comparison with the profile's declaration (PROFILE §2).

The reference ATR and the expectations are written out here from PROFILE §2, not computed from the
profile data: TS 3B, T0 6D (TB1 and TC1 present, 13 historical bytes), TB1 00, TC1 00, T=0 only.
"""

from __future__ import annotations

from functools import reduce

import pytest

from ssc.atr import ASPECTS, AtrFormatError, atr_findings, parse_atr
from ssc.profile import load_profile

REFERENCE_ATR = bytes.fromhex("3B6D000000815246308684000000000001")
HISTORICAL = REFERENCE_ATR[4:]


@pytest.fixture(scope="module")
def spec():
    return load_profile("gen2").atr


def _with_tck(atr_without_tck: bytes) -> bytes:
    """Append TCK: the XOR of T0 … the last byte must be 00 (ISO/IEC 7816-3 §8.2.5)."""
    return atr_without_tck + bytes([reduce(lambda a, b: a ^ b, atr_without_tck[1:], 0)])


def test_the_reference_atr_parses_as_profile_section_2_says() -> None:
    atr = parse_atr(REFERENCE_ATR)
    assert (atr.ts, atr.t0) == (0x3B, 0x6D)
    assert atr.interface == {"TB1": 0x00, "TC1": 0x00}
    assert atr.protocols == (0,) and atr.tck is None
    assert atr.historical == HISTORICAL and atr.historical_count == 13


def test_the_reference_atr_conforms(spec) -> None:
    assert atr_findings(spec, REFERENCE_ATR) == {aspect: None for aspect in ASPECTS}


def test_historical_fields_of_the_reference_atr(spec) -> None:
    assert spec.historical(REFERENCE_ATR) == HISTORICAL
    assert spec.field_of(REFERENCE_ATR, "chip_maker") == bytes.fromhex("0081")
    assert spec.field_of(REFERENCE_ATR, "card_maker") == bytes.fromhex("8684")
    assert spec.card_sn_of(REFERENCE_ATR) == bytes.fromhex("8684000000000001")  # T6–T13


def test_t1_with_tck_parses_protocols_and_checksum() -> None:
    raw = _with_tck(bytes.fromhex("3BED000001") + HISTORICAL)
    atr = parse_atr(raw)
    assert atr.protocols == (1,) and atr.tck == raw[-1]
    assert atr.interface == {"TB1": 0x00, "TC1": 0x00, "TD1": 0x01}


def test_td1_announcing_t0_needs_no_tck() -> None:
    atr = parse_atr(bytes.fromhex("3BED000000") + HISTORICAL)
    assert atr.protocols == (0,) and atr.tck is None


# Each deviation: the ATR, then {aspect: fragments its finding must contain}; other aspects conform.
DEVIATIONS = [
    pytest.param(bytes.fromhex("3F6D0000") + HISTORICAL, {"ts": ["TS expected 3B, got 3F"]}, id="inverse-convention-TS"),
    pytest.param(
        bytes.fromhex("3B6E0000") + HISTORICAL + b"\x02",
        {"historical_count": ["T0 6E", "announces 14 historical bytes, expected 13"]},
        id="14-historical-bytes",
    ),
    pytest.param(
        bytes.fromhex("3B6C0000") + HISTORICAL[:12],
        {"historical_count": ["announces 12 historical bytes, expected 13"]},
        id="12-historical-bytes",
    ),
    pytest.param(
        _with_tck(bytes.fromhex("3BED000001") + HISTORICAL),
        {"protocols": ["expected T=0", "announces T=1"], "interface_bytes": ["TD1 expected absent, got 01"]},
        id="TD1-announces-T1",
    ),
    pytest.param(
        bytes.fromhex("3B7D11") + bytes.fromhex("0000") + HISTORICAL, {"interface_bytes": ["TA1 expected absent, got 11"]}, id="TA1-present"
    ),
    pytest.param(bytes.fromhex("3B6D2500") + HISTORICAL, {"interface_bytes": ["TB1 expected 00, got 25"]}, id="TB1-not-00"),
    pytest.param(bytes.fromhex("3B6D00FF") + HISTORICAL, {"interface_bytes": ["TC1 expected 00, got FF"]}, id="TC1-not-00"),
    pytest.param(bytes.fromhex("3B4D00") + HISTORICAL, {"interface_bytes": ["TB1 expected 00, got absent"]}, id="TB1-absent"),
]


@pytest.mark.parametrize("raw, expected", DEVIATIONS)
def test_a_deviating_atr_names_expected_and_actual(spec, raw: bytes, expected: dict[str, list[str]]) -> None:
    findings = atr_findings(spec, raw)
    assert set(findings) == set(ASPECTS)
    for aspect in ASPECTS:
        if aspect in expected:
            found = findings[aspect]
            assert found is not None, aspect
            for fragment in expected[aspect]:
                assert fragment in found, found
        else:
            assert findings[aspect] is None, (aspect, findings[aspect])


MALFORMED = [
    pytest.param(REFERENCE_ATR[:-1], "T0 announces 13 historical bytes but only 12 follow", id="truncated-historical"),
    pytest.param(bytes.fromhex("3B6D00"), "TC1 announced but the ATR ends at byte 3", id="truncated-interface"),
    pytest.param(bytes.fromhex("3B"), "at least TS and T0; got 1 byte", id="only-TS"),
    pytest.param(b"", "got 0 byte", id="empty"),
    pytest.param(REFERENCE_ATR + b"\xff", "1 unexpected byte(s) after the ATR: FF", id="trailing-byte"),
    pytest.param(REFERENCE_ATR + b"\x90\x00", "2 unexpected byte(s) after the ATR: 9000", id="trailing-bytes"),
    pytest.param(bytes.fromhex("3BED000001") + HISTORICAL, "TCK is required, but it is missing", id="T1-without-TCK"),
]


@pytest.mark.parametrize("raw, fragment", MALFORMED)
def test_a_malformed_atr_is_refused_by_the_parser(raw: bytes, fragment: str) -> None:
    with pytest.raises(AtrFormatError) as info:
        parse_atr(raw)
    assert fragment in str(info.value)


@pytest.mark.parametrize("raw, fragment", MALFORMED)
def test_a_malformed_atr_fails_every_aspect_with_the_reason(spec, raw: bytes, fragment: str) -> None:
    findings = atr_findings(spec, raw)
    assert set(findings) == set(ASPECTS)
    for aspect, finding in findings.items():
        assert finding is not None and f"ATR {raw.hex().upper()} is malformed" in finding and fragment in finding, (aspect, finding)
