"""The card set of a cross-region run: one reference card per (test region, generation).

Interoperability is a matrix (REQUIREMENTS INT-XR-*): cards issued in every test region, of every
generation under test, meet the terminals of every region. When the device under test is the
embedded reference card, the harness issues that set here: each card is the reference card
personalized for its region (region-specific serial, card number, social security number,
institution, business regions), derived from ``reference_card/data/default_card.yaml``. This is
the only module that builds card models for the set; the suite receives each card as a traced
transport plus what its issuer declared (`CardDeclaration`), never the model.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from harness.dut import mask_rules
from ssc.checks import card_number_check_char, ssn_check_char
from ssc.keyset import KeySet
from ssc.profile import load_profile
from ssc.profile.model import Profile
from terminal.regions import Region
from terminal.transports.base import Transport
from terminal.transports.tracing import Masker, TraceRecorder, TracingTransport

__all__ = ["CardDeclaration", "DEFAULT_GENERATIONS", "UNKNOWN_ISSUER", "IssuedCard", "issue_card", "issue_card_set", "personalization_for"]

DEFAULT_GENERATIONS = ("gen2", "gen3")
_SSN_DISTRICT = "02"  # a district of the city (GB/T 2260 county digits) for the cardholder
_SERIAL_SEQUENCE = "0001"
_DEFECT_SEQUENCE = "0099"  # serial sequence of deliberately defective cards (distinct card SNs)
UNKNOWN_ISSUER = "unknown_issuer"  # defect: issued in a region the registry does not know


@dataclass(frozen=True)
class CardDeclaration:
    """What the issuer declares about a card (issuer declaration / DUT declaration data): the
    expectations of the matrix rest on it, not on what a terminal reads."""

    region: str
    card_number: str | None = None
    defects: tuple[str, ...] = ()  # deliberate defects: a fault name or UNKNOWN_ISSUER


@dataclass
class IssuedCard:
    """One card of the set, as the suite sees it: a traced transport and its declaration."""

    region: Region | None  # None when the card's region is not in the registry
    generation: str
    profile: Profile
    transport: Transport  # traced into `recorder`
    recorder: TraceRecorder
    declaration: CardDeclaration
    owned: bool = True  # False for the device under test (closed by the harness, not here)
    notes: dict[str, Any] = field(default_factory=dict)
    name: str | None = None  # the row name a lab gave its card (harness.labcards); None: from region and generation

    @property
    def label(self) -> str:
        """``"441800/gen3"`` (``+defect`` for a deliberately defective card) — a matrix row."""
        base = self.name or f"{self.declaration.region}/{self.generation}"
        return base + "".join(f"+{d}" for d in self.declaration.defects)

    @property
    def defective(self) -> bool:
        return bool(self.declaration.defects)

    def close(self) -> None:
        if self.owned:
            self.transport.close()


@functools.cache
def _profile(generation: str) -> Profile:
    """Built-in profiles parsed once per process (parsing YAML dominates issuing a card)."""
    return load_profile(generation)


@functools.lru_cache(maxsize=1)
def _business_defaults() -> Mapping[str, str | bytes]:
    from reference_card.personalization import load_business_defaults

    return load_business_defaults()


def personalization_for(base: dict[str, Any], region_code: str, generation: int, sequence: str = _SERIAL_SEQUENCE) -> dict[str, Any]:
    """The default card's personalization mapping rewritten for a card of `region_code`.

    Unique per (region, generation): the serial (card SN) is region ‖ generation ‖ `sequence`, the
    card number region ‖ generation ‖ last sequence digit plus its check character (PROFILE §4.2), the SSN a
    cardholder born in a district of the city (PROFILE §4.3), the institution starts with the region.
    """
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    raw["region"] = region_code
    raw["serial"] = f"{region_code}{generation:02d}{sequence}"
    first8 = f"{region_code}{generation}{sequence[-1]}"
    raw["card_number"] = first8 + card_number_check_char(first8)
    institution = str(base["init_institution"])
    raw["init_institution"] = region_code + institution[len(region_code) :]
    holder = dict(base["cardholder"])
    district = region_code[:4] + _SSN_DISTRICT
    ssn17 = district + str(holder["ssn"])[6:17]
    holder["ssn"] = ssn17 + ssn_check_char(ssn17)
    holder["birthplace"] = district
    raw["cardholder"] = holder
    records = dict(base.get("records") or {})
    records.update(
        household_region=district,
        residence_region=district,
        coverage_region=region_code,
        last_settlement_region=district,
        employer_code=f"{region_code}001",
    )
    raw["records"] = records
    return raw


def _default_mapping() -> dict[str, Any]:
    from reference_card.personalization import DEFAULT_CARD_PATH

    data = yaml.safe_load(DEFAULT_CARD_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def issue_card(
    region: Region | str,
    generation: str,
    keyset: KeySet,
    *,
    faults: Sequence[str] = (),
    defects: Sequence[str] = (),
    pin: str | None = None,
    base: dict[str, Any] | None = None,
) -> IssuedCard:
    """One reference card of `generation` issued in `region` (a registry region or a bare code,
    e.g. an issuer the registry does not know), personalized with `keyset`'s keys.

    `faults` are injected silently (a mutant DUT makes a mutant set); `defects` are declared
    (fault names of the reference card, or `UNKNOWN_ISSUER` for a bare region code), so the
    matrix expects every terminal to refuse the card."""
    from reference_card import FAULTS, ReferenceCard, load_personalization
    from terminal.transports.inprocess import InProcessTransport

    code = region.code if isinstance(region, Region) else region
    profile = _profile(generation)
    unknown = [d for d in defects if d not in FAULTS and d != UNKNOWN_ISSUER]
    if unknown:
        raise ValueError(
            f"unknown defect(s) {unknown}; a defect is a reference-card fault ({', '.join(sorted(FAULTS))}) or {UNKNOWN_ISSUER!r}"
        )
    sequence = _DEFECT_SEQUENCE if defects else _SERIAL_SEQUENCE
    raw = personalization_for(base or _default_mapping(), code, profile.generation, sequence)
    if pin is not None:
        raw["pin"] = pin
    if UNKNOWN_ISSUER in defects:
        # An issuer the registry does not know has no local keys a lab could hold: no DF80.
        raw["local_extension"] = False
    personalization = load_personalization(raw, business_defaults=_business_defaults())
    injected = sorted(set(faults) | {d for d in defects if d in FAULTS})
    card = ReferenceCard(profile, personalization, faults=injected, keyset=keyset)
    recorder = TraceRecorder(Masker(mask_rules(profile)))
    transport = TracingTransport(InProcessTransport(card), recorder)
    transport.reset()
    declaration = CardDeclaration(code, personalization.card_number, tuple(defects))
    return IssuedCard(region if isinstance(region, Region) else None, generation, profile, transport, recorder, declaration)


def issue_card_set(
    regions: Iterable[Region],
    generations: Sequence[str],
    keyset: KeySet,
    *,
    faults: Sequence[str] = (),
    pin: str | None = None,
) -> list[IssuedCard]:
    """One card per (region, generation), regions outer, in the order given. `faults` go into
    every card (a faulty DUT means a faulty card set: the matrix must catch it too)."""
    base = _default_mapping()
    return [issue_card(r, g, keyset, faults=faults, pin=pin, base=base) for r in regions for g in generations]
