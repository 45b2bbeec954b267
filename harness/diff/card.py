"""Open the card a diff or a replay talks to, with the run's secrets around it.

The embedded reference card (and its mutants) is built afresh for every lockstep sequence: a new
card is the cheapest "as found". A card in a reader is opened once; each sequence resets it and the
lockstep restores what it changed. Either way the transport is guarded (`TryGuardTransport`) and
length-limited as in a suite run, and the PSAM is the software PSAM of the card's region (or the
lab's hardware PSAM).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.cardspec import CardSpec, CardSpecError, parse_card_spec
from harness.dut import max_response_length
from harness.exitstatus import UsageError
from ssc.codecs import decode_an, decode_cn
from ssc.keyset import KeySet
from ssc.profile.model import Profile
from terminal.channel import Terminal
from terminal.psam_client import PsamClient
from terminal.session import CardIdentity, CardSession, OperationError, find_item
from terminal.transports.base import Transport, WrappingTransport
from terminal.transports.limits import ResponseLimitTransport
from terminal.transports.tryguard import TryGuardTransport

__all__ = ["OpenCard", "open_card"]


@dataclass
class OpenCard:
    spec: CardSpec
    profile: Profile
    keyset: KeySet
    psam: PsamClient | None
    pin: str
    identity: CardIdentity
    open: Callable[[], Transport]  # the card as a fresh transport for the next sequence (reset)
    description: str
    faults: tuple[str, ...] = ()
    fresh: bool = False  # `open` builds a new card each time (the embedded reference card)
    reader: str | None = None  # the PC/SC reader's name (None: the embedded card)


class _Kept(WrappingTransport):
    """A view of a long-lived transport whose `close` leaves it open (one per lockstep sequence)."""

    def transmit(self, command: bytes) -> bytes:
        return self.inner.transmit(command)

    def close(self) -> None:
        pass


def _guarded(inner: Transport, profile: Profile) -> Transport:
    guard = TryGuardTransport(inner, profile)
    return ResponseLimitTransport(guard, max_response_length(profile), source="profile t0.max_response")


def open_card(
    card: str,
    *,
    profile_option: str | None = None,
    keys: Path | None = None,
    pin: str | None = None,
    psam_option: str | None = None,
    faults: Sequence[str] = (),
    apdu_timeout: float | None = None,
    tearing_hook: bool = False,
) -> OpenCard:
    """Parse and check the options, open the card, read its identity; UsageError names a bad option.
    `tearing_hook`: the embedded reference card is built with the PROFILE §6.5 test hook, as a
    card served with ``serve-card --tearing-hook`` (a virtual card; a card in a reader has its own)."""
    from harness.optioncheck import check_keys, check_pin, run_profile
    from harness.profiles import detect_profile
    from ssc.keyset import LabKeyFile, TestKeySet

    try:
        spec = parse_card_spec(card)
    except CardSpecError as exc:
        raise UsageError(str(exc)) from None
    if faults and spec.kind != "reference":
        raise UsageError("--fault: faults can only be injected into the embedded reference card (--card reference[:genN])")
    if faults:
        from reference_card import FAULTS

        unknown = [f for f in faults if f not in FAULTS]
        if unknown:
            raise UsageError(f"--fault: unknown fault(s) {', '.join(unknown)}; known faults: {', '.join(FAULTS)}")
    profile = run_profile(spec, profile_option)
    if keys is not None:
        check_keys(keys, profile if profile_option or spec.kind == "reference" else None)
    if pin is not None:
        check_pin(pin, profile)
    if spec.kind == "reference":
        from reference_card import ReferenceCard
        from reference_card.personalization import DEFAULT_CARD_PATH, load_personalization
        from terminal.transports.inprocess import InProcessTransport

        keyset: KeySet = LabKeyFile.load(keys) if keys else TestKeySet.for_profile(profile)
        perso = load_personalization(DEFAULT_CARD_PATH)
        if pin is not None:
            import dataclasses

            perso = dataclasses.replace(perso, pin=pin)
        first = ReferenceCard(profile, perso, faults=list(faults), keyset=keyset, tearing_hook=tearing_hook)
        chosen = profile

        def open_reference() -> Transport:
            card_model = ReferenceCard(chosen, perso, faults=list(faults), keyset=keyset, image=first.image, tearing_hook=tearing_hook)
            transport = _guarded(InProcessTransport(card_model), chosen)
            transport.reset()
            return transport

        opener: Callable[[], Transport] = open_reference
        reader_name: str | None = None
        description = f"reference card {profile.name} (in-process)" + (f", faults {', '.join(faults)}" if faults else "")
    else:
        from terminal.transports.pcsc import PcscTransport

        # a card in a reader: seconds it may take to answer one command (None: the transport's default)
        reader = PcscTransport(spec.reader or "") if apdu_timeout is None else PcscTransport(spec.reader or "", apdu_timeout=apdu_timeout)
        if not profile_option:
            reader.reset()
            profile = detect_profile(reader, profile)
        keyset = LabKeyFile.load(keys) if keys else TestKeySet.for_profile(profile)
        kept = _guarded(reader, profile)

        def open_reader() -> Transport:
            view = _Kept(kept)
            view.reset()
            return view

        opener = open_reader
        description = f"{reader.description} ({profile.name})"
        reader_name = reader.reader
    transport = opener()
    identity = card_identity_by_number(CardSession(Terminal(transport, profile), check=True))
    psam = _psam(profile, keyset, identity.region, psam_option)
    return OpenCard(
        spec,
        profile,
        keyset,
        psam,
        pin or profile.security.pin.initial,
        identity,
        opener,
        description,
        tuple(faults),
        spec.kind == "reference",
        reader_name,
    )


def _psam(profile: Profile, keyset: KeySet, region: str, option: str | None) -> PsamClient:
    from harness.psam import hardware_psam, parse_psam_option, software_psam
    from terminal.regions import RegionError, load_regions

    if option:
        try:
            return hardware_psam(profile, parse_psam_option(option))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    registry = load_regions()
    try:
        region_def = registry.get(region)
    except (KeyError, RegionError):
        raise UsageError(f"the card's region {region} is not in the region registry: give --psam reader:NAME") from None
    return software_psam(profile, region_def, keyset)


def card_identity_by_number(session: CardSession) -> CardIdentity:
    """`CardSession.identity()`, or, when the card refuses READ RECORD by tag (which that reading
    uses), the same items read by record number: a diff must still reach such a card."""
    try:
        return session.identity()
    except OperationError:
        pass
    profile = session.profile
    values: dict[str, bytes] = {}
    for item in ("card_id_code", "spec_version", "card_number"):
        f, rec = find_item(profile, item)
        data = session.read_record(f.path, rec.number, check=True).data
        values[item] = data[2 : 2 + data[1]] if len(data) >= 2 else b""
    card_id = values["card_id_code"]
    region_length = next(r.length for f in profile.efs() for r in f.records if r.check == "region_code")
    atr = session.terminal.atr or b""
    spec_version = (
        decode_cn(values["spec_version"]) if find_item(profile, "spec_version")[1].fmt == "cn" else decode_an(values["spec_version"])
    )
    number = values["card_number"]
    return CardIdentity(
        atr=atr,
        card_sn=profile.atr.card_sn_of(atr),
        region=decode_cn(card_id[:region_length]),
        card_number=decode_cn(number) if find_item(profile, "card_number")[1].fmt == "cn" else decode_an(number),
        spec_version=spec_version,
        generation=profile.generation,
        algorithm_id=None,
        card_id_code=card_id,
    )
