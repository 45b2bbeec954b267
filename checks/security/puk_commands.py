"""RELOAD and UNBLOCK PIN after a real PUK authentication, each broken in one place (PROFILE §5,
§6.4; SEC-PIN-3), and a malformed record under a valid MAC (APPEND RECORD; STD-CMD-5).

SEC-PIN-3's other scenarios show the commands refused without the PUK or with a wrong MAC. Here
the PUK is authenticated, so only the broken thing can make the card refuse:

- UNBLOCK PIN with no challenge since the authentication (EXTERNAL AUTHENTICATE consumed its
  8-byte one), and with an 8-byte challenge where the MAC needs a 4-byte one: 6984 both times
  (§6.4 "missing challenge → 6984"; a MAC-protected command is preceded by GET CHALLENGE 04). UNBLOCK
  is the probe because even a card that went on could only reset the try counter.
- RELOAD PIN whose MAC is valid but whose enciphered block is no PIN block (§6.4 layout): 6A80,
  and the run's PIN still verifies; if the card took it anyway, the run's PIN is reloaded.

`malformed_appends` sends APPEND RECORD with a valid MAC and a record whose tag, or whose actual
length, disagrees with the file's record definition: 6A80, and record 1 read back unchanged.
"""

from __future__ import annotations

from checks.wording import bilingual, sw_zh
from ssc.apdu import CommandApdu
from ssc.profile.model import FileDef
from terminal.grants import grant, terminal_can_grant
from terminal.psam_client import PsamClient
from terminal.session import CardSession

__all__ = ["APPEND_FAULTS", "appendable_file", "malformed_appends", "reload_bad_block", "unblock_challenges"]

APPEND_FAULTS = ("wrong_tag", "too_long")
_FAULT_ZH = {"wrong_tag": "标签错误", "too_long": "多一个字节"}  # how a finding names the fault in Chinese


def _puk_session(card: CardSession, psam: PsamClient, command: str) -> None:
    """A fresh PUK authentication in the PIN's DF (its 8-byte challenge consumed by it)."""
    puk = card.profile.command_key(command)
    card.select_mf(check=True)
    card.ensure_inside(card.profile.security.pin.df)
    card.external_authenticate_with_factors(puk, 0, psam, card.factors(puk), check=True)


def unblock_challenges(card: CardSession, psam: PsamClient) -> list[str]:
    """Findings for UNBLOCK PIN after the PUK authentication without a 4-byte challenge."""
    profile = card.profile
    cmd = profile.command("unblock_pin")
    unblock = CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1"), cmd.byte("p2"), bytes(profile.security.mac_length))
    findings = []
    longer = [n for n in profile.command("get_challenge").byte_list("le") if n != profile.security.challenge_mac]
    for challenge in (None, *longer[:1]):
        _puk_session(card, psam, "unblock_pin")
        if challenge is not None:
            card.get_challenge(challenge, check=True)
        answer = card.terminal.send(unblock, raw=True)
        if not answer.means("referenced_data_invalid"):
            what = "no challenge after the PUK authentication" if challenge is None else f"a {challenge}-byte challenge"
            what_zh = "PUK 认证之后未取随机数" if challenge is None else f"取了 {challenge} 字节的随机数"
            findings.append(
                bilingual(
                    f"解锁 PIN（{what_zh}）返回 {sw_zh(answer)}，预期 {profile.sw['referenced_data_invalid'].label}",
                    f"UNBLOCK PIN with {what} answered {answer.describe()}, expected 6984",
                )
            )
    card.select_mf(check=True)
    return findings


