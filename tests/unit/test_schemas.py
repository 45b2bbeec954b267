"""The published JSON Schemas (schemas/) and the schema models behind them.

The committed schemas must be what the models generate; every data file of the repository must
validate against its schema with `jsonschema` (independently of pydantic, as an editor would); and
for each format a broken file is refused both by its loader — naming the file and the field — and
by the JSON Schema, so an editor and the harness agree.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from jsonschema import Draft202012Validator

from harness.declaration import DeclarationError, load_declaration
from scripts.export_schemas import BASE_ID, FORMATS, DataFormat, render
from ssc.keyset import KeyFileError, LabKeyFile
from ssc.profile import ProfileError, load_profile, loader, schema
from ssc.profile.loader import DATA_DIR
from ssc.reader_interface import DEFAULT_FILE as READER_INTERFACE_FILE
from terminal.invalid_lists import InvalidListError, load_list
from terminal.regions import RegionError, load_regions

ROOT = Path(__file__).resolve().parents[2]
BY_NAME = {fmt.name: fmt for fmt in FORMATS}


def _files(fmt: DataFormat) -> list[Path]:
    return sorted(p for pattern in fmt.files for p in ROOT.glob(pattern))


def _validator(fmt: DataFormat) -> Draft202012Validator:
    return Draft202012Validator(json.loads((ROOT / fmt.path).read_text(encoding="utf-8")))


# -- the committed schemas ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_the_committed_schema_is_what_the_model_generates(fmt: DataFormat) -> None:
    committed = (ROOT / fmt.path).read_text(encoding="utf-8")
    assert committed == render(fmt), f"{fmt.path} is out of date: run scripts/export-schemas"


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_a_schema_is_valid_json_schema_and_names_its_format_and_version(fmt: DataFormat) -> None:
    published = json.loads((ROOT / fmt.path).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(published)
    assert published["$id"] == BASE_ID + f"{fmt.name}-{fmt.version}.schema.json"
    assert fmt.format in published["title"] and fmt.format in published["description"]
    assert published["properties"]["format"]["const"] == fmt.format
    assert "format" in published["required"]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_every_data_file_validates_against_its_schema_and_points_to_it(fmt: DataFormat) -> None:
    files = _files(fmt)
    assert files, f"no files match {fmt.files}"
    validator = _validator(fmt)
    for path in files:
        text = path.read_text(encoding="utf-8")
        errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(yaml.safe_load(text))]
        assert not errors, f"{path.relative_to(ROOT)}: {errors[:3]}"
        first = text.splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, f"{path.relative_to(ROOT)}: the first line does not name the schema: {first!r}"
        assert (path.parent / match[1]).resolve() == (ROOT / fmt.path).resolve(), path


READER_INTERFACE_DIR = READER_INTERFACE_FILE.parent


def test_every_format_of_a_repository_data_file_has_a_schema() -> None:
    formats = set()
    for path in [
        *ROOT.glob("fixtures/**/*.yaml"),
        *ROOT.glob("ssc/data/*.yaml"),
        *DATA_DIR.glob("*.yaml"),
        *READER_INTERFACE_DIR.glob("*.yaml"),
    ]:
        formats.add(yaml.safe_load(path.read_text(encoding="utf-8"))["format"])
    assert formats == {fmt.format for fmt in FORMATS}


def test_the_profile_schema_uses_the_loaders_vocabulary() -> None:
    """The Literal types of the schema and the tuples the loader's checks use must not drift apart."""
    assert get_args(schema.FileKind) == loader.FILE_KINDS
    assert get_args(schema.ItemFormat) == loader.ITEM_FORMATS
    assert get_args(schema.KeyUse) == loader.KEY_USES
    assert get_args(schema.KeyLevel) == loader.KEY_LEVELS
    assert get_args(schema.Presence) == loader.PRESENCE
    assert get_args(schema.DiversificationLevel) == loader.DIVERSIFICATION_LEVELS
    assert get_args(schema.Right) == loader.RIGHTS
    assert set(loader.FILE_FLAGS) <= set(schema.FileSpec.model_fields)


# -- broken files: refused by the loader (file + field named) and by the JSON Schema -------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return change


_DELETE = object()


def _load_profile_file(path: Path) -> None:
    shutil.copy(DATA_DIR / "common.yaml", path.parent / "common.yaml")
    load_profile(path)


