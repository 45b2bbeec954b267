"""The card identification code's MAC (PROFILE §4.1), computed by the terminal's PSAM.

The MAC covers bytes 1–12 under the card's internal-authentication key, diversified for the card;
IV zero. The PSAM derives that key and computes the MAC, so the key never leaves it.
"""

from __future__ import annotations

from terminal.psam_client import PsamClient
from terminal.session import CardSession

_INTERNAL_AUTH = "internal_auth"


def card_id_mac(card: CardSession, psam: PsamClient, card_id: bytes) -> bytes:
    profile = card.profile
    layout = profile.card_id
    key = profile.key(layout.mac_key)
    psam.select_for(card.algorithm)
    psam.derive(_INTERNAL_AUTH, key, 0, card.factors(key))
    return psam.mac(bytes(profile.algorithm.block_size), card_id[: layout.mac.start])
