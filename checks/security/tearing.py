"""SEC-TEAR-1 and SEC-TEAR-2 on a virtual card, through its PROFILE §6.5 tearing hook.

`FF 7E P1 P2` arms a power cut after P1P2 bytes of the card's next persistent writing (the bytes
of one command's writes counted together — see the profile's behaviour `card_tearing_at_write_end`).
The harness does not know how many bytes a command writes, so `sweep` cuts at offset 0, 1, 2, …
until the cut leaves the item holding its new value (the whole write came through), with a cap.
After each cut the card is reset (over vpcd: it drops off and re-inserts itself) and the item is
read back with its right: it must hold exactly the old or the new value, and the card must answer
the reads (SEC-TEAR-1). Every item is put back as found.

SEC-TEAR-2 (`try_probes`): armed at offset 0, a VERIFY or EXTERNAL AUTHENTICATE — right or wrong
— must not answer at all, because its first act is to write the decremented try counter; a card
that answers has shown the comparison's result before spending the try (cutting power at that
moment would buy unlimited tries). Armed after the counter's byte, a wrong value must have cost
its try once the card is back.

A card without the hook answers its CLA 6E00 (or 6D00): `hook_present` says so and the scenarios
do not apply. Each check runs with the trace summarizing: the result keeps the table of offsets
and what each cut left instead of the exchanges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checks.security.pin_admin import restore_pin, temporary_pin, wrong_pin
from checks.verdicts import Inconclusive
from checks.wording import bilingual, led, sw_zh
from checks.writeback import flip, flip_value
from ssc.apdu import CommandApdu
from ssc.codecs import encode_pin
from ssc.crypto.recipes import pin_block
from terminal.channel import Response
from terminal.grants import grant, terminal_can_grant
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from terminal.transports.base import CardUnavailableError

__all__ = [
    "Cut",
    "ReaderCut",
    "TearItem",
    "TearReport",
    "TryProbe",
    "arm",
    "hook_offsets",
    "hook_present",
    "reader_cuts",
    "sweep",
    "tear_items",
    "try_probes",
]

MAX_OFFSETS = 600  # no single command of the profile writes this many bytes
OLD, NEW, MIXED, UNREADABLE, ANSWERED = "old", "new", "mixed", "unreadable", "answered"
NO_HOOK = (
    "not applicable: 卡没有掉电测试钩子（PROFILE §6.5，仅虚拟卡）：FF 7E 返回 {sw} / "
    "the card has no tearing test hook (PROFILE §6.5, virtual cards only): FF 7E answered {sw}"
)
# What a cut left, in Chinese (the English words are the values of `Cut.left` in results.json).
LEFT_ZH = {OLD: "旧值", NEW: "新值", MIXED: "既非旧值也非新值", UNREADABLE: "无法读回", ANSWERED: "卡已应答"}


def arm(card: CardSession, offset: int) -> Response:
    cmd = card.profile.command("tearing_hook")
    return card.terminal.send(CommandApdu(cmd.cla[0], cmd.ins, offset >> 8, offset & 0xFF), raw=True)


def hook_present(card: CardSession) -> str | None:
    """None when the card arms a cut on `FF 7E` (the arm is then dropped by a reset), else the
    not-applicable reason."""
    card.reset()
    response = arm(card, 0xFFFF)
    card.reset()
    return None if response.ok else NO_HOOK.format(sw=response.describe())


@dataclass(frozen=True)
class Cut:
    offset: int
    left: str  # OLD, NEW, MIXED, UNREADABLE or ANSWERED (the card answered instead of losing power)
    detail: str = ""


@dataclass
class TearItem:
    """One persistent item and the write that changes it. `prepare` gains the rights after a reset
    (its own writes, e.g. a VERIFY, come before the arm); `write` sends the command (with any GET
    CHALLENGE it needs, after the arm); `observe` reads the item from a fresh reset; `restore`
    puts the old value back once the new one came through."""

    name: str
    old: object
    new: object
    prepare: Callable[[], object]
    write: Callable[[], Response]
    observe: Callable[[], object]
    restore: Callable[[], object]
    single_offset: bool = False  # only offset 0: the completed write cannot be undone (CARD BLOCK)
    path: str = ""  # the file written, for a record or binary item
    number: int = 0  # the record written, for a record item
    zh: str = ""  # `name` in Chinese, for the Chinese half of a finding

    @property
    def name_zh(self) -> str:
        return self.zh or self.name


@dataclass
class TearReport:
    item: str
    cuts: list[Cut] = field(default_factory=list)
    item_zh: str = ""  # the item's name in Chinese

    @property
    def name_zh(self) -> str:
        return self.item_zh or self.item

    @property
    def problems(self) -> list[str]:
        bad = [c for c in self.cuts if c.left in (MIXED, UNREADABLE, ANSWERED)]
        out = [
            led(
                f"数据项「{self.name_zh}」：写入 {c.offset} 字节后掉电，结果为{LEFT_ZH.get(c.left, c.left)}：",
                f"{self.item}: cut after {c.offset} byte(s) left {c.left}: ",
                c.detail,
            )
            if c.detail
            else bilingual(
                f"数据项「{self.name_zh}」：写入 {c.offset} 字节后掉电，结果为{LEFT_ZH.get(c.left, c.left)}",
                f"{self.item}: cut after {c.offset} byte(s) left {c.left}",
            )
            for c in bad
        ]
        if self.cuts and not bad and self.cuts[-1].left != NEW and not (len(self.cuts) == 1 and self.cuts[0].offset == 0):
            out.append(
                bilingual(
                    f"数据项「{self.name_zh}」：在 {MAX_OFFSETS} 字节内的任何掉电点之后写入都未完成",
                    f"{self.item}: no cut within {MAX_OFFSETS} bytes let the write come through",
                )
            )
        return out

    def summary(self) -> dict[str, Any]:
        ranges: list[list[Any]] = []
        for c in self.cuts:
            if ranges and ranges[-1][2] == c.left and not c.detail:
                ranges[-1][1] = c.offset
            else:
                ranges.append([c.offset, c.offset, c.left] + ([c.detail] if c.detail else []))
        return {
            "item": self.item,
            "offsets": len(self.cuts),
            "left": [{"from": r[0], "to": r[1], "left": r[2], **({"detail": r[3]} if len(r) > 3 else {})} for r in ranges],
        }


def _cut(card: CardSession, item: TearItem, offset: int) -> Cut:
    card.reset()
    item.prepare()
    armed = arm(card, offset)
    if not armed.ok:
        raise Inconclusive(
            bilingual(
                f"数据项「{item.name_zh}」：掉电测试钩子拒绝在第 {offset} 字节处设置掉电点：{sw_zh(armed)}",
                f"{item.name}: the tearing hook refused to arm at {offset}: {armed.describe()}",
            )
        )
    try:
        answer = item.write()
    except CardUnavailableError:
        answer = None
    card.reset()  # over a reader: waits for the card to come back
    try:
        value = item.observe()
    except Exception as exc:
        return Cut(offset, UNREADABLE, f"{type(exc).__name__}: {exc}")
    if answer is not None:
        return Cut(
            offset,
            ANSWERED,
            bilingual(
                f"已设掉电点，卡仍应答 {sw_zh(answer)}；此后数据项为 {_show_zh(value, item)}",
                f"the card answered {answer.describe()} with a cut armed; the item then held {_show(value, item)}",
            ),
        )
    if value == item.old:
        return Cut(offset, OLD)
    if value == item.new:
        return Cut(offset, NEW)
    return Cut(offset, MIXED, _mixed(item, value))


def _hex(value: object) -> str:
    return value.hex().upper() if isinstance(value, bytes) else str(value)


def _show(value: object, item: TearItem) -> str:
    return OLD if value == item.old else NEW if value == item.new else _hex(value)


def _show_zh(value: object, item: TearItem) -> str:
    return LEFT_ZH[OLD] if value == item.old else LEFT_ZH[NEW] if value == item.new else _hex(value)


def _mixed(item: TearItem, value: object) -> str:
    return bilingual(
        f"既非旧值 {_hex(item.old)} 也非新值 {_hex(item.new)}：{_hex(value)}",
        f"neither old {_hex(item.old)} nor new {_hex(item.new)}: {_hex(value)}",
    )


def sweep(card: CardSession, item: TearItem, offsets: int | None = None) -> TearReport:
    """Cut at offsets 0, 1, … until the new value came through (or something went wrong); restore.

    `offsets` limits the sweep to that many offsets spread over the write (a quick look; the
    default is every byte)."""
    report = TearReport(item.name, item_zh=item.name_zh)
    limit = 1 if item.single_offset else MAX_OFFSETS
    step = 1
    offset = 0
    while offset < limit:
        cut = _cut(card, item, offset)
        report.cuts.append(cut)
        if cut.left == NEW:
            card.reset()
            item.restore()
            break
        if cut.left != OLD:
            break
        if offsets is not None and len(report.cuts) >= max(offsets - 1, 1):
            step = max(step * 4, 4)  # sampled: jump ahead towards the end of the write
        offset += step
    card.reset()
    return report


# -- the hook itself: does it cut where it was asked? ------------------------------------------

HOOK_WRITE = 200  # bytes of the probing UPDATE BINARY: over 128 and under 256 (one short APDU)


def _armed_write(card: CardSession, item: TearItem, offset: int) -> object:
    """The item's value after its write was sent with a cut armed at `offset` (and a reset)."""
    card.reset()
    item.prepare()
    armed = arm(card, offset)
    if not armed.ok:
        raise Inconclusive(
            bilingual(
                f"掉电测试钩子拒绝在第 {offset} 字节处设置掉电点：{sw_zh(armed)}",
                f"the tearing hook refused to arm at {offset}: {armed.describe()}",
            )
        )
    try:
        item.write()
    except CardUnavailableError:
        pass
    card.reset()
    return item.observe()


