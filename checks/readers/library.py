"""RDR-6: what a reader library must return, computed independently from the card and the PSAM.

The library under test runs in a child process (`library_process`); this module computes the
expected output from APDUs the harness sends itself — the card through a `CardSession`, the PSAM
through a `PsamClient` — and compares. Field order, separators, lengths and return codes come
from the reader-interface data (`ssc.reader_interface`), never from literals here. Every judgement
returns a list of findings: empty means the case holds, each finding is one sentence a lab can act
on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checks.wording import bilingual, led
from ssc.atr import parse_atr
from ssc.codecs import decode_an, decode_cn, encode_pin
from ssc.keyset import diversification_factors
from ssc.profile.access import AccessRule, Auth, Pin, Sm, Term
from ssc.profile.model import FileDef, Profile
from ssc.reader_interface import ReaderInterface
from ssc.tlv import parse_record
from terminal.psam_client import PsamClient
from terminal.session import CardSession, find_item

from .library_process import CallOutcome

__all__ = [
    "CardFacts",
    "FileRead",
    "addressed_files",
    "expected_file_read",
    "library_grant",
    "read_back_problems",
    "read_file_problems",
    "write_order",
    "write_request",
    "write_values",
    "buffer_problems",
    "card_facts",
    "code_of",
    "expected_basic_info",
    "expected_read_card",
    "hsm_answer",
    "output_problems",
    "pin_reached_card",
    "rc_problems",
]

GBK = "gbk"  # READER-INTERFACE.md §1: strings are 8-bit GBK


def code_of(iface: ReaderInterface, name: str) -> int:
    try:
        return iface.codes[name].code
    except KeyError:
        raise KeyError(f"the reader interface names no return code {name!r}; known: {', '.join(iface.codes)}") from None


def describe_code(iface: ReaderInterface, rc: int) -> str:
    for name, code in iface.codes.items():
        if code.code == rc:
            return f"{rc}（{code.zh}, {name}）"
    if -0xFFFF <= rc <= -0x6000:
        return f"{rc} (the status word {-rc:04X})"
    return str(rc)


def describe_code_zh(iface: ReaderInterface, rc: int) -> str:
    """`describe_code` in Chinese: ``-2201（无PSAM卡）``, ``-27266（状态字 6A82）``."""
    for code in iface.codes.values():
        if code.code == rc:
            return f"{rc}（{code.zh}）"
    if -0xFFFF <= rc <= -0x6000:
        return f"{rc}（状态字 {-rc:04X}）"
    return str(rc)


@dataclass(frozen=True)
class CardFacts:
    """What the harness read from the card and the PSAM over APDUs."""

    region: str
    card_sn: bytes
    fields: dict[str, bytes]  # reader-interface basic field name → expected bytes


def card_facts(card: CardSession, psam: PsamClient | None, iface: ReaderInterface, *, terminal: tuple[str, str] | None = None) -> CardFacts:
    """The expected iReadCardBas fields. gen3 cards need RKSSSE for EF06: authenticated here
    through `psam`. `terminal` overrides the PSAM's numbers (HSM mode: the library's own)."""
    ident = card.identity()
    atr = card.terminal.atr
    assert atr is not None, "the card session has no ATR"
    card_id = bytes(card.read_item("card_id_code"))  # type: ignore[arg-type]  # a `b` item: bytes
    rule = card.profile.file(find_item(card.profile, "name")[0].path).rule("read")
    if rule is not None and rule.keys and psam is not None:
        for key in sorted(rule.keys):
            card.external_authenticate(key, 0, psam, check=True)
    name = str(card.read_item("name"))
    try:
        name += str(card.read_item("name_ext"))
    except KeyError:
        pass  # gen1: no name extension record in the profile
    if terminal is None:
        assert psam is not None, "the PSAM's terminal numbers need a PSAM"
        psam_atr = psam.atr
        terminal = (psam.terminal_number(), parse_atr(psam_atr).historical.hex().upper() if psam_atr else "")
    number = str(card.read_item("card_number"))[: iface.card_number_length]
    values = {
        "region": ident.region,
        "ssn": str(card.read_item("ssn")),
        "card_number": number,
        "card_id": card_id.hex().upper(),
        "atr_historical": parse_atr(atr).historical.hex().upper(),
        "spec_version": str(card.read_item("spec_version")),
        "issue_date": str(card.read_item("issue_date")),
        "expiry_date": str(card.read_item("expiry_date")),
        "terminal_number": terminal[0],
        "terminal_device_number": terminal[1],
    }
    fields = {k: v.encode("ascii") for k, v in values.items()}
    fields["name"] = name.encode(GBK)
    missing = [f for f in iface.basic_fields if f not in fields]
    assert not missing, f"the reader interface lists basic fields this check cannot compute: {missing}"
    return CardFacts(ident.region, ident.card_sn, fields)


def expected_basic_info(facts: CardFacts, iface: ReaderInterface) -> bytes:
    sep = iface.separator.encode()
    return b"".join(facts.fields[f] + sep for f in iface.basic_fields)


def buffer_problems(outcome: CallOutcome, iface: ReaderInterface) -> list[str]:
    """Crash, missing export, overrun of an output buffer, missing NUL."""
    if outcome.missing:
        return [bilingual(f"读卡库未导出函数 {outcome.function}", f"the library exports no function {outcome.function}")]
    if outcome.crash is not None:
        return [outcome.crash]
    problems = []
    for i, out in enumerate(outcome.out, 1):
        if not out.guard_intact:
            problems.append(
                bilingual(
                    f"{outcome.function} 越过输出缓冲区 {i}（{iface.out_size} 字节）的末尾写入：保护字节被改写",
                    f"{outcome.function} wrote past the end of output buffer {i} ({iface.out_size} bytes): the guard pattern changed",
                )
            )
        if not out.terminated:
            problems.append(
                bilingual(
                    f"{outcome.function} 的输出缓冲区 {i} 没有以 NUL 结尾",
                    f"{outcome.function} left output buffer {i} without a terminating NUL",
                )
            )
    return problems


def rc_problems(outcome: CallOutcome, expected: str, iface: ReaderInterface) -> list[str]:
    """The call returned the code named `expected` (a name of the reader-interface codes, or
    ``ok``, or ``sw:XXXX`` for a card status word as its negative decimal)."""
    problems = buffer_problems(outcome, iface)
    if outcome.rc is None:
        return problems
    if expected == "ok":
        want = 0
    elif expected.startswith("sw:"):
        want = -int(expected[3:], 16)
    else:
        want = code_of(iface, expected)
    if outcome.rc != want:
        problems.append(
            bilingual(
                f"{outcome.function} 返回 {describe_code_zh(iface, outcome.rc)}，预期 {describe_code_zh(iface, want)}",
                f"{outcome.function} returned {describe_code(iface, outcome.rc)}, expected {describe_code(iface, want)}",
            )
        )
    return problems


def output_problems(outcome: CallOutcome, expected: bytes, iface: ReaderInterface, fields: Sequence[str] = ()) -> list[str]:
    """Return code 0 and the output string exactly `expected`; a difference is explained field by
    field (names from `fields`, e.g. the basic fields), with the separator rules first."""
    problems = rc_problems(outcome, "ok", iface)
    if problems:
        return problems
    got = outcome.first.data
    if got == expected:
        return []
    sep = iface.separator.encode()
    if expected.endswith(sep) and not got.endswith(sep):
        problems.append(
            bilingual(f"输出未以分隔符 {iface.separator!r} 结尾", f"the output does not end with the separator {iface.separator!r}")
        )
    got_fields, want_fields = got.split(sep), expected.split(sep)
    if len(got_fields) != len(want_fields):
        problems.append(
            bilingual(
                f"输出含 {len(got_fields) - 1} 个分隔符，预期 {len(want_fields) - 1} 个",
                f"the output has {len(got_fields) - 1} separators, expected {len(want_fields) - 1}",
            )
        )
    for i, (g, w) in enumerate(zip(got_fields, want_fields, strict=False)):
        if g != w:
            label = fields[i] if i < len(fields) else f"field {i + 1}"
            label_zh = _label_zh(fields[i]) if i < len(fields) else f"第 {i + 1} 个字段"
            problems.append(bilingual(f"{label_zh}：实际 {_show(g)}，预期 {_show(w)}", f"{label}: got {_show(g)}, expected {_show(w)}"))
    if not problems:
        problems.append(
            bilingual(
                f"输出不符：实际 {_show(got)}，预期 {_show(expected)}", f"the output differs: got {_show(got)}, expected {_show(expected)}"
            )
        )
    return problems


def _label_zh(label: str) -> str:
    """A field's label in Chinese: ``file`` → 文件名, ``tag 21`` → 标签 21, a basic field → 字段 name."""
    if label == "file":
        return "文件名"
    if label.startswith("tag "):
        return "标签 " + label.removeprefix("tag ")
    return f"字段 {label}"


