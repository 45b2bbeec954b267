"""reports.html on the results of a real run: the report names every requirement, draws the
cross-region grid from the matrix, marks exactly the verdicts resting on stand-in values, escapes
whatever the results carry, shows every trace entry as recorded, and loads nothing from a network.

The run is made once per module by the real CLI (`python -m harness.cli run`), so the report is
tested against the results.json a lab would get, not a hand-made imitation.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from reports.html import REPORT_NAME, WORST_FIRST, verdict_class, write_report
from reports.provenance import requirement_provenance
from ssc.atr import decode_historical
from ssc.catalogue import load_catalogue
from ssc.profile import load_profile

PROJECT = Path(__file__).resolve().parents[3]
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Dom(HTMLParser):
    """Just enough of a DOM for the checks: elements with their attributes, text per element id."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str | None = None, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if (tag is None or t == tag) and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def with_attr(self, name: str) -> list[dict[str, str]]:
        return [a for _, a in self.elements if name in a]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "-q", "--card", "reference:gen3", "--report-dir", str(out)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]  # 通过: the clean card passes the full plan
    found = sorted(out.rglob("results.json"))
    assert found, f"the run wrote no results.json under {out}"
    return found[0].parent


@pytest.fixture(scope="module")
def results(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page(run_dir: Path) -> str:
    path = write_report(run_dir)
    assert path == run_dir / REPORT_NAME
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def dom(page: str) -> Dom:
    return Dom(page)


def _copy_run(run_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(run_dir / "results.json", copy / "results.json")
    return copy


def test_the_report_has_a_row_for_every_requirement_of_the_card_plan(dom: Dom, results: dict[str, Any]) -> None:
    rows = {a["data-requirement"]: a for a in dom.find("tr") if "data-requirement" in a}
    card_plan = {rid for rid, req in load_catalogue().requirements.items() if req.review != "RDR"}  # gen3: every card requirement
    assert set(rows) == set(results["requirements"]) == card_plan  # the reader plan's are out_of_plan, not rows


def test_each_requirement_shows_its_verdict_from_the_results(page: str, results: dict[str, Any]) -> None:
    for rid, req in results["requirements"].items():
        row = re.search(rf'<tr id="req-{re.escape(rid)}" data-requirement="{re.escape(rid)}">(.*?)</tr>', page, re.S)
        assert row, rid
        assert f'data-verdict="{req["verdict"]}"' in row.group(1), rid


def _expected_worst(cells: dict[str, Any], row: str, col: str) -> str:
    verdicts = [verdict_class(by_row[row][col]["verdict"]) for by_row in cells.values() if col in by_row.get(row, {})]
    return min(verdicts, key=WORST_FIRST.index)


def test_the_matrix_grid_has_a_cell_per_card_and_terminal_with_the_worst_verdict(page: str, results: dict[str, Any]) -> None:
    matrix = results["run"]["interop_matrix"]
    grid = re.search(r'<table class="grid" id="matrix-combined">(.*?)</table>', page, re.S)
    assert grid, "no combined matrix grid in the report"
    rows = re.findall(r'<tr><th>(.*?)(?: <small class="dut-mark">(.*?)</small>)?</th>(.*?)</tr>', grid.group(1), re.S)
    assert [r for r, _, _ in rows] == matrix["rows"]
    # the embedded card's matrix: harness-issued rows, said above the grid; the DUT's twin row marked
    assert matrix["rows_issued"] is True and 'id="matrix-rows"' in page and "不是被测卡" in page
    assert [r for r, mark, _ in rows if mark] == [matrix["dut_row"]]
    for row, _, cells_html in rows:
        classes = re.findall(r'<td class="([a-z-]+)"', cells_html)
        assert len(classes) == len(matrix["columns"]), row
        for col, cls in zip(matrix["columns"], classes):
            assert cls == _expected_worst(matrix["cells"], row, col), (row, col)
    for rid in matrix["cells"]:
        assert f'id="matrix-{rid}"' in page


def test_a_failed_matrix_cell_turns_its_grid_cell_red(run_dir: Path, results: dict[str, Any], tmp_path: Path) -> None:
    copy = _copy_run(run_dir, tmp_path)
    data = json.loads((copy / "results.json").read_text(encoding="utf-8"))
    matrix = data["run"]["interop_matrix"]
    rid, row, col = "INT-XR-2", matrix["rows"][1], matrix["columns"][2]
    matrix["cells"][rid][row][col] = {"verdict": "failed", "reason": "refused: no basic data", "apdus": 3}
    (copy / "results.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    page = write_report(copy).read_text(encoding="utf-8")
    found_grid = re.search(r'<table class="grid" id="matrix-combined">(.*?)</table>', page, re.S)
    assert found_grid, "no combined matrix grid in the report"
    found_line = re.search(rf'<tr><th>{re.escape(row)}(?: <small class="dut-mark">.*?</small>)?</th>(.*?)</tr>', found_grid.group(1), re.S)
    assert found_line, f"no grid row for {row}"
    line = found_line.group(1)
    assert re.findall(r'<td class="([a-z-]+)"', line)[2] == "failed"
    assert "refused: no basic data" in line


def test_exactly_the_verdicts_resting_on_stand_in_values_carry_the_s_mark(dom: Dom, results: dict[str, Any]) -> None:
    profile = load_profile(results["run"]["profile"]["name"])
    expected = {
        rid
        for rid in load_catalogue().requirements
        if (results["requirements"].get(rid, {}).get("provenance") or requirement_provenance(profile, rid))["stand_in"]
    }
    marked = {a["data-standin"] for a in dom.with_attr("data-standin")}
    assert expected and marked == expected
    assert "STD-ATR-1" not in marked  # rests on the ATR prefix and length only, both C


def test_the_s_mark_follows_the_provenance_recorded_in_the_results(run_dir: Path, tmp_path: Path) -> None:
    copy = _copy_run(run_dir, tmp_path)
    data = json.loads((copy / "results.json").read_text(encoding="utf-8"))
    data["requirements"]["STD-ATR-1"]["provenance"] = {"weakest": "S", "stand_in": True, "values": [{"what": "atr.prefix", "tag": "S"}]}
    data["requirements"]["STD-ATR-2"]["provenance"] = {"weakest": "C", "stand_in": False, "values": [{"what": "atr.card_sn", "tag": "C"}]}
    (copy / "results.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    marked = {a["data-standin"] for a in Dom(write_report(copy).read_text(encoding="utf-8")).with_attr("data-standin")}
    assert "STD-ATR-1" in marked and "STD-ATR-2" not in marked


def test_hostile_strings_from_the_results_are_escaped(run_dir: Path, tmp_path: Path) -> None:
    copy = _copy_run(run_dir, tmp_path)
    data = json.loads((copy / "results.json").read_text(encoding="utf-8"))
    scenario = next(s for s in data["scenarios"] if s["trace"])
    scenario["reason"] = HOSTILE
    scenario["name"] = HOSTILE
    scenario["trace"][0]["command"] = HOSTILE
    scenario["trace"][0]["error"] = HOSTILE
    first = next(iter(data["requirements"]))
    data["requirements"][first]["reason"] = HOSTILE
    data["dut"]["reader"] = HOSTILE
    data["dut"]["declaration"] = {"issuer": {"zh": HOSTILE, "en": HOSTILE}}
    data["run"]["key_source"]["warning"] = HOSTILE
    matrix = data["run"]["interop_matrix"]
    matrix["cells"]["INT-XR-1"][matrix["rows"][0]][matrix["columns"][0]]["reason"] = HOSTILE + '" onmouseover="alert(2)'
    matrix["rows"][0] = HOSTILE
    (copy / "results.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    page = write_report(copy).read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert 'onmouseover="' not in page and "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 8


def test_the_report_loads_nothing_from_anywhere(page: str) -> None:
    lowered = page.lower()
    assert "<script" not in lowered and "<link" not in lowered and "@import" not in lowered and "url(" not in lowered
    assert not re.search(r"""(src|href|action|poster|data)\s*=\s*["']?\s*(https?:|//|ftp:)""", lowered)
    assert "http://" not in lowered and "https://" not in lowered
    assert "content-security-policy" in lowered and "default-src 'none'" in lowered
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', page))


def test_every_trace_entry_is_shown_as_recorded_with_its_status_word_meaning(page: str, results: dict[str, Any]) -> None:
    profile = load_profile(results["run"]["profile"]["name"])
    entries = [t for s in results["scenarios"] for t in s["trace"]]
    assert entries
    rows = re.findall(r'<table class="trace">(.*?)</table>', page, re.S)
    assert sum(r.count("<tr>") - 1 for r in rows) == len(entries)
    masked = [t for t in entries if t["masked"]]
    assert masked, "the run masked nothing: the masking check below would prove nothing"
    for t in masked:
        assert f'<td class="hex">{t["command"]}</td>' in page  # shown with its ** as recorded
    ok = profile.sw["ok"]
    assert f"{ok.zh} / {ok.en}" in page
    for scenario_index in range(len(results["scenarios"])):
        assert f'id="trace-{scenario_index}"' in page


def test_the_device_identity_harness_and_key_warning_are_shown(page: str, results: dict[str, Any]) -> None:
    dut, run = results["dut"], results["run"]
    assert dut["atr"] in page
    decoded = dut.get("atr_decoded") or decode_historical(load_profile(run["profile"]["name"]).atr, bytes.fromhex(dut["atr"]))
    for key in ("chip_maker", "cos_id", "cos_version", "card_maker", "card_sn"):
        assert f"<td>{decoded[key]}</td>" in page, key
    assert run["profile"]["sha256"] in page and run["harness_version"] in page
    for feature in run.get("features", []):
        assert feature["sha256"] in page
    assert 'id="test-keys"' in page and run["key_source"]["warning"] in page
    for code in ("STD", "SEC", "INT", "PER"):
        assert f'id="review-{code}"' in page
    assert 'id="review-RDR"' not in page and 'id="out-of-plan"' in page  # the reader plan: one line, no rows


MUTANTS = {
    "passed": False,
    "elapsed_s": 1.5,
    "not_covered": ["fault_nobody_catches"],
    "clean": [{"generation": "gen2", "exit_code": 0, "duration_s": 1.0, "problems": [], "error": None}],
    "faults": [
        {
            "fault": "bad_card_id_mac",
            "generation": "gen2",
            "expected": ["STD-DATA-1", "INT-XR-7"],
            "verdict": "caught",
            "caught_by": ["STD-DATA-1", "INT-XR-7"],
            "covered": ["STD-DATA-1", "INT-XR-7"],
            "other_failed": ["SEC-AUTH-1"],
            "failed_scenarios": [{"name": "MAC 验证", "reason": "x"}],
            "error": None,
        },
        {
            "fault": "pin_counter_not_decremented",
            "generation": "gen2",
            "expected": ["SEC-PIN-1"],
            "verdict": "missed",
            "caught_by": [],
            "covered": ["SEC-PIN-1"],
            "other_failed": [],
            "failed_scenarios": [],
            "error": None,
        },
    ],
}


def test_a_mutants_run_gets_the_fault_by_requirement_table(tmp_path: Path) -> None:
    (tmp_path / "mutants.json").write_text(json.dumps(MUTANTS, ensure_ascii=False), encoding="utf-8")
    page = write_report(tmp_path).read_text(encoding="utf-8")
    found = re.search(r'<table class="mut" id="mutants-table">(.*?)</table>', page, re.S)
    assert found, "no mutants table in the report"
    table = found.group(1)
    header = re.findall(r"<th>([A-Z]{3}-[A-Z0-9-]+)</th>", table)
    assert header == ["STD-DATA-1", "SEC-PIN-1", "SEC-AUTH-1", "INT-XR-7"]  # catalogue order
    rows = re.findall(r"<tr><th>([a-z_]+)</th>(.*?)</tr>", table, re.S)
    cells = {fault: re.findall(r'<td(?: class="([a-z]+)")?[^>]*>', body)[2:6] for fault, body in rows}
    assert cells["bad_card_id_mac"] == ["caught", "", "other", "caught"]
    assert cells["pin_counter_not_decremented"] == ["", "missed", "", ""]
    assert "fault_nobody_catches" in page


@pytest.mark.parametrize(
    "atr, expected",
    [
        (
            "3B6D000000815246308684000000000001",
            {
                "chip_maker": "0081",
                "cos_id": "52",
                "cos_version": "46",
                "capacity": "30",
                "card_maker": "8684",
                "serial": "000000000001",
                "card_sn": "8684000000000001",
            },
        ),
        (
            "3B6D0000009052AA10123400000000ABCD",
            {
                "chip_maker": "0090",
                "cos_id": "52",
                "cos_version": "AA",
                "capacity": "10",
                "card_maker": "1234",
                "serial": "00000000ABCD",
                "card_sn": "123400000000ABCD",
            },
        ),
    ],
)
def test_decode_historical_splits_the_historical_bytes_as_the_profile_lays_them_out(atr: str, expected: dict[str, str]) -> None:
    assert decode_historical(load_profile("gen2").atr, bytes.fromhex(atr)) == expected


def test_decode_historical_of_a_short_atr_says_why_and_leaves_missing_fields_empty() -> None:
    out = decode_historical(load_profile("gen2").atr, bytes.fromhex("3B6D0000008152"))
    error = out["error"]
    assert error is not None and "historical bytes" in error and out["chip_maker"] == "0081" and out["cos_id"] == "52"
    assert out["card_sn"] is None and out["card_maker"] is None


def test_write_report_refuses_a_directory_without_results(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="neither results.json nor mutants.json"):
        write_report(tmp_path)
    (tmp_path / "results.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"results.json: not valid JSON"):
        write_report(tmp_path)


def test_script_and_quotes_in_a_scenario_name_a_reason_and_an_atr_field_show_as_text(run_dir: Path, tmp_path: Path) -> None:
    """Each value comes back from the parsed page exactly as written in results.json: escaped, not dropped."""
    copy = _copy_run(run_dir, tmp_path)
    data = json.loads((copy / "results.json").read_text(encoding="utf-8"))
    index, scenario = next((i, s) for i, s in enumerate(data["scenarios"]) if s["trace"] and s["requirements"])
    scenario["name"] = "name " + HOSTILE
    scenario["reason"] = "reason " + HOSTILE
    data["dut"]["atr_decoded"] = {**data["dut"]["atr_decoded"], "cos_id": "cos " + HOSTILE}
    matrix = data["run"]["interop_matrix"]
    cell = matrix["cells"]["INT-XR-1"][matrix["rows"][0]][matrix["columns"][0]]
    cell["reason"] = 'tip "><script>alert(3)</script>'
    (copy / "results.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    page = write_report(copy).read_text(encoding="utf-8")
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert f'<a href="#trace-{index}">name {escaped}</a>' in page
    assert f'<td class="reason">reason {escaped}</td>' in page
    assert f"<td>cos {escaped}</td>" in page
    dom = Dom(page)
    assert not [t for t, _ in dom.elements if t in ("script", "img")]
    text = "".join(dom.text)
    assert "name " + HOSTILE in text and "reason " + HOSTILE in text and "cos " + HOSTILE in text
    tips = [a["title"] for a in dom.find("td") if 'tip "' in a.get("title", "")]
    assert len(tips) == 2  # the combined grid and INT-XR-1's own: the attribute held, nothing broke out
    assert all(f'INT-XR-1: {cell["verdict"]} — tip "><script>alert(3)</script> ({cell["apdus"]} APDU)' in t for t in tips)
