"""Whether a terminal accepts a card before using it (PROFILE §4.1, §8).

A terminal refuses a card when
- its issuer is not a region it knows (the issuing region of the card identification code is not
  in the region registry),
- the MAC of its card identification code does not verify under the card's IRK (computed by the
  terminal's PSAM with the national key diversified for the card), or
- any invalid-card list covering the card names it.

The decision keeps every reason, so a report can say which check refused the card.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from terminal.card_id import card_id_mac
from terminal.invalid_lists import InvalidCardLists, ListHit
from terminal.psam_client import PsamClient, PsamError
from terminal.session import CardIdentity, CardSession, OperationError

__all__ = ["BAD_CARD_ID_MAC", "LISTED", "AcceptanceDecision", "Refusal", "UNKNOWN_ISSUER", "UNREADABLE", "check_acceptance"]

# Refusal kinds
UNREADABLE = "unreadable"  # the card's identity could not be read
UNKNOWN_ISSUER = "unknown_issuer"
BAD_CARD_ID_MAC = "bad_card_id_mac"
LISTED = "listed"


@dataclass(frozen=True)
class Refusal:
    kind: str
    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class AcceptanceDecision:
    identity: CardIdentity | None
    refusals: tuple[Refusal, ...]
    hits: tuple[ListHit, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.refusals

    def kinds(self) -> set[str]:
        return {r.kind for r in self.refusals}

    def describe(self) -> str:
        return "accepted" if self.accepted else "refused: " + "; ".join(str(r) for r in self.refusals)


def check_acceptance(card: CardSession, psam: PsamClient, lists: InvalidCardLists, known_regions: Container[str]) -> AcceptanceDecision:
    """Read the card's identity afresh (this terminal reads the card itself) and decide.

    Selects SSSE and reads EF05 (card identification code, card number, spec version); the PSAM
    computes the expected MAC of the identification code. Every check runs, so all reasons show.
    """
    try:
        ident = card.identity(refresh=True)
    # ValueError (stdlib, raised by ssc.codecs): the identity bytes do not decode (region not BCD, bad text).
    except (OperationError, ValueError) as exc:
        return AcceptanceDecision(None, (Refusal(UNREADABLE, f"cannot read the card's identity: {exc}"),))
    refusals: list[Refusal] = []
    if ident.region not in known_regions:
        refusals.append(Refusal(UNKNOWN_ISSUER, f"issuing region {ident.region} (card identification code) is not a known region"))
    layout = card.profile.card_id
    try:
        expected = card_id_mac(card, psam, ident.card_id_code)
    except PsamError as exc:
        refusals.append(Refusal(BAD_CARD_ID_MAC, f"the PSAM cannot verify the card identification code MAC: {exc}"))
    else:
        actual = ident.card_id_code[layout.mac]
        if actual != expected:
            refusals.append(
                Refusal(
                    BAD_CARD_ID_MAC,
                    f"card identification code {ident.card_id_code.hex().upper()}: MAC {actual.hex().upper()}, "
                    f"the PSAM computes {expected.hex().upper()} under {layout.mac_key}",
                )
            )
    hits = tuple(lists.hits(ident))
    refusals.extend(Refusal(LISTED, str(h)) for h in hits)
    return AcceptanceDecision(ident, tuple(refusals), hits)
