"""The operator answer-file format ``ssc-operator-answers/1`` as a schema model
(fixtures/operator/*.yaml).

A lab whose card swaps, removals and PIN entries are done by its own automation (a card robot, a
PIN-pad emulator) scripts the kit's operator requests with this file instead of a person at the
console (`ssc-conform run --operator FILE`). ``schemas/ssc-operator-answers-1.schema.json`` is
generated from this model.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ssc.formats import DataModel, NonEmptyStr

__all__ = ["FORMAT", "AnswerEntry", "OperatorAnswersDocument"]

FORMAT = "ssc-operator-answers/1"


class AnswerEntry(DataModel):
    """The answer to every request whose key matches `request`."""

    request: NonEmptyStr
    """a request key or an fnmatch pattern over keys (``cardset.insert:*``); the first matching entry answers"""
    answer: Literal["done", "decline"]
    """done: the lab's automation did what was asked; decline: it cannot (the case is not judged)"""
    wait_s: Annotated[float, Field(ge=0, le=600)] = 0
    """seconds to wait before answering (time for the automation to act)"""
    reason: str | None = None
    """why the request is declined (reported with the case)"""


class OperatorAnswersDocument(DataModel):
    """Scripted answers to the kit's operator requests, format ssc-operator-answers/1."""

    format: Literal["ssc-operator-answers/1"]
    """the format and its version"""
    answers: Annotated[list[AnswerEntry], Field(min_length=1)]
    """the answers, first match wins"""
