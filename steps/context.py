"""Per-scenario state shared by the steps, and the fixtures that open a card session.

Steps reach the card only through `ctx.card` (a `terminal.session.CardSession` over the traced
transport of the device under test) and PSAMs through `ssc_session.psam_for(region)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ssc.profile.model import Profile
from terminal.channel import Response, Terminal
from terminal.session import CardSession


@dataclass
class ScenarioContext:
    profile: Profile
    card: CardSession
    pin: str  # the card's current PIN as given for this run
    session: Any  # harness.plugin.SscSession
    response: Response | None = None
    selected: str | None = None  # path of the file last selected by the scenario
    value: Any = None  # last data item read
    psam: Any = None
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def initial_pin(self) -> str:
        """The PIN the card was personalized with (CHANGE PIN must refuse it as a new PIN)."""
        return str(self.session.initial_pin)

    def last_response(self) -> Response:
        assert self.response is not None, "no command has been sent in this scenario yet"
        return self.response

    def apdu_text(self, response: Response | None = None) -> str:
        """The APDUs behind a response, for assertion messages a lab engineer can act on."""
        r = response or self.response
        if r is None or not r.exchanges:
            return "(no APDU)"
        masker = self.session.dut.recorder.masker  # PINs and key material never reach a message
        parts = []
        for command, answer in r.exchanges:
            masked_command, masked_answer, _ = masker.apply(command, answer)
            parts.append(f"{masked_command.hex()} → {masked_answer.hex()}")
        return "; ".join(parts)


@pytest.fixture
def ctx(ssc_session: Any) -> ScenarioContext:
    dut = ssc_session.dut
    profile = ssc_session.profile
    terminal = Terminal(dut.transport, profile)
    pin = ssc_session.config.getoption("--ssc-pin") or profile.security.pin.initial
    return ScenarioContext(profile, CardSession(terminal, check=False), pin, ssc_session)


def sw_text(profile: Profile, sw: int) -> str:
    word = profile.sw.describe(sw)
    return f"{sw:04X} ({word.name}: {word.en})" if word else f"{sw:04X} (not a status word of the profile)"
