"""`ssc-conform learn` end to end, kept small for CI (the full proofs are bench/bench_learn.py):
the clean card is equivalent to its model, a PIN-counter fault is a different machine whose
distinguishing sequence replays, and operator mistakes are bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.learn.alphabet import ALPHABETS_DIR
from harness.learn.run import LearnOptions, run_learn
from harness.replay.operations import OperationContext
from harness.replay.player import replay
from harness.replay.script import load
from reference_card import ReferenceCard
from terminal.transports.inprocess import InProcessTransport
from tests.e2e.cli import run_cli
from tests.e2e.test_bad_input import assert_one_line_of_bad_input
from tests.unit import rig

PIN_ADMIN = ALPHABETS_DIR / "focus" / "pin-admin.yaml"  # 7 symbols, 14 states: seconds, not the default's minute


def learn(tmp_path: Path, name: str, **options: object) -> tuple[int, dict[str, object], list[str]]:
    lines: list[str] = []
    code = run_learn(LearnOptions(report_dir=tmp_path / name, alphabet=PIN_ADMIN, **options), out=lines.append)  # type: ignore[arg-type]
    return code, json.loads((tmp_path / name / "learn.json").read_text(encoding="utf-8")), lines


def test_the_clean_card_is_equivalent_to_its_model(tmp_path: Path) -> None:
    code, doc, lines = learn(tmp_path, "clean", card="reference:gen2")
    assert code == 0, lines
    assert doc["verdict"] == "equivalent" and doc["differences"] == []
    assert doc["model"]["figures"]["states"] == doc["dut"]["figures"]["states"] >= 4  # type: ignore[index]
    assert any("expected to need at most about" in line and "--max-apdus" in line for line in lines), "the estimate comes first"
    html = (tmp_path / "clean" / "report.html").read_text(encoding="utf-8")
    assert "等价 EQUIVALENT" in html and html.count("<svg") + html.count("<pre>digraph") == 2


def test_a_pin_counter_fault_is_a_different_machine_with_a_replayable_sequence(tmp_path: Path) -> None:
    code, doc, lines = learn(tmp_path, "fault", card="reference:gen2", faults=("pin_counter_not_decremented",))
    assert code == 1, lines
    assert doc["verdict"] == "different"
    first = doc["differences"][0]  # type: ignore[index]
    assert first["sequence"] == ["verify_wrong"] and first["confirmed"]
    assert first["model_outputs"] == ["63C2"] and first["dut_outputs"] == ["63C3"]
    assert "SEC-PIN-1" in first["requirements"] and len(first["sequence"]) <= 12
    script = load(tmp_path / "fault" / first["replay"])
    assert script.source == "learn" and script.requirements == first["requirements"]
    assert script.steps[-1].model and script.steps[-1].model[-1].sw == "63C2" and script.steps[-1].expect[-1].sw == "63C3"
    profile = rig.PROFILES["gen2"]
    for faults, same in ((["pin_counter_not_decremented"], True), ([], False)):
        transport = InProcessTransport(ReferenceCard.default("gen2", faults=faults))
        ctx = OperationContext.over(transport, profile, rig.initial_pin(profile), rig.open_psam(profile))
        assert all(step.same for step in replay(script, ctx)) is same
    html = (tmp_path / "fault" / "report.html").read_text(encoding="utf-8")
    assert "不同 DIFFERENT" in html and "verify_wrong" in html and "#c0392b" in html


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--alphabet", "/nonexistent/alphabet.yaml"], ["--alphabet", "no such file"]),
        (["--max-apdus", "0"], ["--max-apdus", "positive"]),
        (["--card", "reference:gen9"], ["--card", "gen9"]),
        (["--fault", "no_such_fault"], ["--fault", "no_such_fault"]),
        (["--alphabet", str(ALPHABETS_DIR / "gen3.yaml")], ["profiles", "gen3", "gen2"]),
        (["--keys", "/nonexistent/lab-keys.yaml"], ["--keys", "lab-keys.yaml"]),
        (["--profile", "/nonexistent/lab-profile.yaml"], ["--profile", "lab-profile.yaml"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: list[str]) -> None:
    code = main(["learn", "--report-dir", str(tmp_path / "out"), *args])
    captured = capsys.readouterr()
    assert_one_line_of_bad_input(code, captured.out + captured.err, *words)
    assert not (tmp_path / "out" / "learn.json").exists()


def test_bad_input_from_the_command_line(tmp_path: Path) -> None:
    code, out, _, _ = run_cli("learn", "--report-dir", str(tmp_path / "out"), "--alphabet", str(tmp_path / "none.yaml"), timeout=60)
    assert_one_line_of_bad_input(code, out, "--alphabet", "none.yaml")


SMALL = """format: ssc-alphabet/1
profiles: [gen2]
symbols:
  - {name: auth_right, op: external_authenticate, args: {key: UKSSSE, cryptogram: right}}
  - {name: read_ef05, op: read_record, args: {path: SSSE/EF05, tag: "05"}}
  - {name: update_ef05, op: update_record, args: {path: SSSE/EF05, number: "5", auth: none}}
  - {name: reset, op: reset}