def _show(data: bytes) -> str:
    try:
        text = data.decode(GBK)
    except UnicodeDecodeError:
        return f"bytes {data.hex(' ').upper()} (not GBK)"
    if any(ord(c) > 0x7F for c in text):
        return f"{text!r} (GBK {data.hex(' ').upper()})"
    return repr(text)


def _file_path(name: str) -> str:
    """iReadCard file names (``SSSEEF05``, ``DF01EF05``) → profile paths (SSSE/EF05, SSSE/DF01/EF05)."""
    if name.startswith("SSSE"):
        return f"SSSE/{name[4:]}"
    return f"SSSE/{name[:4]}/{name[4:]}"


def expected_read_card(card: CardSession, files: Sequence[tuple[str, Sequence[int]]], iface: ReaderInterface) -> tuple[bytes, bytes]:
    """(pFileAddr, expected pOutInfo) of iReadCard for `files` = [(file name, [tags])]: each
    value decoded by its record format — an: GBK text without padding, cn: digits, b: upper hex."""
    sep, end = iface.separator, iface.file_separator
    addr, out = b"", b""
    for name, tags in files:
        f = card.profile.file(_file_path(name))
        addr += (name + sep + "".join(f"{t:02X}{sep}" for t in tags) + end).encode()
        out += (name + sep).encode()
        for tag in tags:
            rec = next(r for r in f.records if r.tag == tag)
            value = card.read_item(rec.item)
            text = value.hex().upper() if isinstance(value, bytes) else value
            out += text.encode(GBK) + sep.encode()
        out += end.encode()
    return addr, out


