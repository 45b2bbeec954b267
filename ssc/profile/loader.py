"""Load a profile from YAML data, resolving `extends`, and reject malformed data precisely.

A lab edits these files by hand, so every error names the file(s), the field path and what was
expected — e.g. ``gen3.yaml (extends common.yaml): files.SSSE/EF06.access.read: expected an access
rule ..., got 'AUTH FOO'``. The shape of each file and of the merged profile is the schema model
ssc/profile/schema.py, checked first; the checks here add the grammar of values and the references
between sections.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import string
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ssc.crypto.algorithm import Algorithm
from ssc.formats import validate
from ssc.profile import model as m
from ssc.profile.access import AccessRuleError, parse_rule
from ssc.profile.schema import ProfileDocument, ProfileLayer
from ssc.profile.templates import DIR_RECORD_PLACEHOLDERS, FCI_PLACEHOLDERS

DATA_DIR = Path(__file__).parent / "data"
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it
FORMAT = "ssc-profile/1"
FILE_KINDS = ("mf", "ddf", "adf", "linear", "cyclic", "transparent")
ITEM_FORMATS = ("an", "cn", "b")
KEY_USES = ("external", "internal")
KEY_LEVELS = ("national", "local")
PRESENCE = ("mandatory", "optional", "local")
FILE_FLAGS = ("dir", "reserved", m.FIREWALLED, "nationwide_writable")
DIVERSIFICATION_LEVELS = ("province", "city", "card")
RIGHTS = ("read", "update", "append")
# The placeholders each text template may use: the values its renderer supplies
# (ssc.crypto.diversify formats a factor with the region code; ssc.crypto.testroots formats a root
# with the key name, its version and the algorithm, and a local root with the region code too).
FACTOR_PLACEHOLDERS = frozenset({"region"})
NATIONAL_ROOT_PLACEHOLDERS = frozenset({"name", "version", "alg"})
LOCAL_ROOT_PLACEHOLDERS = NATIONAL_ROOT_PLACEHOLDERS | {"region"}


class ProfileError(ValueError):
    def __init__(self, sources: str, path: str, message: str) -> None:
        super().__init__(f"{sources}: {path}: {message}")
        self.sources = sources
        self.field = path


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in DATA_DIR.glob("gen*.yaml"))


def resolve_profile_path(name_or_path: str | Path) -> Path:
    """A built-in profile name ("gen2") or a path to a lab's own YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise FileNotFoundError(f"profile file {candidate} does not exist")
        return candidate
    builtin = DATA_DIR / f"{name_or_path}.yaml"
    if not builtin.is_file():
        raise FileNotFoundError(f"no built-in profile named {name_or_path!r}; built-in profiles: {', '.join(builtin_profiles())}")
    return builtin


def load_profile(name_or_path: str | Path) -> m.Profile:
    """Load (once per file version: profiles are immutable values, and every run loads several)."""
    path = resolve_profile_path(name_or_path).resolve()
    return _load_cached(path, _chain_stamp(path))


def _chain_stamp(path: Path) -> tuple[tuple[str, int], ...]:
    """Modification stamps of the file and what it extends, so an edited profile is reloaded."""
    stamps, seen = [], set()
    while path not in seen and path.is_file():
        seen.add(path)
        stamps.append((str(path), path.stat().st_mtime_ns))
        parent = _extends_name(path)
        if parent is None:
            break
        path = (path.parent / parent).resolve()
    return tuple(stamps)


def _extends_name(path: Path) -> str | None:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("extends:"):
            return line.partition(":")[2].split("#")[0].strip().strip("'\"") or None
    return None


