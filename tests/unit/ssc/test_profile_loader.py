"""The profile loader, model, access-rule grammar and TLV templates (ssc/profile).

Expected values come from PROFILE.md (§1 generations, §3 FCI, §5 status words), not from the YAML
data, so a wrong edit of the data fails here. Malformed profiles must be rejected with an error
that names the file, the field path and what was expected: a lab edits these files by hand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ssc.crypto.algorithm import Algorithm
from ssc.profile import ProfileError, builtin_profiles, load_profile
from ssc.profile.access import AccessRule, AccessRuleError, Auth, Pin, Sm, parse_rule
from ssc.profile.loader import DATA_DIR
from ssc.profile.templates import dir_record_for, fci_for

# PROFILE §3: SELECT SSSE answers this FCI, followed by the algorithm id of PROFILE §1.
SSSE_FCI_PREFIX = bytes.fromhex("6F1C840F7378312E73682EC9E7BBE1B1A3D5CFA50988010B9F0C038601")
GENERATIONS = {  # PROFILE §1: spec version, algorithm, FCI algorithm id
    "gen1": ("1.00", Algorithm.TDES, 0x01),
    "gen2": ("2.00", Algorithm.TDES, 0x01),
    "gen3": ("3.00", Algorithm.SM4, 0x03),
}


@pytest.fixture(scope="module")
def profiles() -> dict[str, object]:
    return {name: load_profile(name) for name in GENERATIONS}


# -- the built-in profiles --------------------------------------------------------------------


def test_the_built_in_profiles_are_the_three_generations() -> None:
    assert builtin_profiles() == ["gen1", "gen2", "gen3"]


@pytest.mark.parametrize("name", sorted(GENERATIONS))
def test_built_in_profile_loads_with_its_generation_facts(profiles, name: str) -> None:
    profile = profiles[name]
    version, algorithm, alg_id = GENERATIONS[name]
    assert profile.name == name and profile.generation == int(name[-1])
    assert profile.spec_version == version
    assert profile.algorithm is algorithm
    assert profile.algorithm_id == alg_id
    assert [Path(s).name for s in profile.sources] == [f"{name}.yaml", "common.yaml"]
    assert len(profile.digest) == 64


def test_each_generation_has_its_own_digest(profiles) -> None:
    assert len({p.digest for p in profiles.values()}) == 3


def test_gen1_ef06_has_no_name_extension_and_later_record_numbers_shift(profiles) -> None:
    gen1, gen2 = profiles["gen1"].file("SSSE/EF06"), profiles["gen2"].file("SSSE/EF06")
    assert gen1.record_by_tag(0x4E) is None
    assert gen2.record_by_tag(0x4E) is not None and gen2.record_by_tag(0x4E).number == 3
    assert gen1.record_by_tag(0x0A).number == 3  # PROFILE §1: gender is record 3 on gen1
    assert gen2.record_by_tag(0x0A).number == 4
    assert [r.number for r in gen1.records] == list(range(1, len(gen1.records) + 1))
    assert [r.tag for r in gen1.records] == [r.tag for r in gen2.records if r.tag != 0x4E]


def test_gen1_ef06_provenance_overlay_keeps_the_inherited_default(profiles) -> None:
    prov = profiles["gen1"].file("SSSE/EF06").prov
    assert prov.of("records") == "C" and prov.of("record_numbers") == "I"
    assert prov.of("fid") == "C"  # the '*' default of common.yaml
    assert prov.weakest == "I"


def test_gen3_reads_ef06_only_after_auth_rkssse(profiles) -> None:
    gen3 = profiles["gen3"]
    rule = gen3.file("SSSE/EF06").rule("read")
    assert rule == AccessRule("single", (Auth("RKSSSE"),)) and str(rule) == "AUTH RKSSSE"
    key = gen3.key("RKSSSE")
    assert (key.df, key.id, key.use, key.level) == ("SSSE", 0x0A, "external", "national")
    assert key.versions == (1, 2, 3) and key.active == 1 and key.tries == 3  # security.key_defaults


@pytest.mark.parametrize("name", ["gen1", "gen2"])
def test_earlier_generations_read_ef06_freely_and_have_no_rkssse(profiles, name: str) -> None:
    profile = profiles[name]
    assert profile.file("SSSE/EF06").rule("read").is_free
    with pytest.raises(KeyError, match="RKSSSE"):
        profile.key("RKSSSE")


@pytest.mark.parametrize("name", sorted(GENERATIONS))
def test_ssse_fci_is_the_30_bytes_of_profile_section_3(profiles, name: str) -> None:
    profile = profiles[name]
    fci = fci_for(profile, profile.file("SSSE"))
    assert fci == SSSE_FCI_PREFIX + bytes([GENERATIONS[name][2]])
    assert len(fci) == 30


def test_dir_record_announces_an_adf_with_its_gbk_label(profiles) -> None:
    profile = profiles["gen2"]
    adf = profile.file("SSSE/DF01")
    label = "公共应用".encode("gbk")
    inner = bytes([0x4F, 6]) + bytes.fromhex("D15600000500") + bytes([0x50, len(label)]) + label
    assert dir_record_for(profile, adf) == bytes([0x70, len(inner) + 2, 0x61, len(inner)]) + inner


def test_fci_for_an_ef_is_refused(profiles) -> None:
    profile = profiles["gen2"]
    with pytest.raises(ValueError, match="SSSE/EF05"):
        fci_for(profile, profile.file("SSSE/EF05"))


def test_status_words_by_name_by_pattern_and_by_value(profiles) -> None:
    sw = profiles["gen2"].sw
    assert sw.wrong_length == 0x6700
    assert sw.ok == 0x9000
    assert sw["verification_failed"].with_value(2) == 0x63C2
    assert sw["more_data"].with_value(0x1E) == 0x611E
    assert sw.describe(0x6C12).name == "wrong_le"
    assert sw.describe(0x63C0).name == "verification_failed"
    assert sw.describe(0x6A82).name == "file_not_found"
    assert sw.describe(0x6F00) is None and not sw.is_listed(0x6F00)
    assert (sw["more_data"].pattern, sw["verification_failed"].pattern, sw["ok"].pattern) == ("61XX", "63CX", "9000")


def test_status_word_misuse_is_refused(profiles) -> None:
    sw = profiles["gen2"].sw
    with pytest.raises(AttributeError, match="no_such_word"):
        _ = sw.no_such_word
    with pytest.raises(ValueError, match="no variable part"):
        sw["wrong_length"].with_value(1)
    with pytest.raises(ValueError, match="does not fit"):
        sw["verification_failed"].with_value(0x10)


def test_check_order_and_commands_come_from_the_data(profiles) -> None:
    profile = profiles["gen2"]
    assert profile.check_order[0] == ("cla_not_supported",)
    assert profile.command("select").ins == 0xA4 and profile.command("select").byte("p1_name") == 0x04
    assert profile.t0_case4 == {"select", "internal_authenticate"}
    with pytest.raises(KeyError, match="no parameter"):
        profile.command("select").param("nope")


# -- questions the profile answers ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GENERATIONS))
def test_behind_firewall_is_the_pse_and_everything_below_it(profiles, name: str) -> None:
    """PROFILE §3, §6.5: the PSE (and its ADF and EFs) sits behind the COS firewall; SSSE does not."""
    profile = profiles[name]
    assert profile.behind_firewall("PSE") and profile.behind_firewall("PSE/ADF1") and profile.behind_firewall("PSE/ADF1/EF02")
    assert not any(profile.behind_firewall(p) for p in ("MF", "SSSE", "SSSE/DF04", "SSSE/DF04/EF08", "SSSE/EF05"))
    with pytest.raises(KeyError, match="no file 'NOPE'"):
        profile.behind_firewall("NOPE")


def test_behind_firewall_follows_the_data(tmp_path: Path) -> None:
    profile = load_profile(_overlay(tmp_path, "files:\n  SSSE/DF80: {firewalled: true}\n  PSE: {firewalled: false}\n"))
    assert profile.behind_firewall("SSSE/DF80") and profile.behind_firewall("SSSE/DF80/EF05")
    assert not profile.behind_firewall("SSSE") and not profile.behind_firewall("SSSE/DF01/EF05")
    assert not profile.behind_firewall("PSE/ADF1/EF01")


# PROFILE §5 and §6.1: the key each command uses, and its id.
COMMAND_KEYS = {
    "internal_authenticate": ("IRK", 0x00),
    "reload_pin": ("PUK", 0x06),
    "unblock_pin": ("PUK", 0x06),
    "application_block": ("STK", 0x07),
    "application_unblock": ("STK", 0x07),
    "card_block": ("BK", 0x08),
}


@pytest.mark.parametrize("name", sorted(GENERATIONS))
def test_command_key_is_the_key_profile_section_5_names(profiles, name: str) -> None:
    profile = profiles[name]
    for command, (key_name, key_id) in COMMAND_KEYS.items():
        key = profile.command_key(command)
        assert (key.name, key.id, key.df) == (key_name, key_id, "SSSE"), command
    assert profile.command("card_block").prov.of("key") == "D"


def test_a_command_without_a_key_is_refused_by_name(profiles) -> None:
    with pytest.raises(KeyError, match="command 'select' declares no key"):
        profiles["gen2"].command_key("select")
    with pytest.raises(KeyError, match="no command 'nope'"):
        profiles["gen2"].command_key("nope")


def test_command_key_follows_the_data(tmp_path: Path) -> None:
    profile = load_profile(_overlay(tmp_path, "commands:\n  card_block: {key: STK}\n  unblock_pin: {key: null}\n"))
    assert profile.command_key("card_block").name == "STK"
    with pytest.raises(KeyError, match="unblock_pin"):
        profile.command_key("unblock_pin")


@pytest.mark.parametrize("name", sorted(GENERATIONS))
def test_internal_key_is_the_irk(profiles, name: str) -> None:
    """PROFILE §5/§6.1: INTERNAL AUTHENTICATE uses SSSE's IRK, key id 00 in the internal space."""
    irk = profiles[name].internal_key()
    assert (irk.name, irk.id, irk.use, irk.df, irk.versions) == ("IRK", 0x00, "internal", "SSSE", (1, 2, 3))


