"""reports.provenance: every `rests_on` reference of the catalogue resolves in every built-in
profile, a reference resolves to the tag the profile data gives it, and a bad one is refused clearly."""

from __future__ import annotations

import dataclasses

import pytest

from reports.provenance import ProvenanceReferenceError, requirement_provenance, resolve_reference, weakest
from ssc.catalogue import load_catalogue
from ssc.profile import builtin_profiles, load_profile
from ssc.profile.model import PROVENANCE_TAGS, Provenance

CATALOGUE = load_catalogue()


@pytest.mark.parametrize("generation", builtin_profiles())
def test_every_catalogue_reference_resolves_in_every_builtin_profile(generation: str) -> None:
    profile = load_profile(generation)
    assert len(CATALOGUE.requirements) >= 50
    for rid in CATALOGUE.requirements:
        prov = requirement_provenance(profile, rid)
        tags = [v["tag"] for v in prov["values"]]
        assert set(tags) <= set(PROVENANCE_TAGS), (rid, prov)
        assert prov["weakest"] == weakest(tags)
        assert prov["stand_in"] == (prov["weakest"] == "S")


def test_every_requirement_outside_the_reader_review_rests_on_something() -> None:
    empty = [rid for rid, r in CATALOGUE.requirements.items() if not r.rests_on and r.review != "RDR"]
    assert not empty


@pytest.mark.parametrize(
    "generation, ref, expected",
    [
        # entity default, field overrides and children, read from common.yaml / genN.yaml
        ("gen2", "atr.prefix", "C"),
        ("gen2", "atr.fields", "S"),
        ("gen2", "atr", "S"),  # an entity: its weakest field
        ("gen2", "files.SSSE.fid", "S"),
        ("gen2", "files.SSSE.name", "C"),
        ("gen2", "files.SSSE/EF05.records.07", "C"),
        ("gen2", "files.SSSE/EF05.records.02.check", "S"),
        ("gen2", "files.SSSE/EF05.records.02.tag", "C"),
        ("gen2", "files.SSSE.keys.STK", "S"),
        ("gen2", "files.SSSE.keys", "S"),  # the file's tag and every key's
        ("gen2", "status_words.wrong_le", "D"),
        ("gen2", "commands.update_binary.cla", "I"),
        ("gen2", "commands.select", "C"),
        ("gen2", "security.pin", "S"),
        ("gen2", "security.diversification.levels", "C"),
        ("gen2", "data_elements.card_id_code.serial", "S"),
        ("gen2", "data_elements.card_id_code.mac", "C"),
        ("gen2", "check_order", "S"),  # sections the model keeps no tag for
        ("gen2", "t0.case4_via_61xx", "C"),
        ("gen2", "t0.max_response", "S"),
        ("gen2", "security.challenge.mac", "I"),
        ("gen2", "security.key_defaults.tries", "C"),
        ("gen2", "psam.key_usage", "C"),
        ("gen2", "behaviour.card_select_p2_without_fci", "I"),
        ("gen2", "algorithm.fci_id", "C"),
        ("gen2", "files.SSSE/EF06.access", "C"),
        ("gen3", "files.SSSE/EF08.access", "S"),  # gen3.yaml re-tags one field
        ("gen1", "files.SSSE/EF06.record_numbers", "I"),  # a tag with no model field
        ("gen3", "files.SSSE.keys.RKSSSE", "C"),
        ("gen2", "security.mac_length", "I"),
        ("gen2", "security.key_defaults.active", "S"),
        ("gen2", "security.lifecycle.blocked_allows", "S"),
        ("gen2", "commands.reload_pin.key", "D"),
        ("gen2", "commands.application_block.key", "D"),
        ("gen2", "commands.application_block", "S"),
    ],
)
def test_a_reference_resolves_to_the_tag_in_the_profile_data(generation: str, ref: str, expected: str) -> None:
    assert resolve_reference(load_profile(generation), ref) == expected


