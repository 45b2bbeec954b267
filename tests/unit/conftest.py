"""Shared set-up for the unit tests (built by tests/unit/rig.py).

`gen` runs a test once per built-in generation; narrow it with
`@pytest.mark.parametrize("gen", ["gen2"])`, which overrides this fixture. The others follow from
it: `profile`, `reference_card` (freshly personalized), `session` (a CardSession over an in-process
transport to that card), `psam_client` (a software PSAM of a terminal in the card's home region),
`pin` and `home_region` (from the personalization, never literals).
"""

from __future__ import annotations

import pytest

from reference_card import ReferenceCard
from ssc.profile.model import Profile
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from tests.unit import rig


@pytest.fixture(params=rig.GENERATIONS)
def gen(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def profile(gen: str) -> Profile:
    return rig.PROFILES[gen]


@pytest.fixture
def reference_card(gen: str) -> ReferenceCard:
    return rig.new_reference_card(gen)


@pytest.fixture
def session(reference_card: ReferenceCard) -> CardSession:
    return rig.session_on(reference_card)


@pytest.fixture
def psam_client(profile: Profile) -> PsamClient:
    return rig.open_psam(profile)


@pytest.fixture
def pin(profile: Profile) -> str:
    return rig.initial_pin(profile)


@pytest.fixture
def home_region() -> str:
    return rig.HOME_REGION
