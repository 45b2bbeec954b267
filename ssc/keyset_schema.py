"""The lab key-file format ``ssc-keys/1`` as a schema model (fixtures/keys/example-lab-keys.yaml).

National roots by key name, local (DF80) roots by city, each as algorithm → version (two hex
digits) → a 16-byte root in hex. ssc/keyset.py LabKeyFile reads the validated model;
``schemas/ssc-keys-1.schema.json`` is generated from it. Only TEST keys may ever be stored this way.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from ssc.crypto.algorithm import Algorithm
from ssc.formats import Check, DataModel, NonEmptyStr, digits, hex_bytes, value_error
from ssc.formats.types import HEX_DIGIT

__all__ = ["FORMAT", "KEY_BYTES", "LabKeyDocument"]

FORMAT = "ssc-keys/1"
KEY_BYTES = 16  # 3DES (double length) and SM4 keys alike


def _algorithm(value: Any) -> Algorithm:
    try:
        return Algorithm.from_name(value)
    except ValueError as exc:
        raise value_error(str(exc)) from None


def _version(value: Any) -> int:
    if not isinstance(value, str) or len(value) != 2:
        raise value_error(f'expected a hex version of two digits such as "01" (quoted), got {value!r}')
    try:
        return int(value, 16)
    except ValueError:
        raise value_error(f'expected a hex version of two digits such as "01", got {value!r}') from None


AlgorithmName = Annotated[Algorithm, Check(_algorithm, {"type": "string", "enum": [a.value for a in Algorithm]})]
Version = Annotated[int, Check(_version, {"type": "string", "pattern": f"^{HEX_DIGIT}{{2}}$"})]
Root = Annotated[str, hex_bytes(KEY_BYTES, what=f"a {KEY_BYTES}-byte key")]
CityCode = Annotated[str, digits(6, what="a city's GB/T 2260 code")]
ByAlgorithm = Annotated[
    dict[AlgorithmName, dict[Version, Root]],
    Field(description="a mapping of algorithm (3DES, SM4) → key version (two hex digits) → root (32 hex digits)"),
]


class LabKeyDocument(DataModel):
    """A lab's test-key file, format ssc-keys/1: the national roots of the card keys and the
    local roots of each city's DF80 keys, from which card keys are diversified (PROFILE §6.2).
    TEST KEYS ONLY — production keys belong in a PSAM."""

    format: Literal["ssc-keys/1"]
    """the format and its version"""
    note: str | None = None
    """free text for the humans who read the file"""
    national: dict[NonEmptyStr, ByAlgorithm] = {}
    """national roots: key name (as in the profile, e.g. MK) → algorithm → version → root"""
    local: dict[CityCode, dict[NonEmptyStr, ByAlgorithm]] = {}
    """local roots of the DF80 keys: city code (quoted) → key name (e.g. RLK) → algorithm → version → root"""
