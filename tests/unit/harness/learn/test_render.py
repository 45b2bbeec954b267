"""State diagrams: differing transitions highlighted, self-loops folded into the states."""

from __future__ import annotations

import shutil

import pytest

from harness.learn.render import render_svg, to_dot
from tests.unit.harness.learn.test_compare import counter


def test_dot_highlights_the_differing_transitions_only() -> None:
    machine = counter(2)
    dot = to_dot(machine, "model", {("s0", "wrong")})
    edge = next(line for line in dot.splitlines() if line.strip().startswith("s0 -> s1"))
    assert "#c0392b" in edge and "≠ wrong / 63C1" in edge
    other = next(line for line in dot.splitlines() if line.strip().startswith("s1 -> s0"))
    assert "#c0392b" not in other


def test_self_loops_are_written_inside_the_state() -> None:
    dot = to_dot(counter(2), "model")
    assert "s0 -> s0" not in dot
    state = next(line for line in dot.splitlines() if line.strip().startswith("s0 [label="))
    assert "↺ read / 9000 orig" in state


def test_labels_are_quoted_for_dot() -> None:
    machine = counter(1)
    machine.output[("s0", "read")] = 'say "hi" \\ there'
    dot = to_dot(machine, 'a "title"')
    assert 'say \\"hi\\" \\\\ there' in dot and 'digraph "a \\"title\\""' in dot


def test_graphviz_renders_an_svg_that_scales_to_the_page() -> None:
    assert shutil.which("dot"), "Graphviz's dot is missing: scripts/setup installs the Debian package graphviz"
    svg = render_svg(to_dot(counter(2), "model", {("s0", "wrong")}))
    assert svg is not None and svg.startswith("<svg")
    head = svg[: svg.index(">")]
    assert "viewBox" in head and "width=" not in head and "width:100%" in head


def test_no_svg_without_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert render_svg("digraph g { a -> b }") is None


def test_a_difference_is_drawn_as_its_path_through_both_machines() -> None:
    from harness.learn.render import path_dot

    dot = path_dot(counter(3), counter(3, decrements=False), ("wrong", "wrong"), "difference 1")
    assert 'm0 [label="model: s0"]' in dot and 'd0 [label="DUT: s0"]' in dot
    last = [line for line in dot.splitlines() if "->" in line and "#c0392b" in line]
    assert [line.split("[")[0].strip() for line in last] == ["m1 -> m2", "d1 -> d2"]
    assert "wrong / 63C1" in last[0] and "wrong / 63C3" in last[1]
