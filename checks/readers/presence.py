"""RDR-1: the reader reports a card's removal and insertion to PC/SC applications in time.

With the programmable reader-test card the kit removes the card itself (hook ``remove``: the card
answers, leaves the reader for `away` seconds and comes back), so it knows when each change
happened and measures how long the reader took to report it through SCardGetStatusChange — the
event every PC/SC application waits on. With a physical card the operator is asked to take the
card out and put it back; the time from the prompt is recorded, but only "reported or not within
the operator's time" can be judged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from checks.wording import bilingual
from ssc.readertest import ReaderTest
from terminal.transports.base import Transport
from terminal.transports.pcsc import await_presence

OPERATOR_TIMEOUT = 120.0  # seconds an operator gets to take the card out or put it back
REMOVAL_MARGIN = 0.5  # seconds the card stays away beyond the limit, so a removal reported at the limit is still seen


@dataclass(frozen=True)
class PresenceEvent:
    change: str  # "removal" or "insertion"
    seconds: float | None  # from the change (or the operator prompt) to the PC/SC report; None: never reported
    limit: float
    driven_by: str  # "card" (the hook) or "operator"

    @property
    def ok(self) -> bool:
        if self.seconds is None:
            return False
        return self.driven_by == "operator" or self.seconds <= self.limit

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}

    def describe(self) -> str:
        change_zh = _CHANGE_ZH.get(self.change, self.change)
        if self.seconds is None:
            return bilingual(
                f"{change_zh}：{self.limit:g} 秒内 PC/SC 未报告", f"{self.change}: not reported through PC/SC within {self.limit:g} s"
            )
        since = "since the operator was asked" if self.driven_by == "operator" else "after it happened"
        since_zh = "（自提示操作员起）" if self.driven_by == "operator" else "（自发生起）"
        return bilingual(
            f"{change_zh}：{self.seconds * 1000:.0f} ms 后报告{since_zh}（限值 {self.limit:g} 秒）",
            f"{self.change}: reported {self.seconds * 1000:.0f} ms {since} (limit {self.limit:g} s)",
        )


_CHANGE_ZH = {"removal": "取出卡片", "insertion": "插入卡片"}


def by_card(transport: Transport, hooks: ReaderTest, reader: str) -> list[PresenceEvent]:
    """Remove the reader-test card through its hook and watch the reader report both changes."""
    limit = hooks.limits.presence_s
    away_ms = min(int((limit + REMOVAL_MARGIN) * 1000), 0xFFFF)  # away longer than the limit: a late report is still seen
    away = away_ms / 1000
    answer = transport.transmit(hooks.command("remove", away_ms))
    left = time.monotonic()
    if answer != b"\x90\x00":
        raise AssertionError(
            bilingual(
                f"读写器测试卡拒绝离开读写器：{answer.hex().upper()}",
                f"the reader-test card refused to leave the reader: {answer.hex().upper()}",
            )
        )
    gone = await_presence(reader, present=False, timeout=limit)
    removal = PresenceEvent("removal", None if gone is None else gone - left, limit, "card")
    back = await_presence(reader, present=True, timeout=away + limit)
    insertion = PresenceEvent("insertion", None if back is None else max(back - (left + away), 0.0), limit, "card")
    return [removal, insertion]


def by_operator(reader: str, prompt: Callable[[str, str], None], limit: float) -> list[PresenceEvent]:
    """Ask the operator to take the card out and put it back (`prompt(change, text)` returns when
    the operator is about to act: the clock starts then); record when PC/SC reported each."""
    events = []
    for change, present, text in (
        ("removal", False, "请从被测读写器中取出卡片 / take the card out of the reader under test"),
        ("insertion", True, "请将卡片插回被测读写器 / put the card back into the reader under test"),
    ):
        prompt(change, text)
        asked = time.monotonic()
        at = await_presence(reader, present=present, timeout=OPERATOR_TIMEOUT)
        events.append(PresenceEvent(change, None if at is None else at - asked, limit, "operator"))
    return events