def hook_offsets(card: CardSession, psam: PsamClient, pin: str) -> list[str]:
    """Problems with where the hook cuts (empty: it cut where asked). A cut at byte n-1 of an
    n-byte write (P1 00) must leave the old value; a cut at byte 256 (P1 01, P2 00) comes after
    the whole write and must leave the new one. A hook that read only P2, or P1 with the wrong
    weight, cuts elsewhere, and every SEC-TEAR sweep through it would prove less than it says."""
    item = _binary_item(card, psam, pin, HOOK_WRITE)
    if item is None:
        raise Inconclusive(
            bilingual(
                "没有本终端能取得读和更新权限的透明 EF：无法检查钩子的掉电位置",
                "no transparent EF whose read and update rights this terminal can obtain: the hook's offsets cannot be checked",
            )
        )
    n = len(item.old) if isinstance(item.old, bytes) else 0
    if n < 2:
        raise Inconclusive(bilingual(f"数据项「{item.name_zh}」太短，无法在其中间掉电", f"{item.name}: too short to cut inside it"))
    problems = []
    inside = _armed_write(card, item, n - 1)
    if inside != item.old:
        problems.append(
            bilingual(
                f"数据项「{item.name_zh}」：掉电点设在第 {n - 1} 字节（FF 7E 00 {n - 1:02X}），{n} 字节的写入却未被切断："
                f"{_show_zh(inside, item)}",
                f"{item.name}: a cut armed at byte {n - 1} (FF 7E 00 {n - 1:02X}) did not tear the {n}-byte write: {_show(inside, item)}",
            )
        )
    beyond = _armed_write(card, item, 0x100)
    if beyond != item.new:
        problems.append(
            bilingual(
                f"数据项「{item.name_zh}」：掉电点设在第 256 字节（FF 7E 01 00），{n} 字节的写入却在结束前被切断：{_show_zh(beyond, item)}",
                f"{item.name}: a cut armed at byte 256 (FF 7E 01 00) tore the {n}-byte write before its end: {_show(beyond, item)}",
            )
        )
    if inside != item.old or beyond != item.old:
        card.reset()
        item.restore()
    card.reset()
    return problems


