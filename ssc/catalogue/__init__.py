"""The requirement catalogue (REQUIREMENTS.md) as data: IDs, bilingual titles, reviews, and the
profile values each verdict rests on (`rests_on`), so a report can mark verdicts built on stand-ins.

Each requirement also names the clauses it tests, so a lab can cite them beside a test case: the
PROFILE.md sections, the LD/T 6001 parts (its review's, unless it names its own) and the items of
the 27-item submission list. Items no requirement covers carry the reason in the data;
`uncovered_items` lists them ("not covered by this suite version")."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from ssc.profile.model import Text

CATALOGUE_FILE = Path(__file__).parent / "requirements.yaml"


@dataclass(frozen=True)
class Requirement:
    id: str
    review: str
    title: Text
    ref: str
    rests_on: tuple[str, ...] = ()  # profile references, resolved by reports.provenance
    sections: tuple[str, ...] = ()  # PROFILE.md clauses ("§5")
    ldt: tuple[str, ...] = ()  # LD/T 6001 parts ("LD/T 6001.3"), where known
    items: tuple[int, ...] = ()  # numbers of the 27-item submission list


@dataclass(frozen=True)
class SubmissionItem:
    """One item of the 27-item submission test list; `not_covered` says why no requirement covers it."""

    number: int
    title: Text
    not_covered: Text | None = None


@dataclass(frozen=True)
class Catalogue:
    reviews: dict[str, Text]
    requirements: dict[str, Requirement]
    submission_items: dict[int, SubmissionItem] = field(default_factory=dict)

    def covering(self, item: int) -> list[str]:
        """The requirements that cover submission item `item`."""
        return [r.id for r in self.requirements.values() if item in r.items]

    def clauses(self, req_id: str) -> dict[str, list[str] | list[int]]:
        """What a test case of `req_id` cites: PROFILE sections, LD/T 6001 parts, submission items."""
        r = self.requirements[req_id]
        return {"profile": list(r.sections), "ldt": list(r.ldt), "items": list(r.items)}

    def review_of(self, req_id: str) -> str:
        return self.requirements[req_id].review

    def is_requirement(self, tag: str) -> bool:
        return tag in self.requirements


def uncovered_items(catalogue: Catalogue | None = None) -> list[SubmissionItem]:
    """The items of the 27-item submission list that no requirement covers ("not covered by this
    suite version"), each with the reason written in the catalogue data, in item order."""
    cat = catalogue or load_catalogue()
    return [item for n, item in sorted(cat.submission_items.items()) if not cat.covering(n)]


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _submission_items(path: Path, raw: object, reqs: dict[str, Requirement]) -> dict[int, SubmissionItem]:
    if raw is None:  # a catalogue without the submission list (e.g. a lab's own) maps no items
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: submission_items: expected a mapping of item numbers (the 27-item list of REQUIREMENTS.md)")
    out: dict[int, SubmissionItem] = {}
    for number, spec in raw.items():
        where = f"{path.name}: submission_items.{number}"
        if not isinstance(number, int) or not isinstance(spec, dict) or not all(isinstance(spec.get(k), str) for k in ("zh", "en")):
            raise ValueError(f"{where}: expected an item number with zh and en titles")
        reason = spec.get("not_covered")
        if reason is not None and not (isinstance(reason, dict) and all(isinstance(reason.get(k), str) for k in ("zh", "en"))):
            raise ValueError(f"{where}.not_covered: expected zh and en reasons")
        covered = [r.id for r in reqs.values() if number in r.items]
        if covered and reason is not None:
            raise ValueError(f"{where}.not_covered: the item is covered by {', '.join(covered)}; drop the reason")
        if not covered and reason is None:
            raise ValueError(f"{where}: no requirement covers it; say why under not_covered (zh, en)")
        out[number] = SubmissionItem(number, Text(spec["zh"], spec["en"]), Text(reason["zh"], reason["en"]) if reason else None)
    for r in reqs.values():
        unknown = [n for n in r.items if n not in out]
        if unknown:
            raise ValueError(f"{path.name}: requirements.{r.id}.items: {unknown} not in submission_items")
    return out


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != "ssc-requirements/1":
        raise ValueError(f"{path.name}: format: expected 'ssc-requirements/1'")
    reviews = {k: Text(v["zh"], v["en"]) for k, v in data["reviews"].items()}
    review_ldt = {k: _strings(v.get("ldt", []), f"{path.name}: reviews.{k}.ldt") for k, v in data["reviews"].items()}
    reqs = {}
    for rid, spec in data["requirements"].items():
        review = rid.split("-", 1)[0]
        if review not in reviews:
            raise ValueError(f"{path.name}: requirements.{rid}: review {review!r} is not one of {sorted(reviews)}")
        for key in ("en", "zh", "ref"):
            if not isinstance(spec.get(key), str):
                raise ValueError(f"{path.name}: requirements.{rid}.{key}: missing (required string)")
        rests_on = spec.get("rests_on", [])
        if not isinstance(rests_on, list) or not all(isinstance(r, str) and r for r in rests_on):
            raise ValueError(f"{path.name}: requirements.{rid}.rests_on: expected a list of profile references, got {rests_on!r}")
        items = spec.get("items", [])
        if not isinstance(items, list) or not all(isinstance(n, int) for n in items):
            raise ValueError(f"{path.name}: requirements.{rid}.items: expected a list of item numbers, got {items!r}")
        sections = _strings(spec.get("sections", []), f"{path.name}: requirements.{rid}.sections")
        ldt = _strings(spec["ldt"], f"{path.name}: requirements.{rid}.ldt") if "ldt" in spec else review_ldt[review]
        reqs[rid] = Requirement(rid, review, Text(spec["zh"], spec["en"]), spec["ref"], tuple(rests_on), sections, ldt, tuple(items))
    return Catalogue(reviews, reqs, _submission_items(path, data.get("submission_items"), reqs))
