"""How a check words what it found: Chinese first, then English, as the failure messages do.

A finding follows a Chinese lead-in (``发现 2 处不符合 / …``, ``未满足「那么 …」：``), so it is written
``<中文> / <English>``: the Chinese sentence a lab reads, then the English one, both from the same
values. Status words inside the Chinese sentence are written as the glossary writes them,
``6A82（未找到文件）`` (features/GLOSSARY.md), the variable part filled in (``63C2（认证失败，还剩2次尝试机会）``).
"""

from __future__ import annotations

from terminal.channel import Response

__all__ = ["UNDEFINED_SW", "bilingual", "sw_zh"]

UNDEFINED_SW = "规范未定义的状态字"


def sw_zh(response: Response) -> str:
    """The status word of `response` in Chinese: ``6A82（未找到文件）``."""
    word = response.status
    if word is None:
        return f"{response.sw:04X}（{UNDEFINED_SW}）"
    zh = word.zh
    if word.variable_mask == 0x0F:
        zh = zh.replace("x", str(response.sw & 0x0F))
    elif word.variable_mask == 0xFF:
        zh = zh.replace("xx", f"{response.sw & 0xFF:02X}")
    return f"{response.sw:04X}（{zh.replace('（', '，').replace('）', '')}）"


def bilingual(zh: str, en: str) -> str:
    """``<中文> / <English>``: one finding, Chinese first."""
    return f"{zh} / {en}"
