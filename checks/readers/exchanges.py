"""RDR-3: every APDU case, 61xx/6Cxx sequence, 256-byte answer and 255-byte command crosses the
reader unchanged, byte for byte.

Each case is a command to the programmable reader-test card whose answer the kit knows in advance
(ssc.readertest.pattern), followed by the hook's ``last`` command: the card answers with the
previous command exactly as it received it, so a reader that alters a command (drops Le, cuts the
data, rewrites a case 4 as case 3) is caught on the command side too, not only on the answer side.
Both 61xx and 6Cxx are checked twice: driven step by step by the kit (the raw answers must be 61xx /
6Cxx exactly), and through the stack's automatic GET RESPONSE / re-issue (terminal.t0.T0Policy),
which must yield the whole answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from checks.wording import bilingual
from ssc.readertest import ReaderTest, pattern
from terminal.t0 import T0Policy
from terminal.transports.base import Transport

OK = b"\x90\x00"


@dataclass(frozen=True)
class Case:
    """One exchange and what must come back."""

    name: str
    command: bytes
    expected: bytes
    min_seconds: float = 0.0  # a slow answer may not come back sooner than the card was asked to wait


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    detail: str


def _hex(data: bytes, limit: int = 24) -> str:
    text = data[:limit].hex(" ").upper()
    return text + (f" … ({len(data)} bytes)" if len(data) > limit else "")


# a case's name in Chinese, for the Chinese half of its outcome
_NAME_ZH = (
    (re.compile(r"^case (\d)"), r"情形 \1"),
    (re.compile(r"^(\d+)-byte answer$"), r"\1 字节的应答"),
    (re.compile(r"^(\d+)-byte command data$"), r"\1 字节的命令数据"),
    (re.compile(r"^answer after (\d+) ms$"), r"\1 ms 后应答"),
    (
        re.compile(r"^61xx chain of (\d+) bytes in chunks of (\d+), GET RESPONSE by the kit$"),
        r"61xx 分段返回 \1 字节（每段 \2 字节），由检测工具取响应",
    ),
    (
        re.compile(r"^61xx chain of (\d+) bytes in chunks of (\d+), automatic GET RESPONSE$"),
        r"61xx 分段返回 \1 字节（每段 \2 字节），自动取响应",
    ),
    (re.compile(r"^(6C..) with the command re-issued by the kit$"), r"\1，由检测工具重发命令"),
    (re.compile(r"^(6C..) with the stack's automatic re-issue$"), r"\1，由协议栈自动重发"),
)


def _zh(name: str) -> str:
    for regex, zh in _NAME_ZH:
        if regex.search(name):
            return regex.sub(zh, name).replace(", ", "，")
    return name


def apdu_cases(hooks: ReaderTest) -> dict[str, list[Case]]:
    """The single-exchange cases by APDU case, each with its Lc/Le edges."""
    c = hooks.command
    out: dict[str, list[Case]] = {
        "case1": [Case("case 1", c("delay", 0), OK)],
        "case2": [Case(f"case 2, Le {n}", c("respond", n, le=n), pattern(n) + OK) for n in (1, 2, 128, 255, 256)],
        "case3": [Case(f"case 3, Lc {n}", c("echo", 0, bytes(range(n))), OK) for n in (1, 2, 128, 254, 255)],
        "case4": [
            Case(
                f"case 4, Lc {n}, Le {le}",
                c("echo", 0, bytes((0xFF - i) & 0xFF for i in range(n)), le=le),
                bytes((0xFF - i) & 0xFF for i in range(n)) + OK,
            )
            for n, le in ((1, 1), (1, 256), (128, 128), (255, 255), (255, 256))
        ],
        "response256": [Case("256-byte answer", c("respond", 256, le=256), pattern(256) + OK)],
        "command255": [Case("255-byte command data", c("echo", 0, bytes(range(255)), le=256), bytes(range(255)) + OK)],
    }
    return out


def slow_cases(hooks: ReaderTest) -> list[Case]:
    return [Case(f"answer after {ms} ms", hooks.command("delay", ms), OK, ms / 1000) for ms in hooks.limits.slow_answers_ms]


def run_case(transport: Transport, hooks: ReaderTest, case: Case) -> Outcome:
    """Send the case, compare the answer; then ask the card what it received."""
    started = time.monotonic()
    answer = transport.transmit(case.command)
    took = time.monotonic() - started
    if answer != case.expected:
        return Outcome(
            case.name,
            False,
            bilingual(
                f"{_zh(case.name)}：发送 {_hex(case.command)}，预期 {_hex(case.expected)}，实际 {_hex(answer)}",
                f"{case.name}: sent {_hex(case.command)}, expected {_hex(case.expected)}, got {_hex(answer)}",
            ),
        )
    if took < case.min_seconds:
        return Outcome(
            case.name,
            False,
            bilingual(
                f"{_zh(case.name)}：应答在 {took:.3f} 秒后到达，早于卡片发出应答的时刻（{case.min_seconds:g} 秒）",
                f"{case.name}: the answer came after {took:.3f} s, before the card sent it ({case.min_seconds:g} s)",
            ),
        )
    return _received_unchanged(transport, hooks, case.name, case.command)


def _received_unchanged(transport: Transport, hooks: ReaderTest, name: str, command: bytes) -> Outcome:
    seen = transport.transmit(hooks.command("last", le=256))
    if seen != command + OK:
        return Outcome(
            name,
            False,
            bilingual(
                f"{_zh(name)}：对命令 {_hex(command)}，卡片收到的是 {_hex(seen[:-2])}",
                f"{name}: the card received {_hex(seen[:-2])} for the command {_hex(command)}",
            ),
        )
    return Outcome(
        name,
        True,
        bilingual(f"{_zh(name)}：{len(command)} 字节的命令及其应答均未改变", f"{name}: {len(command)}-byte command and answer unchanged"),
    )


def chain_raw(transport: Transport, hooks: ReaderTest, total: int, chunk: int) -> Outcome:
    """61xx driven by the kit: every raw answer must be the 61xx announcing what is left (up to
    the chunk size), the data must add up to the card's, and the last GET RESPONSE must have
    reached the card unchanged."""
    name = f"61xx chain of {total} bytes in chunks of {chunk}, GET RESPONSE by the kit"
    answer = transport.transmit(hooks.command("chain", 0, total.to_bytes(2, "big") + bytes((chunk & 0xFF,))))
    got = b""
    get_response = b""
    while True:
        left = total - len(got)
        want = OK if left <= 0 else bytes((0x61, min(left, chunk) & 0xFF))
        if answer[-2:] != want:
            return Outcome(
                name,
                False,
                bilingual(
                    f"{_zh(name)}：收到 {len(got)} 字节后，预期状态字 {want.hex().upper()}，实际 {_hex(answer)}",
                    f"{name}: after {len(got)} bytes expected status {want.hex().upper()}, got {_hex(answer)}",
                ),
            )
        if left <= 0:
            break
        get_response = bytes((0x00, 0xC0, 0x00, 0x00, answer[-1]))
        answer = transport.transmit(get_response)
        got += answer[:-2]
    if got != pattern(total):
        return Outcome(
            name,
            False,
            bilingual(
                f"{_zh(name)}：分段取回的 {len(got)} 字节与卡片的 {total} 字节不同（{_hex(got)}）",
                f"{name}: the {len(got)} chained bytes differ from the card's {total} ({_hex(got)})",
            ),
        )
    last = _received_unchanged(transport, hooks, name, get_response)
    if not last.ok:
        return last
    return Outcome(
        name,
        True,
        bilingual(
            f"{_zh(name)}：每个原始 61xx、各条取响应命令及 {total} 字节数据均未改变",
            f"{name}: every raw 61xx, the GET RESPONSE commands and the {total} data bytes unchanged",
        ),
    )


def chain_auto(transport: Transport, hooks: ReaderTest, total: int, chunk: int) -> Outcome:
    """61xx through the stack's automatic GET RESPONSE: the whole answer must come back."""
    name = f"61xx chain of {total} bytes in chunks of {chunk}, automatic GET RESPONSE"
    policy = T0Policy(transport, max_get_response=total // max(chunk, 1) + 2)
    exchange = policy.exchange(hooks.command("chain", 0, total.to_bytes(2, "big") + bytes((chunk & 0xFF,))))
    if exchange.sw != 0x9000 or exchange.data != pattern(total):
        return Outcome(
            name,
            False,
            bilingual(
                f"{_zh(name)}：收到 {len(exchange.data)} 字节及 {exchange.sw:04X}（{_hex(exchange.data)}）",
                f"{name}: got {len(exchange.data)} bytes and {exchange.sw:04X} ({_hex(exchange.data)})",
            ),
        )
    return Outcome(
        name,
        True,
        bilingual(
            f"{_zh(name)}：{len(exchange.steps) - 1} 次取响应，{total} 字节未改变",
            f"{name}: {len(exchange.steps) - 1} GET RESPONSE, {total} bytes unchanged",
        ),
    )


def wrong_le_raw(transport: Transport, hooks: ReaderTest, n: int) -> Outcome:
    """6Cxx driven by the kit: Le 00 gets 6C n; re-issued with Le n the answer is complete."""
    name = f"6C{n & 0xFF:02X} with the command re-issued by the kit"
    first = transport.transmit(hooks.command("wrong_le", n, le=0 if n != 256 else 1))
    if first != bytes((0x6C, n & 0xFF)):
        return Outcome(
            name,
            False,
            bilingual(f"{_zh(name)}：预期 6C{n & 0xFF:02X}，实际 {_hex(first)}", f"{name}: expected 6C{n & 0xFF:02X}, got {_hex(first)}"),
        )
    command = hooks.command("wrong_le", n, le=n)
    case = Case(name, command, pattern(n) + OK)
    return run_case(transport, hooks, case)


def wrong_le_auto(transport: Transport, hooks: ReaderTest, n: int) -> Outcome:
    name = f"6C{n & 0xFF:02X} with the stack's automatic re-issue"
    exchange = T0Policy(transport).exchange(hooks.command("wrong_le", n, le=0 if n != 256 else 1))
    if exchange.sw != 0x9000 or exchange.data != pattern(n):
        return Outcome(
            name,
            False,
            bilingual(
                f"{_zh(name)}：收到 {len(exchange.data)} 字节及 {exchange.sw:04X}",
                f"{name}: got {len(exchange.data)} bytes and {exchange.sw:04X}",
            ),
        )
    return Outcome(name, True, bilingual(f"{_zh(name)}：重发后 {n} 字节未改变", f"{name}: {n} bytes unchanged after the re-issue"))


def run_all(checks: list[Callable[[], Outcome]]) -> list[Outcome]:
    return [check() for check in checks]
