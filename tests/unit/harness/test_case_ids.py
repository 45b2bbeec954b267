"""Test-case IDs: every case of the suite has exactly one, unique; a reworded title or a moved
scenario keeps its ID; `assign` only fills in what is missing."""

from __future__ import annotations

import re
import runpy
import shutil
import sys
from pathlib import Path

import pytest

from harness.case_ids import assign, case_id_of, problems, scan
from ssc.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parents[3]
FEATURES = ROOT / "features"
KNOWN = set(load_catalogue().requirements)


def _ids_by_title(features: Path) -> dict[str, list[str]]:
    cases, _ = scan(features)
    out: dict[str, list[str]] = {}
    for c in cases:
        out.setdefault(f"{c.path.relative_to(features)}:{c.title}", []).extend(c.ids)
    return out


def test_every_case_of_the_suite_has_one_unique_id() -> None:
    assert problems(FEATURES, KNOWN) == []


def test_the_check_script_passes_on_the_suite_and_fails_on_a_missing_id(suite_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = runpy.run_path(str(ROOT / "scripts" / "assign-case-ids"))
    monkeypatch.setattr(sys, "argv", ["assign-case-ids", "--check"])
    assert script["main"]() == 0
    pin = suite_copy / "security" / "pin.feature"
    pin.write_text(re.sub(r" ?@TC-SEC-PIN-1-01", "", pin.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["assign-case-ids", "--check", "--features", str(suite_copy)])
    assert script["main"]() == 1


def test_ids_name_the_cases_first_requirement_in_the_lab_format() -> None:
    cases, _ = scan(FEATURES)
    for c in cases:
        (tc,) = c.ids
        assert re.fullmatch(r"TC-[A-Z]+-[A-Z0-9-]+?-([0-9]{2,}|[A-Za-z0-9.+_-]+)", tc), tc
        assert any(tc.startswith(f"TC-{r}-") for r in c.requirements(KNOWN)), (tc, c.requirements(KNOWN))


@pytest.fixture
def suite_copy(tmp_path: Path) -> Path:
    target = tmp_path / "features"
    shutil.copytree(FEATURES, target)
    return target


def test_renaming_a_title_changes_no_id(suite_copy: Path) -> None:
    """The ID is a tag, not a function of the title: rename every scenario of a file, nothing moves."""
    before = sorted(i for c in scan(suite_copy)[0] for i in c.ids)
    pin = suite_copy / "security" / "pin.feature"
    text = pin.read_text(encoding="utf-8")
    renamed = re.sub(r"(场景: )(.+)", r"\1（改写后的标题）\2", text)
    assert renamed != text
    pin.write_text(renamed, encoding="utf-8")
    assert sorted(i for c in scan(suite_copy)[0] for i in c.ids) == before
    assert assign(suite_copy, KNOWN) == []  # nothing to fill in
    assert problems(suite_copy, KNOWN) == []


def test_a_new_scenario_gets_the_next_number_and_no_other_id_changes(suite_copy: Path) -> None:
    before = _ids_by_title(suite_copy)
    pin = suite_copy / "security" / "pin.feature"
    text = pin.read_text(encoding="utf-8")
    second = re.search(r"\n(  @TC-SEC-PIN-1-\d+\n  场景: 正确 PIN 重置错误计数器)", text)
    assert second is not None
    middle = "  场景: 新加的场景，插在中间\n    当 校验错误的 PIN\n\n"
    pin.write_text(text[: second.start(1)] + middle + text[second.start(1) :], encoding="utf-8")
    given = assign(suite_copy, KNOWN)
    n = max(int(i.rsplit("-", 1)[1]) for ids in before.values() for i in ids if i.startswith("TC-SEC-PIN-1-"))
    assert given == [f"TC-SEC-PIN-1-{n + 1:02d}"]
    after = _ids_by_title(suite_copy)
    assert after.pop("security/pin.feature:新加的场景，插在中间") == given
    assert after == before
    assert problems(suite_copy, KNOWN) == []


def test_assign_splits_a_multi_row_examples_block_and_numbers_each_row(suite_copy: Path) -> None:
    new = suite_copy / "security" / "extra.feature"
    new.write_text(
        "# language: zh-CN\n@SEC-ROB-1\n功能: 试验\n\n  场景大纲: 发送 <命令>\n    当 发送 <命令>\n\n"
        "    @gen2\n    例子: 两行\n      | 命令 |\n      | 甲 |\n      | 乙乙 |\n",
        encoding="utf-8",
    )
    taken = [int(i.rsplit("-", 1)[1]) for c in scan(suite_copy)[0] for i in c.ids if i.startswith("TC-SEC-ROB-1-")]
    first, second = (f"TC-SEC-ROB-1-{n:02d}" for n in (max(taken, default=0) + 1, max(taken, default=0) + 2))
    assert problems(suite_copy, KNOWN)  # no ID, two rows under one block
    assert assign(suite_copy, KNOWN) == [first, second]  # the next free numbers of the requirement
    text = new.read_text(encoding="utf-8")
    assert f"    @gen2 @{first}\n    例子: 两行\n      | 命令 |\n      | 甲   |\n" in text
    assert f"    @gen2 @{second}\n    例子: 两行\n      | 命令 |\n      | 乙乙 |\n" in text
    assert problems(suite_copy, KNOWN) == []


def test_duplicates_and_ids_on_an_outline_are_reported(suite_copy: Path) -> None:
    pin = suite_copy / "security" / "pin.feature"
    text = pin.read_text(encoding="utf-8")
    first, second = re.findall(r"@TC-SEC-PIN-1-\d+", text)[:2]
    pin.write_text(text.replace(second, first), encoding="utf-8")
    atr = suite_copy / "standards" / "atr.feature"
    atr.write_text(atr.read_text(encoding="utf-8").replace("  场景大纲:", "  @TC-STD-ATR-1-99\n  场景大纲:"), encoding="utf-8")
    found = "\n".join(problems(suite_copy, KNOWN))
    assert f"test-case ID {first[1:]} is used 2 times" in found
    assert "TC-STD-ATR-1-99 on a 场景大纲" in found


def test_case_id_of_tags() -> None:
    assert case_id_of(["SEC-PIN-1", "gen2", "TC-SEC-PIN-1-02"]) == "TC-SEC-PIN-1-02"
    assert case_id_of(["@TC-STD-SW-1-03"]) == "TC-STD-SW-1-03"
    assert case_id_of(["SEC-PIN-1"]) is None
