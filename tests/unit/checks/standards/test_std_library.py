"""The library behind the standards-conformance review (STD-*): pure checks, probes, surveys.

Pure checks are tested on hand-made values; the probes and surveys on the in-process reference
card, clean (no findings, each probe answered with the earliest broken check's status word) and
with the fault each is meant to catch (the finding appears). Expected values come from the profile
and from published samples (PROFILE §4), never from the code under test.
"""

from __future__ import annotations

import pytest

from checks.standards import file_survey as survey
from checks.standards.check_order import challenge_lengths, check_order_probes, record_le_probe, unused_cla, unused_ins
from checks.standards.record_walk import addressing_survey, walk_record_files
from checks.writeback import distinct_records, flip_value, mismatched_tag, update_binary_and_restore, update_record_and_restore
from reference_card import ReferenceCard
from reference_card.psam import PsamCard
from ssc.apdu import CommandApdu
from ssc.atr_fields import historical_problems
from ssc.elements import (
    card_type_problems,
    date_problems,
    ethnicity_problems,
    gbk_problems,
    gender_problems,
    init_institution_problems,
)
from ssc.keyset import TestKeySet
from ssc.profile import load_profile
from ssc.profile.access import parse_rule
from ssc.record_checks import cyclic_size_problems, record_dictionary_problems, record_tlv_problems
from terminal.channel import Terminal
from terminal.grants import GrantError, cheapest_grant, grant, terminal_can_grant
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from terminal.transports.inprocess import InProcessTransport

GENS = ("gen1", "gen2", "gen3")
PROFILES = {g: load_profile(g) for g in GENS}
REGION = "441800"  # the reference card's issuing region (reference_card/data/default_card.yaml)
PIN = "123456"


def _session(gen: str, faults: tuple[str, ...] = ()) -> CardSession:
    card = ReferenceCard.default(gen, faults=list(faults))
    transport = InProcessTransport(card)
    transport.reset()
    return CardSession(Terminal(transport, PROFILES[gen]), check=False)


def _psam(gen: str) -> PsamClient:
    p = PROFILES[gen]
    return PsamClient(InProcessTransport(PsamCard(p, REGION, REGION + "000001", TestKeySet.for_profile(p))), p)


# -- pure checks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code, ok", [("0", True), ("1", True), ("2", True), ("9", True), ("3", False), ("", False), ("男", False)])
def test_gender(code: str, ok: bool) -> None:
    assert (not gender_problems(code)) is ok


@pytest.mark.parametrize(
    "code, ok", [("01", True), ("56", True), ("97", True), ("98", True), ("00", False), ("57", False), ("96", False), ("1", False)]
)
def test_ethnicity(code: str, ok: bool) -> None:
    assert (not ethnicity_problems(code)) is ok


@pytest.mark.parametrize("value, ok", [("1", True), ("2", False), ("", False)])
def test_card_type(value: str, ok: bool) -> None:
    from ssc.profile import load_profile

    assert (not card_type_problems(value, load_profile("gen2").card_types.values)) is ok


def test_card_types_come_from_the_profile() -> None:
    from ssc.profile.model import Text

    assert card_type_problems("2", {"1": Text("个人卡", "personal card"), "2": Text("临时卡", "temporary card")}) == []


@pytest.mark.parametrize(
    "digits, ok", [("20240229", True), ("20230229", False), ("20241301", False), ("2024011", False), ("2024O101", False)]
)
def test_date(digits: str, ok: bool) -> None:
    assert (not date_problems(digits)) is ok


@pytest.mark.parametrize(
    "digits, region, problems",
    [
        ("441800000000000000000001", "441800", 0),
        ("441800000000000000000001", "330300", 1),  # another issuing region
        ("991800000000000000000001", None, 1),  # 99 is no province
        ("44180000000000000000001", None, 1),  # 23 digits
    ],
)
def test_init_institution(digits: str, region: str | None, problems: int) -> None:
    assert len(init_institution_problems(digits, region)) == problems


@pytest.mark.parametrize(
    "raw, ok",
    [("李清远".encode("gbk") + bytes(24), True), (b"ZHANG" + bytes(25), True), (b"\x81\x20" + bytes(28), False), (b"\xff\xff", False)],
)
def test_gbk(raw: bytes, ok: bool) -> None:
    assert (not gbk_problems(raw)) is ok