def test_internal_key_without_a_declared_key_says_which_field_is_missing(tmp_path: Path) -> None:
    profile = load_profile(_overlay(tmp_path, "commands:\n  internal_authenticate: {key: null}\n"))
    with pytest.raises(KeyError, match=r"commands.internal_authenticate.key"):
        profile.internal_key()


def test_behaviour_choices_are_typed_fields_with_provenance(profiles) -> None:
    b = profiles["gen2"].behaviour
    assert b.card_select_p2_without_fci.value == 0x0C  # PROFILE §5 / ISO 7816-4: P2 0C, no FCI
    assert b.card_reload_pin_sets_pin_state.value is False and b.card_pin_blocked_before_format.value is True
    assert b.card_short_apdu.value == "wrong_length" and profiles["gen2"].sw[b.card_short_apdu.value].sw == 0x6700
    assert b.card_select_p2_without_fci.prov.of() == "I" and b.card_try_counter_write.prov.of() == "S"
    choices = b.choices()
    assert choices["card_missing_le"] is b.card_missing_le and choices["card_missing_le"].name == "card_missing_le"
    assert all(c.why and c.prov.of() in "CDIS" for c in choices.values())
    assert "card_command_keys" not in choices  # the key of each command is declared on the command


def test_every_section_keeps_its_provenance_in_the_model(profiles) -> None:
    profile = profiles["gen2"]
    assert profile.prov["check_order"].of() == "S"
    assert profile.prov["t0"].of("case4_via_61xx") == "C" and profile.prov["t0"].of("max_response") == "S"
    sec = profile.security
    assert sec.challenge_prov.of("external_auth") == "C" and sec.challenge_prov.of("mac") == "I"
    assert sec.mac_length == 4 and sec.mac_length_prov.of() == "I"
    assert (sec.key_defaults.versions, sec.key_defaults.active, sec.key_defaults.tries) == ((1, 2, 3), 1, 3)
    assert sec.key_defaults.prov.of("tries") == "C" and sec.key_defaults.prov.of("active") == "S"
    assert sec.lifecycle_prov.of() == "S"


