"""Reading back a run's stored documents (results.json, mutants.json) for `ssc-conform report`.

The files are on disk where anything may have happened to them — a run killed mid-write, an edit,
a copy that lost its tail. Rebuilding a report from such a file must be one line naming the file
and what is wrong (exit status 2), not a traceback, and never a report of an empty run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.exitstatus import UsageError

RESULTS = "results.json"
MUTANTS = "mutants.json"
# The members the report is built from, and the JSON type each must have.
SHAPES: dict[str, dict[str, type]] = {
    RESULTS: {"requirements": dict, "scenarios": list},
    MUTANTS: {"clean": list, "faults": list},
}
_JSON_TYPES: dict[type, str] = {dict: "an object", list: "an array"}


class RunDocumentError(UsageError):
    """A stored run document that cannot be read or has the wrong shape."""


def read_run_document(path: Path) -> dict[str, Any]:
    """The JSON object in `path`, checked against the shape of its kind (by file name)."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise RunDocumentError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise RunDocumentError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise RunDocumentError(
            f"{path}: not valid JSON (truncated or edited?): {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(data, dict):
        raise RunDocumentError(f"{path}: expected a JSON object at the top level, got {type(data).__name__}")
    for member, kind in SHAPES.get(path.name, {}).items():
        if not isinstance(data.get(member), kind):
            got = "nothing" if member not in data else type(data[member]).__name__
            raise RunDocumentError(f"{path}: {member}: expected {_JSON_TYPES[kind]}, got {got}")
    return data
