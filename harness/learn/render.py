"""State diagrams of learned machines: Graphviz DOT text, rendered to SVG by the `dot` program
(Debian package graphviz) for inlining in report.html.

Transitions between the same two states are drawn as one edge labelled with every
``input / output`` pair, so a 50-state machine stays readable; an edge carrying a transition that
differs from the other machine is drawn red and bold, its differing pairs marked with ``≠``.
"""

from __future__ import annotations

import shutil
import subprocess

from harness.learn.compare import MachineView

__all__ = ["render_svg", "to_dot"]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(machine: MachineView, title: str, marks: set[tuple[str, str]] | None = None) -> str:
    marks = marks or set()
    edges: dict[tuple[str, str], list[tuple[str, bool]]] = {}
    for s in machine.states:
        for a in machine.inputs:
            edges.setdefault((s, machine.delta[(s, a)]), []).append((f"{a} / {machine.output[(s, a)]}", (s, a) in marks))
    lines = [
        f"digraph {_quote(title)} {{",
        "  rankdir=LR;",
        '  node [shape=circle, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8];',
        f"  label={_quote(title)}; labelloc=t;",
        '  __start [shape=point, label=""];',
        f"  __start -> {machine.initial};",
    ]
    for s in machine.states:
        lines.append(f"  {s} [label={_quote(s)}];")
    for (src, dst), labels in edges.items():
        differing = any(m for _, m in labels)
        text = "\\n".join(("≠ " if m else "") + label for label, m in sorted(labels))
        style = ', color="#c0392b", fontcolor="#c0392b", penwidth=2.5' if differing else ""
        lines.append(f"  {src} -> {dst} [label={_quote(text).replace(chr(92) * 2 + 'n', chr(92) + 'n')}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot: str, *, timeout: float = 60.0) -> str | None:
    """The SVG of `dot`, or None when Graphviz is not installed or fails (the report then shows
    the DOT text instead)."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, "-Tsvg"], input=dot.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    svg = done.stdout.decode("utf-8")
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else None
