"""What the kit asks a person in the lab to do by hand, and how it learns that it was done.

Some conditions cannot be made by bytes: take the card out of a physical reader, put a card of
another type in, take the PSAM out, type a PIN on the reader's PIN pad, swap the test cards of a
card set through one reader. The kit asks for each through one `Operator`:

- `ConsoleOperator`: a person at the controlling terminal (/dev/tty; pytest holds stdin): the
  request is shown in Chinese and English; Enter confirms, ``n`` (or anything starting with n)
  declines.
- `ScriptedOperator`: an answer file (``ssc-operator-answers/1``, harness/operator_schema.py) for a
  lab whose automation does the work; each request key is answered by the first matching entry,
  after its ``wait_s``; a request the file does not answer is declined with that reason.
- `NoOperator`: a non-interactive run: every request is declined with the reason.

A declined request never passes a case: the caller reports it inconclusive (or not run) with the
reason (`Answer.reason`). Request keys are stable identifiers a script matches on:
``reader.card.remove``, ``reader.card.insert:<kind>``, ``reader.psam.remove``,
``reader.psam.insert:<kind>``, ``reader.pinpad:<function>``, ``cardset.insert:<card>``.
"""

from __future__ import annotations

import fnmatch
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.operator_schema import FORMAT, OperatorAnswersDocument
from ssc.datafile import read_data_file
from ssc.formats import validate
from terminal.errors import InputError

__all__ = [
    "Answer",
    "ConsoleOperator",
    "NoOperator",
    "Operator",
    "OperatorFileError",
    "Request",
    "ScriptedOperator",
    "operator_from_option",
]

CONSOLE, NONE = "console", "none"


class OperatorFileError(InputError):
    pass


@dataclass(frozen=True)
class Request:
    """One thing asked of the operator: `key` for scripts, the text for people."""

    key: str
    zh: str
    en: str

    def text(self) -> str:
        return f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class Answer:
    done: bool
    reason: str = ""  # why not done: declined, no operator, not scripted


class Operator(ABC):
    """Asks the lab to do something and waits until it is done or refused. A reason never
    carries the request's text (it may hold a test PIN): only its key."""

    asked: list[str]  # the request keys asked so far (tests and the report count them)

    @abstractmethod
    def _answer(self, request: Request) -> Answer: ...

    @abstractmethod
    def describe(self) -> str: ...

    def ask(self, request: Request) -> Answer:
        self.asked.append(request.key)
        return self._answer(request)


@dataclass
class NoOperator(Operator):
    """A non-interactive run: nobody can act, every request is declined with the reason."""

    why: str = "no operator: a non-interactive run (--operator none)"
    asked: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return "none (non-interactive)"

    def _answer(self, request: Request) -> Answer:
        return Answer(False, f"{self.why}; request {request.key!r} cannot be carried out")


Tty = Callable[[], tuple[Callable[[str], None], Callable[[], str]]]


def _dev_tty() -> tuple[Callable[[str], None], Callable[[], str]]:
    def write(text: str) -> None:
        with open("/dev/tty", "w", encoding="utf-8") as tty:
            tty.write(text)

    def read() -> str:
        with open("/dev/tty", encoding="utf-8") as tty:
            return tty.readline()

    return write, read


@dataclass
class ConsoleOperator(Operator):
    """A person at the controlling terminal: Enter = done, ``n`` = cannot."""

    tty: Tty = _dev_tty
    asked: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return "console"

    def _answer(self, request: Request) -> Answer:
        try:
            write, read = self.tty()
            write(f"\n>>> [{request.key}] {request.text()}\n    回车 = 已完成 / Enter = done;  n 回车 = 无法完成 / n Enter = cannot: ")
            line = read()
        except OSError as exc:
            return Answer(False, f"no console to ask the operator ({exc}): use --operator FILE or --operator none")
        if line == "":
            return Answer(False, "the console closed before the operator answered")
        if line.strip().lower().startswith("n"):
            return Answer(False, f"the operator could not carry out request {request.key!r}")
        return Answer(True)


@dataclass
class ScriptedOperator(Operator):
    """Answers from an answer file (see the module docstring)."""

    source: str
    entries: list[tuple[str, bool, float, str]]  # (pattern, done, wait_s, reason)
    sleep: Callable[[float], None] = time.sleep
    asked: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"answer file {self.source}"

    @classmethod
    def load(cls, path: str | Path) -> ScriptedOperator:
        p = Path(path)
        data = read_data_file(p, FORMAT, OperatorFileError)
        doc = validate(OperatorAnswersDocument, data, lambda where, message: OperatorFileError(f"{p.name}: {where}: {message}"))
        return cls(p.name, [(a.request, a.answer == "done", a.wait_s, a.reason or "") for a in doc.answers])

    def _answer(self, request: Request) -> Answer:
        for pattern, done, wait_s, reason in self.entries:
            if fnmatch.fnmatchcase(request.key, pattern):
                if wait_s:
                    self.sleep(wait_s)
                if done:
                    return Answer(True)
                return Answer(False, f"declined by {self.source}: {reason or 'no reason given'} ({request.key})")
        return Answer(False, f"{self.source} has no answer for request {request.key!r}")


def operator_from_option(value: str | None) -> Operator:
    """``--operator``: console, none, or an answer file; unset: the console when there is one,
    else none (a run under CI never waits for a person)."""
    if value is None:
        try:
            with open("/dev/tty", encoding="utf-8"):
                pass
        except OSError:
            return NoOperator("no operator: no console and no --operator answer file")
        return ConsoleOperator()
    if value == CONSOLE:
        return ConsoleOperator()
    if value == NONE:
        return NoOperator()
    return ScriptedOperator.load(value)