def pin_reached_card(commands: Sequence[bytes], pin: str, cla_ins: tuple[int, int]) -> bool:
    """A command with this CLA/INS carrying exactly the PIN's BCD encoding reached the card."""
    block = encode_pin(pin)
    return any(c[:2] == bytes(cla_ins) and len(c) >= 5 and c[5 : 5 + c[4]] == block for c in commands)


def hsm_answer(step1: bytes, facts: CardFacts, hsm: PsamClient, atr: bytes, iface: ReaderInterface) -> tuple[bytes, list[str]]:
    """Act as the back office's HSM for Step1's output: check its fields against the card and
    compute pKey = internal-auth result ‖ (gen3) external-auth cryptogram. `hsm` is a PSAM used as
    the HSM; the card's factors come from `facts` (read before Step1: reading the card now would
    spend the challenge Step1 left for Step2)."""
    values = step1.decode("ascii", "replace").split(iface.separator)
    want = len(iface.hsm_step1_fields)
    if len(values) != want + 1 or values[-1] != "":
        return b"", [
            bilingual(
                f"Step1 的输出有 {len(values) - 1} 个以分隔符结尾的字段，预期 {want} 个：{step1!r}",
                f"Step1's output has {len(values) - 1} separator-terminated fields, expected {want}: {step1!r}",
            )
        ]
    got = dict(zip(iface.hsm_step1_fields, values, strict=False))
    problems = []
    if got["region"] != facts.region:
        problems.append(
            bilingual(
                f"Step1 给出的地区为 {got['region']!r}，卡的地区为 {facts.region!r}",
                f"Step1 region {got['region']!r}, the card's is {facts.region!r}",
            )
        )
    if got["card_id"] != facts.fields["card_id"].decode():
        problems.append(
            bilingual(
                f"Step1 给出的卡的识别码为 {got['card_id']!r}，卡上的为 {facts.fields['card_id'].decode()!r}",
                f"Step1 card_id {got['card_id']!r}, the card's is {facts.fields['card_id'].decode()!r}",
            )
        )
    if got["atr"] != atr.hex().upper():
        problems.append(
            bilingual(
                f"Step1 给出的 ATR 为 {got['atr']!r}，卡的 ATR 为 {atr.hex().upper()!r}",
                f"Step1 atr {got['atr']!r}, the card's is {atr.hex().upper()!r}",
            )
        )
    if problems:
        return b"", problems
    profile = hsm.profile
    try:
        f, d = bytes.fromhex(got["int_auth_factor"]), bytes.fromhex(got["int_auth_data"])
    except ValueError:
        return b"", [
            bilingual(
                f"Step1 给出的内部认证分散因子或数据不是十六进制：{got['int_auth_factor']!r}，{got['int_auth_data']!r}",
                f"Step1's internal-authentication factor/data are not hex: {got['int_auth_factor']!r}, {got['int_auth_data']!r}",
            )
        ]
    irk = profile.internal_key()
    hsm.select_for(profile.algorithm)
    hsm.derive("internal_auth", irk, 0, diversification_factors(profile, irk, facts.region, facts.card_sn))
    answer = hsm.process(f, d).hex().upper() + iface.separator
    read_rule = profile.file(find_item(profile, "name")[0].path).rule("read")
    for key_name in sorted(read_rule.keys) if read_rule is not None else []:
        try:
            r = bytes.fromhex(got["ext_auth_factor"])
            data = bytes.fromhex(got["ext_auth_data"]) or r
        except ValueError:
            return b"", [
                bilingual(
                    f"Step1 给出的外部认证随机数不是十六进制：{got['ext_auth_factor']!r}",
                    f"Step1's external-authentication challenge is not hex: {got['ext_auth_factor']!r}",
                )
            ]
        if not r:
            return b"", [
                bilingual(
                    f"Step1 未给出外部认证随机数，但本卡的 EF06 需要 {key_name}",
                    f"Step1 gave no external-authentication challenge, but this card's EF06 needs {key_name}",
                )
            ]
        key = profile.key(key_name)
        hsm.derive("external_auth", key, 0, diversification_factors(profile, key, facts.region, facts.card_sn))
        answer += hsm.process(r, data).hex().upper() + iface.separator
    return answer.encode("ascii"), []


