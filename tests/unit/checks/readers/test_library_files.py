"""iReadCard/iWriteCard over every file the reader interface addresses (checks/readers/library.py):
the addressed files cover the profile, the rights a library gains follow the interface data, and
the harness's expected outputs come from the card over APDUs (an in-process reference card and a
software PSAM here)."""

from __future__ import annotations

import pytest

from checks.readers.library import (
    FileRead,
    addressed_files,
    expected_file_read,
    library_grant,
    read_back_problems,
    read_file_problems,
    write_order,
    write_request,
    write_values,
)
from checks.readers.library_process import CallOutcome, OutBuffer
from ssc.profile import load_profile
from ssc.profile.access import Auth, Pin, parse_rule
from ssc.reader_interface import load_reader_interface
from tests.unit import rig

IFACE = load_reader_interface()


@pytest.mark.parametrize("generation", ["gen1", "gen2", "gen3"])
def test_every_record_file_of_the_application_is_addressed_or_excluded_with_a_reason(generation: str) -> None:
    profile = load_profile(generation)
    addressed = {f.path for f in IFACE.files.values()}
    record_files = {p for p, f in profile.files.items() if f.is_ef}
    missing = sorted(p for p in record_files if p not in addressed and p not in IFACE.not_addressed)
    assert not missing, f"files neither addressed nor excluded: {missing}"
    assert set(addressed_files(IFACE, profile)) == set(IFACE.files)
    assert not addressed & set(IFACE.not_addressed)


@pytest.mark.parametrize(
    ("rule", "choice", "expected"),
    [
        ("free", "pin_only", {Pin()}),
        ("AUTH RK1DF03", "pin_only", {Pin()}),
        ("free", "fewest_pin", set()),
        ("PIN", "fewest_pin", {Pin()}),
        ("PIN or AUTH UK1DF03", "fewest_pin", {Auth("UK1DF03")}),
        ("PIN and AUTH RK1DF04", "fewest_pin", {Pin(), Auth("RK1DF04")}),
        ("never", "fewest_pin", None),
    ],
)
def test_the_rights_a_library_gains(rule: str, choice: str, expected: set[object] | None) -> None:
    got = library_grant(parse_rule(rule), choice)
    assert (None if got is None else set(got)) == expected


def _read(generation: str, name: str, auth: str) -> FileRead:
    card = rig.open_session(generation)
    psam = rig.open_psam(card.profile)
    psam.select_for(card.algorithm)
    return expected_file_read(card, psam, IFACE, name, auth, rig.initial_pin(card.profile))


def test_a_key_protected_file_read_with_the_pin_only_expects_the_cards_status_word() -> None:
    expected = _read("gen2", "DF03EF05", "pin")
    assert expected.rc == -0x6982 and expected.rights.startswith("PIN;")
    assert expected.addr == b"DF03EF05|40|41|$"


def test_a_key_protected_file_read_with_the_read_key_expects_its_values() -> None:
    expected = _read("gen2", "DF03EF05", "read_key")
    assert expected.rc == 0 and expected.rights == "AUTH RK1DF03"
    assert expected.out.startswith(b"DF03EF05|") and expected.out.endswith(b"|$") and expected.out.count(b"|") == 3
    both = _read("gen2", "DF04EF05", "read_key")
    assert both.rc == 0 and both.rights == "PIN, AUTH RK1DF04"


def test_gen3_basic_data_needs_rksse_with_the_read_key_and_fails_with_the_pin() -> None:
    assert _read("gen3", "SSSEEF06", "read_key").rights == "AUTH RKSSSE"
    assert _read("gen3", "SSSEEF06", "pin").rc == -0x6982


def test_a_library_output_is_judged_per_file() -> None:
    expected = _read("gen2", "DF01EF05", "pin")
    good = CallOutcome("iReadCard", 0, (OutBuffer(expected.out, True, True),))
    assert read_file_problems(good, expected, IFACE) == []
    bad = CallOutcome("iReadCard", 0, (OutBuffer(expected.out.replace(b"|$", b"X|$"), True, True),))
    (problem,) = read_file_problems(bad, expected, IFACE)
    assert problem.startswith("DF01EF05（权限：PIN）：标签 21：") and " / DF01EF05 (rights: PIN): tag 21:" in problem, problem
    refused = CallOutcome("iReadCard", -27010, (OutBuffer(b"", True, True),))
    assert read_file_problems(refused, _read("gen2", "DF03EF05", "pin"), IFACE) == []


@pytest.mark.parametrize("name", list(IFACE.files))
def test_write_values_fill_their_records(name: str) -> None:
    f = load_profile("gen2").file(IFACE.files[name].path)
    for rec, value in zip(f.records, write_values(f), strict=True):
        if rec.fmt == "an":
            assert 0 < len(value.encode("gbk")) <= rec.length
        else:
            assert len(value) == 2 * rec.length
    addr, data = write_request(name, f, write_values(f), IFACE)
    assert addr.count(b"|") == data.count(b"|") and addr.endswith(b"$") and data.endswith(b"$")


def test_the_card_issuer_file_is_written_last() -> None:
    assert write_order(list(IFACE.files), IFACE)[-1] == "SSSEEF05"


def test_read_back_finds_a_value_that_was_not_written() -> None:
    card = rig.open_session("gen2")
    psam = rig.open_psam(card.profile)
    psam.select_for(card.algorithm)
    f = card.profile.file("SSSE/DF01/EF05")
    problems = read_back_problems(card, psam, "DF01EF05", f, write_values(f), rig.initial_pin(card.profile))
    assert len(problems) == 2 and all("read back" in p for p in problems)
