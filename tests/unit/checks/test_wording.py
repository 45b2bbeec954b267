"""Findings are worded Chinese first (checks.wording): the status word as the glossary writes it,
the variable part filled in, and a word the profile lacks said so."""

from __future__ import annotations

from checks.wording import UNDEFINED_SW, bilingual, sw_zh
from ssc.profile import load_profile
from terminal.channel import Response
from tests.unit.checks.zh import chinese_first

PROFILE = load_profile("gen2")


def _response(sw: int) -> Response:
    return Response(b"", sw, (), PROFILE.sw.describe(sw))


def test_status_words_are_written_as_the_glossary_writes_them() -> None:
    assert sw_zh(_response(0x6A82)) == "6A82（未找到文件）"
    assert sw_zh(_response(0x63C2)) == "63C2（认证失败，还剩2次尝试机会）"
    assert sw_zh(_response(0x6A81)) == "6A81（功能不支持，应用已锁定）"
    assert sw_zh(_response(0x1234)) == f"1234（{UNDEFINED_SW}）"


def test_bilingual_puts_the_chinese_first() -> None:
    text = bilingual("读记录返回 6A82（未找到文件）", "READ RECORD answered 6A82")
    assert text == "读记录返回 6A82（未找到文件） / READ RECORD answered 6A82" and chinese_first(text)
    assert not chinese_first("READ RECORD answered 6A82 / 读记录")
