"""`ssc-conform serve-card`: the reference card (or the reader-test card, or the reference PSAM) on
the vpcd virtual reader."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from harness.cardspec import CardSpec
from reference_card import ReferenceCard
from ssc.card import CardModel
from ssc.profile import load_profile
from terminal.vpcd import VpcdServer


def serve_reference_card(
    spec: CardSpec,
    host: str,
    port: int,
    *,
    faults: Sequence[str] = (),
    tearing_hook: bool = False,
    reader_test: bool = False,
    psam: bool = False,
) -> int:
    """Serve until Ctrl-C or SIGTERM. `reader_test` wraps the card in the programmable
    reader-test card (reference_card.reader_test); `psam` serves the reference PSAM of the
    reference card's region instead of the card (the second slot of a reader-plan run)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    profile = load_profile(spec.generation or "gen2")
    card = ReferenceCard.default(profile.name, faults=list(faults), tearing_hook=tearing_hook)
    served: CardModel = card
    what = f"reference card {profile.name}" + (f" with faults {', '.join(faults)}" if faults else "")
    if psam:
        served = reference_psam(profile.name, card.personalization.region)
        what = f"reference PSAM ({profile.name}, region {card.personalization.region})"
    elif reader_test:
        from reference_card.reader_test import ReaderTestCard

        served = ReaderTestCard(card)
        what = f"reader-test card over the {what}"
    atr = served.power_on()
    served.power_off()
    print(f"serving the {what} on vpcd {host}:{port} (ATR {atr.hex(' ').upper()}); Ctrl-C stops", file=sys.stderr, flush=True)
    VpcdServer(served, host, port).serve_forever()
    return 0


def reference_psam(generation: str, region_code: str) -> CardModel:
    """The reference PSAM (PROFILE §7) of a terminal in `region_code`, with the public test roots."""
    from reference_card.psam import PsamCard
    from ssc.keyset import TestKeySet
    from terminal.regions import load_regions

    profile = load_profile(generation)
    region = load_regions().get(region_code)
    return PsamCard(profile, region.code, region.terminal_number, TestKeySet.for_profile(profile))