# -- the items of PROFILE §6.5 -------------------------------------------------------------------


def _updatable(card: CardSession, kind: str) -> str | None:
    """An EF of `kind` ("linear", "transparent", "cyclic") whose write and read rights this
    terminal can obtain beforehand (for a cyclic EF: append by SM)."""
    profile = card.profile
    for f in profile.efs():
        if f.kind != kind or f.sfi is None or profile.behind_firewall(f.path) or not terminal_can_grant(profile, f.path, "read"):
            continue
        if kind == "cyclic":
            rule = f.rule("append")
            if rule is not None and rule.sm_keys:
                return f.path
        elif terminal_can_grant(profile, f.path, "update") and (kind != "linear" or f.records):
            return f.path
    return None


def _read_right(card: CardSession, psam: PsamClient, pin: str, path: str) -> None:
    card.reset()
    grant(card, path, "read", psam, pin)


def _record_item(card: CardSession, psam: PsamClient, pin: str) -> TearItem | None:
    path = _updatable(card, "linear")
    if path is None:
        return None
    number = min(r.number for r in card.profile.file(path).records)

    def read() -> bytes:
        _read_right(card, psam, pin, path)
        return card.read_record(path, number=number, check=True).data

    old = read()
    new = flip_value(old)
    return TearItem(
        f"UPDATE RECORD {path} record {number}",
        old,
        new,
        lambda: grant(card, path, "update", psam, pin),
        lambda: card.update_record(path, new, number=number, check=False),
        read,
        lambda: _write_record(card, psam, pin, path, number, old),
        path=path,
        number=number,
        zh=f"更新记录 {path} 记录 {number}",
    )


