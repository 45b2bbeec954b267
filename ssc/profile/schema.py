"""The profile format ``ssc-profile/1`` as a schema model: the shape of every section of a profile.

Two views of one description:

- `ProfileDocument` is a complete profile — the document the loader gets after merging the
  ``extends`` chain (or a self-contained lab profile). Required fields are required.
- `ProfileLayer` is one file of a chain (common.yaml, gen2.yaml, a lab's overlay): derived from
  `ProfileDocument` with every field optional and ``null`` allowed, since an overlay sets only what
  it changes and deletes with ``null``. ``schemas/ssc-profile-1.schema.json`` is this view: it is
  what an editor can check in a single file.

The loader validates each file against `ProfileLayer` (the error names the file at fault), then the
merged document against `ProfileDocument`; its own checks (access-rule grammar, references between
sections, the '*' default of a provenance mapping, ...) follow unchanged.
"""

from __future__ import annotations

import functools
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, create_model

from ssc.formats import Check, DataModel, NonEmptyStr, hex_bytes, value_error
from ssc.formats.types import HEX_DIGIT

__all__ = ["FORMAT", "ProfileDocument", "ProfileLayer"]

FORMAT = "ssc-profile/1"
FileKind = Literal["mf", "ddf", "adf", "linear", "cyclic", "transparent"]
ItemFormat = Literal["an", "cn", "b"]
KeyUse = Literal["external", "internal"]
KeyLevel = Literal["national", "local"]
Presence = Literal["mandatory", "optional", "local"]
DiversificationLevel = Literal["province", "city", "card"]
Right = Literal["read", "update", "append"]
_TAGS = ("C", "D", "I", "S")

Hex1 = Annotated[str, hex_bytes(1)]
Hex2 = Annotated[str, hex_bytes(2)]
HexAny = Annotated[str, hex_bytes()]
Count = Annotated[int, Field(ge=1)]
Offset = Annotated[int, Field(ge=0)]


def _prov(value: Any) -> Any:
    tags = ", ".join(_TAGS[:-1]) + f" or {_TAGS[-1]}"
    if isinstance(value, str):
        if value not in _TAGS:
            raise value_error(f"expected a provenance tag {tags}, got {value!r}")
        return value
    if not isinstance(value, dict):
        raise value_error(f"expected a provenance tag ({tags}) or a mapping of field → tag with a '*' default, got {value!r}")
    for field_name, tag in value.items():
        if tag not in _TAGS:
            raise value_error(f"expected a provenance tag {tags}, got {tag!r}", at=str(field_name))
    return value


_TAG_SCHEMA = {"enum": list(_TAGS)}
Prov = Annotated[
    Any,
    Check(
        _prov,
        {
            "description": "provenance: C seen in public code working with real cards, D public documents, I inferred, "
            "S stand-in; one letter, or {'*': default, field: letter}",
            "anyOf": [_TAG_SCHEMA, {"type": "object", "additionalProperties": _TAG_SCHEMA}],
        },
    ),
]


