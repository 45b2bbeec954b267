"""Value types shared by the data-file schemas: hex strings, digit strings, non-empty text.

Hex values and codes are strings in every format because YAML reads an unquoted ``0A`` or ``08``
or ``441800`` as something else (or as a number with its leading zero lost). Each type here
validates one value with a message that says what was expected and how to fix it (quote it), and
declares the matching JSON Schema (a ``pattern``) so an editor flags the same mistake as the loader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

__all__ = ["HEX_DIGIT", "Check", "DataModel", "NonEmptyStr", "digits", "hex_bytes", "value_error"]

HEX_DIGIT = "[0-9A-Fa-f]"
VALUE_ERROR = "ssc_value"  # the error type of every value check below; errors.py reads its context


class DataModel(BaseModel):
    """Base of every schema model: unknown keys are refused (a misspelt key must not be silently
    ignored), values are not coerced (``"2"`` is not the integer 2), and field docstrings become
    the descriptions an editor shows."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, use_attribute_docstrings=True)


def value_error(message: str, at: str = "") -> PydanticCustomError:
    """A validation error whose `message` is shown as is; `at` extends the field path (a key inside
    the value, e.g. ``records`` inside a ``prov`` mapping)."""
    return PydanticCustomError(VALUE_ERROR, "{message}", {"message": message, "at": at})


@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class Check:
    """Annotation metadata: the value is validated by `check` alone (which returns the value to
    keep) and published as `json_schema`. Used as ``Annotated[str, Check(...)]`` so type checkers
    see the Python type while pydantic and the JSON Schema see the rule."""

    check: Callable[[Any], Any]
    json_schema: dict[str, Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self.check)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        return dict(self.json_schema)


def _got(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value)
    return f"{value!r} (a number: YAML reads unquoted digits as one; quote it)"


def hex_bytes(nbytes: int | None = None, *, what: str = "") -> Check:
    """A quoted hex string, of exactly `nbytes` bytes when given; `what` names it in messages."""
    what = what or (f"{nbytes} byte(s) of hex" if nbytes is not None else "hex bytes")
    pattern = f"^({HEX_DIGIT}{{2}}){{{nbytes}}}$" if nbytes is not None else f"^({HEX_DIGIT}{{2}})+$"

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise value_error(f'expected a quoted hex string like "0A" ({what}), got {value!r} ({type(value).__name__}); quote it in YAML')
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise value_error(f"expected hex digits ({what}), got {value!r}") from None
        if " " in value or not raw:
            raise value_error(f"expected hex digits without spaces ({what}), got {value!r}")
        if nbytes is not None and len(raw) != nbytes:
            raise value_error(f"expected {what}, got {len(raw)} byte{'' if len(raw) == 1 else 's'} ({value!r})")
        return value

    return Check(check, {"type": "string", "pattern": pattern})


def digits(count: int | None = None, *, what: str = "") -> Check:
    """A quoted string of decimal digits (`count` of them when given): region codes, PINs, ..."""
    want = f"{count} decimal digits" if count is not None else "decimal digits"
    what = f" ({what})" if what else ""
    pattern = f"^[0-9]{{{count}}}$" if count is not None else "^[0-9]+$"

    def check(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            raise value_error(f"expected a quoted string of {want}{what}; YAML reads {value!r} as a number (quote it)")
        if not isinstance(value, str) or not value.isascii() or not value.isdigit() or (count is not None and len(value) != count):
            raise value_error(f"expected a string of {want} (quoted){what}, got {value!r}")
        return value

    return Check(check, {"type": "string", "pattern": pattern})


NonEmptyStr = Annotated[str, Field(min_length=1)]