def _write_record(card: CardSession, psam: PsamClient, pin: str, path: str, number: int, value: bytes) -> None:
    grant(card, path, "update", psam, pin)
    card.update_record(path, value, number=number, check=True)


def _binary_item(card: CardSession, psam: PsamClient, pin: str, length: int = 16) -> TearItem | None:
    path = _updatable(card, "transparent")
    if path is None:
        return None
    size = min(card.profile.file(path).size or 0, length)

    def read() -> bytes:
        _read_right(card, psam, pin, path)
        return card.read_binary(path, 0, size, check=True).data

    def write_back(value: bytes) -> None:
        grant(card, path, "update", psam, pin)
        card.update_binary(path, 0, value, check=True)

    old = read()
    new = flip(old)
    return TearItem(
        f"UPDATE BINARY {path} bytes 0-{size - 1}",
        old,
        new,
        lambda: grant(card, path, "update", psam, pin),
        lambda: card.update_binary(path, 0, new, check=False),
        read,
        lambda: write_back(old),
        zh=f"更新二进制 {path} 第 0–{size - 1} 字节",
    )


def _append_item(card: CardSession, psam: PsamClient, pin: str) -> TearItem | None:
    path = _updatable(card, "cyclic")
    if path is None:
        return None
    rec = card.profile.file(path).records[0]

    def read() -> bytes:
        _read_right(card, psam, pin, path)
        r = card.read_record(path, number=1, check=False)
        return r.data if r.ok else b""  # an empty cyclic file: "record not found"

    old = read()
    new = bytes([rec.tag, rec.length]) + bytes((b + 0x5A) & 0xFF for b in (old[2:] if old else bytes(rec.length)))
    return TearItem(
        f"APPEND RECORD {path}",
        old,
        new,
        lambda: None,
        lambda: card.secure_append_record(path, new, psam, check=False),
        read,
        lambda: None,  # an append cannot be undone: the newest record stays (cyclic files rotate)
        zh=f"追加记录 {path}",
    )


