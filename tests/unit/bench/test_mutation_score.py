"""The pure logic of bench/mutation_score.py: how an oracle run is classified, which mutants are
left out as never executed or duplicated, how the equivalents file is read and applied, and the
score that follows. The benchmark itself never runs in CI (it takes tens of minutes)."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from dataclasses import asdict
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_mutation_score", ROOT / "bench" / "mutation_score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


ms = _load()


def _mutant(line: int = 10, operator: str = "AddNot", original: str = "if x:", mutated: str = "if not x:", path: str = "m.py") -> object:
    return ms.Mutant(f"job{line}{operator}", path, operator, 0, line, 4, original, mutated, "C.f")


def _result(outcome: str, **kw: object) -> object:
    return ms.MutantResult(_mutant(**kw), outcome)  # type: ignore[arg-type]  # keyword overrides drawn from the test


@pytest.mark.parametrize(
    ("code", "timed_out", "expected"),
    [
        (0, False, "survived"),
        (4, False, "survived"),  # incomplete plan, but no requirement failed
        (1, False, "killed"),
        (2, False, "incompetent"),  # bad input
        (3, False, "incompetent"),  # the run could not complete
        (-9, False, "incompetent"),  # killed by a signal
        (None, False, "incompetent"),
        (0, True, "timed out"),  # a time-out wins over whatever status the killed run left
        (-9, True, "timed out"),
    ],
)
def test_classify_follows_the_exit_status_contract(code: int | None, timed_out: bool, expected: str) -> None:
    assert ms.classify(code, timed_out) == expected


def test_key_is_stable_across_line_moves_and_description_names_the_line() -> None:
    a = _mutant(line=10)
    b = _mutant(line=42)
    assert a.key == b.key == "m.py: C.f: AddNot: if x: → if not x:"  # type: ignore[attr-defined]  # the bench module is loaded from its file, untyped
    assert a.describe() == "m.py:10  AddNot  if x: → if not x:"  # type: ignore[attr-defined]  # as above


def test_changed_line_trims_and_falls_back_to_the_first_differing_line() -> None:
    before = "def f(a):\n    return a == 1\n"
    after = "def f(a):\n    return a != 1\n"
    assert ms.changed_line(before, after, 2) == ("return a == 1", "return a != 1")
    # a node starting on line 1 whose change is on line 2
    assert ms.changed_line(before, after, 1) == ("return a == 1", "return a != 1")


SOURCE = """\
from __future__ import annotations
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from x import Y
def f(a: bytes | None, *rest: int, 名字: str = "é") -> int | None:
    size: int | None = None
    return a or b