@functools.lru_cache(maxsize=32)
def _load_cached(path: Path, _stamp: tuple[tuple[str, int], ...]) -> m.Profile:
    raw, chain = _load_chain(path, [])
    label = _label(chain)
    validate(ProfileDocument, raw, lambda field, message: ProfileError(label, field, message))  # the merged shape (ssc/profile/schema.py)
    digest = hashlib.sha256()
    for p in chain:
        digest.update(p.name.encode() + b"\0" + p.read_bytes())
    return _Builder(label).profile(raw, tuple(str(p) for p in chain), digest.hexdigest())


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        raise ProfileError(path.name, "(file)", f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ProfileError(path.name, "(file)", f"expected a mapping at the top level, got {type(data).__name__}")
    if data.get("format") != FORMAT:
        raise ProfileError(path.name, "format", f"expected {FORMAT!r}, got {data.get('format')!r}")
    return data


def _load_chain(path: Path, seen: list[Path]) -> tuple[dict[str, Any], list[Path]]:
    resolved = path.resolve()
    if resolved in seen:
        raise ProfileError(path.name, "extends", f"circular extends chain: {' -> '.join(p.name for p in seen + [resolved])}")
    data = _read_yaml(path)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        _check_layer(data, [path])
        return data, [path]
    if not isinstance(parent_name, str):
        raise ProfileError(path.name, "extends", f"expected a file name, got {parent_name!r}")
    parent_path = path.parent / parent_name
    if not parent_path.is_file():
        raise ProfileError(path.name, "extends", f"the file {parent_name!r} does not exist next to {path.name}")
    base, chain = _load_chain(parent_path, seen + [resolved])
    _check_layer(data, [path] + chain)
    return _merge(base, data), [path] + chain


def _label(chain: list[Path]) -> str:
    """``gen3.yaml (extends common.yaml)``: the file and what it extends, for messages."""
    return chain[0].name + (f" (extends {', '.join(p.name for p in chain[1:])})" if len(chain) > 1 else "")


def _check_layer(data: dict[str, Any], chain: list[Path]) -> None:
    """The shape of one file of the chain (schemas/ssc-profile-1.schema.json), before merging, so
    an error names the file at fault."""
    validate(ProfileLayer, data, lambda field, message: ProfileError(_label(chain), field, message))


def _merge(base: Any, overlay: Any, key: str = "") -> Any:
    """Deep-merge mappings; `null` deletes a key; lists and scalars are replaced. `prov` letters
    are widened to mappings first, so an overlay can re-tag one field and keep the default."""
    if key == "prov":
        base, overlay = _prov_mapping(base), _prov_mapping(overlay)
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = copy.deepcopy(base)
        for k, v in overlay.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = _merge(out[k], v, k)
            else:
                out[k] = copy.deepcopy(v)
        return out
    return copy.deepcopy(overlay)


def _prov_mapping(value: Any) -> Any:
    return {"*": value} if isinstance(value, str) else value


class _Builder:
    """Turns merged raw data into model objects; every accessor knows the field path it reads."""

    def __init__(self, sources: str) -> None:
        self.sources = sources

    def fail(self, path: str, message: str) -> ProfileError:
        return ProfileError(self.sources, path, message)

    # -- primitive readers -------------------------------------------------------------------
    def get(self, obj: Mapping[str, Any], key: str, path: str, default: Any = ...) -> Any:
        if not isinstance(obj, Mapping):
            raise self.fail(path, f"expected a mapping, got {obj!r}")
        if key not in obj:
            if default is ...:
                raise self.fail(f"{path}.{key}" if path else key, "missing (required)")
            return default
        return obj[key]

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {value!r}")
        return value

    def sequence(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {value!r}")
        return value

    def hexbytes(self, value: Any, path: str, length: int | None = None) -> bytes:
        if not isinstance(value, str):
            raise self.fail(path, f'expected a quoted hex string like "0A", got {value!r} ({type(value).__name__}); quote it in YAML')
        try:
            out = bytes.fromhex(value)
        except ValueError:
            raise self.fail(path, f"expected hex digits, got {value!r}") from None
        if length is not None and len(out) != length:
            raise self.fail(path, f"expected {length} byte(s) of hex, got {len(out)} ({value!r})")
        return out

    def hexint(self, value: Any, path: str, length: int = 1) -> int:
        return int.from_bytes(self.hexbytes(value, path, length), "big")

    def integer(self, value: Any, path: str, minimum: int = 0) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.fail(path, f"expected an integer ≥ {minimum}, got {value!r}")
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, f"expected a non-empty string, got {value!r}")
        return value

    def choice(self, value: Any, path: str, options: tuple[str, ...]) -> str:
        if value not in options:
            raise self.fail(path, f"expected one of {', '.join(options)}, got {value!r}")
        return value

    def text(self, value: Any, path: str) -> m.Text:
        return m.Text(self.string(self.get(value, "zh", path), f"{path}.zh"), self.string(self.get(value, "en", path), f"{path}.en"))

    def prov(self, obj: Mapping[str, Any], path: str) -> m.Provenance:
        raw = _prov_mapping(self.get(obj, "prov", path))
        ppath = f"{path}.prov" if path else "prov"
        if not isinstance(raw, dict) or "*" not in raw:
            raise self.fail(ppath, f"expected a tag (C, D, I or S) or a mapping with a '*' default, got {raw!r}")
        for field_name, tag in raw.items():
            if tag not in m.PROVENANCE_TAGS:
                raise self.fail(f"{ppath}.{field_name}", f"expected a provenance tag C, D, I or S, got {tag!r}")
        return m.Provenance(dict(raw))

    def tagged_scalar(self, raw: Mapping[str, Any], key: str, path: str = "") -> tuple[Any, m.Provenance]:
        p = f"{path}.{key}" if path else key
        obj = self.get(raw, key, path)
        return self.get(obj, "value", p), self.prov(obj, p)

    def flag(self, obj: Mapping[str, Any], key: str, path: str) -> bool:
        """An optional yes/no field: absent is false; anything but true/false is refused (YAML
        reads `yes`, `1` or `"no"` otherwise as a truthy value the lab did not mean)."""
        value = obj.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"{path}.{key}", f"expected true or false, got {value!r}")
        return value

    def template_text(self, value: Any, path: str, known: frozenset[str]) -> str:
        """A str.format template whose placeholders are all among `known` (checked now, not
        when a value is first rendered deep inside a run)."""
        text = self.string(value, path)
        try:
            names = [fname for _, fname, _, _ in string.Formatter().parse(text) if fname is not None]
        except ValueError as exc:
            raise self.fail(path, f"expected a template with {{placeholders}}, got {text!r}: {exc}") from None
        for fname in names:
            if fname not in known:
                raise self.fail(path, f"unknown placeholder {{{fname}}} in {text!r}; expected one of {', '.join(sorted(known))}")
        return text

    # -- sections ----------------------------------------------------------------------------
    def profile(self, raw: dict[str, Any], sources: tuple[str, ...], digest: str) -> m.Profile:
        name = self.string(self.get(raw, "profile", ""), "profile")
        generation = self.integer(self.get(raw, "generation", ""), "generation", 1)
        spec_version, spec_prov = self.tagged_scalar(raw, "spec_version")
        alg_raw = self.get(raw, "algorithm", "")
        alg_name = self.get(alg_raw, "name", "algorithm")
        try:
            algorithm = Algorithm.from_name(alg_name)
        except ValueError as exc:
            raise self.fail("algorithm.name", str(exc)) from None
        files = self.files(self.get(raw, "files", ""))
        sw = self.status_words(self.get(raw, "status_words", ""))
        commands = self.commands(self.get(raw, "commands", ""))
        profile = m.Profile(
            name=name,
            title=self.text(self.get(raw, "title", ""), "title"),
            generation=generation,
            spec_version=self.string(spec_version, "spec_version.value"),
            algorithm=algorithm,
            algorithm_id=self.hexint(self.get(alg_raw, "fci_id", "algorithm"), "algorithm.fci_id"),
            atr=self.atr(self.get(raw, "atr", "")),
            files=files,
            commands=commands,
            sw=sw,
            check_order=self.check_order(self.get(raw, "check_order", ""), sw),
            t0_case4=self.t0_case4(self.get(raw, "t0", ""), commands),
            t0_max_response=self.integer(self.get(self.get(raw, "t0", ""), "max_response", "t0"), "t0.max_response", 1),
            timing=self.timing(raw.get("timing"), commands),
            randomness=self.randomness(self.get(raw, "randomness", ""), commands),
            robustness=self.robustness(raw.get("robustness")),
            tearing=self.tearing(raw.get("tearing")),
            security=self.security(self.get(raw, "security", ""), files, commands),
            fci_templates={
                k: self.tlv_template(v, f"fci_templates.{k}", FCI_PLACEHOLDERS)
                for k, v in self.mapping(self.get(raw, "fci_templates", ""), "fci_templates").items()
            },
            dir_record=self.tlv_template(self.get(raw, "dir_record", ""), "dir_record", DIR_RECORD_PLACEHOLDERS),
            psam=self.psam(self.get(raw, "psam", "")),
            card_id=self.card_id(self.get(self.get(raw, "data_elements", ""), "card_id_code", "data_elements")),
            card_types=self.card_types(self.get(self.get(raw, "data_elements", ""), "card_type", "data_elements")),
            behaviour=self.behaviour(self.mapping(raw.get("behaviour") or {}, "behaviour"), sw),
            prov={
                "spec_version": spec_prov,
                "algorithm": self.prov(alg_raw, "algorithm"),
                "check_order": self.prov(self.get(raw, "check_order", ""), "check_order"),
                "t0": self.prov(self.get(raw, "t0", ""), "t0"),
            },
            sources=sources,
            digest=digest,
        )
        self.cross_check(profile)
        return profile

    def atr(self, raw: Mapping[str, Any]) -> m.AtrSpec:
        fields = {}
        for fname, spec in self.mapping(self.get(raw, "fields", "atr"), "atr.fields").items():
            p = f"atr.fields.{fname}"
            fields[fname] = (
                self.integer(self.get(spec, "offset", p), f"{p}.offset"),
                self.integer(self.get(spec, "length", p), f"{p}.length", 1),
            )
        sn = self.get(raw, "card_sn", "atr")
        return m.AtrSpec(
            prefix=self.hexbytes(self.get(raw, "prefix", "atr"), "atr.prefix"),
            historical_length=self.integer(self.get(raw, "historical_length", "atr"), "atr.historical_length", 1),
            fields=fields,
            card_sn=(
                self.integer(self.get(sn, "offset", "atr.card_sn"), "atr.card_sn.offset"),
                self.integer(self.get(sn, "length", "atr.card_sn"), "atr.card_sn.length", 1),
            ),
            known_chip_makers=tuple(
                self.hexbytes(v, f"atr.known_chip_makers[{i}]", 2)
                for i, v in enumerate(self.sequence(self.get(raw, "known_chip_makers", "atr"), "atr.known_chip_makers"))
            ),
            reference_prefix=self.hexbytes(self.get(raw, "reference_prefix", "atr"), "atr.reference_prefix"),
            reference_card_maker=self.hexbytes(self.get(raw, "reference_card_maker", "atr"), "atr.reference_card_maker"),
            prov=self.prov(raw, "atr"),
        )

    def status_words(self, raw: Mapping[str, Any]) -> m.StatusWords:
        words = {}
        for name, spec in self.mapping(raw, "status_words").items():
            p = f"status_words.{name}"
            text = self.string(self.get(spec, "sw", p), f"{p}.sw").upper()
            mask = 0xFF if text.endswith("XX") else 0x0F if text.endswith("X") else 0
            fixed = text.replace("X", "0")
            value = self.hexint(fixed, f"{p}.sw", 2)
            words[name] = m.StatusWord(
                name,
                value,
                mask,
                self.string(self.get(spec, "en", p), f"{p}.en"),
                self.string(self.get(spec, "zh", p), f"{p}.zh"),
                self.prov(spec, p),
            )
        return m.StatusWords(words)

    def check_order(self, raw: Mapping[str, Any], sw: m.StatusWords) -> tuple[tuple[str, ...], ...]:
        groups = []
        for i, group in enumerate(self.sequence(self.get(raw, "groups", "check_order"), "check_order.groups")):
            for j, name in enumerate(self.sequence(group, f"check_order.groups[{i}]")):
                try:
                    sw[name]
                except KeyError:
                    raise self.fail(
                        f"check_order.groups[{i}][{j}]", f"expected the name of a status word in status_words, got {name!r}"
                    ) from None
            groups.append(tuple(group))
        return tuple(groups)

    def commands(self, raw: Mapping[str, Any]) -> dict[str, m.CommandDef]:
        out = {}
        for name, spec in self.mapping(raw, "commands").items():
            p = f"commands.{name}"
            params: dict[str, object] = {}
            for key, value in self.mapping(self.get(spec, "params", p, {}) or {}, f"{p}.params").items():
                pp = f"{p}.params.{key}"
                if isinstance(value, str):
                    params[key] = self.hexint(value, pp)
                elif isinstance(value, list):
                    params[key] = tuple(self.hexint(v, f"{pp}[{i}]") for i, v in enumerate(value))
                else:
                    params[key] = self.integer(value, pp)
            sensitive = self.get(spec, "sensitive", p, None)
            if sensitive is not None:
                self.choice(sensitive, f"{p}.sensitive", ("command_data", "response_data"))
            key = self.get(spec, "key", p, None)
            out[name] = m.CommandDef(
                name=name,
                cla=tuple(self.hexint(c, f"{p}.cla[{i}]") for i, c in enumerate(self.sequence(self.get(spec, "cla", p), f"{p}.cla"))),
                ins=self.hexint(self.get(spec, "ins", p), f"{p}.ins"),
                params=params,
                prov=self.prov(spec, p),
                sensitive=sensitive,
                virtual_only=self.flag(spec, "virtual_only", p),
                key=None if key is None else self.string(key, f"{p}.key"),
            )
        return out

    def t0_case4(self, raw: Mapping[str, Any], commands: Mapping[str, m.CommandDef]) -> frozenset[str]:
        names = self.sequence(self.get(raw, "case4_via_61xx", "t0"), "t0.case4_via_61xx")
        for i, n in enumerate(names):
            if n not in commands:
                raise self.fail(f"t0.case4_via_61xx[{i}]", f"expected a command name from commands, got {n!r}")
        return frozenset(names)

    def timing(self, raw: Any, commands: Mapping[str, m.CommandDef]) -> m.TimingSpec:
        """The optional `timing` section; without it every command gets the plain per-APDU deadline."""
        if raw is None:
            return m.TimingSpec(frozenset(), 1, m.Provenance({"*": "S"}))
        raw = self.mapping(raw, "timing")
        names = self.sequence(self.get(raw, "slow_commands", "timing"), "timing.slow_commands")
        for i, n in enumerate(names):
            if n not in commands:
                raise self.fail(f"timing.slow_commands[{i}]", f"expected a command name from commands, got {n!r}")
        factor = self.integer(self.get(raw, "slow_factor", "timing"), "timing.slow_factor", 1)
        return m.TimingSpec(frozenset(names), factor, self.prov(raw, "timing"))

    def robustness(self, raw: Any) -> m.RobustnessSpec | None:
        """The optional `robustness` section (SEC-ROB-1)."""
        if raw is None:
            return None
        raw = self.mapping(raw, "robustness")

        def bytes_list(key: str) -> tuple[int, ...]:
            items = self.sequence(self.get(raw, key, "robustness"), f"robustness.{key}")
            return tuple(self.hexint(v, f"robustness.{key}[{i}]") for i, v in enumerate(items))

        return m.RobustnessSpec(
            budget_reader=self.integer(self.get(raw, "budget_reader", "robustness"), "robustness.budget_reader", 1),
            budget_embedded=self.integer(self.get(raw, "budget_embedded", "robustness"), "robustness.budget_embedded", 1),
            cla_classes=bytes_list("cla_classes"),
            p1p2_edges=bytes_list("p1p2_edges"),
            seed=self.integer(self.get(raw, "seed", "robustness"), "robustness.seed"),
            prov=self.prov(raw, "robustness"),
        )

    def tearing(self, raw: Any) -> m.TearingSpec | None:
        """The optional `tearing` section (SEC-TEAR-1 through a reader)."""
        if raw is None:
            return None
        raw = self.mapping(raw, "tearing")
        delays = self.sequence(self.get(raw, "reader_delays_ms", "tearing"), "tearing.reader_delays_ms")
        return m.TearingSpec(
            tuple(self.integer(v, f"tearing.reader_delays_ms[{i}]") for i, v in enumerate(delays)), self.prov(raw, "tearing")
        )

    def randomness(self, raw: Any, commands: Mapping[str, m.CommandDef]) -> m.RandomnessSpec:
        """The `randomness` section: the parameters of the GET CHALLENGE randomness checks."""
        raw = self.mapping(raw, "randomness")
        alpha = self.get(raw, "alpha", "randomness")
        if not isinstance(alpha, float) or not 0 < alpha < 1:
            raise self.fail("randomness.alpha", f"expected a significance level between 0 and 1 such as 0.01, got {alpha!r}")
        width = self.integer(self.get(raw, "poker_width", "randomness"), "randomness.poker_width", 1)
        if width > 16:
            raise self.fail("randomness.poker_width", f"expected a word width of at most 16 bits (GM/T 0005 uses 2, 4 or 8), got {width}")
        length = self.integer(self.get(raw, "challenge_length", "randomness"), "randomness.challenge_length", 1)
        allowed = commands["get_challenge"].param("le") if "get_challenge" in commands else []
        if length not in allowed:  # type: ignore[operator]
            raise self.fail(
                "randomness.challenge_length", f"expected a GET CHALLENGE length of commands.get_challenge.le {allowed}, got {length}"
            )
        return m.RandomnessSpec(
            alpha=alpha,
            block_length=self.integer(self.get(raw, "block_length", "randomness"), "randomness.block_length", 2),
            poker_width=width,
            min_bits=self.integer(self.get(raw, "min_bits", "randomness"), "randomness.min_bits", 64),
            challenge_length=length,
            resets=self.integer(self.get(raw, "resets", "randomness"), "randomness.resets", 2),
            series=self.integer(self.get(raw, "series", "randomness"), "randomness.series", 3),
            retests=self.integer(self.get(raw, "retests", "randomness"), "randomness.retests", 0),
            prov=self.prov(raw, "randomness"),
        )

    def files(self, raw: Mapping[str, Any]) -> dict[str, m.FileDef]:
        if not isinstance(raw, Mapping) or "MF" not in raw:
            raise self.fail("files", "expected a mapping of file paths that includes 'MF'")
        out: dict[str, m.FileDef] = {}
        for path, spec in raw.items():
            out[path] = self.file(path, spec)
        for path, f in out.items():
            if f.parent is not None and f.parent not in out:
                raise self.fail(f"files.{path}", f"its parent {f.parent!r} is not declared")
            if f.parent is not None and not out[f.parent].is_df:
                raise self.fail(f"files.{path}", f"its parent {f.parent!r} is an EF, not a DF")
        return out

    def file(self, path: str, spec: Mapping[str, Any]) -> m.FileDef:
        p = f"files.{path}"
        kind = self.choice(self.get(spec, "kind", p), f"{p}.kind", FILE_KINDS)
        is_df = kind in ("mf", "ddf", "adf")
        access = {}
        for right, rule_text in self.mapping(self.get(spec, "access", p, {}) or {}, f"{p}.access").items():
            self.choice(right, f"{p}.access.{right}", RIGHTS)
            try:
                access[right] = parse_rule(rule_text)
            except AccessRuleError as exc:
                raise self.fail(f"{p}.access.{right}", str(exc)) from None
        if not is_df and "read" not in access:
            raise self.fail(f"{p}.access.read", "missing (every EF declares its read rule)")
        records: list[m.RecordDef] = []
        for number, (tag_hex, rec) in enumerate(self.mapping(self.get(spec, "records", p, {}) or {}, f"{p}.records").items(), start=1):
            rp = f"{p}.records.{tag_hex}"
            tag = self.hexint(tag_hex, rp)
            item = self.string(self.get(rec, "item", rp), f"{rp}.item")
            for other in records:
                if other.tag == tag or other.item == item:
                    raise self.fail(
                        rp,
                        f"tag {tag:02X} / item {item!r} is also used by record {other.number} (tag {other.tag:02X}, item {other.item!r})",
                    )
            records.append(
                m.RecordDef(
                    number=number,
                    tag=tag,
                    item=item,
                    length=self.integer(self.get(rec, "length", rp), f"{rp}.length", 1),
                    fmt=self.choice(self.get(rec, "fmt", rp), f"{rp}.fmt", ITEM_FORMATS),
                    check=self.get(rec, "check", rp, None),
                    title=self.text(self.get(rec, "title", rp), f"{rp}.title"),
                    prov=self.prov(rec, rp),
                )
            )
        keys = {}
        for kname, kspec in self.mapping(self.get(spec, "keys", p, {}) or {}, f"{p}.keys").items():
            keys[kname] = self.key(kname, path, kspec, f"{p}.keys.{kname}")
        flags = frozenset(flag for flag in FILE_FLAGS if self.flag(spec, flag, p))
        sfi = spec.get("sfi")
        name = spec.get("name")
        size = spec.get("size")
        count = spec.get("record_count")
        if kind == "transparent" and size is None:
            raise self.fail(f"{p}.size", "missing (a transparent EF declares its size)")
        if kind != "transparent" and size is not None:
            raise self.fail(f"{p}.size", f"only a transparent EF has a size; this file is {kind}")
        if kind == "cyclic" and (count is None or len(records) != 1):
            raise self.fail(p, "a cyclic EF declares record_count and exactly one record layout")
        if kind != "cyclic" and count is not None:
            raise self.fail(
                f"{p}.record_count",
                f"only a cyclic EF has a record_count (its capacity); this file is {kind}"
                + (", whose records are the ones declared under records" if kind == "linear" else ""),
            )
        if not is_df and sfi is None:
            raise self.fail(f"{p}.sfi", "missing (every EF declares its SFI)")
        return m.FileDef(
            path=path,
            kind=kind,
            fid=self.hexint(self.get(spec, "fid", p), f"{p}.fid", 2),
            title=self.text(self.get(spec, "title", p), f"{p}.title"),
            prov=self.prov(spec, p),
            sfi=None if sfi is None else self.hexint(sfi, f"{p}.sfi"),
            name=None if name is None else self.hexbytes(name, f"{p}.name"),
            label=None if spec.get("label") is None else self.string(spec["label"], f"{p}.label"),
            fci=spec.get("fci"),
            presence=self.choice(spec.get("presence", "mandatory"), f"{p}.presence", PRESENCE),
            access=access,
            records=tuple(records),
            size=None if size is None else self.integer(size, f"{p}.size", 1),
            record_count=None if count is None else self.integer(count, f"{p}.record_count", 1),
            keys=keys,
            flags=flags,
        )

    def key(self, name: str, df: str, spec: Mapping[str, Any], p: str) -> m.KeyDef:
        # versions/active/tries come from security.key_defaults unless the key overrides them;
        # the defaults are filled in by cross_check once the security section is read.
        spec = self.mapping(spec, p)
        versions = spec.get("versions")
        return m.KeyDef(
            name=name,
            df=df,
            id=self.hexint(self.get(spec, "id", p), f"{p}.id"),
            use=self.choice(self.get(spec, "use", p), f"{p}.use", KEY_USES),
            level=self.choice(self.get(spec, "level", p), f"{p}.level", KEY_LEVELS),
            versions=()
            if versions is None
            else tuple(self.hexint(v, f"{p}.versions[{i}]") for i, v in enumerate(self.sequence(versions, f"{p}.versions"))),
            active=-1 if "active" not in spec else self.hexint(spec["active"], f"{p}.active"),
            tries=0 if "tries" not in spec else self.integer(spec["tries"], f"{p}.tries", 1),
            prov=self.prov(spec, p),
        )

    def security(self, raw: Mapping[str, Any], files: dict[str, m.FileDef], commands: Mapping[str, m.CommandDef]) -> m.SecuritySpec:
        pin_raw = self.get(raw, "pin", "security")
        pin_df = self.string(self.get(pin_raw, "df", "security.pin"), "security.pin.df")
        if pin_df not in files:
            raise self.fail("security.pin.df", f"expected a declared DF path, got {pin_df!r}")
        initial = self.get(pin_raw, "initial", "security.pin")
        if not isinstance(initial, str) or not initial.isdigit():
            raise self.fail("security.pin.initial", f"expected a string of digits, got {initial!r}")
        defaults = self.get(raw, "key_defaults", "security")
        defaults_prov = self.prov(defaults, "security.key_defaults")
        versions = tuple(
            self.hexint(v, f"security.key_defaults.versions[{i}]")
            for i, v in enumerate(self.sequence(self.get(defaults, "versions", "security.key_defaults"), "security.key_defaults.versions"))
        )
        active = self.hexint(self.get(defaults, "active", "security.key_defaults"), "security.key_defaults.active")
        tries = self.integer(self.get(defaults, "tries", "security.key_defaults"), "security.key_defaults.tries", 1)
        if active not in versions:
            raise self.fail("security.key_defaults.active", f"expected one of the versions {versions}, got {active}")
        for path, f in list(files.items()):
            if f.keys:
                filled = {
                    n: m.KeyDef(
                        k.name,
                        k.df,
                        k.id,
                        k.use,
                        k.level,
                        k.versions or versions,
                        active if k.active < 0 else k.active,
                        k.tries or tries,
                        k.prov,
                    )
                    for n, k in f.keys.items()
                }
                for n, k in filled.items():
                    if k.active not in k.versions:
                        raise self.fail(
                            f"files.{path}.keys.{n}.active",
                            f"expected one of the key's versions {[f'{v:02X}' for v in k.versions]}, got {k.active:02X}",
                        )
                files[path] = m.FileDef(**{**f.__dict__, "keys": filled})
        div = self.get(raw, "diversification", "security")
        roots = self.get(raw, "test_roots", "security")
        challenge = self.get(raw, "challenge", "security")
        lifecycle = self.get(raw, "lifecycle", "security")
        mac_length, mac_length_prov = self.tagged_scalar(raw, "mac_length", "security")
        allows = tuple(self.sequence(self.get(lifecycle, "blocked_allows", "security.lifecycle"), "security.lifecycle.blocked_allows"))
        for i, n in enumerate(allows):
            if n not in commands:
                raise self.fail(f"security.lifecycle.blocked_allows[{i}]", f"expected a command name, got {n!r}")
        return m.SecuritySpec(
            pin=m.PinSpec(
                pin_df,
                initial,
                self.integer(self.get(pin_raw, "tries", "security.pin"), "security.pin.tries", 1),
                self.prov(pin_raw, "security.pin"),
            ),
            key_defaults=m.KeyDefaults(versions, active, tries, defaults_prov),
            challenge_external_auth=self.integer(
                self.get(challenge, "external_auth", "security.challenge"), "security.challenge.external_auth", 1
            ),
            challenge_mac=self.integer(self.get(challenge, "mac", "security.challenge"), "security.challenge.mac", 1),
            challenge_prov=self.prov(challenge, "security.challenge"),
            mac_length=self.integer(mac_length, "security.mac_length.value", 1),
            mac_length_prov=mac_length_prov,
            diversification=m.Diversification(
                province_factor=self.template_text(
                    self.get(div, "province_factor", "security.diversification"),
                    "security.diversification.province_factor",
                    FACTOR_PLACEHOLDERS,
                ),
                city_factor=self.template_text(
                    self.get(div, "city_factor", "security.diversification"), "security.diversification.city_factor", FACTOR_PLACEHOLDERS
                ),
                levels=self.levels(div, "levels"),
                local_levels=self.levels(div, "local_levels"),
                prov=self.prov(div, "security.diversification"),
            ),
            test_roots=m.TestRoots(
                national=self.template_text(
                    self.get(roots, "national", "security.test_roots"), "security.test_roots.national", NATIONAL_ROOT_PLACEHOLDERS
                ),
                local=self.template_text(
                    self.get(roots, "local", "security.test_roots"), "security.test_roots.local", LOCAL_ROOT_PLACEHOLDERS
                ),
                warning=self.string(self.get(roots, "warning", "security.test_roots"), "security.test_roots.warning"),
                prov=self.prov(roots, "security.test_roots"),
            ),
            lifecycle_blocked_allows=allows,
            lifecycle_prov=self.prov(lifecycle, "security.lifecycle"),
        )

    def levels(self, div: Mapping[str, Any], key: str) -> tuple[str, ...]:
        p = f"security.diversification.{key}"
        return tuple(
            self.choice(v, f"{p}[{i}]", DIVERSIFICATION_LEVELS)
            for i, v in enumerate(self.sequence(self.get(div, key, "security.diversification"), p))
        )

    def tlv_template(self, raw: Mapping[str, Any], p: str, placeholders: frozenset[str]) -> m.TlvTemplate:
        def tree(node: Any, tp: str) -> Mapping[int, object]:
            if not isinstance(node, Mapping) or not node:
                raise self.fail(tp, f"expected a mapping of hex tags, got {node!r}")
            out: dict[int, object] = {}
            for tag_hex, value in node.items():
                tag = int.from_bytes(self.hexbytes(tag_hex, f"{tp}.{tag_hex}"), "big")
                if isinstance(value, Mapping):
                    out[tag] = tree(value, f"{tp}.{tag_hex}")
                elif isinstance(value, str):
                    out[tag] = self.template_text(value, f"{tp}.{tag_hex}", placeholders)
                else:
                    raise self.fail(f"{tp}.{tag_hex}", f"expected a hex string or a nested mapping, got {value!r}")
            return out

        return m.TlvTemplate(tree(self.get(raw, "tlv", p), f"{p}.tlv"), self.prov(raw, p))

    def psam(self, raw: Mapping[str, Any]) -> m.PsamSpec:
        dfs = {}
        for alg_name, fid in self.mapping(self.get(raw, "dfs", "psam"), "psam.dfs").items():
            try:
                dfs[Algorithm.from_name(alg_name)] = self.hexint(fid, f"psam.dfs.{alg_name}", 2)
            except ValueError as exc:
                raise self.fail(f"psam.dfs.{alg_name}", str(exc)) from None
        tn = self.get(raw, "terminal_number", "psam")
        usage = self.mapping(self.get(raw, "key_usage", "psam"), "psam.key_usage")
        return m.PsamSpec(
            dfs=dfs,
            terminal_number_fid=self.hexint(self.get(tn, "fid", "psam.terminal_number"), "psam.terminal_number.fid", 2),
            terminal_number_sfi=self.hexint(self.get(tn, "sfi", "psam.terminal_number"), "psam.terminal_number.sfi"),
            terminal_number_length=self.integer(self.get(tn, "length", "psam.terminal_number"), "psam.terminal_number.length", 1),
            commands={
                n: (
                    self.hexint(self.get(c, "cla", f"psam.commands.{n}"), f"psam.commands.{n}.cla"),
                    self.hexint(self.get(c, "ins", f"psam.commands.{n}"), f"psam.commands.{n}.ins"),
                )
                for n, c in self.mapping(self.get(raw, "commands", "psam"), "psam.commands").items()
            },
            levels_shift=self.integer(self.get(usage, "levels_shift", "psam.key_usage"), "psam.key_usage.levels_shift"),
            key_usage={n: self.hexint(v, f"psam.key_usage.{n}") for n, v in usage.items() if n != "levels_shift"},
            use_modes={
                n: self.hexint(v, f"psam.use_modes.{n}")
                for n, v in self.mapping(self.get(raw, "use_modes", "psam"), "psam.use_modes").items()
            },
            use_key_p2=self.hexint(self.get(raw, "use_key_p2", "psam"), "psam.use_key_p2"),
            atr=self.hexbytes(self.get(raw, "atr", "psam"), "psam.atr"),
            prov=self.prov(raw, "psam"),
        )

    def card_id(self, raw: Mapping[str, Any]) -> m.CardIdLayout:
        p = "data_elements.card_id_code"

        def span(name: str) -> slice:
            spec = self.get(raw, name, p)
            off = self.integer(self.get(spec, "offset", f"{p}.{name}"), f"{p}.{name}.offset")
            return slice(off, off + self.integer(self.get(spec, "length", f"{p}.{name}"), f"{p}.{name}.length", 1))

        rid = span("rid")
        return m.CardIdLayout(
            region=span("region"),
            rid=rid,
            rid_value=self.hexbytes(self.get(self.get(raw, "rid", p), "value", f"{p}.rid"), f"{p}.rid.value", rid.stop - rid.start),
            serial=span("serial"),
            mac=span("mac"),
            mac_key=self.string(self.get(raw, "mac_key", p), f"{p}.mac_key"),
            prov=self.prov(raw, p),
        )

    def card_types(self, raw: Mapping[str, Any]) -> m.CardTypes:
        p = "data_elements.card_type"
        values = self.get(raw, "values", p)
        if not isinstance(values, Mapping) or not values:
            raise self.fail(f"{p}.values", f"expected a mapping of quoted codes to {{zh, en}} meanings, got {values!r}")
        out = {}
        for code, text in values.items():
            if not isinstance(code, str):
                raise self.fail(f"{p}.values", f'expected quoted string codes ("1"), got {code!r}')
            out[code] = self.text(text, f"{p}.values.{code}")
        return m.CardTypes(out, self.prov(raw, p))

    def behaviour(self, raw: Mapping[str, Any], sw: m.StatusWords) -> m.Behaviour:
        """Every field of `model.Behaviour`, each value checked against the field's type."""
        hints = typing.get_type_hints(m.Behaviour)
        known = tuple(hints)
        for name in raw:
            if name not in hints:
                raise self.fail(f"behaviour.{name}", f"unknown behaviour choice; expected one of {', '.join(known)}")
        choices: dict[str, m.BehaviourChoice[Any]] = {}
        for name, hint in hints.items():
            p = f"behaviour.{name}"
            if name not in raw:
                raise self.fail(p, "missing (required: every behaviour choice is declared, with its value, why and prov)")
            spec = self.mapping(raw[name], p)
            if "value" not in spec:
                raise self.fail(f"{p}.value", "missing (required)")
            (value_type,) = typing.get_args(hint)
            value = self.behaviour_value(spec["value"], f"{p}.value", value_type, sw)
            choices[name] = m.BehaviourChoice(name, value, self.string(self.get(spec, "why", p), f"{p}.why"), self.prov(spec, p))
        return m.Behaviour(**choices)

    def behaviour_value(self, value: Any, path: str, value_type: object, sw: m.StatusWords) -> object:
        if value_type is bool:
            if not isinstance(value, bool):
                raise self.fail(path, f"expected true or false, got {value!r}")
            return value
        if value_type is int:
            return self.hexint(value, path)
        text = self.string(value, path)
        if value_type is m.StatusWordName:
            try:
                sw[text]
            except KeyError:
                raise self.fail(path, f"expected the name of a status word in status_words, got {text!r}") from None
        return text

    def cross_check(self, profile: m.Profile) -> None:
        """References between sections: rule keys exist in the file's DF, FCI templates exist, ..."""
        key_names = {k.name: k for k in profile.keys()}
        for name, cmd in profile.commands.items():
            if cmd.key is not None and cmd.key not in key_names:
                raise self.fail(f"commands.{name}.key", f"expected the name of a declared key ({', '.join(key_names)}), got {cmd.key!r}")
        irk = profile.commands.get("internal_authenticate")
        if irk is not None and irk.key is not None and key_names[irk.key].use != "internal":
            raise self.fail(
                "commands.internal_authenticate.key", f"expected a key with use internal, got {irk.key!r} (use {key_names[irk.key].use})"
            )
        for path, f in profile.files.items():
            p = f"files.{path}"
            if f.fci is not None and f.fci not in profile.fci_templates:
                raise self.fail(f"{p}.fci", f"expected one of the fci_templates {sorted(profile.fci_templates)}, got {f.fci!r}")
            if f.is_ef:
                df = profile.df_of(path)
                for right, rule in f.access.items():
                    for key_name in rule.keys:
                        if key_name not in df.keys:
                            raise self.fail(
                                f"{p}.access.{right}",
                                f"key {key_name!r} is not declared in the file's DF {df.path} (keys there: {', '.join(df.keys) or 'none'})",
                            )
            siblings = [g for g in profile.children(f.parent) if g.path != path] if f.parent else []
            for g in siblings:
                if g.fid == f.fid:
                    raise self.fail(f"{p}.fid", f"FID {f.fid:04X} is also used by {g.path}")
                if f.sfi is not None and g.sfi == f.sfi:
                    raise self.fail(f"{p}.sfi", f"SFI {f.sfi:02X} is also used by {g.path}")
            seen_ids: dict[tuple[str, int], str] = {}
            for k in f.keys.values():
                if (k.use, k.id) in seen_ids:
                    raise self.fail(f"{p}.keys.{k.name}.id", f"{k.use} key id {k.id:02X} is also used by {seen_ids[(k.use, k.id)]}")
                seen_ids[(k.use, k.id)] = k.name
