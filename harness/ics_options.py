"""Which test cases each ICS option decides, and the decision for one case.

PROFILE allows more than one conforming card in a few places; the vendor's ICS
(`harness.ics`) says which one its card is. An option *decides* a case when the case checks
something only a card with that option has (the firewall needs a PSE; the DF80 rows of the access
matrix need the local extension) or needs the declared value to know what to expect:

- declared and present (or the declared values cover what the case needs): the case runs;
- declared absent (or the declared values leave out what the case needs): ``not-applicable``;
- not declared at all: ``not-run`` with the reason "ICS does not declare …" — never guessed from
  the card's answers.

A case is matched to an option by its requirement tags and by the file paths its example row names
(the generated access matrix has one row per file), so no feature file needs to change for it.
Options that decide no case (`fci_proprietary`: the FCI checks accept proprietary elements either
way, `checks.standards.fci`; `product`: the identifiers are shown beside the ATR the card gave;
`generation`: chooses the profile of a plan made without a card) are still listed in the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from harness.ics import Ics
from harness.ics_schema import IcsFile
from harness.results import NOT_APPLICABLE
from ssc.profile.model import Profile

__all__ = ["ABSENT", "APPLIES", "UNDECLARED", "Decision", "IcsOption", "decide", "options_of"]

APPLIES, ABSENT, UNDECLARED = "applies", "not-applicable", "not-run"


@dataclass(frozen=True)
class Decision:
    """What the ICS says about one case: `outcome` APPLIES / ABSENT / UNDECLARED, and why."""

    outcome: str
    reason: str
    option: str


# (ICS, profile) -> (present?, what the ICS declares, in words)
Judge = Callable[[IcsFile, Profile], tuple[bool, str]]


@dataclass(frozen=True)
class IcsOption:
    """One option of the ICS: its field, its title, the PROFILE clause that allows the choice,
    and the cases it decides (by requirement, by file path in the example row)."""

    field: str
    zh: str
    en: str
    clause: str
    requirements: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    judge: Judge | None = None  # None: the option decides no case


def _flag(name: str, what: str) -> Judge:
    def judge(ics: IcsFile, profile: Profile) -> tuple[bool, str]:
        present = bool(getattr(ics, name))
        return present, f"{what} {'present' if present else 'absent'}"

    return judge


def _df_present(path: str) -> Judge:
    def judge(ics: IcsFile, profile: Profile) -> tuple[bool, str]:
        present = path in (ics.optional_dfs or [])
        return present, f"optional DF {path} {'present' if present else 'absent'}"

    return judge


def _covers(name: str, needed: Callable[[Profile], Iterable[int]], fmt: str) -> Judge:
    def judge(ics: IcsFile, profile: Profile) -> tuple[bool, str]:
        declared, want = set(getattr(ics, name) or ()), set(needed(profile))
        missing = sorted(want - declared)
        shown = ", ".join(fmt.format(v) for v in sorted(declared))
        if missing:
            return False, f"{name} {shown} only; the case needs {', '.join(fmt.format(v) for v in missing)} too"
        return True, f"{name} {shown}"

    return judge


def _declared(name: str) -> Judge:
    def judge(ics: IcsFile, profile: Profile) -> tuple[bool, str]:
        return True, f"{name} declared"

    return judge


def _challenge_lengths(profile: Profile) -> Iterable[int]:
    lengths = profile.commands["get_challenge"].params.get("le", ())
    return tuple(int(n) for n in lengths) if isinstance(lengths, (tuple, list)) else ()


def _key_versions(profile: Profile) -> Iterable[int]:
    return tuple(profile.security.key_defaults.versions)


_STATIC = (
    IcsOption("generation", "卡片代别", "card generation", "PROFILE §1"),
    IcsOption("product", "芯片厂商、COS 与卡厂商标识", "chip maker, COS and card maker identifiers", "PROFILE §2"),
    IcsOption(
        "pse",
        "金融应用（PSE）",
        "financial application (PSE) beside SSSE",
        "PROFILE §1, §3, §6.5",
        requirements=("SEC-FW-1",),
        paths=("PSE",),
        judge=_flag("pse", "financial application (PSE)"),
    ),
    IcsOption(
        "pin",
        "PIN 长度与尝试次数",
        "PIN length and tries",
        "PROFILE §5 (VERIFY), §6.2",
        requirements=("SEC-PIN-1",),
        judge=_declared("PIN length and tries"),
    ),
    IcsOption("fci_proprietary", "FCI 专有扩展", "proprietary FCI elements", "PROFILE §3 (FCI layout S)"),
    IcsOption(
        "key_versions",
        "已装载的密钥版本",
        "key versions loaded",
        "PROFILE §6.1",
        requirements=("SEC-KEY-2",),
        judge=_covers("key_versions", _key_versions, "{:02X}"),
    ),
    IcsOption(
        "challenge_lengths",
        "支持的随机数长度",
        "supported GET CHALLENGE lengths",
        "PROFILE §5 (GET CHALLENGE)",
        requirements=("STD-CMD-3",),
        judge=_covers("challenge_lengths", _challenge_lengths, "{}"),
    ),
)


_OPTIONS_OF: dict[int, tuple[Profile, tuple[IcsOption, ...]]] = {}  # id(profile) → (profile, options): a run asks per case


def options_of(profile: Profile) -> tuple[IcsOption, ...]:
    """Every option for `profile`: the fixed ones plus one per optional and local DF it declares."""
    known = _OPTIONS_OF.get(id(profile))
    if known is not None and known[0] is profile:
        return known[1]
    options = _options_of(profile)
    _OPTIONS_OF[id(profile)] = (profile, options)
    return options


def _options_of(profile: Profile) -> tuple[IcsOption, ...]:
    dfs: list[IcsOption] = []
    for f in profile.files.values():
        if not f.is_df:
            continue
        if f.presence == "optional":
            dfs.append(
                IcsOption(
                    "optional_dfs",
                    f"可选 DF {f.path}",
                    f"optional DF {f.path}",
                    "PROFILE §3",
                    paths=(f.path,),
                    judge=_df_present(f.path),
                )
            )
        elif f.presence == "local":
            dfs.append(
                IcsOption(
                    "local_extension",
                    f"地区扩充文件 {f.path}",
                    f"local extension files {f.path}",
                    "PROFILE §3, §3.3",
                    requirements=("INT-XR-5",),
                    paths=(f.path,),
                    judge=_flag("local_extension", f"local extension {f.path}"),
                )
            )
    return _STATIC + tuple(dfs)


def _names_path(values: Iterable[str], prefix: str) -> bool:
    return any(v == prefix or v.startswith(prefix + "/") for v in values)


def _matches(option: IcsOption, tags: Iterable[str], params: Mapping[str, object]) -> bool:
    if option.judge is None:
        return False
    if set(option.requirements) & set(tags):
        return True
    values = [str(v).strip() for v in params.values()]
    return any(_names_path(values, p) for p in option.paths)


def decide(ics: Ics | None, profile: Profile, tags: Iterable[str], params: Mapping[str, object]) -> Decision | None:
    """The ICS's decision for a case with `tags` and example-row `params`: None when no option
    decides it; else the first option that keeps it from running (not declared, or declared
    absent), or APPLIES."""
    tags = list(tags)
    decisions: list[Decision] = []
    for option in options_of(profile):
        if not _matches(option, tags, params):
            continue
        assert option.judge is not None
        value = getattr(ics.doc, option.field) if ics is not None else None
        if value is None:
            given = f"{ics.source} has no {option.field!r}" if ics is not None else "no ICS given (--ics)"
            decisions.append(Decision(UNDECLARED, f"ICS does not declare {option.en} ({given})", option.field))
            continue
        present, said = option.judge(ics.doc, profile)  # type: ignore[union-attr]  # value is not None: ics is set
        where = ics.source if ics is not None else "ICS"
        if present:
            decisions.append(Decision(APPLIES, f"{where} declares {said}", option.field))
        else:
            decisions.append(Decision(ABSENT, f"{NOT_APPLICABLE}{where} declares {said}", option.field))
    if not decisions:
        return None
    for outcome in (ABSENT, UNDECLARED):
        for d in decisions:
            if d.outcome == outcome:
                return d
    return decisions[0]
