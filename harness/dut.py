"""Open the device under test: the only place where the card side and the host side meet.

The embedded reference card is wrapped in an in-process transport here; a physical or virtual card
is reached through PC/SC. Either way the suite receives a traced `Transport` and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.cardspec import CardSpec
from ssc.keyset import KeySet
from ssc.profile.model import Profile
from terminal.transports.base import Transport
from terminal.transports.tracing import Masker, MaskRule, TraceRecorder, TracingTransport
from terminal.transports.tryguard import TryGuardTransport


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


@dataclass
class DeviceUnderTest:
    spec: CardSpec
    profile: Profile
    transport: Transport  # traced
    recorder: TraceRecorder
    kind: str  # "reference (in-process)" or "reader"
    faults: tuple[str, ...] = ()
    removed: bool = False
    identity: dict[str, object] = field(default_factory=dict)
    try_guard: TryGuardTransport | None = None  # disarmed while a @destructive scenario runs

    @property
    def description(self) -> str:
        return self.transport.description

    def close(self) -> None:
        self.transport.close()


def open_dut(spec: CardSpec, profile: Profile, keyset: KeySet, *, faults: Sequence[str] = (), pin: str | None = None) -> DeviceUnderTest:
    recorder = TraceRecorder(Masker(mask_rules(profile)))
    if spec.kind == "reference":
        import dataclasses

        from reference_card import ReferenceCard, load_personalization
        from reference_card.personalization import DEFAULT_CARD_PATH
        from terminal.transports.inprocess import InProcessTransport

        personalization = load_personalization(DEFAULT_CARD_PATH)
        if pin is not None:
            personalization = dataclasses.replace(personalization, pin=pin)
        card = ReferenceCard(profile, personalization, faults=list(faults), keyset=keyset)
        inner: Transport = InProcessTransport(card)
        kind = "reference card (in-process)"
    else:
        if faults:
            raise ValueError("faults can only be injected into the embedded reference card")
        from terminal.transports.pcsc import PcscTransport

        inner = PcscTransport(spec.reader or "")
        kind = "PC/SC reader"
    guard = TryGuardTransport(inner, profile)
    transport = TracingTransport(guard, recorder)
    transport.reset()
    return DeviceUnderTest(spec, profile, transport, recorder, kind, tuple(faults), try_guard=guard)
