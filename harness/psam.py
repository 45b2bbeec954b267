"""Terminal-side security modules for a run: a software PSAM per terminal region.

The software PSAM is the reference PSAM model (PROFILE §7) behind an in-process transport, so the
terminal code speaks the same APDUs it would speak to a hardware PSAM in a second reader.
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
