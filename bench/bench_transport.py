"""Transport throughput: the trivial 9000 card through vpcd+pcscd+pyscard, bare and through our layer.

Run inside the private pcscd sandbox (the virtual reader lives in the sandbox's network namespace):

    scripts/pcsc-sandbox .venv/bin/python bench/bench_transport.py [--seconds 15]

The card (`terminal.testcards.EchoOkCard`) is served by `terminal.vpcd.VpcdServer` in a separate
process, as a real virtual card would be, so it does not compete with the measuring loop for the
GIL. The vpcd cases run in alternating small batches (`common.interleaved`), so background load on
a shared machine hits them alike and their ratio stays meaningful. Cases:

- bare pyscard: `smartcard.scard.SCardTransmit` in a loop with a pre-built APDU list, on the
  transport's own card handle — the floor;
- PcscTransport: `transmit(bytes) -> bytes` (error mapping, list/bytes conversion);
- PcscTransport + T0Policy: `exchange()` (9000 needs no GET RESPONSE: pure policy overhead);
- in-process: the same card through InProcessTransport, for scale.

Overhead = extra time per APDU relative to the bare loop. Extend by adding to `pcsc_cases()` (same
reader) or `inprocess_cases()` (e.g. the reference card), or by a new group in `main()`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import interleaved, print_table, rate
from smartcard import scard

from terminal.t0 import T0Policy
from terminal.testcards import EchoOkCard
from terminal.transports.inprocess import InProcessTransport
from terminal.transports.pcsc import PcscTransport
from terminal.transports.readers import wait_for_card

READER = "Virtual PCD 00 00"
PORT = 35963
APDU = bytes.fromhex("00A40000023F00")  # any command: the echo card answers 9000
CARD_SERVER = (
    "import logging, sys\n"
    "logging.basicConfig(level=logging.WARNING)\n"
    "from terminal.testcards import EchoOkCard\n"
    "from terminal.vpcd import VpcdServer\n"
    "VpcdServer(EchoOkCard(), port=int(sys.argv[1])).serve_forever()\n"
)


class BarePyscard:
    """The floor: SCardTransmit with a pre-built list on the SAME card handle as the transport.

    Sharing the handle matters: pcscd serves each client context in its own thread, and on a small
    machine two contexts can land on differently loaded cores and differ by 30 % for reasons that
    have nothing to do with our code. Peeking at the handle is fine for a benchmark.
    """

    def __init__(self, transport: PcscTransport) -> None:
        self.card = transport._hcard
        self.pci = scard.SCARD_PCI_T0
        self.apdu = list(APDU)

    def transmit(self) -> object:
        return scard.SCardTransmit(self.card, self.pci, self.apdu)


def pcsc_cases(bare: BarePyscard, pcsc: PcscTransport) -> list[tuple[str, Callable[[], object]]]:
    policy = T0Policy(pcsc)
    assert pcsc.transmit(APDU) == b"\x90\x00" and policy.exchange(APDU).sw == 0x9000
    return [
        ("vpcd: bare pyscard SCardTransmit", bare.transmit),
        ("vpcd: PcscTransport.transmit", lambda: pcsc.transmit(APDU)),
        ("vpcd: PcscTransport + T0Policy", lambda: policy.exchange(APDU)),
    ]


def inprocess_cases() -> list[tuple[str, Callable[[], object]]]:
    inprocess = InProcessTransport(EchoOkCard())
    policy = T0Policy(inprocess)
    return [
        ("in-process: InProcessTransport.transmit", lambda: inprocess.transmit(APDU)),
        ("in-process: InProcessTransport + T0Policy", lambda: policy.exchange(APDU)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="total time for the vpcd cases (default 15)")
    args = parser.parse_args()

    socket_path = os.environ.get("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm")
    if not Path(socket_path).is_socket():
        print(f"no pcscd ({socket_path} absent): run me as scripts/pcsc-sandbox .venv/bin/python bench/bench_transport.py", file=sys.stderr)
        return 2

    server = subprocess.Popen([sys.executable, "-c", CARD_SERVER, str(PORT)])
    try:
        wait_for_card(READER, timeout=10)
        with PcscTransport(READER) as pcsc:
            vpcd_rates = interleaved(pcsc_cases(BarePyscard(pcsc), pcsc), args.seconds)
    finally:
        server.terminate()
        server.wait(10)
    inprocess_rates = {name: rate(fn, 1.0)[1] for name, fn in inprocess_cases()}

    floor = next(iter(vpcd_rates.values()))
    rows: list[tuple[object, ...]] = []
    for name, per_s in vpcd_rates.items():
        rows.append((name, round(per_s), 1e6 / per_s, f"{(floor / per_s - 1) * 100:+.1f} %"))
    for name, per_s in inprocess_rates.items():
        rows.append((name, round(per_s), 1e6 / per_s, None))
    print(f"{READER}: EchoOkCard served by terminal.vpcd in another process; vpcd cases interleaved in batches over {args.seconds:.0f} s")
    print_table(("case", "APDU/s", "us/APDU", "extra time per APDU vs bare"), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
