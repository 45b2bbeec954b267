"""Card models: the SSC reference card (and its fault mutants) and the software PSAM."""

from reference_card.card import CardNotPowered, ReferenceCard
from reference_card.faults import FAULTS, Fault
from reference_card.personalization import Cardholder, Personalization, PersonalizationError, load_personalization

__all__ = [
    "FAULTS",
    "CardNotPowered",
    "Cardholder",
    "Fault",
    "Personalization",
    "PersonalizationError",
    "ReferenceCard",
    "load_personalization",
]