# -- iReadCard / iWriteCard over every file the interface addresses ----------------------------


def library_grant(rule: AccessRule | None, choice: str) -> frozenset[Term] | None:
    """The conditions a library satisfies before reading or updating under `rule`, by the
    reader-interface data's `auth_rules` choice: ``pin_only`` = the PIN and nothing else;
    ``fewest_pin`` = the rule's condition set with the fewest PIN terms, then the fewest keys.
    None: the rule cannot be met at all (``never``, or no rule)."""
    if choice == "pin_only":
        return frozenset({Pin()})
    grants = rule.minimal_grants() if rule is not None else []
    if not grants:
        return None
    return min(grants, key=lambda g: (sum(isinstance(t, Pin) for t in g), sum(not isinstance(t, Pin) for t in g), sorted(map(str, g))))


def addressed_files(iface: ReaderInterface, profile: Profile) -> list[str]:
    """The interface's file names whose file this profile declares, in the data's order."""
    known = set(profile.files)
    return [name for name, f in iface.files.items() if f.path in known]


@dataclass(frozen=True)
class FileRead:
    """What iReadCard must give for one file: the return code (0, or a card status word as its
    negative decimal when the rights the library gains do not open the file) and, for 0, the
    output; `rights` says what the harness did to get there (the library must do the same)."""

    name: str
    addr: bytes
    rc: int
    out: bytes
    rights: str


def _value_text(fmt: str, value: bytes) -> str:
    if fmt == "an":
        return decode_an(value)
    if fmt == "cn":
        return decode_cn(value)
    return value.hex().upper()


def _gain(card: CardSession, psam: PsamClient | None, path: str, terms: frozenset[Term], pin: str | None) -> list[str]:
    """Satisfy `terms` for the file `path` the way the interface data says a library does: the PIN
    in its DF first, then the file's DF, then each key through the PSAM."""
    profile = card.profile
    done = []
    if any(isinstance(t, (Auth, Sm)) for t in terms):
        card.identity()  # the factors: read before the DF is made current
    if any(isinstance(t, Pin) for t in terms):
        if pin is None:
            raise ValueError("the PIN is needed and none was given")
        card.select_path(profile.security.pin.df, check=True)
        card.verify_pin(pin, check=True)
        done.append("PIN")
    card.ensure_df(profile.df_of(path).path)
    for term in sorted((t for t in terms if isinstance(t, Auth)), key=lambda t: t.key):
        if psam is None:
            raise ValueError(f"AUTH {term.key} needs a PSAM")
        card.external_authenticate(term.key, 0, psam, check=True)
        done.append(f"AUTH {term.key}")
    return done


