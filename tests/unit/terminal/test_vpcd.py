"""VpcdServer against a fake vpcd driver (a plain TCP listener): framing, tearing, reconnects, stop."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from terminal.testcards import ECHO_ATR, ScriptedCard
from terminal.vpcd import ServerThread, VpcdServer

H = bytes.fromhex
TEAR = H("00D6000001FF")
BIG = H("00B0000000")


class FakeDriver:
    """The driver side of the vpcd protocol: listens, accepts the card, frames messages."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(5)
        self.port = self.listener.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn, _ = self.listener.accept()
        self.conn.settimeout(5)

    def send(self, payload: bytes) -> None:
        assert self.conn is not None
        # Like vpcd: length and payload in two writes.
        self.conn.sendall(len(payload).to_bytes(2, "big"))
        self.conn.sendall(payload)

    def recv(self) -> bytes | None:
        """One framed answer, or None if the card closed the connection."""
        header = self._exact(2)
        if header is None:
            return None
        body = self._exact(int.from_bytes(header, "big"))
        return body

    def _exact(self, n: int) -> bytes | None:
        assert self.conn is not None
        data = b""
        while len(data) < n:
            chunk = self.conn.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def exchange(self, payload: bytes) -> bytes | None:
        self.send(payload)
        return self.recv()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.listener.close()


@pytest.fixture
def card() -> ScriptedCard:
    return ScriptedCard(
        {H("00A40000023F00"): H("9000"), BIG: bytes(range(256)) + H("9000")},
        otherwise=H("6D00"),
        power_cut_on=[TEAR],
    )


@pytest.fixture
def driver() -> Iterator[FakeDriver]:
    fake = FakeDriver()
    yield fake
    fake.close()


@pytest.fixture
def served(card: ScriptedCard, driver: FakeDriver) -> Iterator[ServerThread]:
    server = VpcdServer(card, port=driver.port, reinsert_delay=0.3, backoff_initial=0.01, backoff_max=0.05)
    handle = server.run_in_thread()
    driver.accept()
    assert handle.wait_connected()  # the server powers the card on just after connecting
    yield handle
    handle.stop()
    assert not handle.alive


def test_framing_control_codes_and_apdus(served: ServerThread, driver: FakeDriver, card: ScriptedCard) -> None:
    assert card.powered  # inserting the card powers it
    driver.send(b"\x00")  # power off: no answer
    driver.send(b"\x01")  # power on: no answer
    assert driver.exchange(b"\x04") == ECHO_ATR
    assert driver.exchange(H("00A40000023F00")) == H("9000")
    assert driver.exchange(BIG) == bytes(range(256)) + H("9000")  # > 255 bytes: 2-byte length
    driver.send(b"\x02")  # reset: no answer, card power-cycled
    assert driver.exchange(b"\x04") == ECHO_ATR
    assert card.received == []  # the reset cleared the card's log: it was powered on again
    assert driver.exchange(H("0000000000")) == H("6D00")


def test_power_cut_drops_the_connection_then_reinserts(served: ServerThread, driver: FakeDriver, card: ScriptedCard) -> None:
    power_ons = card.power_ons
    assert driver.exchange(TEAR) is None  # closed without an answer
    started = time.monotonic()
    driver.accept()  # the card comes back by itself
    assert time.monotonic() - started >= 0.15  # ...after the re-insertion delay (0.3 s)
    assert served.wait_connected(after=1)
    assert card.power_ons == power_ons + 1
    assert driver.exchange(H("00A40000023F00")) == H("9000")


def test_reconnects_when_the_driver_drops_it(served: ServerThread, driver: FakeDriver) -> None:
    assert driver.conn is not None
    driver.conn.close()
    driver.conn = None
    driver.accept()
    assert driver.exchange(b"\x04") == ECHO_ATR
    assert served.wait_connected(after=1)


def test_card_model_bug_is_recorded_and_card_reinserted(driver: FakeDriver) -> None:
    class Broken(ScriptedCard):
        def process(self, apdu: bytes) -> bytes:
            raise ValueError("model bug")

    server = VpcdServer(Broken({}, otherwise=H("9000")), port=driver.port, reinsert_delay=0.01)
    with server.run_in_thread():
        driver.accept()
        assert driver.exchange(H("00000000")) is None
        driver.accept()
        assert [type(e) for e in server.errors] == [ValueError]


def test_stop_without_a_driver_is_prompt() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handle = VpcdServer(ScriptedCard({}, otherwise=H("9000")), port=port, backoff_max=0.05).run_in_thread()
    assert not handle.wait_connected(0.1)
    started = time.monotonic()
    handle.stop()
    assert time.monotonic() - started < 1.0 and not handle.alive
