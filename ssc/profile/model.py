"""The profile as typed, immutable values (built by `loader.py` from the YAML data).

Both the card side and the host side read these; neither hard-codes a FID, status word, INS code
or key id. Every entity keeps its provenance so reports can show which verdicts rest on stand-ins.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Generic, NewType, TypeVar

from ssc.crypto.algorithm import Algorithm
from ssc.profile.access import AccessRule

PROVENANCE_TAGS = ("C", "D", "I", "S")
FIREWALLED = "firewalled"  # the file flag of a DF behind the COS firewall (PROFILE §6.5)


@dataclass(frozen=True)
class Provenance:
    """Provenance tag per field; '*' is the default for fields not named."""

    tags: Mapping[str, str]

    def of(self, field_name: str = "*") -> str:
        return self.tags.get(field_name, self.tags["*"])

    @property
    def weakest(self) -> str:
        """The weakest tag among all fields (S < I < D < C): what a verdict built on it rests on."""
        return max(self.tags.values(), key=PROVENANCE_TAGS.index)


@dataclass(frozen=True)
class Text:
    zh: str
    en: str


@dataclass(frozen=True)
class RecordDef:
    number: int  # position in the file (1-based) at personalization
    tag: int
    item: str
    length: int  # length of the value; the record is tag ‖ length ‖ value
    fmt: str  # "an", "cn" or "b"
    check: str | None  # name of the data-element rule that validates the value
    title: Text
    prov: Provenance

    @property
    def record_length(self) -> int:
        return 2 + self.length


@dataclass(frozen=True)
class KeyDef:
    name: str
    df: str  # path of the DF holding the key
    id: int
    use: str  # "external" (EXTERNAL AUTHENTICATE / MAC) or "internal" (INTERNAL AUTHENTICATE)
    level: str  # "national" (national root, 3 levels) or "local" (city's own root)
    versions: tuple[int, ...]
    active: int
    tries: int
    prov: Provenance


@dataclass(frozen=True)
class FileDef:
    path: str
    kind: str  # mf, ddf, adf, linear, cyclic, transparent
    fid: int
    title: Text
    prov: Provenance
    sfi: int | None = None
    name: bytes | None = None  # DF name / AID
    label: str | None = None  # DIR label (GBK on the card)
    fci: str | None = None  # FCI template name
    presence: str = "mandatory"  # mandatory, optional, local
    access: Mapping[str, AccessRule] = field(default_factory=dict)  # read / update / append
    records: tuple[RecordDef, ...] = ()
    size: int | None = None  # transparent files
    record_count: int | None = None  # cyclic files
    keys: Mapping[str, KeyDef] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()  # dir, reserved, firewalled, nationwide_writable

    @property
    def is_df(self) -> bool:
        return self.kind in ("mf", "ddf", "adf")

    @property
    def is_ef(self) -> bool:
        return not self.is_df

    @property
    def is_record_file(self) -> bool:
        return self.kind in ("linear", "cyclic")

    @property
    def parent(self) -> str | None:
        if self.path == "MF":
            return None
        head, _, _ = self.path.rpartition("/")
        return head or "MF"

    @property
    def short_name(self) -> str:
        return self.path.rpartition("/")[2]

    def record_by_tag(self, tag: int) -> RecordDef | None:
        for rec in self.records:
            if rec.tag == tag:
                return rec
        return None

    def rule(self, right: str) -> AccessRule | None:
        return self.access.get(right)


@dataclass(frozen=True)
class CommandDef:
    name: str
    cla: tuple[int, ...]
    ins: int
    params: Mapping[str, object]
    prov: Provenance
    sensitive: str | None = None  # "command_data" when the data field carries a PIN or key material
    virtual_only: bool = False
    key: str | None = None  # name of the key the command authenticates or MACs with (PROFILE §5)

    def param(self, key: str) -> object:
        try:
            return self.params[key]
        except KeyError:
            raise KeyError(f"command {self.name!r} has no parameter {key!r} in the profile") from None

    def byte(self, key: str) -> int:
        value = self.param(key)
        assert isinstance(value, int)
        return value

    def byte_list(self, key: str) -> tuple[int, ...]:
        """A list-valued parameter (the P2 values, the allowed Le, the key versions): the loader
        reads a YAML list of hex bytes as a tuple of ints."""
        value = self.param(key)
        assert isinstance(value, tuple) and all(isinstance(v, int) for v in value), f"command {self.name!r}: {key} is not a list"
        return value


@dataclass(frozen=True)
class StatusWord:
    name: str
    sw: int  # for variable words (61XX, 63CX, 6CXX) the fixed part with the variable bits zero
    variable_mask: int  # 0xFF for XX, 0x0F for CX, 0 for a fixed word
    en: str
    zh: str
    prov: Provenance

    def matches(self, sw: int) -> bool:
        return (sw & ~self.variable_mask & 0xFFFF) == self.sw

    def with_value(self, x: int) -> int:
        if not self.variable_mask:
            raise ValueError(f"status word {self.name} has no variable part")
        if x & ~self.variable_mask:
            raise ValueError(f"{x} does not fit the variable part of {self.name}")
        return self.sw | x

    @property
    def pattern(self) -> str:
        text = f"{self.sw:04X}"
        if self.variable_mask == 0xFF:
            return text[:2] + "XX"
        if self.variable_mask == 0x0F:
            return text[:3] + "X"
        return text

    @property
    def written(self) -> str:
        """The status word as a lab writes it: ``6A82``, ``63Cx``, ``61xx`` (variable part lower case)."""
        text = self.pattern
        return text.rstrip("X") + "x" * (len(text) - len(text.rstrip("X")))

    @property
    def label(self) -> str:
        """``6A82（未找到文件）``: the form in which test cases name it (a parenthesis inside the
        Chinese name becomes a comma, so the label has one pair: ``6A81（功能不支持，应用已锁定）``)."""
        return f"{self.written}（{self.zh.replace('（', '，').replace('）', '')}）"


class StatusWords:
    """Status words by name (``profile.sw.wrong_length`` → 0x6700) and meaning by value."""

    def __init__(self, words: Mapping[str, StatusWord]) -> None:
        self._words = dict(words)
        self._by_value: dict[int, StatusWord | None] = {}  # memo: every response is described

    def __getattr__(self, name: str) -> int:
        try:
            return self._words[name].sw
        except KeyError:
            raise AttributeError(f"the profile defines no status word named {name!r}") from None

    def __getitem__(self, name: str) -> StatusWord:
        return self._words[name]

    def __iter__(self) -> Iterator[StatusWord]:
        return iter(self._words.values())

    def describe(self, sw: int) -> StatusWord | None:
        try:
            return self._by_value[sw]
        except KeyError:
            found = next((w for w in self._words.values() if w.matches(sw)), None)
            self._by_value[sw] = found
            return found

    def is_listed(self, sw: int) -> bool:
        return self.describe(sw) is not None

    def of_label(self, text: str) -> StatusWord | None:
        """The word a test case names as ``6A82（未找到文件）`` (`StatusWord.label`); None when the
        code or the name is not the profile's, so a feature cannot drift from the status-word table."""
        return next((w for w in self._words.values() if w.label == text.strip()), None)

    def names(self, sw: int) -> tuple[str, str]:
        """(zh, en) meaning of a concrete status word, the variable part filled in: 63C2 →
        认证失败，还剩2次尝试机会; a word the profile does not list gets a saying-so name."""
        word = self.describe(sw)
        if word is None:
            return "规范未定义的状态字", "not a status word of the profile"
        if word.variable_mask == 0x0F:
            n = str(sw & 0x0F)
            return word.zh.replace("x", n), word.en.replace(" X ", f" {n} ")
        if word.variable_mask == 0xFF:
            n = f"{sw & 0xFF:02X}"
            return word.zh.replace("xx", n), word.en.replace("XX", n)
        return word.zh, word.en

    def text(self, sw: int) -> str:
        """A response's status word for a failure message, Chinese first: ``6A82（未找到文件 / file not found）``."""
        zh, en = self.names(sw)
        return f"{sw:04X}（{zh} / {en}）"


