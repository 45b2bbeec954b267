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
