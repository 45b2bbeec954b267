"""`ssc-conform serve-card`: the reference card on the vpcd virtual reader."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from harness.cardspec import CardSpec
from reference_card import ReferenceCard
from ssc.profile import load_profile
from terminal.vpcd import VpcdServer


def serve_reference_card(spec: CardSpec, host: str, port: int, *, faults: Sequence[str] = (), tearing_hook: bool = False) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    profile = load_profile(spec.generation or "gen2")
    card = ReferenceCard.default(profile.name, faults=list(faults), tearing_hook=tearing_hook)
    what = f"reference card {profile.name}" + (f" with faults {', '.join(faults)}" if faults else "")
    print(f"serving the {what} on vpcd {host}:{port} (ATR {card.atr.hex(' ').upper()}); Ctrl-C stops", file=sys.stderr, flush=True)
    VpcdServer(card, host, port).serve_forever()
    return 0
