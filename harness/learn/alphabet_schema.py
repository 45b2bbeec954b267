"""The learning-alphabet format ``ssc-alphabet/1`` as a schema model (fixtures/alphabets/*.yaml).

An alphabet is the set of abstract inputs the learner may send: each symbol names one card
operation of the replay registry (harness/replay/operations.py) with its arguments, the requirement
IDs its behaviour bears on (a difference found through it is classified to them) and whether it is
destructive (allowed only with ``--allow-destructive`` on a card in a reader).
``schemas/ssc-alphabet-1.schema.json`` is generated from this model.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field

from ssc.formats import Check, DataModel, NonEmptyStr, value_error

__all__ = ["FORMAT", "AlphabetDocument", "SymbolDocument"]

FORMAT = "ssc-alphabet/1"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REQ = re.compile(r"^[A-Z]{2,4}(-[A-Z0-9]+)+$")


def _name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise value_error(f"expected a symbol name of lower-case letters, digits and _, got {value!r}")
    return value


def _req(value: Any) -> str:
    if not isinstance(value, str) or not _REQ.match(value):
        raise value_error(f"expected a requirement ID such as SEC-PIN-1, got {value!r}")
    return value


SymbolName = Annotated[str, Check(_name, {"type": "string", "pattern": _NAME.pattern})]
RequirementId = Annotated[str, Check(_req, {"type": "string", "pattern": _REQ.pattern})]


class SymbolDocument(DataModel):
    """One abstract input: a named card operation with its arguments."""

    name: SymbolName
    """the symbol as it appears in the learned machine and the distinguishing sequences"""
    op: NonEmptyStr
    """an operation of the replay registry (harness/replay/operations.py): select, verify, change_pin,
    get_challenge, external_authenticate, internal_authenticate, read_record, read_binary,
    update_record, update_binary, sm_update, append_record, application_block, application_unblock,
    unblock_pin, torn_update, torn_verify (through the tearing test hook), reset, power_cycle, apdu"""
    args: dict[str, str] = {}
    """the operation's arguments as strings, e.g. {path: SSSE/EF05, tag: "05"} or {pin: wrong}"""
    requirements: list[RequirementId] = []
    """requirement IDs a difference through this symbol bears on (default: the operation's)"""
    destructive: bool = False
    """true: may change the card for good (APPLICATION BLOCK); sent to a card in a reader only with
    --allow-destructive"""
    description: str = ""
    """what the symbol does, for the report"""


class AlphabetDocument(DataModel):
    """The abstract input alphabet of automata learning (ssc-conform learn), format ssc-alphabet/1."""

    format: Literal["ssc-alphabet/1"]
    """the format and its version"""
    profiles: Annotated[list[NonEmptyStr], Field(min_length=1)]
    """the profiles (gen1, gen2, gen3) whose files, keys and commands the symbols name"""
    title: str = ""
    """what the alphabet is for"""
    symbols: Annotated[list[SymbolDocument], Field(min_length=1)]
    """the symbols, in the order they label the machine's inputs"""
