"""The software PSAM (reference_card.psam) against PROFILE §7, byte for byte.

Expected values are computed independently of the model: from the key set's roots, the
diversification primitives and the §6.3/§6.4 recipes, with APDUs built from the profile.
"""

from __future__ import annotations

import pytest

from reference_card.psam import PsamCard
from ssc.apdu import CommandApdu, ResponseApdu
from ssc.codecs import encode_cn
from ssc.crypto.algorithm import Algorithm
from ssc.crypto.diversify import diversify
from ssc.crypto.mac import mac
from ssc.crypto.primitives import ecb_encrypt
from ssc.crypto.recipes import auth_cryptogram, command_mac
from ssc.keyset import LabKeyFile, TestKeySet, derive_card_key, diversification_factors
from ssc.profile import load_profile
from ssc.profile.model import KeyDef, Profile
from tests.unit import rig

HOME = rig.HOME_REGION
FOREIGN = "330200"
TERMINAL = rig.terminal_number(HOME)
CARD_SN = bytes.fromhex("8684A1B2C3D4E5F6")
F8 = bytes.fromhex("0123456789ABCDEF")
D8 = bytes.fromhex("FEDCBA9876543210")

PROFILES = {name: load_profile(name) for name in ("gen2", "gen3")}


def _psam(profile: Profile, keyset=None) -> PsamCard:
    card = PsamCard(profile, HOME, TERMINAL, keyset or TestKeySet.for_profile(profile))
    assert card.power_on() == profile.psam.atr
    return card


def _send(card: PsamCard, apdu: CommandApdu) -> ResponseApdu:
    return ResponseApdu.parse(card.process(apdu.to_bytes()))


