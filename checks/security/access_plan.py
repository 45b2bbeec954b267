"""The access-control test plan, generated from a profile's access rules (PROFILE §3.3).

For every protected file and right (read / update / append) the plan lists the minimal condition
sets that must open it and the near misses that must not: another key of the same DF, the PIN alone
for an "and" rule, the other right's key, a key after a DF change or a reset, the PIN after leaving
the application, ... Each `AccessCase` names the requirements (SEC-AC-*) it checks and the
generations it applies to, so the suite's scenarios follow the profile instead of being hand-written.

The expected outcome of a case comes from `expected_outcome`: a deliberately small, host-side model
of the security state of §3.3 (which DF is current, PIN state, authenticated keys) and of the rule
grammar. It shares no code with a card model, so a card that enforces a rule wrongly disagrees with
it. Conditions are written in a compact notation that also appears in the Gherkin tables
(`format_conditions` / `parse_conditions`): ``PIN → AUTH RK1DF04``, ``AUTH UK1DF01 → 复位``, ``无``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ssc.profile.access import AccessRule, Auth, Pin, Sm, Term
from ssc.profile.model import FileDef, KeyDef, Profile, StatusWords

__all__ = [
    "AccessCase",
    "Condition",
    "Outcome",
    "PlanSkip",
    "RIGHTS",
    "build_plan",
    "expected_outcome",
    "format_conditions",
    "grant_conditions",
    "other_df",
    "parse_conditions",
    "plan_for_profiles",
    "skipped_rights",
]

RIGHTS = ("read", "update", "append")
RIGHT_LABELS = {"read": "读", "update": "更新", "append": "追加"}
_RIGHT_BY_LABEL = {v: k for k, v in RIGHT_LABELS.items()}

# Condition kinds and their wording in the Gherkin tables (features/GLOSSARY.md): what a lab's
# operator does, in order, joined with "，然后".
PIN, AUTH, SM, DF_CHANGE, RESET, SELECT_MF = "pin", "auth", "sm", "df_change", "reset", "select_mf"
_EVENT_LABELS = {DF_CHANGE: "切换 DF", RESET: "复位", SELECT_MF: "选择 MF"}
_EVENT_BY_LABEL = {v: k for k, v in _EVENT_LABELS.items()}
_PIN_LABEL = "校验 PIN"
_AUTH_LABEL = re.compile(r"^外部认证 (?P<key>\S+)$")
_SM_LABEL = re.compile(r"^命令带 (?P<key>\S+) 的 MAC$")
NO_CONDITION = "无"
SEPARATOR = "，然后"

OPEN = "ok"  # status-word name of an access that opens
REFUSED = "security_not_satisfied"  # PROFILE §5: 6982
BAD_MAC = "sm_data_incorrect"  # PROFILE §6.4: 6988


@dataclass(frozen=True)
class Condition:
    """One thing a terminal does before the access: verify the PIN, authenticate a key, send the
    command with a MAC under a key, change DF, reset the card, or select the MF."""

    kind: str
    key: str | None = None

    def __str__(self) -> str:
        if self.kind == PIN:
            return _PIN_LABEL
        if self.kind == AUTH:
            return f"外部认证 {self.key}"
        if self.kind == SM:
            return f"命令带 {self.key} 的 MAC"
        return _EVENT_LABELS[self.kind]

    @classmethod
    def of_term(cls, term: Term) -> Condition:
        if isinstance(term, Pin):
            return cls(PIN)
        if isinstance(term, Auth):
            return cls(AUTH, term.key)
        assert isinstance(term, Sm)
        return cls(SM, term.key)


def format_conditions(conditions: Sequence[Condition]) -> str:
    return SEPARATOR.join(str(c) for c in conditions) if conditions else NO_CONDITION


def parse_conditions(text: str) -> tuple[Condition, ...]:
    """Inverse of `format_conditions`; ValueError names the part it cannot read."""
    text = text.strip()
    if text == NO_CONDITION:
        return ()
    out = []
    for part in (p.strip() for p in text.split(SEPARATOR)):
        if part == _PIN_LABEL:
            out.append(Condition(PIN))
        elif m := _AUTH_LABEL.match(part):
            out.append(Condition(AUTH, m["key"]))
        elif m := _SM_LABEL.match(part):
            out.append(Condition(SM, m["key"]))
        elif part in _EVENT_BY_LABEL:
            out.append(Condition(_EVENT_BY_LABEL[part]))
        else:
            known = "、".join([_PIN_LABEL, "外部认证 <密钥>", "命令带 <密钥> 的 MAC", *_EVENT_BY_LABEL, NO_CONDITION])
            raise ValueError(f"无法识别访问条件 {part!r}（{text!r}）；可用：{known} / cannot read access condition {part!r}")
    return tuple(out)


def right_label(right: str) -> str:
    return RIGHT_LABELS[right]


def right_of_label(label: str) -> str:
    try:
        return _RIGHT_BY_LABEL[label]
    except KeyError:
        raise ValueError(f"unknown right {label!r}; expected one of {', '.join(_RIGHT_BY_LABEL)}") from None


@dataclass(frozen=True)
class Outcome:
    """What the card must answer: `status` is a status-word name of the profile (``ok`` = opens)."""

    status: str

    @property
    def opens(self) -> bool:
        return self.status == OPEN

    def label(self, words: StatusWords) -> str:
        """``允许``, or ``拒绝，6982（不满足安全状态）``: the status word as a lab writes it."""
        return "允许" if self.opens else f"拒绝，{words[self.status].label}"

    @classmethod
    def of_label(cls, label: str, words: StatusWords) -> Outcome:
        label = label.strip()
        if label == "允许":
            return cls(OPEN)
        head, _, status = label.partition("，")
        word = words.of_label(status) if head == "拒绝" else None
        if word is None:
            raise ValueError(f"无法识别预期 {label!r}：应为“允许”或“拒绝，<状态字>（<名称>）” / cannot read expectation {label!r}")
        return cls(word.name)


@dataclass(frozen=True)
class AccessCase:
    file: str  # profile path of the EF
    right: str  # read, update or append
    conditions: tuple[Condition, ...]
    expect_open: bool
    requirement_ids: tuple[str, ...]  # the first one is the requirement the case belongs to
    generations: tuple[str, ...]  # profile names the case applies to
    reason: str  # why the case is in the plan (zh, shown in the scenario table)
    status: str = OPEN  # status-word name expected (``ok`` when it opens)

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.status)

    @property
    def condition_text(self) -> str:
        return format_conditions(self.conditions)

    @property
    def case_slug(self) -> str:
        """The rule-derived part of the case's test-case ID (``TC-<requirement>-<slug>``): file,
        right and conditions, so the ID survives reordered rows and reworded reasons, and changes
        only when the case itself does (e.g. ``SSSE.DF01.EF05-UPDATE-AUTH.UK1DF01+RESET``)."""
        conditions = "+".join(_condition_slug(c) for c in self.conditions) or "NONE"
        return f"{self.file.replace('/', '.')}-{self.right.upper()}-{conditions}"

    @property
    def case_id(self) -> str:
        return f"TC-{self.requirement_ids[0]}-{self.case_slug}"


def _condition_slug(condition: Condition) -> str:
    if condition.key is not None:
        return f"{condition.kind.upper()}.{condition.key}"
    return condition.kind.upper().replace("_", "")


@dataclass(frozen=True)
class PlanSkip:
    """A protected right the plan does not exercise, and why (shown in the generated feature)."""

    file: str
    right: str
    reason: str


# -- the host-side model of §3.3 ------------------------------------------------------------------


@dataclass
class _State:
    df: str | None = "MF"
    pin: bool = False
    auth: set[str] = field(default_factory=set)


def _inside(path: str | None, ancestor: str) -> bool:
    return path is not None and (path == ancestor or path.startswith(ancestor + "/"))


def other_df(profile: Profile, current: str | None) -> str:
    """A DF inside the PIN's application other than `current`: the application DF itself, or its
    first mandatory ADF when `current` is the application DF (a DF change that keeps the PIN)."""
    app = profile.security.pin.df
    if current != app:
        return app
    for f in profile.children(app):
        if f.is_df and f.presence == "mandatory":
            return f.path
    raise ValueError(f"profile {profile.name}: {app} has no mandatory ADF to change to")


def _select_df(profile: Profile, state: _State, df: str) -> None:
    if state.df != df:
        state.auth.clear()  # a different DF clears every key state (§3.3)
    if not _inside(df, profile.security.pin.df):
        state.pin = False  # leaving the PIN's application clears the PIN state
    state.df = df


def expected_outcome(profile: Profile, path: str, right: str, conditions: Sequence[Condition]) -> Outcome:
    """The answer PROFILE §3.3 requires to `right` on `path` after `conditions`, in this order."""
    rule = profile.file(path).rule(right)
    if rule is None:
        raise ValueError(f"profile {profile.name}: {path} has no {right} rule")
    state = _State()
    sm_key: str | None = None
    for c in conditions:
        if c.kind == PIN:
            if not _inside(state.df, profile.security.pin.df):
                _select_df(profile, state, profile.security.pin.df)
            state.pin = True
        elif c.kind == AUTH:
            assert c.key is not None
            _select_df(profile, state, profile.key(c.key).df)
            state.auth.add(c.key)
        elif c.kind == SM:
            sm_key = c.key
        elif c.kind == DF_CHANGE:
            _select_df(profile, state, other_df(profile, state.df))
        elif c.kind == RESET:
            state = _State(df=None)
        elif c.kind == SELECT_MF:
            _select_df(profile, state, "MF")
    _select_df(profile, state, profile.df_of(path).path)
    return Outcome(_evaluate(rule, state, sm_key))


def _evaluate(rule: AccessRule, state: _State, sm_key: str | None) -> str:
    if rule.is_free:
        return REFUSED if sm_key is not None else OPEN
    if rule.is_never:
        return REFUSED
    if sm_key is not None:
        if not rule.sm_keys:
            return REFUSED
        if sm_key not in rule.sm_keys:
            return BAD_MAC
    held = []
    for t in rule.terms:
        if isinstance(t, Pin):
            held.append(state.pin)
        elif isinstance(t, Auth):
            held.append(t.key in state.auth)
        else:
            held.append(t.key == sm_key)
    ok = any(held) if rule.kind == "or" else all(held)
    return OPEN if ok else REFUSED


# -- plan generation ------------------------------------------------------------------------------


def grant_conditions(grant: Iterable[Term], rule: AccessRule) -> tuple[Condition, ...]:
    """A minimal grant as conditions in a fixed order: PIN first, then keys in rule order."""
    order = {t: i for i, t in enumerate(rule.terms)}
    terms = sorted(grant, key=lambda t: (not isinstance(t, Pin), order.get(t, 0)))
    return tuple(Condition.of_term(t) for t in terms)


def _external_keys(profile: Profile, f: FileDef) -> list[KeyDef]:
    return [k for k in profile.df_of(f.path).keys.values() if k.use == "external"]


def skipped_rights(profile: Profile) -> list[PlanSkip]:
    """Protected rights the plan leaves out, with the reason."""
    out = []
    for f in profile.efs():
        for right in RIGHTS:
            rule = f.rule(right)
            if rule is None or rule.is_never or (rule.is_free and right == "read"):
                continue
            reason = _skip_reason(profile, f, right, rule)
            if reason:
                out.append(PlanSkip(f.path, right, reason))
            elif right == "append":
                out.append(PlanSkip(f.path, right, _APPEND_NOTE))
    return out


_APPEND_NOTE = (
    "只生成拒绝用例：允许的追加会永久增加一条记录（有效 MAC 由 SEC-SM-1 以更新记录检查）/ "
    "refusals only: an append that opens adds a record for good (SEC-SM-1 checks a valid MAC with UPDATE RECORD)"
)


def _skip_reason(profile: Profile, f: FileDef, right: str, rule: AccessRule) -> str | None:
    if profile.behind_firewall(f.path):
        return (
            "防火墙另一侧的应用：其密钥属于银行的 PSAM，不属于社会保障卡终端（防火墙由 SEC-FW-1 检查）/ "
            "firewalled application: its keys belong to the bank's PSAM, not the SSC terminal's (SEC-FW-1 checks the firewall)"
        )
    if right == "read" and f.kind == "cyclic":
        return (
            "循环文件发卡时为空：读记录先于访问规则返回 6A83（未找到记录），见规范 §5 检查顺序/ "
            "cyclic file empty at issue: READ RECORD answers 6A83 before the access rule is checked (PROFILE §5 check order)"
        )
    if right == "read" and rule.sm_keys:
        return "读规则含安全报文项：终端不发送带 MAC 的读命令 / read rule with an SM term: the terminal sends no MAC-protected READ"
    return None


def _case(profile: Profile, f: FileDef, right: str, conditions: tuple[Condition, ...], reqs: Sequence[str], reason: str) -> AccessCase:
    outcome = expected_outcome(profile, f.path, right, conditions)
    return AccessCase(f.path, right, conditions, outcome.opens, tuple(dict.fromkeys(reqs)), (profile.name,), reason, outcome.status)


def _primary(profile: Profile, peers: Sequence[Profile], f: FileDef, right: str, rule: AccessRule) -> str:
    """The requirement a (file, right) belongs to (REQUIREMENTS.md SEC-AC-1…7)."""
    if right == "read":
        for peer in peers:
            other = peer.files.get(f.path)
            other_read = other.rule("read") if other is not None else None
            if other_read is not None and other_read.is_free:
                return "SEC-AC-7"  # protected here, free in another generation (gen3 EF06, photo)
        if rule.kind == "single" and rule.needs_pin:
            return "SEC-AC-3"
    else:
        read = f.rule("read")
        if read is not None and read.is_free and rule.kind == "single":
            return "SEC-AC-1"
    if rule.kind == "or":
        return "SEC-AC-5"
    if rule.kind == "and":
        return "SEC-AC-6"
    return "SEC-AC-4"


def build_plan(profile: Profile, peers: Sequence[Profile] = ()) -> list[AccessCase]:
    """Every access case of `profile` (`peers`: other generations, to spot generation-dependent
    protection for SEC-AC-7)."""
    cases: dict[tuple[str, str, tuple[Condition, ...]], AccessCase] = {}

    def add(case: AccessCase) -> None:
        k = (case.file, case.right, case.conditions)
        if k in cases:  # one candidate reached two ways: keep the first reason, merge requirements
            old = cases[k]
            cases[k] = AccessCase(
                old.file,
                old.right,
                old.conditions,
                old.expect_open,
                tuple(dict.fromkeys(old.requirement_ids + case.requirement_ids)),
                old.generations,
                old.reason,
                old.status,
            )
        else:
            cases[k] = case

    skipped = {(s.file, s.right) for s in skipped_rights(profile) if s.reason != _APPEND_NOTE}
    for f in profile.efs():
        if "reserved" in f.flags or "dir" in f.flags or profile.behind_firewall(f.path):
            continue
        for right in RIGHTS:
            rule = f.rule(right)
            if rule is None or rule.is_never or (f.path, right) in skipped:
                continue
            if rule.is_free:
                update = f.rule("update")
                if right == "read" and update is not None and update.kind == "single" and update.keys:
                    add(_case(profile, f, right, (), ["SEC-AC-1"], "自由读"))
                continue
            for case in _rule_cases(profile, peers, f, right, rule):
                if not (case.right == "append" and case.expect_open):  # see _APPEND_NOTE
                    add(case)
    return list(cases.values())


def _rule_cases(profile: Profile, peers: Sequence[Profile], f: FileDef, right: str, rule: AccessRule) -> list[AccessCase]:
    primary = _primary(profile, peers, f, right, rule)
    out = [_case(profile, f, right, (), [primary], "无任何安全状态")]
    grants = [grant_conditions(g, rule) for g in rule.minimal_grants()]
    for g in grants:
        out.append(_case(profile, f, right, g, [primary], "满足规则的最小条件"))
    if rule.kind == "and":
        for t in rule.terms:
            out.append(_case(profile, f, right, (Condition.of_term(t),), ["SEC-AC-6"], "“与”规则只满足其一"))
    # Another key of the same DF in place of the rule's key (AUTH for AUTH terms, a MAC for SM).
    first = next((g for g in grants if any(c.kind in (AUTH, SM) for c in g)), grants[0])
    keyed = [c for c in first if c.kind in (AUTH, SM)]
    others = [k for k in _external_keys(profile, f) if k.name not in rule.keys]
    other_right = "update" if right == "read" else "read"
    other_rule = f.rule(other_right)
    other_keys = other_rule.keys if other_rule is not None else frozenset()
    if keyed:
        swap = keyed[0]
        for k in others:
            replaced = tuple(Condition(swap.kind, k.name) if c == swap else c for c in first)
            reqs = ["SEC-AC-2"] + (["SEC-AC-4"] if k.name in other_keys else [])
            out.append(_case(profile, f, right, replaced, reqs, "同一 DF 的另一密钥"))
        if swap.kind == SM:
            out.append(
                _case(
                    profile,
                    f,
                    right,
                    tuple(Condition(AUTH, swap.key) if c == swap else c for c in first),
                    [primary],
                    "外部认证不能代替 MAC",
                )
            )
    elif rule.needs_pin and rule.kind == "single":
        for k in _external_keys(profile, f):
            out.append(_case(profile, f, right, (Condition(AUTH, k.name),), ["SEC-AC-3"], "密钥不授予 PIN 读权限"))
    # The other right's grants do not open this one (read and write are separate rights).
    if other_rule is not None and not other_rule.is_free and not other_rule.is_never:
        for other_grant in other_rule.minimal_grants():
            conditions = grant_conditions(other_grant, other_rule)
            if any(c.kind == SM for c in conditions) or conditions in grants:
                continue
            case = _case(profile, f, right, conditions, ["SEC-AC-4"], "另一权限的条件")
            if not case.expect_open:
                out.append(case)
    # Security states that must be lost (SEC-AC-8), and the PIN that must survive a DF change.
    auth_grant = next((g for g in grants if any(c.kind == AUTH for c in g)), None)
    if auth_grant is not None:
        out.append(_case(profile, f, right, auth_grant + (Condition(DF_CHANGE),), ["SEC-AC-8"], "DF 切换后密钥状态失效"))
        out.append(_case(profile, f, right, auth_grant + (Condition(RESET),), ["SEC-AC-8"], "复位后密钥状态失效"))
    if rule.kind == "single" and rule.needs_pin:
        out.append(_case(profile, f, right, (Condition(PIN), Condition(RESET)), ["SEC-AC-8"], "复位后 PIN 状态失效"))
        out.append(_case(profile, f, right, (Condition(PIN), Condition(SELECT_MF)), ["SEC-AC-8"], "离开应用后 PIN 状态失效"))
        out.append(_case(profile, f, right, (Condition(PIN), Condition(DF_CHANGE)), ["SEC-AC-8"], "应用内切换 DF，PIN 状态保持"))
    return out


def plan_for_profiles(profiles: Sequence[Profile]) -> list[AccessCase]:
    """The plans of several generations merged: identical cases become one with every generation
    it applies to. Order: first appearance."""
    merged: dict[tuple[object, ...], AccessCase] = {}
    for p in profiles:
        peers = [q for q in profiles if q is not p]
        for case in build_plan(p, peers):
            k = (case.file, case.right, case.conditions, case.status, case.requirement_ids, case.reason)
            old = merged.get(k)
            merged[k] = (
                case
                if old is None
                else AccessCase(
                    old.file,
                    old.right,
                    old.conditions,
                    old.expect_open,
                    old.requirement_ids,
                    old.generations + case.generations,
                    old.reason,
                    old.status,
                )
            )
    return list(merged.values())