"""


def test_annotations_and_type_checking_blocks_are_inert() -> None:
    spans = ms.inert_spans(SOURCE)
    line5 = SOURCE.splitlines()[4]
    assert ms.is_inert((3, 3), spans)  # the TYPE_CHECKING test itself (AddNot there)
    assert ms.is_inert((5, line5.index("|")), spans)  # bytes | None
    assert ms.is_inert((5, line5.rindex("|")), spans)  # the return annotation, after a non-ASCII name
    assert ms.is_inert((6, SOURCE.splitlines()[5].index("|")), spans)  # AnnAssign
    assert not ms.is_inert((5, line5.index('"é"')), spans)  # a default value runs
    assert not ms.is_inert((7, 13), spans)  # the body
    assert not ms.is_inert((6, SOURCE.splitlines()[5].index("None =") + 7), spans)  # the assigned value


def test_addnot_is_dropped_only_where_another_operator_makes_the_same_program() -> None:
    source = "if a is None:\n    pass\nif not b:\n    pass\nif a or b:\n    pass\nif a in b:\n    pass\nwhile a != 1:\n    pass\nif a < b < c:\n    pass\n"
    assert ms.duplicate_addnot(source) == {(1, 3), (3, 3), (9, 6)}


def test_equivalents_file_is_a_mapping_of_key_to_reason(tmp_path: Path) -> None:
    f = tmp_path / "eq.yaml"
    assert ms.load_equivalents(tmp_path / "missing.yaml") == {}
    f.write_text("# nothing yet\n{}\n", encoding="utf-8")
    assert ms.load_equivalents(f) == {}
    f.write_text('"m.py: C.f: AddNot: if x: → if not x:": " x is always true here "\n', encoding="utf-8")
    assert ms.load_equivalents(f) == {"m.py: C.f: AddNot: if x: → if not x:": "x is always true here"}
    for bad in ('- "m.py: AddNot: a → b"\n', '"m.py: AddNot: a → b": ""\n', '"k": 3\n'):
        f.write_text(bad, encoding="utf-8")
        with pytest.raises(ValueError, match="mapping of mutant key"):
            ms.load_equivalents(f)


def test_summary_scores_non_equivalent_mutants_only() -> None:
    results = [
        *[_result("killed", line=i) for i in range(6)],
        _result("timed out", line=20),  # detected
        _result("incompetent", line=21),  # left out of the score
        _result("not run", line=22),
        _result("survived", line=30, original="if y:", mutated="if not y:"),  # a gap
        _result("survived", line=31),  # equivalent, by key
    ]
    summary = ms.summarize(results, {"m.py: C.f: AddNot: if x: → if not x:": "dead code", "gone: X: a → b": "old"}, complete=False)
    assert summary.counts == {"killed": 6, "survived": 2, "timed out": 1, "incompetent": 1, "not run": 1}
    assert summary.total == 11
    assert summary.score == pytest.approx(7 / 8)
    assert [r.mutant.line for r in summary.survivors] == [30]
    assert [(r.mutant.line, why) for r, why in summary.equivalent] == [(31, "dead code")]
    assert summary.stale == []  # a partial run cannot tell
    assert ms.summarize(results, {"gone: X: a → b": "old"}, complete=True).stale == ["gone: X: a → b"]
    assert ms.summarize([_result("incompetent")], {}, complete=True).score is None


def test_operator_selection_and_sample() -> None:
    assert ms.select_operators("core/AddNot", ["AddNot"])
    assert not ms.select_operators("core/ReplaceComparisonOperator_Eq_Lt", ["ReplaceComparisonOperator_Eq_NotEq"])
    mutants = [_mutant(line=i) for i in range(50, 0, -1)]
    assert ms.sample(mutants, None, 1) == sorted(mutants, key=lambda m: m.line)  # type: ignore[attr-defined]  # as above
    picked = ms.sample(mutants, 5, 1)
    assert len(picked) == 5 and picked == ms.sample(mutants, 5, 1)
    assert [m.line for m in picked] == sorted(m.line for m in picked)


def test_committed_config_and_equivalents_are_usable() -> None:
    cfg = tomllib.loads((ROOT / "bench" / "mutation_score.toml").read_text(encoding="utf-8"))
    assert cfg["cosmic-ray"]["module-path"] and cfg["mutation-score"]["operators"]
    assert set(cfg["mutation-score"]["generations"]) <= {"gen1", "gen2", "gen3"}
    for path in cfg["cosmic-ray"]["module-path"]:
        assert (ROOT / path).exists(), path
    for key in ms.load_equivalents(ms.EQUIVALENTS):
        path, _definition, operator, change = key.split(": ", 3)
        assert (ROOT / path).is_file() and operator in cfg["mutation-score"]["operators"] and " → " in change, key


def test_cosmic_ray_mutation_is_described_from_the_changed_line() -> None:
    pytest.importorskip("cosmic_ray")
    source = "def f(a):\n    return a == 1\n"
    m = ms._mutant("j", "m.py", "core/ReplaceComparisonOperator_Eq_NotEq", 0, (2, 13), source)
    assert (m.operator, m.line, m.original, m.mutated, m.definition) == (
        "ReplaceComparisonOperator_Eq_NotEq",
        2,
        "return a == 1",
        "return a != 1",
        "f",
    )
    assert ms._mutant("j", "m.py", "core/ReplaceComparisonOperator_Eq_NotEq", 1, (2, 13), source) is None  # no second ==


def test_trailing_comments_are_not_part_of_the_key() -> None:
    assert ms.strip_comment("  if x >= n:  # type: ignore[union-attr]") == "if x >= n:"
    assert ms.strip_comment('s = "# not a comment"  # one') == 's = "# not a comment"'
    assert ms.strip_comment("f(a,  # open bracket") == "f(a,"  # a line that is not complete code alone
    before = "def f(a):\n    return a == 1  # why\n"
    assert ms.changed_line(before, before.replace("==", "!="), 2) == ("return a == 1", "return a != 1")


def test_a_json_file_is_read_back_with_todays_keys(tmp_path: Path) -> None:
    m = ms.Mutant("j", "m.py", "AddNot", 0, 3, 1, "if x:  # old comment", "if not x:  # old comment", "C.f")
    r = ms.MutantResult(m, "survived", ["gen2", "gen3"], [], 9.5, "")
    doc = {"meta": {"complete": True, "wall_s": 12.0}, "results": [{**asdict(r), "key": "whatever"}]}
    meta, (back,) = ms.read_results(doc)
    assert meta["complete"] is True and meta["wall_s"] == 12.0 and meta["modules"] == []
    assert back.mutant.key == "m.py: C.f: AddNot: if x: → if not x:"
    # a file written before keys named the function: filled from the source under root
    old = {**asdict(r), "key": "whatever"}
    del old["mutant"]["definition"]
    root = tmp_path
    (root / "m.py").write_text("class C:\n    def f(self, x):\n        if x:\n            pass\n", encoding="utf-8")
    _, (filled,) = ms.read_results({"results": [old]}, root)
    assert filled.mutant.definition == "C.f"
    assert (back.outcome, back.generations, back.seconds) == ("survived", ["gen2", "gen3"], 9.5)


def test_definition_at_names_the_innermost_function() -> None:
    source = "X = 1\nclass C:\n    def f(self):\n        def g():\n            return 1\n        return g\n    Y = 2\ndef h():\n    pass\n"
    assert [ms.definition_at(source, n) for n in (1, 2, 5, 6, 7, 9)] == ["", "C", "C.f.g", "C.f", "C", "h"]
    m = ms.Mutant("j", "m.py", "NumberReplacer", 0, 1, 4, "X = 1", "X = 2")
    assert m.key == "m.py: <module>: NumberReplacer: X = 1 → X = 2"


def test_match_keeps_the_mutants_whose_description_contains_a_text() -> None:
    pin = _mutant(74, "ReplaceOrWithAnd", "if a or b:", "if a and b:", "reference_card/commands/pin.py")
    select = _mutant(41, "NumberReplacer", "x = 0", "x = 1", "reference_card/commands/select.py")
    assert ms.matches(pin, []) and ms.matches(select, [])
    assert ms.matches(pin, ["pin.py:74"]) and not ms.matches(select, ["pin.py:74"])
    assert ms.matches(select, ["pin.py:99", "select.py"])
