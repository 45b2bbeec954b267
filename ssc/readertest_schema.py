"""The reader-test card format ``ssc-reader-test/1`` as a schema model (ssc/data/reader-test.yaml).

The programmable reader-test card (reference_card/reader_test.py) and the reader kit (checks/readers,
steps/readers.py) both read its hook commands and limits from this one file, so the card and the
kit cannot disagree about a code, and every value carries its provenance tag (all S: the reader
specification LD/T 33 is not public, the hook is this project's stand-in test facility).
``schemas/ssc-reader-test-1.schema.json`` is generated from this model.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ssc.formats.types import DataModel, NonEmptyStr, hex_bytes
from ssc.profile.schema import Prov

__all__ = ["FORMAT", "HookCommand", "ReaderTestDocument", "ReaderTestLimits"]

FORMAT = "ssc-reader-test/1"
Byte = Annotated[str, hex_bytes(1, what="one byte of hex")]


class HookCommand(DataModel):
    """One in-band test-hook command (CLA = hook_cla)."""

    ins: Byte
    """the instruction byte"""
    use: NonEmptyStr
    """what the card does, in one line (P1P2, data, Le)"""
    prov: Prov
    """provenance tag"""


class ReaderTestLimits(DataModel):
    """Pass limits and run sizes of the reader plan."""

    presence_s: Annotated[float, Field(gt=0)]
    """RDR-1: the reader must report an insertion or a removal through PC/SC within this many seconds"""
    reinsert_ms: Annotated[int, Field(ge=0, le=65535)]
    """how long the served card stays away for each re-inserted ATR variant of RDR-2 (longer than pcscd's presence poll);
    RDR-1 keeps it away for presence_s and a margin, so a removal reported late is still seen"""
    long_run_apdus: Annotated[int, Field(ge=1)]
    """RDR-5: APDUs of the long run (option --long-run)"""
    slow_answers_ms: Annotated[list[Annotated[int, Field(ge=0, le=65535)]], Field(min_length=1)]
    """RDR-3: the answer delays the slow-answer case asks for"""
    chain_lengths: Annotated[list[Annotated[int, Field(ge=1, le=65535)]], Field(min_length=1)]
    """RDR-3: total lengths of the 61xx chains"""
    historical_bytes: Annotated[list[Annotated[int, Field(ge=0, le=15)]], Field(min_length=1)]
    """RDR-2: numbers of historical bytes of the ATR variants (each with T=0 and with T=1), each delivered after a cold reset"""
    reinserted_historical_bytes: Annotated[list[Annotated[int, Field(ge=0, le=15)]], Field(default_factory=list)]
    """RDR-2: the numbers of historical bytes whose variants are also delivered after a removal and re-insertion
    (the reader's insertion path; each costs pcscd's presence poll, so not every count)"""
    max_response: Annotated[int, Field(ge=1, le=65535)]
    """the largest answer the card builds for one hook command"""
    prov: Prov
    """provenance tag"""


class ReaderTestDocument(DataModel):
    """The programmable reader-test card: its in-band hook commands (CLA hook_cla, answered only by
    a card served with --reader-test) and the limits of the reader plan, format ssc-reader-test/1."""

    format: Literal["ssc-reader-test/1"]
    """the format and its version"""
    hook_cla: Byte
    """the class byte of every hook command (a proprietary class no SSC command uses)"""
    commands: dict[
        Literal["atr", "respond", "echo", "last", "chain", "set_atr", "wrong_le", "delay", "remove"],
        HookCommand,
    ]
    """hook commands by name"""
    limits: ReaderTestLimits
    """limits and run sizes"""
    prov: Prov
    """provenance tag of the document as a whole"""
