"""Check characters of the card number (PROFILE §4.2) and the social security number (§4.3).

Both are published algorithms, so their weights live here rather than in profile data:
- card number: the GB 11714 (organization code) scheme, 8 characters [0-9A-Z] + check character;
- social security number = citizen identity number (GB 11643): ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import datetime
import string

from ssc.bilingual import bilingual

__all__ = [
    "card_number_check_char",
    "is_valid_card_number",
    "is_valid_ssn",
    "ssn_check_char",
    "ssn_problems",
]

_CARD_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_CARD_ALPHABET = string.digits + string.ascii_uppercase  # value = index: 0-9, A=10 .. Z=35

_SSN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_SSN_CHECK_MAP = "10X98765432"  # indexed by (weighted sum mod 11)

# First two digits of GB/T 2260 administrative division codes (provinces, autonomous regions,
# municipalities, Taiwan, Hong Kong, Macao).
_PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip


def card_number_check_char(first8: str) -> str:
    """Check character for the first eight characters of a card number.

    c = 11 - (sum(w_i * v_i) mod 11); c == 10 -> "X", c == 11 -> "0". Raises ValueError unless
    `first8` is exactly eight characters of [0-9A-Z].
    """
    if len(first8) != 8:
        raise ValueError(f"card number body must be 8 characters, got {len(first8)}")
    total = 0
    for i, (ch, weight) in enumerate(zip(first8, _CARD_WEIGHTS)):
        value = _CARD_ALPHABET.find(ch)
        if value < 0:
            raise ValueError(f"card number character {i} is {ch!r}, expected [0-9A-Z]")
        total += weight * value
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def is_valid_card_number(s: str) -> bool:
    """True iff `s` is 8 characters of [0-9A-Z] followed by the right check character."""
    if not isinstance(s, str) or len(s) != 9:
        return False
    try:
        return card_number_check_char(s[:8]) == s[8]
    except ValueError:
        return False


def ssn_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character over the first 17 digits of a citizen identity number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"SSN body must be 17 decimal digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, _SSN_WEIGHTS))
    return _SSN_CHECK_MAP[total % 11]


def region_code_problems(code: str) -> list[str]:
    """Why `code` is not a six-digit GB/T 2260 division code starting with a province code.

    Whether the full code exists is not judged: codes change over time."""
    if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
        return [bilingual(f"地区代码 {code!r} 不是 6 位数字", f"region code {code!r} is not six digits")]
    if code[:2] not in _PROVINCE_CODES:
        return [
            bilingual(
                f"地区代码 {code}：{code[:2]!r} 不是 GB/T 2260 的省级代码",
                f"region code {code}: {code[:2]!r} is not a GB/T 2260 province code",
            )
        ]
    return []


def ssn_problems(s: str, *, today: datetime.date | None = None) -> list[str]:
    """Every reason `s` is not a well-formed social security number; empty if it is.

    Checks: 18 characters, 17 digits then a digit or uppercase "X"; region code (digits 1–6)
    starting with a GB/T 2260 province code (whether the full code exists is not judged: codes
    change over time); birth date (digits 7–14) a real date not after `today` (default: the
    current date); check character (digit 18). Format errors stop the checks early.
    """
    if not isinstance(s, str):
        return [bilingual(f"社会保障号码应为文本，实际为 {type(s).__name__}", f"SSN must be text, got {type(s).__name__}")]
    if len(s) != 18:
        return [bilingual(f"社会保障号码应为 18 位，实际 {len(s)} 位", f"SSN must be 18 characters, got {len(s)}")]
    body, check = s[:17], s[17]
    if not (body.isascii() and body.isdigit()):
        bad = next(i for i, ch in enumerate(body) if ch not in string.digits)
        return [
            bilingual(
                f"社会保障号码第 {bad + 1} 位为 {body[bad]!r}；前 17 位应为数字",
                f"SSN character {bad + 1} is {body[bad]!r}; the first 17 must be digits",
            )
        ]
    problems: list[str] = region_code_problems(body[:6])
    birth_text = body[6:14]
    try:
        birth = datetime.date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:8]))
    except ValueError:
        problems.append(bilingual(f"出生日期 {birth_text} 不是有效日期", f"birth date {birth_text} is not a real date"))
    else:
        limit = today if today is not None else datetime.date.today()
        if birth > limit:
            problems.append(bilingual(f"出生日期 {birth_text} 晚于今天", f"birth date {birth_text} is in the future"))
    expected = ssn_check_char(body)
    if check == "x":
        problems.append(
            bilingual('校验位为小写 "x"；GB 11643 使用大写 "X"', 'check character is lowercase "x"; GB 11643 uses uppercase "X"')
        )
    elif check != expected:
        problems.append(bilingual(f"校验位为 {check!r}，应为 {expected!r}", f"check character is {check!r}, expected {expected!r}"))
    return problems


def is_valid_ssn(s: str) -> bool:
    """True iff `ssn_problems(s)` finds nothing."""
    return not ssn_problems(s)
