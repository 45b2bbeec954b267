"""Which profile values a requirement's verdict rests on, and how well each is sourced.

The catalogue lists, per requirement, references into the profile (`rests_on`, e.g.
`files.SSSE/EF05.records.07` or `security.pin`). Each resolves to the provenance tag the profile
gives that value (C code seen with real cards, D public documents, I inferred, S stand-in chosen
by this project). A verdict is only as good as the weakest value under it: when that is S, the
report marks the verdict, because a real card built to the official text may differ.

Reference grammar (sections and names as in the profile YAML):
    section                      every entity of a collection (files, commands, status_words)
    section.name                 one entity: the weakest of its field tags
    section.name.field           one field of it: prov.of(field)
    files.<path>.records[.<tag>] / files.<path>.keys[.<name>]   children of a file
    genN:<reference>             only for profiles of generation N (skipped otherwise)
An unknown reference raises `ProvenanceReferenceError` naming it and what the profile offers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from ssc.catalogue import Catalogue, load_catalogue
from ssc.profile.model import PROVENANCE_TAGS, Diversification, KeyDefaults, PinSpec, Profile, Provenance, TestRoots

__all__ = ["ProvenanceReferenceError", "requirement_provenance", "resolve_reference", "weakest"]

# Top-level sections whose tags the model keeps in `profile.prov`, with the fields each has in YAML.
_SCALARS = {
    "spec_version": ("value",),
    "algorithm": ("name", "fci_id"),
    "check_order": ("groups",),
    "t0": ("case4_via_61xx", "max_response"),
}
# Subsections of `security` the model keeps as flat values beside their tag, with their YAML fields.
_SECURITY_FLAT = {
    "challenge": ("external_auth", "mac"),
    "mac_length": ("value",),
    "lifecycle": ("blocked_allows",),
}


class ProvenanceReferenceError(ValueError):
    """A `rests_on` reference names nothing in the profile (a typo, or a profile that differs)."""


def weakest(tags: Iterable[str]) -> str | None:
    """S < I < D < C: the weakest tag, or None when there is none."""
    found = [t for t in tags if t]
    return max(found, key=PROVENANCE_TAGS.index) if found else None


def requirement_provenance(profile: Profile, requirement_id: str, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """{"weakest": tag or None, "stand_in": bool, "values": [{"what": reference, "tag": tag}]}."""
    catalogue = catalogue or load_catalogue()
    try:
        requirement = catalogue.requirements[requirement_id]
    except KeyError:
        raise KeyError(f"no requirement {requirement_id!r} in the catalogue") from None
    values = []
    for ref in requirement.rests_on:
        generation, bare = _split_generation(ref, requirement_id)
        if generation is not None and generation != profile.generation:
            continue
        try:
            tag = resolve_reference(profile, bare)
        except ProvenanceReferenceError as exc:
            raise ProvenanceReferenceError(f"requirement {requirement_id}: rests_on {ref!r}: {exc}") from None
        values.append({"what": bare, "tag": tag})
    low = weakest(v["tag"] for v in values)
    return {"weakest": low, "stand_in": low == "S", "values": values}


def _split_generation(ref: str, requirement_id: str) -> tuple[int | None, str]:
    head, sep, rest = ref.partition(":")
    if not sep:
        return None, ref
    if not (head.startswith("gen") and head[3:].isdigit()):
        raise ProvenanceReferenceError(f"requirement {requirement_id}: rests_on {ref!r}: a prefix must be genN:, got {head!r}")
    return int(head[3:]), rest


def resolve_reference(profile: Profile, ref: str) -> str:
    """The provenance tag of one reference in this profile."""
    parts = ref.split(".")
    section = parts[0]
    if section == "files":
        return _file_ref(profile, parts[1:], ref)
    if section == "status_words":
        words = {w.name: w for w in profile.sw}
        return _collection(words, parts[1:], "status word")
    if section == "commands":
        return _collection(profile.commands, parts[1:], "command")
    if section == "fci_templates":
        return _collection(profile.fci_templates, parts[1:], "FCI template")
    if section == "behaviour":
        return _collection(profile.behaviour.choices(), parts[1:], "behaviour choice")
    if section in _SCALARS:
        return _entity(profile.prov[section], None, parts[1:], section, _SCALARS[section])
    if section == "atr":
        return _entity(profile.atr.prov, profile.atr, parts[1:], "atr")
    if section == "psam":
        return _entity(profile.psam.prov, profile.psam, parts[1:], "psam")
    if section == "dir_record":
        return _entity(profile.dir_record.prov, profile.dir_record, parts[1:], "dir_record")
    if section == "randomness":
        return _entity(profile.randomness.prov, profile.randomness, parts[1:], "randomness")
    if parts[:2] == ["data_elements", "card_id_code"]:
        return _entity(profile.card_id.prov, profile.card_id, parts[2:], "data_elements.card_id_code")
    if section == "security" and len(parts) >= 2:
        sec = profile.security
        security: dict[str, PinSpec | KeyDefaults | Diversification | TestRoots] = {
            "pin": sec.pin,
            "key_defaults": sec.key_defaults,
            "diversification": sec.diversification,
            "test_roots": sec.test_roots,
        }
        if parts[1] in security:
            entity = security[parts[1]]
            return _entity(entity.prov, entity, parts[2:], f"security.{parts[1]}")
        flat = {"challenge": sec.challenge_prov, "mac_length": sec.mac_length_prov, "lifecycle": sec.lifecycle_prov}
        if parts[1] in flat:
            return _entity(flat[parts[1]], None, parts[2:], f"security.{parts[1]}", _SECURITY_FLAT[parts[1]])
    raise ProvenanceReferenceError(
        f"{ref!r} names nothing in profile {profile.name}; known sections: files, status_words, commands, "
        f"fci_templates, behaviour, {', '.join(_SCALARS)}, atr, psam, dir_record, randomness, data_elements.card_id_code, "
        f"security.pin/key_defaults/diversification/test_roots/{'/'.join(_SECURITY_FLAT)}"
    )


def _entity(prov: Provenance, obj: object | None, rest: list[str], where: str, fields: tuple[str, ...] = ()) -> str:
    """The weakest tag of the entity, or one field's tag; the field must exist."""
    if not rest:
        return prov.weakest
    if len(rest) > 1:
        raise ProvenanceReferenceError(f"{where}.{'.'.join(rest)}: {where} has no nested field {'.'.join(rest)!r}")
    field = rest[0]
    known = (set(prov.tags) | set(fields)) - {"*"}
    if obj is not None and dataclasses.is_dataclass(obj):
        known |= {f.name for f in dataclasses.fields(obj)} - {"prov"}
    if field not in known:
        raise ProvenanceReferenceError(f"{where} has no field {field!r} (fields: {', '.join(sorted(known)) or 'none'})")
    return prov.of(field)