def _pin_state(card: CardSession, old: str, new: str) -> str:
    """Which PIN the card holds: the old one, the new one, or neither (both refused)."""
    card.reset()
    if card.verify_pin(old, check=False).ok:
        return old
    if card.verify_pin(new, check=False).ok:
        return new
    return "原 PIN 与新 PIN 均校验不通过 / neither the old nor the new PIN verifies"


def _change_pin_item(card: CardSession, psam: PsamClient, pin: str, initial: str) -> TearItem:
    new = temporary_pin(pin, initial)

    def restore() -> None:
        restore_pin(card, psam, new, pin, initial=initial)

    return TearItem(
        "CHANGE PIN (try counter, then the PIN)",
        pin,
        new,
        lambda: card.ensure_inside(card.profile.security.pin.df),
        lambda: card.change_pin(pin, new, check=False),
        lambda: _pin_state(card, pin, new),
        restore,
        zh="修改 PIN（先写错误计数，再写 PIN）",
    )


def _reload_pin_item(card: CardSession, psam: PsamClient, pin: str, initial: str) -> TearItem:
    new = temporary_pin(pin, initial)
    puk = card.profile.command_key("reload_pin")
    cmd = card.profile.command("reload_pin")
    state: dict[str, list[bytes]] = {}

    def prepare() -> None:
        factors = card.factors(puk)
        card.ensure_inside(card.profile.security.pin.df)
        card.external_authenticate_with_factors(puk, 0, psam, factors, check=True)  # a counter write: before the arm
        state["factors"] = factors

    def write() -> Response:
        factors = state["factors"]
        psam.select_for(card.algorithm)
        psam.derive("mac", puk, 0, factors)
        block = psam.encipher(pin_block(new, card.algorithm))
        apdu = CommandApdu(cmd.cla[0], cmd.ins, cmd.byte("p1"), cmd.byte("p2"), block)
        return card.terminal.send(card.with_mac(apdu, psam, puk, 0, factors, card.profile.security.pin.df, exact=False))

    return TearItem(
        "RELOAD PIN (the PIN, then its try counter)",
        pin,
        new,
        prepare,
        write,
        lambda: _pin_state(card, pin, new),
        lambda: restore_pin(card, psam, new, pin, initial=initial),
        zh="重装 PIN（先写 PIN，再写错误计数）",
    )


def _pin_counter(card: CardSession, pin: str) -> int:
    """The PIN try counter, read the only way a terminal can: one wrong PIN (63Cx: x left after
    it), then the right PIN, which restores the counter."""
    card.reset()
    response = card.verify_pin(wrong_pin(pin), check=False)
    card.verify_pin(pin, check=True)
    if not card.profile.sw["verification_failed"].matches(response.sw):
        raise AssertionError(
            bilingual(
                f"错误的 PIN 返回 {sw_zh(response)}，而不是 {card.profile.sw['verification_failed'].label}",
                f"a wrong PIN was answered {response.describe()}, not 63Cx",
            )
        )
    return (response.sw & 0x0F) + 1


def _pin_counter_item(card: CardSession, pin: str) -> TearItem:
    tries = card.profile.security.pin.tries
    return TearItem(
        "PIN try counter (a wrong VERIFY)",
        tries,
        tries - 1,
        lambda: card.ensure_inside(card.profile.security.pin.df),
        lambda: card.verify_pin(wrong_pin(pin), check=False),
        lambda: _pin_counter(card, pin),
        lambda: card.verify_pin(pin, check=True),
        zh="PIN 错误计数（一次错误的校验 PIN）",
    )


