"""The certification report in a real browser: Debian's chromium, headless, opening report.html
straight from disk (file://) with networking off — as a lab opens the archived file.

Checks: the page renders (a screenshot, kept in the test's tmp dir as an artefact), the rendered
DOM holds the verdict table and the cross-region matrix, and the page logs nothing on the console
(no script errors, no blocked loads). Control pages with a script error and with an external
resource prove the console check can see what it looks for.

chromium comes from scripts/setup. Without it the tests skip with the reason — unless CI or
SSC_REQUIRE_PCSC is set, in which case they fail: a CI run must not go green without the browser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reports.html import write_report

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM_CANDIDATES = ("chromium", "/usr/bin/chromium")
WINDOW = (1400, 2000)
BROWSER_TIMEOUT_S = 120
CONSOLE_LINE = re.compile(r":CONSOLE[:(]|Uncaught", re.I)


def _chromium() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    message = "Debian chromium is not installed (looked for /usr/bin/chromium); run scripts/setup as root, which installs it"
    if os.environ.get("CI") or os.environ.get("SSC_REQUIRE_PCSC", "") not in ("", "0"):
        pytest.fail(f"{message} — CI/SSC_REQUIRE_PCSC is set, so this is a failure", pytrace=False)
    pytest.skip(message)


def run_chromium(work: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """One headless chromium run with every network-facing feature off and a private profile."""
    work.mkdir(parents=True, exist_ok=True)
    args = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={work / 'profile'}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        *extra,
        url,
    ]
    env = {**os.environ, "HOME": str(work)}
    return subprocess.run(args, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, env=env, cwd=work)


def console_lines(stderr: str, page: Path) -> list[str]:
    """Console messages (errors, CSP violations, uncaught exceptions) the page produced."""
    return [line for line in stderr.splitlines() if CONSOLE_LINE.search(line) and (page.as_uri() in line or "Uncaught" in line)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _chromium()  # skip or fail before spending a run
    out = tmp_path_factory.mktemp("browser-run")
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "-q", "--card", "reference:gen3", "--report-dir", str(out)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]  # 通过: the clean card passes the full plan
    run_dir = sorted(out.rglob("results.json"))[0].parent
    return write_report(run_dir)


@pytest.fixture(scope="module")
def rendered(report: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(the DOM after rendering, chromium's log) for the report."""
    proc = run_chromium(tmp_path_factory.mktemp("dom"), report.as_uri(), "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, proc.stderr


class _Tables(HTMLParser):
    """Counts of rendered elements the checks need."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.requirement_rows: list[str] = []
        self.grid_cells: dict[str, int] = {}
        self._table: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "table":
            self._table = a.get("id")
        if tag == "tr" and "data-requirement" in a:
            self.requirement_rows.append(a["data-requirement"])
        if tag == "td" and self._table and "data-verdict" in a:
            self.grid_cells[self._table] = self.grid_cells.get(self._table, 0) + 1


def test_the_report_renders_to_a_screenshot(report: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("screenshot")
    png = work / "report.png"
    proc = run_chromium(work, report.as_uri(), f"--screenshot={png}")
    assert proc.returncode == 0 and png.is_file(), proc.stderr[-3000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == WINDOW
    # a blank page of this size compresses to ~13 kB; the report's first screen is tables and text
    assert len(data) > 60_000, f"screenshot {png} is only {len(data)} bytes: the page looks empty"
    print(f"screenshot kept at {png}")


def test_the_rendered_dom_holds_the_verdict_table_and_the_matrix(rendered: tuple[str, str], report: Path) -> None:
    dom, _ = rendered
    tables = _Tables(dom)
    assert {"summary", "dut", "verdicts", "matrix", "matrix-combined", "traces", "test-keys"} <= tables.ids
    written = _Tables(report.read_text(encoding="utf-8"))
    assert tables.requirement_rows == written.requirement_rows
    # one row per requirement of the card plan for the card's generation (RDR belongs to the reader plan)
    planned = json.loads((report.parent / "results.json").read_text(encoding="utf-8"))["requirements"]
    assert sorted(tables.requirement_rows) == sorted(planned) and len(planned) >= 50
    assert tables.grid_cells.get("matrix-combined", 0) >= 9 * 18  # card regions/generations × terminal regions
    assert tables.grid_cells == written.grid_cells


def test_the_page_logs_nothing_on_the_console(rendered: tuple[str, str], report: Path) -> None:
    _, log = rendered
    assert console_lines(log, report) == []


@pytest.mark.parametrize(
    "body, expected",
    [
        ("<script>console.error('boom'); notDefined();</script>", "Uncaught"),
        ("<img src='https://example.invalid/logo.png'>", "violates the following Content Security Policy"),
    ],
    ids=["script-error", "external-resource"],
)
def test_the_console_check_sees_errors_on_a_control_page(tmp_path: Path, body: str, expected: str) -> None:
    _chromium()
    page = tmp_path / "control.html"
    csp = "" if "script" in body else '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
    page.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{csp}</head><body><p>control</p>{body}</body></html>", encoding="utf-8"
    )
    proc = run_chromium(tmp_path / "work", page.as_uri(), "--enable-logging=stderr", "--v=0", "--dump-dom")
    lines = console_lines(proc.stderr, page)
    assert any(expected in line for line in lines), proc.stderr[-3000:]
