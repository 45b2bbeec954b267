"""Findings are worded Chinese first (checks.wording): the status word as the glossary writes it,
the variable part filled in, and a word the profile lacks said so."""

from __future__ import annotations

from checks.wording import UNDEFINED_SW, bilingual, halves, led, sw_zh, word_zh
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
    assert word_zh(0x6C1A, PROFILE.sw.describe(0x6C1A)) == "6C1A（长度错误，Le错误，1A为实际长度）"


def test_bilingual_puts_the_chinese_first() -> None:
    text = bilingual("读记录返回 6A82（未找到文件）", "READ RECORD answered 6A82")
    assert text == "读记录返回 6A82（未找到文件） / READ RECORD answered 6A82" and chinese_first(text)
    assert not chinese_first("READ RECORD answered 6A82 / 读记录")


def test_a_bilingual_text_is_split_into_its_halves() -> None:
    assert halves("校验 PIN：… / verify the PIN: …") == ("校验 PIN：…", "verify the PIN: …")
    assert halves("PsamError: 6A82 / 6A83") == ("PsamError: 6A82 / 6A83",) * 2  # no Chinese: one language, both halves


def test_a_lead_in_goes_before_each_half() -> None:
    finding = bilingual("标签 21：实际 'X'", "tag 21: got 'X'")
    assert (
        led("EF05（权限：PIN）：", "EF05 (rights: PIN): ", finding)
        == "EF05（权限：PIN）：标签 21：实际 'X' / EF05 (rights: PIN): tag 21: got 'X'"
    )
