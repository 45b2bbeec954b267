"""Checks of single data elements against published code tables (PROFILE §3.1, §3.2, §4).

This is a leaf module like `ssc.checks`: the code tables it holds are published standards, not
profile choices — GB/T 2261.1 (gender), GB 3304 (ethnicity), GB/T 2260 (regions, via
`ssc.checks.region_code_problems`), calendar dates. Each function returns every problem found as a
sentence a lab engineer can act on; an empty list means the value conforms. Values come in
decoded (`str` for `an`/`cn`), except where the point is the encoding (`gbk_problems`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from ssc.bilingual import bilingual, led
from ssc.checks import region_code_problems
from ssc.profile.model import Text

__all__ = [
    "card_type_problems",
    "date_problems",
    "ethnicity_problems",
    "gbk_problems",
    "gender_problems",
    "init_institution_problems",
    "parse_date",
]

# GB/T 2261.1-2003: 0 unknown, 1 male, 2 female, 9 not stated.
_GENDER_CODES = frozenset("0129")
# GB 3304-1991: 01..56 the 56 ethnic groups, 97 other, 98 foreign-born naturalized citizens.
_ETHNICITY_CODES = frozenset([f"{n:02d}" for n in range(1, 57)] + ["97", "98"])
_DATE_DIGITS = 8
_INSTITUTION_DIGITS = 24
_REGION_DIGITS = 6


# what a date or text check names, in Chinese (the data dictionary's names)
_WHAT_ZH = {"date": "日期", "birth date": "出生日期", "issue date": "发卡日期", "expiry date": "卡有效期", "name": "姓名", "text": "文本"}


def gender_problems(code: str) -> list[str]:
    if code not in _GENDER_CODES:
        return [
            bilingual(f"性别 {code!r} 不是 GB/T 2261.1 的代码（0、1、2、9）", f"gender {code!r} is not a GB/T 2261.1 code (0, 1, 2, 9)")
        ]
    return []


def ethnicity_problems(code: str) -> list[str]:
    if code not in _ETHNICITY_CODES:
        return [
            bilingual(f"民族 {code!r} 不是 GB 3304 的代码（01–56、97、98）", f"ethnicity {code!r} is not a GB 3304 code (01–56, 97, 98)")
        ]
    return []


def card_type_problems(code: str, valid: Mapping[str, Text]) -> list[str]:
    """`valid`: the profile's card-type codes (profile.card_types.values)."""
    if code not in valid:
        known = ", ".join(f"{c} = {t.en}" for c, t in sorted(valid.items()))
        known_zh = "，".join(f"{c} = {t.zh}" for c, t in sorted(valid.items()))
        return [
            bilingual(
                f"卡的类别 {code!r} 不是规范配置文件中的卡类别（{known_zh}；规范 §3.1）",
                f"card type {code!r} is not a card type of the profile ({known}; PROFILE §3.1)",
            )
        ]
    return []


def parse_date(digits: str) -> datetime.date | None:
    """YYYYMMDD → date, or None if it is not eight digits naming a real date."""
    if len(digits) != _DATE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def date_problems(digits: str, what: str = "date") -> list[str]:
    if parse_date(digits) is None:
        return [
            bilingual(f"{_WHAT_ZH.get(what, what)} {digits!r} 不是有效的 YYYYMMDD 日期", f"{what} {digits!r} is not a real date YYYYMMDD")
        ]
    return []


def init_institution_problems(digits: str, issuing_region: str | None = None) -> list[str]:
    """24 digits: the issuing region code (6, GB/T 2260) followed by 18 digits (PROFILE §3.1).

    With `issuing_region` (from the card identification code), the first six digits must equal it.
    """
    if len(digits) != _INSTITUTION_DIGITS or not digits.isascii() or not digits.isdigit():
        return [
            bilingual(
                f"初始化机构编号 {digits!r} 不是 {_INSTITUTION_DIGITS} 位数字",
                f"initialization institution number {digits!r} is not {_INSTITUTION_DIGITS} digits",
            )
        ]
    region = digits[:_REGION_DIGITS]
    problems = [led(f"初始化机构编号 {digits}：", f"initialization institution number {digits}: ", p) for p in region_code_problems(region)]
    if issuing_region is not None and region != issuing_region:
        problems.append(
            bilingual(
                f"初始化机构编号 {digits} 以地区 {region} 开头，卡的识别码中的发卡地区为 {issuing_region}",
                f"initialization institution number {digits} starts with region {region}, "
                f"the card identification code names issuing region {issuing_region}",
            )
        )
    return problems


def gbk_problems(raw: bytes, what: str = "text") -> list[str]:
    """The value without its 00 padding must decode as GBK (PROFILE §3: Chinese text is GBK)."""
    body = bytes(raw).rstrip(b"\x00")
    try:
        body.decode("gbk")
    except UnicodeDecodeError as exc:
        shown, at = bytes(raw).hex().upper(), body[exc.start : exc.start + 2].hex().upper()
        return [
            bilingual(
                f"{_WHAT_ZH.get(what, what)} {shown}：第 {exc.start} 字节（{at}）无法按 GBK 解码",
                f"{what} {shown}: byte {exc.start} ({at}) does not decode as GBK",
            )
        ]
    return []