# -- resolving a profile name or path -----------------------------------------------------------


def test_a_missing_lab_profile_file_is_a_clear_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "lab-profile.yaml"
    with pytest.raises(FileNotFoundError, match="lab-profile.yaml does not exist"):
        load_profile(missing)


def test_an_unknown_built_in_name_lists_the_built_ins() -> None:
    with pytest.raises(FileNotFoundError) as info:
        load_profile("gen9")
    assert "'gen9'" in str(info.value) and "gen1, gen2, gen3" in str(info.value)


def test_a_self_contained_lab_profile_loads(tmp_path: Path) -> None:
    """A lab may write one file without `extends`: the merged data dumped as one document."""
    merged = yaml.safe_load((DATA_DIR / "common.yaml").read_text(encoding="utf-8"))
    merged.update({k: v for k, v in yaml.safe_load((DATA_DIR / "gen2.yaml").read_text(encoding="utf-8")).items() if k != "extends"})
    merged["profile"] = "lab"
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(merged, allow_unicode=True), encoding="utf-8")
    profile = load_profile(path)
    assert profile.name == "lab" and profile.sources == (str(path),)
    assert fci_for(profile, profile.file("SSSE")) == SSSE_FCI_PREFIX + b"\x01"


# -- malformed profiles -------------------------------------------------------------------------


def _overlay(tmp_path: Path, body: str, name: str = "lab.yaml") -> Path:
    """A lab profile extending a copy of the built-in common.yaml, with `body` as its own fields."""
    shutil.copy(DATA_DIR / "common.yaml", tmp_path / "common.yaml")
    own = {
        "profile": "lab",
        "title": "{zh: 实验室, en: lab}",
        "generation": "2",
        "spec_version": '{value: "2.00", prov: C}',
        "algorithm": '{name: 3DES, fci_id: "01", prov: C}',
    }
    overridden = {line.split(":", 1)[0] for line in body.splitlines() if line and not line[0].isspace()}
    header = "format: ssc-profile/1\nextends: common.yaml\n"
    header += "".join(f"{k}: {v}\n" for k, v in own.items() if k not in overridden)
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