def _key_counter(card: CardSession, psam: PsamClient, key: str) -> int:
    from checks.security.auth_probes import wrong_cryptogram

    card.reset()
    response = wrong_cryptogram(card, psam, key)
    card.reset()
    card.external_authenticate(key, 0, psam, check=True)
    if not card.profile.sw["verification_failed"].matches(response.sw):
        raise AssertionError(
            bilingual(
                f"{key} 的错误密文返回 {sw_zh(response)}，而不是 {card.profile.sw['verification_failed'].label}",
                f"a wrong cryptogram for {key} was answered {response.describe()}, not 63Cx",
            )
        )
    return (response.sw & 0x0F) + 1


def _key_counter_item(card: CardSession, psam: PsamClient) -> TearItem:
    from checks.security.auth_probes import wrong_cryptogram

    key = card.profile.command_key("application_block")  # an SSSE key every terminal PSAM holds
    tries = key.tries
    return TearItem(
        f"key try counter of {key.name} (a wrong EXTERNAL AUTHENTICATE)",
        tries,
        tries - 1,
        lambda: None,
        lambda: wrong_cryptogram(card, psam, key.name),
        lambda: _key_counter(card, psam, key.name),
        lambda: card.external_authenticate(key.name, 0, psam, check=True),
        zh=f"{key.name} 的密钥错误计数（一次错误的外部认证）",
    )


def _application_state(card: CardSession, probe: str) -> str:
    card.reset()
    response = card.read_record(probe, number=min(r.number for r in card.profile.file(probe).records), check=False)
    if response.ok:
        return "usable"
    if card.profile.sw["function_not_supported"].matches(response.sw):
        return "blocked"
    return bilingual(f"读 {probe} 返回 {sw_zh(response)}", f"reading {probe} answered {response.describe()}")


def _free_record_file(card: CardSession, df: str) -> str:
    profile = card.profile
    for f in profile.efs():
        rule = f.rule("read")
        if f.is_record_file and f.records and rule is not None and rule.is_free and profile.df_of(f.path).path == df and f.sfi is not None:
            return f.path
    raise Inconclusive(
        bilingual(
            f"{df} 中没有可自由读的记录文件，无法区分应用锁定与可用",
            f"no freely readable record file in {df} to tell a blocked application from a usable one",
        )
    )


def _application_block_item(card: CardSession, psam: PsamClient) -> TearItem:
    key = card.profile.command_key("application_block")
    probe = _free_record_file(card, key.df)
    return TearItem(
        "APPLICATION BLOCK (the lifecycle state)",
        "usable",
        "blocked",
        lambda: None,
        lambda: card.application_block(psam, check=False),
        lambda: _application_state(card, probe),
        lambda: card.application_unblock(psam, check=True),
        zh="应用锁定命令（生命周期状态）",
    )


def _card_block_item(card: CardSession, psam: PsamClient) -> TearItem:
    key = card.profile.command_key("card_block")
    probe = _free_record_file(card, key.df)
    return TearItem(
        "CARD BLOCK (the lifecycle state; cut before its first byte only — a completed CARD BLOCK ends the card, SEC-LC-1)",
        "usable",
        "blocked",
        lambda: None,
        lambda: card.card_block(psam, check=False),
        lambda: _application_state(card, probe),
        lambda: None,
        single_offset=True,
        zh="卡片锁定命令（生命周期状态；只在其第一个字节之前掉电——卡片锁定一旦完成，卡即终止，SEC-LC-1）",
    )