def _cmd(profile: Profile, name: str, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> CommandApdu:
    cla, ins = profile.psam.commands[name]
    return CommandApdu(cla, ins, p1, p2, data, le)


def _select(profile: Profile, fid: int) -> CommandApdu:
    sel = profile.command("select")
    return _cmd(profile, "select", sel.byte("p1_fid"), sel.byte_list("p2")[0], fid.to_bytes(2, "big"))


def _derive(profile: Profile, usage: str, key: KeyDef, version: int, factors_root_first: list[bytes]) -> CommandApdu:
    spec = profile.psam
    p1 = (len(factors_root_first) << spec.levels_shift) | spec.key_usage[usage]
    return _cmd(profile, "derive_key", p1, key.id, bytes([version]) + b"".join(reversed(factors_root_first)))


def _use(profile: Profile, mode: str, data: bytes) -> CommandApdu:
    return _cmd(profile, "use_key", profile.psam.use_modes[mode], 0, data)


def _ready(profile: Profile, alg: Algorithm, keyset=None) -> PsamCard:
    card = _psam(profile, keyset)
    assert _send(card, _select(profile, profile.psam.dfs[alg])).sw == profile.sw.ok
    assert card.algorithm is alg
    return card


def _keys(use: str, level: str = "national") -> list[tuple[str, str]]:
    return [(gen, k.name) for gen, p in PROFILES.items() for k in p.keys() if k.use == use and k.level == level and k.df.startswith("SSSE")]


@pytest.mark.parametrize("version", [1, 2, 3])
@pytest.mark.parametrize("gen,key_name", _keys("external"))
def test_external_auth_cryptogram_for_every_national_key(gen: str, key_name: str, version: int) -> None:
    profile = PROFILES[gen]
    key = profile.key(key_name)
    card = _ready(profile, profile.algorithm)
    factors = diversification_factors(profile, key, FOREIGN, CARD_SN)
    assert _send(card, _derive(profile, "external_auth", key, version, factors)).sw == profile.sw.ok
    answer = _send(card, _use(profile, "process", F8 + D8))
    card_key = derive_card_key(profile, TestKeySet.for_profile(profile), key, version, FOREIGN, CARD_SN)
    assert answer.sw == profile.sw.ok
    assert answer.data == auth_cryptogram(profile.algorithm, card_key, F8, D8)


@pytest.mark.parametrize("gen", PROFILES)
@pytest.mark.parametrize("alg", list(Algorithm))
def test_internal_key_follows_the_selected_df(gen: str, alg: Algorithm) -> None:
    """The algorithm is the selected DF's, whatever the profile's card algorithm is."""
    profile = PROFILES[gen]
    irk = next(k for k in profile.keys() if k.use == "internal")
    card = _ready(profile, alg)
    factors = diversification_factors(profile, irk, HOME, CARD_SN)
    assert _send(card, _derive(profile, "internal_auth", irk, 0, factors)).sw == profile.sw.ok
    root = TestKeySet.for_profile(profile).national_root(irk.name, irk.active, alg)
    expected = auth_cryptogram(alg, diversify(alg, root, factors), F8, D8)
    assert _send(card, _use(profile, "process", F8 + D8)).data == expected


@pytest.mark.parametrize("gen", PROFILES)
def test_version_00_is_the_active_version(gen: str) -> None:
    profile = PROFILES[gen]
    key = profile.key("UKSSSE")
    factors = diversification_factors(profile, key, HOME, CARD_SN)
    results = {}
    for version in (0, key.active, key.versions[-1]):
        card = _ready(profile, profile.algorithm)
        _send(card, _derive(profile, "external_auth", key, version, factors))
        results[version] = _send(card, _use(profile, "process", F8 + D8)).data
    assert results[0] == results[key.active]
    assert results[0] != results[key.versions[-1]]


@pytest.mark.parametrize("gen", PROFILES)
@pytest.mark.parametrize("message_length", [0, 5, 16, 33])
def test_mac_matches_the_secure_messaging_recipe(gen: str, message_length: int) -> None:
    profile = PROFILES[gen]
    alg = profile.algorithm
    key = profile.key("UK2DF04")
    card = _ready(profile, alg)
    factors = diversification_factors(profile, key, HOME, CARD_SN)
    _send(card, _derive(profile, "mac", key, 0, factors))
    challenge = bytes(range(1, 1 + profile.security.challenge_mac))
    message = bytes(range(message_length))
    iv = challenge + bytes(alg.block_size - len(challenge))
    answer = _send(card, _use(profile, "mac", iv + message))
    card_key = derive_card_key(profile, TestKeySet.for_profile(profile), key, key.active, HOME, CARD_SN)
    assert answer.sw == profile.sw.ok
    assert len(answer.data) == profile.security.mac_length
    assert answer.data == command_mac(alg, card_key, challenge, message)


@pytest.mark.parametrize("gen", PROFILES)
def test_ecb_encipher(gen: str) -> None:
    profile = PROFILES[gen]
    alg = profile.algorithm
    key = profile.key("PUK")
    card = _ready(profile, alg)
    factors = diversification_factors(profile, key, HOME, CARD_SN)
    _send(card, _derive(profile, "mac", key, 0, factors))
    block = bytes(range(2 * alg.block_size))
    card_key = derive_card_key(profile, TestKeySet.for_profile(profile), key, key.active, HOME, CARD_SN)
    assert _send(card, _use(profile, "ecb", block)).data == ecb_encrypt(alg, card_key, block)
    assert _send(card, _use(profile, "ecb", block[:-1])).sw == profile.sw.wrong_length


@pytest.mark.parametrize("gen", PROFILES)
def test_local_keys_use_the_home_city_root_with_the_card_factor_only(gen: str) -> None:
    profile = PROFILES[gen]
    alg = profile.algorithm
    keyset = TestKeySet.for_profile(profile)
    local = [k for k in profile.keys() if k.level == "local"]
    assert [k.name for k in local] == ["RLK", "ULK"]  # PROFILE §6.1: the city's keys in SSSE/DF80
    for key in local:
        card = _ready(profile, alg)
        factors = diversification_factors(profile, key, HOME, CARD_SN)
        assert factors == [CARD_SN]
        assert _send(card, _derive(profile, "external_auth", key, 0, factors)).sw == profile.sw.ok
        home_key = derive_card_key(profile, keyset, key, key.active, HOME, CARD_SN)
        foreign_key = derive_card_key(profile, keyset, key, key.active, FOREIGN, CARD_SN)
        answer = _send(card, _use(profile, "process", F8 + D8)).data
        assert answer == auth_cryptogram(alg, home_key, F8, D8)
        assert answer != auth_cryptogram(alg, foreign_key, F8, D8)


@pytest.mark.parametrize("gen", PROFILES)
def test_no_root_for_the_key_is_key_not_found(gen: str) -> None:
    """A key set without this city's local roots (or without a national root) → 6A88."""
    profile = PROFILES[gen]
    alg = profile.algorithm
    mk = profile.key("MK")
    national_only = LabKeyFile({(mk.name, mk.active, alg): bytes(16)}, {}, label="national only")
    card = _ready(profile, alg, national_only)
    rlk = next(k for k in profile.keys() if k.level == "local")
    assert _send(card, _derive(profile, "external_auth", rlk, 0, [CARD_SN])).sw == profile.sw.key_not_found
    ukssse = profile.key("UKSSSE")
    factors = diversification_factors(profile, ukssse, HOME, CARD_SN)
    assert _send(card, _derive(profile, "external_auth", ukssse, 0, factors)).sw == profile.sw.key_not_found
    assert _send(card, _derive(profile, "external_auth", mk, 0, factors)).sw == profile.sw.ok


@pytest.mark.parametrize("gen", PROFILES)
def test_derive_refusals(gen: str) -> None:
    profile = PROFILES[gen]
    sw = profile.sw
    key = profile.key("UKSSSE")
    factors = diversification_factors(profile, key, HOME, CARD_SN)
    card = _psam(profile)
    assert _send(card, _derive(profile, "external_auth", key, 0, factors)).sw == sw.conditions_not_satisfied  # MF
    card = _ready(profile, profile.algorithm)
    unknown_id = max(k.id for k in profile.keys()) + 1
    bogus = KeyDef("X", "SSSE", unknown_id, "external", "national", (1,), 1, 3, key.prov)
    assert _send(card, _derive(profile, "external_auth", bogus, 0, factors)).sw == sw.key_not_found
    absent_version = max(key.versions) + 1
    assert _send(card, _derive(profile, "external_auth", key, absent_version, factors)).sw == sw.key_not_found
    good = _derive(profile, "external_auth", key, 0, factors)
    unknown_usage = next(u for u in range(1 << profile.psam.levels_shift) if u not in profile.psam.key_usage.values())
    assert (
        _send(
            card, CommandApdu(good.cla, good.ins, (good.p1 & ~((1 << profile.psam.levels_shift) - 1)) | unknown_usage, good.p2, good.data)
        ).sw
        == sw.wrong_p1p2
    )
    assert _send(card, CommandApdu(good.cla, good.ins, good.p1, good.p2, good.data[:-1])).sw == sw.wrong_length
    too_many = (len(profile.security.diversification.levels) + 1) << profile.psam.levels_shift
    assert _send(card, CommandApdu(good.cla, good.ins, too_many | profile.psam.key_usage["mac"], good.p2, good.data)).sw == sw.wrong_p1p2


@pytest.mark.parametrize("gen", PROFILES)
def test_fewer_levels_derive_the_partial_key(gen: str) -> None:
    """Behaviour psam_derive_levels: 0–3 levels, used by key checks."""
    profile = PROFILES[gen]
    alg = profile.algorithm
    key = profile.key("MK")
    province, city, card_f = diversification_factors(profile, key, HOME, CARD_SN)
    root = TestKeySet.for_profile(profile).national_root(key.name, key.active, alg)
    for factors in ([], [province], [province, city], [city, card_f]):
        card = _ready(profile, alg)
        assert _send(card, _derive(profile, "external_auth", key, 0, factors)).sw == profile.sw.ok
        assert _send(card, _use(profile, "process", F8 + D8)).data == auth_cryptogram(alg, diversify(alg, root, factors), F8, D8)


@pytest.mark.parametrize("gen", PROFILES)
def test_use_key_needs_a_working_key_and_selecting_forgets_it(gen: str) -> None:
    profile = PROFILES[gen]
    sw = profile.sw
    alg = profile.algorithm
    card = _ready(profile, alg)
    assert _send(card, _use(profile, "process", F8 + D8)).sw == sw.conditions_not_satisfied
    key = profile.key("MK")
    _send(card, _derive(profile, "external_auth", key, 0, diversification_factors(profile, key, HOME, CARD_SN)))
    assert card.has_working_key
    assert _send(card, _use(profile, "process", F8)).sw == sw.wrong_length
    unknown_mode = next(m for m in range(256) if m not in profile.psam.use_modes.values())
    assert _send(card, _cmd(profile, "use_key", unknown_mode, 0, F8 + D8)).sw == sw.wrong_p1p2
    assert _send(card, _select(profile, profile.psam.dfs[alg])).sw == sw.ok
    assert not card.has_working_key
    assert _send(card, _use(profile, "process", F8 + D8)).sw == sw.conditions_not_satisfied
    _send(card, _derive(profile, "external_auth", key, 0, diversification_factors(profile, key, HOME, CARD_SN)))
    card.power_off()
    card.power_on()
    assert _send(card, _select(profile, profile.psam.dfs[alg])).sw == sw.ok
    assert _send(card, _use(profile, "process", F8 + D8)).sw == sw.conditions_not_satisfied


@pytest.mark.parametrize("gen", PROFILES)
def test_terminal_number_by_sfi_under_the_mf(gen: str) -> None:
    profile = PROFILES[gen]
    spec = profile.psam
    sw = profile.sw
    flag = profile.command("read_binary").byte("p1_sfi_flag")
    card = _psam(profile)
    read = _cmd(profile, "read_binary", flag | spec.terminal_number_sfi, 0, b"", spec.terminal_number_length)
    answer = _send(card, read)
    assert answer.sw == sw.ok
    assert answer.data == encode_cn(TERMINAL, spec.terminal_number_length)
    assert _send(card, read.with_le(0)).sw == profile.sw["wrong_le"].with_value(spec.terminal_number_length)
    assert _send(card, read.with_le(2)).data == answer.data[:2]
    assert (
        _send(card, _cmd(profile, "read_binary", flag | spec.terminal_number_sfi, spec.terminal_number_length, b"", 1)).sw
        == sw.offset_beyond_ef
    )
    assert _send(card, _cmd(profile, "read_binary", flag | (spec.terminal_number_sfi + 1), 0, b"", 1)).sw == sw.file_not_found
    # select the EF by FID, then read by offset
    assert _send(card, _select(profile, spec.terminal_number_fid)).sw == sw.ok
    assert _send(card, _cmd(profile, "read_binary", 0, 1, b"", spec.terminal_number_length - 1)).data == answer.data[1:]
    # inside a key DF the MF's EF is not addressable by SFI (behaviour psam_terminal_number_scope)
    _send(card, _select(profile, spec.dfs[Algorithm.SM4]))
    assert _send(card, read).sw == sw.file_not_found


@pytest.mark.parametrize("gen", PROFILES)
def test_class_instruction_and_file_errors(gen: str) -> None:
    profile = PROFILES[gen]
    sw = profile.sw
    card = _psam(profile)
    cla, ins = profile.psam.commands["derive_key"]
    unused_ins = next(i for i in range(256) if i not in {i for _, i in profile.psam.commands.values()})
    unused_cla = next(c for c in range(256) if c not in {c for c, _ in profile.psam.commands.values()})
    assert ResponseApdu.parse(card.process(bytes([cla, unused_ins, 0, 0]))).sw == sw.ins_not_supported
    assert ResponseApdu.parse(card.process(bytes([unused_cla, ins, 0, 0]))).sw == sw.cla_not_supported
    other_cla = profile.psam.commands["select"][0]
    assert ResponseApdu.parse(card.process(bytes([other_cla, ins, 0, 0]))).sw == sw.cla_not_supported
    assert ResponseApdu.parse(card.process(bytes([cla, ins, 0]))).sw == sw.wrong_length
    unknown_fid = max(profile.psam.dfs.values()) + 1
    assert _send(card, _select(profile, unknown_fid)).sw == sw.file_not_found


def test_constructor_refuses_bad_terminal_numbers_and_regions() -> None:
    profile = PROFILES["gen2"]
    keys = TestKeySet.for_profile(profile)
    with pytest.raises(ValueError, match="terminal number"):
        PsamCard(profile, HOME, "4418", keys)
    with pytest.raises(ValueError, match="region"):
        PsamCard(profile, "4418", TERMINAL, keys)


def test_psam_behaviour_choices_are_recorded_in_the_profile() -> None:
    for profile in PROFILES.values():
        choices = profile.behaviour.choices()
        assert profile.behaviour.psam_case4_response.value == "direct"
        assert all(choices[n].prov.of() == "S" and choices[n].why for n in choices if n.startswith("psam_"))


def test_mac_iv_is_one_block_and_not_zero_by_default() -> None:
    """The IV travels with the message: a different IV gives a different MAC."""
    profile = PROFILES["gen3"]
    alg = profile.algorithm
    key = profile.key("UK2DF04")
    card = _ready(profile, alg)
    _send(card, _derive(profile, "mac", key, 0, diversification_factors(profile, key, HOME, CARD_SN)))
    message = b"\x04\xdc\x01\x34\x0b"
    zero_iv = _send(card, _use(profile, "mac", bytes(alg.block_size) + message)).data
    other_iv = _send(card, _use(profile, "mac", b"\x01" + bytes(alg.block_size - 1) + message)).data
    card_key = derive_card_key(profile, TestKeySet.for_profile(profile), key, key.active, HOME, CARD_SN)
    assert zero_iv == mac(alg, card_key, message)[: profile.security.mac_length]
    assert zero_iv != other_iv
