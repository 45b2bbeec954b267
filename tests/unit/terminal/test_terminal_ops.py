"""The host side: Terminal, PSAM client, operations, key check and region registry.

The terminal and the PSAM client talk bytes only (here over `InProcessTransport`); expected values
come from the profile and the ssc crypto recipes, never from the code under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.security.key_diagnosis import _candidates, check_key
from ssc.apdu import CommandApdu
from ssc.crypto.algorithm import Algorithm
from ssc.crypto.recipes import auth_cryptogram
from ssc.keyset import KeySet, LabKeyFile, TestKeySet, derive_card_key, diversification_factors
from ssc.profile import load_profile
from ssc.profile.model import Profile
from ssc.profile.templates import fci_for
from terminal.channel import Terminal, describe_sw
from terminal.psam_client import PsamClient, PsamError
from terminal.regions import RegionError, load_regions
from terminal.session import OperationError
from terminal.testcards import ScriptedCard
from terminal.transports.inprocess import InProcessTransport
from terminal.transports.mock import MockTransport
from terminal.transports.tracing import TraceRecorder
from tests.unit.rig import HOME_REGION, PERSONALIZATION, initial_pin, new_reference_card, open_psam, session_on

PROFILES = {name: load_profile(name) for name in ("gen2", "gen3")}
CARD_SN = bytes.fromhex("8684000000123456")


def _sw(value: int) -> bytes:
    return value.to_bytes(2, "big")


def _psam_client(profile: Profile, region: str = HOME_REGION, keyset: KeySet | None = None) -> PsamClient:
    return open_psam(profile, region, keyset=keyset)


# -- Terminal -------------------------------------------------------------------------------------


def _t0_card(profile: Profile) -> tuple[ScriptedCard, bytes, bytes]:
    """A card answering a case-4 command with 61xx and a READ RECORD with 6Cxx, as PROFILE §5."""
    sw = profile.sw
    select = profile.command("select")
    ssse = profile.file("SSSE")
    get_response = profile.command("get_response")
    fci = b"\x6f\x03\x84\x01\x00"
    assert ssse.name is not None, "SSSE has a DF name in every profile"
    command = CommandApdu(select.cla[0], select.ins, select.byte("p1_name"), select.byte_list("p2")[0], ssse.name).to_bytes()
    gr = bytes([get_response.cla[0], get_response.ins, 0, 0, len(fci)])
    rr = profile.command("read_record")
    read = CommandApdu(rr.cla[0], rr.ins, 1, rr.byte("p2_by_number"), b"", 0).to_bytes()
    record = b"\x07\x02AB"
    responses = {
        command: _sw(profile.sw["more_data"].with_value(len(fci))),
        gr: fci + _sw(sw.ok),
        read: _sw(profile.sw["wrong_le"].with_value(len(record))),
        read[:-1] + bytes([len(record)]): record + _sw(sw.ok),
    }
    return ScriptedCard(responses, otherwise=_sw(sw.ins_not_supported)), command, read


@pytest.mark.parametrize("gen", PROFILES)
def test_terminal_resolves_61xx_and_6cxx_unless_raw(gen: str) -> None:
    profile = PROFILES[gen]
    card, select, read = _t0_card(profile)
    terminal = Terminal(InProcessTransport(card), profile)
    answer = terminal.send(select)
    assert answer.ok and answer.data == b"\x6f\x03\x84\x01\x00"
    assert len(answer.exchanges) == 2 and answer.first_sw >> 8 == profile.sw.more_data >> 8
    raw = terminal.send(select, raw=True)
    assert raw.means("more_data") and raw.data == b"" and len(raw.exchanges) == 1
    answer = terminal.send(CommandApdu.parse(read))
    assert answer.ok and answer.data == b"\x07\x02AB" and len(answer.exchanges) == 2
    assert terminal.send(read, raw=True).means("wrong_le")
    terminal.t0 = False
    assert terminal.send(read).means("wrong_le")
    off = Terminal(InProcessTransport(card), profile, t0=False)
    assert off.send(select).means("more_data")


def test_terminal_describes_status_words_from_the_profile() -> None:
    profile = PROFILES["gen2"]
    terminal = Terminal(MockTransport(lambda c: _sw(profile.sw.file_not_found)), profile)
    answer = terminal.send(b"\x00\xa4\x00\x00\x02\x12\x34")
    assert not answer.ok and answer.means("file_not_found")
    assert answer.describe() == describe_sw(profile, profile.sw.file_not_found)
    assert profile.sw["file_not_found"].en in terminal.describe(profile.sw.file_not_found)
    assert "not a status word" in terminal.describe(0x6F42)
    assert profile.sw["verification_failed"].en in terminal.describe(profile.sw["verification_failed"].with_value(2))


def test_terminal_traces_every_raw_step_and_reset() -> None:
    profile = PROFILES["gen2"]
    card, select, _ = _t0_card(profile)
    recorder = TraceRecorder()
    terminal = Terminal(InProcessTransport(card), profile, trace=recorder)
    terminal.send(select)
    assert [e.kind for e in recorder.entries] == ["apdu", "apdu"]
    assert terminal.reset() == card.atr == terminal.atr
    assert recorder.entries[-1].kind == "reset"


# -- PSAM client ----------------------------------------------------------------------------------


@pytest.mark.parametrize("gen", PROFILES)
def test_psam_client_terminal_number_and_cryptogram(gen: str) -> None:
    profile = PROFILES[gen]
    client = _psam_client(profile, "330200")
    assert client.terminal_number() == "330200000001"
    key = profile.key("UKSSSE")
    factors = diversification_factors(profile, key, HOME_REGION, CARD_SN)
    client.select_for(profile.algorithm)
    assert client.terminal_number() == "330200000001"  # cached
    client.derive("external_auth", key, 0, factors)
    r = bytes(range(8))
    card_key = derive_card_key(profile, TestKeySet.for_profile(profile), key, key.active, HOME_REGION, CARD_SN)
    assert client.process(r, r) == auth_cryptogram(profile.algorithm, card_key, r, r)


def test_psam_client_reselects_its_df_after_reading_the_terminal_number() -> None:
    profile = PROFILES["gen3"]
    client = _psam_client(profile)
    client.select_for(Algorithm.SM4)
    client.terminal_number()
    assert client.transport.card.algorithm is Algorithm.SM4  # type: ignore[attr-defined]  # the in-process transport's card, typed as the Transport base


def test_psam_errors_name_the_apdu_and_the_status_word() -> None:
    profile = PROFILES["gen2"]
    client = _psam_client(profile)
    with pytest.raises(PsamError) as info:
        client.process(bytes(8), bytes(8))
    assert info.value.sw == profile.sw.conditions_not_satisfied
    assert f"{profile.sw.conditions_not_satisfied:04X}" in str(info.value)
    assert info.value.command.hex().upper() in str(info.value)
    client.select_for(profile.algorithm)
    rlk = next(k for k in profile.keys() if k.level == "local")
    no_local = LabKeyFile({}, {}, label="empty")
    empty = _psam_client(profile, keyset=no_local)
    empty.select_for(profile.algorithm)
    with pytest.raises(PsamError, match=f"{profile.sw.key_not_found:04X}"):
        empty.derive("external_auth", rlk, 0, [CARD_SN])
    with pytest.raises(PsamError, match="unknown PSAM key usage"):
        client.derive("decrypt", rlk, 0, [CARD_SN])


# -- key check candidates -------------------------------------------------------------------------


def test_key_check_candidates_cover_every_ordered_selection_once() -> None:
    levels = ("province", "city", "card")
    cands = _candidates(levels)
    assert cands[0] == levels
    assert len(cands) == len(set(cands)) == 16  # 1 + 3 + 6 + 6 ordered selections
    assert cands.index(("city", "province", "card")) < cands.index(("province", "city"))
    assert cands.index(("province", "city")) < cands.index(("city", "card"))
    assert _candidates(("card",)) == [("card",), ()]


# -- regions --------------------------------------------------------------------------------------


def test_region_registry_has_the_required_regions() -> None:
    registry = load_regions(profile=PROFILES["gen2"])
    assert len(registry) >= 8 and len(registry.provinces()) >= 5
    qingyuan, ningbo = registry["441800"], registry["330200"]
    assert (qingyuan.zh, qingyuan.en, qingyuan.province.code, qingyuan.province.en) == ("清远市", "Qingyuan", "440000", "Guangdong")
    assert (ningbo.zh, ningbo.en, ningbo.province.code, ningbo.province.en) == ("宁波市", "Ningbo", "330000", "Zhejiang")
    assert "清远市" in qingyuan.label and len({r.terminal_number for r in registry}) == len(registry)
    with pytest.raises(KeyError, match="441800"):
        registry.get("999900")


@pytest.mark.parametrize("gen", PROFILES)
def test_every_region_gets_a_software_psam(gen: str) -> None:
    profile = PROFILES[gen]
    for region in load_regions(profile=profile):
        assert _psam_client(profile, region.code).terminal_number() == region.terminal_number


GOOD = """format: ssc-regions/1
provinces:
  "440000": {zh: 广东省, en: Guangdong}