def tear_items(card: CardSession, psam: PsamClient, pin: str, initial: str, which: str) -> list[TearItem]:
    """The items of one SEC-TEAR-1 scenario: "data" (UPDATE BINARY, UPDATE RECORD, APPEND RECORD),
    "pin" (CHANGE PIN, RELOAD PIN, the PIN try counter), "counters" (a key try counter) or
    "lifecycle" (APPLICATION BLOCK, CARD BLOCK)."""
    makers: dict[str, list[Callable[[], TearItem | None]]] = {
        "data": [lambda: _binary_item(card, psam, pin), lambda: _record_item(card, psam, pin), lambda: _append_item(card, psam, pin)],
        "pin": [
            lambda: _change_pin_item(card, psam, pin, initial),
            lambda: _reload_pin_item(card, psam, pin, initial),
            lambda: _pin_counter_item(card, pin),
        ],
        "counters": [lambda: _key_counter_item(card, psam)],
        "lifecycle": [lambda: _application_block_item(card, psam), lambda: _card_block_item(card, psam)],
    }
    items = [item for make in makers[which] if (item := make()) is not None]
    card.reset()
    return items


# -- SEC-TEAR-2 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TryProbe:
    what: str
    answered: str | None  # what the card answered with a cut armed at offset 0 (None: it lost power)
    counter_after: int  # the try counter once the card was back
    counter_before: int


def try_probes(card: CardSession, psam: PsamClient, pin: str) -> tuple[list[TryProbe], list[str]]:
    """Right and wrong VERIFY and EXTERNAL AUTHENTICATE armed at offset 0, then a wrong one armed
    after the counter's first byte; returns the probes and what they show against SEC-TEAR-2."""
    from checks.security.auth_probes import wrong_cryptogram

    key = card.profile.command_key("application_block")
    tries_pin, tries_key = card.profile.security.pin.tries, key.tries
    sends: list[tuple[str, Callable[[], Response], Callable[[], int], int, int]] = [
        ("VERIFY with the right PIN", lambda: card.verify_pin(pin, check=False), lambda: _pin_counter(card, pin), tries_pin, 0),
        ("VERIFY with a wrong PIN", lambda: card.verify_pin(wrong_pin(pin), check=False), lambda: _pin_counter(card, pin), tries_pin, 0),
        (
            f"EXTERNAL AUTHENTICATE {key.name} with the right cryptogram",
            lambda: card.external_authenticate(key.name, 0, psam, check=False),
            lambda: _key_counter(card, psam, key.name),
            tries_key,
            0,
        ),
        (
            f"EXTERNAL AUTHENTICATE {key.name} with a wrong cryptogram",
            lambda: wrong_cryptogram(card, psam, key.name),
            lambda: _key_counter(card, psam, key.name),
            tries_key,
            0,
        ),
        (
            "VERIFY with a wrong PIN, cut after the counter's byte",
            lambda: card.verify_pin(wrong_pin(pin), check=False),
            lambda: _pin_counter(card, pin),
            tries_pin,
            1,
        ),
        (
            f"EXTERNAL AUTHENTICATE {key.name} with a wrong cryptogram, cut after the counter's byte",
            lambda: wrong_cryptogram(card, psam, key.name),
            lambda: _key_counter(card, psam, key.name),
            tries_key,
            1,
        ),
    ]
    what_zh = dict(
        zip(
            (s[0] for s in sends),
            (
                "以正确的 PIN 校验 PIN",
                "以错误的 PIN 校验 PIN",
                f"以正确的密文外部认证 {key.name}",
                f"以错误的密文外部认证 {key.name}",
                "以错误的 PIN 校验 PIN，在计数器字节之后掉电",
                f"以错误的密文外部认证 {key.name}，在计数器字节之后掉电",
            ),
            strict=True,
        )
    )
    probes: list[TryProbe] = []
    problems: list[str] = []
    for what, send, counter, full, offset in sends:
        card.reset()
        if what.startswith("VERIFY"):
            card.ensure_inside(card.profile.security.pin.df)
        armed = arm(card, offset)
        if not armed.ok:
            raise Inconclusive(
                bilingual(f"掉电测试钩子拒绝设置掉电点：{sw_zh(armed)}", f"the tearing hook refused to arm: {armed.describe()}")
            )
        try:
            answered: str | None = send().describe()
        except CardUnavailableError:
            answered = None
        card.reset()
        after = counter()
        probes.append(TryProbe(what, answered, after, full))
        if answered is not None:
            problems.append(
                bilingual(
                    f"{what_zh[what]}：掉电点设在其写入的第 {offset} 字节，卡仍给出应答（写入尝试次数之前即可观察到比较结果）",
                    f"{what}: armed to cut at byte {offset} of its writes, the card answered {answered} "
                    "(the result was observable before a try was written)",
                )
            )
        if offset == 0 and after not in (full, full - 1):
            problems.append(
                bilingual(
                    f"{what_zh[what]}：掉电后错误计数为 {after}，预期 {full}（写入被切断）或 {full - 1}",
                    f"{what}: the try counter is {after} after the cut, expected {full} (torn) or {full - 1}",
                )
            )
        if offset == 1 and after != full - 1:
            problems.append(
                bilingual(
                    f"{what_zh[what]}：在计数器字节之后掉电，错误计数为 {after}，预期 {full - 1}（此次尝试应已计入）",
                    f"{what}: the try counter is {after} after a cut behind the counter's byte, expected {full - 1} (the try must be spent)",
                )
            )
    card.reset()
    return probes, problems


