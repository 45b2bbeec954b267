"""The requirement catalogue (REQUIREMENTS.md) as data: IDs, bilingual titles, reviews, and the
profile values each verdict rests on (`rests_on`), so a report can mark verdicts built on stand-ins."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Catalogue:
    reviews: dict[str, Text]
    requirements: dict[str, Requirement]

    def review_of(self, req_id: str) -> str:
        return self.requirements[req_id].review

    def is_requirement(self, tag: str) -> bool:
        return tag in self.requirements


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != "ssc-requirements/1":
        raise ValueError(f"{path.name}: format: expected 'ssc-requirements/1'")
    reviews = {k: Text(v["zh"], v["en"]) for k, v in data["reviews"].items()}
    reqs = {}
    for rid, spec in data["requirements"].items():
        review = rid.split("-", 1)[0]
        if review not in reviews:
            raise ValueError(f"{path.name}: requirements.{rid}: review {review!r} is not one of {sorted(reviews)}")
        for field in ("en", "zh", "ref"):
            if not isinstance(spec.get(field), str):
                raise ValueError(f"{path.name}: requirements.{rid}.{field}: missing (required string)")
        rests_on = spec.get("rests_on", [])
        if not isinstance(rests_on, list) or not all(isinstance(r, str) and r for r in rests_on):
            raise ValueError(f"{path.name}: requirements.{rid}.rests_on: expected a list of profile references, got {rests_on!r}")
        reqs[rid] = Requirement(rid, review, Text(spec["zh"], spec["en"]), spec["ref"], tuple(rests_on))
    return Catalogue(reviews, reqs)
