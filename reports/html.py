"""The certification report: one self-contained HTML file a lab can read, archive and sign.

`write_report(run_dir)` reads the run's `results.json` (and `mutants.json` when the run was a
mutants run, `diff.json` for a lockstep diff) and writes `report.html` beside them. The page opens from disk with no server and no
network: the style sheet is inline, there are no scripts, fonts or images, and a Content-Security-
Policy forbids loading anything. Traces are shown as recorded — already masked by
`terminal.transports.tracing`; the report never sees, and so never restores, a secret.

The page is rendered from the Jinja2 templates in `reports/templates/` (a base layout, one template
per section, shared macros) over the plain view model that `reports.page` builds. Escaping is the
templates' job, not the caller's: autoescape is on for every template, so a reason or name from the
results — which can carry anything a card or a declaration file put there — shows as text. Undefined
names fail (StrictUndefined): a misspelt field raises instead of leaving a blank cell in a report a
lab signs.

Headings are bilingual, Chinese first (the users are Chinese labs, provinces and vendors).
A verdict resting on a stand-in (S) profile value carries a visible "S" mark: a real card built to
the official text may differ from this project's stand-in, so such a verdict needs that caveat.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from reports.page import WORST_FIRST, build_page, verdict_class

__all__ = ["REPORT_NAME", "WORST_FIRST", "environment", "render_report", "verdict_class", "write_report"]

REPORT_NAME = "report.html"
TEMPLATE = "report.html"


def write_report(run_dir: Path) -> Path:
    """Write run_dir/report.html from run_dir/results.json (and mutants.json); return its path."""
    run_dir = Path(run_dir)
    results = _read_json(run_dir / "results.json")
    mutants = _read_json(run_dir / "mutants.json")
    diff = _read_json(run_dir / "diff.json")
    if results is None and mutants is None and diff is None:
        raise FileNotFoundError(f"{run_dir} holds neither results.json nor mutants.json (nor a diff.json): nothing to report")
    out = run_dir / REPORT_NAME
    out.write_text(render_report(results or {}, mutants, diff), encoding="utf-8")
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


def render_report(results: Mapping[str, Any], mutants: Mapping[str, Any] | None = None, diff: Mapping[str, Any] | None = None) -> str:
    """The whole page as a string (`write_report` stores it)."""
    return environment().get_template(TEMPLATE).render(page=build_page(results, mutants, diff))


def escape_text(value: Any) -> Any:
    """Escape what a template prints the way `html.escape` does (`"` as `&quot;`, not `&#34;`).

    Jinja's autoescape would escape with markupsafe, which spells the same five characters
    differently; escaping here keeps the page byte-for-byte as earlier reports spelt their text,
    so archived reports stay comparable and searches for `&quot;` keep working. It is safe to mark
    the result as Markup: `html.escape(..., quote=True)` replaces every character that can end text
    or a quoted attribute (`& < > " '`), the same set markupsafe replaces. Markup (what a macro
    returns) is already escaped and passes through. None prints as nothing; an undefined value
    raises (StrictUndefined) when `str()` is taken of it.
    """
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


@cache
def environment() -> jinja2.Environment:
    """The template environment, built once: templates ship inside the package (package-data).

    Autoescape is on for every template whatever its name (`default=True`), not only for `.html`.
    """
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        finalize=escape_text,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
