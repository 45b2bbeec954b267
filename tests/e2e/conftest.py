"""Fixtures for tests that go through the real PC/SC stack: VpcdServer → vpcd → pcscd → pyscard.

Tests marked `pcsc` need a pcscd with the vpcd driver, normally the private one started by
`scripts/pcsc-sandbox`. Without it they are skipped with the reason — unless SSC_REQUIRE_PCSC is
set (CI sets it), in which case they fail: a CI job that silently skipped the PC/SC path would
report a green run that proved nothing.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ssc.card import CardModel
from terminal.testcards import EchoOkCard
from terminal.transports.readers import wait_for_card
from terminal.vpcd import ServerThread, VpcdServer

PCSC_SOCKET = Path(os.environ.get("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm"))
VPCD_READERS = {35963: "Virtual PCD 00 00", 35964: "Virtual PCD 00 01"}  # /etc/reader.conf.d/vpcd
CARD_WAIT = 5.0  # seconds for pcscd to notice an inserted/removed virtual card
PCSCD_POLL = 0.4  # pcscd's event thread polls card presence this often


def pcsc_required() -> bool:
    return os.environ.get("SSC_REQUIRE_PCSC", "") not in ("", "0")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("pcsc") is None or PCSC_SOCKET.is_socket():
        return
    reason = (
        f"no pcscd here ({PCSC_SOCKET} is absent); run the PC/SC tests inside the sandbox: scripts/pcsc-sandbox .venv/bin/pytest -m pcsc"
    )
    if pcsc_required():
        pytest.fail(f"{reason} — SSC_REQUIRE_PCSC is set, so this is a failure", pytrace=False)
    pytest.skip(reason)


@dataclass
class ServedCard:
    card: CardModel
    reader: str
    handle: ServerThread

    @property
    def server(self) -> VpcdServer:
        return self.handle.server


@pytest.fixture
def serve_card() -> Iterator[Callable[..., ServedCard]]:
    """Factory: serve a card model on a vpcd reader until the test ends, then remove it cleanly."""
    served: list[ServedCard] = []

    def start(card: CardModel, port: int = 35963) -> ServedCard:
        reader = VPCD_READERS[port]
        wait_for_card(reader, present=False, timeout=CARD_WAIT)  # no leftover card from before
        handle = VpcdServer(card, port=port).run_in_thread()
        entry = ServedCard(card, reader, handle)
        served.append(entry)
        if not handle.wait_connected(CARD_WAIT):
            pytest.fail(f"the virtual card could not connect to vpcd on port {port} (is vpcd installed?)")
        wait_for_card(reader, timeout=CARD_WAIT)
        return entry

    yield start

    for entry in served:
        # pcscd quirk: if a re-inserted card was taken back by SCardReconnect before pcscd's event
        # thread polled it, and is removed again before the next poll, that thread never sees it
        # come or go and the reader shows "present" until the next insertion. Stopping only after
        # one poll period keeps the reader state true for the next test.
        settle = entry.server.connected_at + 1.5 * PCSCD_POLL - time.monotonic()
        if entry.server.connections > 1 and settle > 0:
            time.sleep(settle)
        entry.handle.stop()
    for entry in served:
        wait_for_card(entry.reader, present=False, timeout=CARD_WAIT)
        assert not entry.server.errors, f"the card model raised while served: {entry.server.errors!r}"


@pytest.fixture
def served_echo_card(serve_card: Callable[..., ServedCard]) -> ServedCard:
    return serve_card(EchoOkCard())


@pytest.fixture(autouse=True, scope="session")
def _no_server_thread_left() -> Iterator[None]:
    yield
    left = [t.name for t in threading.enumerate() if t.name.startswith("vpcd:")]
    assert not left, f"vpcd server threads still running: {left}"


@pytest.fixture(scope="session")
def reference_library() -> Path:
    """The reference reader library (readerlib/, built by scripts/setup); `make` here keeps the
    reader tests honest after a source change (a no-op otherwise)."""
    readerlib = Path(__file__).resolve().parents[2] / "readerlib"
    subprocess.run(["make", "-s", "-C", str(readerlib)], check=True, capture_output=True)
    return readerlib / "build" / "libsscreader.so"
