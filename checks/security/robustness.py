"""SEC-ROB-1: malformed and random APDUs get a defined status word in time, and never protected data.

`protected_content` first reads every protected file the terminal can open (the right gained, the
content kept, the right dropped again by a reset), so the battery knows what must never come back
without it; values that also appear in freely readable files are left out (seeing them proves
nothing). `run_battery` then sends the probes of `checks.security.robustness_plan` as raw bytes
through the card's transport — below the T=0 policy, so a 61xx or 6Cxx is judged as sent — and
judges each answer:

- no answer within the run's per-APDU deadline, or an answer without a status word: a finding;
  the card is reset (waiting for it as after a removal) and the battery goes on;
- a status word that is not in the profile's table (PROFILE §5, ISO/IEC 7816-4): a finding;
- an undefined or malformed APDU (`REFUSED`) answered 9000 or 61xx: a finding;
- an APDU shorter than its header (`NO_DATA`) answered with data or a success: a finding;
- any answer whose data contains protected content: a finding (a leak).

Tens of thousands of exchanges would bloat the evidence, so the battery runs with the trace
recorder summarizing (`TraceRecorder.summarized`): the result keeps an INS × outcome table, the
counts per phase and the failing APDUs (the first `MAX_FINDINGS` of them) instead.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from checks.security.robustness_plan import NO_DATA, REFUSED, Probe
from ssc.profile.model import Profile
from terminal.grants import GrantError, grant, terminal_can_grant
from terminal.psam_client import PsamClient
from terminal.session import CardSession, OperationError
from terminal.transports.base import CardUnavailableError, TransportError
from terminal.transports.tryguard import TryGuardRefusal

__all__ = ["BatteryReport", "Finding", "outcome_of", "protected_content", "protected_files", "run_battery"]

MAX_FINDINGS = 50  # failing APDUs kept in the report (all are counted)
MIN_SECRET = 4  # bytes: shorter values (or one byte repeated) could turn up in any answer by chance
NO_ANSWER = "no answer"
NO_SW = "no status word"
ERROR = "transport error"
NOT_CARRIED = "not carried by the reader"
CASE2_LENGTH = 5  # header ‖ Le


@dataclass(frozen=True)
class Finding:
    phase: str
    apdu: str  # hex
    answer: str  # hex, or what happened instead of an answer
    problem: str


@dataclass
class BatteryReport:
    sent: int = 0
    seconds: float = 0.0
    by_ins: dict[str, Counter[str]] = field(default_factory=dict)
    by_phase: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    protected_values: int = 0
    stopped: str | None = None  # why the battery ended early (the card did not come back)

    def add(self, finding: Finding) -> None:
        self.problems[finding.problem] += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)

    @property
    def failed(self) -> int:
        return sum(self.problems.values())

    def summary(self) -> dict[str, Any]:
        """The JSON form kept in results.json instead of the exchanges."""
        return {
            "kind": "robustness",
            "apdus": self.sent,
            "seconds": round(self.seconds, 3),
            "protected_values": self.protected_values,
            "phases": self.by_phase,
            "ins_outcomes": {ins: dict(sorted(c.items())) for ins, c in sorted(self.by_ins.items())},
            "problems": dict(self.problems),
            "failing_apdus": [f.__dict__ for f in self.findings],
            "stopped": self.stopped,
        }

    def message(self) -> str:
        """What went wrong, Chinese first (`problem_zh`), then the English, then the first failing APDUs."""
        head_zh = "；".join(f"{n} 条{problem_zh(p)}" for p, n in self.problems.most_common())
        head = "; ".join(f"{n}× {p}" for p, n in self.problems.most_common())
        shown = " | ".join(f"[{f.phase}] {f.apdu} → {f.answer}: {f.problem}" for f in self.findings[:8])
        tail_zh = f"（卡停止应答：{self.stopped}）" if self.stopped else ""
        tail = f" (the card stopped answering: {self.stopped})" if self.stopped else ""
        return (
            f"{self.sent} 条指令中 {self.failed} 条应答不当：{head_zh}{tail_zh} / "
            f"{self.failed} of {self.sent} APDUs answered wrongly: {head}{tail}；前几条 first：{shown}"
        )


# The Chinese of each kind of finding (the English texts are the keys of `BatteryReport.problems`
# in results.json and stay as they are; a transport error's key carries the exception's name).
PROBLEM_ZH = {
    NO_ANSWER: "无应答",
    ERROR: "传输错误",
    "answered without a status word": "应答不含状态字",
    "a status word the profile does not define": "返回规范状态字表以外的状态字",
    "an undefined or malformed APDU was accepted": "未定义或格式错误的指令被接受",
    "an APDU shorter than its header was answered with data or success": "短于命令头的指令得到数据或成功状态字",
    "protected data returned without the right": "未取得权限却返回了受保护的数据",
}


def problem_zh(problem: str) -> str:
    """The Chinese of a finding's kind (``no answer: CardUnavailableError`` → ``无应答``)."""
    return next((zh for key, zh in PROBLEM_ZH.items() if problem.startswith(key)), problem)


def outcome_of(profile: Profile, response: bytes) -> str:
    """The table column of an answer: its status word (61xx, 6Cxx, 63Cx folded), or why it has none."""
    if len(response) < 2:
        return NO_SW
    sw = response[-2] << 8 | response[-1]
    word = profile.sw.describe(sw)
    if word is None:
        return f"{sw:04X}?"
    return word.pattern if "X" in word.pattern else f"{sw:04X}"


