"""The operator abstraction (harness/operator.py): console, answer file, nobody — a declined or
unanswered request carries its reason and never the request's text (a test PIN may be in it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.operator import (
    ConsoleOperator,
    NoOperator,
    OperatorFileError,
    Request,
    ScriptedOperator,
    operator_from_option,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "fixtures" / "operator" / "example.yaml"
PIN_REQUEST = Request("reader.pinpad:iVerifyPIN", "请输入 123456", "enter 123456")


def _console(answer: str | OSError) -> tuple[ConsoleOperator, list[str]]:
    shown: list[str] = []

    def tty() -> tuple[Callable[[str], None], Callable[[], str]]:
        if isinstance(answer, OSError):
            raise answer
        line = answer
        return shown.append, lambda: line

    return ConsoleOperator(tty=tty), shown


def test_console_enter_confirms_and_n_declines() -> None:
    yes, shown = _console("\n")
    assert yes.ask(PIN_REQUEST).done and "请输入 123456" in shown[0] and "enter 123456" in shown[0]
    no, _ = _console("n\n")
    answer = no.ask(PIN_REQUEST)
    assert not answer.done and "reader.pinpad:iVerifyPIN" in answer.reason and "123456" not in answer.reason


def test_console_without_a_terminal_or_closed_declines() -> None:
    gone, _ = _console(OSError("no tty"))
    assert not gone.ask(PIN_REQUEST).done
    closed, _ = _console("")
    assert "closed" in closed.ask(PIN_REQUEST).reason


def test_nobody_declines_everything_with_the_key_not_the_text() -> None:
    op = NoOperator()
    answer = op.ask(PIN_REQUEST)
    assert not answer.done and "non-interactive" in answer.reason and "123456" not in answer.reason
    assert op.asked == ["reader.pinpad:iVerifyPIN"]


def test_the_example_answer_file_scripts_a_lab() -> None:
    waited: list[float] = []
    op = ScriptedOperator.load(EXAMPLE)
    op.sleep = waited.append
    assert op.ask(Request("cardset.insert:A", "", "")).done and waited == [5]
    declined = op.ask(Request("reader.psam.remove", "", ""))
    assert not declined.done and "soldered" in declined.reason
    unknown = op.ask(Request("reader.something.else", "", ""))
    assert not unknown.done and "no answer for request 'reader.something.else'" in unknown.reason


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("format: ssc-operator-answers/1\nanswers: []\n", "answers"),
        ("format: ssc-operator-answers/1\nanswers: [{request: x, answer: maybe}]\n", "answer"),
        ("format: ssc-operator-answers/1\nanswers: [{request: x, answer: done, wait_s: -1}]\n", "wait_s"),
        ("format: other/1\nanswers: []\n", "format"),
    ],
)
def test_a_bad_answer_file_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OperatorFileError, match=field):
        ScriptedOperator.load(path)


def test_the_option_picks_the_operator() -> None:
    assert isinstance(operator_from_option("none"), NoOperator)
    assert isinstance(operator_from_option("console"), ConsoleOperator)
    assert isinstance(operator_from_option(str(EXAMPLE)), ScriptedOperator)
    assert isinstance(operator_from_option(None), ConsoleOperator | NoOperator)
