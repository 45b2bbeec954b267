"""The foundation's figures in one run (issue targets in brackets):

1. reference card in-process, SELECT EF + READ RECORD mix: `card.process` and the full terminal
   stack (Terminal over InProcessTransport)                               [≥ 100,000 APDU/s]
2. through vpcd + pcscd + pyscard, bare SCardTransmit loops, measured interleaved:
   the trivial 9000 card (the stack's own limit) vs the served reference card  [≥ 90 %]
3. terminal-layer overhead (Terminal.send: T=0 policy, response typing) over a bare pyscard
   transmit loop on the same reader and card                              [≤ 5 %]

Run inside the private pcscd sandbox (cards are served by separate processes on the two vpcd
readers, so they do not compete with the measuring loop for the GIL). By default the measuring
loop and the card servers are pinned to different cores, so what is compared is the code on each
side, not how the scheduler of a 2-core machine happens to place four busy processes; `--no-pin`
measures without pinning:

    scripts/pcsc-sandbox .venv/bin/python bench/bench_foundation.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import interleaved, print_table, rate
from smartcard import scard

from reference_card import ReferenceCard
from ssc.profile import load_profile
from terminal.channel import Terminal
from terminal.transports.inprocess import InProcessTransport
from terminal.transports.pcsc import PcscTransport
from terminal.transports.readers import wait_for_card

GENERATION = "gen2"
MEASURE_CPU, CARD_CPU = 0, 1  # with --pin (default): the measuring loop and the card servers never share a core
TRIVIAL = ("Virtual PCD 00 00", 35963, "from terminal.testcards import EchoOkCard as C; card = C()")
REFERENCE = ("Virtual PCD 00 01", 35964, f"from reference_card import ReferenceCard as C; card = C.default({GENERATION!r})")
SERVER = (
    "import logging, os, sys\n{pin}logging.basicConfig(level=logging.WARNING)\n{make}\n"
    "from terminal.vpcd import VpcdServer\nVpcdServer(card, port={port}).serve_forever()\n"
)


def apdu_mix() -> list[bytes]:
    """SELECT SSSE/EF05 by FID, then READ RECORD 1 of the current EF with its exact length."""
    profile = load_profile(GENERATION)
    ef = profile.file("SSSE/EF05")
    select, read = profile.command("select"), profile.command("read_record")
    rec = ef.records[0]
    return [
        bytes((select.cla[0], select.ins, select.byte("p1_ef"), select.byte_list("p2")[0], 2)) + ef.fid.to_bytes(2, "big"),
        bytes((read.cla[0], read.ins, rec.number, read.byte("p2_by_number"), rec.record_length)),
    ]


def enter_ssse(send: Callable[[bytes], bytes]) -> None:
    profile = load_profile(GENERATION)
    ssse = profile.file("SSSE")
    select = profile.command("select")
    assert ssse.name is not None
    send(bytes((select.cla[0], select.ins, select.byte("p1_name"), 0, len(ssse.name))) + ssse.name)


A = TypeVar("A")  # one APDU as the measured call takes it (bytes, or a list of ints for pyscard)


def cycle(fn: Callable[[A], object], mix: list[A]) -> Callable[[], object]:
    state = {"i": 0}

    def one() -> object:
        i = state["i"]
        state["i"] = i + 1
        return fn(mix[i & 1])

    return one


def in_process(mix: list[bytes]) -> dict[str, float]:
    card = ReferenceCard.default(GENERATION)
    card.power_on()
    enter_ssse(card.process)
    assert all(card.process(a)[-2:] == b"\x90\x00" for a in mix)
    transport = InProcessTransport(ReferenceCard.default(GENERATION))
    terminal = Terminal(transport, load_profile(GENERATION))
    enter_ssse(transport.transmit)
    return {
        "reference card in-process: card.process": rate(cycle(card.process, mix), 3.0)[1],
        "reference card in-process: Terminal.send (full stack)": rate(cycle(terminal.send, mix), 3.0)[1],
    }


class Bare:
    """SCardTransmit on the transport's own handle (a second context could land on another core)."""

    def __init__(self, transport: PcscTransport) -> None:
        self.card = transport._hcard
        self.pci = scard.SCARD_PCI_T0

    def transmit(self, apdu: list[int]) -> object:
        return scard.SCardTransmit(self.card, self.pci, apdu)


def through_vpcd(mix: list[bytes], seconds: float, pin: bool) -> dict[str, float]:
    pin_line = f"os.sched_setaffinity(0, {{{CARD_CPU}}})\n" if pin else ""
    servers = [
        subprocess.Popen([sys.executable, "-c", SERVER.format(make=make, port=port, pin=pin_line)])
        for _, port, make in (TRIVIAL, REFERENCE)
    ]
    try:
        for reader, _, _ in (TRIVIAL, REFERENCE):
            wait_for_card(reader, timeout=10)
        with PcscTransport(TRIVIAL[0]) as trivial, PcscTransport(REFERENCE[0]) as reference:
            terminal = Terminal(reference, load_profile(GENERATION))
            enter_ssse(reference.transmit)
            lists = [list(a) for a in mix]
            bare_trivial, bare_reference = Bare(trivial), Bare(reference)
            cases = [
                ("vpcd: trivial 9000 card, bare SCardTransmit", cycle(bare_trivial.transmit, lists)),
                ("vpcd: reference card, bare SCardTransmit", cycle(bare_reference.transmit, lists)),
                ("vpcd: reference card, Terminal.send", cycle(terminal.send, mix)),
            ]
            assert all(terminal.send(a).ok for a in mix)
            return interleaved(cases, seconds)
    finally:
        for s in servers:
            s.terminate()
        for s in servers:
            s.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="time for the interleaved vpcd cases (default 20)")
    parser.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="do not pin the measuring loop and the card servers to separate cores (pcscd is never pinned)",
    )
    args = parser.parse_args()
    if not Path(os.environ.get("PCSCLITE_CSOCK_NAME", "/run/pcscd/pcscd.comm")).is_socket():
        print("no pcscd here: run me as scripts/pcsc-sandbox .venv/bin/python bench/bench_foundation.py", file=sys.stderr)
        return 2
    mix = apdu_mix()
    if args.pin:
        os.sched_setaffinity(0, {MEASURE_CPU})
    local = in_process(mix)
    vpcd = through_vpcd(mix, args.seconds, args.pin)
    rows = [(name, round(r), 1e6 / r) for name, r in {**local, **vpcd}.items()]
    print(
        f"APDU mix: {' / '.join(a.hex(' ').upper() for a in mix)} (profile {GENERATION}); "
        + (f"measuring loop on CPU {MEASURE_CPU}, card servers on CPU {CARD_CPU}, pcscd unpinned" if args.pin else "nothing pinned")
    )
    print_table(("case", "APDU/s", "us/APDU"), rows)
    names = list(vpcd)
    served_ratio = vpcd[names[1]] / vpcd[names[0]]
    overhead = vpcd[names[1]] / vpcd[names[2]] - 1
    in_proc = local["reference card in-process: card.process"]
    print()
    print(f"in-process reference card: {in_proc:,.0f} APDU/s (target ≥ 100,000) -> {'met' if in_proc >= 100_000 else 'NOT met'}")
    print(
        f"served reference card / trivial card through vpcd: {served_ratio:.1%} (target ≥ 90 %) -> {'met' if served_ratio >= 0.9 else 'NOT met'}"
    )
    print(
        f"terminal-layer overhead over bare pyscard (same reader): {overhead:+.1%} per APDU (target ≤ 5 %) -> {'met' if overhead <= 0.05 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
