"""The template machinery of reports.html, without a run: a missing value fails loudly, escaping
is total and spelt as html.escape spells it, and every template ships with the package."""

from __future__ import annotations

import dataclasses
import html
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from reports.html import TEMPLATE, environment, escape_text, render_report
from reports.page import build_page
from reports.view import Page

PROJECT = Path(__file__).resolve().parents[3]
# results with every section present (all but mutants come from results; mutants from mutants.json)
RESULTS: dict[str, Any] = {"run": {"run_id": "r1"}, "requirements": {"STD-ATR-1": {"verdict": "passed"}}}
MUTANTS: dict[str, Any] = {"passed": True, "faults": []}


def _page_without(name: str) -> SimpleNamespace:
    page = build_page(RESULTS, MUTANTS)
    fields = {f.name: getattr(page, f.name) for f in dataclasses.fields(page) if f.name != name}
    return SimpleNamespace(**fields)


def test_the_complete_view_model_renders() -> None:
    out = render_report(RESULTS, MUTANTS)
    assert 'id="req-STD-ATR-1"' in out and 'id="mutants-table"' in out and 'id="traces"' in out


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Page)])
def test_a_field_missing_from_the_view_model_raises_instead_of_rendering_empty(name: str) -> None:
    template = environment().get_template(TEMPLATE)
    with pytest.raises(jinja2.UndefinedError, match=name):
        template.render(page=_page_without(name))


def test_a_missing_template_variable_raises() -> None:
    with pytest.raises(jinja2.UndefinedError, match="page"):
        environment().get_template(TEMPLATE).render()
    with pytest.raises(jinja2.UndefinedError, match="zh"):
        environment().get_template("macros.html").module.kv_table([SimpleNamespace(en="en", value="v")])  # type: ignore[attr-defined]  # Jinja's template module exposes macros dynamically


@given(st.text())
def test_printed_values_are_escaped_exactly_as_html_escape_does(value: str) -> None:
    out = environment().from_string("<p title='{{ v }}'>{{ v }}</p>").render(v=value)
    assert out == f"<p title='{html.escape(value)}'>{html.escape(value)}</p>"
    assert html.unescape(out[len("<p title='") :].split("'", 1)[0]) == value


def test_markup_from_a_macro_is_not_escaped_twice_and_none_prints_as_nothing() -> None:
    assert escape_text(Markup("<b>x</b>")) == "<b>x</b>"
    assert escape_text(None) == "" and escape_text('a"b') == "a&quot;b"
    env = environment()
    assert (
        env.from_string('{% from "macros.html" import badge %}{{ badge(b) }}').render(
            b=SimpleNamespace(css="passed", raw='x"', text="<ok>")
        )
        == '<span class="v passed" data-verdict="x&quot;">&lt;ok&gt;</span>'
    )


def test_every_template_ships_as_package_data() -> None:
    config = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["reports"]
    package = PROJECT / "reports"
    shipped = {p for g in globs for p in package.glob(g)}  # setuptools expands the globs the same way
    templates = {p for p in (package / "templates").rglob("*") if p.is_file()}
    assert package / "templates" / TEMPLATE in templates
    unshipped = sorted(p.relative_to(package).as_posix() for p in templates - shipped)
    assert not unshipped, f"templates not in [tool.setuptools.package-data] reports: {unshipped}"


def test_a_bulk_check_shows_its_summary_table_instead_of_exchanges() -> None:
    from reports.page import summary_table

    robustness = summary_table(
        {
            "kind": "robustness",
            "apdus": 3,
            "seconds": 0.1,
            "phases": {"cla_ins": {"planned": 2, "sent": 2}},
            "ins_outcomes": {"CA": {"6D00": 2}, "B2": {"6A86": 1}},
            "failing_apdus": [{"phase": "random", "apdu": "00CA0000", "answer": "9000", "problem": "<b>accepted</b>"}],
        }
    )
    assert robustness is not None and robustness.headers == ["INS", "6A86", "6D00", "合计 total"]
    assert robustness.rows == [["CA", "", "2", "2"], ["B2", "1", "", "1"]]
    assert any("00CA0000" in n and "<b>accepted</b>" in n for n in robustness.notes)  # text: the template escapes it
    tearing = summary_table(
        {"items": [{"item": "UPDATE RECORD", "left": [{"from": 0, "to": 17, "left": "old"}, {"from": 18, "to": 18, "left": "new"}]}]}
    )
    assert tearing is not None and [r[1:3] for r in tearing.rows] == [["0–17", "old"], ["18–18", "new"]]
    assert summary_table(None) is None and summary_table({"other": 1}) is None
