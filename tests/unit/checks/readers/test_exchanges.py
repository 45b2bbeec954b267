"""The RDR-3 checks pass on a faithful path to the reader-test card and fail on a reader that
alters a byte of an answer or of a command (the kit must be able to fail)."""

from __future__ import annotations

import pytest

from checks.readers import exchanges
from reference_card import ReferenceCard
from reference_card.reader_test import ReaderTestCard
from ssc.readertest import load_reader_test
from terminal.transports.base import Transport
from terminal.transports.inprocess import InProcessTransport
from tests.unit.checks.zh import chinese_first

HOOKS = load_reader_test()


class Faulty(Transport):
    """A reader that corrupts: flips the last data byte of long answers, or drops Le from case 4."""

    def __init__(self, inner: Transport, *, answers: bool = False, drop_le: bool = False, swallow_61: bool = False) -> None:
        self.inner, self.answers, self.drop_le, self.swallow_61 = inner, answers, drop_le, swallow_61

    def transmit(self, command: bytes) -> bytes:
        if self.drop_le and len(command) > 5 and len(command) == 6 + command[4]:
            command = command[:-1]
        answer = self.inner.transmit(command)
        if self.answers and len(answer) > 200:
            answer = answer[:-3] + bytes((answer[-3] ^ 1,)) + answer[-2:]
        if self.swallow_61 and answer[-2] == 0x61:
            answer = answer[:-2] + b"\x90\x00"
        return answer

    def reset(self) -> bytes:
        return self.inner.reset()

    @property
    def atr(self) -> bytes | None:
        return self.inner.atr


@pytest.fixture
def transport() -> InProcessTransport:
    return InProcessTransport(ReaderTestCard(ReferenceCard.default("gen2")))


def _all(transport: Transport) -> list[exchanges.Outcome]:
    outcomes = [exchanges.run_case(transport, HOOKS, case) for cases in exchanges.apdu_cases(HOOKS).values() for case in cases]
    for total in HOOKS.limits.chain_lengths:
        outcomes += [exchanges.chain_raw(transport, HOOKS, total, 256), exchanges.chain_auto(transport, HOOKS, total, 100)]
    for n in (1, 200, 256):
        outcomes += [exchanges.wrong_le_raw(transport, HOOKS, n), exchanges.wrong_le_auto(transport, HOOKS, n)]
    return outcomes


def test_every_case_passes_on_a_faithful_reader(transport: InProcessTransport) -> None:
    bad = [o.detail for o in _all(transport) if not o.ok]
    assert not bad


def test_a_corrupted_answer_byte_fails(transport: InProcessTransport) -> None:
    bad = [o for o in _all(Faulty(transport, answers=True)) if not o.ok]
    assert any("256-byte answer" in o.name for o in bad)
    assert any("61xx" in o.name for o in bad)


def test_a_dropped_le_fails_on_the_command_side(transport: InProcessTransport) -> None:
    bad = [o for o in _all(Faulty(transport, drop_le=True)) if not o.ok]
    assert any(o.name.startswith("case 4") for o in bad)
    assert all(chinese_first(o.detail) for o in bad), [o.detail for o in bad]
    assert any(o.detail.startswith("情形 4，Lc ") for o in bad), [o.detail for o in bad]


def test_a_reader_hiding_61xx_fails(transport: InProcessTransport) -> None:
    outcome = exchanges.chain_raw(Faulty(transport, swallow_61=True), HOOKS, 300, 256)
    assert not outcome.ok
    assert "expected status 6100" in outcome.detail
    assert outcome.detail.startswith("61xx 分段返回 300 字节（每段 256 字节），由检测工具取响应：收到 0 字节后，预期状态字 6100"), (
        outcome.detail
    )


def test_a_slow_answer_must_not_arrive_early() -> None:
    case = exchanges.Case("instant", HOOKS.command("delay", 0), b"\x90\x00", min_seconds=5.0)
    transport = InProcessTransport(ReaderTestCard(ReferenceCard.default("gen2")))
    assert not exchanges.run_case(transport, HOOKS, case).ok
