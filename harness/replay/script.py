"""The replay-script format ``ssc-replay/1``: a card conversation as operations and recorded answers.

A script is a list of steps; a step is one `Operation` (name and string arguments, see
`harness.replay.operations`) and what the card answered when it was recorded: per raw exchange
the command (secrets masked), the status word and the response data. Data that cannot repeat (a
fresh challenge) or that is masked is recorded as ``null`` and compared by status word only. A
secret never appears: "VERIFY with the run PIN" is ``{"op": "verify", "args": {"pin": "right"}}``,
so the script replays on any card of the same key set. Commands without secrets are raw APDUs
(``apdu`` with ``hex``) when that is how they were sent.

`source` says where the script came from: a lockstep diff (``diff``: `model` holds the reference
card's answers next to the DUT's), automata learning (``learn``), or a run's recorded trace
(``trace``). ``schemas/ssc-replay-1.schema.json`` is generated from `ReplayScript`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError

from harness.replay.operations import Exchange, Operation, check_operation
from ssc.formats import Check, DataModel, value_error
from terminal.errors import InputError

__all__ = ["FORMAT", "ExpectedExchange", "ReplayScript", "ReplayStep", "ScriptError", "load", "save"]

FORMAT = "ssc-replay/1"
_HEX = re.compile(r"^([0-9A-F]{2}|\*\*)*$")
_SW = re.compile(r"^[0-9A-F]{4}$")


class ScriptError(InputError):
    """A replay script cannot be read: the message names the file and the field."""


def _hex(value: Any) -> str:
    if not isinstance(value, str) or not _HEX.match(value):
        raise value_error(f"expected upper-case hex bytes ('**' for a masked byte), got {value!r}")
    return value


def _sw(value: Any) -> str:
    if not isinstance(value, str) or not _SW.match(value):
        raise value_error(f"expected a status word as 4 upper-case hex digits, got {value!r}")
    return value


Hex = Annotated[str, Check(_hex, {"type": "string", "pattern": _HEX.pattern})]
Sw = Annotated[str, Check(_sw, {"type": "string", "pattern": _SW.pattern})]


class ExpectedExchange(DataModel):
    """One raw exchange as recorded (a reset: command "RESET", no status word, the ATR as data)."""

    command: Annotated[str, Field(min_length=1)]
    """the command APDU in hex, PIN and key bytes as '**', or "RESET\""""
    sw: Sw | None = None
    """the status word the card answered; null for a reset"""
    data: Hex | None = None
    """the response data (for a reset: the ATR); null when masked or not expected to repeat (a challenge)"""

    @classmethod
    def of(cls, exchange: Exchange) -> ExpectedExchange:
        return cls(
            command=exchange.command,
            sw=None if exchange.sw is None else f"{exchange.sw:04X}",
            data=exchange.data if exchange.comparable or exchange.sw is None else None,
        )

    def exchange(self) -> Exchange:
        """Back to an `Exchange` for comparisons (masked/absent data compares by status word)."""
        sw = None if self.sw is None else int(self.sw, 16)
        response = (self.data or "") + (self.sw or "")
        return Exchange(self.command, response, sw, self.data, self.data is not None)


class ReplayStep(DataModel):
    """One operation and the card's recorded answers to it."""

    op: Annotated[str, Field(min_length=1)]
    """the operation name (harness.replay.operations.OPERATIONS), e.g. verify, select, apdu"""
    args: dict[str, str] = Field(default_factory=dict)
    """the operation's arguments, e.g. {"pin": "wrong"} or {"path": "SSSE/DF01", "by": "name"}"""
    expect: list[ExpectedExchange] = Field(default_factory=list)
    """what the card (the DUT) answered, exchange by exchange"""
    model: list[ExpectedExchange] | None = None
    """diff scripts: what the reference card (the DUT's twin) answered"""

    @property
    def operation(self) -> Operation:
        return Operation(self.op, tuple(sorted(self.args.items())))

    @classmethod
    def of(cls, op: Operation, expect: list[Exchange], model: list[Exchange] | None = None) -> ReplayStep:
        return cls(
            op=op.name,
            args=dict(op.args),
            expect=[ExpectedExchange.of(e) for e in expect],
            model=None if model is None else [ExpectedExchange.of(e) for e in model],
        )


class ReplayScript(DataModel):
    """A replayable card conversation: operations with the answers recorded when it was made."""

    format: Literal["ssc-replay/1"]
    """always "ssc-replay/1\""""
    profile: Annotated[str, Field(pattern=r"^gen[0-9]+$")]
    """the profile (generation) the card was driven with, e.g. gen2"""
    source: Literal["diff", "learn", "trace"]
    """what made the script: a lockstep diff, automata learning, or a run's trace"""
    title: str = ""
    """what the script shows, e.g. "divergence 1: read_record of SSSE/DF03/EF05\""""
    requirements: list[str] = Field(default_factory=list)
    """the requirement IDs the divergence is classified under (diff scripts)"""
    steps: list[ReplayStep]
    """the operations in order"""

    @classmethod
    def load(cls, path: str | Path) -> ReplayScript:
        return load(path)

    def save(self, path: str | Path) -> Path:
        return save(self, path)


def load(path: str | Path) -> ReplayScript:
    """Read and check a script (JSON, or YAML written by hand); ScriptError names the file and the bad field."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))  # JSON as written by `save`, or YAML by hand
    except OSError as exc:
        raise ScriptError(f"{p}: cannot read the replay script: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ScriptError(f"{p}: neither JSON nor YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ScriptError(f"{p}: a replay script is a mapping with format, profile, source and steps")
    try:
        script = ReplayScript.model_validate(raw, strict=False)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ScriptError(f"{p}: {where}: {first['msg']}") from None
    for i, step in enumerate(script.steps):
        try:
            check_operation(step.operation)
        except InputError as exc:
            raise ScriptError(f"{p}: steps.{i}: {exc}") from None
    return script


def save(script: ReplayScript, path: str | Path) -> Path:
    p = Path(path)
    p.write_text(json.dumps(script.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return p
