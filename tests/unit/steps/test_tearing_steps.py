"""The reader power-cut case of SEC-TEAR-1 judges only cuts that landed inside a write."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from checks.security.tearing import ReaderCut
from checks.verdicts import Inconclusive
from steps.tearing import reader_cuts_clean


def _ctx(*cuts: ReaderCut) -> Any:
    return SimpleNamespace(security=SimpleNamespace(reader_cuts=list(cuts)))


def test_cuts_that_all_came_after_the_answer_prove_nothing() -> None:
    """A card without anti-tearing whose writes were never cut would read old-or-new: inconclusive."""
    with pytest.raises(Inconclusive, match="after the card answered"):
        reader_cuts_clean(_ctx(ReaderCut("EF05", 0, "9000", "new"), ReaderCut("PIN", 10, "63C2", "new")))


def test_a_mixed_record_fails_whenever_the_cut_landed() -> None:
    with pytest.raises(AssertionError, match="left mixed"):
        reader_cuts_clean(_ctx(ReaderCut("EF05", 0, "9000", "mixed", "neither"), ReaderCut("EF05", 5, None, "old")))


def test_a_cut_inside_a_write_that_left_old_or_new_passes() -> None:
    reader_cuts_clean(_ctx(ReaderCut("EF05", 0, None, "old"), ReaderCut("EF05", 5, "9000", "new")))
