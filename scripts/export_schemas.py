"""The JSON Schemas of the data formats a lab edits, generated from their schema models.

One entry per format: its name and version, the model that describes it, and the files of the
repository written in it. `render` gives the text of ``schemas/<name>-<version>.schema.json``;
scripts/export-schemas writes them (or checks them, ``--check``) and tests/unit/test_schemas.py
checks that the committed files are current and that every data file validates against its schema.

``$id`` is ``https://ssc-conform.example/schemas/<file>``: a stable identifier, not a download
location (``.example`` is reserved and resolves nowhere); editors find the schema by the relative
path in each file's ``# yaml-language-server: $schema=`` line or by the ``yaml.schemas`` setting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from harness.apdu_estimates import ApduEstimates
from harness.cardset_schema import CardSetDocument
from harness.declaration_schema import DeclarationFile
from harness.ics_schema import IcsFile
from harness.interop_expectations_schema import ExpectationsDocument
from harness.learn.alphabet_schema import AlphabetDocument
from harness.operator_schema import OperatorAnswersDocument
from harness.replay.script import ReplayScript
from ssc.keyset_schema import LabKeyDocument
from ssc.profile.schema import ProfileLayer
from ssc.reader_interface.schema import ReaderInterfaceDocument
from ssc.readertest_schema import ReaderTestDocument
from terminal.invalid_lists_schema import InvalidListDocument
from terminal.regions_schema import RegionsDocument

__all__ = ["BASE_ID", "FORMATS", "SCHEMAS_DIR", "DataFormat", "render"]

SCHEMAS_DIR = Path("schemas")
BASE_ID = "https://ssc-conform.example/schemas/"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class DataFormat:
    name: str  # e.g. ssc-keys
    version: int
    model: type[BaseModel]
    files: tuple[str, ...]  # globs, relative to the repository root

    @property
    def format(self) -> str:
        """The value of the files' ``format:`` key, e.g. ``ssc-keys/1``."""
        return f"{self.name}/{self.version}"

    @property
    def file_name(self) -> str:
        return f"{self.name}-{self.version}.schema.json"

    @property
    def path(self) -> Path:
        return SCHEMAS_DIR / self.file_name


FORMATS = (
    DataFormat("ssc-profile", 1, ProfileLayer, ("ssc/profile/data/*.yaml",)),
    DataFormat("ssc-declaration", 1, DeclarationFile, ("fixtures/issuers/*.yaml",)),
    DataFormat("ssc-apdu-estimates", 1, ApduEstimates, ("fixtures/apdu_estimates.yaml",)),
    DataFormat("ssc-ics", 1, IcsFile, ("fixtures/ics/*.yaml",)),
    DataFormat("ssc-keys", 1, LabKeyDocument, ("fixtures/keys/*.yaml",)),
    DataFormat("ssc-regions", 1, RegionsDocument, ("fixtures/regions.yaml",)),
    DataFormat("ssc-interop-expectations", 1, ExpectationsDocument, ("fixtures/interop_expectations.yaml",)),
    DataFormat("ssc-invalid-list", 1, InvalidListDocument, ("fixtures/invalid_lists/*.yaml",)),
    DataFormat("ssc-reader-test", 1, ReaderTestDocument, ("ssc/data/reader-test.yaml",)),
    DataFormat("ssc-reader-interface", 1, ReaderInterfaceDocument, ("ssc/reader_interface/data/*.yaml",)),
    DataFormat("ssc-alphabet", 1, AlphabetDocument, ("fixtures/alphabets/*.yaml", "fixtures/alphabets/focus/*.yaml")),
    DataFormat("ssc-replay", 1, ReplayScript, ("fixtures/replay/*.yaml",)),
    DataFormat("ssc-card-set", 1, CardSetDocument, ("fixtures/cardsets/*.yaml",)),
    DataFormat("ssc-operator-answers", 1, OperatorAnswersDocument, ("fixtures/operator/*.yaml",)),
)


def _keys_must_match(node: Any) -> Any:
    """pydantic publishes a mapping with constrained keys as ``patternProperties``, which lets any
    other key through; the loaders refuse such keys, so the schema says so (``propertyNames``)."""
    if isinstance(node, list):
        return [_keys_must_match(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _keys_must_match(v) for k, v in node.items()}
    patterns = out.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1 and "additionalProperties" not in out and "properties" not in out:
        ((pattern, values),) = patterns.items()
        del out["patternProperties"]
        out["propertyNames"] = {"pattern": pattern}
        out["additionalProperties"] = values
    return out


def schema_of(fmt: DataFormat) -> dict[str, Any]:
    generated = _keys_must_match(fmt.model.model_json_schema())
    description = " ".join((fmt.model.__doc__ or "").split())
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": BASE_ID + fmt.file_name,
        **generated,
        "title": f"{fmt.format} — {fmt.model.__name__}",
        "description": f"{description} (format {fmt.format}; generated from {fmt.model.__module__}.{fmt.model.__name__} by scripts/export-schemas)",
    }


def render(fmt: DataFormat) -> str:
    return json.dumps(schema_of(fmt), indent=2, ensure_ascii=False) + "\n"