@dataclass(frozen=True)
class AtrSpec:
    prefix: bytes
    historical_length: int
    fields: Mapping[str, tuple[int, int]]  # name -> (offset, length) in the historical bytes
    card_sn: tuple[int, int]
    known_chip_makers: tuple[bytes, ...]
    reference_prefix: bytes
    reference_card_maker: bytes
    prov: Provenance

    def historical(self, atr: bytes) -> bytes:
        return atr[len(self.prefix) :]

    def card_sn_of(self, atr: bytes) -> bytes:
        off, length = self.card_sn
        return self.historical(atr)[off : off + length]

    def field_of(self, atr: bytes, name: str) -> bytes:
        off, length = self.fields[name]
        return self.historical(atr)[off : off + length]


@dataclass(frozen=True)
class PinSpec:
    df: str
    initial: str
    tries: int
    prov: Provenance


@dataclass(frozen=True)
class Diversification:
    province_factor: str
    city_factor: str
    levels: tuple[str, ...]
    local_levels: tuple[str, ...]
    prov: Provenance


@dataclass(frozen=True)
class TestRoots:
    national: str
    local: str
    warning: str
    prov: Provenance


@dataclass(frozen=True)
class KeyDefaults:
    """Versions, active version and tries of every key that does not declare its own."""

    versions: tuple[int, ...]
    active: int
    tries: int
    prov: Provenance


