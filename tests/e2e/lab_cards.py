"""Reference cards of other regions for the lab-card tests (a second vpcd reader) and the card-set
file that declares them."""

from __future__ import annotations

from pathlib import Path

import yaml

from harness.cardset import personalization_for
from reference_card import ReferenceCard, load_personalization
from reference_card.personalization import DEFAULT_CARD_PATH, load_business_defaults
from ssc.profile import load_profile

OTHER_REGION = "330200"  # a test region of fixtures/regions.yaml other than the embedded card's


def card_of(region: str, faults: tuple[str, ...] = (), generation: str = "gen2") -> ReferenceCard:
    """The embedded card's personalization rewritten for a card issued in `region`."""
    base = yaml.safe_load(DEFAULT_CARD_PATH.read_text(encoding="utf-8"))
    profile = load_profile(generation)
    raw = personalization_for(base, region, profile.generation, "0007")
    return ReferenceCard(profile, load_personalization(raw, business_defaults=load_business_defaults()), faults=list(faults))


def invalid_card_set(path: Path, reader: str, region: str = OTHER_REGION) -> Path:
    """A card-set file declaring the card in `reader` invalid (identification-code MAC)."""
    path.write_text(
        "format: ssc-card-set/1\ncards:\n"
        f'  - {{reader: "{reader}", region: "{region}", generation: gen2, label: bad-mac,\n'
        "     invalid: {reason: identification_code_mac, why: MAC made under a wrong IRK}}\n",
        encoding="utf-8",
    )
    return path
