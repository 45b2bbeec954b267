"""Transports without PC/SC: in-process, mock, the T=0 policy, tracing and masking, reader matching."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from ssc.card import CardModel
from terminal.t0 import T0Policy
from terminal.testcards import ECHO_ATR, EchoOkCard, ScriptedCard
from terminal.transports import tracing
from terminal.transports.base import (
    CardRemovedError,
    NoCardError,
    ReaderNotFoundError,
    Transport,
    TransportError,
)
from terminal.transports.inprocess import InProcessTransport
from terminal.transports.mock import MockTransport
from terminal.transports.pcsc import select_reader
from terminal.transports.tracing import Masker, MaskRule, TraceRecorder, TracingTransport

H = bytes.fromhex

# --------------------------------------------------------------------------------- in-process


@pytest.mark.parametrize("make", [EchoOkCard, lambda: ScriptedCard({}, otherwise=H("9000"))], ids=["echo", "scripted"])
def test_testcards_keep_the_card_model_contract(make: Callable[[], CardModel]) -> None:
    """What CardModel promises, by behaviour (an isinstance on the runtime-checkable Protocol
    only checks that the three method names exist)."""
    card = make()
    assert card.power_on() == ECHO_ATR and card.powered  # type: ignore[attr-defined]  # the test card's own attribute, beyond the CardModel protocol
    assert card.process(H("00A4000000")) == H("9000")
    card.power_off()
    assert not card.powered  # type: ignore[attr-defined]  # as above
    assert card.power_on() == ECHO_ATR and card.powered  # type: ignore[attr-defined]  # as above


def test_inprocess_powers_on_and_transmits() -> None:
    card = EchoOkCard()
    with InProcessTransport(card) as transport:
        assert card.powered
        assert transport.atr == ECHO_ATR
        assert transport.transmit(H("00A4000000")) == H("9000")
        assert transport.description == "in-process: EchoOkCard"
    assert not card.powered  # close() removes the card


def test_inprocess_power_cut_is_a_removal_until_reset() -> None:
    cut = H("00D6000001AA")
    card = ScriptedCard({H("00B0000001"): H("AA9000")}, otherwise=H("6D00"), power_cut_on=[cut])
    transport = InProcessTransport(card)
    with pytest.raises(CardRemovedError, match="card removed"):
        transport.transmit(cut)
    assert transport.removed and not card.powered
    with pytest.raises(CardRemovedError):  # stays removed: nothing reaches the card
        transport.transmit(H("00B0000001"))
    assert card.received == [cut]
    assert transport.reset() == ECHO_ATR
    assert card.power_ons == 2
    assert transport.transmit(H("00B0000001")) == H("AA9000")


def test_inprocess_reset_is_a_cold_reset() -> None:
    card = ScriptedCard({}, otherwise=H("9000"))
    transport = InProcessTransport(card)
    transport.transmit(H("00000000"))
    transport.reset()
    assert card.power_ons == 2 and card.received == []


# --------------------------------------------------------------------------------------- mock


def test_mock_transport_calls_handler_and_counts_resets() -> None:
    seen: list[bytes] = []

    def handler(command: bytes) -> bytes:
        seen.append(command)
        return command[:1] + H("9000")

    transport = MockTransport(handler, atr=H("3B00"))
    assert transport.transmit(H("11223344")) == H("119000")
    assert transport.reset() == H("3B00") and transport.resets == 1
    assert seen == [H("11223344")]
    assert "handler" in transport.description
    with transport:
        pass
    assert transport.closed


def test_mock_handler_errors_pass_through() -> None:
    def handler(command: bytes) -> bytes:
        raise NoCardError("empty")

    with pytest.raises(NoCardError):
        MockTransport(handler).transmit(H("00000000"))


def test_transport_abc_requires_the_contract() -> None:
    class Incomplete(Transport):
        def transmit(self, command: bytes) -> bytes:
            return command

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]  # instantiating the incomplete class is what the test checks


# ------------------------------------------------------------------------------------ T=0 policy


def scripted(table: dict[str, str], otherwise: str = "6D00") -> MockTransport:
    responses = {H(k): H(v) for k, v in table.items()}
    return MockTransport(lambda command: responses.get(command, H(otherwise)))


SELECT_BY_NAME = "00A404000A" + "A0000000030000000000"


@pytest.mark.parametrize(
    ("table", "command", "steps", "data", "sw"),
    [
        pytest.param({"00B0000000": "1122339000"}, "00B0000000", 1, "112233", 0x9000, id="plain"),
        pytest.param(
            {SELECT_BY_NAME: "6104", "00C0000004": "0102030490" + "00"},
            SELECT_BY_NAME,
            2,
            "01020304",
            0x9000,
            id="61xx-one-get-response",
        ),
        pytest.param(
            {"00B2010400": "6C05", "00B2010405": "01020304059000"},
            "00B2010400",
            2,
            "0102030405",
            0x9000,
            id="6Cxx-reissue",
        ),
        pytest.param(
            {"00B2010C": "6C03", "00B2010C03": "AABBCC9000"},
            "00B2010C",
            2,
            "AABBCC",
            0x9000,
            id="6Cxx-case1-gets-le",
        ),
        pytest.param(
            {"0088000010" + "11" * 16: "6108", "00C0000008": "6C08"},
            "0088000010" + "11" * 16,
            4,
            "",
            0x6C08,
            id="6Cxx-on-get-response-bounded",
        ),
        pytest.param(
            {SELECT_BY_NAME: "6100", "00C0000000": "EE" * 256 + "9000"},
            SELECT_BY_NAME,
            2,
            "EE" * 256,
            0x9000,
            id="6100-means-256",
        ),
        pytest.param({"00B0000000": "6A82"}, "00B0000000", 1, "", 0x6A82, id="error-sw-untouched"),
    ],
)
def test_t0_policy_chains(table: dict[str, str], command: str, steps: int, data: str, sw: int) -> None:
    policy = T0Policy(scripted(table))
    exchange = policy.exchange(H(command))
    assert len(exchange.steps) == steps
    assert exchange.steps[0][0] == H(command)
    assert exchange.data == H(data)
    assert exchange.sw == sw
    assert not exchange.exhausted


def test_t0_get_response_chain_concatenates_in_order() -> None:
    chunks = iter([H("AABB6102"), H("CCDD6101"), H("EE9000")])
    sent: list[bytes] = []

    def handler(command: bytes) -> bytes:
        sent.append(command)
        return H("6102") if len(sent) == 1 else next(chunks)

    exchange = T0Policy(MockTransport(handler)).exchange(H("80CA000000"))
    assert exchange.data == H("AABBCCDDEE") and exchange.sw == 0x9000
    assert sent == [H("80CA000000"), H("00C0000002"), H("00C0000002"), H("00C0000001")]
    assert exchange.first_sw == 0x6102


def test_t0_get_response_loop_is_bounded() -> None:
    sent: list[bytes] = []

    def always_more(command: bytes) -> bytes:
        sent.append(command)
        return H("AA6101")

    exchange = T0Policy(MockTransport(always_more), max_get_response=16).exchange(H("00A4040000"))
    assert exchange.exhausted
    assert len(sent) == 17  # the command + 16 GET RESPONSEs, then give up
    assert exchange.sw == 0x6101  # the pending status word is left visible
    assert exchange.data == H("AA") * 17


def test_t0_6c_reissue_is_bounded() -> None:
    sent: list[bytes] = []

    def stubborn(command: bytes) -> bytes:
        sent.append(command)
        return H("6C10")

    exchange = T0Policy(MockTransport(stubborn), max_reissue=2).exchange(H("00B0000000"))
    assert sent == [H("00B0000000"), H("00B0000010"), H("00B0000010")]
    assert exchange.sw == 0x6C10


@pytest.mark.parametrize(
    ("switches", "sw", "steps"),
    [
        ({"auto_get_response": False}, 0x6104, 1),
        ({"auto_reissue_6c": False}, 0x6C04, 1),
    ],
)
def test_t0_policy_switches_show_raw_status(switches: dict[str, bool], sw: int, steps: int) -> None:
    table = {"00A4040002AAAA": "6104", "00B0000000": "6C04", "00C0000004": "112233449000"}
    transport = scripted(table)
    command = "00A4040002AAAA" if sw == 0x6104 else "00B0000000"
    exchange = T0Policy(transport, **switches).exchange(H(command))
    assert exchange.sw == sw and len(exchange.steps) == steps and exchange.data == b""


def test_t0_get_response_bytes_come_from_the_caller() -> None:
    table = {"00A4040002AAAA": "6102", "80C4000002": "BBCC9000"}
    exchange = T0Policy(scripted(table), get_response_cla=0x80, get_response_ins=0xC4).exchange(H("00A4040002AAAA"))
    assert exchange.data == H("BBCC") and exchange.steps[1][0] == H("80C4000002")


def test_t0_short_response_is_an_error() -> None:
    with pytest.raises(TransportError, match="no status word"):
        T0Policy(MockTransport(lambda c: H("90"))).exchange(H("00000000"))


# --------------------------------------------------------------------------- tracing and masking

PIN = "123456"
VERIFY = "0020000003" + PIN
RULES = [
    MaskRule(cla=None, ins=0x20, mask_command_data=True, mask_response_data=False, reason="PIN"),
    MaskRule(cla=0x80, ins=0x1A, mask_command_data=True, mask_response_data=True, reason="key derivation"),
]


def traced(table: dict[str, str]) -> tuple[TracingTransport, TraceRecorder]:
    recorder = TraceRecorder(Masker(RULES))
    return TracingTransport(scripted(table), recorder), recorder


def test_trace_records_raw_steps_with_timing_and_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([1_000, 1_250, 2_000, 2_400, 5_000, 5_900])  # start, end of each of the three steps
    monkeypatch.setattr(tracing, "time", SimpleNamespace(perf_counter_ns=lambda: next(ticks)))
    transport, recorder = traced({SELECT_BY_NAME: "6102", "00C0000002": "AABB9000"})
    with recorder.labelled("select SSSE"):
        T0Policy(transport).exchange(H(SELECT_BY_NAME))
    transport.reset()
    assert [e.command.hex() for e in recorder.entries] == [SELECT_BY_NAME, "00C0000002", ""]
    assert [e.response.hex() for e in recorder.entries] == ["6102", "AABB9000", "3B00"]
    assert [e.kind for e in recorder.entries] == ["apdu", "apdu", "reset"]
    assert [e.label for e in recorder.entries] == ["select SSSE", "select SSSE", None]
    assert [e.duration_ns for e in recorder.entries] == [250, 400, 900]
    assert [e.index for e in recorder.entries] == [0, 1, 2]


def test_masked_command_data_is_never_stored() -> None:
    transport, recorder = traced({VERIFY: "9000"})
    transport.transmit(H(VERIFY))
    (entry,) = recorder.entries
    assert entry.command.hex() == "0020000003" + "******"
    assert H(PIN) not in entry.command.value  # the stored bytes are overwritten, not just hidden
    assert PIN not in json.dumps(recorder.to_dicts())
    assert PIN not in repr(recorder.entries)
    assert entry.masked == "PIN" and entry.response.hex() == "9000"


def test_masking_keeps_lengths_and_matches_cla() -> None:
    transport, recorder = traced({"801A000004CAFEBABE": "1122334455667788" + "9000", "001A000004CAFEBABE": "9000"})
    transport.transmit(H("801A000004CAFEBABE"))
    transport.transmit(H("001A000004CAFEBABE"))  # other CLA: rule does not apply
    masked, plain = recorder.entries
    assert masked.command.hex() == "801A000004" + "**" * 4
    assert masked.response.hex() == "**" * 8 + "9000"
    assert b"\x11\x22\x33" not in masked.response.value
    assert plain.command.hex() == "001A000004CAFEBABE" and plain.masked is None


def test_masked_response_pending_with_61xx_masks_the_get_response_data() -> None:
    transport, recorder = traced({"801A000004CAFEBABE": "6108", "00C0000008": "1122334455667788" + "9000"})
    T0Policy(transport).exchange(H("801A000004CAFEBABE"))
    _, get_response = recorder.entries
    assert get_response.command.hex() == "00C0000008"
    assert get_response.response.hex() == "**" * 8 + "9000"
    assert get_response.masked == "key derivation"


def test_malformed_masked_command_hides_everything_after_the_header() -> None:
    transport, recorder = traced({})
    transport.transmit(H("00200000FF1234"))  # Lc says 255, 2 bytes follow
    assert recorder.entries[0].command.hex() == "00200000" + "**" * 3


def test_trace_records_errors_and_reraises() -> None:
    card = ScriptedCard({}, otherwise=H("9000"), power_cut_on=[H("00DC010400")])
    recorder = TraceRecorder()
    transport = TracingTransport(InProcessTransport(card), recorder)
    with pytest.raises(CardRemovedError):
        transport.transmit(H("00DC010400"))
    assert recorder.entries[0].error is not None and "CardRemovedError" in recorder.entries[0].error
    transport.reset()
    assert recorder.entries[1].kind == "reset" and recorder.entries[1].response.hex() == ECHO_ATR.hex().upper()


# ------------------------------------------------------------------------------ reader matching

READERS = ["Virtual PCD 00 00", "Virtual PCD 00 01", "ACS ACR39U ICC Reader 00 00"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("Virtual PCD 00 00", "Virtual PCD 00 00"),
        ("Virtual PCD * 01", "Virtual PCD 00 01"),
        ("ACS*", "ACS ACR39U ICC Reader 00 00"),
        ("acr39u", "ACS ACR39U ICC Reader 00 00"),
    ],
)
def test_select_reader(pattern: str, expected: str) -> None:
    assert select_reader(pattern, READERS) == expected


def test_select_reader_ambiguous_lists_candidates() -> None:
    with pytest.raises(ReaderNotFoundError, match="ambiguous") as info:
        select_reader("Virtual*", READERS)
    assert "Virtual PCD 00 00" in str(info.value) and "Virtual PCD 00 01" in str(info.value)


def test_select_reader_none_lists_available() -> None:
    with pytest.raises(ReaderNotFoundError, match="available readers") as info:
        select_reader("Omnikey", READERS)
    assert all(name in str(info.value) for name in READERS)


def test_unreachable_pcscd_is_a_plain_no_reader_error(tmp_path: Path) -> None:
    """pcsc-lite reads the socket path from PCSCLITE_CSOCK_NAME; point it at nothing."""
    probe = (
        "from terminal.transports.readers import list_readers\n"
        "from terminal.transports.base import NoReaderError\n"
        "from terminal.transports.pcsc import PcscTransport\n"
        "for attempt in (list_readers, lambda: PcscTransport('Virtual PCD 00 00')):\n"
        "    try:\n"
        "        attempt()\n"
        "    except NoReaderError as exc:\n"
        "        print(exc)\n"
    )
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "pcscd.comm")}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all("is pcscd running?" in line for line in lines)


def test_closed_inprocess_transport_says_so() -> None:
    transport = InProcessTransport(EchoOkCard())
    transport.close()
    transport.close()  # idempotent
    with pytest.raises(TransportError, match="closed"):
        transport.transmit(H("00000000"))
    with pytest.raises(TransportError, match="closed"):
        transport.reset()


def test_only_a_reader_transport_can_cut_power_and_wrappers_pass_it_on() -> None:
    from terminal.transports.mock import MockTransport
    from terminal.transports.tracing import TraceRecorder, TracingTransport

    traced = TracingTransport(MockTransport(lambda c: b"\x90\x00"), TraceRecorder())
    with pytest.raises(NotImplementedError, match="cannot cut the card's power"):
        traced.transmit_with_power_cut(b"\x00\xa4\x00\x00", 0.0)


def test_a_summarizing_recorder_counts_exchanges_and_keeps_only_errors() -> None:
    from terminal.transports.tracing import TraceRecorder

    recorder = TraceRecorder()
    with recorder.summarized():
        assert recorder.record(b"\x00\xb0\x00\x00\x01", b"\x00\x90\x00", 1) is None
        recorder.record(b"\x00\xb0\x00\x00\x01", b"", 1, error="ApduTimeoutError: no answer within 5 s")
    with recorder.summarized(keep_errors=False):
        recorder.record(b"\x00\xb0\x00\x00\x01", b"", 1, error="CardRemovedError: card removed")
    recorder.record(b"\x00\xb0\x00\x00\x01", b"\x00\x90\x00", 1)
    assert recorder.unrecorded == 2 and [e.error is not None for e in recorder.entries] == [True, False]
