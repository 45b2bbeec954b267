"""The one place the unit tests' card set-up lives: a freshly personalized reference card behind an
in-process transport, a CardSession over it, and a software PSAM of a terminal in a given region.

Only bytes cross the wire: the session and the PSAM client reach their cards through
`InProcessTransport`. The PIN and the home region are the embedded card's personalization
(reference_card/data/default_card.yaml, falling back to the profile's initial PIN as issuance
does) and the terminal numbers come from the region registry (fixtures/regions.yaml), so no test
file repeats them as literals. tests/unit/conftest.py wraps these as fixtures; tests that need a
variant (faults, another region, a wrong key set) call the functions directly.
"""

from __future__ import annotations

from reference_card import ReferenceCard
from reference_card.personalization import DEFAULT_CARD_PATH, load_personalization
from reference_card.psam import PsamCard
from ssc.keyset import KeySet, TestKeySet
from ssc.profile import builtin_profiles, load_profile
from ssc.profile.model import Profile
from terminal.channel import Terminal
from terminal.psam_client import PsamClient
from terminal.regions import load_regions
from terminal.session import CardSession
from terminal.transports.inprocess import InProcessTransport

GENERATIONS: tuple[str, ...] = tuple(builtin_profiles())
PROFILES: dict[str, Profile] = {g: load_profile(g) for g in GENERATIONS}
PERSONALIZATION = load_personalization(DEFAULT_CARD_PATH)
HOME_REGION: str = PERSONALIZATION.region  # the embedded reference card's issuing region
REGIONS = load_regions()


def initial_pin(profile: Profile) -> str:
    """The embedded card's PIN: the personalization's, else the profile's initial PIN."""
    return PERSONALIZATION.pin if PERSONALIZATION.pin is not None else profile.security.pin.initial


def _same_pin_everywhere() -> str:
    pins = {initial_pin(p) for p in PROFILES.values()}
    if len(pins) != 1:
        raise RuntimeError(f"the embedded card's PIN differs by generation ({sorted(pins)}): use initial_pin(profile)")
    return pins.pop()


PIN: str = _same_pin_everywhere()  # the embedded card's PIN, whatever the generation


def terminal_number(region: str = HOME_REGION) -> str:
    return REGIONS.get(region).terminal_number


def new_reference_card(generation: str, *, faults: tuple[str, ...] = ()) -> ReferenceCard:
    return ReferenceCard.default(generation, faults=list(faults))


def open_session(generation: str, *, faults: tuple[str, ...] = (), check: bool = False) -> CardSession:
    """A CardSession over an in-process transport to a freshly personalized reference card."""
    return session_on(new_reference_card(generation, faults=faults), check=check)


def session_on(card: ReferenceCard, *, check: bool = False, region: str | None = None) -> CardSession:
    transport = InProcessTransport(card)
    transport.reset()
    return CardSession(Terminal(transport, card.profile), region=region, check=check)


def open_psam(profile: Profile, region: str = HOME_REGION, *, keyset: KeySet | None = None) -> PsamClient:
    """A software PSAM of a terminal in `region` (its terminal number from the region registry)."""
    card = PsamCard(profile, region, terminal_number(region), keyset if keyset is not None else TestKeySet.for_profile(profile))
    transport = InProcessTransport(card)
    transport.reset()
    return PsamClient(transport, profile)
