"""Turn a schema validation error into the one line a lab reads: field path and what was expected.

Pydantic reports a location (``('files', 'SSSE/EF05', 'records', '01', 'fmt')``) and an error type;
this module writes the location the way the files are written (``files.SSSE/EF05.records.01.fmt``,
list positions as ``[i]``) and phrases the expectation in the words of the data files, adding the
field's own description (the one an editor shows) where the type alone would not say enough.
Only the first error is reported: one fix at a time, as a lab edits by hand.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ssc.formats.types import VALUE_ERROR

__all__ = ["describe", "field_path", "validate"]

M = TypeVar("M", bound=BaseModel)

_MAPPING_ERRORS = {"dict_type", "model_type", "model_attributes_type"}
_EXPECTED_TYPE = {
    "string_type": "a quoted string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "list_type": "a list",
}


def validate(model: type[M], data: Any, fail: Callable[[str, str], Exception]) -> M:
    """`data` as a `model`; on the first problem raise ``fail(field_path, expectation)``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise fail(*describe(model, exc.errors(include_url=False)[0])) from None


def field_path(loc: Sequence[int | str]) -> str:
    """``national.MK.3DES.01``; list positions as ``entries[0]``; ``(file)`` for the document."""
    out = ""
    for part in loc:
        if part == "[key]":  # the key itself was wrong: the path already names it
            continue
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "(file)"


def describe(model: type[BaseModel], error: ErrorDetails) -> tuple[str, str]:
    """(field path, message) of one pydantic error found validating against `model`."""
    loc = list(error["loc"])
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    schema = _json_schema(model)
    if kind == VALUE_ERROR:
        path = field_path(loc) + (f".{ctx['at']}" if ctx.get("at") else "")
        return path, str(ctx["message"])
    description = _node(schema, loc).get("description", "")
    if kind == "missing":
        message = "missing (required)"
    elif kind == "extra_forbidden":
        allowed = list(_node(schema, loc[:-1]).get("properties", {}))
        message = f"unknown field; expected one of {', '.join(allowed)}"
        description = ""
    elif kind in _MAPPING_ERRORS:
        message = f"expected a mapping, got {value!r}"
    elif kind in _EXPECTED_TYPE:
        message = f"expected {_EXPECTED_TYPE[kind]}, got {value!r}"
    elif kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", ""))) or [str(ctx.get("expected"))]
        message, description = f"expected one of {', '.join(choices)}, got {value!r}", ""
    elif kind in ("greater_than_equal", "greater_than"):
        sign = "≥" if kind == "greater_than_equal" else ">"
        message = f"expected an integer {sign} {ctx.get('ge', ctx.get('gt'))}, got {value!r}"
    elif kind == "string_too_short":
        message = f"expected a non-empty string, got {value!r}"
    elif kind == "too_short":
        message = f"expected a non-empty {'list' if isinstance(value, list) else 'mapping'}, got {value!r}"
    else:
        message = error["msg"]
    if description:
        message += f" — {_first_sentence(description)}"
    return field_path(loc), message


def _first_sentence(text: str) -> str:
    return text.strip().split("\n\n")[0].replace("\n", " ")


@functools.cache
def _json_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def _node(schema: dict[str, Any], loc: Sequence[int | str]) -> dict[str, Any]:
    """The JSON Schema of the value at `loc` (with the description of the field that holds it)."""
    defs = schema.get("$defs", {})

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in node:
                node = {**defs[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
            elif "anyOf" in node:  # `X | None`: the X
                branch: dict[str, Any] = next((b for b in node["anyOf"] if b.get("type") != "null"), {})
                node = {**branch, **{k: v for k, v in node.items() if k != "anyOf"}}
            else:
                return node

    node = resolve(schema)
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            child = node.get("items", {})
        elif part in node.get("properties", {}):
            child = node["properties"][part]
        else:
            extra = node.get("additionalProperties")
            child = extra if isinstance(extra, dict) else {}
        node = resolve(child)
    return node