def test_record_checks() -> None:
    p = PROFILES["gen2"]
    ef05, ef08 = p.file("SSSE/EF05"), p.file("SSSE/DF04/EF08")
    number = bytes([0x07, 0x09]) + b"X00000019"
    assert not record_tlv_problems(ef05, 7, number) and not record_dictionary_problems(ef05, 7, number)
    assert record_tlv_problems(ef05, 7, number + b"\x00")  # a byte after the TLV
    assert record_dictionary_problems(ef05, 6, number)  # record 6 is the expiry date (tag 06)
    assert record_dictionary_problems(ef05, 8, number)  # no record 8 declared
    assert record_dictionary_problems(ef05, 7, bytes([0x07, 0x08]) + b"X0000001")  # wrong length
    assert not cyclic_size_problems(ef08, 3, bytes([0x55, 0x10]) + bytes(16))
    assert cyclic_size_problems(ef08, 3, bytes([0x55, 0x0F]) + bytes(15))


def test_historical_bytes() -> None:
    spec = PROFILES["gen2"].atr
    good = spec.prefix + spec.reference_prefix + spec.reference_card_maker + bytes.fromhex("000000000001")
    assert not any(historical_problems(spec, good).values())
    unknown_maker = spec.prefix + bytes.fromhex("0099524630") + spec.reference_card_maker + bytes(5) + b"\x01"
    assert historical_problems(spec, unknown_maker)["chip_maker"]
    filler_sn = spec.prefix + spec.reference_prefix + b"\xff" * 8
    assert historical_problems(spec, filler_sn)["card_sn"] and historical_problems(spec, filler_sn)["card_maker"]
    short = bytes([0x3B, 0x6A, 0x00, 0x00]) + spec.reference_prefix + bytes(5)  # 10 historical bytes
    assert historical_problems(spec, short)["card_sn"]


# -- grants ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, expected",
    [
        ("free", set()),
        ("PIN or AUTH UK1DF03", {"PIN"}),
        ("PIN and AUTH RK1DF04", {"PIN", "AUTH RK1DF04"}),
        ("AUTH RKSSSE", {"AUTH RKSSSE"}),
    ],
)
def test_cheapest_grant(rule: str, expected: set[str]) -> None:
    assert {str(t) for t in cheapest_grant(parse_rule(rule))} == expected


@pytest.mark.parametrize("rule", ["never", "SM UK2DF04"])
def test_ungrantable(rule: str) -> None:
    with pytest.raises(GrantError):
        cheapest_grant(parse_rule(rule))


def test_terminal_cannot_grant_firewalled_keys() -> None:
    p = PROFILES["gen2"]
    assert terminal_can_grant(p, "PSE/ADF1/EF01", "read")
    assert not terminal_can_grant(p, "PSE/ADF1/EF02", "read")  # PSEMK: a bank PSAM's key
    assert terminal_can_grant(p, "SSSE/DF80/EF05", "read")  # local key of the home city


@pytest.mark.parametrize("gen", GENS)
def test_grant_opens_protected_file(gen: str) -> None:
    s = _session(gen)
    path = "SSSE/DF04/EF05"  # PIN and AUTH RK1DF04
    assert s.read_record(path, 1).means("security_not_satisfied")
    grant(s, path, "read", _psam(gen), PIN)
    assert s.read_record(path, 1).ok


# -- probes --------------------------------------------------------------------------------------------


def _run_probe(s: CardSession, probe) -> int:  # type: ignore[no-untyped-def]
    s.select_mf(check=True)
    s.select_path(probe.df, check=True)
    return s.terminal.send(probe.apdu, raw=True).sw


@pytest.mark.parametrize("gen", GENS)
def test_probes_answered_by_earliest_check(gen: str) -> None:
    p = PROFILES[gen]
    s = _session(gen)
    probes = check_order_probes(p)
    assert len({probe.key for probe in probes}) == len(probes)
    answers = {probe.key: (probe.expected.sw, _run_probe(s, probe)) for probe in probes}
    wrong = {key: f"{sw:04X}, expected {name}" for key, (name, sw) in answers.items() if not p.sw[name].matches(sw)}
    assert not wrong


def test_probe_catches_security_before_record() -> None:
    p = PROFILES["gen3"]
    probe = next(x for x in check_order_probes(p) if x.key == "absent_record+protected")
    assert [v.sw for v in probe.violations] == ["record_not_found", "security_not_satisfied"]
    assert probe.expected.sw == "record_not_found"
    assert p.sw["security_not_satisfied"].matches(_run_probe(_session("gen3", ("security_before_record",)), probe))