@dataclass(frozen=True)
class SecuritySpec:
    """PROFILE §6. The flat values keep their subsection's provenance beside them (`*_prov`), so a
    report can cite `security.challenge` or `security.mac_length` from the model alone."""

    pin: PinSpec
    key_defaults: KeyDefaults
    challenge_external_auth: int
    challenge_mac: int
    challenge_prov: Provenance  # fields external_auth, mac
    mac_length: int
    mac_length_prov: Provenance
    diversification: Diversification
    test_roots: TestRoots
    lifecycle_blocked_allows: tuple[str, ...]
    lifecycle_prov: Provenance  # field blocked_allows


@dataclass(frozen=True)
class TlvTemplate:
    """A nested TLV layout: values are hex strings with {placeholders} or nested templates."""

    tree: Mapping[int, object]
    prov: Provenance


@dataclass(frozen=True)
class PsamSpec:
    dfs: Mapping[Algorithm, int]
    terminal_number_fid: int
    terminal_number_sfi: int
    terminal_number_length: int
    commands: Mapping[str, tuple[int, int]]  # name -> (CLA, INS)
    levels_shift: int
    key_usage: Mapping[str, int]
    use_modes: Mapping[str, int]
    use_key_p2: int
    atr: bytes
    prov: Provenance


@dataclass(frozen=True)
class CardIdLayout:
    """Byte ranges of the 16-byte card identification code (PROFILE §4.1)."""

    region: slice
    rid: slice
    rid_value: bytes
    serial: slice
    mac: slice
    mac_key: str
    prov: Provenance


@dataclass(frozen=True)
class CardTypes:
    """The card-type codes of EF05 tag 02 (PROFILE §3.1) and what each means."""

    values: Mapping[str, Text]
    prov: Provenance


T = TypeVar("T")

# A behaviour value that names a status word of the profile (checked by the loader).
StatusWordName = NewType("StatusWordName", str)


@dataclass(frozen=True)
class TimingSpec:
    """How long a card may take to answer: the host's deadline for one command is the run's
    per-APDU timeout, times `slow_factor` for the commands in `slow_commands` (EEPROM writes,
    PIN changes, cryptography — slower on real chips)."""

    slow_commands: frozenset[str]
    slow_factor: int
    prov: Provenance

    def factor(self, command: str | None) -> int:
        return self.slow_factor if command in self.slow_commands else 1


@dataclass(frozen=True)
class RandomnessSpec:
    """How STD-CMD-3 judges GET CHALLENGE as a random number generator (GM/T 0005-2021, which
    follows NIST SP 800-22 rev. 1a, for the statistics; the structural checks are this project's).
    Kept as data so a lab applies the parameters of its own edition of the standards."""

    alpha: float  # significance level of every statistical test
    block_length: int  # block frequency test: bits per block (M)
    poker_width: int  # poker test: bits per word (m)
    min_bits: int  # smallest sample the battery judges; the default of the run option --random-bits
    challenge_length: int  # Le of the GET CHALLENGEs that collect the samples
    resets: int  # power-ons whose first challenges must all differ
    series: int  # successive challenges examined for counters and arithmetic progressions
    retests: int  # fresh samples allowed after a sample that fails exactly one test
    prov: Provenance


@dataclass(frozen=True)
class RobustnessSpec:
    """SEC-ROB-1's malformed- and random-APDU battery: budgets (APDUs) for a card in a reader and
    for the embedded card, the CLA classes and P1/P2 edge values swept, the random APDUs' seed."""

    budget_reader: int
    budget_embedded: int
    cla_classes: tuple[int, ...]
    p1p2_edges: tuple[int, ...]
    seed: int
    prov: Provenance


@dataclass(frozen=True)
class TearingSpec:
    """SEC-TEAR-1 through a reader: delays (ms) after sending a write at which power is cut."""

    reader_delays_ms: tuple[int, ...]
    prov: Provenance


@dataclass(frozen=True)
class BehaviourChoice(Generic[T]):
    """A decision where PROFILE.md is silent or ambiguous, recorded as data with its reason."""

    name: str
    value: T
    why: str
    prov: Provenance