regions:
  "441800": {zh: 清远市, en: Qingyuan, province: "440000", terminal_number: "441800000001"}
"""


@pytest.mark.parametrize(
    "old,new,field",
    [
        ('terminal_number: "441800000001"', 'terminal_number: "4418"', "regions.441800.terminal_number"),
        ('province: "440000", terminal', 'province: "330000", terminal', "regions.441800.province"),
        ('"441800": {zh: 清远市', '"441800": {zh: ""', "regions.441800.zh"),
        ('"441800": {zh', '"441801": {zh', "regions.441801"),
        ('"440000": {zh: 广东省', '"440100": {zh: 广东省', "provinces.440100"),
        ("format: ssc-regions/1", "format: other", "format"),
    ],
)
def test_region_file_errors_name_the_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    assert old in GOOD
    path = tmp_path / "regions.yaml"
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(RegionError, match=f"regions.yaml: {field}"):
        load_regions(path, profile=PROFILES["gen2"])
    path.write_text(GOOD, encoding="utf-8")
    assert load_regions(path).codes == ["441800"]


def test_region_file_refuses_duplicate_terminal_numbers(tmp_path: Path) -> None:
    path = tmp_path / "regions.yaml"
    path.write_text(
        GOOD + '  "441900": {zh: 东莞市, en: Dongguan, province: "440000", terminal_number: "441800000001"}\n', encoding="utf-8"
    )
    with pytest.raises(RegionError, match="441900.terminal_number: 441800000001 is also"):
        load_regions(path)


# -- operations against the reference card --------------------------------------------------------

HOME, FOREIGN = HOME_REGION, "330200"  # the embedded reference card is a Qingyuan card; Ningbo is foreign
SSSE_FCI_CHECKED = ("SSSE", "SSSE/DF01", "SSSE/DF04")


class _Rig:
    """A reference card and two software PSAMs (home and foreign city) over in-process transports."""

    def __init__(self, gen: str, *, faults: tuple[str, ...] = (), psam_keyset: KeySet | None = None) -> None:
        self.profile = PROFILES[gen]
        self.session = session_on(new_reference_card(gen, faults=faults), check=True)
        self.terminal = self.session.terminal
        self.home = _psam_client(self.profile, HOME, psam_keyset)
        self.foreign = _psam_client(self.profile, FOREIGN, psam_keyset)


def _national_external_keys(profile: Profile) -> list[str]:
    return [k.name for k in profile.keys() if k.use == "external" and k.level == "national" and k.df.startswith("SSSE")]


@pytest.mark.parametrize("gen", PROFILES)
def test_card_identity(gen: str) -> None:
    rig = _Rig(gen)
    ident = rig.session.identity()
    profile = rig.profile
    assert ident.atr == rig.terminal.atr
    assert ident.card_sn == profile.atr.card_sn_of(ident.atr)
    assert ident.region == PERSONALIZATION.region == HOME
    assert ident.card_number == PERSONALIZATION.card_number
    assert (ident.spec_version, ident.generation, ident.algorithm_id) == (profile.spec_version, profile.generation, profile.algorithm_id)
    assert rig.session.current_df == "SSSE"


@pytest.mark.parametrize("gen", PROFILES)
@pytest.mark.parametrize("where", ["home", "foreign"])
def test_external_authentication_with_every_national_key_and_version(gen: str, where: str) -> None:
    rig = _Rig(gen)
    psam = getattr(rig, where)
    names = _national_external_keys(rig.profile)
    assert {"MK", "UKSSSE", "PUK", "UK1DF01", "UK2DF04"} <= set(names)  # PROFILE §6.1
    for name in names:
        key = rig.profile.key(name)
        for version in (rig.profile.command("external_authenticate").byte("active_version"),) + key.versions:
            assert rig.session.external_authenticate(name, version, psam).ok, (name, version)
            assert rig.session.current_df == key.df


@pytest.mark.parametrize("gen", PROFILES)
def test_local_keys_open_to_home_terminals_only(gen: str) -> None:
    rig = _Rig(gen)
    local = [k for k in rig.profile.keys() if k.level == "local"]
    assert [k.name for k in local] == ["RLK", "ULK"]  # PROFILE §6.1
    for key in local:
        assert rig.session.external_authenticate(key.name, 0, rig.home).ok
        refused = rig.session.external_authenticate(key.name, 0, rig.foreign, check=False)
        assert refused.means("verification_failed")
        with pytest.raises(OperationError, match=f"{key.name}.*expected 9000"):
            rig.session.external_authenticate(key.name, 0, rig.foreign)


@pytest.mark.parametrize("gen", PROFILES)
def test_wrong_key_set_is_refused_and_diagnosed(gen: str) -> None:
    profile = PROFILES[gen]
    alg = profile.algorithm
    lab = LabKeyFile({(k.name, v, alg): bytes([k.id + 1]) * 16 for k in profile.keys() for v in k.versions}, {}, label="another key set")
    rig = _Rig(gen, psam_keyset=lab)
    refused = rig.session.external_authenticate("UKSSSE", 0, rig.home, check=False)
    assert refused.means("verification_failed")
    result = rig.session.internal_authenticate_and_verify(rig.home, check=False)
    assert result.response.ok and not result.verified
    with pytest.raises(OperationError, match="differs from the PSAM"):
        rig.session.internal_authenticate_and_verify(rig.home)
    irk = check_key(rig.session, rig.home, "IRK")
    assert irk.matched is None and not irk.ok
    assert irk.summary.endswith("not matched at any level — keys not from this key set"), irk.summary
    uk = check_key(rig.session, rig.home, "UKSSSE")
    assert uk.matched is None and "not tried" in uk.summary
    assert rig.session.external_authenticate("UKSSSE", 0, _psam_client(profile), check=False).ok  # never blocked


@pytest.mark.parametrize("gen", PROFILES)
def test_key_check_accepts_a_clean_card(gen: str) -> None:
    rig = _Rig(gen)
    for name in ("IRK", "UKSSSE"):
        report = check_key(rig.session, rig.home, name)
        assert report.ok and report.summary.endswith("card accepts the 3-level key (root→province→city→card)"), report.summary


@pytest.mark.parametrize("gen", PROFILES)
def test_key_check_finds_swapped_diversification(gen: str) -> None:
    rig = _Rig(gen, faults=("swapped_diversification",))
    report = check_key(rig.session, rig.home, "IRK")
    assert not report.ok and report.matched is not None
    assert report.matched.levels == ("city", "province", "card")
    assert (
        "rejects the 3-level key (root→province→city→card); matches root→city→province→card — levels applied in another order"
        in report.summary
    )
    assert report.summary.startswith(
        "IRK v00：卡片不接受 3 级分散的密钥（根密钥→省→市→卡片）；与 根密钥→市→省→卡片 一致——各级分散的顺序不同 / "
    )
    ext = check_key(rig.session, rig.home, "UKSSSE")
    assert ext.matched is not None and ext.matched.levels == ("city", "province", "card")


@pytest.mark.parametrize("gen", PROFILES)
@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_internal_authentication_verifies(gen: str, version: int) -> None:
    rig = _Rig(gen)
    for psam in (rig.home, rig.foreign):
        result = rig.session.internal_authenticate_and_verify(psam, version)
        assert result.verified and len(result.card_result) == rig.profile.command("internal_authenticate").byte("response_length")
    raw = rig.session.internal_authenticate(bytes(8), bytes(8), version, raw=True)
    assert raw.means("more_data")


@pytest.mark.parametrize("gen", PROFILES)
def test_secure_update_and_append(gen: str) -> None:
    rig = _Rig(gen)
    s = rig.session
    path = "SSSE/DF04/EF06"
    rec = rig.profile.file(path).records[0]
    record = bytes([rec.tag, rec.length]) + bytes.fromhex("330200")[: rec.length]
    assert s.secure_update_record(path, record, rig.foreign).ok  # nationwide writable
    assert s.read_record(path, tag=rec.tag).data == record
    plain = s.update_record(path, record, check=False)
    assert plain.means("security_not_satisfied")
    lab = LabKeyFile({(k.name, v, rig.profile.algorithm): bytes(16) for k in rig.profile.keys() for v in k.versions}, {}, label="zero keys")
    assert s.secure_update_record(path, record, _psam_client(rig.profile, keyset=lab), check=False).means("sm_data_incorrect")
    log = "SSSE/DF04/EF08"
    entry_def = rig.profile.file(log).records[0]
    entry = bytes([entry_def.tag, entry_def.length]) + bytes(range(entry_def.length))
    assert s.secure_append_record(log, entry, rig.home).ok
    assert s.verify_pin(initial_pin(rig.profile)).ok
    assert s.read_record(log, 1).data == entry


@pytest.mark.parametrize("gen", PROFILES)
def test_pin_verify_change_reload_unblock(gen: str) -> None:
    rig = _Rig(gen)
    s = rig.session
    initial = rig.profile.security.pin.initial
    tries = rig.profile.security.pin.tries
    failed = rig.profile.sw["verification_failed"]
    assert s.verify_pin(initial).ok
    assert s.verify_pin("000000", check=False).sw == failed.with_value(tries - 1)
    assert s.change_pin(initial, "246810").ok
    assert s.verify_pin("246810").ok
    assert s.reload_pin(rig.foreign, "135790").ok
    assert s.verify_pin("135790").ok
    for _ in range(tries):
        s.verify_pin("000000", check=False)
    assert s.verify_pin("135790", check=False).means("method_blocked")
    assert s.unblock_pin(rig.home).ok
    assert s.verify_pin("135790").ok


@pytest.mark.parametrize("gen", PROFILES)
def test_reads_and_selection(gen: str) -> None:
    rig = _Rig(gen)
    s = rig.session
    profile = rig.profile
    ef05 = {rec.item: s.read_item(rec.item) for rec in profile.file("SSSE/EF05").records}
    card_id = ef05.pop("card_id_code")
    assert isinstance(card_id, bytes) and card_id[profile.card_id.region] == bytes.fromhex(HOME)  # region in BCD (PROFILE §4.1)
    assert ef05 == {
        "card_type": PERSONALIZATION.card_type,
        "spec_version": profile.spec_version,
        "init_institution": PERSONALIZATION.init_institution,
        "issue_date": PERSONALIZATION.issue_date,
        "expiry_date": PERSONALIZATION.expiry_date,
        "card_number": PERSONALIZATION.card_number,
    }
    if gen == "gen3":
        with pytest.raises(OperationError, match="6982"):
            s.read_item("name")
        assert s.external_authenticate("RKSSSE", 0, rig.foreign).ok
    assert s.read_item("name") == PERSONALIZATION.cardholder.name
    for path in SSSE_FCI_CHECKED:
        answer = s.select_path(path)
        assert answer.ok and answer.data == fci_for(profile, profile.file(path)) == s.last_fci
        assert s.current_df == path
    assert s.select_path("SSSE/DF01/EF05", by="fid").ok
    assert (s.current_df, s.current_ef) == ("SSSE/DF01", "SSSE/DF01/EF05")
    assert s.read_record(number=1).ok  # the current EF
    ssse = profile.file("SSSE")
    assert ssse.name is not None, "SSSE has a DF name in every profile"
    raw = s.select_by_name(ssse.name, raw=True)
    assert raw.means("more_data") and raw.sw2 == len(fci_for(profile, ssse)) and raw.data == b""
    assert s.read_record("SSSE/EF05", 99, check=False).means("record_not_found")
    photo = s.read_transparent("SSSE/EF08") if gen == "gen2" else None
    if photo is not None:
        assert len(photo) == profile.file("SSSE/EF08").size


@pytest.mark.parametrize("gen", PROFILES)
def test_lifecycle_block_unblock_and_card_block(gen: str) -> None:
    rig = _Rig(gen)
    s = rig.session
    assert s.application_block(rig.home).ok
    assert s.read_record("SSSE/EF05", 1, check=False).means("function_not_supported")
    assert s.application_unblock(rig.home).ok
    assert s.read_record("SSSE/EF05", 1).ok
    assert s.card_block(rig.home).ok
    assert s.read_record("SSSE/EF05", 1, check=False).means("function_not_supported")


@pytest.mark.parametrize("gen", PROFILES)
@pytest.mark.parametrize("offset", [0, 300])
def test_update_and_read_binary(gen: str, offset: int) -> None:
    """Offsets that fit P2 go by SFI; larger ones select the EF and use P1-P2."""
    rig = _Rig(gen)
    s = rig.session
    path = "SSSE/EF08"
    data = bytes(range(1, 33))
    assert s.update_binary(path, offset, data, check=False).means("security_not_satisfied")
    assert s.external_authenticate("UKSSSE", 0, rig.home).ok
    assert s.update_binary(path, offset, data).ok
    if gen == "gen3":
        assert s.external_authenticate("RKSSSE", 0, rig.home).ok
    assert s.read_binary(path, offset, len(data)).data == data
    size = rig.profile.file(path).size
    assert size is not None, f"{path} is a transparent EF: it declares its size"
    raw = s.read_binary(path, size - 4, 8, raw=True)
    assert raw.sw == rig.profile.sw["wrong_le"].with_value(4)
    assert len(s.read_binary(path, size - 4, 8).data) == 4  # re-issued with Le 04
