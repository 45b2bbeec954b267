"""Malformed commands, one field wrong at a time, derived from the profile's command table (PROFILE §5).

The SEC-ROB-1 battery sweeps P1/P2 edges and lengths with a fixed rest (no data, Le 00), so a card
that ignores a P1 or P2 byte, or a data field it should not have, still looks right there: most
of those APDUs are refused for another reason. Here each probe is a command that would succeed
(or reach the access check) if exactly one thing were not wrong — the P1, the P2, the record mode,
the key id, the Lc, a data field a case-2 command must not carry, a PIN of the wrong length or not
BCD, a MAC-only data field under secure messaging — and the card must answer with the status word
of that check (PROFILE §5 "Order of checks": P1-P2 → 6A86, Lc → 6700; the table's own rules for
PIN data, DF names, key ids and lifecycle commands). A success (9000, 61xx) is the worst answer: the
card executed a malformed command.

No probe can cost a try or change the card when the card behaves: the commands that compare a
PIN or a key carry the right PIN or no valid cryptogram, and the commands that need a MAC or a
right are sent without either, so even a card that skipped the broken check is refused later
(access rules, MAC, challenge). `partial_get_response` checks the T=0 delivery in pieces (GET
RESPONSE with an Le below what is pending: that many bytes and 61<rest>, then the rest).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from checks.wording import COMMAND_ZH, bilingual, word_zh
from ssc.codecs import encode_pin
from ssc.profile.expectation import SwExpectation, expect_sw
from ssc.profile.model import FileDef, Profile
from terminal.session import CardSession

__all__ = ["Malformed", "judge", "malformed_probes", "partial_get_response", "send"]

HEADER = 4
NOT_BCD = bytes((0x1A, 0x2B, 0x3C))  # three bytes (a legal PIN length), no nibble a digit


@dataclass(frozen=True)
class Malformed:
    """`apdu` (raw bytes: an inconsistent Lc is possible), sent after selecting `df` from the MF
    and sending `setup` (answers ignored), must be answered `expected`."""

    key: str
    description: str
    df: str
    apdu: bytes
    expected: SwExpectation
    setup: tuple[bytes, ...] = ()
    secret: bool = False  # the APDU carries the PIN: shown masked
    zh: str = ""  # `description` in Chinese, Chinese first in a finding


def _apdu(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
    out = bytes((cla, ins, p1, p2))
    if data:
        out += bytes((len(data),)) + data
    if le is not None:
        out += bytes((le & 0xFF,))
    return out


def _other(value: int, avoid: set[int] | frozenset[int] | tuple[int, ...] = ()) -> int:
    """A byte that is not `value` nor in `avoid`: value with its low bit flipped when possible."""
    for candidate in (value ^ 0x01, value ^ 0x02, value ^ 0x80, 0xFF):
        if candidate != value and candidate not in avoid:
            return candidate
    raise ValueError(f"no byte other than {value:02X} outside {sorted(avoid)}")


def _siblings(profile: Profile, name: str) -> set[tuple[int, int]]:
    """(P1, P2) of the other commands sharing CLA and INS (RELOAD / UNBLOCK PIN): never sent as 'wrong'."""
    c = profile.command(name)
    out = set()
    for other in profile.commands.values():
        if other.name != name and other.ins == c.ins and set(other.cla) & set(c.cla) and "p1" in other.params and "p2" in other.params:
            out.add((other.byte("p1"), other.byte("p2")))
    return out


def _wrong_p1p2(profile: Profile, name: str, data: bytes, le: int | None, df: str, setup: tuple[bytes, ...] = ()) -> Iterator[Malformed]:
    """The command with its fixed P1, then its fixed P2, changed (PROFILE §5: P1-P2 → 6A86)."""
    c = profile.command(name)
    p1, p2 = c.byte("p1"), c.byte("p2")
    taken = _siblings(profile, name)
    bad_p1 = _other(p1, {a for a, b in taken if b == p2})
    bad_p2 = _other(p2, {b for a, b in taken if a == p1})
    wrong = expect_sw(profile, "wrong_p1p2")
    secret = c.sensitive is not None
    zh = COMMAND_ZH.get(name, name)
    yield Malformed(
        f"{name}.p1",
        f"{name}: P1 {bad_p1:02X} (not {p1:02X})",
        df,
        _apdu(c.cla[0], c.ins, bad_p1, p2, data, le),
        wrong,
        setup,
        secret,
        zh=f"{zh}：P1 为 {bad_p1:02X}（应为 {p1:02X}）",
    )
    yield Malformed(
        f"{name}.p2",
        f"{name}: P2 {bad_p2:02X} (not {p2:02X})",
        df,
        _apdu(c.cla[0], c.ins, p1, bad_p2, data, le),
        wrong,
        setup,
        secret,
        zh=f"{zh}：P2 为 {bad_p2:02X}（应为 {p2:02X}）",
    )


def _free_transparent(profile: Profile) -> FileDef | None:
    for f in profile.efs():
        rule = f.rule("read")
        if f.kind == "transparent" and f.sfi is not None and rule is not None and rule.is_free and not profile.behind_firewall(f.path):
            return f
    return None


def _record_file(profile: Profile, kind: str, free_read: bool) -> FileDef | None:
    for f in profile.efs():
        rule = f.rule("read")
        if f.kind != kind or f.sfi is None or profile.behind_firewall(f.path) or not (f.records or kind == "cyclic"):
            continue
        if not free_read or (rule is not None and rule.is_free):
            return f
    return None


def _unknown_name(profile: Profile, length: int) -> bytes:
    """`length` bytes that are no DF name of the profile and no prefix or extension of one."""
    names = [f.name for f in profile.files.values() if f.name]
    for fill in (0xFF, 0xEE, 0x11):
        candidate = bytes((fill,)) * length
        if not any(n.startswith(candidate) or candidate.startswith(n) for n in names):
            return candidate
    raise ValueError(f"no unknown DF name of {length} bytes")


def _exchange(profile: Profile) -> Iterator[Malformed]:
    gc = profile.command("get_challenge")
    les = gc.byte_list("le")
    stray = expect_sw(profile, profile.behaviour.card_unexpected_data_field.value, "behaviour.card_unexpected_data_field")
    yield from _wrong_p1p2(profile, "get_challenge", b"", les[0], "MF")
    p1, p2 = gc.byte("p1"), gc.byte("p2")
    yield Malformed(
        "get_challenge.data",
        "get_challenge: a data field (case 4) with an allowed Le",
        "MF",
        _apdu(gc.cla[0], gc.ins, p1, p2, b"\x00", les[0]),
        stray,
        zh="取随机数：带数据域（情形 4），Le 为允许值",
    )
    # GET RESPONSE, with data pending from a SELECT by name (61xx)
    sel = profile.command("select")
    ssse = _selectable_df(profile)
    pending = (_apdu(sel.cla[0], sel.ins, sel.byte("p1_name"), sel.byte_list("p2")[0], ssse.name or b""),)
    gr = profile.command("get_response")
    yield from _wrong_p1p2(profile, "get_response", b"", 0, "MF", pending)
    yield Malformed(
        "get_response.data",
        "get_response: a data field (case 4), data pending",
        "MF",
        _apdu(gr.cla[0], gr.ins, gr.byte("p1"), gr.byte("p2"), b"\x00", 0),
        stray,
        pending,
        zh="取响应：有待取数据时带数据域（情形 4）",
    )
    yield Malformed(
        "get_response.long_le",
        "get_response: Le 00 (256) beyond the data pending",
        "MF",
        _apdu(gr.cla[0], gr.ins, gr.byte("p1"), gr.byte("p2"), b"", 0),
        expect_sw(profile, "wrong_le", "t0"),
        pending,
        zh="取响应：Le 00（256）超过待取数据的长度",
    )


def _selectable_df(profile: Profile) -> FileDef:
    """The first DF with a name whose SELECT by name returns an FCI (the SSSE in every built-in profile)."""
    for f in profile.files.values():
        if f.is_df and f.name and f.fci and not profile.behind_firewall(f.path):
            return f
    raise ValueError(f"profile {profile.name} declares no named DF with an FCI")


def _select(profile: Profile) -> Iterator[Malformed]:
    sel = profile.command("select")
    p1_name, p1s, p2s = sel.byte("p1_name"), {sel.byte(k) for k in ("p1_fid", "p1_ef", "p1_name")}, set(sel.byte_list("p2"))
    df = _selectable_df(profile)
    name = df.name or b""
    wrong, length, absent = (expect_sw(profile, n) for n in ("wrong_p1p2", "wrong_length", "file_not_found"))
    cla, ins, p2 = sel.cla[0], sel.ins, sel.byte_list("p2")[0]
    bad_p2, bad_p1 = _other(p2, p2s), _other(sel.byte("p1_fid"), p1s)
    yield Malformed(
        "select.p2",
        f"select by name: P2 {bad_p2:02X}",
        "MF",
        _apdu(cla, ins, p1_name, bad_p2, name),
        wrong,
        zh=f"按名称选择：P2 为 {bad_p2:02X}",
    )
    yield Malformed(
        "select.p1",
        f"select: P1 {bad_p1:02X}",
        "MF",
        _apdu(cla, ins, bad_p1, p2, df.fid.to_bytes(2, "big")),
        wrong,
        zh=f"选择：P1 为 {bad_p1:02X}",
    )
    yield Malformed(
        "select.no_name",
        "select by name without a name (no data field)",
        "MF",
        _apdu(cla, ins, p1_name, p2),
        length,
        zh="按名称选择但未带名称（无数据域）",
    )
    name_max = sel.byte("name_max")  # PROFILE §5: a DF name has 1 to name_max bytes
    for n in (1, name_max):
        yield Malformed(
            f"select.name{n}",
            f"select by an unknown name of {n} byte(s) (a legal length)",
            "MF",
            _apdu(cla, ins, p1_name, p2, _unknown_name(profile, n)),
            absent,
            zh=f"按 {n} 字节的未知名称选择（长度合法）",
        )
    yield Malformed(
        f"select.name{name_max + 1}",
        f"select by a name of {name_max + 1} bytes",
        "MF",
        _apdu(cla, ins, p1_name, p2, _unknown_name(profile, name_max + 1)),
        length,
        zh=f"按 {name_max + 1} 字节的名称选择",
    )


def _binary(profile: Profile) -> Iterator[Malformed]:
    f = _free_transparent(profile)
    if f is None or f.sfi is None:
        return
    rb = profile.command("read_binary")
    flag = rb.byte("p1_sfi_flag")
    df = f.parent or "MF"
    stray = expect_sw(profile, profile.behaviour.card_unexpected_data_field.value, "behaviour.card_unexpected_data_field")
    for rfu in (0x20, 0x40):  # ISO/IEC 7816-4: with P1 b8 = 1, b7-b6 are 00 and b5-b1 the SFI
        p1 = flag | rfu | f.sfi
        yield Malformed(
            f"read_binary.rfu{rfu:02X}",
            f"read_binary: P1 {p1:02X} (SFI {f.sfi:02X} with RFU bits)",
            df,
            _apdu(rb.cla[0], rb.ins, p1, 0, b"", 1),
            expect_sw(profile, "wrong_p1p2"),
            zh=f"读二进制：P1 为 {p1:02X}（短文件标识符 {f.sfi:02X} 且 RFU 位被置位）",
        )
    yield Malformed(
        "read_binary.data",
        "read_binary of a free file with a data field (case 4)",
        df,
        _apdu(rb.cla[0], rb.ins, flag | f.sfi, 0, b"\x00", 1),
        stray,
        zh="读二进制（自由读的文件）带数据域（情形 4）",
    )
    # secure messaging whose data field is only the MAC: no data to write
    ub = profile.command("update_binary")
    sm = [c for c in ub.cla if c != ub.cla[0]]
    if sm:
        mac = bytes(profile.security.mac_length)
        yield Malformed(
            "update_binary.mac_only",
            "update_binary with secure messaging: the data field is only a MAC",
            df,
            _apdu(sm[0], ub.ins, ub.byte("p1_sfi_flag") | f.sfi, 0, mac),
            expect_sw(profile, "wrong_length", "check_order"),
            zh="以安全报文更新二进制，数据域只有 MAC",
        )


def _records(profile: Profile) -> Iterator[Malformed]:
    rr = profile.command("read_record")
    wrong = expect_sw(profile, "wrong_p1p2")
    free = _record_file(profile, "linear", free_read=True)
    if free is not None and free.sfi is not None:
        df = free.parent or "MF"
        rec = min(free.records, key=lambda r: r.number)
        shift, mask = rr.byte("sfi_shift"), rr.byte("p2_mode_mask")
        modes = {rr.byte("p2_by_number"), rr.byte("p2_by_tag")}
        for mode in range(mask + 1):
            if mode in modes:
                continue
            p2 = free.sfi << shift | mode
            yield Malformed(
                f"read_record.mode{mode}",
                f"read_record: P2 {p2:02X} (record mode {mode:03b} is not a profile mode)",
                df,
                _apdu(rr.cla[0], rr.ins, rec.number, p2, b"", rec.record_length),
                wrong,
                zh=f"读记录：P2 为 {p2:02X}（记录方式 {mode:03b} 不是规范规定的方式）",
            )
        up = profile.command("update_record")
        by_number, ushift, umask = up.byte("p2_by_number"), up.byte("sfi_shift"), up.byte("p2_mode_mask")
        body = bytes((rec.tag, rec.length)) + bytes(rec.length)
        other_mode = next(m for m in range(umask + 1) if m != by_number)
        yield Malformed(
            "update_record.zero",
            "update_record: record number 0",
            df,
            _apdu(up.cla[0], up.ins, 0, free.sfi << ushift | by_number, body),
            wrong,
            zh="更新记录：记录号为 0",
        )
        yield Malformed(
            "update_record.mode",
            f"update_record: P2 mode {other_mode:03b} (only by number)",
            df,
            _apdu(up.cla[0], up.ins, rec.number, free.sfi << ushift | other_mode, body),
            wrong,
            zh=f"更新记录：P2 记录方式为 {other_mode:03b}（只允许按记录号）",
        )
        sm = [c for c in up.cla if c != up.cla[0]]
        if sm:
            mac = bytes(profile.security.mac_length)
            yield Malformed(
                "update_record.mac_only",
                "update_record with secure messaging: the data field is only a MAC",
                df,
                _apdu(sm[0], up.ins, rec.number, free.sfi << ushift | by_number, mac),
                expect_sw(profile, "wrong_length", "check_order"),
                zh="以安全报文更新记录，数据域只有 MAC",
            )
    cyclic = _record_file(profile, "cyclic", free_read=False)
    if cyclic is not None and cyclic.sfi is not None:
        ap = profile.command("append_record")
        df = cyclic.parent or "MF"
        p2 = cyclic.sfi << ap.byte("sfi_shift")
        body = bytes(8)
        yield Malformed(
            "append_record.p1",
            f"append_record: P1 {_other(ap.byte('p1')):02X}",
            df,
            _apdu(ap.cla[0], ap.ins, _other(ap.byte("p1")), p2, body),
            wrong,
            zh=f"追加记录：P1 为 {_other(ap.byte('p1')):02X}",
        )
        yield Malformed(
            "append_record.mode",
            "append_record: record-mode bits set in P2",
            df,
            _apdu(ap.cla[0], ap.ins, ap.byte("p1"), p2 | ap.byte("p2_mode_mask"), body),
            wrong,
            zh="追加记录：P2 中置了记录方式位",
        )


def _auth(profile: Profile) -> Iterator[Malformed]:
    ia = profile.command("internal_authenticate")
    irk = profile.internal_key()
    ids = {k.id for k in profile.keys() if k.use == "internal" and k.df == irk.df}
    lc = ia.byte("lc")
    bad = _other(irk.id, ids)
    yield Malformed(
        "internal_authenticate.key",
        f"internal_authenticate: key id {bad:02X} (no internal key)",
        irk.df,
        _apdu(ia.cla[0], ia.ins, ia.byte("active_version"), bad, bytes(lc)),
        expect_sw(profile, "key_not_found"),
        zh=f"内部认证：密钥标识 {bad:02X}（不是内部认证密钥）",
    )
    ea = profile.command("external_authenticate")
    puk = profile.command_key("reload_pin")
    half = ea.byte("lc") // 2
    yield Malformed(
        "external_authenticate.lc",
        f"external_authenticate: Lc {half:02X} (not {ea.byte('lc'):02X})",
        puk.df,
        _apdu(ea.cla[0], ea.ins, ea.byte("active_version"), puk.id, bytes(half)),
        expect_sw(profile, "wrong_length"),
        zh=f"外部认证：Lc 为 {half:02X}（应为 {ea.byte('lc'):02X}）",
    )


def _pin(profile: Profile, pin: str) -> Iterator[Malformed]:
    vf = profile.command("verify")
    df = profile.security.pin.df
    right = encode_pin(pin)
    yield from _wrong_p1p2(profile, "verify", right, None, df)
    p1, p2 = vf.byte("p1"), vf.byte("p2")
    length = expect_sw(profile, "wrong_length")
    for n in (vf.byte("min_pin_bytes") - 1, vf.byte("max_pin_bytes") + 1):
        if n > 0:
            yield Malformed(
                f"verify.len{n}",
                f"verify: a PIN field of {n} byte(s)",
                df,
                _apdu(vf.cla[0], vf.ins, p1, p2, encode_pin("1" * (2 * n))),
                length,
                zh=f"校验 PIN：PIN 字段为 {n} 字节",
            )
    yield Malformed(
        "verify.not_bcd",
        "verify: a PIN field that is not BCD (no try spent)",
        df,
        _apdu(vf.cla[0], vf.ins, p1, p2, NOT_BCD),
        expect_sw(profile, "wrong_data"),
        zh="校验 PIN：PIN 字段不是 BCD 数字（不消耗尝试次数）",
    )
    mac = bytes(profile.security.mac_length)
    for name in ("reload_pin", "unblock_pin"):
        c = profile.command(name)
        yield Malformed(
            f"{name}.lc",
            f"{name}: data field of {len(mac) + 1} bytes",
            df,
            _apdu(c.cla[0], c.ins, c.byte("p1"), c.byte("p2"), mac + b"\x00"),
            length,
            zh=f"{COMMAND_ZH.get(name, name)}：数据域为 {len(mac) + 1} 字节",
        )


def _lifecycle(profile: Profile) -> Iterator[Malformed]:
    mac = bytes(profile.security.mac_length)
    for name in ("application_block", "application_unblock", "card_block"):
        key = profile.command_key(name)
        yield from _wrong_p1p2(profile, name, mac, None, key.df)
    c = profile.command("application_block")
    head = (c.cla[0], c.ins, c.byte("p1"), c.byte("p2"))
    key_df = profile.command_key("application_block").df
    yield Malformed(
        "application_block.outside",
        "application_block outside its application",
        "MF",
        _apdu(*head, mac),
        expect_sw(profile, "conditions_not_satisfied", "security.lifecycle"),
        zh="在所属应用之外发送应用锁定命令",
    )
    yield Malformed(
        "application_block.no_challenge",
        "application_block without a challenge",
        key_df,
        _apdu(*head, mac),
        expect_sw(profile, "referenced_data_invalid"),
        zh="未取随机数即发送应用锁定命令",
    )
    gc = profile.command("get_challenge")
    other = [n for n in gc.byte_list("le") if n != profile.security.challenge_mac]
    if other:
        setup = (_apdu(gc.cla[0], gc.ins, gc.byte("p1"), gc.byte("p2"), b"", other[0]),)
        yield Malformed(
            "application_block.long_challenge",
            f"application_block after a challenge of {other[0]} bytes (a MAC needs {profile.security.challenge_mac})",
            key_df,
            _apdu(*head, mac),
            expect_sw(profile, "referenced_data_invalid", "check_order"),
            setup,
            zh=f"取了 {other[0]} 字节的随机数后发送应用锁定命令（MAC 需要 {profile.security.challenge_mac} 字节）",
        )


def malformed_probes(profile: Profile, pin: str) -> list[Malformed]:
    """Every probe for `profile`; `pin` is the card's PIN (VERIFY probes carry it, so none can cost a try)."""
    return [
        *_exchange(profile),
        *_select(profile),
        *_binary(profile),
        *_records(profile),
        *_auth(profile),
        *_pin(profile, pin),
        *_lifecycle(profile),
    ]


