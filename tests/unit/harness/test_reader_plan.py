"""The reader plan is a plan of its own: RDR only, its own certification statement, its own
options (refused in a card run, and the card's refused in a reader run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.exitstatus import UsageError
from harness.plan import FULL, INCOMPLETE, PASS, card_plan, certification_statement, overall_verdict, reader_plan
from harness.results import NOT_RUN, PASSED
from harness.run import RunOptions, _reader_args
from ssc.catalogue import load_catalogue

CATALOGUE = load_catalogue()
RDR = [rid for rid, req in CATALOGUE.requirements.items() if req.review == "RDR"]


def test_the_reader_plan_is_every_rdr_requirement_and_nothing_else() -> None:
    plan = reader_plan(CATALOGUE, [["RDR-1", "TC-RDR-1-01"], ["RDR-3"]], "gen2")
    assert list(plan.requirements) == RDR
    assert plan.of == "reader"
    assert set(plan.without_scenario) == set(RDR) - {"RDR-1", "RDR-3"}
    assert not set(card_plan(CATALOGUE, [], "gen2").requirements) & set(RDR)


def test_a_reader_run_passes_only_when_every_rdr_requirement_passed() -> None:
    plan = reader_plan(CATALOGUE, [[rid] for rid in RDR], "gen2")
    all_passed = {rid: {"verdict": PASSED, "scenarios": ["x"]} for rid in RDR}
    verdict = overall_verdict(plan, all_passed, partial=False)
    assert verdict["overall"] == PASS and verdict["plan"] == FULL and verdict["plan_of"] == "reader"
    statement = certification_statement(verdict)
    assert statement is not None and "读写器" in statement[0] and "reader plan" in statement[1]
    assert "card_plan" in verdict["out_of_plan"]
    one_not_run = dict(all_passed) | {"RDR-6": {"verdict": NOT_RUN, "scenarios": ["x"], "reason": "no --lib given"}}
    verdict = overall_verdict(plan, one_not_run, partial=False)
    assert verdict["overall"] == INCOMPLETE
    assert verdict["not_run"] == [{"requirement": "RDR-6", "reason": "no --lib given"}]
    assert certification_statement(verdict) is None


def refused(options: RunOptions) -> str:
    with pytest.raises(UsageError) as info:
        options.validate()
    return str(info.value)


def test_reader_options_need_the_reader_plan() -> None:
    assert refused(RunOptions(reader="Virtual PCD 00 00")).startswith("--reader:")
    assert refused(RunOptions(long_run=5)).startswith("--long-run:")


def test_the_reader_plan_needs_a_reader_and_refuses_card_options(tmp_path: Path) -> None:
    assert refused(RunOptions(plan="reader")).startswith("--reader:")
    assert "--card" in refused(RunOptions(plan="reader", reader="x", card="reference:gen3"))
    assert refused(RunOptions(plan="reader", reader="x", lib=tmp_path / "none.so")).startswith("--lib:")
    assert refused(RunOptions(plan="reader", reader="x", card_atr="3BZZ")).startswith("--card-atr")
    assert refused(RunOptions(plan="reader", reader="x", long_run=0)).startswith("--long-run")
    assert refused(RunOptions(plan="gadget")).startswith("--plan")


def test_good_reader_options_reach_pytest(tmp_path: Path) -> None:
    lib = tmp_path / "libreader.so"
    lib.write_bytes(b"\x7fELF")
    options = RunOptions(plan="reader", reader="Virtual PCD 00 00", lib=lib, card_atr="3B00", long_run=100, tags="RDR-3")
    assert options.validate() == "RDR-3"
    args = _reader_args(options, "Virtual PCD 00 01")
    assert "--ssc-plan=reader" in args and "--ssc-psam-reader=Virtual PCD 00 01" in args
    assert f"--ssc-lib={lib}" in args and "--ssc-long-run=100" in args


def test_rdr6_runs_last_in_the_reader_plan_only() -> None:
    """RDR-6's rig takes the vpcd slots over from the plan's served cards, so its scenarios go last."""
    from types import SimpleNamespace
    from typing import Any

    from harness.reader_plugin import pytest_collection_modifyitems

    def item(name: str, *tags: str) -> Any:
        markers = [SimpleNamespace(name=t) for t in tags]
        return SimpleNamespace(name=name, fixturenames=("_pytest_bdd_example",), iter_markers=lambda: markers)

    def order(plan: str) -> list[str]:
        items = [item("lib-1", "RDR-6"), item("atr", "RDR-2"), item("lib-2", "RDR-6"), item("psam", "RDR-4")]
        config: Any = SimpleNamespace(getoption=lambda name, default=None: plan)
        pytest_collection_modifyitems(config, items)
        return [i.name for i in items]

    assert order("reader") == ["atr", "psam", "lib-1", "lib-2"]
    assert order("card") == ["lib-1", "atr", "lib-2", "psam"]


def test_a_reader_that_is_not_vpcd_is_physical_and_rdr6_then_asks_the_operator() -> None:
    from harness.operator import NoOperator
    from harness.reader_session import ReaderSession

    assert not ReaderSession("Virtual PCD 00 00", reader="Virtual PCD 00 00").physical
    lab = ReaderSession("ACS ACR39U", reader="ACS ACR39U ICC Reader 00 00")
    assert lab.physical and isinstance(lab.operator, NoOperator)
    assert not ReaderSession("nothing opened").physical  # unknown until the reader is resolved
