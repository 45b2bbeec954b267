"""The RDR-5 latency histogram as a self-contained SVG picture (inline in report.html, and
latency.svg beside it in the run directory, for a lab to paste into its own report).

Hand-rolled on purpose: a few rectangles and lines, no library, no script, no external font or
style, so it passes the report's Content-Security-Policy and opens anywhere. One panel per APDU
kind on a shared logarithmic time axis; bar height is the share of that kind's APDUs in the bin;
the p50, p95 and p99 marks are drawn as vertical lines. Every text comes from results.json and is
escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

WIDTH = 760
LEFT = 150  # room for the kind's name and figures
RIGHT = 20
PANEL = 70  # height of one kind's panel
GAP = 14
TOP = 30
AXIS = 40  # room for the time axis under the last panel
MARKS = (("p50_us", "p50", "#1a7f37"), ("p95_us", "p95", "#bf8700"), ("p99_us", "p99", "#cf222e"))
BAR = "#3b6fb6"


def _fmt_us(us: float) -> str:
    if us >= 1000:
        return f"{us / 1000:.3g} ms"
    return f"{us:.4g} µs"


def latency_svg(kinds: Mapping[str, Mapping[str, Any]], *, title: str = "APDU latency / 命令时延") -> str:
    """The picture for ``run.reader.latency.kinds`` of a reader-plan results.json."""
    rows = [(str(k), v) for k, v in kinds.items() if v.get("count") and v.get("histogram", {}).get("counts")]
    height = TOP + len(rows) * (PANEL + GAP) + AXIS
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    if not rows:
        out.append(f'<text x="{LEFT}" y="{TOP + 20}">no latency recorded</text></svg>')
        return "\n".join(out)
    low = min(float(v["histogram"]["edges_us"][0]) for _, v in rows)
    high = max(float(v["histogram"]["edges_us"][-1]) for _, v in rows)
    span = math.log10(high) - math.log10(low) or 1.0
    plot = WIDTH - LEFT - RIGHT

    def x(us: float) -> float:
        return LEFT + (math.log10(max(us, low)) - math.log10(low)) / span * plot

    for i, (kind, summary) in enumerate(rows):
        top = TOP + i * (PANEL + GAP)
        base = top + PANEL
        edges = [float(e) for e in summary["histogram"]["edges_us"]]
        counts = [int(c) for c in summary["histogram"]["counts"]]
        total = sum(counts) or 1
        peak = max(counts) / total or 1.0
        out.append(f'<text x="4" y="{top + 14}" font-weight="bold">{escape(kind)}</text>')
        out.append(f'<text x="4" y="{top + 30}">n = {int(summary["count"])}</text>')
        out.append(f'<text x="4" y="{top + 44}">p50 {_fmt_us(summary["p50_us"])}, p95 {_fmt_us(summary["p95_us"])}</text>')
        out.append(f'<text x="4" y="{top + 58}">p99 {_fmt_us(summary["p99_us"])}, max {_fmt_us(summary["max_us"])}</text>')
        out.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#888888"/>')
        for left, right, count in zip(edges, edges[1:], counts, strict=False):
            if not count:
                continue
            h = (count / total) / peak * (PANEL - 6)
            out.append(
                f'<rect x="{x(left):.1f}" y="{base - h:.1f}" width="{max(x(right) - x(left) - 1, 1):.1f}" height="{h:.1f}" fill="{BAR}">'
                f"<title>{escape(_fmt_us(left))}–{escape(_fmt_us(right))}: {count}</title></rect>"
            )
        for key, label, colour in MARKS:
            value = summary.get(key)
            if value is not None:
                out.append(
                    f'<line x1="{x(value):.1f}" y1="{top}" x2="{x(value):.1f}" y2="{base}" stroke="{colour}" stroke-dasharray="3,2"/>'
                )
                out.append(f'<text x="{x(value) + 2:.1f}" y="{top + 9}" fill="{colour}" font-size="9">{label}</text>')
    axis = TOP + len(rows) * (PANEL + GAP)
    decade = 10 ** math.floor(math.log10(low))
    while decade <= high * 1.0001:
        for step in (1, 2, 5):
            tick = decade * step
            if low <= tick <= high:
                out.append(f'<line x1="{x(tick):.1f}" y1="{axis - GAP}" x2="{x(tick):.1f}" y2="{axis - GAP + 4}" stroke="#888888"/>')
                out.append(f'<text x="{x(tick):.1f}" y="{axis + 4}" text-anchor="middle">{escape(_fmt_us(tick))}</text>')
        decade *= 10
    out.append(f'<text x="{LEFT + plot / 2:.0f}" y="{axis + 22}" text-anchor="middle">时延（对数刻度）/ latency (log scale)</text>')
    out.append("</svg>")
    return "\n".join(out)
