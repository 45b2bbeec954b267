"""`ssc-conform run` options of issue 3, end to end: --tags, --declaration, --keys, --psam."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reference_card import ReferenceCard
from reference_card.psam import PsamCard
from ssc.keyset import TestKeySet
from ssc.profile import load_profile
from tests.e2e.cli import PROJECT, assert_only_selected, run_cli, verdicts

ISSUERS = PROJECT / "fixtures" / "issuers"
EXAMPLE_KEYS = PROJECT / "fixtures" / "keys" / "example-lab-keys.yaml"
PER = ("PER-1", "PER-2", "PER-3")


@pytest.mark.parametrize(
    "tags, words",
    [
        ("SEC-PIN-9", "unknown tag 'SEC-PIN-9'"),
        ("@gen4 and not destructive", "unknown tag '@gen4'"),
        ("(PER-1 or PER-2", "missing ')'"),
    ],
)
def test_bad_tags_are_a_usage_error(tmp_path: Path, tags: str, words: str) -> None:
    code, out, doc, _ = run_cli("run", "--tags", tags, "--report-dir", str(tmp_path))
    assert code == 2, out
    assert words in out and doc is None


def test_tags_select_scenarios_by_requirement(tmp_path: Path) -> None:
    code, out, doc, _ = run_cli("run", "-q", "--tags", "@SEC-PIN-1 or PER-3", "--report-dir", str(tmp_path))
    assert doc is not None, out
    assert_only_selected(doc, {"SEC-PIN-1", "PER-3"}, out)
    assert code == 4  # every selected requirement passed, but --tags makes it a partial plan


def test_reference_card_uses_its_issuers_declaration_by_default(tmp_path: Path) -> None:
    code, out, doc, _ = run_cli("run", "-q", "--card", "reference:gen3", "--tags", " or ".join(PER), "--report-dir", str(tmp_path))
    assert doc is not None, out
    assert verdicts(doc) == {rid: "passed" for rid in PER}, out
    assert doc["run"]["declaration"]["region"] == "441800"
    assert doc["run"]["declaration"]["file"].endswith("fixtures/issuers/441800.yaml")
    assert code == 4  # every selected requirement passed, but --tags makes it a partial plan


def test_another_regions_declaration_fails_card_data_and_keys(tmp_path: Path) -> None:
    code, out, doc, _ = run_cli(
        "run",
        "-q",
        "--tags",
        " or ".join(PER),
        "--declaration",
        str(ISSUERS / "330200.yaml"),
        "--report-dir",
        str(tmp_path),
    )
    assert doc is not None, out
    assert verdicts(doc) == {"PER-1": "failed", "PER-2": "failed", "PER-3": "passed"}, out
    reasons = doc["requirements"]["PER-1"]["reason"] + doc["requirements"]["PER-2"]["reason"]
    assert "330200.yaml: region declares 330200" in reasons
    assert "diversified for region 330200" in reasons and "not tried" in reasons
    assert code == 1


@pytest.mark.parametrize(
    "content, words",
    [
        ("format: ssc-declaration/1\nregion: 441800\n", "region: expected a quoted string of 6 decimal digits"),
        ("format: other\n", "format: expected 'ssc-declaration/1'"),
    ],
)
def test_a_bad_declaration_is_a_usage_error_naming_file_and_field(tmp_path: Path, content: str, words: str) -> None:
    bad = tmp_path / "issuer.yaml"
    bad.write_text(content, encoding="utf-8")
    code, out, doc, _ = run_cli("run", "--declaration", str(bad), "--report-dir", str(tmp_path))
    assert code == 2 and doc is None, out
    assert f"issuer.yaml: {words}" in out


def test_example_lab_key_file_gives_the_same_verdicts(tmp_path: Path) -> None:
    code, out, doc, _ = run_cli(
        "run",
        "-q",
        "--card",
        "reference:gen3",
        "--keys",
        str(EXAMPLE_KEYS),
        "--tags",
        "PER-2 or STD-DATA-1 or SEC-PIN-1",
        "--report-dir",
        str(tmp_path),
    )
    assert doc is not None, out
    assert_only_selected(doc, {"PER-2", "STD-DATA-1", "SEC-PIN-1"}, out)
    assert doc["run"]["key_source"]["label"] == "lab key file example-lab-keys.yaml"
    assert code == 4  # every selected requirement passed, but --tags makes it a partial plan


def test_psam_must_name_a_reader(tmp_path: Path) -> None:
    code, out, _, _ = run_cli("run", "--psam", "slot2", "--report-dir", str(tmp_path))
    assert code == 2 and "expected reader:" in out


@pytest.mark.pcsc
def test_reader_card_without_declaration_does_not_run_per(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    served = serve_card(ReferenceCard.default("gen2"))
    code, out, doc, _ = run_cli("run", "-q", "--card", f"reader:{served.reader}", "--tags", " or ".join(PER), "--report-dir", str(tmp_path))
    assert doc is not None, out
    for rid in PER:
        req = doc["requirements"][rid]
        assert req["verdict"] == "not-run" and "no issuer declaration given (--declaration)" in req["reason"], req
    assert doc["run"]["declaration"] is None


@pytest.mark.pcsc
def test_hardware_psam_in_a_second_reader_serves_the_cards_region(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    """The card in one vpcd reader, a PSAM (the reference PSAM model) in the other: PER-2 derives
    every key through the PSAM over PC/SC, with the declaration given explicitly."""
    profile = load_profile("gen3")
    card = serve_card(ReferenceCard.default("gen3"))
    psam = serve_card(PsamCard(profile, "441800", "441800000001", TestKeySet.for_profile(profile)), port=35964)
    code, out, doc, _ = run_cli(
        "run",
        "-q",
        "--card",
        f"reader:{card.reader}",
        "--psam",
        f"reader:{psam.reader}",
        "--declaration",
        str(ISSUERS / "441800.yaml"),
        "--tags",
        "PER-2 or INT-XR-1",
        "--report-dir",
        str(tmp_path),
    )
    assert doc is not None, out
    assert verdicts(doc) == {"PER-2": "passed", "INT-XR-1": "passed"}, out
    assert code == 4  # every selected requirement passed, but --tags makes it a partial plan


@pytest.mark.parametrize(
    "value, words",
    [("19999", "needs at least 20000 bits (profile randomness.min_bits)"), ("lots", "expected a whole number of bits")],
)
def test_random_bits_is_validated(tmp_path: Path, value: str, words: str) -> None:
    code, out, doc, _ = run_cli("run", "--random-bits", value, "--report-dir", str(tmp_path))
    assert code == 2 and words in out and doc is None, out


def test_random_bits_sets_the_battery_sample(tmp_path: Path) -> None:
    code, out, doc, _ = run_cli("run", "-q", "--tags", "STD-CMD-3 and slow", "--random-bits", "40000", "--report-dir", str(tmp_path))
    assert doc is not None and code == 4, out  # --tags: a partial plan
    (battery,) = doc["scenarios"]
    assert battery["verdict"] == "passed" and battery["apdus"] == 313, battery  # 40000 bits in 16-byte challenges
    assert "GET CHALLENGE APDUs" not in out  # no estimate for the in-process card


@pytest.mark.pcsc
def test_the_battery_announces_its_cost_on_a_card_in_a_reader(tmp_path: Path, serve_card: Callable[..., Any]) -> None:
    served = serve_card(ReferenceCard.default("gen2"))
    ics = "fixtures/ics/reference-gen2.yaml"  # STD-CMD-3 needs the card's declared challenge lengths
    code, out, doc, _ = run_cli(
        "run", "--card", f"reader:{served.reader}", "--ics", ics, "--tags", "STD-CMD-3 and slow", "--report-dir", str(tmp_path)
    )
    assert doc is not None and code == 4, out  # --tags: a partial plan
    assert "STD-CMD-3 randomness battery: 157 GET CHALLENGE APDUs (20000 bits in 16-byte challenges" in out, out
    assert out.index("GET CHALLENGE APDUs") < out.index("PASS STD-CMD-3"), out


def test_a_run_stopped_at_its_first_failure_fails_and_is_a_partial_plan(tmp_path: Path) -> None:
    """The mutation benchmark's oracle stops at the first failed scenario: the verdict is still
    不通过 (one failed requirement is enough) but the run covered part of the plan, so it never
    reads as a full-plan verdict."""
    import json
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path; from harness.run import RunOptions, run_suite; "
        "sys.exit(run_suite(RunOptions(card='reference:gen2', report_dir=Path(sys.argv[1]), quiet=True, "
        "results_only=True, first_failure=True, faults=('pin_counter_not_decremented',))).exit_code)"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert doc["verdict"]["overall"] == "fail" and doc["verdict"]["plan"] == "partial"
    failed = [rid for rid, r in doc["requirements"].items() if r["verdict"] == "failed"]
    assert len(failed) == 1, failed  # the run stopped at the first failure


def test_a_run_stopped_at_its_first_failure_runs_on_past_an_inconclusive_scenario(tmp_path: Path) -> None:
    """The oracle stops at the first *failed* scenario, not at pytest's first failed phase: with
    OR rules evaluated as AND, SEC-AC-2 first meets a read-back it cannot make (inconclusive) and
    only a later SEC-AC-5 row fails. Stopping at the inconclusive one would read as an incomplete
    run, and the mutation benchmark would count the mutant as surviving."""
    import json
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path; from harness.run import RunOptions, run_suite; "
        "sys.exit(run_suite(RunOptions(card='reference:gen2', report_dir=Path(sys.argv[1]), quiet=True, "
        "results_only=True, first_failure=True, faults=('or_rule_as_and',))).exit_code)"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert [r["requirement"] for r in doc["verdict"]["inconclusive"]], "the fault no longer makes a scenario inconclusive first"
    assert [rid for rid, r in doc["requirements"].items() if r["verdict"] == "failed"] == ["SEC-AC-5"]