DEFECTS = [
    pytest.param("randomness:\n  alpha: 1\n", "lab.yaml", "randomness.alpha", "between 0 and 1", id="randomness-alpha"),
    pytest.param(
        "randomness:\n  challenge_length: 12\n", "lab.yaml", "randomness.challenge_length", "GET CHALLENGE length", id="randomness-le"
    ),
    pytest.param("randomness:\n  resets: 1\n", "lab.yaml", "randomness.resets", "integer ≥ 2", id="randomness-resets"),
    pytest.param("commands:\n  select: {ins: 0xA4}\n", "lab.yaml", "commands.select.ins", "quoted hex string", id="unquoted-hex-ins"),
    pytest.param("files:\n  SSSE/EF05: {sfi: 05}\n", "lab.yaml", "files.SSSE/EF05.sfi", "quote it", id="unquoted-octal-sfi"),
    pytest.param('files:\n  MF: {fid: "3F"}\n', "lab.yaml", "files.MF.fid", "expected 2 byte(s)", id="short-fid"),
    pytest.param('files:\n  MF: {fid: "3G00"}\n', "lab.yaml", "files.MF.fid", "expected hex digits", id="non-hex-fid"),
    pytest.param("files:\n  MF: {prov: X}\n", "lab.yaml", "files.MF.prov", "provenance tag C, D, I or S, got 'X'", id="bad-provenance-tag"),
    pytest.param(
        "files:\n  SSSE/EF05: {prov: {records: Q}}\n",
        "lab.yaml",
        "files.SSSE/EF05.prov.records",
        "provenance tag",
        id="bad-field-provenance",
    ),
    pytest.param("files:\n  MF: {prov: null}\n", "lab.yaml", "files.MF.prov", "missing (required)", id="missing-provenance"),
    pytest.param(
        "files:\n  SSSE/EF05: {access: {read: AUTH NOPE}}\n",
        "lab.yaml",
        "files.SSSE/EF05.access.read",
        "key 'NOPE' is not declared in the file's DF SSSE (keys there: MK, IRK, UKSSSE",
        id="unknown-rule-key",
    ),
    pytest.param(
        "files:\n  SSSE/EF05: {access: {read: PIN or AUTH MK and AUTH UKSSSE}}\n",
        "lab.yaml",
        "files.SSSE/EF05.access.read",
        "mixes 'or' and 'and'",
        id="mixed-and-or",
    ),
    pytest.param(
        "files:\n  SSSE/EF05: {access: {read: AUTH}}\n",
        "lab.yaml",
        "files.SSSE/EF05.access.read",
        "'AUTH <key>'",
        id="rule-term-without-key",
    ),
    pytest.param(
        "files:\n  SSSE/EF05: {access: {write: free}}\n",
        "lab.yaml",
        "files.SSSE/EF05.access.write",
        "expected one of read, update, append",
        id="unknown-right",
    ),
    pytest.param(
        "files:\n  SSSE/EF05: {kind: folder}\n",
        "lab.yaml",
        "files.SSSE/EF05.kind",
        "expected one of mf, ddf, adf, linear, cyclic, transparent",
        id="unknown-file-kind",
    ),
    pytest.param(
        "files:\n  SSSE/EF05: {access: {read: null}}\n",
        "lab.yaml",
        "files.SSSE/EF05.access.read",
        "every EF declares its read rule",
        id="ef-without-read-rule",
    ),
    pytest.param(
        'files:\n  SSSE/DF99/EF01: {kind: transparent, fid: "EF01", sfi: "01", size: 8, title: {zh: 甲, en: a}, access: {read: free}, prov: S}\n',
        "lab.yaml",
        "files.SSSE/DF99/EF01",
        "parent 'SSSE/DF99' is not declared",
        id="missing-parent-df",
    ),
    pytest.param('files:\n  SSSE/EF07: {fid: "EF05"}\n', "lab.yaml", ".fid", "is also used by SSSE/", id="duplicate-sibling-fid"),
    pytest.param(
        'files:\n  SSSE/EF07: {sfi: "05"}\n',
        "lab.yaml",
        "files.SSSE/EF05.sfi",
        "SFI 05 is also used by SSSE/EF07",
        id="duplicate-sibling-sfi",
    ),
    pytest.param(
        "files:\n  SSSE/DF04/EF08: {record_count: null}\n",
        "lab.yaml",
        "files.SSSE/DF04/EF08",
        "declares record_count",
        id="cyclic-without-record-count",
    ),
    pytest.param(
        "files:\n  SSSE/EF08: {size: null}\n", "lab.yaml", "files.SSSE/EF08.size", "declares its size", id="transparent-without-size"
    ),
    pytest.param(
        'files:\n  SSSE/EF05: {records: {"01": {fmt: hex}}}\n',
        "lab.yaml",
        "files.SSSE/EF05.records.01.fmt",
        "expected one of an, cn, b",
        id="bad-item-format",
    ),
    pytest.param(
        "files:\n  SSSE: {fci: nope}\n", "lab.yaml", "files.SSSE.fci", "expected one of the fci_templates", id="unknown-fci-template"
    ),
    pytest.param(
        'files:\n  SSSE: {keys: {STK: {id: "04"}}}\n',
        "lab.yaml",
        "files.SSSE.keys.",
        "external key id 04 is also used by",
        id="duplicate-key-id",
    ),
    pytest.param(
        "check_order:\n  groups: [[wrong_length, nope]]\n",
        "lab.yaml",
        "check_order.groups[0][1]",
        "expected the name of a status word",
        id="check-order-unknown-sw",
    ),
    pytest.param(
        'status_words:\n  ok: {sw: "90G0"}\n',
        "lab.yaml",
        "status_words.ok.sw",
        "expected a status word as 4 hex digits",
        id="bad-status-word",
    ),
    pytest.param(
        "t0:\n  case4_via_61xx: [select, nope]\n", "lab.yaml", "t0.case4_via_61xx[1]", "expected a command name", id="t0-unknown-command"
    ),
    pytest.param("security:\n  pin: {df: NOPE}\n", "lab.yaml", "security.pin.df", "expected a declared DF path", id="pin-df-unknown"),
    pytest.param(
        'security:\n  key_defaults: {active: "04"}\n',
        "lab.yaml",
        "security.key_defaults.active",
        "expected one of the versions",
        id="active-version-not-listed",
    ),
    pytest.param(
        'algorithm: {name: AES, fci_id: "01", prov: C}\n', "lab.yaml", "algorithm.name", "unknown algorithm 'AES'", id="unknown-algorithm"
    ),
    pytest.param("generation: 0\n", "lab.yaml", "generation", "expected an integer ≥ 1", id="generation-zero"),
    # a value of the wrong shape is a ProfileError at its path, never a crash inside the loader
    pytest.param("algorithm: 3DES\n", "lab.yaml", "algorithm", "expected a mapping, got '3DES'", id="algorithm-not-a-mapping"),
    pytest.param("status_words: [ok]\n", "lab.yaml", "status_words", "expected a mapping, got ['ok']", id="status-words-a-list"),
    pytest.param("commands: [select]\n", "lab.yaml", "commands", "expected a mapping", id="commands-a-list"),
    pytest.param('commands:\n  select: {cla: "00"}\n', "lab.yaml", "commands.select.cla", "expected a list, got '00'", id="cla-not-a-list"),
    pytest.param(
        "files:\n  SSSE/EF05: {records: [card_id_code]}\n", "lab.yaml", "files.SSSE/EF05.records", "expected a mapping", id="records-a-list"
    ),
    pytest.param("files:\n  SSSE/EF05: {access: [read]}\n", "lab.yaml", "files.SSSE/EF05.access", "expected a mapping", id="access-a-list"),
    pytest.param(
        "files:\n  SSSE: {keys: {MK: 3}}\n", "lab.yaml", "files.SSSE.keys.MK", "expected a mapping, got 3", id="key-not-a-mapping"
    ),
    pytest.param("fci_templates: [ssse]\n", "lab.yaml", "fci_templates", "expected a mapping", id="fci-templates-a-list"),
    pytest.param("atr: {fields: [serial]}\n", "lab.yaml", "atr.fields", "expected a mapping", id="atr-fields-a-list"),
    pytest.param('atr: {known_chip_makers: "0081"}\n', "lab.yaml", "atr.known_chip_makers", "expected a list", id="chip-makers-not-a-list"),
    pytest.param(
        "check_order: {groups: [5]}\n", "lab.yaml", "check_order.groups[0]", "expected a list, got 5", id="check-order-group-not-a-list"
    ),
    pytest.param(
        "behaviour: {card_short_apdu: 3}\n", "lab.yaml", "behaviour.card_short_apdu", "expected a mapping", id="behaviour-not-a-mapping"
    ),
    pytest.param(
        "security:\n  pin: {initial: 012345}\n",
        "lab.yaml",
        "security.pin.initial",
        "expected a string of digits",
        id="unquoted-pin-read-as-octal",
    ),
    pytest.param(
        "security:\n  diversification: {levels: [province, town, card]}\n",
        "lab.yaml",
        "security.diversification.levels[1]",
        "expected one of province, city, card",
        id="unknown-diversification-level",
    ),
    pytest.param(
        'files:\n  SSSE: {keys: {MK: {active: "00"}}}\n',
        "lab.yaml",
        "files.SSSE.keys.MK.active",
        "expected one of the key's versions",
        id="key-active-version-00",
    ),
    pytest.param(
        'files:\n  SSSE: {keys: {MK: {versions: ["01", "02"], active: "03"}}}\n',
        "lab.yaml",
        "files.SSSE.keys.MK.active",
        "got 03",
        id="key-active-version-not-listed",
    ),
    pytest.param(
        'files:\n  SSSE/EF06: {records: {"0a": {item: gender2, length: 1, fmt: an, title: {zh: 性别, en: gender}, prov: S}}}\n',
        "lab.yaml",
        "files.SSSE/EF06.records.0a",
        "tag 0A / item 'gender2' is also used by record 4",
        id="duplicate-record-tag",
    ),
    pytest.param(
        'files:\n  SSSE/EF05: {records: {"02": {item: card_id_code}}}\n',
        "lab.yaml",
        "files.SSSE/EF05.records.02",
        "also used by record 1",
        id="duplicate-record-item",
    ),
    pytest.param(
        "files:\n  SSSE/DF01: {label: 5}\n", "lab.yaml", "files.SSSE/DF01.label", "expected a quoted string, got 5", id="label-not-a-string"
    ),
    # fields that mean something for one kind of file only
    pytest.param(
        "files:\n  SSSE/EF05: {record_count: 3}\n",
        "lab.yaml",
        "files.SSSE/EF05.record_count",
        "only a cyclic EF has a record_count (its capacity); this file is linear",
        id="record-count-on-a-linear-ef",
    ),
    pytest.param(
        "files:\n  SSSE/EF07: {record_count: 3}\n",
        "lab.yaml",
        "files.SSSE/EF07.record_count",
        "only a cyclic EF has a record_count",
        id="record-count-on-a-transparent-ef",
    ),
    pytest.param(
        "files:\n  SSSE/EF05: {size: 64}\n",
        "lab.yaml",
        "files.SSSE/EF05.size",
        "only a transparent EF has a size",
        id="size-on-a-linear-ef",
    ),
    # flags are true or false, not any truthy value
    pytest.param(
        'files:\n  SSSE/EF0B: {dir: "yes"}\n',
        "lab.yaml",
        "files.SSSE/EF0B.dir",
        "expected true or false, got 'yes'",
        id="dir-flag-a-string",
    ),
    pytest.param(
        "files:\n  PSE: {firewalled: 1}\n", "lab.yaml", "files.PSE.firewalled", "expected true or false, got 1", id="firewalled-flag-1"
    ),
    pytest.param(
        'files:\n  SSSE/DF05/EF05: {reserved: "false"}\n',
        "lab.yaml",
        "files.SSSE/DF05/EF05.reserved",
        "expected true or false, got 'false'",
        id="reserved-flag-quoted",
    ),
    pytest.param(
        'commands:\n  tearing_hook: {virtual_only: "true"}\n',
        "lab.yaml",
        "commands.tearing_hook.virtual_only",
        "expected true or false, got 'true'",
        id="virtual-only-a-string",
    ),
    # template placeholders are checked when the profile is read, not when first rendered
    pytest.param(
        'fci_templates:\n  adf: {tlv: {"6F": {"84": "{nme}"}}}\n',
        "lab.yaml",
        "fci_templates.adf.tlv.6F.84",
        "unknown placeholder {nme} in '{nme}'; expected one of alg_id, dir_sfi, name",
        id="fci-unknown-placeholder",
    ),
    pytest.param(
        'dir_record: {tlv: {"70": {"61": {"50": "{alg_id}"}}}}\n',
        "lab.yaml",
        "dir_record.tlv.70.61.50",
        "unknown placeholder {alg_id}",
        id="dir-record-placeholder-of-an-fci",
    ),
    pytest.param(
        'fci_templates:\n  pse: {tlv: {"6F": {"84": "{name"}}}\n',
        "lab.yaml",
        "fci_templates.pse.tlv.6F.84",
        "expected a template with {placeholders}",
        id="fci-unclosed-brace",
    ),
    pytest.param(
        'fci_templates:\n  adf: {tlv: {"6F": {"84": "{}"}}}\n',
        "lab.yaml",
        "fci_templates.adf.tlv.6F.84",
        "unknown placeholder {}",
        id="fci-positional",
    ),
    pytest.param(
        'security:\n  diversification: {city_factor: "{city}sx"}\n',
        "lab.yaml",
        "security.diversification.city_factor",
        "unknown placeholder {city}",
        id="city-factor-unknown-placeholder",
    ),
    pytest.param(
        'security:\n  test_roots: {national: "SSC-TEST-ROOT|{region}|{name}|{version:02X}|{alg}"}\n',
        "lab.yaml",
        "security.test_roots.national",
        "unknown placeholder {region}",
        id="national-root-with-a-region",
    ),
    # provenance on every section
    pytest.param("security:\n  mac_length: 4\n", "lab.yaml", "security.mac_length", "expected a mapping, got 4", id="mac-length-untagged"),
    pytest.param("security:\n  mac_length: {prov: null}\n", "lab.yaml", "security.mac_length.prov", "missing", id="mac-length-no-prov"),
    pytest.param("check_order: {prov: null}\n", "lab.yaml", "check_order.prov", "missing", id="check-order-no-prov"),
    pytest.param("t0: {prov: null}\n", "lab.yaml", "t0.prov", "missing", id="t0-no-prov"),
    pytest.param("security:\n  challenge: {prov: null}\n", "lab.yaml", "security.challenge.prov", "missing", id="challenge-no-prov"),
    # the key a command uses
    pytest.param(
        "commands:\n  reload_pin: {key: PUKK}\n",
        "lab.yaml",
        "commands.reload_pin.key",
        "expected the name of a declared key",
        id="command-key-unknown",
    ),
    pytest.param(
        "commands:\n  internal_authenticate: {key: MK}\n",
        "lab.yaml",
        "commands.internal_authenticate.key",
        "expected a key with use internal, got 'MK'",
        id="internal-auth-key-external",
    ),
    pytest.param(
        "commands:\n  card_block: {key: 8}\n",
        "lab.yaml",
        "commands.card_block.key",
        "expected a quoted string, got 8",
        id="command-key-not-a-name",
    ),
    # behaviour choices: every one declared, known by name, of its type
    pytest.param(
        'behaviour:\n  card_select_p2_without_fcii: {value: "0C", why: typo, prov: S}\n',
        "lab.yaml",
        "behaviour.card_select_p2_without_fcii",
        "unknown behaviour choice; expected one of lifecycle_mac_key_version",
        id="behaviour-unknown-name",
    ),
    pytest.param(
        "behaviour:\n  card_missing_le: null\n", "lab.yaml", "behaviour.card_missing_le", "missing (required", id="behaviour-choice-missing"
    ),
    pytest.param(
        'behaviour:\n  card_sfi_selects_ef: {value: "no"}\n',
        "lab.yaml",
        "behaviour.card_sfi_selects_ef.value",
        "expected true or false, got 'no'",
        id="behaviour-bool-a-string",
    ),
    pytest.param(
        "behaviour:\n  card_short_apdu: {value: wrong_lenght}\n",
        "lab.yaml",
        "behaviour.card_short_apdu.value",
        "expected the name of a status word in status_words, got 'wrong_lenght'",
        id="behaviour-unknown-status-word",
    ),
    pytest.param(
        "behaviour:\n  card_select_p2_without_fci: {value: 12}\n",
        "lab.yaml",
        "behaviour.card_select_p2_without_fci.value",
        "quoted hex string",
        id="behaviour-p2-unquoted",
    ),
    pytest.param(
        "behaviour:\n  psam_key_scope: {value: true}\n",
        "lab.yaml",
        "behaviour.psam_key_scope.value",
        "expected a non-empty string",
        id="behaviour-str-a-bool",
    ),
]


