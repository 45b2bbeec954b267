"""The PIN state and the try counter around CHANGE PIN and RELOAD PIN, proven on commands
(PROFILE §3.3, §5, §6.5; SEC-PIN-1..3, SEC-AC-8).

A status word alone proves nothing here either: each probe observes the effect through another
command.

- `pin_state_after_change`: after a reset a PIN-protected read is refused; CHANGE PIN sets the
  PIN state (§5: "success resets the counter and sets the PIN state"), so the same read is then
  granted — in an ADF reached after the CHANGE PIN, a DF change inside SSSE that keeps the PIN state
  (§3.3).
- `pin_state_after_reload`: RELOAD PIN sets the PIN state only when the profile's behaviour
  `card_reload_pin_sets_pin_state` says so, otherwise a PIN-protected read stays refused until VERIFY.
- `malformed_change_pin`: CHANGE PIN with the old or the new PIN missing around the separator is
  refused with 6A80 before any comparison: no try spent, PIN unchanged.
- `change_pin_at_last_try`: with one try left, CHANGE PIN with the right old PIN still works and
  fills the counter (destructive: on a physical card a slip here blocks the PIN).
- `blocked_pin_refusals`: on a blocked PIN, VERIFY and CHANGE PIN are refused with 6983 — malformed
  ones too when `card_pin_blocked_before_format` puts the blocked check first — and a CHANGE PIN
  with the right old PIN changes nothing (the PIN verifies after UNBLOCK). Destructive.

Every probe gives the card its PIN back and leaves the counter full (`PinProof.restored`).
"""

from __future__ import annotations

from checks.security.pin_admin import PinProof, PinStep, give_back, temporary_pin, wrong_pin
from checks.standards.file_survey import mandatory_files
from checks.verdicts import Inconclusive
from checks.wording import bilingual, word_zh
from ssc.apdu import CommandApdu
from ssc.codecs import encode_pin
from ssc.profile.access import Pin
from ssc.profile.model import FileDef, Profile
from terminal.channel import Response
from terminal.psam_client import PsamClient
from terminal.session import CardSession

__all__ = [
    "blocked_pin_refusals",
    "change_pin_at_last_try",
    "malformed_change_pin",
    "pin_read_file",
    "pin_state_after_change",
    "pin_state_after_reload",
]


class _Log:
    """The exchanges of one probe, each with the status word it had to give."""

    def __init__(self, card: CardSession) -> None:
        self.card = card
        self.done: list[PinStep] = []

    def expect(self, what: str, response: Response, name: str = "ok", value: int | None = None, *, zh: str = "") -> bool:
        """Record one exchange (`zh`: `what` in Chinese) and whether it gave status word `name`."""
        sw = self.card.profile.sw[name]
        ok = response.sw == sw.with_value(value) if value is not None else response.means(name)
        wanted = f"{sw.with_value(value):04X}" if value is not None else sw.pattern
        wanted_zh = word_zh(sw.with_value(value), sw) if value is not None else sw.label
        self.done.append(PinStep(what, response, wanted, ok, zh, wanted_zh))
        return ok


def pin_read_file(profile: Profile) -> FileDef:
    """A mandatory linear file with declared records whose read rule the PIN alone satisfies ("PIN" or
    "PIN or …"), preferably in an ADF below the PIN's DF (reaching it is a DF change in SSSE)."""
    pin_df = profile.security.pin.df
    found = []
    for f in mandatory_files(profile):  # an optional ADF may be absent from a conforming card
        rule = f.rule("read") if f.kind == "linear" and f.records else None
        if rule is None or not any(isinstance(t, Pin) for t in rule.terms) or rule.kind not in ("single", "or"):
            continue
        found.append((f.parent == pin_df, f.path, f))
    if not found:
        raise Inconclusive(
            bilingual(
                f"规范配置文件中 {pin_df} 之下没有仅凭 PIN 即可读的必备记录文件",
                f"the profile has no mandatory record file below {pin_df} that the PIN alone opens for reading",
            )
        )
    return min(found, key=lambda x: (x[0], x[1]))[2]


def _read(card: CardSession, f: FileDef) -> Response:
    return card.read_record(f.path, f.records[0].number, check=False)


