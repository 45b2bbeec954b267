"""The registry of test regions (fixtures/regions.yaml): which cities a cross-region run covers.

A region is a prefecture-level city (GB/T 2260 code, e.g. 441800 清远市) in a province; cards are
issued in it and its terminals carry a PSAM with the region's terminal number. Labs edit the file
by hand, so every error names the file, the field and what was expected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssc.datafile import read_data_file
from ssc.profile.model import Profile
from terminal.errors import InputError

__all__ = ["DEFAULT_REGIONS_FILE", "Province", "Region", "RegionError", "RegionRegistry", "load_regions"]

DEFAULT_REGIONS_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "regions.yaml"
FORMAT = "ssc-regions/1"
_CODE_DIGITS = 6  # GB/T 2260: 2 province, 2 prefecture, 2 county digits
_PROVINCE_DIGITS = 2


class RegionError(InputError):
    pass


@dataclass(frozen=True)
class Province:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Region:
    code: str
    zh: str
    en: str
    province: Province
    terminal_number: str

    @property
    def label(self) -> str:
        """``"441800 清远市 Qingyuan (广东省 Guangdong)"`` — for reports."""
        return f"{self.code} {self.zh} {self.en} ({self.province.zh} {self.province.en})"


class RegionRegistry:
    def __init__(self, regions: dict[str, Region], source: str) -> None:
        self._regions = regions
        self.source = source

    def get(self, code: str) -> Region:
        try:
            return self._regions[code]
        except KeyError:
            raise KeyError(f"{self.source}: no region {code!r}; regions: {', '.join(self._regions)}") from None

    def __getitem__(self, code: str) -> Region:
        return self.get(code)

    def __contains__(self, code: object) -> bool:
        return code in self._regions

    def __iter__(self) -> Iterator[Region]:
        return iter(self._regions.values())

    def __len__(self) -> int:
        return len(self._regions)

    @property
    def codes(self) -> list[str]:
        return list(self._regions)

    def provinces(self) -> list[Province]:
        seen: dict[str, Province] = {}
        for r in self:
            seen.setdefault(r.province.code, r.province)
        return list(seen.values())

    def in_province(self, province_code: str) -> list[Region]:
        return [r for r in self if r.province.code == province_code]


def load_regions(path: str | Path | None = None, *, profile: Profile | None = None) -> RegionRegistry:
    """Load and check the registry; with `profile`, terminal numbers must fit its PSAM's EF."""
    p = Path(path) if path is not None else DEFAULT_REGIONS_FILE
    src = p.name

    def fail(field: str, message: str) -> RegionError:
        return RegionError(f"{src}: {field}: {message}")

    data = read_data_file(p, FORMAT, RegionError)
    digits = 2 * profile.psam.terminal_number_length if profile is not None else None

    def mapping(value: Any, field: str) -> dict[str, Any]:
        if not isinstance(value, dict) or not value:
            raise fail(field, f"expected a non-empty mapping, got {value!r}")
        return value

    def text(spec: dict[str, Any], key: str, field: str) -> str:
        value = spec.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"{field}.{key}", f"expected a non-empty string, got {value!r}")
        return value

    def code(value: Any, field: str) -> str:
        if not isinstance(value, str) or len(value) != _CODE_DIGITS or not value.isdigit():
            raise fail(field, f"expected a quoted {_CODE_DIGITS}-digit GB/T 2260 code, got {value!r}")
        return value

    provinces: dict[str, Province] = {}
    for raw_code, spec in mapping(data.get("provinces"), "provinces").items():
        field = f"provinces.{raw_code}"
        c = code(raw_code, field)
        if c[_PROVINCE_DIGITS:].strip("0"):
            raise fail(field, f"a province code ends in zeros after its first {_PROVINCE_DIGITS} digits, got {c}")
        spec = mapping(spec, field)
        provinces[c] = Province(c, text(spec, "zh", field), text(spec, "en", field))

    regions: dict[str, Region] = {}
    terminals: dict[str, str] = {}
    for raw_code, spec in mapping(data.get("regions"), "regions").items():
        field = f"regions.{raw_code}"
        c = code(raw_code, field)
        city_part = c[_PROVINCE_DIGITS : _PROVINCE_DIGITS + 2]
        if city_part == "00" or c[_PROVINCE_DIGITS + 2 :].strip("0"):
            raise fail(field, f"expected a prefecture-level code (xxyy00 with yy ≠ 00), got {c}")
        spec = mapping(spec, field)
        prov_code = code(spec.get("province"), f"{field}.province")
        if prov_code not in provinces:
            raise fail(f"{field}.province", f"{prov_code} is not declared under provinces ({', '.join(provinces)})")
        if prov_code[:_PROVINCE_DIGITS] != c[:_PROVINCE_DIGITS]:
            raise fail(f"{field}.province", f"{prov_code} is not the province of {c} (first {_PROVINCE_DIGITS} digits differ)")
        tn = spec.get("terminal_number")
        if not isinstance(tn, str) or not tn.isdigit() or (digits is not None and len(tn) != digits):
            want = f"{digits} decimal digits" if digits is not None else "a string of decimal digits"
            raise fail(f"{field}.terminal_number", f"expected {want} (quoted), got {tn!r}")
        if tn in terminals:
            raise fail(f"{field}.terminal_number", f"{tn} is also the terminal number of region {terminals[tn]}")
        terminals[tn] = c
        regions[c] = Region(c, text(spec, "zh", field), text(spec, "en", field), provinces[prov_code], tn)
    return RegionRegistry(regions, src)
