"""PIN length boundaries (PROFILE §5: VERIFY "PIN BCD, 2–6 bytes"; CHANGE PIN checks the format
before the old PIN is compared → 6A80): a PIN of exactly the shortest and of exactly the longest
length can be set with CHANGE PIN and verified; one byte shorter or longer, or a PIN that is not
BCD, is refused as a new PIN and leaves the PIN as it was.

The lengths come from the profile (`commands.verify.min_pin_bytes` / `max_pin_bytes`). Every case
is independent and gives the run's PIN back: `boundary_pin_works` sets the boundary PIN, proves it
(VERIFY with it passes, VERIFY with the run's PIN is then refused, VERIFY with it again resets the
counter) and restores the run's PIN (`pin_admin.restore_pin`, which uses RELOAD PIN when the run's
PIN is the initial one, which CHANGE PIN must refuse); `bad_new_pin_refused` proves a refusal by
verifying the run's PIN afterwards (a changed PIN would fail it), and puts the PIN back if the
card took the bad one anyway.
"""

from __future__ import annotations

from checks.security.pin_admin import restore_pin
from checks.wording import bilingual, sw_zh
from ssc.apdu import CommandApdu
from ssc.codecs import encode_pin
from ssc.profile.model import Profile
from terminal.channel import Response
from terminal.psam_client import PsamClient
from terminal.session import CardSession

__all__ = ["BAD_NEW_PINS", "bad_new_pin", "bad_new_pin_refused", "boundary_pin", "boundary_pin_works", "pin_bytes"]

BAD_NEW_PINS = ("too_short", "too_long", "not_bcd")
NOT_BCD = bytes((0x1A, 0x2B, 0x3C))  # a legal length, no nibble a digit
_CASE_ZH = {"too_short": "过短", "too_long": "过长", "not_bcd": "非 BCD 数字"}  # a finding names the case in Chinese too


def pin_bytes(profile: Profile) -> tuple[int, int]:
    """(shortest, longest) PIN field in bytes."""
    vf = profile.command("verify")
    return vf.byte("min_pin_bytes"), vf.byte("max_pin_bytes")


def boundary_pin(profile: Profile, n: int, *avoid: str) -> str:
    """A PIN of exactly `n` BCD bytes (2n digits) that is none of `avoid` (the run's, the initial PIN)."""
    for first in range(1, 10):
        digits = "".join(str((first + i) % 10) for i in range(2 * n))
        if digits not in avoid:
            return digits
    raise ValueError(f"no PIN of {n} bytes avoids {len(avoid)} PINs")


def bad_new_pin(profile: Profile, case: str) -> bytes:
    """The new-PIN field of a refused case: one byte under the shortest, one over the longest, not BCD."""
    low, high = pin_bytes(profile)
    if case == "too_short":
        return encode_pin("7" * (2 * (low - 1))) if low > 1 else b""
    if case == "too_long":
        return encode_pin("7" * (2 * (high + 1)))
    if case == "not_bcd":
        return NOT_BCD
    raise ValueError(f"unknown case {case!r}; known: {', '.join(BAD_NEW_PINS)}")


def _change_raw(card: CardSession, old: str, new_field: bytes) -> Response:
    cmd = card.profile.command("change_pin")
    card.ensure_inside(card.profile.security.pin.df)
    data = encode_pin(old) + bytes((cmd.byte("separator"),)) + new_field
    return card.terminal.send(CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1"), cmd.byte("p2"), data), raw=True)


def boundary_pin_works(card: CardSession, psam: PsamClient, pin: str, n: int) -> list[str]:
    """Set a PIN of exactly `n` bytes, prove it is the PIN, give `pin` back. Findings (empty: passed)."""
    profile = card.profile
    new = boundary_pin(profile, n, pin, profile.security.pin.initial)
    changed = card.change_pin(pin, new, check=False)
    if not changed.ok:
        return [
            bilingual(
                f"修改 PIN 为 {n} 字节的 PIN（合法长度）被拒绝：{sw_zh(changed)}",
                f"CHANGE PIN to a PIN of {n} bytes (a legal length) was refused: {changed.describe()}",
            )
        ]
    findings = []
    try:
        verified = card.verify_pin(new, check=False)
        if not verified.ok:
            findings.append(
                bilingual(
                    f"以 {n} 字节的新 PIN 校验 PIN 被拒绝：{sw_zh(verified)}",
                    f"VERIFY with the new {n}-byte PIN was refused: {verified.describe()}",
                )
            )
        old = card.verify_pin(pin, check=False)
        if old.ok:
            findings.append(
                bilingual(
                    f"修改 PIN 为 {n} 字节的 PIN 之后，旧 PIN 仍能校验通过：修改并未生效",
                    f"after CHANGE PIN to a {n}-byte PIN the old PIN still verifies: the change did not happen",
                )
            )
        again = card.verify_pin(new, check=False)  # resets the try counter spent by the old PIN
        if not again.ok and verified.ok:
            findings.append(
                bilingual(
                    f"第二次以 {n} 字节的新 PIN 校验 PIN 被拒绝：{sw_zh(again)}",
                    f"VERIFY with the new {n}-byte PIN was refused the second time: {again.describe()}",
                )
            )
    finally:
        restore_pin(card, psam, new, pin)
    return findings


def bad_new_pin_refused(card: CardSession, pin: str, case: str) -> list[str]:
    """CHANGE PIN to a malformed new PIN must be answered 6A80 and leave `pin` the PIN."""
    profile = card.profile
    field = bad_new_pin(profile, case)
    answer = _change_raw(card, pin, field)
    findings = []
    if not answer.means("wrong_data"):
        findings.append(
            bilingual(
                f"修改 PIN 时新 PIN 字段为 {len(field)} 字节（{_CASE_ZH.get(case, case)}），返回 {sw_zh(answer)}，"
                f"预期 {profile.sw['wrong_data'].label}",
                f"CHANGE PIN to a new PIN field of {len(field)} bytes ({case}) answered {answer.describe()}, expected 6A80",
            )
        )
    check = card.verify_pin(pin, check=False)
    if not check.ok:
        findings.append(
            bilingual(
                f"修改 PIN（{_CASE_ZH.get(case, case)}）被拒绝之后，本次运行的 PIN 已不能校验通过：{sw_zh(check)}",
                f"after the refused CHANGE PIN ({case}) the run's PIN no longer verifies: {check.describe()}",
            )
        )
        if answer.ok and case != "not_bcd":  # the card took the bad PIN: give the run's PIN back through it
            cmd = profile.command("change_pin")
            card.terminal.send(
                CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1"), cmd.byte("p2"), field + bytes((cmd.byte("separator"),)) + encode_pin(pin)),
                raw=True,
            )
    return findings