def protected_files(profile: Profile) -> list[str]:
    """EFs whose read rule needs a right this terminal can obtain (the PIN, a key of the SSSE PSAM)."""
    out = []
    for f in profile.efs():
        rule = f.rule("read")
        if rule is None or rule.is_free or rule.is_never or not terminal_can_grant(profile, f.path, "read"):
            continue
        if f.is_record_file or f.size is not None:
            out.append(f.path)
    return out


def _free_files(profile: Profile) -> list[str]:
    return [f.path for f in profile.efs() if (r := f.rule("read")) is not None and r.is_free and not profile.behind_firewall(f.path)]


def _read_all(card: CardSession, path: str) -> list[bytes]:
    f = card.profile.file(path)
    out = []
    if f.is_record_file:
        for rec in f.records:
            r = card.read_record(path, number=rec.number, check=False)
            if r.ok:
                out.append(r.data[2:] if len(r.data) > 2 else r.data)
    else:
        assert f.size is not None
        r = card.read_binary(path, 0, min(f.size, card.profile.t0_max_response), check=False)
        if r.ok:
            out.append(r.data)
    return out


def _secret(value: bytes) -> bool:
    return len(value) >= MIN_SECRET and len(set(value)) > 1


def protected_content(card: CardSession, psam: PsamClient, pin: str, paths: Sequence[str]) -> list[bytes]:
    """What the protected files hold, read with their right (then dropped by a reset), minus what
    the free files also show. A file whose right the card refuses is left out (other SEC-AC
    requirements judge that)."""
    values: set[bytes] = set()
    for path in paths:
        card.reset()
        try:
            grant(card, path, "read", psam, pin)
        except (OperationError, GrantError):
            continue
        values.update(v for v in _read_all(card, path) if _secret(v))
    card.reset()
    free = b"\x00".join(v for path in _free_files(card.profile) for v in _read_all(card, path))
    card.reset()
    return sorted(v for v in values if v not in free)


def _sw(response: bytes) -> int:
    return response[-2] << 8 | response[-1] if len(response) >= 2 else -1


def _judge(profile: Profile, probe: Probe, response: bytes, secrets: Sequence[bytes]) -> str | None:
    if len(response) < 2:
        return "answered without a status word"
    sw = response[-2] << 8 | response[-1]
    if not profile.sw.is_listed(sw):
        return "a status word the profile does not define"
    data = response[:-2]
    success = sw == profile.sw.ok or profile.sw["more_data"].matches(sw)
    if probe.rule == REFUSED and success:
        return "an undefined or malformed APDU was accepted"
    if probe.rule == NO_DATA and (data or success):
        return "an APDU shorter than its header was answered with data or success"
    if data and any(s in data for s in secrets):
        return "protected data returned without the right"
    return None


def run_battery(
    card: CardSession, probes: Iterable[Probe], secrets: Sequence[bytes], counts: dict[str, dict[str, int]], *, budget: int
) -> BatteryReport:
    """Send the probes (T=0 re-issues included, at most `budget` APDUs); see the module docstring
    for how answers are judged. A probe the try guard will not send (it could block the PIN or a
    key) is counted under "not sent"."""
    profile = card.profile
    transport = card.terminal.transport
    report = BatteryReport(by_phase=counts, protected_values=len(secrets))
    wrong_le = profile.sw["wrong_le"]
    where: str | None = None
    start = time.perf_counter()
    for probe in probes:
        if report.sent >= budget:
            break
        if probe.df is not None and probe.df != where:
            card.reset()
            card.select_path(probe.df, check=False)
            where = probe.df
        elif probe.df is None and where is not None:
            where = None
        report.sent += 1
        ins = f"{probe.ins:02X}" if probe.ins is not None else "--"
        try:
            response = transport.transmit(probe.apdu)
        except TryGuardRefusal:
            report.sent -= 1
            report.by_ins.setdefault(ins, Counter())["not sent (try guard)"] += 1
            continue
        except TransportError as exc:
            if probe.rule == NO_DATA and not isinstance(exc, CardUnavailableError):
                # the reader (its driver, pcscd) would not carry an APDU shorter than a header: not the card's doing
                report.by_ins.setdefault(ins, Counter())[NOT_CARRIED] += 1
                continue
            outcome = NO_ANSWER if isinstance(exc, CardUnavailableError) else ERROR
            report.by_ins.setdefault(ins, Counter())[outcome] += 1
            report.add(Finding(probe.phase, probe.apdu.hex().upper(), f"({exc})", f"{outcome}: {type(exc).__name__}"))
            try:
                card.reset()
                where = None
            except TransportError as lost:
                report.stopped = str(lost)
                break
            continue
        report.by_ins.setdefault(ins, Counter())[outcome_of(profile, response)] += 1
        problem = _judge(profile, probe, response, secrets)
        if problem is None and len(probe.apdu) == CASE2_LENGTH and wrong_le.matches(_sw(response)):
            # as a T=0 terminal does: re-issue with the exact length the card announced
            again = probe.apdu[:-1] + response[-1:]
            report.sent += 1
            try:
                response = transport.transmit(again)
            except TransportError:
                response = b""
            problem = _judge(profile, probe, response, secrets)
            if problem is not None:
                probe = Probe(probe.phase, again, probe.rule, probe.df)
        if problem is not None:
            report.add(Finding(probe.phase, probe.apdu.hex().upper(), response.hex().upper() or "(empty)", problem))
    report.seconds = time.perf_counter() - start
    card.reset()
    return report
