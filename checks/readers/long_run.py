"""RDR-5: a long run of APDUs through the reader, every answer checked, every latency kept.

The run cycles through a few APDU kinds (the cases of RDR-3 the card answers at once), so the
latency distribution is per kind: a reader that is fast on short answers and slow on 256-byte ones
shows it. Latency is the host's wall time of one transmit (application → reader → card → back).
The summary per kind (count, p50/p95/p99/max in microseconds and a histogram on log-spaced bins)
is what results.json keeps; the report draws it (reports/latency_svg.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checks.wording import bilingual
from ssc.readertest import ReaderTest, pattern
from terminal.transports.base import Transport, TransportError

OK = b"\x90\x00"
BINS_PER_DECADE = 10  # histogram bins: 10 per factor of ten of latency
MAX_ERRORS_KEPT = 10


def kinds(hooks: ReaderTest) -> dict[str, tuple[bytes, bytes]]:
    """APDU kind → (command, expected answer)."""
    c = hooks.command
    data = bytes(range(16))
    return {
        "case 1": (c("delay", 0), OK),
        "case 2 (8 bytes)": (c("respond", 8, le=8), pattern(8) + OK),
        "case 2 (256 bytes)": (c("respond", 256, le=256), pattern(256) + OK),
        "case 3 (16 bytes)": (c("echo", 0, data), OK),
        "case 4 (16 bytes)": (c("echo", 0, data, le=16), data + OK),
    }


@dataclass
class LongRun:
    total: int
    latencies_ns: dict[str, list[int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return sum(len(v) for v in self.latencies_ns.values())

    def summary(self) -> dict[str, Any]:
        """The JSON form: per kind count, percentiles (µs) and histogram."""
        return {
            "apdus": self.total,
            "completed": self.done,
            "errors": self.error_count,
            "first_errors": self.errors,
            "seconds": round(self.seconds, 3),
            "kinds": {kind: latency_summary(values) for kind, values in self.latencies_ns.items()},
        }


def run(transport: Transport, hooks: ReaderTest, total: int, progress: Callable[[int], None] | None = None) -> LongRun:
    """`total` APDUs round-robin over `kinds`; a wrong answer or a transport error is counted
    (the first few kept) and the run goes on, so one glitch does not hide the rest of the picture."""
    table = list(kinds(hooks).items())
    result = LongRun(total, {kind: [] for kind, _ in table})
    transmit = transport.transmit
    clock = time.perf_counter_ns
    started = time.monotonic()
    for i in range(total):
        kind, (command, expected) = table[i % len(table)]
        t0 = clock()
        try:
            answer = transmit(command)
        except TransportError as exc:
            answer = b""
            error = bilingual(
                f"第 {i + 1} 条 APDU（{kind}）：传输错误 {type(exc).__name__}：{exc}", f"APDU {i + 1} ({kind}): {type(exc).__name__}: {exc}"
            )
        else:
            error = (
                ""
                if answer == expected
                else bilingual(
                    f"第 {i + 1} 条 APDU（{kind}）：预期 …{expected[-6:].hex().upper()}，实际 …{answer[-6:].hex().upper()}（{len(answer)} 字节）",
                    f"APDU {i + 1} ({kind}): expected {expected[-6:].hex().upper()}…, got {answer[-6:].hex().upper()} ({len(answer)} bytes)",
                )
            )
        took = clock() - t0
        if error:
            result.error_count += 1
            if len(result.errors) < MAX_ERRORS_KEPT:
                result.errors.append(error)
        else:
            result.latencies_ns[kind].append(took)
        if progress is not None and (i + 1) % 1000 == 0:
            progress(i + 1)
    result.seconds = time.monotonic() - started
    return result


def percentile(sorted_values: list[int], q: float) -> int:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(values_ns: list[int]) -> dict[str, Any]:
    ordered = sorted(values_ns)
    us = [v / 1000 for v in ordered]
    out: dict[str, Any] = {"count": len(ordered)}
    if not ordered:
        return out | {"p50_us": None, "p95_us": None, "p99_us": None, "max_us": None, "histogram": {"edges_us": [], "counts": []}}
    for q in (50, 95, 99):
        out[f"p{q}_us"] = round(percentile(ordered, q) / 1000, 1)
    out["max_us"] = round(ordered[-1] / 1000, 1)
    out["histogram"] = histogram(us)
    return out


def histogram(values_us: list[float]) -> dict[str, list[float] | list[int]]:
    """Counts on log-spaced bins (BINS_PER_DECADE per decade) from the smallest to the largest value."""
    low = math.floor(math.log10(max(min(values_us), 0.1)) * BINS_PER_DECADE)
    high = math.ceil(math.log10(max(max(values_us), 0.1)) * BINS_PER_DECADE)
    high = max(high, low + 1)
    edges = [round(10 ** (b / BINS_PER_DECADE), 2) for b in range(low, high + 1)]
    counts = [0] * (len(edges) - 1)
    for v in values_us:
        b = int(math.log10(max(v, 0.1)) * BINS_PER_DECADE) - low
        counts[min(max(b, 0), len(counts) - 1)] += 1
    return {"edges_us": edges, "counts": counts}
