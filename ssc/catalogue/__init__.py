"""The requirement catalogue (REQUIREMENTS.md) as data: IDs, bilingual titles, reviews."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
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


@dataclass(frozen=True)
class Catalogue:
    reviews: dict[str, Text]
    requirements: dict[str, Requirement]

    def review_of(self, req_id: str) -> str:
        return self.requirements[req_id].review

    def is_requirement(self, tag: str) -> bool:
        return tag in self.requirements


@lru_cache(maxsize=None)
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
        reqs[rid] = Requirement(rid, review, Text(spec["zh"], spec["en"]), spec["ref"])
    return Catalogue(reviews, reqs)
