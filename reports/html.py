"""The certification report: one self-contained HTML file a lab can read, archive and sign.

`write_report(run_dir)` reads the run's `results.json` (and `mutants.json` when the run was a
mutants run) and writes `report.html` beside them. The page opens from disk with no server and no
network: the style sheet is inline, there are no scripts, fonts or images, and a Content-Security-
Policy forbids loading anything. Every value taken from the results is escaped, since reasons and
names can carry anything a card or a declaration file put there. Traces are shown as recorded —
already masked by `terminal.transports.tracing`; this module never sees, and so never restores, a secret.

Headings are bilingual, Chinese first (the users are Chinese labs, provinces and vendors).
A verdict resting on a stand-in (S) profile value carries a visible "S" mark: a real card built to
the official text may differ from this project's stand-in, so such a verdict needs that caveat.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from reports.provenance import ProvenanceReferenceError, requirement_provenance
from ssc.atr import decode_historical
from ssc.catalogue import Catalogue, load_catalogue
from ssc.profile import ProfileError, load_profile
from ssc.profile.model import Profile

__all__ = ["REPORT_NAME", "render_report", "write_report"]

REPORT_NAME = "report.html"
VERDICTS = ("passed", "failed", "error", "not-run")  # CSS classes; anything else is "unknown"
VERDICT_TEXT = {"passed": "通过 pass", "failed": "不通过 FAIL", "error": "错误 ERROR", "not-run": "未执行 not run"}
WORST_FIRST = ("error", "failed", "unknown", "not-run", "passed")  # order for "worst verdict" of a cell
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

CSS = """
:root{--pass:#1b5e20;--pass-bg:#c8e6c9;--fail:#b71c1c;--fail-bg:#ffcdd2;--err:#e65100;--err-bg:#ffe0b2;
--nr:#424242;--nr-bg:#e0e0e0;--line:#c7c7c7}
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif;
margin:0 auto;max-width:1500px;padding:1rem 1.5rem;color:#1a1a1a;line-height:1.45;font-size:14px}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.3rem;margin:1.6rem 0 .5rem;border-bottom:2px solid #333}
h3{font-size:1.1rem;margin:1.2rem 0 .4rem}
.en{color:#555;font-weight:normal;font-size:.85em;margin-left:.4em}
table{border-collapse:collapse;margin:.3rem 0 .8rem}th,td{border:1px solid var(--line);padding:.2rem .45rem;
vertical-align:top;text-align:left}th{background:#f2f2f2}
td.hex,code{font-family:"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
.v{display:inline-block;padding:0 .45em;border-radius:3px;font-weight:bold;white-space:nowrap}
.passed{color:var(--pass);background:var(--pass-bg)}.failed{color:var(--fail);background:var(--fail-bg)}
.error{color:var(--err);background:var(--err-bg)}.not-run,.unknown{color:var(--nr);background:var(--nr-bg)}
.standin{display:inline-block;margin-left:.35em;padding:0 .4em;border:2px solid #6a1b9a;color:#6a1b9a;
background:#f3e5f5;font-weight:bold;border-radius:3px;white-space:nowrap}
.warning{border:3px solid #b71c1c;background:#fff3f3;color:#b71c1c;padding:.6rem 1rem;font-weight:bold;
margin:.8rem 0;font-size:1.05rem}
.note{border-left:4px solid #888;background:#f7f7f7;padding:.3rem .7rem;margin:.5rem 0}
.grid td{text-align:center;min-width:3.6rem;font-size:12px}.grid th{font-size:12px}
.grid td.passed{background:#81c784;color:#0b3d0f}.grid td.failed{background:#e57373;color:#3d0000}
.grid td.error{background:#ffb74d}.grid td.not-run,.grid td.unknown{background:#bdbdbd}
.mut td.caught{background:#81c784}.mut td.missed{background:#e57373;font-weight:bold}
.mut td.other{background:#ffb74d}
details{margin:.2rem 0}summary{cursor:pointer}
.reason{white-space:pre-wrap;word-break:break-word;max-width:60rem}
.muted{color:#666}
@media print{details{display:block}details>summary{list-style:none}}
"""


def write_report(run_dir: Path) -> Path:
    """Write run_dir/report.html from run_dir/results.json (and mutants.json); return its path."""
    run_dir = Path(run_dir)
    results = _read_json(run_dir / "results.json")
    mutants = _read_json(run_dir / "mutants.json")
    if results is None and mutants is None:
        raise FileNotFoundError(f"{run_dir} holds neither results.json nor mutants.json: nothing to report")
    out = run_dir / REPORT_NAME
    out.write_text(render_report(results or {}, mutants), encoding="utf-8")
    return out


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object at the top level, got {type(data).__name__}")
    return data


def render_report(results: Mapping[str, Any], mutants: Mapping[str, Any] | None = None) -> str:
    """The whole page as a string (`write_report` stores it)."""
    return _Page(results, mutants).render()


# -- small escaping helpers: every value from the results goes through `e` -------------------------
def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def heading(level: int, zh: str, en: str, anchor: str | None = None) -> str:
    ident = f' id="{e(anchor)}"' if anchor else ""
    return f'<h{level}{ident}>{e(zh)}<span class="en">{e(en)}</span></h{level}>'


def verdict_class(verdict: Any) -> str:
    return verdict if verdict in VERDICTS else "unknown"


def verdict_badge(verdict: Any) -> str:
    cls = verdict_class(verdict)
    return f'<span class="v {cls}" data-verdict="{e(verdict)}">{e(VERDICT_TEXT.get(cls, verdict))}</span>'


def kv_table(rows: Iterable[tuple[str, str, Any]], raw: bool = False) -> str:
    """Rows of (zh, en, value); values are escaped unless `raw` (pre-rendered HTML)."""
    body = "".join(
        f'<tr><th>{e(zh)}<span class="en">{e(en)}</span></th><td>{value if raw else e(value)}</td></tr>' for zh, en, value in rows
    )
    return f'<table class="kv">{body}</table>'


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


class _Page:
    def __init__(self, results: Mapping[str, Any], mutants: Mapping[str, Any] | None) -> None:
        self.results = results
        self.mutants = mutants
        self.run = _d(results.get("run"))
        self.dut = _d(results.get("dut"))
        self.catalogue: Catalogue = load_catalogue()
        self.notes: list[str] = []
        self.profile = self._load_profile()
        self.requirements: dict[str, dict[str, Any]] = _d(results.get("requirements"))
        self.scenarios: list[dict[str, Any]] = [s for s in _l(results.get("scenarios")) if isinstance(s, dict)]
        self.scenario_index = {s.get("id"): i for i, s in enumerate(self.scenarios)}
        self.provenance = {rid: self._provenance(rid) for rid in self._requirement_ids()}

    # -- data ---------------------------------------------------------------------------------
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

    def _requirement_ids(self) -> list[str]:
        ids = list(self.catalogue.requirements)
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

    def is_stand_in(self, rid: str) -> bool:
        return bool(_d(self.provenance.get(rid)).get("stand_in"))

    def title(self, rid: str) -> tuple[str, str]:
        req = self.catalogue.requirements.get(rid)
        if req is not None:
            return req.title.zh, req.title.en
        t = _d(_d(self.requirements.get(rid)).get("title"))
        return str(t.get("zh", "")), str(t.get("en", ""))

    def standin_mark(self, rid: str, compact: bool = False) -> str:
        prov = _d(self.provenance.get(rid))
        if not prov.get("stand_in"):
            return ""
        weak = [str(v.get("what")) for v in _l(prov.get("values")) if isinstance(v, dict) and v.get("tag") == "S"]
        tip = "依赖替代值 / rests on stand-in values: " + ", ".join(weak)
        text = "S" if compact else "S 替代值 stand-in"
        return f'<span class="standin" data-standin="{e(rid)}" title="{e(tip)}">{text}</span>'

    # -- page ---------------------------------------------------------------------------------
    def render(self) -> str:
        parts = [self.header(), self.key_warning(), *(f'<p class="note">{e(n)}</p>' for n in self.notes)]
        if self.results:
            parts += [self.summary_section(), self.dut_section(), self.inputs_section(), self.verdict_section(), self.matrix_section()]
        if self.mutants is not None:
            parts.append(self.mutants_section())
        if self.results:
            parts.append(self.trace_section())
        body = "\n".join(p for p in parts if p)
        csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
        return (
            '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>社会保障卡检测报告 SSC conformance report — {e(self.run.get('run_id') or self.dut.get('card') or 'mutants')}</title>"
            f"<style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
        )

    def header(self) -> str:
        rows = [
            ("运行标识", "run id", self.run.get("run_id") or "—"),
            ("开始", "started", self.run.get("started") or "—"),
            ("结束", "finished", self.run.get("finished") or "—"),
        ]
        counts = Counter(verdict_class(_d(r).get("verdict")) for r in self.requirements.values())
        overall = ""
        if self.requirements:
            worst = "failed" if counts["failed"] or counts["error"] else "passed" if counts["passed"] else "not-run"
            overall = (
                f'<p id="overall">总体结论 <span class="en">overall</span> {verdict_badge(worst)} '
                f"{counts['passed']} 通过 passed · {counts['failed'] + counts['error']} 不通过 failed · "
                f"{counts['not-run']} 未执行 not run</p>"
            )
        return heading(1, "社会保障卡检测报告", "social security card conformance report") + kv_table(rows) + overall

    def key_warning(self) -> str:
        source = _d(self.run.get("key_source"))
        if not source.get("warning") and not source.get("test_keys_only"):
            return ""
        text = source.get("warning") or "test keys only"
        return (
            f'<div class="warning" id="test-keys" role="alert">⚠ 仅为测试密钥 <span class="en">test keys</span>: '
            f"{e(text)} ({e(source.get('label'))})</div>"
        )

    def dut_section(self) -> str:
        dut, run = self.dut, self.run
        atr_hex = str(dut.get("atr") or "")
        decoded = _d(dut.get("atr_decoded"))
        if not decoded and atr_hex and self.profile is not None:
            try:
                decoded = decode_historical(self.profile.atr, bytes.fromhex(atr_hex))
            except ValueError:
                decoded = {}
        declaration = dut.get("declaration") or run.get("declaration")
        rows = [
            ("读写器", "reader", dut.get("reader") or dut.get("description") or "—"),
            ("被测卡", "card under test", dut.get("card") or "—"),
            ("类型", "kind", dut.get("kind") or "—"),
            ("复位应答", "ATR", atr_hex or "—"),
            ("代别", "generation", dut.get("generation") or "—"),
            ("规范版本", "spec version", dut.get("spec_version") or "—"),
            ("声明的 COS 版本", "declared COS version", dut.get("declared_cos_version") or "—"),
            ("卡号", "card number", dut.get("card_number") or "—"),
            ("发卡地区", "issuing region", dut.get("region") or "—"),
            ("配置文件", "profile", dut.get("profile") or _d(run.get("profile")).get("name") or "—"),
        ]
        if dut.get("faults"):
            rows.append(("注入故障", "injected faults", ", ".join(map(str, _l(dut.get("faults"))))))
        for key in ("error", "identity_error"):
            if dut.get(key):
                rows.append(("错误", key, dut[key]))
        out = [heading(2, "被测设备", "device under test", "dut"), kv_table(rows)]
        if decoded:
            atr_rows = [(zh, en, decoded.get(key) or "—") for key, (zh, en) in ATR_FIELDS.items()]
            atr_rows += [(k, k, v) for k, v in decoded.items() if k not in ATR_FIELDS]
            out += [heading(3, "复位应答历史字节解析", "ATR historical bytes decoded"), kv_table(atr_rows)]
        if declaration:
            out.append(heading(3, "发卡机构申报", "issuer declaration"))
            out.append(kv_table([(k, "", v) for k, v in _flat(declaration)]))
        return "\n".join(out)

    def inputs_section(self) -> str:
        run = self.run
        prof = _d(run.get("profile"))
        rows = [
            ("检测工具版本", "harness version", run.get("harness_version") or "—"),
            ("Python", "Python", run.get("python") or "—"),
            ("配置文件", "profile", prof.get("name") or "—"),
            ("配置文件 SHA-256", "profile SHA-256", prof.get("sha256") or "—"),
            ("配置来源文件", "profile sources", ", ".join(map(str, _l(prof.get("sources")))) or "—"),
            ("允许破坏性测试", "destructive allowed", {True: "是 yes", False: "否 no"}.get(run.get("allow_destructive"), "—")),
            ("终端地区", "terminal regions", ", ".join(map(str, _l(run.get("terminal_regions")))) or "—"),
        ]
        out = [heading(2, "检测环境与输入", "harness and inputs", "inputs"), kv_table(rows)]
        features = [f for f in _l(run.get("features")) if isinstance(f, dict)]
        out.append(heading(3, "特性文件", "feature files"))
        if features:
            body = "".join(f'<tr><td><code>{e(f.get("path"))}</code></td><td class="hex">{e(f.get("sha256"))}</td></tr>' for f in features)
            out.append(f'<table id="features"><tr><th>文件 <span class="en">file</span></th><th>SHA-256</th></tr>{body}</table>')
        else:
            out.append('<p class="muted">本次结果未记录特性文件摘要 / the results record no feature-file digests</p>')
        return "\n".join(out)

    def summary_section(self) -> str:
        rows = []
        for code, title in self.catalogue.reviews.items():
            ids = [r for r in self.catalogue.requirements if self.catalogue.review_of(r) == code]
            c = Counter(verdict_class(_d(self.requirements.get(r)).get("verdict", "not-run")) for r in ids)
            s = sum(1 for r in ids if self.is_stand_in(r))
            rows.append(
                f'<tr><th><a href="#review-{e(code)}">{e(code)}</a> {e(title.zh)}<span class="en">{e(title.en)}</span></th>'
                f'<td class="passed">{c["passed"]}</td><td class="failed">{c["failed"] + c["error"]}</td>'
                f'<td class="not-run">{c["not-run"] + c["unknown"]}</td><td>{s}</td></tr>'
            )
        head = (
            '<tr><th>审核 <span class="en">review</span></th><th>通过 <span class="en">passed</span></th>'
            '<th>不通过 <span class="en">failed</span></th><th>未执行 <span class="en">not run</span></th>'
            '<th>依赖替代值 <span class="en">rest on S</span></th></tr>'
        )
        legend = " · ".join(e(t) for t in TAG_TEXT.values())
        return (
            heading(2, "结论汇总", "summary by review", "summary")
            + f'<table id="summary">{head}{"".join(rows)}</table>'
            + f'<p class="muted">来源标记 provenance tags: {legend}. 带 <span class="standin">S 替代值 stand-in</span> '
            "标记的结论依赖本项目选定的替代值，须以正式标准文本核对 / a marked verdict rests on a value this project "
            "chose; check it against the official text.</p>"
        )

    def verdict_section(self) -> str:
        out = [heading(2, "各检测项目结论", "verdict per requirement", "verdicts")]
        by_review: dict[str, list[str]] = {code: [] for code in self.catalogue.reviews}
        for rid in self.provenance:
            by_review.setdefault(rid.split("-", 1)[0], []).append(rid)
        for code, ids in by_review.items():
            title = self.catalogue.reviews.get(code)
            out.append(heading(3, f"{code} {title.zh if title else ''}", title.en if title else "", f"review-{code}"))
            rows = [self.requirement_row(rid) for rid in ids]
            out.append(
                '<table class="verdicts"><tr><th>编号 <span class="en">ID</span></th>'
                '<th>检测项目 <span class="en">requirement</span></th><th>结论 <span class="en">verdict</span></th>'
                '<th>依据 <span class="en">reason, scenarios</span></th></tr>' + "".join(rows) + "</table>"
            )
        return "\n".join(out)

    def requirement_row(self, rid: str) -> str:
        req = _d(self.requirements.get(rid))
        verdict = req.get("verdict", "not-run")
        zh, en = self.title(rid)
        prov = _d(self.provenance.get(rid))
        prov_text = ""
        if prov.get("values"):
            items = ", ".join(f"<code>{e(v.get('what'))}</code>&nbsp;{e(v.get('tag'))}" for v in _l(prov["values"]) if isinstance(v, dict))
            prov_text = f'<div class="muted">依赖 rests on ({e(prov.get("weakest"))}): {items}</div>'
        scenario_ids = [s for s in _l(req.get("scenarios"))]
        scen_rows = []
        for sid in scenario_ids:
            idx = self.scenario_index.get(sid)
            s = self.scenarios[idx] if idx is not None else {"name": sid, "verdict": "unknown"}
            name = s.get("name") or sid
            link = f'<a href="#trace-{idx}">{e(name)}</a>' if idx is not None else e(name)
            marks = self.standin_mark(rid, compact=True) if s.get("verdict") in ("passed", "failed", "error") else ""
            scen_rows.append(
                f"<tr><td>{link}</td><td>{verdict_badge(s.get('verdict'))}{marks}</td>"
                f'<td class="reason">{e(s.get("reason"))}</td><td>{e(s.get("apdus", "—"))}</td><td>{e(s.get("resets", "—"))}</td></tr>'
            )
        scenarios = ""
        if scen_rows:
            scenarios = (
                f'<details><summary>{len(scen_rows)} 个场景 scenario(s)</summary><table class="scenarios">'
                '<tr><th>场景 <span class="en">scenario</span></th><th>结论 <span class="en">verdict</span></th>'
                '<th>原因 <span class="en">reason</span></th><th>APDU</th><th>复位 <span class="en">resets</span></th></tr>'
                + "".join(scen_rows)
                + "</table></details>"
            )
        return (
            f'<tr id="req-{e(rid)}" data-requirement="{e(rid)}"><td><b>{e(rid)}</b></td>'
            f'<td>{e(zh)}<br><span class="en">{e(en)}</span></td>'
            f"<td>{verdict_badge(verdict)}{self.standin_mark(rid)}</td>"
            f'<td><div class="reason">{e(req.get("reason", "no result recorded"))}</div>{prov_text}{scenarios}</td></tr>'
        )

    def matrix_section(self) -> str:
        matrix = _d(self.run.get("interop_matrix"))
        rows, cols, cells = _l(matrix.get("rows")), _l(matrix.get("columns")), _d(matrix.get("cells"))
        out = [heading(2, "跨地区通用性矩阵", "cross-region matrix (card region/generation × terminal region)", "matrix")]
        if not rows or not cols or not cells:
            out.append('<p class="muted">本次运行未产生跨地区矩阵 / this run produced no cross-region matrix</p>')
            return "\n".join(out)
        reqs = list(cells)
        out.append(
            '<p class="muted">每格为该卡与该终端在各 INT-XR 项目上的最差结论；悬停查看明细 / '
            "each cell is the worst verdict over the INT-XR requirements for that card at that terminal; "
            "hover for details</p>"
        )
        out.append(self.grid("matrix-combined", rows, cols, lambda r, c: [(q, _d(_d(cells.get(q)).get(r)).get(c)) for q in reqs]))
        summary = _d(matrix.get("summary"))
        for q in reqs:
            zh, en = self.title(q)
            counts = ", ".join(f"{k} {v}" for k, v in _d(summary.get(q)).items())
            out.append(
                f'<details><summary><b>{e(q)}</b> {e(zh)} <span class="en">{e(en)}</span> '
                f'<span class="muted">({e(counts)})</span>{self.standin_mark(q)}</summary>'
                + self.grid(f"matrix-{q}", rows, cols, lambda r, c, q=q: [(q, _d(_d(cells.get(q)).get(r)).get(c))])
                + "</details>"
            )
        return "\n".join(out)

    def grid(self, ident: str, rows: list[Any], cols: list[Any], pick: Any) -> str:
        head = "".join(f"<th>{e(c)}</th>" for c in cols)
        body = []
        for r in rows:
            tds = []
            for c in cols:
                found = [(q, cell) for q, cell in pick(r, c) if isinstance(cell, dict)]
                if not found:
                    tds.append('<td class="not-run" title="—">—</td>')
                    continue
                verdicts = [verdict_class(cell.get("verdict")) for _, cell in found]
                worst = min(verdicts, key=WORST_FIRST.index)
                ok = sum(1 for v in verdicts if v == "passed")
                tip = "\n".join(
                    f"{q}: {cell.get('verdict')} — {cell.get('reason') or ''} ({cell.get('apdus', '?')} APDU)" for q, cell in found
                )
                text = f"{ok}/{len(found)}" if len(found) > 1 else {"passed": "✔", "failed": "✘"}.get(worst, "–")
                tds.append(f'<td class="{worst}" data-verdict="{worst}" title="{e(tip)}">{e(text)}</td>')
            body.append(f"<tr><th>{e(r)}</th>{''.join(tds)}</tr>")
        return (
            f'<table class="grid" id="{e(ident)}"><tr class="head"><th>卡 card ╲ 终端 terminal</th>{head}</tr>' + "".join(body) + "</table>"
        )

    def mutants_section(self) -> str:
        m = _d(self.mutants)
        faults = [f for f in _l(m.get("faults")) if isinstance(f, dict)]
        out = [heading(2, "变异测试：故障 × 检测项目", "mutants: fault × requirement", "mutants")]
        status = "passed" if m.get("passed") else "failed"
        out.append(
            f'<p>变异测试结论 <span class="en">mutants verdict</span> {verdict_badge(status)} '
            f'<span class="muted">({e(m.get("elapsed_s"))} s)</span></p>'
        )
        columns: list[str] = []
        for f in faults:
            for key in ("expected", "caught_by", "covered", "other_failed"):
                for rid in _l(f.get(key)):
                    if rid not in columns:
                        columns.append(rid)
        order = {rid: i for i, rid in enumerate(self.catalogue.requirements)}
        columns.sort(key=lambda r: order.get(r, len(order)))
        head = "".join(f"<th>{e(c)}</th>" for c in columns)
        body = []
        for f in faults:
            tds = []
            for rid in columns:
                if rid in _l(f.get("caught_by")):
                    tds.append('<td class="caught" title="caught">✔ 检出</td>')
                elif rid in _l(f.get("expected")):
                    tds.append('<td class="missed" title="expected but not failed">✘ 漏检 missed</td>')
                elif rid in _l(f.get("other_failed")):
                    tds.append('<td class="other" title="failed, though not expected for this fault">其它 other</td>')
                else:
                    tds.append("<td></td>")
            verdict = f.get("verdict")
            cls = "passed" if verdict == "caught" else "failed"
            scen = "; ".join(str(_d(s).get("name")) for s in _l(f.get("failed_scenarios")))
            body.append(
                f"<tr><th>{e(f.get('fault'))}</th><td>{e(f.get('generation'))}</td>"
                f'<td><span class="v {cls}">{e(verdict)}</span></td>{"".join(tds)}'
                f'<td class="reason">{e(f.get("error") or scen)}</td></tr>'
            )
        out.append(
            '<table class="mut" id="mutants-table"><tr><th>故障 <span class="en">fault</span></th><th>代别 gen</th>'
            f'<th>结论 <span class="en">verdict</span></th>{head}<th>失败场景 <span class="en">failed scenarios</span></th></tr>'
            + "".join(body)
            + "</table>"
        )
        clean = [c for c in _l(m.get("clean")) if isinstance(c, dict)]
        if clean:
            rows = "".join(
                f"<tr><td>{e(c.get('generation'))}</td><td>{e(c.get('exit_code'))}</td><td>{e(c.get('duration_s'))}</td>"
                f'<td class="reason">{e("; ".join(map(str, _l(c.get("problems")))) or c.get("error") or "—")}</td></tr>'
                for c in clean
            )
            out.append(
                heading(3, "无故障基线运行", "clean baseline runs")
                + "<table><tr><th>代别 gen</th><th>退出码 exit</th><th>耗时 s</th><th>问题 problems</th></tr>"
                + rows
                + "</table>"
            )
        if _l(m.get("not_covered")):
            out.append(f'<p class="note">未覆盖的故障 not covered: {e(", ".join(map(str, m["not_covered"])))}</p>')
        return "\n".join(out)

    def trace_section(self) -> str:
        out = [heading(2, "APDU 记录", "APDU traces (PINs and key material masked at recording)", "traces")]
        for i, s in enumerate(self.scenarios):
            trace = [t for t in _l(s.get("trace")) if isinstance(t, dict)]
            rows = "".join(self.trace_row(t) for t in trace)
            table = (
                (
                    '<table class="trace"><tr><th>#</th><th>类型 kind</th><th>命令 command</th><th>响应 response</th>'
                    '<th>状态字含义 <span class="en">status word</span></th><th>耗时 µs</th><th>备注 <span class="en">note</span></th></tr>'
                    + rows
                    + "</table>"
                )
                if trace
                else '<p class="muted">无 APDU / no APDU</p>'
            )
            out.append(
                f'<details id="trace-{i}"><summary>{verdict_badge(s.get("verdict"))} {e(s.get("name") or s.get("id"))} '
                f'<span class="muted">[{e(", ".join(map(str, _l(s.get("requirements")))))}] '
                f"{len(trace)} 条 entries</span></summary>{table}</details>"
            )
        return "\n".join(out)

    def trace_row(self, t: Mapping[str, Any]) -> str:
        kind = t.get("kind")
        response = str(t.get("response") or "")
        meaning = "复位应答 ATR" if kind == "reset" else self.sw_meaning(response)
        cut = t.get("response_length")
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
        micros = f"{ns / 1000:.1f}" if isinstance(ns, (int, float)) else "—"
        return (
            f'<tr><td>{e(t.get("index"))}</td><td>{e(kind)}</td><td class="hex">{e(t.get("command"))}</td>'
            f'<td class="hex">{e(response)}</td><td>{e(meaning)}</td><td>{micros}</td><td>{e("; ".join(notes))}</td></tr>'
        )

    def sw_meaning(self, response: str) -> str:
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