"""


@pytest.mark.parametrize(
    ("fault", "alphabet", "sequence"),
    [
        ("swapped_diversification", None, ["auth_right"]),
        ("no_read_record_by_tag", None, ["read_ef05"]),
        ("reload_pin_no_effect", PIN_ADMIN, ["change_temp", "reset", "change_back", "verify_right"]),
    ],
)
def test_a_card_that_refuses_or_ignores_a_restore_is_a_difference(
    tmp_path: Path, fault: str, alphabet: Path | None, sequence: list[str]
) -> None:
    if alphabet is None:
        alphabet = tmp_path / "small.yaml"
        alphabet.write_text(SMALL, encoding="utf-8")
    lines: list[str] = []
    code = run_learn(LearnOptions(report_dir=tmp_path / fault, alphabet=alphabet, card="reference:gen2", faults=(fault,)), out=lines.append)
    assert code == 1, lines
    doc = json.loads((tmp_path / fault / "learn.json").read_text(encoding="utf-8"))
    shortest = min(doc["differences"], key=lambda d: len(d["sequence"]))
    assert shortest["sequence"] == sequence and shortest["confirmed"], lines
    assert (tmp_path / fault / shortest["replay"]).is_file()
    assert bool(doc["notes"]) is (fault == "swapped_diversification")  # the refused key is named


TEARING = ALPHABETS_DIR / "focus" / "tearing.yaml"


@pytest.mark.parametrize(
    ("fault", "last"),
    [
        (None, None),
        ("no_anti_tearing", "9000 torn"),  # torn_update_ef05 → read_ef05 (or → update_ef05_wrong_tag, whose read-back shows it)
        ("try_counter_after_compare", "9000 answered"),  # torn_verify_right
        ("wrong_tag_written", "6A80 other"),  # update_ef05_wrong_tag
    ],
)
def test_the_tearing_alphabet_sees_torn_writes_a_late_counter_and_a_stored_wrong_tag(
    tmp_path: Path, fault: str | None, last: str | None
) -> None:
    name = fault or "clean"
    lines: list[str] = []
    faults = () if fault is None else (fault,)
    code = run_learn(LearnOptions(report_dir=tmp_path / name, alphabet=TEARING, card="reference:gen2", faults=faults), out=lines.append)
    doc = json.loads((tmp_path / name / "learn.json").read_text(encoding="utf-8"))
    if fault is None:
        assert code == 0 and doc["notes"] == [], lines  # the embedded card has the hook: tearing is seen
        return
    assert code == 1, lines
    shortest = min(doc["differences"], key=lambda d: len(d["sequence"]))
    assert len(shortest["sequence"]) <= 2 and shortest["confirmed"], lines
    assert any(d["dut_outputs"][-1] == last for d in doc["differences"]), lines


def test_a_card_without_the_tearing_hook_is_learned_and_the_run_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.learn.run as learn_run

    profile = rig.PROFILES["gen2"]
    monkeypatch.setattr(learn_run, "_open_dut", lambda *_: (InProcessTransport(ReferenceCard.default("gen2")), profile))
    lines: list[str] = []
    code = run_learn(LearnOptions(report_dir=tmp_path / "nohook", alphabet=TEARING, card="reference:gen2"), out=lines.append)
    assert code == 0, lines  # the model has no hook either: the torn symbols answer 6E00 on both
    assert any("no tearing test hook" in line and "cannot see tearing" in line for line in lines), lines
    doc = json.loads((tmp_path / "nohook" / "learn.json").read_text(encoding="utf-8"))
    assert any(t["output"] == "6E00 nohook" for t in doc["dut"]["machine"]["transitions"])
