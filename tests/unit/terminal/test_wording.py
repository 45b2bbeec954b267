"""terminal.wording: an operation the session names in English is named in Chinese for the
Chinese half of an error (glossary words); one no pattern knows keeps its English."""

from __future__ import annotations

import pytest

from terminal.wording import operation_zh


@pytest.mark.parametrize(
    ("what", "zh"),
    [
        ("verify the PIN", "校验 PIN"),
        ("read record #1 of SSSE/EF05", "读 SSSE/EF05 的记录 1"),
        ("read record tag 21 of the current EF", "按标签 21 读当前 EF 的记录"),
        ("read binary of SSSE/EF07 at 16", "从偏移 16 读 SSSE/EF07 的二进制"),
        ("external authentication with UKSSSE v00", "以 UKSSSE v00 外部认证"),
        ("secure update of SSSE/DF04/EF06 under UK2DF04", "以 UK2DF04 的安全报文更新 SSSE/DF04/EF06 的记录"),
        ("something new", "something new"),
    ],
)
def test_operations_are_named_in_chinese(what: str, zh: str) -> None:
    assert operation_zh(what) == zh
