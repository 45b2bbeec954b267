"""What an expected status word rests on, so a verdict can say when it rests on a stand-in.

A status word's meaning is public (ISO/IEC 7816-4, provenance D), but *which* status word a card
gives in a situation where several apply is often this project's choice: the order of checks
(`check_order`, S), the state of a blocked application (`security.lifecycle`, S). An expectation
that rests only on such a choice is a stand-in: a card built to the official text may answer
otherwise and still conform. `SwExpectation` keeps the word with the profile values it rests on
(references as in `reports.provenance`: a top-level section, ``security.lifecycle`` or
``behaviour.<choice>``) and writes it as "6981 (incompatible_file_structure) (stand-in)（替代值）:
rests on check_order [S]" when the weakest of them is S.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssc.profile.model import PROVENANCE_TAGS, Profile, StatusWord

__all__ = ["STAND_IN", "SwExpectation", "basis_tag", "expect_sw"]

STAND_IN = "(stand-in)（替代值）"


def basis_tag(profile: Profile, reference: str) -> str:
    """The provenance tag of one basis reference (the weakest of its fields)."""
    if reference in profile.prov:
        return profile.prov[reference].weakest
    if reference == "security.lifecycle":
        return profile.security.lifecycle_prov.weakest
    head, _, name = reference.partition(".")
    if head == "behaviour" and name in profile.behaviour.choices():
        return profile.behaviour.choices()[name].prov.weakest
    known = ", ".join([*profile.prov, "security.lifecycle", *(f"behaviour.{n}" for n in profile.behaviour.choices())])
    raise KeyError(f"no basis {reference!r} in profile {profile.name}; known: {known}")


@dataclass(frozen=True)
class SwExpectation:
    word: StatusWord
    basis: tuple[tuple[str, str], ...]  # (profile reference, provenance tag) the choice of this word rests on

    @property
    def weakest(self) -> str:
        """The word's own tag and its basis's, weakest first (S < I < D < C)."""
        return max([self.word.prov.weakest, *(tag for _, tag in self.basis)], key=PROVENANCE_TAGS.index)

    @property
    def stand_in(self) -> bool:
        return self.weakest == "S"

    def matches(self, sw: int) -> bool:
        return self.word.matches(sw)

    @property
    def zh(self) -> str:
        """The expectation in a Chinese sentence: ``6981（命令与文件结构不相容）``, with
        ``（替代值，依据 check_order [S]）`` when it rests on a stand-in (`__str__` is the English)."""
        if not self.stand_in:
            return self.word.label
        rests = ", ".join(f"{ref} [{tag}]" for ref, tag in self.basis)
        return f"{self.word.label}（替代值，依据 {rests}）"

    def __str__(self) -> str:
        text = f"{self.word.pattern} ({self.word.name}: {self.word.en})"
        if not self.stand_in:
            return text
        rests = ", ".join(f"{ref} [{tag}]" for ref, tag in self.basis)
        return f"{text} {STAND_IN}: rests on {rests}"


def expect_sw(profile: Profile, name: str, *basis: str) -> SwExpectation:
    """Status word `name` of `profile`, expected because of the profile values `basis` names."""
    return SwExpectation(profile.sw[name], tuple((ref, basis_tag(profile, ref)) for ref in basis))