def _collection(items: Mapping[str, Any], rest: list[str], kind: str) -> str:
    if not rest:
        return weakest(item.prov.weakest for item in items.values()) or "S"
    name = rest[0]
    if name not in items:
        raise ProvenanceReferenceError(f"no {kind} named {name!r} (known: {', '.join(sorted(items))})")
    item = items[name]
    return _entity(item.prov, item, rest[1:], f"{kind} {name}")


def _file_ref(profile: Profile, rest: list[str], ref: str) -> str:
    if not rest:
        return weakest(f.prov.weakest for f in profile.files.values()) or "S"
    path = rest[0]
    if path not in profile.files:
        raise ProvenanceReferenceError(f"profile {profile.name} declares no file {path!r} (in {ref!r})")
    f = profile.files[path]
    if len(rest) >= 2 and rest[1] in ("records", "keys"):
        children = {f"{r.tag:02X}": r for r in f.records} if rest[1] == "records" else dict(f.keys)
        if len(rest) == 2:  # the file's own tag for that field, and every child's
            return weakest([f.prov.of(rest[1]), *(c.prov.weakest for c in children.values())]) or f.prov.of(rest[1])
        name = rest[2].upper() if rest[1] == "records" else rest[2]
        if name not in children:
            raise ProvenanceReferenceError(f"file {path} has no {rest[1][:-1]} {rest[2]!r} (has: {', '.join(children) or 'none'})")
        child = children[name]
        return _entity(child.prov, child, rest[3:], f"files.{path}.{rest[1]}.{name}")
    return _entity(f.prov, f, rest[1:], f"files.{path}")
