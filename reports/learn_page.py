"""report.html of an `ssc-conform learn` run: verdict, figures, the differences with their replay
scripts, the alphabet and both state diagrams inline (SVG from Graphviz, or the DOT text)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from markupsafe import Markup

from reports.html import environment

__all__ = ["render_learn_report", "write_learn_report"]


def render_learn_report(doc: Mapping[str, Any], svgs: Mapping[str, str | None], dots: Mapping[str, str]) -> str:
    """The page; the SVGs are Graphviz output of our own DOT (labels escaped by Graphviz)."""
    safe = {side: Markup(svg) if svg else None for side, svg in svgs.items()}
    return environment().get_template("learn.html").render(doc=doc, svgs=safe, dots=dots)


def write_learn_report(path: Path, doc: Mapping[str, Any], svgs: Mapping[str, str | None], dots: Mapping[str, str]) -> Path:
    path.write_text(render_learn_report(doc, svgs, dots), encoding="utf-8")
    return path