def expected_file_read(
    card: CardSession, psam: PsamClient | None, iface: ReaderInterface, name: str, auth: str, pin: str | None
) -> FileRead:
    """iReadCard of every item of file `name` with iAuthType `auth` (a name of auth_types),
    computed from the card: the harness gains the same rights the library must, then reads each
    record by its tag over APDUs (values: an = GBK text without padding, cn = digits, b = upper
    hex)."""
    sep, end = iface.separator, iface.file_separator
    path = iface.files[name].path
    f = card.profile.file(path)
    addr = (name + sep + "".join(f"{r.tag:02X}{sep}" for r in f.records) + end).encode()
    terms = library_grant(f.rule("read"), iface.auth_rules.read[auth])
    if terms is None:
        raise ValueError(f"{path} has no read rule a library could satisfy")
    rights = ", ".join(_gain(card, psam, path, terms, pin)) or "none"
    out = (name + sep).encode()
    for rec in f.records:
        response = card.read_record(path, tag=rec.tag, check=False)
        if not response.ok:
            return FileRead(name, addr, -response.sw, b"", f"{rights}; READ RECORD tag {rec.tag:02X} answered {response.sw:04X}")
        out += _value_text(rec.fmt, parse_record(response.data).value).encode(GBK) + sep.encode()
    return FileRead(name, addr, 0, out + end.encode(), rights)


def read_file_problems(outcome: CallOutcome, expected: FileRead, iface: ReaderInterface) -> list[str]:
    """The findings of one file's iReadCard against the harness's reading."""
    where_zh, where = f"{expected.name}（权限：{expected.rights}）：", f"{expected.name} (rights: {expected.rights}): "
    if expected.rc:
        return [led(where_zh, where, p) for p in rc_problems(outcome, f"sw:{-expected.rc:04X}", iface)]
    labels = ["file", *(f"tag {r}" for r in expected.addr.decode().split(iface.separator)[1:-1])]
    return [led(where_zh, where, p) for p in output_problems(outcome, expected.out, iface, labels)]


WRITE_TEXT = "社会保障读写器接口写入测试"  # GBK text written to items that hold Chinese text


def write_values(f: FileDef) -> list[str]:
    """A value for each record of `f` that differs from what a personalized card holds, filling
    the record: an → ASCII (GBK text for text items), cn → digits, b → upper hex."""
    values = []
    for i, rec in enumerate(f.records):
        if rec.fmt == "an" and rec.check == "gbk_text":
            values.append((WRITE_TEXT * rec.length)[: rec.length // 2])
        elif rec.fmt == "an":
            values.append(("W" + "".join(chr(0x41 + (i + k) % 26) for k in range(rec.length)))[: rec.length])
        elif rec.fmt == "cn":
            values.append("".join(str((3 * k + i + 1) % 10) for k in range(2 * rec.length)))
        else:
            values.append(bytes((0xA5 ^ (k + i)) & 0xFF for k in range(rec.length)).hex().upper())
    return values


def write_order(names: Sequence[str], iface: ReaderInterface) -> list[str]:
    """The files in the order a write test takes them: the card-issuer file (its card ID and
    version) last, since the library identifies and authenticates the card from it at every call."""
    first = next(iter(iface.files))
    return sorted(names, key=lambda n: n == first)


def write_request(name: str, f: FileDef, values: Sequence[str], iface: ReaderInterface) -> tuple[bytes, bytes]:
    """(pFileAddr, pWriteData) of iWriteCard for every record of `f` (GBK)."""
    sep, end = iface.separator, iface.file_separator
    addr = name + sep + "".join(f"{r.tag:02X}{sep}" for r in f.records) + end
    data = name + sep + "".join(v + sep for v in values) + end
    return addr.encode(), data.encode(GBK)


def read_back_problems(card: CardSession, psam: PsamClient | None, name: str, f: FileDef, values: Sequence[str], pin: str) -> list[str]:
    """Read every record of `f` over APDUs (with the rights the read rule asks for) and compare
    with what was written."""
    terms = library_grant(f.rule("read"), "fewest_pin")
    if terms is None:
        return [bilingual(f"{name}：{f.path} 无法读回（没有读规则）", f"{name}: {f.path} cannot be read back (no read rule)")]
    _gain(card, psam, f.path, terms, pin)
    problems = []
    for rec, want in zip(f.records, values, strict=True):
        response = card.read_record(f.path, tag=rec.tag, check=False)
        if not response.ok:
            problems.append(
                bilingual(
                    f"{name} 标签 {rec.tag:02X}：读回返回 {response.sw:04X}",
                    f"{name} tag {rec.tag:02X}: reading back answered {response.sw:04X}",
                )
            )
            continue
        got = _value_text(rec.fmt, parse_record(response.data).value)
        if got != want:
            problems.append(
                bilingual(
                    f"{name} 标签 {rec.tag:02X}：读回 {got!r}，写入的是 {want!r}",
                    f"{name} tag {rec.tag:02X}: read back {got!r}, written {want!r}",
                )
            )
    return problems