@pytest.mark.parametrize("body, file_name, field, expectation", DEFECTS)
def test_a_malformed_profile_names_file_field_and_expectation(
    tmp_path: Path, body: str, file_name: str, field: str, expectation: str
) -> None:
    path = _overlay(tmp_path, body)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    message = str(info.value)
    assert message.startswith(f"{file_name} (extends common.yaml): "), message
    assert message.count(file_name) == 1, f"the error is wrapped twice: {message}"
    assert field in info.value.field, message
    assert expectation in message.partition(f"{info.value.field}: ")[2], message


def test_the_error_names_the_whole_extends_chain(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(_overlay(tmp_path, "files:\n  MF: {prov: X}\n"))
    assert info.value.sources == "lab.yaml (extends common.yaml)"


FILE_DEFECTS = [
    pytest.param({"lab.yaml": "format: ssc-profile/1\nfiles: [\n"}, "lab.yaml", "(file)", "not valid YAML", id="invalid-yaml"),
    pytest.param({"lab.yaml": "- just\n- a list\n"}, "lab.yaml", "(file)", "expected a mapping at the top level", id="not-a-mapping"),
    pytest.param(
        {"lab.yaml": "format: ssc-profile/2\nextends: common.yaml\n"},
        "lab.yaml",
        "format",
        "expected 'ssc-profile/1', got 'ssc-profile/2'",
        id="bad-format",
    ),
    pytest.param({"lab.yaml": "profile: lab\n"}, "lab.yaml", "format", "expected 'ssc-profile/1', got None", id="missing-format"),
    pytest.param(
        {"lab.yaml": "format: ssc-profile/1\nextends: nope.yaml\n"},
        "lab.yaml",
        "extends",
        "'nope.yaml' does not exist next to lab.yaml",
        id="extends-missing-file",
    ),
    pytest.param(
        {"lab.yaml": "format: ssc-profile/1\nextends: [common.yaml]\n"},
        "lab.yaml",
        "extends",
        "expected a file name",
        id="extends-not-a-name",
    ),
    pytest.param(
        {"lab.yaml": "format: ssc-profile/1\nextends: b.yaml\n", "b.yaml": "format: ssc-profile/1\nextends: lab.yaml\n"},
        "lab.yaml",
        "extends",
        "circular extends chain: lab.yaml -> b.yaml -> lab.yaml",
        id="circular-extends",
    ),
    pytest.param(
        {"lab.yaml": "format: ssc-profile/1\nextends: lab.yaml\n"}, "lab.yaml", "extends", "circular extends chain", id="extends-itself"
    ),
    pytest.param(
        {"lab.yaml": "format: ssc-profile/1\nextends: base.yaml\n", "base.yaml": "format: ssc-profile/1\nfiles: {MF: oops: 1}\n"},
        "base.yaml",
        "(file)",
        "not valid YAML",
        id="invalid-yaml-in-parent",
    ),
]


@pytest.mark.parametrize("files, file_name, field, expectation", FILE_DEFECTS)
def test_a_malformed_profile_file_names_the_file_at_fault(
    tmp_path: Path, files: dict[str, str], file_name: str, field: str, expectation: str
) -> None:
    shutil.copy(DATA_DIR / "common.yaml", tmp_path / "common.yaml")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(tmp_path / "lab.yaml")
    message = str(info.value)
    assert message.startswith(f"{file_name}: {field}: "), message
    assert expectation in message, message


def test_a_mutated_self_contained_profile_is_rejected_with_the_field_path(tmp_path: Path) -> None:
    """The same checks hold for a profile written as one file (no extends)."""
    data = yaml.safe_load((DATA_DIR / "common.yaml").read_text(encoding="utf-8"))
    data.update(
        profile="lab",
        title={"zh": "实验室", "en": "lab"},
        generation=2,
        spec_version={"value": "2.00", "prov": "C"},
        algorithm={"name": "3DES", "fci_id": "01", "prov": "C"},
    )
    data["files"]["SSSE/DF03/EF05"]["access"]["read"] = "AUTH UK1DF04"  # a key of another DF
    path = tmp_path / "whole.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value).startswith(
        "whole.yaml: files.SSSE/DF03/EF05.access.read: key 'UK1DF04' is not declared in the file's DF SSSE/DF03 (keys there: RK1DF03, UK1DF03)"
    )


