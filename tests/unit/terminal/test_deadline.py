"""The deadline machinery without PC/SC: a blocking call abandoned at its deadline or on Ctrl-C,
over-long responses refused, traces bounded."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from terminal.transports.base import ResponseTooLongError
from terminal.transports.deadline import Abandoned, Caller
from terminal.transports.limits import ResponseLimitTransport
from terminal.transports.mock import MockTransport
from terminal.transports.tracing import Masker, MaskRule, TraceRecorder, TracingTransport

H = bytes.fromhex


def test_a_call_returns_its_result_or_its_exception() -> None:
    caller = Caller()
    assert caller.call(1.0, lambda a, b: a + b, 2, 3) == 5
    with pytest.raises(ZeroDivisionError):
        caller.call(1.0, lambda: 1 // 0)
    assert caller.call(1.0, lambda: "again") == "again"
    caller.abandon()
    assert caller.finished.wait(1.0)


def test_a_call_past_its_deadline_is_abandoned_and_its_cleanup_runs_when_it_returns() -> None:
    release = threading.Event()
    cleaned = threading.Event()
    caller = Caller(on_abandon=cleaned.set)
    started = time.monotonic()
    with pytest.raises(Abandoned):
        caller.call(0.2, release.wait, 30)
    assert time.monotonic() - started < 2.0
    assert caller.abandoned and not cleaned.is_set(), "the stuck call still holds its resources"
    with pytest.raises(RuntimeError):
        caller.call(1.0, lambda: None)
    release.set()
    assert cleaned.wait(2.0) and caller.finished.wait(2.0)


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C's default handler for the test: a shell without job control starts background jobs
    (a CI script's `cmd &`) with SIGINT ignored, and Python then never raises KeyboardInterrupt."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_while_waiting_abandons_the_call_and_propagates() -> None:
    release = threading.Event()
    caller = Caller()
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))  # a real SIGINT, as Ctrl-C sends
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        caller.call(30.0, release.wait, 30)
    assert time.monotonic() - started < 5.0
    assert caller.abandoned
    release.set()
    assert caller.finished.wait(2.0)


def test_a_response_longer_than_the_maximum_fails_and_keeps_only_a_prefix() -> None:
    huge = bytes(65_000) + H("9000")
    limited = ResponseLimitTransport(MockTransport(lambda c: huge if c[1] == 0xB0 else H("9000")), 258, source="profile t0.max_response")
    assert limited.transmit(H("00A4000000")) == H("9000")
    with pytest.raises(ResponseTooLongError) as caught:
        limited.transmit(H("00B0000000"))
    assert caught.value.length == 65_002 and len(caught.value.prefix) == 258
    assert "65002-byte response to 00 B0 00 00" in str(caught.value) and "at most 258 bytes (profile t0.max_response)" in str(caught.value)


def test_the_trace_keeps_a_bounded_prefix_and_the_full_length() -> None:
    recorder = TraceRecorder(max_response=8)
    traced = TracingTransport(MockTransport(lambda c: bytes(range(20)) + H("9000")), recorder)
    traced.transmit(H("00B0000000"))
    entry = recorder.to_dicts()[0]
    assert entry["response"] == bytes(range(8)).hex().upper() and entry["response_length"] == 22
    short = TraceRecorder()
    TracingTransport(MockTransport(lambda c: H("9000")), short).transmit(H("00B0000000"))
    assert "response_length" not in short.to_dicts()[0]


def test_an_over_long_response_is_traced_as_an_error_with_its_prefix_masked_whole() -> None:
    rule = MaskRule(cla=None, ins=0x88, mask_command_data=False, mask_response_data=True, reason="secret")
    recorder = TraceRecorder(Masker([rule]), max_response=16)
    traced = TracingTransport(ResponseLimitTransport(MockTransport(lambda c: b"\x5a" * 300 + H("9000")), 258), recorder)
    with pytest.raises(ResponseTooLongError):
        traced.transmit(H("0088000000"))
    entry = recorder.to_dicts()[0]
    assert entry["response"] == "**" * 16, "no byte of a secret response may show, its end included"
    assert entry["response_length"] == 302 and "ResponseTooLongError" in str(entry["error"])
