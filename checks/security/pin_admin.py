"""Changing the PIN for a test, proving the change, and giving the card its PIN back (PROFILE §5,
SEC-PIN-2, SEC-PIN-3).

A CHANGE PIN to the personalized initial PIN is refused (6A80) by design, so when the PIN to give
back *is* the initial PIN (a test card as issued) it cannot be restored with CHANGE PIN: it is
restored with RELOAD PIN after PUK authentication instead.

A 9000 to CHANGE PIN or RELOAD PIN proves nothing: `prove_pin_replacement` spends one try first,
replaces the PIN by a temporary one, and then shows with VERIFY that the old PIN is refused with
the counter full again (63C(max-1): the command reset the counter) and that the new PIN is accepted
— and always gives the card its PIN back.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.wording import bilingual, sw_zh, word_zh
from terminal.channel import Response
from terminal.psam_client import PsamClient
from terminal.session import CardSession, OperationError

__all__ = ["PinProof", "PinStep", "counter_full_proof", "give_back", "prove_pin_replacement", "restore_pin", "temporary_pin", "wrong_pin"]

REPLACEMENTS = {"change_pin": "CHANGE PIN", "reload_pin": "RELOAD PIN (after PUK authentication)"}
_REPLACEMENTS_ZH = {"change_pin": "修改 PIN", "reload_pin": "PUK 认证后重装 PIN"}


@dataclass(frozen=True)
class PinStep:
    what: str
    response: Response
    expected: str  # the status word required, as text
    ok: bool
    what_zh: str = ""  # `what` in Chinese
    expected_zh: str = ""  # `expected` as the glossary writes it: 63C2（认证失败，还剩2次尝试机会）


@dataclass(frozen=True)
class PinProof:
    steps: tuple[PinStep, ...]
    restored: bool  # VERIFY with the PIN given for the run succeeded at the end

    @property
    def problems(self) -> list[str]:
        out = [
            bilingual(
                f"{s.what_zh or s.what}：预期 {s.expected_zh or s.expected}，实际 {sw_zh(s.response)}",
                f"{s.what}: expected {s.expected}, got {s.response.describe()}",
            )
            for s in self.steps
            if not s.ok
        ]
        if not self.restored:
            out.append(
                bilingual(
                    "卡的 PIN 未能恢复：最后以本次运行给定的 PIN 校验不通过（若新 PIN 已被接受，卡上仍是由运行的 PIN 推出的临时 PIN）",
                    "THE CARD'S PIN COULD NOT BE GIVEN BACK: VERIFY with the PIN given for the run fails at the end "
                    "(if the new PIN was accepted, the card still holds the temporary PIN that checks.security.pin_admin.temporary_pin "
                    "derives from the run's PIN)",
                )
            )
        return out


class _Steps:
    def __init__(self, card: CardSession) -> None:
        self.card = card
        self.done: list[PinStep] = []

    def expect(self, what: str, response: Response, sw: int | None = None, *, zh: str = "") -> bool:
        """Record one exchange (`zh`: `what` in Chinese); `sw` None means 9000."""
        ok = response.ok if sw is None else response.sw == sw
        words = self.card.profile.sw
        expected_zh = words["ok"].label if sw is None else word_zh(sw, words.describe(sw))
        self.done.append(PinStep(what, response, "9000" if sw is None else f"{sw:04X}", ok, zh, expected_zh))
        return ok


def prove_pin_replacement(card: CardSession, psam: PsamClient, pin: str, initial: str, command: str) -> PinProof:
    """Replace `pin` by a temporary PIN with `command` ("change_pin" or "reload_pin") and prove it:
    one wrong VERIFY first (the counter is then not full), the command, VERIFY with the old PIN
    (refused with max-1 tries left: the counter was reset and the old PIN is gone), VERIFY with the
    new one (accepted). The card's PIN is then given back (CHANGE PIN, or RELOAD PIN for the
    initial PIN; RELOAD PIN as a last resort) and verified. The PIN counter must be full at the start."""
    if command not in REPLACEMENTS:
        raise ValueError(f"unknown PIN replacement {command!r}; known: {', '.join(REPLACEMENTS)}")
    label, label_zh = REPLACEMENTS[command], _REPLACEMENTS_ZH[command]
    tries = card.profile.security.pin.tries
    failed = card.profile.sw["verification_failed"]
    temporary = temporary_pin(pin, initial)
    wrong = temporary_pin(temporary, pin, initial)
    steps = _Steps(card)
    steps.expect(
        "a wrong PIN first, so the counter is not full",
        card.verify_pin(wrong, check=False),
        failed.with_value(tries - 1),
        zh="先校验一次错误的 PIN，使错误计数不满",
    )
    if command == "change_pin":
        replaced = card.change_pin(pin, temporary, check=False)
    else:
        replaced = card.reload_pin(psam, temporary, check=False)
    steps.expect(f"{label} to a temporary PIN", replaced, zh=f"{label_zh} 为临时 PIN")
    holds_new = False
    try:
        steps.expect(
            f"VERIFY with the old PIN after {label}: refused, with the counter full again",
            card.verify_pin(pin, check=False),
            failed.with_value(tries - 1),
            zh=f"{label_zh} 之后以旧 PIN 校验 PIN：应被拒绝，且错误计数已重新计满",
        )
        holds_new = steps.expect(
            f"VERIFY with the new PIN after {label}", card.verify_pin(temporary, check=False), zh=f"{label_zh} 之后以新 PIN 校验 PIN"
        )
    finally:
        restored = give_back(card, psam, pin, initial, temporary if holds_new else None)
    return PinProof(tuple(steps.done), restored)


def give_back(card: CardSession, psam: PsamClient, pin: str, initial: str, now: str | None) -> bool:
    """Make `pin` the card's PIN again and verify it (which also fills the counter). No PIN is
    guessed twice: when the card does not take `pin` back although it held `now`, `now` is
    verified to refill the counter, and the card is reported as not restored."""
    if now is not None:
        try:
            restore_pin(card, psam, now, pin, initial=initial)
        except OperationError:
            pass  # judged by the VERIFY below
    if card.verify_pin(pin, check=False).ok:
        return True
    if now is not None:
        card.verify_pin(now, check=False)  # the card kept the temporary PIN: keep its counter full
        return False
    card.reload_pin(psam, pin, check=False)  # what the card holds is unknown: RELOAD PIN as the last resort
    return card.verify_pin(pin, check=False).ok


def counter_full_proof(card: CardSession, pin: str) -> PinProof:
    """Show that the PIN try counter is full without trusting any earlier 9000: one wrong VERIFY
    must leave max-1 tries; VERIFY with the right PIN then fills the counter again."""
    tries = card.profile.security.pin.tries
    steps = _Steps(card)
    steps.expect(
        "a wrong PIN: max-1 tries left when the counter was full",
        card.verify_pin(wrong_pin(pin), check=False),
        card.profile.sw["verification_failed"].with_value(tries - 1),
        zh="校验一次错误的 PIN：错误计数满时应还剩最大次数减 1 次",
    )
    restored = steps.expect("VERIFY with the PIN given for the run", card.verify_pin(pin, check=False), zh="以本次运行给定的 PIN 校验 PIN")
    return PinProof(tuple(steps.done), restored)


def temporary_pin(current: str, *avoid: str) -> str:
    """A PIN of the same length as `current` that differs from it and from every PIN in `avoid`
    (e.g. the initial PIN, which the card refuses as a new PIN)."""
    if not current.isdigit():
        raise ValueError("a PIN is a string of digits")
    banned = {current, *avoid}
    for step in range(1, 10):
        candidate = "".join(str((int(d) + step) % 10) for d in current)
        if candidate not in banned:
            return candidate
    raise ValueError(f"no temporary PIN of length {len(current)} avoids {len(banned)} PINs")


def restore_pin(card: CardSession, psam: PsamClient, now: str, original: str, *, initial: str | None = None) -> Response:
    """Set the PIN from `now` back to `original`: CHANGE PIN, or RELOAD PIN (after PUK
    authentication) when `original` is the card's initial PIN (default: the profile's), which
    CHANGE PIN must refuse."""
    if original != (initial if initial is not None else card.profile.security.pin.initial):
        return card.change_pin(now, original, check=True)
    response = card.reload_pin(psam, original, check=False)
    if not response.ok:
        raise OperationError(None, response, f"RELOAD PIN to give the card its initial PIN back: {response.describe()}")
    return response


def wrong_pin(pin: str) -> str:
    """A PIN of the same length that differs from `pin` in its last digit, for tests that must
    present a wrong PIN without ever guessing the right one."""
    if not pin or not pin.isdigit():
        raise ValueError("a PIN is a non-empty string of digits")
    return pin[:-1] + str((int(pin[-1]) + 1) % 10)
