"""`ReferenceCard`: the executable SSC of PROFILE §2–§6 as an `ssc.card.CardModel`.

    card = ReferenceCard.default("gen2")             # the embedded Qingyuan test card
    atr = card.power_on()
    card.process(bytes.fromhex("00A4040F7378312E73682EC9E7BBE1B1A3D5CF"))   # → 61 1E

Built from a profile and a personalization; keys come from a `KeySet` (default: the profile's
public test roots). `image` skips issuing: a card built many times (the lockstep diff's twin and
its mutants, one per sequence) is issued once and copied. Faults (`reference_card.faults.FAULTS`) turn it into a mutant that breaks one
requirement. With ``tearing_hook=True`` the card accepts `FF 7E P1 P2` (and `arm_power_cut`) and
raises `ssc.card.PowerCut` when an armed write is torn; the persistent state survives power cycles,
the volatile state does not.

GET CHALLENGE draws from a pseudo-random generator seeded once per card from its serial number
(unless `rng` is given): the stream runs on across resets as a real card's does, and the reference
card's verdicts are reproducible. The randomness battery of STD-CMD-3 tests at α = 0.01, where a
fresh unpredictable stream would let the clean reference card fail now and then by chance.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from collections.abc import Iterable
from pathlib import Path

from reference_card.cos import Cos
from reference_card.faults import resolve_faults
from reference_card.issuance import CardImage, issue
from reference_card.personalization import DEFAULT_CARD_PATH, Personalization, load_personalization
from ssc.card import PowerCut
from ssc.keyset import KeySet, TestKeySet
from ssc.profile import load_profile
from ssc.profile.model import Profile

__all__ = ["CardNotPowered", "ReferenceCard"]


class CardNotPowered(RuntimeError):
    """`process` was called on a card that is not powered (call `power_on` first)."""


@functools.lru_cache(maxsize=8)
def _builtin_profile(name: str) -> Profile:
    return load_profile(name)


@functools.lru_cache(maxsize=4)
def _default_personalization(path: str) -> Personalization:
    return load_personalization(path)


class ReferenceCard:
    def __init__(
        self,
        profile: Profile,
        personalization: Personalization,
        *,
        faults: Iterable[str] = (),
        keyset: KeySet | None = None,
        tearing_hook: bool = False,
        rng: random.Random | None = None,
        image: CardImage | None = None,
    ) -> None:
        self.profile = profile
        self.personalization = personalization
        self.faults = resolve_faults(faults)
        self.keyset = keyset if keyset is not None else TestKeySet.for_profile(profile)
        self.tearing_hook = tearing_hook
        if image is None:
            image = issue(profile, personalization, self.keyset, self.faults)
        else:  # issued before for this personalization and these faults: a fresh copy of its content
            image = dataclasses.replace(
                image,
                records={k: list(v) for k, v in image.records.items()},
                binaries=dict(image.binaries),
                keys={k: dict(v) for k, v in image.keys.items()},
            )
        self.image = image  # as issued (pass it as `image` to build the same card again)
        self.atr = image.atr
        self.card_sn = image.card_sn
        if rng is None:
            rng = random.Random(b"ssc-reference-card|" + image.card_sn)
        self._cos = Cos(profile, image, faults=self.faults, tearing_hook=tearing_hook, rng=rng)
        self._powered = False

    @classmethod
    def default(cls, generation: str = "gen2", **kwargs: object) -> ReferenceCard:
        """The embedded reference card (``data/default_card.yaml``) for a built-in profile."""
        return cls(_builtin_profile(generation), _default_personalization(str(DEFAULT_CARD_PATH)), **kwargs)  # type: ignore[arg-type]  # **kwargs are __init__'s keyword options, checked there

    @classmethod
    def from_files(cls, profile: str | Path, personalization: str | Path, **kwargs: object) -> ReferenceCard:
        return cls(load_profile(profile), load_personalization(personalization), **kwargs)  # type: ignore[arg-type]  # as in default()

    # -- CardModel -----------------------------------------------------------------------------
    def power_on(self) -> bytes:
        self._cos.reset_volatile()
        self._powered = True
        return self.atr

    def power_off(self) -> None:
        self._powered = False
        self._cos.reset_volatile()

    def process(self, apdu: bytes) -> bytes:
        if not self._powered:
            raise CardNotPowered("the card is not powered; call power_on() first")
        try:
            response = self._cos.process(apdu)
            self._cos.store.end_command()
            return response
        except PowerCut:
            self._powered = False
            raise

    # -- test facilities -----------------------------------------------------------------------
    def arm_power_cut(self, after_bytes: int) -> None:
        """Python twin of `FF 7E P1 P2`: cut power after `after_bytes` of the next persistent write."""
        if not self.tearing_hook:
            raise RuntimeError("this card was built without tearing_hook=True")
        self._cos.store.arm_power_cut(after_bytes)

    @property
    def persistent_writes(self) -> int:
        """Completed persistent writes since issue (for tests of the counter-first rule)."""
        return self._cos.store.writes

    @property
    def state(self) -> tuple[object, ...]:
        """A summary of the card's security state (current DF, PIN verified, authenticated key ids,
        lifecycle, PIN tries left): the lockstep diff counts the distinct states a run reached."""
        s = self._cos.session
        return (s.df.path, s.pin_ok, tuple(sorted(s.auth)), self._cos.lifecycle, self._cos.pin_counter.value)

    def try_counters(self) -> dict[tuple[str, int], tuple[int, int]]:
        """Every persistent try counter as (tries left, limit): ``("PIN", 0)`` for the PIN and
        (key name, version) for each loaded version of an external key. The lockstep diff reads
        its twin's to know which counters a sequence spent (the restore refills them on the DUT);
        tests read a persisting card's to prove the restore left it full."""
        out = {("PIN", 0): (self._cos.pin_counter.value, self._cos.pin_counter.limit)}
        for name, key in self._cos.fs.keys_by_name.items():
            if key.use == "external":
                out.update({(name, version): (c.value, c.limit) for version, c in key.counters.items()})
        return out

    @property
    def powered(self) -> bool:
        return self._powered
