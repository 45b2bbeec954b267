"""Terminal-side security modules for a run: software PSAMs per terminal region, or a hardware PSAM.

The software PSAM is the reference PSAM model (PROFILE §7) behind an in-process transport, so the
terminal code speaks the same APDUs it would speak to a hardware PSAM in a second reader. A lab
with a hardware PSAM (``--psam reader:NAME``) gets the same `PsamClient` over PC/SC instead; it
serves the terminals of its own region (the card's), software PSAMs the others.
"""

from __future__ import annotations

from reference_card.psam import PsamCard
from ssc.keyset import KeySet
from ssc.profile.model import Profile
from terminal.psam_client import PsamClient
from terminal.regions import Region
from terminal.transports.inprocess import InProcessTransport


def software_psam(profile: Profile, region: Region, keyset: KeySet) -> PsamClient:
    transport = InProcessTransport(PsamCard(profile, region.code, region.terminal_number, keyset))
    transport.reset()
    client = PsamClient(transport, profile)
    client.select_for(profile.algorithm)
    return client


def hardware_psam(profile: Profile, reader: str) -> PsamClient:
    """A PSAM card in PC/SC reader `reader` (exact name or pattern), its key DF for the profile's
    algorithm selected; raises `TransportError` / `PsamError` naming the reader or the APDU."""
    from terminal.transports.pcsc import PcscTransport

    transport = PcscTransport(reader)
    try:
        client = PsamClient(transport, profile)
        client.select_for(profile.algorithm)
    except BaseException:
        transport.close()
        raise
    return client


def parse_psam_option(text: str) -> str:
    """``reader:NAME`` → NAME (the only PSAM source besides the built-in software PSAMs)."""
    kind, _, name = text.partition(":")
    if kind != "reader" or not name:
        raise ValueError(f"--psam {text!r}: expected reader:<name or pattern of the PSAM's reader>")
    return name