def send(card: CardSession, probe: Malformed) -> bytes:
    """Select the probe's DF from a fresh MF (no right held), send its setup, then the probe, raw."""
    card.select_mf(check=True)
    if probe.df != "MF":
        card.select_path(probe.df, check=True)
    transport = card.terminal.transport
    for apdu in probe.setup:
        transport.transmit(apdu)
    return transport.transmit(probe.apdu)


def judge(profile: Profile, probe: Malformed, response: bytes) -> str | None:
    """None when `response` is the expected status word, else the finding."""
    zh = probe.zh or probe.description
    if len(response) < 2:
        return bilingual(
            f"{zh}：应答中没有状态字（{response.hex().upper() or '空'}）",
            f"{probe.description}: no status word ({response.hex().upper() or 'empty'})",
        )
    sw = response[-2] << 8 | response[-1]
    if probe.expected.matches(sw):
        return None
    success = sw == profile.sw.ok or profile.sw["more_data"].matches(sw)
    what = "accepted (executed a malformed command)" if success else "answered"
    what_zh = "被接受（卡片执行了畸形命令），返回" if success else "返回"
    return bilingual(
        f"{zh}：{what_zh} {word_zh(sw, profile.sw.describe(sw))}，预期 {probe.expected.zh}",
        f"{probe.description}: {what} {sw:04X}, expected {probe.expected}",
    )


