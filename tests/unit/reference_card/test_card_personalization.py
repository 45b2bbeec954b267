"""Personalization loading and what the issued reference card carries (PROFILE §2, §3, §4)."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from reference_card import PersonalizationError, ReferenceCard, load_personalization
from reference_card.personalization import DEFAULT_CARD_PATH
from ssc.checks import is_valid_card_number, ssn_problems
from ssc.codecs import decode_an, decode_cn, decode_gbk
from ssc.crypto.mac import mac
from ssc.profile import load_profile
from ssc.profile.templates import dir_record_for
from tests.unit.reference_card.card_support import PERSO, Host, new_card

GENERATIONS = ["gen1", "gen2", "gen3"]


def _raw() -> dict:
    return yaml.safe_load(DEFAULT_CARD_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda r: r.update(region="44180"), "region"),
        (lambda r: r.update(serial="0001"), "serial"),
        (lambda r: r.pop("serial"), "serial"),
        (lambda r: r["cardholder"].update(ssn="441802198503171230"), "cardholder.ssn"),
        (lambda r: r.update(card_number="Q18000017"), "card_number"),
        (lambda r: r.update(issue_date="20240231"), "issue_date"),
        (lambda r: r.update(expiry_date="20200101"), "expiry_date"),
        (lambda r: r.update(init_institution="4418"), "init_institution"),
        (lambda r: r["cardholder"].update(birth_date="1985031"), "cardholder.birth_date"),
        (lambda r: r["cardholder"].update(name="\u0e01"), "cardholder.name"),
        (lambda r: r.update(region=441800), "region"),
    ],
)
def test_load_names_the_bad_field(change, field) -> None:
    raw = _raw()
    change(raw)
    with pytest.raises(PersonalizationError) as exc:
        load_personalization(raw)
    assert exc.value.field == field


def test_non_strict_load_accepts_a_bad_check_character() -> None:
    raw = _raw()
    raw["card_number"] = "Q18000017"
    assert load_personalization(raw, strict=False).card_number == "Q18000017"


def test_default_card_is_consistent() -> None:
    assert PERSO.warnings() == []
    assert ssn_problems(PERSO.cardholder.ssn) == []
    assert is_valid_card_number(PERSO.card_number)


def test_inconsistent_gender_is_a_warning() -> None:
    p = dataclasses.replace(PERSO, cardholder=dataclasses.replace(PERSO.cardholder, gender="2"))
    assert any("gender" in w for w in p.warnings())


def test_record_value_errors_name_the_item() -> None:
    p = dataclasses.replace(PERSO, records={**PERSO.records, "household_region": "4418021"})
    with pytest.raises(PersonalizationError) as exc:
        ReferenceCard(load_profile("gen2"), p)
    assert exc.value.field == "records.household_region"


def test_unknown_optional_df_is_rejected() -> None:
    p = dataclasses.replace(PERSO, optional_dfs=("SSSE/DF04",))
    with pytest.raises(PersonalizationError) as exc:
        ReferenceCard(load_profile("gen2"), p)
    assert exc.value.field == "optional_dfs[0]"


@pytest.mark.parametrize("generation", GENERATIONS)
def test_atr_layout(generation: str) -> None:
    card = new_card(generation)
    profile = card.profile
    assert card.atr == profile.atr.prefix + profile.atr.reference_prefix + profile.atr.reference_card_maker + PERSO.serial
    assert len(profile.atr.historical(card.atr)) == profile.atr.historical_length
    assert profile.atr.card_sn_of(card.atr) == profile.atr.reference_card_maker + PERSO.serial


@pytest.mark.parametrize("generation", GENERATIONS)
def test_card_identification_code_verifies_under_irk(generation: str) -> None:
    host = Host(new_card(generation))
    host.select_name(host.df_name("SSSE"))
    code = host.read_record_auto(1, sfi=5).data[2:]
    layout = host.profile.card_id
    assert decode_cn(code[layout.region]) == PERSO.region
    assert code[layout.rid] == layout.rid_value
    assert code[layout.serial] == host.card_sn[-4:]
    irk = host.key(layout.mac_key)
    assert code[layout.mac] == mac(host.profile.algorithm, irk, code[: layout.mac.start])[:4]


@pytest.mark.parametrize("generation", GENERATIONS)
def test_issuer_records(generation: str) -> None:
    host = Host(new_card(generation))
    host.select_name(host.df_name("SSSE"))
    values = {rec.item: host.read_record_auto(rec.tag, sfi=5, by_tag=True).data for rec in host.profile.file("SSSE/EF05").records}
    assert decode_an(values["spec_version"][2:]) == host.profile.spec_version
    assert decode_an(values["card_number"][2:]) == PERSO.card_number
    assert decode_cn(values["issue_date"][2:]) == PERSO.issue_date
    assert decode_cn(values["init_institution"][2:]) == PERSO.init_institution


@pytest.mark.parametrize("generation", ["gen1", "gen2"])
def test_cardholder_records_follow_the_generation(generation: str) -> None:
    host = Host(new_card(generation))
    host.select_name(host.df_name("SSSE"))
    ef06 = host.profile.file("SSSE/EF06")
    for rec in ef06.records:
        r = host.read_record_auto(rec.number, sfi=6)
        assert r.sw == host.sw("ok")
        assert r.data[:2] == bytes([rec.tag, rec.length])
    assert host.read_record_auto(len(ef06.records) + 1, sfi=6).sw == host.sw("record_not_found")
    name = host.read_record_auto(0x09, sfi=6, by_tag=True).data[2:]
    assert decode_gbk(name) == PERSO.cardholder.name


@pytest.mark.parametrize("generation", GENERATIONS)
def test_dir_lists_exactly_the_adfs_present(generation: str) -> None:
    host = Host(new_card(generation))
    host.select_name(host.df_name("SSSE"))
    dir_file = host.profile.file("SSSE/EF0B")
    assert dir_file.sfi is not None, "SSSE/EF0B has an SFI (every EF declares one)"
    expected_paths = ["SSSE/DF01", "SSSE/DF02", "SSSE/DF03", "SSSE/DF04", *PERSO.optional_dfs, "SSSE/DF80"]
    got = []
    n = 1
    while True:
        r = host.read_record_auto(n, sfi=dir_file.sfi)
        if r.sw != host.sw("ok"):
            assert r.sw == host.sw("record_not_found")
            break
        got.append(r.data)
        n += 1
    assert got == [dir_record_for(host.profile, host.profile.file(p)) for p in expected_paths]


def test_card_without_optional_dfs_or_local_extension() -> None:
    p = dataclasses.replace(PERSO, optional_dfs=(), local_extension=False)
    card = ReferenceCard(load_profile("gen2"), p)
    card.power_on()
    host = Host(card)
    for path in ("SSSE/DF05", "SSSE/DF80"):
        assert host.select_name(host.df_name(path)).sw == host.sw("file_not_found")
    assert host.select_name(host.df_name("SSSE/DF04")).sw >> 8 == 0x61


def test_key_versions_limit_loaded_keys() -> None:
    p = dataclasses.replace(PERSO, key_versions=(1,))
    card = ReferenceCard(load_profile("gen2"), p)
    card.power_on()
    host = Host(card)
    host.select_name(host.df_name("SSSE"))
    assert host.external_auth("UKSSSE", 1).sw == host.sw("ok")
    assert host.external_auth("UKSSSE", 2).sw == host.sw("key_not_found")