def test_unused_codes_are_unused() -> None:
    p = PROFILES["gen2"]
    assert unused_cla(p) not in {c for cmd in p.commands.values() for c in cmd.cla}
    assert unused_ins(p) not in {cmd.ins for cmd in p.commands.values()}


def test_challenge_lengths() -> None:
    allowed, refused = challenge_lengths(PROFILES["gen2"])
    assert allowed == (4, 8, 16) and 0 in refused and not set(allowed) & set(refused)


@pytest.mark.parametrize("case, le", [("zero", 0), ("missing", None), ("short", 10), ("long", 12)])
def test_record_le_probe(case: str, le: int | None) -> None:
    p = PROFILES["gen2"]
    f = p.file("SSSE/EF05")
    apdu = record_le_probe(p, f, f.record_by_tag(0x07), case)  # type: ignore[arg-type]
    assert apdu == CommandApdu(0x00, 0xB2, 7, 0x2C, b"", le)  # PROFILE §3: real readers send 00 B2 07 2C 0B


# -- surveys -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gen", GENS)
def test_file_surveys_clean(gen: str) -> None:
    s = _session(gen)
    files = survey.mandatory_files(PROFILES[gen])
    assert "SSSE/DF05" not in {f.path for f in files} and "SSSE/DF04/EF08" in {f.path for f in files}
    for check in (survey.fid_findings, survey.sfi_findings, survey.type_findings, survey.aid_findings):
        assert check(s, files) == [], check.__name__


def test_dir_survey_clean_and_absent_adf() -> None:
    s = _session("gen2")
    presence = survey.adf_presence(s)
    assert all(presence.values())
    expected, scan, findings = survey.dir_findings(s, presence)
    assert findings == [] and len(expected) == len(scan.records) == 8
    presence["SSSE/DF06"] = False  # pretend DF06 were absent: its DIR record is then extra
    assert survey.dir_findings(s, presence)[2]


def test_record_walk_and_addressing() -> None:
    s = _session("gen3")
    walks = walk_record_files(s, _psam("gen3"), PIN)
    skipped = {w.file.path for w in walks if w.skipped}
    assert skipped == {"PSE/ADF1/EF02"}
    assert all(w.scan.ended_cleanly for w in walks if w.scan is not None)
    assert addressing_survey(s, lambda: _psam("gen3"), PIN)[1] == []
    bad = _session("gen3", ("no_read_record_by_tag",))
    assert addressing_survey(bad, lambda: _psam("gen3"), PIN)[1]


def test_select_helpers() -> None:
    p = PROFILES["gen2"]
    s = _session("gen2")
    assert survey.select_fid_findings(s, "SSSE/DF01", survey.relatives(p, "SSSE/DF01")) == []
    assert {f.path for f in survey.relatives(p, "SSSE/DF01")} >= {"MF", "SSSE", "SSSE/DF02"}
    assert survey.absent_fid(p) not in {f.fid for f in p.files.values()}
    assert survey.absent_name(p) not in {f.name for f in p.files.values()}


# -- write-back ---------------------------------------------------------------------------------------


def test_update_record_and_restore() -> None:
    s = _session("gen2")
    path = "SSSE/DF01/EF05"
    grant(s, path, "update", _psam("gen2"), PIN)
    before = s.read_record(path, 1).data
    wb = update_record_and_restore(s, path, 1, flip_value)
    assert wb.write.ok and wb.read_after_write.data == wb.written != before and wb.restored
    wrong = update_record_and_restore(s, path, 1, mismatched_tag(PROFILES["gen2"].file(path)))
    assert wrong.write.means("wrong_data") and wrong.restored
    assert s.read_record(path, 1).data == before


def test_update_binary_and_restore() -> None:
    s = _session("gen2")
    path = "SSSE/EF07"
    grant(s, path, "read", _psam("gen2"), PIN)
    grant(s, path, "update", _psam("gen2"), PIN)
    wb = update_binary_and_restore(s, path, 300, 16)
    assert wb.write.ok and wb.read_after_write.data == wb.written and wb.restored


def test_distinct_records() -> None:
    f = PROFILES["gen2"].file("SSSE/DF04/EF08")
    records = distinct_records(f, 11)
    assert len(set(records)) == 11 and all(r[:2] == bytes([0x55, 0x10]) and len(r) == 18 for r in records)


@pytest.mark.parametrize("kind", ["df_fid", "ef_fid", "name"])
def test_absent_file_selects(kind: str) -> None:
    s = _session("gen2")
    s.select_path("SSSE", check=True)
    assert s.terminal.send(survey.absent_file_selects(PROFILES["gen2"])[kind]).means("file_not_found")
