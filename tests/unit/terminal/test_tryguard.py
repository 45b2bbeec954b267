"""The try guard keeps a run from blocking a key or the PIN when the run's inputs are wrong."""

from __future__ import annotations

import pytest

from reference_card import ReferenceCard
from ssc.keyset import TestKeySet
from ssc.profile import load_profile
from terminal.channel import Terminal
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from terminal.transports.inprocess import InProcessTransport
from terminal.transports.tryguard import TryGuardRefusal, TryGuardTransport
from tests.unit import rig

PROFILE = load_profile("gen2")


def guarded_session(card: ReferenceCard | None = None) -> tuple[CardSession, TryGuardTransport]:
    guard = TryGuardTransport(InProcessTransport(card or ReferenceCard.default("gen2")), PROFILE)
    return CardSession(Terminal(guard, PROFILE), check=False), guard


def psam(keyset: TestKeySet) -> PsamClient:
    client = rig.open_psam(PROFILE, keyset=keyset)
    client.select_for(PROFILE.algorithm)
    return client


def test_wrong_keys_stop_one_try_before_the_key_blocks() -> None:
    reference = ReferenceCard.default("gen2")
    card, _ = guarded_session(reference)
    wrong = psam(TestKeySet("WRONG|{name}|{version:02X}|{alg}", "WRONG|{region}|{name}|{version:02X}|{alg}"))
    tries = PROFILE.key("UKSSSE").tries
    answers = [card.external_authenticate("UKSSSE", 1, wrong, check=False).sw for _ in range(tries - 1)]
    assert answers == [PROFILE.sw["verification_failed"].with_value(tries - n) for n in range(1, tries)]
    with pytest.raises(TryGuardRefusal, match="key id 04 version 01"):
        card.external_authenticate("UKSSSE", 1, wrong, check=False)
    # the card kept its last try: in a new run (new guard) the right key still authenticates
    fresh, _ = guarded_session(reference)
    assert fresh.external_authenticate("UKSSSE", 1, psam(TestKeySet.for_profile(PROFILE)), check=False).ok


def test_active_version_00_and_01_share_one_counter() -> None:
    card, _ = guarded_session()
    wrong = psam(TestKeySet("WRONG|{name}|{version:02X}|{alg}", "WRONG|{region}|{name}|{version:02X}|{alg}"))
    card.external_authenticate("UKSSSE", 0, wrong, check=False)
    card.external_authenticate("UKSSSE", 1, wrong, check=False)  # down to the reserve
    with pytest.raises(TryGuardRefusal):
        card.external_authenticate("UKSSSE", 0, wrong, check=False)


def test_a_wrong_pin_given_to_the_run_never_blocks_the_pin() -> None:
    card, _ = guarded_session()
    right, wrong = PROFILE.security.pin.initial, "999999"
    assert [card.verify_pin(wrong).sw for _ in range(2)] == [0x63C2, 0x63C1]
    with pytest.raises(TryGuardRefusal, match="1 try left"):
        card.verify_pin(wrong)
    with pytest.raises(TryGuardRefusal):  # a value never accepted in this run is not risked either
        card.verify_pin(right)


def test_a_pin_accepted_before_may_still_be_sent_at_the_reserve() -> None:
    card, _ = guarded_session()
    right = PROFILE.security.pin.initial
    assert card.verify_pin(right).ok
    card.verify_pin("999999")
    card.verify_pin("999999")
    assert card.verify_pin(right).ok  # known-good value: restores the counter


def test_disarmed_guard_lets_destructive_scenarios_block() -> None:
    card, guard = guarded_session()
    guard.armed = False
    answers = [card.verify_pin("999999").sw for _ in range(3)]
    assert answers[-1] == 0x63C0


def test_disarmed_lets_a_pin_run_down_through_for_one_block_only() -> None:
    """`disarmed` (a diff's destructive PIN run-down): the guard off inside, armed again after it,
    also when the block raises; `find_try_guard` finds it below other wrapping transports."""
    from terminal.transports.limits import ResponseLimitTransport
    from terminal.transports.tryguard import find_try_guard

    session, guard = guarded_session()
    assert find_try_guard(ResponseLimitTransport(guard, 258, source="test")) is guard
    assert find_try_guard(InProcessTransport(ReferenceCard.default("gen2"))) is None
    for _ in range(PROFILE.security.pin.tries - 1):
        session.verify_pin("000000")
    with pytest.raises(TryGuardRefusal):
        session.verify_pin("000000")
    with pytest.raises(RuntimeError), guard.disarmed():
        assert session.verify_pin("000000").sw == 0x63C0  # the last try spent: blocked
        raise RuntimeError("a divergence ends the operation")
    assert guard.armed
    with pytest.raises(TryGuardRefusal):
        session.verify_pin("000001")


def test_a_pin_accepted_before_a_change_is_not_risked_at_the_reserve() -> None:
    """After CHANGE PIN answered OK the value accepted before is no longer the PIN: at the reserve
    it is refused like any value never accepted, and the new one is sent (after RELOAD PIN, whose
    new value the guard cannot read, none is: a card whose RELOAD PIN answers OK and changes
    nothing would otherwise be blocked by the lockstep's next VERIFY of the value it accepted)."""
    card, _ = guarded_session()
    right, other = PROFILE.security.pin.initial, "135790"
    assert card.verify_pin(right).ok
    assert card.change_pin(right, other).ok
    card.verify_pin("999999")
    card.verify_pin("999999")
    with pytest.raises(TryGuardRefusal):
        card.verify_pin(right)
    assert card.verify_pin(other).ok  # the value CHANGE PIN set is the card's now: it refills the counter
