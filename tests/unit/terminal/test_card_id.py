"""The card identification code's MAC computed through the PSAM (terminal/card_id.py).

The expected MAC is computed here from PROFILE §4.1 with ssc.crypto, not by the code under test:
the card's internal-authentication key (IRK, active version) diversified for the card by
ssc.keyset from the public test roots, then the card MAC (3DES MAC algorithm 3 / SM4 CBC-MAC, zero
IV) over bytes 1-12 of the code, first 4 bytes. The code itself is read from the card through the
session, and the card SN from its ATR, so only bytes cross the wire.
"""

from __future__ import annotations

from ssc.crypto.mac import mac
from ssc.keyset import LabKeyFile, TestKeySet, derive_card_key
from ssc.profile.model import Profile
from terminal.card_id import card_id_mac
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from tests.unit import rig

COVERED = 12  # PROFILE §4.1: the MAC covers bytes 1-12 ...
MAC_LENGTH = 4  # ... and is bytes 13-16


def _card_sn(profile: Profile, session: CardSession) -> bytes:
    atr = session.terminal.atr
    assert atr is not None
    return profile.atr.card_sn_of(atr)


def _expected_mac(profile: Profile, card_id: bytes, card_sn: bytes, region: str) -> bytes:
    irk = profile.key("IRK")
    key = derive_card_key(profile, TestKeySet.for_profile(profile), irk, irk.active, region, card_sn)
    return mac(profile.algorithm, key, card_id[:COVERED], bytes(profile.algorithm.block_size))[:MAC_LENGTH]


def _card_id(session: CardSession) -> bytes:
    value = session.read_item("card_id_code")
    assert isinstance(value, bytes) and len(value) == COVERED + MAC_LENGTH
    return value


def test_mac_matches_an_independent_computation_and_the_card(
    profile: Profile, session: CardSession, psam_client: PsamClient, home_region: str
) -> None:
    card_id = _card_id(session)
    card_sn = _card_sn(profile, session)
    assert card_sn == bytes.fromhex("8684") + rig.PERSONALIZATION.serial  # default_card.yaml: the SN is 8684 ‖ serial
    assert card_id[:3] == bytes.fromhex(home_region)  # the code starts with the region in BCD
    expected = _expected_mac(profile, card_id, card_sn, home_region)
    assert card_id_mac(session, psam_client, card_id) == expected == card_id[COVERED:]


def test_mac_covers_the_first_twelve_bytes_only(profile: Profile, session: CardSession, psam_client: PsamClient) -> None:
    card_id = _card_id(session)
    reference = card_id_mac(session, psam_client, card_id)
    assert card_id_mac(session, psam_client, card_id[:COVERED] + bytes(MAC_LENGTH)) == reference  # the MAC bytes are not covered
    changed = bytes([card_id[0] ^ 0x01]) + card_id[1:]
    assert card_id_mac(session, psam_client, changed) == _expected_mac(profile, changed, _card_sn(profile, session), rig.HOME_REGION)
    assert card_id_mac(session, psam_client, changed) != reference


def test_a_wrong_stored_mac_is_told_apart(profile: Profile, psam_client: PsamClient, home_region: str) -> None:
    """The bad_card_id_mac card stores other MAC bytes: the PSAM's MAC is still the right one."""
    session = rig.session_on(rig.new_reference_card(profile.name, faults=("bad_card_id_mac",)))
    card_id = _card_id(session)
    computed = card_id_mac(session, psam_client, card_id)
    assert computed == _expected_mac(profile, card_id, _card_sn(profile, session), home_region)
    assert computed != card_id[COVERED:]


def test_a_psam_with_other_keys_gives_another_mac(profile: Profile, session: CardSession, psam_client: PsamClient) -> None:
    alg = profile.algorithm
    other = LabKeyFile({(k.name, v, alg): bytes([0x5A]) * 16 for k in profile.keys() for v in k.versions}, {}, label="other keys")
    card_id = _card_id(session)
    assert card_id_mac(session, rig.open_psam(profile, keyset=other), card_id) != card_id_mac(session, psam_client, card_id)
