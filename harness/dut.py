"""Open the device under test: the only place where the card side and the host side meet.

The embedded reference card is wrapped in an in-process transport here; a physical or virtual card
is reached through PC/SC. Either way the suite receives a traced `Transport` and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness.cardspec import CardSpec
from ssc.keyset import KeySet
from ssc.profile.model import Profile
from terminal.transports.base import Transport
from terminal.transports.limits import ResponseLimitTransport
from terminal.transports.tracing import Masker, MaskRule, TraceRecorder, TracingTransport
from terminal.transports.tryguard import TryGuardTransport

DEFAULT_APDU_TIMEOUT = 5.0  # seconds per command (run option --apdu-timeout)


def mask_rules(profile: Profile) -> list[MaskRule]:
    """Commands whose data carries a PIN or key material, from the profile's `sensitive` flags."""
    rules = []
    for cmd in profile.commands.values():
        if cmd.sensitive:
            for cla in cmd.cla:
                rules.append(
                    MaskRule(
                        cla=cla,
                        ins=cmd.ins,
                        mask_command_data=cmd.sensitive == "command_data",
                        mask_response_data=cmd.sensitive == "response_data",
                        reason=f"{cmd.name}: PIN or key material",
                    )
                )
    return rules


def apdu_deadline(profile: Profile, seconds: float) -> Callable[[bytes], float]:
    """The deadline of one command: `seconds`, times the profile's slow factor for its slow commands."""
    factors = {(cla, cmd.ins): profile.timing.factor(name) for name, cmd in profile.commands.items() for cla in cmd.cla}

    def deadline(command: bytes) -> float:
        return seconds * factors.get((command[0], command[1]), 1) if len(command) >= 2 else seconds

    return deadline


def max_response_length(profile: Profile) -> int:
    """The longest response APDU the profile allows: its maximum data length plus SW1 SW2."""
    return profile.t0_max_response + 2


@dataclass
class DeviceUnderTest:
    spec: CardSpec
    profile: Profile
    transport: Transport  # traced
    recorder: TraceRecorder
    kind: str  # "reference (in-process)" or "reader"
    faults: tuple[str, ...] = ()
    identity: dict[str, object] = field(default_factory=dict)
    try_guard: TryGuardTransport | None = None  # disarmed while a @destructive scenario runs

    @property
    def description(self) -> str:
        return self.transport.description

    def close(self) -> None:
        self.transport.close()


def open_dut(
    spec: CardSpec,
    profile: Profile,
    keyset: KeySet,
    *,
    faults: Sequence[str] = (),
    pin: str | None = None,
    apdu_timeout: float = DEFAULT_APDU_TIMEOUT,
) -> DeviceUnderTest:
    """The traced transport to the card: trace ← response-length limit ← try guard ← the card."""
    recorder = TraceRecorder(Masker(mask_rules(profile)), max_response=max_response_length(profile))
    if spec.kind == "reference":
        import dataclasses

        from reference_card import ReferenceCard, load_personalization
        from reference_card.personalization import DEFAULT_CARD_PATH
        from terminal.transports.inprocess import InProcessTransport

        personalization = load_personalization(DEFAULT_CARD_PATH)
        if pin is not None:
            personalization = dataclasses.replace(personalization, pin=pin)
        # the embedded card is a virtual card the harness builds: it carries the PROFILE §6.5 tearing
        # hook, which SEC-TEAR-1/2 drive (no other scenario sends CLA FF)
        card = ReferenceCard(profile, personalization, faults=list(faults), keyset=keyset, tearing_hook=True)
        inner: Transport = InProcessTransport(card)
        kind = "reference card (in-process)"
    else:
        if faults:
            raise ValueError("faults can only be injected into the embedded reference card")
        from terminal.transports.pcsc import PcscTransport

        inner = PcscTransport(spec.reader or "", apdu_timeout=apdu_deadline(profile, apdu_timeout))
        kind = "PC/SC reader"
    guard = TryGuardTransport(inner, profile)
    limited = ResponseLimitTransport(
        guard, max_response_length(profile), source=f"{profile.t0_max_response} data bytes + SW1 SW2, profile t0.max_response"
    )
    transport = TracingTransport(limited, recorder)
    transport.reset()
    return DeviceUnderTest(spec, profile, transport, recorder, kind, tuple(faults), try_guard=guard)
