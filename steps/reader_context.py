"""The scenario context of the reader plan (features/readers/): `rctx`.

`rctx.session` is the run's `harness.reader_session.ReaderSession`: the reader under test
(`session.transport`, traced PC/SC), the PSAM (`session.psam()`), the reader library given with
--lib (`session.lib`, a Path or None: RDR-6 scenarios are not run without it, before any step), the
hook codes and limits (`session.hooks`), and `session.measurements` (written to results.json as
``run.reader``). What one step leaves for a later step lives on `rctx.state` (typed slots).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from steps.context import StepState

if TYPE_CHECKING:
    from checks.readers.atr_variants import Delivery
    from checks.readers.exchanges import Outcome
    from checks.readers.long_run import LongRun
    from checks.readers.presence import PresenceEvent
    from harness.reader_session import ReaderSession


class ReaderState(StepState):
    """Slots of the reader steps (steps/readers.py)."""

    listed: list[str]  # 列出 PC/SC 读写器
    events: list[PresenceEvent]  # 卡片离开被测读写器后再插回
    atr: bytes  # 读取被测读写器交付的复位应答
    atr_outcomes: list[Delivery]  # 可编程测试卡依次以每种复位应答变体冷复位，部分变体另经取出与插入
    outcomes: list[Outcome]  # every RDR-3 / RDR-4 when-step
    long_run: LongRun  # 经被测读写器连续发送长时间运行的命令


@dataclass
class ReaderContext:
    session: ReaderSession
    state: ReaderState = field(default_factory=ReaderState)


@pytest.fixture
def rctx(ssc_reader_session: ReaderSession) -> ReaderContext:
    return ReaderContext(ssc_reader_session)