def _status_word(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 4 or not all(c in "0123456789ABCDEFabcdef" for c in value.rstrip("Xx")):
        raise value_error(f'expected a status word as 4 hex digits, the last one or two may be X ("9000", "63CX", "61XX"), got {value!r}')
    return value


StatusWordPattern = Annotated[
    str, Check(_status_word, {"type": "string", "pattern": f"^{HEX_DIGIT}{{2}}({HEX_DIGIT}{{2}}|{HEX_DIGIT}X|XX)$"})
]


def _tlv(value: Any, at: str = "") -> Any:
    if not isinstance(value, dict) or not value:
        raise value_error(f"expected a mapping of hex tags, got {value!r}", at=at)
    for tag, child in value.items():
        where = f"{at}.{tag}" if at else str(tag)
        if not isinstance(tag, str) or not tag or len(tag) % 2 or any(c not in "0123456789ABCDEFabcdef" for c in tag):
            raise value_error(f"expected a quoted hex tag, got {tag!r}", at=where)
        if isinstance(child, dict):
            _tlv(child, where)
        elif not isinstance(child, str):
            raise value_error(f"expected a hex string (with {{placeholders}}) or a nested mapping, got {child!r}", at=where)
    return value


TlvTree = Annotated[
    Any,
    Check(
        _tlv,
        {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": f"^({HEX_DIGIT}{{2}})+$"},
            "additionalProperties": {"type": ["string", "object"]},
            "description": "hex tag → a primitive value (hex with {placeholders}) or a nested mapping (constructed TLV)",
        },
    ),
]


def _digit_string(value: Any) -> str:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise value_error(f"expected a string of digits (quoted), got {value!r}")
    return value


DigitString = Annotated[str, Check(_digit_string, {"type": "string", "pattern": "^[0-9]+$"})]


def _param(value: Any) -> Any:
    ok_hex = isinstance(value, str) and len(value) == 2 and all(c in "0123456789ABCDEFabcdef" for c in value)
    ok_list = isinstance(value, list) and all(isinstance(v, str) and len(v) == 2 for v in value)
    ok_int = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if not (ok_hex or ok_list or ok_int):
        raise value_error(f'expected one byte as quoted hex ("0C"), a list of them, or an integer, got {value!r}')
    return value


CommandParam = Annotated[
    Any,
    Check(
        _param,
        {
            "anyOf": [
                {"type": "string", "pattern": f"^{HEX_DIGIT}{{2}}$"},
                {"type": "array", "items": {"type": "string", "pattern": f"^{HEX_DIGIT}{{2}}$"}},
                {"type": "integer", "minimum": 0},
            ]
        },
    ),
]


class Text(DataModel):
    """A text in Chinese and English."""

    zh: NonEmptyStr
    """Chinese"""
    en: NonEmptyStr
    """English"""


class TaggedValue(DataModel):
    """A value with its provenance."""

    value: NonEmptyStr
    """the value"""
    prov: Prov
    """provenance of the value"""


class AlgorithmSpec(DataModel):
    """The generation's algorithm."""

    name: NonEmptyStr
    """3DES or SM4 (PROFILE §1)"""
    fci_id: Hex1
    """the algorithm id in the FCI (tag 9F0C), one byte of hex"""
    prov: Prov


class Span(DataModel):
    """Where a field lies: byte offset and length."""

    offset: Offset
    """byte offset, from 0"""
    length: Count
    """length in bytes"""


class AtrSpec(DataModel):
    """The card's ATR and its historical bytes (PROFILE §2)."""

    prov: Prov
    prefix: HexAny
    """the ATR bytes before the historical bytes"""
    historical_length: Count
    """number of historical bytes"""
    fields: dict[str, Span]
    """named fields inside the historical bytes"""
    card_sn: Span
    """the card serial number (the card-level diversification factor) inside the historical bytes"""
    known_chip_makers: list[Hex2]
    """chip-maker codes a card may carry"""
    reference_prefix: HexAny
    """the reference card's first historical bytes"""
    reference_card_maker: HexAny
    """the reference card's card-maker code"""


class StatusWordSpec(DataModel):
    """A status word with its meaning (PROFILE §5)."""

    sw: StatusWordPattern
    """4 hex digits; the last one or two may be X (a variable part)"""
    en: NonEmptyStr
    """meaning in English"""
    zh: NonEmptyStr
    """meaning in Chinese"""
    prov: Prov


class CheckOrder(DataModel):
    """The order in which a card checks a command (PROFILE §5)."""

    prov: Prov
    groups: list[list[NonEmptyStr]]
    """groups of status-word names, first checked first"""


class CommandSpec(DataModel):
    """A card command: class bytes, instruction and parameters (PROFILE §5)."""

    cla: list[Hex1]
    """the CLA bytes the command is accepted with"""
    ins: Hex1
    """the INS byte"""
    prov: Prov
    params: dict[str, CommandParam] | None = None
    """named parameters: one byte as hex, a list of bytes, or an integer"""
    key: NonEmptyStr | None = None
    """the key the command needs (a key name declared under files), for commands that use one"""
    sensitive: Literal["command_data", "response_data"] | None = None
    """which data the trace masks"""
    virtual_only: bool = False
    """a test facility of the reference card, never sent to a physical card"""


class TimingSpec(DataModel):
    """How long a card may take: commands in `slow_commands` get `slow_factor` times the run's
    per-APDU deadline (EEPROM writes, PIN changes and cryptography are slower on real chips)."""

    prov: Prov
    slow_commands: list[NonEmptyStr]
    """command names (keys of commands)"""
    slow_factor: Count
    """multiplier of the per-APDU deadline"""


class RobustnessSpec(DataModel):
    """The malformed- and random-APDU battery of SEC-ROB-1: how many APDUs it may send and which
    CLA classes and P1/P2 edge values its systematic phases sweep."""

    prov: Prov
    budget_reader: Count
    """APDUs sent to a card in a reader"""
    budget_embedded: Count
    """APDUs sent to the embedded reference card (in-process)"""
    cla_classes: list[Hex1]
    """one CLA per ISO/IEC 7816-4 class (plain, secure messaging, channels, chaining, proprietary, invalid)"""
    p1p2_edges: list[Hex1]
    """the P1 and P2 values every defined command is sent with"""
    seed: Annotated[int, Field(ge=0)]
    """seed of the random APDUs (the same card gets the same APDUs in every run)"""


class TearingSpec(DataModel):
    """SEC-TEAR-1 on a card in a reader: the delays after sending a write at which the reader cuts
    the card's power (best effort: PC/SC cannot cut inside an exchange it is still waiting for)."""

    prov: Prov
    reader_delays_ms: list[Annotated[int, Field(ge=0)]]
    """milliseconds between sending the write and cutting power"""


def _alpha(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise value_error(f"expected a significance level between 0 and 1 (exclusive), got {value!r}")
    return float(value)


Alpha = Annotated[float, Check(_alpha, {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1})]


class RandomnessSpec(DataModel):
    """The GET CHALLENGE randomness checks of STD-CMD-3: the GM/T 0005 / NIST SP 800-22 battery's
    significance level and parameters, and how many challenges the structure checks collect."""

    prov: Prov
    alpha: Alpha
    """significance level of each statistical test (0.01 in GM/T 0005 and SP 800-22)"""
    block_length: Count
    """block frequency test: bits per block"""
    poker_width: Count
    """poker test: bits per word (4 or 8 in GM/T 0005)"""
    min_bits: Count
    """bits of challenge output the battery needs at least (the default of --random-bits)"""
    challenge_length: Count
    """Le of the GET CHALLENGEs that collect the samples"""
    resets: Count
    """resets whose first challenges must all differ"""
    series: Count
    """successive challenges checked for counters and progressions"""
    retests: Annotated[int, Field(ge=0)]
    """fresh samples allowed after a sample that fails exactly one test"""


class TaggedCount(DataModel):
    """A count with its provenance."""

    value: Count
    prov: Prov


class T0Spec(DataModel):
    """T=0 transmission (PROFILE §5)."""

    prov: Prov
    case4_via_61xx: list[NonEmptyStr]
    """commands that answer 61xx and return their data through GET RESPONSE"""
    max_response: Count
    """the longest response in bytes"""


class PinSpec(DataModel):
    """The cardholder PIN."""

    prov: Prov
    df: NonEmptyStr
    """the DF holding the PIN (a path in files)"""
    initial: DigitString
    """the PIN of test cards, quoted digits"""
    tries: Count
    """tries before the PIN is blocked"""


class KeyDefaults(DataModel):
    """Versions, active version and tries of every key that does not say otherwise."""

    prov: Prov
    versions: list[Hex1]
    active: Hex1
    tries: Count


class ChallengeSpec(DataModel):
    """GET CHALLENGE lengths."""

    prov: Prov
    external_auth: Count
    """challenge length for EXTERNAL AUTHENTICATE"""
    mac: Count
    """challenge length for a MAC"""


class DiversificationSpec(DataModel):
    """Key diversification (PROFILE §6.2)."""

    prov: Prov
    province_factor: NonEmptyStr
    """template of the province factor"""
    city_factor: NonEmptyStr
    """template of the city factor"""
    levels: list[DiversificationLevel]
    """levels of a national key, in order from the root"""
    local_levels: list[DiversificationLevel]
    """levels of a local (DF80) key, from the city's root"""


class TestRootsSpec(DataModel):
    """Templates of the public deterministic test roots (PROFILE §6.2)."""

    __test__ = False  # not a pytest class

    prov: Prov
    national: NonEmptyStr
    local: NonEmptyStr
    warning: NonEmptyStr


class LifecycleSpec(DataModel):
    """The application life cycle (PROFILE §6.5)."""

    prov: Prov
    blocked_allows: list[NonEmptyStr]
    """commands a blocked application still accepts"""


class SecuritySpec(DataModel):
    """PIN, keys, challenges, MACs, diversification, test roots, life cycle (PROFILE §6)."""

    pin: PinSpec
    key_defaults: KeyDefaults
    challenge: ChallengeSpec
    mac_length: TaggedCount
    """MAC length in bytes"""
    diversification: DiversificationSpec
    test_roots: TestRootsSpec
    lifecycle: LifecycleSpec


class TlvTemplate(DataModel):
    """A TLV template: lengths are computed; values may hold {placeholders}."""

    prov: Prov
    tlv: TlvTree


class RecordSpec(DataModel):
    """A record layout of a linear or cyclic EF, keyed by its tag."""

    item: NonEmptyStr
    """the data item's name"""
    length: Count
    """length in bytes"""
    fmt: ItemFormat
    """an (alphanumeric), cn (compressed numeric) or b (binary)"""
    check: str | None = None
    """the content check applied to the item (ssc/record_checks.py), or null"""
    title: Text
    prov: Prov


class KeySpec(DataModel):
    """A key of a DF."""

    id: Hex1
    """the key id, one byte of hex"""
    use: KeyUse
    level: KeyLevel
    """national keys are diversified from national roots, local keys from a city's root"""
    prov: Prov
    versions: list[Hex1] | None = None
    """versions loaded (default security.key_defaults.versions)"""
    active: Hex1 | None = None
    """the active version (default security.key_defaults.active)"""
    tries: Count | None = None
    """tries before the key is blocked (default security.key_defaults.tries)"""


class FileSpec(DataModel):
    """A file of the card, keyed by its path (MF, SSSE, SSSE/DF01/EF05, ...)."""

    kind: FileKind
    fid: Hex2
    """the file identifier, 2 bytes of hex"""
    title: Text
    prov: Prov
    sfi: Hex1 | None = None
    """the short file identifier of an EF"""
    name: HexAny | None = None
    """the DF name (AID), hex"""
    label: NonEmptyStr | None = None
    """the label in the DIR record"""
    fci: NonEmptyStr | None = None
    """the FCI template (a name in fci_templates)"""
    presence: Presence | None = None
    """mandatory (default), optional or local"""
    access: dict[Right, NonEmptyStr | None] | None = None
    """access rules by right: free, never, PIN, AUTH <key>, SM <key>, joined by 'and' or 'or' (PROFILE §3.3)"""
    records: dict[Annotated[str, hex_bytes(1, what="a record tag, 1 byte of hex")], RecordSpec] | None = None
    """record layouts by tag, in record-number order"""
    keys: dict[str, KeySpec] | None = None
    """the keys of a DF by name"""
    size: Count | None = None
    """size of a transparent EF in bytes"""
    record_count: Count | None = None
    """number of records of a cyclic EF"""
    dir: bool | None = None
    """the DIR file of its DF"""
    reserved: bool | None = None
    """reserved for future use"""
    firewalled: bool | None = None
    """a DF whose files other applications cannot reach"""
    nationwide_writable: bool | None = None
    """writable by any region's terminal"""


class PsamTerminalNumber(DataModel):
    """The PSAM's terminal-number EF."""

    fid: Hex2
    sfi: Hex1
    length: Count
    """length in bytes (BCD)"""


class PsamCommand(DataModel):
    """A PSAM command's class and instruction bytes."""

    cla: Hex1
    ins: Hex1


class PsamKeyUsage(DataModel):
    """P1 of DERIVE KEY: b8–b6 the number of levels, b5–b1 the key type."""

    levels_shift: Offset
    """bit position of the level count in P1"""
    internal_auth: Hex1
    external_auth: Hex1
    mac: Hex1


class PsamSpec(DataModel):
    """The PSAM (PROFILE §7)."""

    prov: Prov
    dfs: dict[str, Hex2]
    """the PSAM DF (FID) of each algorithm"""
    terminal_number: PsamTerminalNumber
    commands: dict[str, PsamCommand]
    use_key_p2: Hex1
    key_usage: PsamKeyUsage
    use_modes: dict[str, Hex1]
    """P1 of USE KEY by mode"""
    atr: HexAny
    """the software PSAM's ATR"""


class BehaviourChoice(DataModel):
    """A choice where PROFILE.md is silent or ambiguous: the value, and why."""

    value: Any
    why: NonEmptyStr
    prov: Prov


class CardIdRid(Span):
    """The RID inside the card identification code."""

    value: HexAny
    """the RID bytes"""


class CardIdCode(DataModel):
    """Layout of the card identification code (EF05 tag 01, PROFILE §4.1)."""

    prov: Prov
    region: Span
    rid: CardIdRid
    serial: Span
    mac: Span
    mac_key: NonEmptyStr
    """the key the MAC is computed under"""


class CardTypes(DataModel):
    """The card-type codes a card may carry (EF05 tag 02)."""

    prov: Prov
    values: Annotated[dict[str, Text], Field(min_length=1)]
    """quoted code → meaning"""


class DataElements(DataModel):
    """Layouts of composite data elements (PROFILE §4)."""

    card_id_code: CardIdCode
    card_type: CardTypes


class ProfileDocument(DataModel):
    """A card profile, format ssc-profile/1: file tree, records, access rules, keys, commands and
    status words of one card generation, each value with its provenance. A file may extend
    another (`extends`); null in an extending file deletes the inherited key."""

    format: Literal["ssc-profile/1"]
    """the format and its version"""
    extends: NonEmptyStr | None = None
    """the file this one extends, next to it (e.g. common.yaml)"""
    profile: NonEmptyStr
    """the profile's name (gen1, gen2, ...)"""
    profile_version: NonEmptyStr | None = None
    """version of the profile data"""
    title: Text
    generation: Count
    """the card generation"""
    spec_version: TaggedValue
    """the specification version the card announces (EF05 tag 03)"""
    algorithm: AlgorithmSpec
    atr: AtrSpec
    status_words: dict[str, StatusWordSpec]
    check_order: CheckOrder
    commands: dict[str, CommandSpec]
    t0: T0Spec
    randomness: RandomnessSpec
    """parameters of the GET CHALLENGE randomness checks (STD-CMD-3)"""
    timing: TimingSpec | None = None
    """per-command deadlines; without it every command gets the plain per-APDU deadline"""
    robustness: RobustnessSpec | None = None
    """the SEC-ROB-1 battery; without it SEC-ROB-1 is inconclusive"""
    tearing: TearingSpec | None = None
    """power cuts through a reader for SEC-TEAR-1; without it that scenario is inconclusive"""
    security: SecuritySpec
    fci_templates: dict[str, TlvTemplate]
    dir_record: TlvTemplate
    files: dict[str, FileSpec]
    psam: PsamSpec
    behaviour: dict[str, BehaviourChoice] | None = None
    """choices where PROFILE.md is silent or ambiguous"""
    data_elements: DataElements


# -- one file of an extends chain -------------------------------------------------------------


# typing's constructors, as values: the layer's types are built at run time
_Annotated: Any = Annotated
_Dict: Any = dict
_List: Any = list
_Union: Any = Union


def _layer_type(tp: Any) -> Any:
    """`tp` with every model replaced by its layer and every mapping value nullable (null deletes)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _layer(tp)
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return _Annotated[(_layer_type(args[0]), *args[1:])]
    if origin is dict:
        return _Dict[args[0], _Union[_layer_type(args[1]), None]]
    if origin is list:
        return _List[_layer_type(args[0])]
    if origin is Union or origin is types.UnionType:
        return _Union[tuple(_layer_type(a) for a in args)]
    return tp


@functools.cache
def _layer(model: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = _Annotated[(_layer_type(info.annotation), *info.metadata)] if info.metadata else _layer_type(info.annotation)
        required_here = model is ProfileDocument and name == "format"  # every file says what it is
        fields[name] = (
            (annotation, Field(description=info.description))
            if required_here
            else (annotation | None, Field(None, description=info.description))
        )
    # descriptions are passed on explicitly; reading docstrings from source again is slow and finds none
    config = ConfigDict(**{**model.model_config, "title": model.__name__, "use_attribute_docstrings": False})
    return create_model(model.__name__, __config__=config, __doc__=model.__doc__, **fields)


ProfileLayer: type[BaseModel] = _layer(ProfileDocument)
