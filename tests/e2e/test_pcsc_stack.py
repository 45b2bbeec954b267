"""The whole host stack against a virtual card: VpcdServer → vpcd → pcscd → pyscard → PcscTransport.

Run inside the sandbox: scripts/pcsc-sandbox .venv/bin/pytest -m pcsc tests/e2e
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from terminal.t0 import T0Policy
from terminal.testcards import ECHO_ATR, ScriptedCard
from terminal.transports.base import CardRemovedError, NoCardError, ReaderNotFoundError
from terminal.transports.pcsc import PcscTransport
from terminal.transports.readers import list_readers

if TYPE_CHECKING:
    from .conftest import ServedCard

pytestmark = pytest.mark.pcsc

H = bytes.fromhex
READER = "Virtual PCD 00 00"

SELECT_AID = H("00A4040008A000000003000000")
READ_RECORD_LE0 = H("00B2010400")
TEAR = H("00DC010403AABBCC")
T0_CARD = {
    SELECT_AID: H("6104"),
    H("00C0000004"): H("6F0284009000"),
    READ_RECORD_LE0: H("6C03"),
    H("00B2010403"): H("0102039000"),
    H("00B0000002"): H("AABB9000"),
}


def t0_card() -> ScriptedCard:
    return ScriptedCard(T0_CARD, otherwise=H("6D00"), power_cut_on=[TEAR])


def test_list_readers_shows_the_served_card(served_echo_card: ServedCard) -> None:
    readers = {info.name: info for info in list_readers()}
    assert set(readers) >= {"Virtual PCD 00 00", "Virtual PCD 00 01"}
    assert readers[READER].card_present and readers[READER].atr == ECHO_ATR
    assert not readers["Virtual PCD 00 01"].card_present and readers["Virtual PCD 00 01"].atr is None


@pytest.mark.parametrize("pattern", [READER, "Virtual PCD * 00", "pcd 00 00"])
def test_connect_by_name_or_pattern(served_echo_card: ServedCard, pattern: str) -> None:
    with PcscTransport(pattern) as transport:
        assert transport.description == f"reader:{READER}"
        assert transport.atr == ECHO_ATR
        assert transport.protocol_name == "T=0"
        assert transport.transmit(H("00A40000023F00")) == H("9000")


# ISO/IEC 7816-3: TS 3B, T0 80 (TD1 follows, no historical bytes), TD1 01 (T=1 only), TCK 81.
T1_ONLY_ATR = H("3B800181")


def test_card_offering_only_t1_is_connected_with_t1(serve_card: Callable[..., ServedCard]) -> None:
    serve_card(ScriptedCard({}, otherwise=H("9000"), atr=T1_ONLY_ATR))
    with PcscTransport(READER) as transport:
        assert transport.atr == T1_ONLY_ATR
        assert transport.protocol_name == "T=1"
        assert transport.transmit(H("00A40000023F00")) == H("9000")


def test_reader_errors_name_the_readers(served_echo_card: ServedCard) -> None:
    with pytest.raises(ReaderNotFoundError, match="available readers") as info:
        PcscTransport("No Such Reader")
    assert READER in str(info.value)
    with pytest.raises(ReaderNotFoundError, match="ambiguous"):
        PcscTransport("Virtual PCD")
    with pytest.raises(NoCardError):
        PcscTransport("Virtual PCD 00 01")


def test_pcscd_leaves_t0_to_the_terminal(serve_card: Callable[..., ServedCard]) -> None:
    served = serve_card(t0_card())
    card = served.card
    assert isinstance(card, ScriptedCard)
    with PcscTransport(READER) as transport:
        # Raw: the 61xx / 6Cxx reach us untouched (ENVIRONMENT.md: neither pcscd nor pyscard acts).
        assert transport.transmit(SELECT_AID) == H("6104")
        assert transport.transmit(READ_RECORD_LE0) == H("6C03")
        policy = T0Policy(transport)
        select = policy.exchange(SELECT_AID)
        assert (select.data, select.sw) == (H("6F028400"), 0x9000)
        record = policy.exchange(READ_RECORD_LE0)
        assert (record.data, record.sw) == (H("010203"), 0x9000)
        assert [step[0] for step in record.steps] == [READ_RECORD_LE0, H("00B2010403")]
    assert card.received[-4:] == [SELECT_AID, H("00C0000004"), READ_RECORD_LE0, H("00B2010403")]


def test_reset_power_cycles_the_card(serve_card: Callable[..., ServedCard]) -> None:
    card = serve_card(t0_card()).card
    assert isinstance(card, ScriptedCard)
    with PcscTransport(READER) as transport:
        before = card.power_ons
        assert transport.reset() == ECHO_ATR
        assert card.power_ons > before
        assert transport.transmit(H("00B0000002")) == H("AABB9000")


def test_power_cycle_unpowers_the_card_and_answers_its_atr(serve_card: Callable[..., ServedCard]) -> None:
    card = serve_card(t0_card()).card
    assert isinstance(card, ScriptedCard)
    with PcscTransport(READER) as transport:
        before = card.power_ons
        assert transport.power_cycle() == ECHO_ATR
        assert card.power_ons > before
        assert transport.transmit(H("00B0000002")) == H("AABB9000")
        assert transport.reset() == ECHO_ATR  # the next reset is a warm one again


def test_card_removal_then_recovery_by_reset(serve_card: Callable[..., ServedCard]) -> None:
    served = serve_card(t0_card())
    card = served.card
    assert isinstance(card, ScriptedCard)
    connections = served.server.connections
    with PcscTransport(READER) as transport:
        with pytest.raises(CardRemovedError, match="card removed"):
            transport.transmit(TEAR)  # the card drops off without answering
        with pytest.raises(CardRemovedError, match="card removed"):
            transport.transmit(H("00B0000002"))
        started = time.monotonic()
        assert transport.reset(timeout=5.0) == ECHO_ATR  # waits for the virtual re-insertion
        assert time.monotonic() - started < 5.0
        assert served.server.connections == connections + 1
        assert transport.transmit(H("00B0000002")) == H("AABB9000")


def test_pcsc_latency_has_no_delayed_ack(served_echo_card: ServedCard) -> None:
    """Guards the TCP_QUICKACK re-arm: without it every APDU costs ~40 ms."""
    with PcscTransport(READER) as transport:
        samples = []
        for _ in range(200):
            start = time.perf_counter()
            transport.transmit(H("00A40000023F00"))
            samples.append(time.perf_counter() - start)
    assert statistics.median(samples) < 0.005, f"median {statistics.median(samples) * 1e3:.2f} ms"


# --------------------------------------------------------------------- stock PC/SC clients


def stock_card() -> ScriptedCard:
    return ScriptedCard({H("00A40000023F00"): H("9000"), H("00B0000004"): H("112233449000")}, otherwise=H("6D00"))


@pytest.mark.skipif(shutil.which("opensc-tool") is None, reason="opensc-tool (Debian opensc) not installed")
def test_opensc_tool_talks_to_the_served_card(serve_card: Callable[..., ServedCard]) -> None:
    card = serve_card(stock_card()).card
    assert isinstance(card, ScriptedCard)
    result = subprocess.run(
        ["opensc-tool", "-r", READER, "-s", "00A40000023F00", "-s", "00B0000004"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Received (SW1=0x90, SW2=0x00)" in result.stdout
    assert "11 22 33 44" in result.stdout
    assert card.received[-2:] == [H("00A40000023F00"), H("00B0000004")]


@pytest.mark.skipif(shutil.which("scriptor") is None, reason="scriptor (Debian pcsc-tools) not installed")
def test_scriptor_talks_to_the_served_card(serve_card: Callable[..., ServedCard]) -> None:
    card = serve_card(stock_card()).card
    assert isinstance(card, ScriptedCard)
    result = subprocess.run(
        ["scriptor", "-r", READER],
        input="00 A4 00 00 02 3F 00\n00 B0 00 00 04\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "< 90 00" in result.stdout
    assert "< 11 22 33 44 90 00" in result.stdout
    assert card.received[-2:] == [H("00A40000023F00"), H("00B0000004")]
