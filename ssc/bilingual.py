"""One text in two languages, Chinese first: ``<中文> / <English>``.

A lab reads results.json and report.html in Chinese, so every finding — the data-element checks
here in ssc/ as much as the checks in checks/ (which re-export this as `checks.wording.bilingual`)
— is written as the Chinese sentence, then the English one, both from the same values.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ssc.profile.model import StatusWord

__all__ = ["UNDEFINED_SW", "bilingual", "halves", "led", "word_zh"]

UNDEFINED_SW = "规范未定义的状态字"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def bilingual(zh: str, en: str) -> str:
    """``<中文> / <English>``: one finding, Chinese first."""
    return f"{zh} / {en}"


def led(zh: str, en: str, finding: str) -> str:
    """A `bilingual` finding under a lead-in in each language (``DF01EF05（权限：PIN）：`` …):
    the Chinese lead-in before its Chinese half, the English one before its English half. The
    halves are told apart at the first `` / `` (a Chinese half holds none); a text with only one
    half gets both lead-ins around it."""
    head, tail = halves(finding)
    return bilingual(zh + head, en + tail)


def halves(text: str) -> tuple[str, str]:
    """(Chinese, English) of a `bilingual` text, told apart at the first `` / `` after Chinese
    (a Chinese half holds none); a text in one language only is both: an error message of
    unknown wording can go into either half."""
    head, sep, tail = text.partition(" / ")
    if sep and _CJK.search(head):
        return head, tail
    return text, text


def word_zh(sw: int, word: StatusWord | None) -> str:
    """Status word `sw` in Chinese, `word` its profile entry (``profile.sw.describe(sw)``, None when
    the profile lists none), as the glossary writes it: ``6A82（未找到文件）``, the variable part
    filled in (``63C2（认证失败，还剩2次尝试机会）``)."""
    if word is None:
        return f"{sw:04X}（{UNDEFINED_SW}）"
    zh = word.zh
    if word.variable_mask == 0x0F:
        zh = zh.replace("x", str(sw & 0x0F))
    elif word.variable_mask == 0xFF:
        zh = zh.replace("xx", f"{sw & 0xFF:02X}")
    return f"{sw:04X}（{zh.replace('（', '，').replace('）', '')}）"