# -- a card in a reader: the reader cuts the power (best effort) ------------------------------------


@dataclass(frozen=True)
class ReaderCut:
    item: str
    delay_ms: int
    answered: str | None  # the card's answer when it came before the cut
    left: str  # OLD, NEW, MIXED or UNREADABLE
    detail: str = ""
    item_zh: str = ""  # the item's name in Chinese


def _reader_cut(card: CardSession, item: TearItem, command: bytes, delay_ms: int) -> ReaderCut:
    card.reset()
    item.prepare()
    answer = card.terminal.transport.transmit_with_power_cut(command, delay_ms / 1000)
    answered = None if answer is None else card.terminal.describe(answer[-2] << 8 | answer[-1])
    card.reset()
    try:
        value = item.observe()
    except Exception as exc:
        return ReaderCut(item.name, delay_ms, answered, UNREADABLE, f"{type(exc).__name__}: {exc}", item.name_zh)
    if value == item.new:
        card.reset()
        item.restore()
        return ReaderCut(item.name, delay_ms, answered, NEW, item_zh=item.name_zh)
    if value == item.old:
        return ReaderCut(item.name, delay_ms, answered, OLD, item_zh=item.name_zh)
    return ReaderCut(item.name, delay_ms, answered, MIXED, _mixed(item, value), item.name_zh)


def reader_cuts(card: CardSession, psam: PsamClient, pin: str, delays_ms: tuple[int, ...]) -> list[ReaderCut]:
    """An UPDATE RECORD and a wrong VERIFY, each sent with the reader cutting power `delay` ms
    after it left the host, for every delay; what each cut left. PC/SC carries out the cut once the
    exchange in flight is over when the reader cannot cut sooner, so most cuts land after the answer:
    best effort, and the delays and outcomes are reported as measured."""
    record = _record_item(card, psam, pin)
    if record is None:
        raise Inconclusive(bilingual("没有本终端既能更新又能读回的记录文件", "no record file this terminal can both update and read back"))
    assert isinstance(record.new, bytes)
    update = card.record_apdu("update_record", record.path, record.new, record.number).to_bytes()
    counter = _pin_counter_item(card, pin)
    vf = card.profile.command("verify")
    verify = CommandApdu(vf.cla[0], vf.ins, vf.byte("p1"), vf.byte("p2"), encode_pin(wrong_pin(pin))).to_bytes()
    cuts = []
    for delay in delays_ms:
        cuts.append(_reader_cut(card, record, update, delay))
        cuts.append(_reader_cut(card, counter, verify, delay))
    card.reset()
    return cuts