LOADERS: dict[str, tuple[Path, Callable[[Path], object], type[Exception]]] = {
    "ssc-profile": (DATA_DIR / "gen3.yaml", _load_profile_file, ProfileError),
    "ssc-declaration": (ROOT / "fixtures/issuers/441800.yaml", load_declaration, DeclarationError),
    "ssc-keys": (ROOT / "fixtures/keys/example-lab-keys.yaml", LabKeyFile.load, KeyFileError),
    "ssc-regions": (ROOT / "fixtures/regions.yaml", load_regions, RegionError),
    "ssc-invalid-list": (ROOT / "fixtures/invalid_lists/national.yaml", load_list, InvalidListError),
}

BROKEN = [
    # wrong type
    pytest.param("ssc-profile", _set("files.SSSE/EF06.access.read", 7), "files.SSSE/EF06.access.read", id="profile-wrong-type"),
    pytest.param("ssc-declaration", _set("region", 441800), "region", id="declaration-wrong-type"),
    pytest.param("ssc-keys", _set("national.MK.SM4.01", 1234), "national.MK.SM4.01", id="keys-wrong-type"),
    pytest.param(
        "ssc-regions", _set("regions.441800.terminal_number", 441800000001), "regions.441800.terminal_number", id="regions-wrong-type"
    ),
    pytest.param("ssc-invalid-list", _set("entries.0.reason", ["lost"]), "entries[0].reason", id="invalid-list-wrong-type"),
    # missing required field
    pytest.param("ssc-profile", _set("format", _DELETE), "format", id="profile-missing"),
    pytest.param("ssc-declaration", _set("key_versions", _DELETE), "key_versions", id="declaration-missing"),
    pytest.param("ssc-keys", _set("format", _DELETE), "format", id="keys-missing"),
    pytest.param("ssc-regions", _set("regions.441800.province", _DELETE), "regions.441800.province", id="regions-missing"),
    pytest.param("ssc-invalid-list", _set("level", _DELETE), "level", id="invalid-list-missing"),
    # unknown key
    pytest.param("ssc-profile", _set("files.SSSE.colour", "red"), "files.SSSE.colour", id="profile-unknown-key"),
    pytest.param("ssc-declaration", _set("validity.until", "20300101"), "validity.until", id="declaration-unknown-key"),
    pytest.param("ssc-keys", _set("national.MK.AES", {"01": "00" * 16}), "national.MK.AES", id="keys-unknown-algorithm"),
    pytest.param("ssc-regions", _set("provinces.440000.capital", "广州"), "provinces.440000.capital", id="regions-unknown-key"),
    pytest.param("ssc-invalid-list", _set("entries.0.comment", "x"), "entries[0].comment", id="invalid-list-unknown-key"),
]


def _json_path(error: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")


@pytest.mark.parametrize("name, change, field", BROKEN)
def test_a_broken_file_is_refused_by_the_loader_and_by_the_json_schema(
    tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None], field: str
) -> None:
    source, load, error = LOADERS[name]
    data = copy.deepcopy(yaml.safe_load(source.read_text(encoding="utf-8")))
    change(data)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    with pytest.raises(error) as info:
        load(path)
    message = str(info.value)
    assert re.match(rf"^\S*{re.escape(source.name)}( \(extends [^)]*\))?: {re.escape(field)}: \S", message), message
    assert "\n" not in message

    errors = list(_validator(BY_NAME[name]).iter_errors(data))
    assert errors, f"the JSON Schema accepts what the loader refuses: {message}"
    assert any(field.startswith(_json_path(e)) for e in errors), [(_json_path(e), e.message) for e in errors]


def test_a_complete_profile_missing_a_section_names_it(tmp_path: Path) -> None:
    """A file alone may leave sections out (they come from what it extends); the merged profile may not."""
    path = tmp_path / "lab.yaml"
    data = yaml.safe_load((DATA_DIR / "common.yaml").read_text(encoding="utf-8"))
    data.update(profile="lab", title={"zh": "实验室", "en": "lab"}, generation=2)
    data.update(spec_version={"value": "2.00", "prov": "C"}, algorithm={"name": "3DES", "fci_id": "01", "prov": "C"})
    del data["psam"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert not list(_validator(BY_NAME["ssc-profile"]).iter_errors(data))  # one file: nothing is required but format
    with pytest.raises(ProfileError, match=r"^lab\.yaml: psam: missing \(required\)"):
        load_profile(path)


def test_an_overlay_deletes_with_null_and_the_schema_allows_it() -> None:
    gen1 = yaml.safe_load((DATA_DIR / "gen1.yaml").read_text(encoding="utf-8"))
    assert gen1["files"]["SSSE/EF06"]["records"]["4E"] is None
    assert not list(_validator(BY_NAME["ssc-profile"]).iter_errors(gen1))
    assert load_profile("gen1").file("SSSE/EF06").record_by_tag(0x4E) is None