@dataclass(frozen=True)
class Behaviour:
    """Every choice of the profile's `behaviour:` section as a typed field (the loader requires
    each one and refuses names it does not know), so a misspelt choice fails at load time rather
    than falling back to a default where it is read. Each keeps its reason and provenance."""

    lifecycle_mac_key_version: BehaviourChoice[str]  # "active" or a key version
    psam_case4_response: BehaviourChoice[str]
    psam_key_scope: BehaviourChoice[str]
    psam_derive_levels: BehaviourChoice[str]
    psam_terminal_number_scope: BehaviourChoice[str]
    card_sm_key_version: BehaviourChoice[str]
    card_short_apdu: BehaviourChoice[StatusWordName]
    card_unexpected_data_field: BehaviourChoice[StatusWordName]
    card_blocked_application_check: BehaviourChoice[str]
    card_lifecycle_wrong_state: BehaviourChoice[StatusWordName]
    card_reload_pin_sets_pin_state: BehaviourChoice[bool]
    card_pin_blocked_before_format: BehaviourChoice[bool]
    card_select_by_name_match: BehaviourChoice[str]
    card_select_p2_without_fci: BehaviourChoice[int]  # a SELECT P2 byte (quoted hex in YAML)
    card_sfi_selects_ef: BehaviourChoice[bool]
    card_missing_le: BehaviourChoice[str]
    card_update_binary_overflow: BehaviourChoice[StatusWordName]
    card_tearing_at_write_end: BehaviourChoice[str]
    card_try_counter_write: BehaviourChoice[str]

    def choices(self) -> dict[str, BehaviourChoice[object]]:
        """Every choice by name, in declaration order (for reports and provenance references)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Profile:
    name: str
    title: Text
    generation: int
    spec_version: str
    algorithm: Algorithm
    algorithm_id: int
    atr: AtrSpec
    files: Mapping[str, FileDef]
    commands: Mapping[str, CommandDef]
    sw: StatusWords
    check_order: tuple[tuple[str, ...], ...]
    t0_case4: frozenset[str]
    t0_max_response: int
    timing: TimingSpec
    randomness: RandomnessSpec
    security: SecuritySpec
    robustness: RobustnessSpec | None  # None: the profile declares no SEC-ROB-1 battery
    tearing: TearingSpec | None  # None: no power cuts through a reader
    fci_templates: Mapping[str, TlvTemplate]
    dir_record: TlvTemplate
    psam: PsamSpec
    card_id: CardIdLayout
    card_types: CardTypes
    behaviour: Behaviour  # card behaviour the spec leaves open, chosen here
    prov: Mapping[str, Provenance]  # provenance of top-level sections: spec_version, algorithm, check_order, t0
    sources: tuple[str, ...]  # the data files this profile was built from (extends chain)
    digest: str  # SHA-256 over the source files, for reports

    def file(self, path: str) -> FileDef:
        try:
            return self.files[path]
        except KeyError:
            raise KeyError(f"profile {self.name} declares no file {path!r}") from None

    def children(self, path: str) -> list[FileDef]:
        return [f for f in self.files.values() if f.parent == path]

    def df_of(self, path: str) -> FileDef:
        """The DF a file lives in (the file itself when it is a DF)."""
        f = self.file(path)
        return f if f.is_df else self.file(f.parent or "MF")

    def command(self, name: str) -> CommandDef:
        try:
            return self.commands[name]
        except KeyError:
            raise KeyError(f"profile {self.name} declares no command {name!r}") from None

    def keys(self) -> list[KeyDef]:
        return [k for f in self.files.values() for k in f.keys.values()]

    def behind_firewall(self, path: str) -> bool:
        """Whether `path` is a firewalled DF or lies below one (PROFILE §6.5: the PSE's keys,
        files and states are disjoint from SSSE's, and an SSC terminal's PSAM holds none of them)."""
        node: str | None = path
        while node is not None:
            f = self.file(node)
            if FIREWALLED in f.flags:
                return True
            node = f.parent
        return False

    def command_key(self, command: str) -> KeyDef:
        """The key PROFILE §5 binds to `command` (PUK for RELOAD PIN, STK for APPLICATION BLOCK, ...),
        as the profile declares it (`commands.<name>.key`): no key name is written in code."""
        key = self.command(command).key
        if key is None:
            raise KeyError(f"profile {self.name}: command {command!r} declares no key (commands.{command}.key)")
        return self.key(key)

    def internal_key(self) -> KeyDef:
        """The internal-authentication key (IRK): the key INTERNAL AUTHENTICATE declares."""
        return self.command_key("internal_authenticate")

    def key(self, name: str) -> KeyDef:
        for k in self.keys():
            if k.name == name:
                return k
        raise KeyError(f"profile {self.name} declares no key {name!r}")

    def efs(self) -> list[FileDef]:
        return [f for f in self.files.values() if f.is_ef]