# -- the access-rule grammar (PROFILE §3.3) -----------------------------------------------------

RULES = [
    ("free", "free", (), [frozenset()]),
    ("never", "never", (), []),
    ("PIN", "single", (Pin(),), [frozenset({Pin()})]),
    ("AUTH UK1", "single", (Auth("UK1"),), [frozenset({Auth("UK1")})]),
    ("SM UK2", "single", (Sm("UK2"),), [frozenset({Sm("UK2")})]),
    ("PIN or AUTH UK1", "or", (Pin(), Auth("UK1")), [frozenset({Pin()}), frozenset({Auth("UK1")})]),
    ("PIN and AUTH RK1", "and", (Pin(), Auth("RK1")), [frozenset({Pin(), Auth("RK1")})]),
    (
        "AUTH A or AUTH B or SM C",
        "or",
        (Auth("A"), Auth("B"), Sm("C")),
        [frozenset({Auth("A")}), frozenset({Auth("B")}), frozenset({Sm("C")})],
    ),
    ("  PIN   and   SM K ", "and", (Pin(), Sm("K")), [frozenset({Pin(), Sm("K")})]),
]


@pytest.mark.parametrize("text, kind, terms, grants", RULES)
def test_parse_rule_and_minimal_grants(text: str, kind: str, terms: tuple, grants: list) -> None:
    rule = parse_rule(text)
    assert rule.kind == kind and rule.terms == terms
    assert rule.minimal_grants() == grants
    assert parse_rule(str(rule)) == rule  # str() is the canonical spelling