def partial_get_response(card: CardSession) -> list[str]:
    """SELECT by name (61 n), GET RESPONSE with Le 1 (1 byte and 61 n-1), then Le n-1 (the rest,
    9000); together they must be the FCI a single GET RESPONSE returns (PROFILE §5 length rules)."""
    profile = card.profile
    sel, gr = profile.command("select"), profile.command("get_response")
    df = _selectable_df(profile)
    head = bytes((gr.cla[0], gr.ins, gr.byte("p1"), gr.byte("p2")))
    select = _apdu(sel.cla[0], sel.ins, sel.byte("p1_name"), sel.byte_list("p2")[0], df.name or b"")
    more = profile.sw["more_data"]
    transport = card.terminal.transport
    card.select_mf(check=True)
    first = transport.transmit(select)
    if len(first) != 2 or not more.matches(first[0] << 8 | first[1]):
        return [
            bilingual(
                f"按名称选择 {df.path} 返回 {first.hex().upper()}，不是 61xx（还有数据可返回）：无法尝试分段取响应",
                f"SELECT {df.path} by name answered {first.hex().upper()}, not 61xx: the partial GET RESPONSE could not be tried",
            )
        ]
    n = first[1] or 256
    whole = transport.transmit(head + bytes((n & 0xFF,)))
    if n < 2 or len(whole) != n + 2:
        return [
            bilingual(
                f"以卡片告知的 Le {n:02X} 取响应，返回 {whole.hex().upper()}",
                f"GET RESPONSE with the announced Le {n:02X} answered {whole.hex().upper()}",
            )
        ]
    card.select_mf(check=True)
    transport.transmit(select)
    part = transport.transmit(head + b"\x01")
    findings = []
    expected_sw = more.sw | ((n - 1) & 0xFF)
    if len(part) != 3 or (part[1] << 8 | part[2]) != expected_sw:
        findings.append(
            bilingual(
                f"有 {n} 字节待取时以 Le 01 取响应，返回 {part.hex().upper()}，预期 1 字节数据及 {word_zh(expected_sw, more)}",
                f"GET RESPONSE Le 01 with {n} bytes pending answered {part.hex().upper()}, expected 1 byte and {expected_sw:04X}",
            )
        )
        return findings
    rest = transport.transmit(head + bytes(((n - 1) & 0xFF,)))
    if rest[-2:] != profile.sw.ok.to_bytes(2, "big") or part[:1] + rest[:-2] != whole[:-2]:
        findings.append(
            bilingual(
                f"取其余 {n - 1} 字节的响应返回 {rest.hex().upper()}；与第 1 字节拼接后不是 FCI {whole[:-2].hex().upper()}",
                f"GET RESPONSE of the remaining {n - 1} bytes answered {rest.hex().upper()}; "
                f"with the first byte it is not the FCI {whole[:-2].hex().upper()}",
            )
        )
    return findings
