"""From a run's results.json (and mutants.json) to the report's view model (`reports.view.Page`).

Results files come from runs of any age and from hand-edits, so nothing here trusts their shape:
a value of the wrong type reads as absent, a verdict outside the known set shows as "unknown".
Every value is turned into plain text here; the templates escape it when they print it, so this
module builds no HTML at all. The profile named by the run is loaded again (when it can be) for the
status-word meanings, the decoded ATR and the provenance of verdicts the results do not carry;
when it cannot, or differs from the one the run used, the page says so in a note.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from reports import view
from reports.provenance import ProvenanceReferenceError, requirement_provenance
from ssc.atr import decode_historical
from ssc.catalogue import Catalogue, load_catalogue
from ssc.profile import ProfileError, load_profile
from ssc.profile.model import Profile

__all__ = ["VERDICTS", "WORST_FIRST", "build_page", "verdict_class"]

VERDICTS = ("passed", "failed", "error", "inconclusive", "not-run", "not-applicable")  # CSS classes; anything else is "unknown"
VERDICT_TEXT = {
    "passed": "通过 pass",
    "failed": "不通过 FAIL",
    "error": "错误 ERROR",
    "inconclusive": "无结论 inconclusive",
    "not-run": "未执行 not run",
    "not-applicable": "不适用 not applicable",
}
WORST_FIRST = ("error", "failed", "unknown", "inconclusive", "not-run", "not-applicable", "passed")  # "worst verdict" of a cell
# the overall verdict (harness.plan) as a badge: its CSS class and its text
OVERALL_BADGE = {"pass": ("passed", "通过 PASS"), "fail": ("failed", "不通过 FAIL"), "incomplete": ("not-run", "未完成 INCOMPLETE")}
TAG_TEXT = {
    "C": "C 实卡代码 code seen with real cards",
    "D": "D 公开文档 public documents",
    "I": "I 推断 inferred",
    "S": "S 替代值 stand-in chosen by this project",
}
ATR_FIELDS = {
    "chip_maker": ("芯片厂商", "chip maker"),
    "cos_id": ("COS 标识", "COS id"),
    "cos_version": ("COS 版本", "COS version"),
    "capacity": ("容量", "capacity"),
    "card_maker": ("卡厂商", "card maker"),
    "serial": ("序列号", "serial"),
    "card_sn": ("卡序列号", "card SN"),
}
MISSING = "—"
PLAN_FLAGS = (("destructive", "destructive"), ("slow", "slow"), ("needs_psam", "PSAM"), ("needs_declaration", "declaration"))
YES_NO: dict[Any, str] = {True: "是 yes", False: "否 no"}  # keyed by JSON values, hence Any

# (requirement, cell of the matrix or None) pairs a grid cell summarises
CellPicker = Callable[[Any, Any], list[tuple[str, Any]]]


def build_page(results: Mapping[str, Any], mutants: Mapping[str, Any] | None, diff: Mapping[str, Any] | None = None) -> view.Page:
    """The view model of the whole report; `results` may be empty (a mutants-only or diff-only report)."""
    page = _Builder(results, mutants).page()
    return page if diff is None else dataclasses.replace(page, diff=diff_view(diff), title=text(diff.get("card") or page.title))


def diff_view(diff: Mapping[str, Any]) -> view.Diff:
    """diff.json as the report shows it: the figures, then each divergence's transcript with the
    DUT's and the model's answers side by side (as recorded: masked)."""
    budget = _d(diff.get("budget"))
    figures = [
        _field("被测卡", "card", diff.get("card") or MISSING),
        _field("配置", "profile", diff.get("profile") or MISSING),
        _field("发送 APDU", "APDUs sent", diff.get("apdus")),
        _field("序列", "sequences", diff.get("sequences")),
        _field("到达的安全状态", "states reached", diff.get("states")),
        _field("覆盖的命令", "commands covered", diff.get("commands_covered")),
        _field("预算", "budget", f"{budget.get('max_apdus') or '-'} APDUs / {budget.get('seconds') or '-'} s, seed {diff.get('seed')}"),
        _field("差异", "divergences", len(_l(diff.get("divergences")))),
    ]
    out = []
    for i, d in enumerate(_l(diff.get("divergences")), 1):
        d = _d(d)
        rows = []
        for step in _l(d.get("transcript")):
            step = _d(step)
            for dut, model in zip(_l(step.get("dut")), _l(step.get("model")), strict=False):
                dut, model = _d(dut), _d(model)
                rows.append(
                    view.DiffRow(
                        op=text(step.get("op")),
                        command=text(dut.get("command")),
                        dut=text(dut.get("response")),
                        model=text(model.get("response")),
                        differs=dut.get("response") != model.get("response"),
                    )
                )
        out.append(
            view.DiffDivergence(
                index=i,
                what=text(d.get("what")),
                requirements=_joined(d.get("requirements")),
                commands=[text(c) for c in _l(d.get("commands"))],
                script=text(d.get("script")),
                rows=rows,
            )
        )
    return view.Diff(figures=figures, divergences=out, restore_problems=[text(p) for p in _l(diff.get("restore_problems"))])


def text(value: Any) -> str:
    """A value as the page shows it: None as nothing, anything else as its str()."""
    return "" if value is None else str(value)


def verdict_class(verdict: Any) -> str:
    return verdict if verdict in VERDICTS else "unknown"


def badge(verdict: Any) -> view.Badge:
    css = verdict_class(verdict)
    return view.Badge(css=css, raw=text(verdict), text=text(VERDICT_TEXT.get(css, verdict)))


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _joined(values: Any, sep: str = ", ") -> str:
    return sep.join(map(str, _l(values)))


def _flat(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """A nested mapping flattened to dotted keys (declarations have no fixed shape)."""
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out += _flat(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list):
        return [(prefix, ", ".join(str(v) for v in value))]
    return [(prefix, value)]


def _field(zh: str, en: str, value: Any) -> view.Field:
    return view.Field(zh=zh, en=en, value=text(value))


class _Builder:
    """Reads the results once, resolves profile and provenance, and hands out each section."""

    def __init__(self, results: Mapping[str, Any], mutants: Mapping[str, Any] | None) -> None:
        self.results = results
        self.mutants = mutants
        self.run = _d(results.get("run"))
        self.dut = _d(results.get("dut"))
        self.catalogue: Catalogue = load_catalogue()
        self.notes: list[str] = []
        self.profile = self._load_profile()
        self.reviews = self._plan_reviews()
        self.requirements: dict[str, Any] = {
            rid: r for rid, r in _d(results.get("requirements")).items() if rid.split("-", 1)[0] in self.reviews
        }
        self.scenarios: list[dict[str, Any]] = [s for s in _l(results.get("scenarios")) if isinstance(s, dict)]
        self.scenario_index = {s.get("id"): i for i, s in enumerate(self.scenarios)}
        self.provenance = {rid: self._provenance(rid) for rid in self._requirement_ids()}

    # -- what the results rest on -------------------------------------------------------------
    def _load_profile(self) -> Profile | None:
        meta = _d(self.run.get("profile"))
        name = meta.get("name") or self.dut.get("profile")
        if not name:
            return None
        try:
            profile = load_profile(name)
        except (FileNotFoundError, ProfileError) as exc:
            self.notes.append(
                f"配置文件 {name} 在此无法载入，状态字含义与来源标记从 results.json 取得 / "
                f"profile {name} cannot be loaded here ({exc}); status-word meanings and provenance come from results.json only"
            )
            return None
        if meta.get("sha256") and meta["sha256"] != profile.digest:
            self.notes.append(
                f"此处的配置文件 {name} 与本次运行所用的不同（SHA-256 {profile.digest}），状态字含义取自此处版本 / "
                f"the profile {name} here differs from the one the run used (SHA-256 {profile.digest}); status-word meanings are from this copy"
            )
        return profile

    def _plan_reviews(self) -> tuple[str, ...]:
        """The reviews the run's plan covers: a reader-plan report shows RDR alone, a card-plan
        report the card's reviews (STD, SEC, INT, PER); the other plan is one line under the
        overall verdict (harness.plan.out_of_plan_line), as in the console summary."""
        from harness.plan import CARD_REVIEWS, READER_REVIEWS

        if self.results.get("plan") == "reader":
            return READER_REVIEWS
        return CARD_REVIEWS + tuple(
            rid.split("-", 1)[0]
            for rid in _d(self.results.get("requirements"))
            if rid.split("-", 1)[0] not in self.catalogue.reviews and rid.split("-", 1)[0] not in READER_REVIEWS
        )

    def _requirement_ids(self) -> list[str]:
        """The requirements the results list (the run's plan, harness.plan), catalogue order first."""
        ids = [rid for rid in self.catalogue.requirements if rid in self.requirements]
        return ids + [r for r in self.requirements if r not in self.catalogue.requirements]

    def _provenance(self, rid: str) -> dict[str, Any] | None:
        stored = _d(self.requirements.get(rid)).get("provenance")
        if isinstance(stored, dict):
            return stored
        if self.profile is None or rid not in self.catalogue.requirements:
            return None
        try:
            return requirement_provenance(self.profile, rid, self.catalogue)
        except ProvenanceReferenceError as exc:
            self.notes.append(f"{rid}: 来源标记无法确定 / provenance could not be resolved: {exc}")
            return None

    def _is_stand_in(self, rid: str) -> bool:
        return bool(_d(self.provenance.get(rid)).get("stand_in"))

    def _stand_in(self, rid: str) -> view.StandIn | None:
        prov = _d(self.provenance.get(rid))
        if not prov.get("stand_in"):
            return None
        weak = [str(v.get("what")) for v in _l(prov.get("values")) if isinstance(v, dict) and v.get("tag") == "S"]
        return view.StandIn(requirement=rid, tip="依赖替代值 / rests on stand-in values: " + ", ".join(weak))

    def _title(self, rid: str) -> tuple[str, str]:
        req = self.catalogue.requirements.get(rid)
        if req is not None:
            return req.title.zh, req.title.en
        t = _d(_d(self.requirements.get(rid)).get("title"))
        return str(t.get("zh", "")), str(t.get("en", ""))

    # -- the page -----------------------------------------------------------------------------
    def page(self) -> view.Page:
        has_results = bool(self.results)
        return view.Page(
            title=text(self.run.get("run_id") or self.dut.get("card") or "mutants"),
            header=self._header(),
            overall=self._overall(),
            key_warning=self._key_warning(),
            notes=list(self.notes),
            summary=self._summary() if has_results else None,
            tag_legend=" · ".join(TAG_TEXT.values()),
            dut=self._dut() if has_results else None,
            inputs=self._inputs() if has_results else None,
            reviews=self._reviews() if has_results else None,
            matrix=self._matrix() if has_results else None,
            mutants=self._mutants() if self.mutants is not None else None,
            traces=self._traces() if has_results else None,
            reader=self._reader() if has_results and self.results.get("plan") == "reader" else None,
            plan=self._plan() if has_results else None,
        )

    def _reader(self) -> view.ReaderMeasures:
        """The reader plan's measurements: presence events, ATR variants, long run and latency."""
        from reports.latency_svg import latency_svg

        measured = _d(self.run.get("reader"))
        fields = []
        for event in _l(measured.get("presence")):
            e = _d(event)
            seconds = e.get("seconds")
            value = f"{seconds * 1000:.0f} ms" if isinstance(seconds, int | float) else "未报告 / not reported"
            fields.append(
                _field(
                    f"{'取出' if e.get('change') == 'removal' else '插入'}报告时间",
                    f"{e.get('change')} reported after",
                    f"{value} (≤ {e.get('limit')} s, {e.get('driven_by')})",
                )
            )
        variants = [_d(v) for v in _l(measured.get("atr_variants"))]
        if variants:
            fields.append(
                _field(
                    "复位应答变体",
                    "ATR variants",
                    f"{sum(1 for v in variants if v.get('ok'))} / {len(variants)} 原样交付 delivered unchanged",
                )
            )
        latency = _d(measured.get("latency"))
        if latency:
            fields.append(
                _field(
                    "长时间运行",
                    "long run",
                    f"{latency.get('completed')} / {latency.get('apdus')} APDUs, {latency.get('errors')} 差错 errors, {latency.get('seconds')} s",
                )
            )
        kinds = _d(latency.get("kinds"))
        rows = [
            view.LatencyRow(
                kind=text(kind),
                count=text(_d(k).get("count")),
                p50=text(_d(k).get("p50_us")),
                p95=text(_d(k).get("p95_us")),
                p99=text(_d(k).get("p99_us")),
                max=text(_d(k).get("max_us")),
            )
            for kind, k in kinds.items()
        ]
        return view.ReaderMeasures(fields=fields, latency=rows, svg=latency_svg(kinds) if kinds else None)

    def _plan(self) -> view.PlanSection | None:
        """The plan the run executed (results.json run.plan), each case beside its verdict and what
        its checks observed; None for results written without a plan."""
        plan = _d(self.run.get("plan"))
        rows = [r for r in _l(plan.get("rows")) if isinstance(r, dict)]
        if not rows:
            return None
        lines = []
        for r in rows:
            idx = self.scenario_index.get(r.get("id")) if r.get("id") else None
            s = self.scenarios[idx] if idx is not None else {}
            flags = [name for key, name in PLAN_FLAGS if r.get(key) is True]
            observations = [
                view.Observation(what=text(o.get("what")), observed=text(o.get("observed")), expected=text(o.get("expected") or ""))
                for o in _l(s.get("observations"))
                if isinstance(o, dict)
            ]
            lines.append(
                view.PlanLine(
                    case_id=text(r.get("id") or MISSING),
                    requirements=text(r.get("requirements")),
                    clause=text(r.get("clause")),
                    title=text(r.get("title")),
                    flags=", ".join(flags),
                    applicability=text(r.get("applicability")),
                    reason=text(r.get("reason")),
                    apdus=text(r.get("apdus") if r.get("apdus") is not None else MISSING),
                    badge=badge(s.get("verdict", "not-run") if s else "not-run"),
                    observations=observations,
                    trace=idx,
                )
            )
        totals = _d(plan.get("totals"))
        summary = (
            f"{plan.get('of', 'card')} plan, {plan.get('generation', '?')}; ICS {plan.get('ics') or 'none'}; "
            f"{totals.get('runs', '?')} of {totals.get('cases', '?')} cases planned to run, {totals.get('not_applicable', '?')} not applicable, "
            f"{totals.get('not_run', '?')} not run; {totals.get('apdus', '?')} APDUs estimated, about {totals.get('duration_s', '?')} s "
            f"at {plan.get('latency_ms', '?')} ms/APDU ({plan.get('latency_source', '?')})"
        )
        return view.PlanSection(summary=summary, lines=lines)

    def _header(self) -> list[view.Field]:
        return [
            _field("运行标识", "run id", self.run.get("run_id") or MISSING),
            _field("开始", "started", self.run.get("started") or MISSING),
            _field("结束", "finished", self.run.get("finished") or MISSING),
        ]

    def _overall(self) -> view.Overall | None:
        """The overall verdict of results.json's ``verdict`` block; a results file without one (an
        older harness, a hand-edit) is 未完成 — never 通过. The certification statement is derived
        here from overall and plan, not read from the file."""
        if not self.requirements:
            return None
        from harness.plan import certification_statement, headline, out_of_plan_line

        counts = Counter(verdict_class(_d(r).get("verdict")) for r in self.requirements.values())
        verdict = _d(self.results.get("verdict"))
        overall = verdict.get("overall") if verdict.get("overall") in OVERALL_BADGE else "incomplete"
        if counts["failed"] or counts["error"]:
            overall = "fail"
        css, label = OVERALL_BADGE[str(overall)]
        shown = dict(verdict, overall=overall)

        def listed(key: str) -> list[view.Listed]:
            return [
                view.Listed(requirement=text(i.get("requirement")), reason=text(i.get("reason")))
                for i in _l(verdict.get(key))
                if isinstance(i, dict)
            ]

        return view.Overall(
            badge=view.Badge(css=css, raw=text(overall), text=label),
            headline=headline(shown) if verdict else f"{label} — results.json carries no overall verdict",
            plan=text(verdict.get("plan") or MISSING),
            statement=certification_statement(shown),
            out_of_plan=text(out_of_plan_line(verdict) or ""),
            failed_list=listed("failed"),
            inconclusive_list=listed("inconclusive"),
            not_run_list=listed("not_run"),
            passed=counts["passed"],
            failed=counts["failed"] + counts["error"],
            inconclusive=counts["inconclusive"],
            not_run=counts["not-run"],
        )

    def _key_warning(self) -> view.KeyWarning | None:
        source = _d(self.run.get("key_source"))
        if not source.get("warning") and not source.get("test_keys_only"):
            return None
        return view.KeyWarning(text=text(source.get("warning") or "test keys only"), label=text(source.get("label")))

    def _summary(self) -> list[view.ReviewCount]:
        rows = []
        for code, title in self.catalogue.reviews.items():
            if code not in self.reviews:
                continue
            ids = [r for r in self._requirement_ids() if r.split("-", 1)[0] == code]
            c = Counter(verdict_class(_d(self.requirements.get(r)).get("verdict", "not-run")) for r in ids)
            rows.append(
                view.ReviewCount(
                    code=code,
                    zh=title.zh,
                    en=title.en,
                    passed=c["passed"],
                    failed=c["failed"] + c["error"],
                    not_run=c["not-run"] + c["unknown"] + c["inconclusive"],
                    stand_in=sum(1 for r in ids if self._is_stand_in(r)),
                )
            )
        return rows

    def _dut(self) -> view.Dut:
        dut, run = self.dut, self.run
        atr_hex = str(dut.get("atr") or "")
        decoded = _d(dut.get("atr_decoded"))
        if not decoded and atr_hex and self.profile is not None:
            try:
                decoded = decode_historical(self.profile.atr, bytes.fromhex(atr_hex))
            except ValueError:
                decoded = {}
        fields = [
            _field("读写器", "reader", dut.get("reader") or dut.get("description") or MISSING),
            _field("被测卡", "card under test", dut.get("card") or MISSING),
            _field("类型", "kind", dut.get("kind") or MISSING),
            _field("复位应答", "ATR", atr_hex or MISSING),
            _field("代别", "generation", dut.get("generation") or MISSING),
            _field("规范版本", "spec version", dut.get("spec_version") or MISSING),
            _field("声明的 COS 版本", "declared COS version", dut.get("declared_cos_version") or MISSING),
            _field("卡号", "card number", dut.get("card_number") or MISSING),
            _field("发卡地区", "issuing region", dut.get("region") or MISSING),
            _field("配置文件", "profile", dut.get("profile") or _d(run.get("profile")).get("name") or MISSING),
        ]
        if dut.get("faults"):
            fields.append(_field("注入故障", "injected faults", _joined(dut.get("faults"))))
        fields += [_field("错误", key, dut[key]) for key in ("error", "identity_error") if dut.get(key)]
        atr = [_field(zh, en, decoded.get(key) or MISSING) for key, (zh, en) in ATR_FIELDS.items()] if decoded else []
        atr += [_field(str(k), str(k), v) for k, v in decoded.items() if k not in ATR_FIELDS]
        declaration = dut.get("declaration") or run.get("declaration")
        return view.Dut(
            fields=fields, atr_decoded=atr, declaration=[_field(k, "", v) for k, v in _flat(declaration)] if declaration else None
        )

    def _inputs(self) -> view.Inputs:
        run = self.run
        prof = _d(run.get("profile"))
        fields = [
            _field("检测工具版本", "harness version", run.get("harness_version") or MISSING),
            _field("Python", "Python", run.get("python") or MISSING),
            _field("配置文件", "profile", prof.get("name") or MISSING),
            _field("配置文件 SHA-256", "profile SHA-256", prof.get("sha256") or MISSING),
            _field("配置来源文件", "profile sources", _joined(prof.get("sources")) or MISSING),
            _field("允许破坏性测试", "destructive allowed", YES_NO.get(run.get("allow_destructive"), MISSING)),
            _field("终端地区", "terminal regions", _joined(run.get("terminal_regions")) or MISSING),
            _field("实现一致性声明", "ICS", self._ics_text()),
        ]
        features = [
            view.FeatureFile(path=text(f.get("path")), sha256=text(f.get("sha256"))) for f in _l(run.get("features")) if isinstance(f, dict)
        ]
        return view.Inputs(fields=fields, features=features)

    def _ics_text(self) -> str:
        """The ICS file and what it declares (results.json run.ics), one line."""
        ics = _d(self.run.get("ics"))
        if ics.get("error"):
            return text(ics["error"])
        if not ics.get("file"):
            return "无 none (option-dependent cases not run)"
        declared = ", ".join(f"{k}={text(v)}" for k, v in _d(ics.get("declared")).items())
        return f"{text(ics['file'])}: {declared}"

    def _reviews(self) -> list[view.Review]:
        by_review: dict[str, list[str]] = {code: [] for code in self.catalogue.reviews if code in self.reviews}
        for rid in self.provenance:
            by_review.setdefault(rid.split("-", 1)[0], []).append(rid)
        out = []
        for code, ids in by_review.items():
            title = self.catalogue.reviews.get(code)
            out.append(
                view.Review(
                    code=code,
                    zh=f"{code} {title.zh if title else ''}",
                    en=title.en if title else "",
                    requirements=[self._requirement(rid) for rid in ids],
                )
            )
        return out

    def _requirement(self, rid: str) -> view.RequirementLine:
        req = _d(self.requirements.get(rid))
        zh, en = self._title(rid)
        prov = _d(self.provenance.get(rid))
        provenance = None
        if prov.get("values"):
            rests_on = [view.RestsOn(what=text(v.get("what")), tag=text(v.get("tag"))) for v in _l(prov["values"]) if isinstance(v, dict)]
            provenance = view.Provenance(weakest=text(prov.get("weakest")), rests_on=rests_on)
        return view.RequirementLine(
            requirement=rid,
            zh=zh,
            en=en,
            badge=badge(req.get("verdict", "not-run")),
            stand_in=self._stand_in(rid),
            reason=text(req.get("reason", "no result recorded")),
            provenance=provenance,
            scenarios=[self._scenario_line(rid, sid) for sid in _l(req.get("scenarios"))],
        )

    def _scenario_line(self, rid: str, sid: Any) -> view.ScenarioLine:
        idx = self.scenario_index.get(sid)
        s = self.scenarios[idx] if idx is not None else {"name": sid, "verdict": "unknown"}
        ran = s.get("verdict") in ("passed", "failed", "error")
        return view.ScenarioLine(
            case_id=text(s.get("id") or sid),
            name=text(s.get("name") or sid),
            trace=idx,
            badge=badge(s.get("verdict")),
            stand_in=self._stand_in(rid) if ran else None,
            reason=text(s.get("reason")),
            apdus=text(s.get("apdus", MISSING)),
            resets=text(s.get("resets", MISSING)),
        )

    def _matrix(self) -> view.Matrix:
        matrix = _d(self.run.get("interop_matrix"))
        rows, cols, cells = _l(matrix.get("rows")), _l(matrix.get("columns")), _d(matrix.get("cells"))
        if not rows or not cols or not cells:
            return view.Matrix(combined=None, requirements=[])
        reqs = list(cells)
        summary = _d(matrix.get("summary"))
        issued = matrix.get("rows_issued")
        rows_issued = issued if isinstance(issued, bool) else None
        dut_row = matrix.get("dut_row") if isinstance(matrix.get("dut_row"), str) else None

        def one(q: str) -> CellPicker:
            return lambda r, c: [(q, _d(_d(cells.get(q)).get(r)).get(c))]

        per_requirement = []
        for q in reqs:
            zh, en = self._title(q)
            per_requirement.append(
                view.MatrixRequirement(
                    requirement=text(q),
                    zh=zh,
                    en=en,
                    counts=", ".join(f"{k} {v}" for k, v in _d(summary.get(q)).items()),
                    stand_in=self._stand_in(q),
                    grid=_grid(f"matrix-{q}", rows, cols, one(q), _row_mark(dut_row, rows_issued)),
                )
            )
        combined = _grid(
            "matrix-combined",
            rows,
            cols,
            lambda r, c: [(q, _d(_d(cells.get(q)).get(r)).get(c)) for q in reqs],
            _row_mark(dut_row, rows_issued),
        )
        return view.Matrix(combined=combined, requirements=per_requirement, rows_issued=rows_issued, dut_row=dut_row)

    def _mutants(self) -> view.Mutants:
        m = _d(self.mutants)
        faults = [f for f in _l(m.get("faults")) if isinstance(f, dict)]
        columns: list[str] = []
        for f in faults:
            for key in ("expected", "caught_by", "covered", "other_failed"):
                for rid in _l(f.get(key)):
                    if rid not in columns:
                        columns.append(rid)
        order = {rid: i for i, rid in enumerate(self.catalogue.requirements)}
        columns.sort(key=lambda r: order.get(r, len(order)))
        lines = []
        for f in faults:
            verdict = f.get("verdict")
            lines.append(
                view.FaultLine(
                    fault=text(f.get("fault")),
                    generation=text(f.get("generation")),
                    verdict=text(verdict),
                    css="passed" if verdict == "caught" else "failed",
                    cells=[_mutant_cell(f, rid) for rid in columns],
                    reason=text(f.get("error") or "; ".join(str(_d(s).get("name")) for s in _l(f.get("failed_scenarios")))),
                )
            )
        clean = [
            view.CleanRun(
                generation=text(c.get("generation")),
                exit_code=text(c.get("exit_code")),
                duration_s=text(c.get("duration_s")),
                problems=text(_joined(c.get("problems"), "; ") or c.get("error") or MISSING),
            )
            for c in _l(m.get("clean"))
            if isinstance(c, dict)
        ]
        return view.Mutants(
            badge=badge("passed" if m.get("passed") else "failed"),
            elapsed_s=text(m.get("elapsed_s")),
            columns=[text(c) for c in columns],
            faults=lines,
            clean=clean,
            not_covered=_joined(m.get("not_covered")) if _l(m.get("not_covered")) else None,
        )

    def _traces(self) -> list[view.Trace]:
        return [
            view.Trace(
                index=i,
                badge=badge(s.get("verdict")),
                case_id=text(s.get("id")),
                name=text(s.get("name") or s.get("id")),
                requirements=_joined(s.get("requirements")),
                entries=[self._trace_entry(t) for t in _l(s.get("trace")) if isinstance(t, dict)],
                summary=summary_table(s.get("summary")),
            )
            for i, s in enumerate(self.scenarios)
        ]

    def _trace_entry(self, t: Mapping[str, Any]) -> view.TraceEntry:
        kind = t.get("kind")
        response = str(t.get("response") or "")
        cut = t.get("response_length")  # set only when the trace kept a prefix of a longer response
        notes = [
            str(x)
            for x in (
                t.get("label"),
                t.get("masked") and f"已遮蔽 masked: {t.get('masked')}",
                cut and f"仅保留前 {len(response) // 2} 字节 / first {len(response) // 2} of {cut} bytes kept",
                t.get("error"),
            )
            if x
        ]
        ns = t.get("duration_ns")
        return view.TraceEntry(
            index=text(t.get("index")),
            kind=text(kind),
            command=text(t.get("command")),
            response=response,
            meaning="复位应答 ATR" if kind == "reset" else self._sw_meaning(response),
            micros=f"{ns / 1000:.1f}" if isinstance(ns, (int, float)) else MISSING,
            note="; ".join(notes),
        )

    def _sw_meaning(self, response: str) -> str:
        if self.profile is None or len(response) < 4:
            return ""
        try:
            sw = int(response[-4:], 16)
        except ValueError:  # masked or not hex
            return ""
        word = self.profile.sw.describe(sw)
        if word is None:
            return f"{sw:04X}: 配置文件未列出 / not listed in the profile"
        extra = f" ({word.pattern[-2:] if word.variable_mask == 0xFF else 'X'}={sw & word.variable_mask:X})" if word.variable_mask else ""
        return f"{word.zh} / {word.en}{extra}"


def _row_mark(dut_row: str | None, rows_issued: bool | None) -> dict[str, str]:
    """Row label → the mark that tells a reader which row is (or stands beside) the DUT."""
    if dut_row is None:
        return {}
    if rows_issued:
        return {dut_row: "◆ 与被测卡同地区同代别（工具签发卡，非被测卡）/ DUT's region and generation (harness-issued, not the DUT)"}
    return {dut_row: "◆ 被测卡 / device under test"}


def _grid(ident: str, rows: list[Any], cols: list[Any], pick: CellPicker, marks: Mapping[str, str] | None = None) -> view.Grid:
    """A grid of card rows × terminal columns; each cell shows the worst verdict of what `pick` gives.
    `marks` adds a note to a row's label (the DUT's row)."""
    out = []
    for r in rows:
        cells = []
        for c in cols:
            found = [(q, cell) for q, cell in pick(r, c) if isinstance(cell, dict)]
            if not found:
                cells.append(view.GridCell(verdict=None, tip=MISSING, text=MISSING))
                continue
            verdicts = [verdict_class(cell.get("verdict")) for _, cell in found]
            worst = min(verdicts, key=WORST_FIRST.index)
            ok = sum(1 for v in verdicts if v == "passed")
            tip = "\n".join(f"{q}: {cell.get('verdict')} — {cell.get('reason') or ''} ({cell.get('apdus', '?')} APDU)" for q, cell in found)
            label = f"{ok}/{len(found)}" if len(found) > 1 else {"passed": "✔", "failed": "✘"}.get(worst, "–")
            cells.append(view.GridCell(verdict=worst, tip=tip, text=label))
        out.append(view.GridRow(label=text(r), cells=cells, mark=(marks or {}).get(str(r), "")))
    return view.Grid(ident=ident, columns=[text(c) for c in cols], rows=out)


def _mutant_cell(fault: Mapping[str, Any], rid: str) -> view.MutantCell:
    if rid in _l(fault.get("caught_by")):
        return view.MutantCell(css="caught", tip="caught", text="✔ 检出")
    if rid in _l(fault.get("expected")):
        return view.MutantCell(css="missed", tip="expected but not failed", text="✘ 漏检 missed")
    if rid in _l(fault.get("other_failed")):
        return view.MutantCell(css="other", tip="failed, though not expected for this fault", text="其它 other")
    return view.MutantCell(css=None, tip="", text="")


def summary_table(summary: Any) -> view.SummaryTable | None:
    """The table of a bulk check's summary (results.json `scenarios[].summary`), None without one."""
    if not isinstance(summary, Mapping):
        return None
    if isinstance(summary.get("ins_outcomes"), Mapping):
        table = summary["ins_outcomes"]
        outcomes = sorted({str(o) for counts in table.values() if isinstance(counts, Mapping) for o in counts})
        rows = [
            [text(ins), *(text(counts.get(o, "")) for o in outcomes), text(sum(v for v in counts.values() if isinstance(v, int)))]
            for ins, counts in table.items()
            if isinstance(counts, Mapping)
        ]
        given = summary.get("phases")
        phases: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        notes = [f"{text(summary.get('apdus'))} APDUs, {text(summary.get('seconds'))} s"]
        notes += [f"{text(p)}: {text(c.get('sent'))} / {text(c.get('planned'))}" for p, c in phases.items() if isinstance(c, Mapping)]
        notes += [
            f"{text(f.get('phase'))} {text(f.get('apdu'))} → {text(f.get('answer'))}: {text(f.get('problem'))}"
            for f in _l(summary.get("failing_apdus"))
            if isinstance(f, Mapping)
        ]
        return view.SummaryTable("指令 × 结果 INS × outcome", ["INS", *outcomes, "合计 total"], rows, notes)
    if _l(summary.get("items")):
        rows = [
            [text(item.get("item")), f"{text(r.get('from'))}–{text(r.get('to'))}", text(r.get("left")), text(r.get("detail", ""))]
            for item in _l(summary.get("items"))
            if isinstance(item, Mapping)
            for r in _l(item.get("left"))
            if isinstance(r, Mapping)
        ]
        return view.SummaryTable(
            "掉电位置与结果 cut offsets and what they left", ["数据项 item", "字节 bytes", "结果 left", "说明 detail"], rows, []
        )
    if _l(summary.get("tries")) or _l(summary.get("cuts")):
        rows = [
            [
                text(t.get("what") or t.get("item")),
                text(t.get("delay_ms", "")),
                text(t.get("answered") or "—"),
                text(t.get("left") or f"{t.get('counter_before')} → {t.get('counter_after')}"),
            ]
            for t in _l(summary.get("tries")) + _l(summary.get("cuts"))
            if isinstance(t, Mapping)
        ]
        return view.SummaryTable("掉电结果 power cuts", ["操作 operation", "延时 ms", "应答 answered", "结果 left / counter"], rows, [])
    return None
