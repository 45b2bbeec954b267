"""Which key, and which diversification level, does a card not share with our key set?

When a card rejects authentication, "6300" helps nobody. This helper re-derives the key with every
ordered selection of the diversification levels (levels swapped, card level missing, province
only, root only, ...) through the PSAM and finds the one the card accepts, so a report can say "UKSSSE v01: card rejects the 3-level
key; matches root→province→city — card level missing" or "not matched at any level — keys not
from this key set".

- The internal-authentication key is checked without risk: one INTERNAL AUTHENTICATE, then the
  PSAM computes the expected answer for every candidate.
- External keys can only be checked by trying them, and every wrong try costs the card a try
  (PROFILE §6.1). The helper reads the tries left from each 63Cx and stops while `reserve_tries`
  are still left, so it never blocks a key by itself; the report says which levels were not tried.

Deriving with fewer levels than the profile's needs a PSAM that allows it (the software PSAM does,
behaviour ``psam_derive_levels``); a PSAM that refuses yields "PSAM refused" for that candidate.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

from checks.wording import bilingual, sw_zh
from ssc.profile.model import KeyDef
from terminal.psam_client import PsamClient, PsamError
from terminal.session import CardSession
from terminal.transports.tryguard import TryGuardRefusal

__all__ = ["KeyCheckReport", "KeySurvey", "LevelTrial", "check_key", "survey_keys"]

MATCH = "match"
NO_MATCH = "no match"
NOT_TRIED = "not tried"
PSAM_REFUSED = "PSAM refused"
CARD_REFUSED = "card refused"
_OUTCOME_ZH = {PSAM_REFUSED: "PSAM 拒绝", CARD_REFUSED: "卡片拒绝"}
_LEVEL_ZH = {"root": "根密钥", "province": "省", "city": "市", "card": "卡片"}  # features/interop: 按省、市、卡三级分散


def _path_zh(levels: tuple[str, ...]) -> str:
    return "→".join(_LEVEL_ZH.get(lvl, lvl) for lvl in ("root", *levels))


@dataclass(frozen=True)
class LevelTrial:
    levels: tuple[str, ...]  # the diversification levels applied, root first ("root" alone: none)
    outcome: str  # MATCH, NO_MATCH, NOT_TRIED, PSAM_REFUSED or CARD_REFUSED
    detail: str = ""
    detail_zh: str = ""  # `detail` in Chinese (the summary is worded Chinese first)

    @property
    def path(self) -> str:
        return "→".join(("root",) + self.levels)


@dataclass(frozen=True)
class KeyCheckReport:
    key: str
    version: int
    all_levels: tuple[str, ...]
    trials: tuple[LevelTrial, ...]

    @property
    def matched(self) -> LevelTrial | None:
        return next((t for t in self.trials if t.outcome == MATCH), None)

    @property
    def ok(self) -> bool:
        """The card holds the key exactly as the profile's diversification says."""
        m = self.matched
        return m is not None and m.levels == self.all_levels

    @property
    def summary(self) -> str:
        """The diagnosis in one line, Chinese first (``<中文> / <English>``)."""
        zh, en = self._summary_zh(), self._summary_en()
        return bilingual(zh, en)

    def _summary_zh(self) -> str:
        head = f"{self.key} v{self.version:02X}"
        full = f"{len(self.all_levels)} 级分散的密钥（{_path_zh(self.all_levels)}）"
        m = self.matched
        if m is not None and m.levels == self.all_levels:
            return f"{head}：卡片接受 {full}"
        first = self.trials[0] if self.trials else None
        if first is not None and first.outcome in (PSAM_REFUSED, CARD_REFUSED):
            return f"{head}：无法检查 {full}：{_OUTCOME_ZH[first.outcome]}：{first.detail_zh or first.detail}"
        text = f"{head}：卡片不接受 {full}"
        if m is not None:
            missing = [_LEVEL_ZH.get(lvl, lvl) for lvl in self.all_levels if lvl not in m.levels]
            present = [lvl for lvl in self.all_levels if lvl in m.levels]
            what = []
            if missing:
                what.append(f"缺少{'、'.join(missing)}级分散")
            if list(m.levels) != present:
                what.append("各级分散的顺序不同")
            return f"{text}；与 {_path_zh(m.levels)} 一致——{'；'.join(what)}"
        untried = [_path_zh(t.levels) for t in self.trials if t.outcome in (NOT_TRIED, PSAM_REFUSED)]
        if not untried:
            return f"{text}；任何分散层级均不一致——密钥不属于本密钥体系"
        return f"{text}；已尝试的分散层级均不一致；未尝试：{'、'.join(untried)}"

    def _summary_en(self) -> str:
        head = f"{self.key} v{self.version:02X}"
        n = len(self.all_levels)
        full = f"the {n}-level key ({'→'.join(('root',) + self.all_levels)})"
        m = self.matched
        if m is not None and m.levels == self.all_levels:
            return f"{head}: card accepts {full}"
        first = self.trials[0] if self.trials else None
        if first is not None and first.outcome in (PSAM_REFUSED, CARD_REFUSED):
            return f"{head}: could not check {full}: {first.outcome}: {first.detail}"
        text = f"{head}: card rejects {full}"
        if m is not None:
            missing = [lvl for lvl in self.all_levels if lvl not in m.levels]
            present = [lvl for lvl in self.all_levels if lvl in m.levels]
            what = []
            if missing:
                what.append(f"{', '.join(missing)} level{'s' if len(missing) > 1 else ''} missing")
            if list(m.levels) != present:
                what.append("levels applied in another order")
            return f"{text}; matches {m.path} — {'; '.join(what)}"
        untried = [t.path for t in self.trials if t.outcome in (NOT_TRIED, PSAM_REFUSED)]
        if not untried:
            return f"{text}; not matched at any level — keys not from this key set"
        return f"{text}; not matched at the levels tried; not tried: {', '.join(untried)}"


