"""What the unit tests of checks/ accept as Chinese first: the text has a Chinese sentence, and
it comes before the English one (a CJK character before the first English word)."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH = re.compile(r"\b(?:answered|expected|got|the|cut|read|record|records|no|neither|byte|challenges|APDUs|of)\b")


def chinese_first(text: str) -> bool:
    cjk, english = _CJK.search(text), _ENGLISH.search(text)
    return cjk is not None and (english is None or cjk.start() < english.start())
