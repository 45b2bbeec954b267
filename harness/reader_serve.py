"""The one-command reader plan on vpcd: start the served reader-test card and the served PSAM in
the two vpcd slots, run, stop them again.

When `--reader` names a vpcd reader ("Virtual PCD 00 00" / "… 00 01", ENVIRONMENT.md) with no card
in it, `ssc-conform run --plan reader` serves the programmable reader-test card there itself
(`ssc-conform serve-card --reader-test` in a child process), and — unless --psam-reader is given —
the reference PSAM in the other vpcd slot, used as the PSAM reader. A vpcd reader that already
holds a card (served by hand) is used as it is; a physical reader is never touched. The child
processes are stopped when the run ends, however it ends, and the kit waits until pcscd has seen
the cards go, so no process and no phantom card is left behind.

RDR-6 (the reader library) serves its own cards and PSAMs in the same two vpcd slots
(`harness.reader_rig`) to provoke each return code. The reader plan runs the RDR-6 scenarios last
and, before the first of them, gives the slots up (`release_served`: the served reader-test card
and PSAM stop, pcscd sees them go); nothing after RDR-6 needs them again.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

VPCD_PORTS = {"Virtual PCD 00 00": 35963, "Virtual PCD 00 01": 35964}  # /etc/reader.conf.d/vpcd
CARD_WAIT = 15.0  # seconds for a served card to start and for pcscd to see it
PCSCD_POLL = 0.4  # pcscd polls card presence this often (a card must stay that long to be seen leaving)


@dataclass(frozen=True)
class ServedReaders:
    reader: str  # pattern or name of the reader under test
    psam_reader: str | None
    served: tuple[str, ...]  # the vpcd readers this run served a card in


def _vpcd_state(pattern: str) -> tuple[str, bool] | None:
    """(vpcd reader name, card present) when `pattern` selects a vpcd reader; None otherwise or
    when PC/SC cannot be asked (the run then reports that itself)."""
    from terminal.transports.base import TransportError
    from terminal.transports.readers import list_readers, select_reader

    try:
        readers = list_readers()
        name = select_reader(pattern, [r.name for r in readers])
    except TransportError:
        return None
    if name not in VPCD_PORTS:
        return None
    return name, next(r.card_present for r in readers if r.name == name)


_Child = tuple[str, subprocess.Popen[bytes], object]  # (vpcd reader, serve-card process, its log file)
_SERVING: list[_Child] = []  # the children of the running served_readers (one run per process)


def release_served() -> tuple[str, ...]:
    """Stop the cards this run serves (before RDR-6 serves its own in the same slots); returns the
    vpcd readers given up. A no-op when the run served nothing (e.g. cards served by hand)."""
    released = tuple(name for name, _, _ in _SERVING)
    _stop_all(_SERVING)
    _SERVING.clear()
    return released


def slots_blocked() -> str | None:
    """Why RDR-6 cannot serve its own cards in the vpcd slots (not there, or holding a card this run
    did not serve); None when both are free."""
    for name in VPCD_PORTS:
        state = _vpcd_state(name)
        if state is None:
            return f"RDR-6 serves its cards in the vpcd readers and {name!r} is not there (pcscd with vpcd is needed)"
        if state[1]:
            return f"RDR-6 serves its cards in the vpcd readers and {name!r} holds a card this run did not serve"
    return None


def _stop_all(children: list[_Child]) -> None:
    for _, child, log in children:
        _stop(child)
        log.close()  # type: ignore[attr-defined]  # a NamedTemporaryFile; closing twice is harmless
    for served_name, _, _ in children:
        _wait_gone(served_name)


@contextlib.contextmanager
def served_readers(reader: str, psam_reader: str | None) -> Iterator[ServedReaders]:
    """Serve what a vpcd reader plan needs (see the module docstring); yields the readers to use."""
    state = _vpcd_state(reader)
    children: list[_Child] = []
    try:
        if state is not None:
            name, present = state
            if not present:
                children.append(_serve(name, "--reader-test"))
            if psam_reader is None:
                other = next(n for n in VPCD_PORTS if n != name)
                other_state = _vpcd_state(other)
                if other_state is not None and not other_state[1]:
                    children.append(_serve(other, "--psam"))
                psam_reader = other
            for served_name, child, log in children:
                _wait_present(served_name, child, log)
        _SERVING[:] = children
        yield ServedReaders(reader, psam_reader, tuple(n for n, _, _ in children))
    finally:
        _SERVING.clear()
        _stop_all(children)


def _serve(name: str, what: str) -> _Child:
    log = tempfile.NamedTemporaryFile(prefix="ssc-serve-", suffix=".log")  # closed in served_readers
    command = [sys.executable, "-m", "harness.cli", "serve-card", what, "--port", str(VPCD_PORTS[name])]
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    print(f"ssc-conform: serving the {'reader-test card' if what == '--reader-test' else 'reference PSAM'} in {name!r}", file=sys.stderr)
    return name, child, log


def _wait_present(name: str, child: subprocess.Popen[bytes], log: object) -> None:
    from terminal.transports.readers import wait_for_card

    deadline = time.monotonic() + CARD_WAIT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            log.seek(0)  # type: ignore[attr-defined]
            tail = log.read().decode(errors="replace").strip().splitlines()[-3:]  # type: ignore[attr-defined]
            raise RuntimeError(f"the served card for {name!r} stopped (exit {child.returncode}): {' / '.join(tail)}")
        try:
            wait_for_card(name, timeout=0.2)
            time.sleep(PCSCD_POLL)  # pcscd has powered it up (its own event thread) before the kit connects
            return
        except Exception:
            continue
    raise RuntimeError(f"the served card did not appear in {name!r} within {CARD_WAIT:g} s")


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _wait_gone(name: str) -> None:
    from terminal.transports.readers import wait_for_card

    with contextlib.suppress(Exception):
        wait_for_card(name, present=False, timeout=3.0)