def test_section_tags_come_from_the_model_not_from_the_yaml() -> None:
    """check_order, t0, security.challenge, key_defaults and mac_length are cited from the loaded
    model: a profile whose model says otherwise than its source files is reported as the model says."""
    profile = load_profile("gen2")
    security = dataclasses.replace(
        profile.security,
        challenge_prov=Provenance({"*": "D"}),
        mac_length_prov=Provenance({"*": "C"}),
        key_defaults=dataclasses.replace(profile.security.key_defaults, prov=Provenance({"*": "I"})),
    )
    prov = {**profile.prov, "check_order": Provenance({"*": "C"}), "t0": Provenance({"*": "D"})}
    changed = dataclasses.replace(profile, security=security, prov=prov)
    assert [resolve_reference(changed, r) for r in ("check_order", "t0.max_response", "security.challenge.mac")] == ["C", "D", "D"]
    assert [resolve_reference(changed, r) for r in ("security.mac_length", "security.key_defaults.tries")] == ["C", "I"]


@pytest.mark.parametrize(
    "ref, fragment",
    [
        ("files.SSSE/EF99", "declares no file 'SSSE/EF99'"),
        ("files.SSSE/EF05.records.7F", "has no record '7F'"),
        ("files.SSSE/EF05.colour", "has no field 'colour'"),
        ("files.SSSE.keys.NOPE", "has no key 'NOPE'"),
        ("status_words.oops", "no status word named 'oops'"),
        ("commands.select.p9", "has no field 'p9'"),
        ("security.nothing", "names nothing in profile gen2"),
        ("atlas", "names nothing in profile gen2"),
        ("t0.colour", "t0 has no field 'colour'"),
        ("security.mac_length.bits", "security.mac_length has no field 'bits'"),
        ("security.challenge.nonce", "security.challenge has no field 'nonce'"),
        ("behaviour.card_command_keys", "no behaviour choice named 'card_command_keys'"),
        ("atr.prefix.deeper", "no nested field"),
    ],
)
def test_an_unknown_reference_is_refused_with_what_is_wrong(ref: str, fragment: str) -> None:
    with pytest.raises(ProvenanceReferenceError) as info:
        resolve_reference(load_profile("gen2"), ref)
    assert fragment in str(info.value)


def test_a_generation_prefix_limits_a_reference_to_that_generation() -> None:
    assert requirement_provenance(load_profile("gen3"), "SEC-AC-7")["values"]
    assert requirement_provenance(load_profile("gen2"), "SEC-AC-7") == {"weakest": None, "stand_in": False, "values": []}


def test_a_bad_reference_in_the_catalogue_names_the_requirement(tmp_path) -> None:
    path = tmp_path / "requirements.yaml"
    path.write_text(
        "format: ssc-requirements/1\nreviews: {STD: {zh: 标准, en: std}}\nrequirements:\n"
        "  STD-A-1: {en: a, zh: 甲, ref: '§1', rests_on: [files.MF, files.NOWHERE]}\n"
        "  STD-A-2: {en: b, zh: 乙, ref: '§1', rests_on: ['x1:files.MF']}\n",
        encoding="utf-8",
    )
    catalogue = load_catalogue(path)
    with pytest.raises(ProvenanceReferenceError, match=r"requirement STD-A-1: rests_on 'files.NOWHERE'"):
        requirement_provenance(load_profile("gen2"), "STD-A-1", catalogue)
    with pytest.raises(ProvenanceReferenceError, match="a prefix must be genN:"):
        requirement_provenance(load_profile("gen2"), "STD-A-2", catalogue)
    with pytest.raises(KeyError, match="no requirement 'STD-Z-9'"):
        requirement_provenance(load_profile("gen2"), "STD-Z-9", catalogue)


def test_rests_on_must_be_a_list_of_references(tmp_path) -> None:
    path = tmp_path / "requirements.yaml"
    path.write_text(
        "format: ssc-requirements/1\nreviews: {STD: {zh: 标准, en: std}}\nrequirements:\n"
        "  STD-A-1: {en: a, zh: 甲, ref: '§1', rests_on: files.MF}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"requirements.STD-A-1.rests_on: expected a list"):
        load_catalogue(path)


@pytest.mark.parametrize("tags, expected", [(["C", "D"], "D"), (["C", "S", "I"], "S"), (["I", "C"], "I"), ([], None)])
def test_weakest_orders_s_below_i_below_d_below_c(tags: list[str], expected: str | None) -> None:
    assert weakest(tags) == expected
