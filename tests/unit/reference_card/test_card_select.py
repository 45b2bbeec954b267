"""SELECT (PROFILE §3, §5; STD-FS-1, STD-CMD-1)."""

from __future__ import annotations

import pytest

from ssc.profile.templates import fci_for
from tests.unit.reference_card.card_support import SSSE_NAME, Host, new_card

GENERATIONS = ["gen1", "gen2", "gen3"]


@pytest.fixture
def host() -> Host:
    return Host(new_card("gen2"))


@pytest.mark.parametrize("generation", GENERATIONS)
def test_select_ssse_by_name_answers_611e_then_fci(generation: str) -> None:
    host = Host(new_card(generation))
    r = host.select_name(SSSE_NAME)
    assert r.sw == host.sw("more_data", 0x1E) and r.data == b""
    fci = host.send("00C000001E")
    assert fci.sw == host.sw("ok")
    assert fci.data == fci_for(host.profile, host.profile.file("SSSE"))
    assert fci.data[-1] == host.profile.algorithm_id


@pytest.mark.parametrize("path", ["SSSE/DF01", "SSSE/DF02", "SSSE/DF03", "SSSE/DF04", "SSSE/DF80", "PSE", "PSE/ADF1"])
def test_select_df_by_name_gives_its_fci(host: Host, path: str) -> None:
    fci = fci_for(host.profile, host.profile.file(path))
    r = host.select_name(host.df_name(path))
    assert r.sw == host.sw("more_data", len(fci))
    assert host.send(bytes([0, 0xC0, 0, 0, len(fci)])).data == fci


def test_select_by_name_p2_0c_returns_no_fci(host: Host) -> None:
    assert host.select_name(SSSE_NAME, p2=0x0C).sw == host.sw("ok")
    assert host.send("00C0000000").sw == host.sw("conditions_not_satisfied")


def test_select_by_fid_has_no_response_data(host: Host) -> None:
    r = host.select_fid(0x3F00)
    assert (r.data, r.sw) == (b"", host.sw("ok"))
    r = host.select_fid(0xDDF1)
    assert (r.data, r.sw) == (b"", host.sw("ok"))
    assert host.select_fid(0xEF05).sw == host.sw("ok")


def test_select_p1_00_reaches_parent_and_siblings(host: Host) -> None:
    host.select_name(host.df_name("SSSE/DF01"))
    assert host.select_fid(0xDF04).sw == host.sw("ok")  # sibling DF
    assert host.select_fid(0xDDF1).sw == host.sw("ok")  # parent
    assert host.select_fid(0xDF03).sw == host.sw("ok")  # child DF
    assert host.select_fid(0x3F00).sw == host.sw("ok")  # MF
    assert host.select_fid(0xADF1).sw == host.sw("file_not_found")  # ADF of the PSE: not reachable by FID


def test_select_p1_02_only_efs_of_the_current_df(host: Host) -> None:
    host.select_fid(0xDDF1)
    assert host.select_fid(0xEF05, p1=2).sw == host.sw("ok")
    assert host.select_fid(0xDF01, p1=2).sw == host.sw("file_not_found")


def test_selecting_a_df_clears_the_current_ef(host: Host) -> None:
    host.select_fid(0xDDF1)
    host.select_fid(0xEF05)
    assert host.read_record(1, le=0x12).sw == host.sw("ok")
    host.select_fid(0xDDF1)
    assert host.read_record(1, le=0x12).sw == host.sw("no_current_ef")


def test_failed_select_keeps_the_current_file(host: Host) -> None:
    host.select_fid(0xDDF1)
    host.select_fid(0xEF05)
    assert host.select_fid(0xEF99).sw == host.sw("file_not_found")
    assert host.read_record(1, le=0x12).sw == host.sw("ok")


@pytest.mark.parametrize(
    "apdu, name",
    [
        ("00A4010002DDF1", "wrong_p1p2"),
        ("00A4000102DDF1", "wrong_p1p2"),
        ("00A4000001DD", "wrong_length"),
        ("00A40000", "wrong_length"),
        ("00A4040000", "wrong_length"),
        ("00A4040011" + "00" * 17, "wrong_length"),
        ("00A4000003DDF100", "wrong_length"),
        ("00A4040005D156000005", "file_not_found"),  # partial names do not select
        ("00A4000002FFFF", "file_not_found"),
    ],
)
def test_select_errors(host: Host, apdu: str, name: str) -> None:
    assert host.send(apdu).sw == host.sw(name)


def test_partial_ssse_name_does_not_select(host: Host) -> None:
    assert host.select_name(SSSE_NAME[:-1]).sw == host.sw("file_not_found")