def _command(card: CardSession, name: str, data: bytes) -> Response:
    cmd = card.profile.command(name)
    card.ensure_inside(card.profile.security.pin.df)
    return card.terminal.send(CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1"), cmd.byte("p2"), data))


def pin_state_after_change(card: CardSession, psam: PsamClient, pin: str, initial: str) -> PinProof:
    """Reset → a PIN-protected read in the ADF refused; CHANGE PIN in the PIN's DF → the same read
    granted (CHANGE PIN sets the PIN state, the DF change inside SSSE keeps it); give back."""
    profile = card.profile
    f = pin_read_file(profile)
    pin_df = profile.security.pin.df
    temporary = temporary_pin(pin, initial)
    log = _Log(card)
    holds: str | None = None
    try:
        card.reset()
        log.expect(
            f"after a reset, before VERIFY: read {f.path}", _read(card, f), "security_not_satisfied", zh=f"复位后、校验 PIN 之前读 {f.path}"
        )
        card.select_path(pin_df, check=True)
        if log.expect(
            f"CHANGE PIN in {pin_df} to a temporary PIN",
            card.change_pin(pin, temporary, check=False),
            zh=f"在 {pin_df} 中修改 PIN 为临时 PIN",
        ):
            holds = temporary
        log.expect(
            f"read {f.path} after CHANGE PIN (it sets the PIN state; the DF change inside {pin_df} keeps it)",
            _read(card, f),
            zh=f"修改 PIN 之后读 {f.path}（修改 PIN 建立 PIN 安全状态；在 {pin_df} 内切换 DF 不清除它）",
        )
    finally:
        restored = give_back(card, psam, pin, initial, holds)
    return PinProof(tuple(log.done), restored)


def pin_state_after_reload(card: CardSession, psam: PsamClient, pin: str, initial: str) -> PinProof:
    """Reset → RELOAD PIN → a PIN-protected read granted or refused as the profile's behaviour
    `card_reload_pin_sets_pin_state` says; VERIFY with the reloaded PIN; give back."""
    profile = card.profile
    f = pin_read_file(profile)
    temporary = temporary_pin(pin, initial)
    log = _Log(card)
    holds: str | None = None
    try:
        card.reset()
        if log.expect(
            "RELOAD PIN (after PUK authentication) to a temporary PIN",
            card.reload_pin(psam, temporary, check=False),
            zh="重装 PIN（PUK 认证之后）为临时 PIN",
        ):
            holds = temporary
        sets_state = bool(profile.behaviour.card_reload_pin_sets_pin_state.value)
        log.expect(
            f"read {f.path} after RELOAD PIN, no VERIFY (card_reload_pin_sets_pin_state: {str(sets_state).lower()})",
            _read(card, f),
            "ok" if sets_state else "security_not_satisfied",
            zh=f"重装 PIN 之后、未校验 PIN 即读 {f.path}（card_reload_pin_sets_pin_state：{str(sets_state).lower()}）",
        )
        if holds is not None:
            log.expect("VERIFY with the reloaded PIN", card.verify_pin(temporary, check=False), zh="以重装的 PIN 校验 PIN")
    finally:
        restored = give_back(card, psam, pin, initial, holds)
    return PinProof(tuple(log.done), restored)


def malformed_change_pin(card: CardSession, psam: PsamClient, pin: str, initial: str) -> PinProof:
    """CHANGE PIN with the old PIN missing (separator first) and with the new PIN missing (separator
    last): 6A80 each, then the counter is still full and the PIN unchanged. The counter must be
    full at the start."""
    profile = card.profile
    sep = bytes([profile.command("change_pin").byte("separator")])
    tries = profile.security.pin.tries
    temporary = temporary_pin(pin, initial)
    log = _Log(card)
    try:
        log.expect(
            "CHANGE PIN without the old PIN (separator ‖ new PIN)",
            _command(card, "change_pin", sep + encode_pin(temporary)),
            "wrong_data",
            zh="修改 PIN 缺少旧 PIN（分隔符 ‖ 新 PIN）",
        )
        log.expect(
            "CHANGE PIN without the new PIN (old PIN ‖ separator)",
            _command(card, "change_pin", encode_pin(pin) + sep),
            "wrong_data",
            zh="修改 PIN 缺少新 PIN（旧 PIN ‖ 分隔符）",
        )
        log.expect(
            "a wrong PIN: no try was spent, the counter is still full",
            card.verify_pin(wrong_pin(pin), check=False),
            "verification_failed",
            tries - 1,
            zh="校验一次错误的 PIN：此前未消耗尝试次数，错误计数仍是满的",
        )
    finally:
        restored = give_back(card, psam, pin, initial, None)
    return PinProof(tuple(log.done), restored)


def change_pin_at_last_try(card: CardSession, psam: PsamClient, pin: str, initial: str) -> PinProof:
    """Spend every try but one, then CHANGE PIN with the right old PIN: 9000, the counter full
    again (a wrong PIN leaves max-1), the new PIN accepted. The counter must be full at the start."""
    tries = card.profile.security.pin.tries
    temporary = temporary_pin(pin, initial)
    wrong = temporary_pin(temporary, pin, initial)
    log = _Log(card)
    holds: str | None = None
    try:
        for left in range(tries - 1, 0, -1):
            log.expect("a wrong PIN", card.verify_pin(wrong, check=False), "verification_failed", left, zh="错误的 PIN")
        if log.expect(
            "CHANGE PIN with the right old PIN and one try left",
            card.change_pin(pin, temporary, check=False),
            zh="只剩一次尝试机会时以正确的旧 PIN 修改 PIN",
        ):
            holds = temporary
            log.expect(
                "a wrong PIN after CHANGE PIN: the counter was full again",
                card.verify_pin(wrong, check=False),
                "verification_failed",
                tries - 1,
                zh="修改 PIN 之后校验错误的 PIN：错误计数已重新计满",
            )
            log.expect("VERIFY with the new PIN", card.verify_pin(temporary, check=False), zh="以新 PIN 校验 PIN")
    finally:
        restored = give_back(card, psam, pin, initial, holds)
    return PinProof(tuple(log.done), restored)


def blocked_pin_refusals(card: CardSession, psam: PsamClient, pin: str, initial: str) -> PinProof:
    """Block the PIN, then: VERIFY with a non-BCD PIN, CHANGE PIN without a new PIN, and CHANGE PIN
    with the right old PIN are refused (6983; the malformed ones 6A80 instead when the profile checks
    the format first), the right PIN still answers 6983; after UNBLOCK PIN the run's PIN verifies
    (the refused CHANGE PIN changed nothing). The counter must be full at the start."""
    profile = card.profile
    tries = profile.security.pin.tries
    sep = bytes([profile.command("change_pin").byte("separator")])
    temporary = temporary_pin(pin, initial)
    wrong = temporary_pin(temporary, pin, initial)
    malformed_sw = "method_blocked" if profile.behaviour.card_pin_blocked_before_format.value else "wrong_data"
    not_bcd = bytes([0xAA]) * len(encode_pin(pin))
    log = _Log(card)
    try:
        for left in range(tries - 1, -1, -1):
            log.expect("a wrong PIN", card.verify_pin(wrong, check=False), "verification_failed", left, zh="错误的 PIN")
        log.expect(
            "VERIFY with a PIN that is not BCD, PIN blocked",
            _command(card, "verify", not_bcd),
            malformed_sw,
            zh="PIN 锁定后以非 BCD 数字的 PIN 校验 PIN",
        )
        log.expect(
            "CHANGE PIN without the new PIN, PIN blocked",
            _command(card, "change_pin", encode_pin(pin) + sep),
            malformed_sw,
            zh="PIN 锁定后修改 PIN 缺少新 PIN",
        )
        log.expect(
            "CHANGE PIN with the right old PIN, PIN blocked",
            card.change_pin(pin, temporary, check=False),
            "method_blocked",
            zh="PIN 锁定后以正确的旧 PIN 修改 PIN",
        )
        log.expect(
            "VERIFY with the right PIN, PIN blocked",
            card.verify_pin(pin, check=False),
            "method_blocked",
            zh="PIN 锁定后以正确的 PIN 校验 PIN",
        )
    finally:
        log.expect("UNBLOCK PIN after PUK authentication", card.unblock_pin(psam, check=False), zh="PUK 认证之后解锁 PIN")
        log.expect(
            "VERIFY with the run's PIN after UNBLOCK: the refused CHANGE PIN changed nothing",
            card.verify_pin(pin, check=False),
            zh="解锁 PIN 之后以本次运行的 PIN 校验 PIN：被拒绝的修改 PIN 未改变任何东西",
        )
        restored = give_back(card, psam, pin, initial, None)
    return PinProof(tuple(log.done), restored)
