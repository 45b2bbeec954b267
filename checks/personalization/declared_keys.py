"""Are a card's keys loaded for given versions and diversified for a given region? (PER-2)

An issuer declares which key versions its cards hold and which region they are issued for; the
terminal checks that by authenticating every key of the SSC application with every declared
version, its PSAM deriving each key for the declared region rather than for the region the card
reads out. Each check is a `checks.security.key_diagnosis` diagnosis, so a failure says which key, which version
and at which diversification level the card departs ("UKSSSE v02: card rejects the 3-level key;
matches root→city→province — levels applied in another order"), and no key is ever blocked by the
check itself (`reserve_tries`). After a key that matches at no level — the tries it spent are not
given back — the remaining keys are left untried rather than each spending tries the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from checks.security.key_diagnosis import NO_MATCH, KeyCheckReport, check_key
from ssc.profile.model import KeyDef, Profile
from terminal.psam_client import PsamClient
from terminal.session import CardSession

_INTERNAL = "internal"  # KeyDef.use of the internal-authentication key

__all__ = ["DeclaredKeysCheck", "check_key_versions", "keys_of_present_dfs"]


def keys_of_present_dfs(profile: Profile, present_dfs: Collection[str], *, use: str) -> list[KeyDef]:
    """Keys with `use` ("external"/"internal") in DFs that are on the card, outside firewalled DFs.

    A DF counts as present when it and every DF above it are mandatory or listed in
    `present_dfs` (the optional and local DFs the card has). Keys behind the firewall (the
    financial PSE) belong to another application and another PSAM (behaviour ``psam_key_scope``).
    """
    present = set(present_dfs)

    def present_on_card(path: str | None) -> bool:
        while path is not None:
            f = profile.file(path)
            if f.is_df and f.presence != "mandatory" and f.path not in present:
                return False
            path = f.parent
        return True

    return [k for k in profile.keys() if k.use == use and not profile.behind_firewall(k.df) and present_on_card(k.df)]


@dataclass(frozen=True)
class DeclaredKeysCheck:
    """The outcome of checking keys × versions: a report per key version tried, and the key
    versions left untried after a key no diversification level matched (`stopped_at`)."""

    reports: tuple[KeyCheckReport, ...]
    not_tried: tuple[tuple[str, int], ...] = ()
    stopped_at: KeyCheckReport | None = None

    @property
    def failures(self) -> list[KeyCheckReport]:
        return [r for r in self.reports if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.not_tried


def _spent_tries(report: KeyCheckReport) -> bool:
    """True when a check left the key with fewer tries: some attempt failed and none matched (a
    match restores the counter, PROFILE §6.5)."""
    return report.matched is None and any(t.outcome == NO_MATCH for t in report.trials)


def check_key_versions(
    session: CardSession,
    psam: PsamClient,
    keys: Sequence[KeyDef],
    versions: Sequence[int],
    *,
    reserve_tries: int = 1,
) -> DeclaredKeysCheck:
    """One `check_key` per key and version, in profile order (keys of one DF together, so the DF
    is selected once). The region of `session` (its ``region=`` override) sets the city and
    province factors. A passing key costs one authentication and no try; a failing one is
    diagnosed with the tries it has left above `reserve_tries`. When no level matches a key, the
    card (or the declaration) is wrong in a way that would cost every further key a try or two,
    so the check stops there and names the key versions it did not try."""
    pairs = [(key, version) for key in keys for version in versions]
    reports: list[KeyCheckReport] = []
    for i, (key, version) in enumerate(pairs):
        report = check_key(session, psam, key.name, version, reserve_tries=reserve_tries)
        reports.append(report)
        if key.use != _INTERNAL and _spent_tries(report):  # INTERNAL AUTHENTICATE spends no try
            rest = tuple((k.name, v) for k, v in pairs[i + 1 :])
            return DeclaredKeysCheck(tuple(reports), rest, report if rest else None)
    return DeclaredKeysCheck(tuple(reports))
