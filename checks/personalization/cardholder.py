"""Read the cardholder basics and check that they agree with each other (PER-3, PROFILE §4.3).

The social security number is the citizen identity number (GB 11643): digits 1–6 a region,
7–14 the birth date, 15–17 a sequence whose last digit is odd for men and even for women, 18 the
check character. A personalized card must agree with itself: the birth-date item equals SSN digits
7–14, the gender item (GB/T 2261.1) matches the parity, the birthplace is a GB/T 2260 code. These
positions and codes are published standards, so they live here rather than in profile data.
"""

from __future__ import annotations

from collections.abc import Iterable

from checks.wording import bilingual
from ssc.profile.access import Auth, Pin
from terminal.psam_client import PsamClient
from terminal.session import CardSession, find_item

__all__ = ["birth_date_mismatch", "gender_parity_mismatch", "open_for_read", "read_items"]

_SSN_LENGTH = 18
_SSN_BIRTH_DATE = slice(6, 14)  # GB 11643: digits 7–14
_SSN_SEQUENCE_LAST = 16  # GB 11643: digit 17, odd for men
_GENDER_BY_PARITY = {1: "1", 0: "2"}  # GB/T 2261.1: 1 male, 2 female (0 unknown, 9 not stated)


def open_for_read(session: CardSession, path: str, psam: PsamClient, pin: str) -> None:
    """Satisfy the read rule of EF `path` the way a terminal would: the first minimal grant the
    terminal can give (PIN and AUTH terms; the PIN first, since a key authentication in the EF's
    DF must come last to survive). Raises `OperationError` when the card refuses."""
    profile = session.profile
    rule = profile.file(path).rule("read")
    if rule is None or rule.is_free:
        return
    grants = [g for g in rule.minimal_grants() if all(isinstance(t, (Pin, Auth)) for t in g)]
    if not grants:
        raise ValueError(f"{path}: a terminal cannot satisfy the read rule {rule}")
    grant = min(grants, key=len)
    for term in sorted(grant, key=lambda t: not isinstance(t, Pin)):
        if isinstance(term, Pin):
            session.verify_pin(pin, check=True)
        else:
            assert isinstance(term, Auth)
            session.external_authenticate(term.key, 0, psam, check=True)
    session.ensure_df(profile.df_of(path).path)


def read_items(session: CardSession, items: Iterable[str], psam: PsamClient, pin: str) -> dict[str, str | bytes]:
    """Read data `items` (profile item names), opening each holding EF's read rule once."""
    opened: set[str] = set()
    out: dict[str, str | bytes] = {}
    for item in items:
        f, _ = find_item(session.profile, item)
        if f.path not in opened:
            open_for_read(session, f.path, psam, pin)
            opened.add(f.path)
        out[item] = session.read_item(item)
    return out


def _ssn_digits(ssn: str) -> bool:
    return len(ssn) == _SSN_LENGTH and ssn[: _SSN_SEQUENCE_LAST + 1].isascii() and ssn[: _SSN_SEQUENCE_LAST + 1].isdigit()


def birth_date_mismatch(ssn: str, birth_date: str) -> str | None:
    """Why the birth-date item disagrees with SSN digits 7–14 (None when they agree)."""
    if not _ssn_digits(ssn):
        return bilingual(
            f"社会保障号码 {ssn!r} 不是 17 位数字加一位校验码，无法比对出生日期",
            f"SSN {ssn!r} is not 17 digits plus a check character; cannot compare the birth date",
        )
    if ssn[_SSN_BIRTH_DATE] != birth_date:
        return bilingual(
            f"出生日期 {birth_date} 与社会保障号码 {ssn} 第 7–14 位（{ssn[_SSN_BIRTH_DATE]}）不符",
            f"birth date {birth_date} differs from SSN {ssn} digits 7–14 ({ssn[_SSN_BIRTH_DATE]})",
        )
    return None


def gender_parity_mismatch(ssn: str, gender: str) -> str | None:
    """Why the gender item disagrees with the parity of SSN digit 17 (None when it agrees or the
    gender is 0 unknown / 9 not stated, which the parity cannot contradict)."""
    if not _ssn_digits(ssn):
        return bilingual(
            f"社会保障号码 {ssn!r} 不是 17 位数字加一位校验码，无法比对性别",
            f"SSN {ssn!r} is not 17 digits plus a check character; cannot compare the gender",
        )
    if gender not in _GENDER_BY_PARITY.values():
        return None
    digit = int(ssn[_SSN_SEQUENCE_LAST])
    expected = _GENDER_BY_PARITY[digit % 2]
    if gender != expected:
        return bilingual(
            f"性别 {gender} 与社会保障号码 {ssn} 不符：第 17 位为 {digit}（{'奇数：男，1' if digit % 2 else '偶数：女，2'}）",
            f"gender {gender} contradicts SSN {ssn}: digit 17 is {digit} ({'odd: male, 1' if digit % 2 else 'even: female, 2'})",
        )
    return None
