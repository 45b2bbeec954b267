"""The requirement catalogue (ssc/catalogue/requirements.yaml) against REQUIREMENTS.md.

The markdown is the source: every ID in its tables must be in the catalogue, and the catalogue
must invent none. Reports show the bilingual titles, so both must be present.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ssc.catalogue import CATALOGUE_FILE, load_catalogue

PROJECT = Path(__file__).resolve().parents[3]
REVIEWS = {"STD", "SEC", "INT", "PER", "RDR"}
ROW = re.compile(r"^\| ([A-Z]{3}-[A-Z0-9-]+) \|")  # STD-ATR-1, but also PER-1, RDR-6
CJK = re.compile(r"[\u4e00-\u9fff]")


def _requirements_md() -> Path:
    candidates = [Path(os.environ["SSC_SPEC_DIR"]) / "REQUIREMENTS.md"] if "SSC_SPEC_DIR" in os.environ else []
    candidates += [PROJECT.parent / "shared/spec/REQUIREMENTS.md", Path("/work/shared/spec/REQUIREMENTS.md")]
    for path in candidates:
        if path.is_file():
            return path
    message = f"REQUIREMENTS.md not found (looked in {', '.join(map(str, candidates))}); set SSC_SPEC_DIR"
    if os.environ.get("CI"):  # CI clones the project with shared/ beside it: a missing spec is an error there
        pytest.fail(message)
    pytest.skip(message)


def spec_ids(text: str) -> list[str]:
    """IDs of the table rows of REQUIREMENTS.md (lines starting with "| XXX-")."""
    return [m.group(1) for line in text.splitlines() if (m := ROW.match(line))]


def test_the_row_parser_reads_ids_and_ignores_other_lines() -> None:
    text = "| ID | requirement |\n|---|---|\n| STD-ATR-1 | ATR ... |\n| SEC-AC-12 | x |\n| RDR-6 | y |\ntext | STD-X-1 |\n"
    assert spec_ids(text) == ["STD-ATR-1", "SEC-AC-12", "RDR-6"]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_every_requirement_of_the_spec_is_in_the_catalogue_and_vice_versa(catalogue) -> None:
    ids = spec_ids(_requirements_md().read_text(encoding="utf-8"))
    assert len(ids) >= 50, f"parsed only {len(ids)} IDs: the table format may have changed"
    assert len(ids) == len(set(ids)), "REQUIREMENTS.md lists an ID twice"
    missing = sorted(set(ids) - set(catalogue.requirements))
    invented = sorted(set(catalogue.requirements) - set(ids))
    assert not missing, f"in REQUIREMENTS.md but not in {CATALOGUE_FILE.name}: {missing}"
    assert not invented, f"in {CATALOGUE_FILE.name} but not in REQUIREMENTS.md: {invented}"


def test_the_catalogue_follows_the_order_of_the_spec(catalogue) -> None:
    ids = spec_ids(_requirements_md().read_text(encoding="utf-8"))
    assert list(catalogue.requirements) == ids


def test_the_reviews_are_the_five_of_the_spec(catalogue) -> None:
    assert set(catalogue.reviews) == REVIEWS
    for code, title in catalogue.reviews.items():
        assert CJK.search(title.zh) and title.en.isascii() and title.en.strip(), code


def test_every_requirement_has_both_titles_a_reference_and_its_review(catalogue) -> None:
    for rid, req in catalogue.requirements.items():
        assert req.review == rid.split("-", 1)[0] and req.review in REVIEWS, rid
        assert catalogue.review_of(rid) == req.review
        assert req.title.en.strip() and not CJK.search(req.title.en), (rid, req.title.en)
        assert CJK.search(req.title.zh), (rid, req.title.zh)
        assert req.ref.strip(), rid
    assert {req.review for req in catalogue.requirements.values()} == REVIEWS  # every review has requirements


def test_is_requirement_tells_ids_from_other_tags(catalogue) -> None:
    assert catalogue.is_requirement("STD-ATR-1")
    assert not catalogue.is_requirement("gen3") and not catalogue.is_requirement("STD-ATR-99")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("format: ssc-requirements/2\nreviews: {}\nrequirements: {}\n", "format: expected 'ssc-requirements/1'"),
        ("- a list\n", "format: expected 'ssc-requirements/1'"),
        (
            "format: ssc-requirements/1\nreviews: {STD: {zh: 标准, en: std}}\nrequirements:\n  XYZ-A-1: {en: a, zh: 甲, ref: '§1'}\n",
            "requirements.XYZ-A-1: review 'XYZ' is not one of ['STD']",
        ),
        (
            "format: ssc-requirements/1\nreviews: {STD: {zh: 标准, en: std}}\nrequirements:\n  STD-A-1: {en: a, ref: '§1'}\n",
            "requirements.STD-A-1.zh: missing",
        ),
    ],
)
def test_a_malformed_catalogue_is_refused_with_the_field(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "requirements.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_catalogue(path)
    assert str(info.value).startswith("requirements.yaml: ") and fragment in str(info.value)


ITEMS_IN_ROW = re.compile(r"\(items? ([0-9–, ]+)[,)]")


def _items_of(text: str) -> set[int]:
    out: set[int] = set()
    for m in ITEMS_IN_ROW.finditer(text):
        for part in (p.strip() for p in m.group(1).split(",")):
            if "–" in part:
                a, b = part.split("–")
                out |= set(range(int(a), int(b) + 1))
            elif part:
                out.add(int(part))
    return out


def test_submission_items_of_each_requirement_are_those_of_the_spec(catalogue) -> None:
    text = _requirements_md().read_text(encoding="utf-8")
    rows = {m.group(1): line for line in text.splitlines() if (m := ROW.match(line))}
    for rid, req in catalogue.requirements.items():
        assert set(req.items) == _items_of(rows[rid]), rid


def test_all_27_items_are_listed_and_the_uncovered_ones_say_why(catalogue) -> None:
    from ssc.catalogue import uncovered_items

    assert sorted(catalogue.submission_items) == list(range(1, 28))
    uncovered = uncovered_items(catalogue)
    assert [i.number for i in uncovered] == [3, 15, 16, 25, 27]
    for item in uncovered:
        assert item.not_covered is not None and CJK.search(item.not_covered.zh) and item.not_covered.en
        assert catalogue.covering(item.number) == []
    assert catalogue.covering(17) == ["SEC-AC-1"] and catalogue.covering(26) == ["STD-DATA-1"]


def test_clauses_of_a_requirement(catalogue) -> None:
    assert catalogue.clauses("STD-FS-2") == {"profile": ["§3"], "ldt": ["LD/T 6001.3", "LD/T 6001.2"], "items": [8, 9]}
    assert catalogue.clauses("RDR-6")["ldt"] == ["LD/T 6001.4", "LD/T 6001.5"]
    assert all(r.sections for r in catalogue.requirements.values() if r.review in ("STD", "SEC", "INT"))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  16:\n", "  16:\n    x: 1\n", None),  # unchanged meaning: a stray key is tolerated
        ("items: [24]", "items: []", "submission_items.24: no requirement covers it"),
        ("items: [23]", "items: [23, 3]", "submission_items.3.not_covered: the item is covered by SEC-AUTH-2"),
        ("items: [23]", "items: [23, 99]", "items: [99] not in submission_items"),
    ],
)
def test_the_loader_refuses_an_unexplained_or_contradicted_item(tmp_path: Path, old: str, new: str, message: str | None) -> None:
    text = CATALOGUE_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "requirements.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    if message is None:
        load_catalogue.__wrapped__(path)
        return
    with pytest.raises(ValueError, match=re.escape(message)):
        load_catalogue.__wrapped__(path)


def test_every_feature_names_the_clauses_of_its_requirements(catalogue) -> None:
    """Each feature's 依据 block is what the catalogue says for the requirements its scenarios check."""
    from harness.clauses import HEADER, refresh

    features = PROJECT / "features"
    assert refresh(features, catalogue, write=False) == [], "run scripts/assign-case-ids"
    for path in features.rglob("*.feature"):
        assert HEADER in path.read_text(encoding="utf-8"), path.name
