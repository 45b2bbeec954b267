"""The run's progress display: plain lines off a terminal, one rewritten status line on one."""

from __future__ import annotations

import io

import pytest

from harness.progress import Progress, format_duration


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("seconds, text", [(0, "0 s"), (59.4, "59 s"), (61, "1 min 01 s"), (3725, "1 h 02 min")])
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_plain_output_is_one_line_per_scenario_with_counts_and_estimate() -> None:
    out, clock = io.StringIO(), Clock()
    p = Progress(4, stream=lambda: out, tty=False, clock=clock)
    p.started(["SEC-PIN-1"], "a")
    clock.now += 10
    p.finished("passed", ["SEC-PIN-1"], "a")
    clock.now += 10
    p.finished("failed", ["STD-ATR-1"], "b", "6A82 instead of 9000")
    p.close()
    lines = out.getvalue().splitlines()
    assert lines == [
        "[1/4] PASS SEC-PIN-1 a (0 failed, 10 s elapsed, ~30 s left)",
        "[2/4] FAIL STD-ATR-1 b — 6A82 instead of 9000 (1 failed, 20 s elapsed, ~20 s left)",
    ]
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_terminal_output_rewrites_one_status_line_and_keeps_failures() -> None:
    out, clock = io.StringIO(), Clock()
    p = Progress(2, stream=lambda: out, tty=True, clock=clock)
    p.started(["SEC-PIN-1"], "a")
    assert out.getvalue().startswith("\r\x1b[2K[0/2] 0 failed · running SEC-PIN-1 a")
    clock.now += 5
    p.finished("failed", ["SEC-PIN-1"], "a", "why")
    p.started(["STD-ATR-1"], "b")
    p.finished("passed", ["STD-ATR-1"], "b")
    p.close()
    text = out.getvalue()
    permanent = [line.split("\x1b[2K")[-1] for line in text.split("\n")[:-1]]
    assert permanent == ["[1/2] FAIL SEC-PIN-1 a — why", "2/2 scenarios, 1 failed, 5 s elapsed"]
    assert text.endswith("\n")


@pytest.mark.parametrize(
    "text, columns, expected",
    [
        ("abcdef", 10, "abcdef"),
        ("abcdef", 4, "abc…"),
        ("卡片认证", 5, "卡片…"),  # two cells per CJK character
    ],
)
def test_status_line_is_cut_to_the_terminal_width(text: str, columns: int, expected: str) -> None:
    from harness.progress import fit

    assert fit(text, columns) == expected
