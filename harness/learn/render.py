"""State diagrams of learned machines: Graphviz DOT text, rendered to SVG by the `dot` program
(Debian package graphviz) for inlining in report.html.

Transitions between the same two states are drawn as one edge labelled with every
``input / output`` pair, so a 50-state machine stays readable; an edge carrying a transition that
differs from the other machine is drawn red and bold, its differing pairs marked with ``≠``.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from harness.learn.compare import MachineView

__all__ = ["path_dot", "render_svg", "to_dot"]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(machine: MachineView, title: str, marks: set[tuple[str, str]] | None = None) -> str:
    """DOT text of `machine`; `marks` are its (state, input) transitions that differ from the other
    machine. Self-loops are folded into the state's box (most transitions of a card are loops:
    a read that changes nothing), the other transitions are edges."""
    marks = marks or set()
    edges: dict[tuple[str, str], list[tuple[str, bool]]] = {}
    loops: dict[str, list[tuple[str, bool]]] = {s: [] for s in machine.states}
    for s in machine.states:
        for a in machine.inputs:
            label = (f"{a} / {machine.output[(s, a)]}", (s, a) in marks)
            target = machine.delta[(s, a)]
            if target == s:
                loops[s].append(label)
            else:
                edges.setdefault((s, target), []).append(label)
    lines = [
        f"digraph {_quote(title)} {{",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=9];',
        '  edge [fontname="Helvetica", fontsize=8];',
        f"  label={_quote(title)}; labelloc=t;",
        '  __start [shape=point, label=""];',
        f"  __start -> {machine.initial};",
    ]
    for s in machine.states:
        own = loops[s]
        text = _lines([f"{s}" + (" (initial)" if s == machine.initial else "")] + [("≠ " if m else "↺ ") + t for t, m in sorted(own)])
        style = ', color="#c0392b", fontcolor="#c0392b", penwidth=2.5' if any(m for _, m in own) else ""
        lines.append(f"  {s} [label={text}{style}];")
    for (src, dst), labels in edges.items():
        differing = any(m for _, m in labels)
        text = _lines([("≠ " if m else "") + t for t, m in sorted(labels)])
        style = ', color="#c0392b", fontcolor="#c0392b", penwidth=2.5' if differing else ""
        lines.append(f"  {src} -> {dst} [label={text}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def path_dot(model: MachineView, dut: MachineView, sequence: tuple[str, ...], title: str) -> str:
    """The distinguishing sequence walked in both machines, one row each, the last step red: the
    readable view of a difference (the full diagrams of a 50-state card are dense)."""
    lines = [
        f"digraph {_quote(title)} {{",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica", fontsize=9];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for side, machine in (("model", model), ("DUT", dut)):
        state = machine.initial
        prefix = "m" if side == "model" else "d"
        lines.append(f'  {prefix}0 [label="{side}: {state}"];')
        for i, a in enumerate(sequence, 1):
            out, state = machine.output[(state, a)], machine.delta[(state, a)]
            last = i == len(sequence)
            style = ', color="#c0392b", fontcolor="#c0392b", penwidth=2.5' if last else ""
            lines.append(f"  {prefix}{i} [label={_quote(state)}];")
            lines.append(f"  {prefix}{i - 1} -> {prefix}{i} [label={_quote(f'{a} / {out}')}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _lines(parts: list[str]) -> str:
    """A quoted DOT label of left-aligned lines."""
    return '"' + "".join(p.replace("\\", "\\\\").replace('"', '\\"') + "\\l" for p in parts) + '"'


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
    if start < 0:
        return None
    svg = svg[start:]
    head_end = svg.find(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", svg[:head_end])  # scale to the page: the viewBox stays
    return head + ' style="width:100%;height:auto"' + svg[head_end:]
