"""Serve a card model to PC/SC through the vpcd virtual reader driver (vsmartcard-vpcd).

The vpcd driver, loaded by pcscd, LISTENS on a TCP port per virtual reader (35963 for
"Virtual PCD 00 00", 35964 for "Virtual PCD 00 01"); the virtual card CONNECTS to it. While the card
is connected the reader shows a card present; when the connection closes the card is "removed".

Wire protocol: every message is a 2-byte big-endian length followed by the payload. A 1-byte
payload is a control code — 00 power off, 01 power on, 02 reset, 04 "send the ATR" — and only 04 is
answered; anything else is a command APDU, answered with the response APDU. pcscd polls presence
with 04 a few times a second.

Latency: the driver writes length and payload in two `send`s, so unless the card re-arms
TCP_QUICKACK after every `recv` the kernel delays its ACKs and each APDU costs ~40 ms instead of
~0.25 ms. TCP_QUICKACK is not sticky in Linux, hence the re-arm in `_recv_exact`.

Tearing: a card model raising `ssc.card.PowerCut` is handled as a removal — the connection is
closed without an answer, and after `reinsert_delay` seconds the server connects again and powers
the card on (virtual re-insertion), keeping whatever the model committed. `ssc.card.Withdraw` (a
PowerCut with an answer) is answered first, and the card stays away for the time it names.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections.abc import Callable

from ssc.card import CardModel, PowerCut, Withdraw

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963  # vpcd's first reader, "Virtual PCD 00 00"

# vpcd control codes (1-byte payloads), from the vsmartcard vpcd protocol.
_POWER_OFF = 0x00
_POWER_ON = 0x01
_RESET = 0x02
_GET_ATR = 0x04

_HAS_QUICKACK = hasattr(socket, "TCP_QUICKACK")


class _Disconnected(Exception):
    """The driver closed the connection (pcscd stopped or restarted) or stop() was called."""


class VpcdServer:
    """Connect a `CardModel` to the vpcd driver and answer it until `stop()`.

    `serve_forever()` keeps the card "inserted": it reconnects with backoff whenever the driver is
    not listening yet or goes away (pcscd restart), so it can be started before pcscd. Exceptions
    other than `PowerCut` raised by the card model are logged, kept in `errors`, and handled like a
    mute card (connection dropped, card re-inserted), so a model bug shows up as a failed test and
    the server keeps running.
    """

    def __init__(
        self,
        card: CardModel,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        reinsert_delay: float = 0.5,
        backoff_initial: float = 0.05,
        backoff_max: float = 1.0,
        connect_timeout: float = 2.0,
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.reinsert_delay = reinsert_delay
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.connect_timeout = connect_timeout
        self.errors: list[BaseException] = []
        self.connections = 0  # successful connects so far (tests wait on this)
        self.connected_at = 0.0  # time.monotonic() of the last successful connect
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._atr = b""

    # -- lifecycle -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask `serve_forever` to return; safe from any thread or a signal handler."""
        self._stop.set()
        with self._lock:
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv in the serving thread
            except OSError:
                pass

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def serve_forever(self) -> None:
        """Serve until `stop()`, Ctrl-C or (in the main thread) SIGTERM."""
        restore = self._install_sigterm()
        try:
            backoff = self.backoff_initial
            while not self._stop.is_set():
                sock = self._connect()
                if sock is None:
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.backoff_max)
                    continue
                backoff = self.backoff_initial
                self._serve_connection(sock)
        except KeyboardInterrupt:
            log.info("vpcd: interrupted")
        finally:
            self._stop.set()
            self._close_socket()
            self._power_off_quietly()
            if restore is not None:
                restore()
            log.info("vpcd: stopped serving %s:%d", self.host, self.port)

    def run_in_thread(self) -> ServerThread:
        """Start `serve_forever` in a daemon thread; the handle's `stop()` stops and joins it."""
        handle = ServerThread(self)
        handle.start()
        return handle

    # -- connection handling -------------------------------------------------------------------

    def _connect(self) -> socket.socket | None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as exc:
            log.debug("vpcd: cannot connect to %s:%d (%s); retrying", self.host, self.port, exc)
            return None
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._stop.is_set():
                sock.close()
                return None
            self._sock = sock
        # Insertion powers the card on; the driver will also send "power on" and "get ATR".
        try:
            self._atr = self.card.power_on()
        except Exception as exc:  # a card-model bug: record it, retry like a fresh insertion
            log.exception("vpcd: card model failed to power on")
            self.errors.append(exc)
            self._close_socket()
            return None
        self.connected_at = time.monotonic()
        self.connections += 1
        log.info("vpcd: card connected to %s:%d (ATR %s)", self.host, self.port, self._atr.hex().upper())
        return sock

    def _serve_connection(self, sock: socket.socket) -> None:
        try:
            while True:
                message = self._recv_message(sock)
                answer = self._handle(message)
                if answer is not None:
                    sock.sendall(len(answer).to_bytes(2, "big") + answer)
        except _Disconnected:
            if not self._stop.is_set():
                log.info("vpcd: driver closed the connection; reconnecting")
        except Withdraw as exc:  # answered, then removed: re-inserted after the time it asked for
            log.info("vpcd: %s; card removed after its answer", exc)
            try:
                sock.sendall(len(exc.answer).to_bytes(2, "big") + exc.answer)
            except OSError:
                pass
            self._close_socket()
            self._power_off_quietly()
            self._stop.wait(exc.away_s)
        except PowerCut as exc:
            log.info("vpcd: power cut (%s); card removed, re-inserting in %.1f s", exc, self.reinsert_delay)
            self._close_socket()
            self._power_off_quietly()
            self._stop.wait(self.reinsert_delay)
        except OSError as exc:
            if not self._stop.is_set():
                log.info("vpcd: connection lost (%s); reconnecting", exc)
        except Exception as exc:  # a card-model bug: keep it visible, behave like a mute card
            log.exception("vpcd: card model raised; dropping the connection")
            self.errors.append(exc)
            self._close_socket()
            self._power_off_quietly()
            self._stop.wait(self.reinsert_delay)
        finally:
            self._close_socket()

    def _handle(self, message: bytes) -> bytes | None:
        if len(message) == 1:
            code = message[0]
            if code == _GET_ATR:
                return self._atr
            if code == _POWER_ON:
                self._atr = self.card.power_on()
            elif code == _RESET:
                self.card.power_off()
                self._atr = self.card.power_on()
            elif code == _POWER_OFF:
                self.card.power_off()
            else:
                log.warning("vpcd: unknown control code %02X ignored", code)
            return None
        return self.card.process(message)

    def _recv_message(self, sock: socket.socket) -> bytes:
        header = self._recv_exact(sock, 2)
        return self._recv_exact(sock, int.from_bytes(header, "big"))

    @staticmethod
    def _recv_exact(sock: socket.socket, n: int) -> bytes:
        chunks = []
        while n:
            chunk = sock.recv(n)
            if not chunk:
                raise _Disconnected
            if _HAS_QUICKACK:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunks.append(chunk)
            n -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _close_socket(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
            log.info("vpcd: card disconnected from %s:%d", self.host, self.port)

    def _power_off_quietly(self) -> None:
        try:
            self.card.power_off()
        except Exception:  # shutting down: a model failing to power off must not mask the cause
            log.exception("vpcd: card model failed to power off")

    def _install_sigterm(self) -> Callable[[], None] | None:
        if threading.current_thread() is not threading.main_thread():
            return None
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, lambda signum, frame: self.stop())

        def restore() -> None:
            signal.signal(signal.SIGTERM, previous)

        return restore


class ServerThread:
    """A `VpcdServer` running in a daemon thread (for tests and benchmarks)."""

    def __init__(self, server: VpcdServer) -> None:
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever, name=f"vpcd:{server.port}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait_connected(self, timeout: float = 5.0, *, after: int = 0) -> bool:
        """Wait until the server has connected more than `after` times in total."""
        deadline = time.monotonic() + timeout
        while self.server.connections <= after:
            if time.monotonic() >= deadline or not self._thread.is_alive():
                return False
            time.sleep(0.005)
        return True

    def stop(self, timeout: float = 5.0) -> None:
        self.server.stop()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError(f"vpcd server thread on port {self.server.port} did not stop")

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> ServerThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
