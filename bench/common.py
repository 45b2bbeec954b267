"""Timing helpers shared by the benchmarks (plain time.perf_counter; no third-party harness)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence


def rate(fn: Callable[[], object], seconds: float = 2.0, *, batch: int = 64) -> tuple[int, float]:
    """Call `fn` repeatedly for about `seconds`; return (calls made, calls per second).

    Calls run in batches so the clock is read once per batch, not once per call.
    """
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    now = start
    while now < deadline:
        for _ in range(batch):
            fn()
        count += batch
        now = time.perf_counter()
    return count, count / (now - start)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print an aligned plain-text table (numbers right-aligned)."""
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print(
            "  ".join(c.rjust(w) if n and _is_number(rows[n - 1][i]) else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def interleaved(cases: Sequence[tuple[str, Callable[[], object]]], seconds: float, *, batch: int = 32) -> dict[str, float]:
    """Calls per second for several cases measured batch by batch in turn, over `seconds` in all.

    Alternating small batches exposes every case to the same background load, so their ratio is
    stable even on a busy machine where back-to-back runs drift by ±15 %.
    """
    spent = {name: 0.0 for name, _ in cases}
    calls = {name: 0 for name, _ in cases}
    clock = time.perf_counter
    deadline = clock() + seconds
    while clock() < deadline:
        for name, fn in cases:
            start = clock()
            for _ in range(batch):
                fn()
            spent[name] += clock() - start
            calls[name] += batch
    return {name: calls[name] / spent[name] for name, _ in cases}