def reload_bad_block(card: CardSession, psam: PsamClient, pin: str) -> list[str]:
    """Findings for RELOAD PIN with a valid MAC over a block that deciphers to no PIN block."""
    profile = card.profile
    puk = profile.command_key("reload_pin")
    factors = card.factors(puk)
    _puk_session(card, psam, "reload_pin")
    psam.select_for(card.algorithm)
    psam.derive("mac", puk, 0, factors)
    block = psam.encipher(b"\xff" * card.algorithm.block_size)  # length byte FF: no PIN block
    cmd = profile.command("reload_pin")
    apdu = CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1"), cmd.byte("p2"), block)
    answer = card.terminal.send(card.with_mac(apdu, psam, puk, 0, factors, profile.security.pin.df, exact=False), raw=True)
    findings = []
    if not answer.means("wrong_data"):
        findings.append(
            bilingual(
                f"重装 PIN 的 MAC 正确，但解密后不是 PIN 数据块，返回 {sw_zh(answer)}，预期 {profile.sw['wrong_data'].label}",
                f"RELOAD PIN with a valid MAC over a block that is no PIN block answered {answer.describe()}, expected 6A80",
            )
        )
    card.select_mf(check=True)
    if not card.verify_pin(pin, check=False).ok:
        findings.append(
            bilingual(
                "该重装 PIN 之后，本次运行的 PIN 已不能校验通过：卡片按格式错误的数据块设置了 PIN",
                "after that RELOAD PIN the run's PIN no longer verifies: the card set a PIN from the malformed block",
            )
        )
        card.reload_pin(psam, pin, check=True)  # the run's PIN back (and a full try counter)
    return findings


def appendable_file(card: CardSession) -> FileDef | None:
    """A cyclic EF appended under secure messaging whose read right this terminal can obtain."""
    profile = card.profile
    for f in profile.efs():
        rule = f.rule("append")
        if f.kind == "cyclic" and f.records and rule is not None and rule.sm_keys and not profile.behind_firewall(f.path):
            if terminal_can_grant(profile, f.path, "read"):
                return f
    return None


def _first_record(card: CardSession, psam: PsamClient, pin: str, path: str) -> bytes:
    card.reset()
    grant(card, path, "read", psam, pin)
    r = card.read_record(path, number=1, check=False)
    return r.data if r.ok else b""


def malformed_appends(card: CardSession, psam: PsamClient, pin: str, fault: str) -> list[str]:
    """Findings for APPEND RECORD of a record with a wrong tag or one byte too many, MAC valid."""
    f = appendable_file(card)
    if f is None:
        return [
            bilingual(
                "没有以安全报文追加、且本终端能取得读权限的循环文件",
                "no cyclic file appended under secure messaging whose read right this terminal can obtain",
            )
        ]
    rec = f.records[0]
    body = bytes((b * 7 + 1) & 0xFF for b in range(rec.length))
    if fault == "wrong_tag":
        record = bytes(((rec.tag + 1) & 0xFF, rec.length)) + body
    elif fault == "too_long":
        record = bytes((rec.tag, rec.length)) + body + b"\x00"
    else:
        raise ValueError(f"unknown append fault {fault!r}; known: {', '.join(APPEND_FAULTS)}")
    before = _first_record(card, psam, pin, f.path)
    card.reset()
    answer = card.secure_append_record(f.path, record, psam, check=False)
    after = _first_record(card, psam, pin, f.path)
    card.reset()
    findings = []
    if not answer.means("wrong_data"):
        findings.append(
            bilingual(
                f"向 {f.path} 追加{_FAULT_ZH.get(fault, fault)}的记录，返回 {sw_zh(answer)}，预期 {card.profile.sw['wrong_data'].label}",
                f"APPEND RECORD to {f.path} of a record with {fault.replace('_', ' ')} answered {answer.describe()}, expected 6A80",
            )
        )
    if after != before:
        findings.append(
            bilingual(
                f"{f.path} 记录 1 由 {before.hex().upper() or '（无记录）'} 变为 {after.hex().upper() or '（无记录）'}：格式错误的记录被追加",
                f"{f.path} record 1 changed from {before.hex().upper()} to {after.hex().upper()}: the malformed record was appended",
            )
        )
    return findings
