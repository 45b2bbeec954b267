"""What a terminal operation is called in Chinese, for the Chinese half of an error a lab reads.

`CardSession` names each operation in English (``verify the PIN``, ``read record #1 of SSSE/EF05``)
when the card's answer is not the expected one; the report words it Chinese first, as the checks
do (``<中文> / <English>``, features/GLOSSARY.md: 校验 PIN, 读记录, 外部认证 …). The operation's
Chinese is told from its English by the patterns below; one no pattern knows keeps its English.
"""

from __future__ import annotations

import re

__all__ = ["operation_zh"]

_CURRENT = "the current EF"

_OPERATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), zh)
    for pattern, zh in (
        (r"^verify the PIN$", "校验 PIN"),
        (r"^change the PIN$", "修改 PIN"),
        (r"^reload the PIN$", "重装 PIN"),
        (r"^unblock the PIN$", "解锁 PIN"),
        (r"^select MF$", "选择 MF"),
        (r"^select (\S+) by FID$", r"按 FID 选择 \1"),
        (r"^select (\S+) by name$", r"按名称选择 \1"),
        (r"^get response$", "取响应"),
        (r"^get a (\d+)-byte challenge$", r"取 \1 字节的随机数"),
        (r"^get the MAC challenge for (\S+)$", r"为 \1 的 MAC 取随机数"),
        (r"^read record #(\d+) of (.+)$", r"读 \2 的记录 \1"),
        (r"^read record tag (\w+) of (.+)$", r"按标签 \1 读 \2 的记录"),
        (r"^read binary of (.+) at (\d+)$", r"从偏移 \2 读 \1 的二进制"),
        (r"^update binary of (.+) at (\d+)$", r"从偏移 \2 更新 \1 的二进制"),
        (r"^update record of (\S+)$", r"更新 \1 的记录"),
        (r"^append record to (\S+)$", r"向 \1 追加记录"),
        (r"^external authentication with (\S+ v\w+)$", r"以 \1 外部认证"),
        (r"^internal authentication with (\S+ v\w+)$", r"以 \1 内部认证"),
        (r"^secure update of (\S+) under (\S+)$", r"以 \2 的安全报文更新 \1 的记录"),
        (r"^secure append to (\S+) under (\S+)$", r"以 \2 的安全报文向 \1 追加记录"),
        (r"^application block$", "应用锁定命令"),
        (r"^application unblock$", "应用解锁命令"),
        (r"^card block$", "卡片锁定命令"),
    )
)


def operation_zh(what: str) -> str:
    """``read record #1 of SSSE/EF05`` → ``读 SSSE/EF05 的记录 1``; an unknown operation as given."""
    for regex, zh in _OPERATIONS:
        if regex.search(what):
            return regex.sub(zh, what).replace(f" {_CURRENT}", "当前 EF").replace(_CURRENT, "当前 EF")
    return what