def _inversions(candidate: tuple[str, ...], levels: tuple[str, ...]) -> int:
    idx = [levels.index(x) for x in candidate]
    return sum(1 for i in range(len(idx)) for j in range(i + 1, len(idx)) if idx[i] > idx[j])


def _candidates(levels: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every ordered selection of the levels, most likely mistakes first (external keys can only
    afford a few tries): the profile's own order; two neighbouring levels swapped (province ↔
    city); a shorter chain from the root (card level missing, ...); other subsets in order;
    everything else."""

    def rank(c: tuple[str, ...]) -> tuple[int, ...]:
        idx = [levels.index(x) for x in c]
        if c == levels:
            return (0,)
        if len(c) == len(levels) and _inversions(c, levels) == 1:
            return (1, next(i for i in range(len(idx) - 1) if idx[i] > idx[i + 1]))
        if c == levels[: len(c)]:
            return (2, -len(c))
        if idx == sorted(idx):
            return (3, -len(c), *idx)
        return (4, -len(c), _inversions(c, levels), *idx)

    return sorted((p for n in range(len(levels), -1, -1) for p in itertools.permutations(levels, n)), key=rank)


def check_key(session: CardSession, psam: PsamClient, key_name: str, version: int = 0, *, reserve_tries: int = 1) -> KeyCheckReport:
    """Diagnose `key_name`/`version` on the card in `session` with the key set behind `psam`."""
    profile = session.profile
    key = profile.key(key_name)
    div = profile.security.diversification
    levels = tuple(div.levels if key.level == "national" else div.local_levels)
    by_level = dict(zip(levels, session.factors(key)))
    candidates = _candidates(levels)
    if key.use == "internal":
        trials = _check_internal(session, psam, key, version, candidates, by_level)
    else:
        trials = _check_external(session, psam, key, version, candidates, by_level, reserve_tries)
    return KeyCheckReport(key.name, version, levels, tuple(trials))


def _check_internal(
    session: CardSession, psam: PsamClient, key: KeyDef, version: int, candidates: list[tuple[str, ...]], by_level: dict[str, bytes]
) -> list[LevelTrial]:
    half = session.profile.command("internal_authenticate").byte("lc") // 2
    f, d = os.urandom(half), os.urandom(half)
    response = session.internal_authenticate(f, d, version, check=False)
    if not response.ok:
        return [LevelTrial(candidates[0], CARD_REFUSED, response.describe(), sw_zh(response))]
    trials = []
    for levels in candidates:
        try:
            psam.select_for(session.algorithm)
            psam.derive("internal_auth", key, version, [by_level[lvl] for lvl in levels])
            expected = psam.process(f, d)
        except PsamError as exc:
            trials.append(LevelTrial(levels, PSAM_REFUSED, str(exc)))
            continue
        trials.append(LevelTrial(levels, MATCH if expected == response.data else NO_MATCH))
    return trials


def _check_external(
    session: CardSession,
    psam: PsamClient,
    key: KeyDef,
    version: int,
    candidates: list[tuple[str, ...]],
    by_level: dict[str, bytes],
    reserve: int,
) -> list[LevelTrial]:
    failed = session.profile.sw["verification_failed"]
    trials: list[LevelTrial] = []
    stop: str | None = None
    for levels in candidates:
        if stop is not None:
            trials.append(LevelTrial(levels, NOT_TRIED, stop))
            continue
        try:
            response = session.external_authenticate_with_factors(key, version, psam, [by_level[lvl] for lvl in levels], check=False)
        except PsamError as exc:
            trials.append(LevelTrial(levels, PSAM_REFUSED, str(exc)))
            continue
        if response.ok:
            trials.append(LevelTrial(levels, MATCH))
            stop = "a level matched"
        elif failed.matches(response.sw):
            left = response.sw & failed.variable_mask
            trials.append(LevelTrial(levels, NO_MATCH, f"{left} tries left", f"还剩 {left} 次尝试机会"))
            if left <= reserve:
                stop = f"only {left} tries left (reserve {reserve})"
        else:
            trials.append(LevelTrial(levels, CARD_REFUSED, response.describe(), sw_zh(response)))
            stop = f"card refused: {response.describe()}"
    return trials


@dataclass(frozen=True)
class KeySurvey:
    """`check_key` over several keys: the reports of the keys that could be checked, and the keys
    the try guard kept the check from (their remaining tries were too few to risk another try)."""

    reports: list[KeyCheckReport]
    not_checked: list[tuple[str, str]]  # (key name, why)


def survey_keys(session: CardSession, psam: PsamClient, key_names: list[str], version: int = 0) -> KeySurvey:
    """Check each key in turn; a key the try guard will not risk is recorded, not fatal, so a wrong
    key found before it is still reported as a finding (a definite failure outranks an unchecked key)."""
    reports: list[KeyCheckReport] = []
    not_checked: list[tuple[str, str]] = []
    for name in key_names:
        try:
            reports.append(check_key(session, psam, name, version))
        except TryGuardRefusal as exc:
            not_checked.append((name, str(exc)))
    return KeySurvey(reports, not_checked)