def test_rule_properties() -> None:
    rule = parse_rule("PIN and SM UK2 and AUTH RK1")
    assert rule.needs_pin and rule.keys == {"UK2", "RK1"} and rule.sm_keys == {"UK2"}
    assert parse_rule("free").is_free and parse_rule("never").is_never
    assert not parse_rule("AUTH X").needs_pin and parse_rule("free").keys == frozenset()


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "non-empty string"),
        ("   ", "non-empty string"),
        (None, "non-empty string"),
        (7, "non-empty string"),
        ("PIN or AUTH A and AUTH B", "mixes 'or' and 'and'"),
        ("AUTH", "got the term 'AUTH'"),
        ("AUTH A B", "got the term 'AUTH A B'"),
        ("pin", "got the term 'pin'"),
        ("PIN or", "got the term ''"),
        ("or PIN", "got the term ''"),
        ("free or PIN", "got the term 'free'"),
        ("KEY UK1", "got the term 'KEY UK1'"),
        ("PIN or PIN", "repeats a term"),
    ],
)
def test_parse_rule_rejects(text: object, fragment: str) -> None:
    with pytest.raises(AccessRuleError) as info:
        parse_rule(text)  # type: ignore[arg-type]  # a value of the wrong type is what the test feeds in
    assert fragment in str(info.value)
