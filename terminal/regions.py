"""The registry of test regions (fixtures/regions.yaml): which cities a cross-region run covers.

A region is a prefecture-level city (GB/T 2260 code, e.g. 441800 清远市) in a province; cards are
issued in it and its terminals carry a PSAM with the region's terminal number. Labs edit the file
by hand, so every error names the file, the field and what was expected. The shape of the file is
the schema model terminal/regions_schema.py (schemas/ssc-regions-1.schema.json); the relations
between codes are checked here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ssc.datafile import read_data_file
from ssc.formats import validate
from ssc.profile.model import Profile
from terminal.errors import InputError
from terminal.regions_schema import FORMAT, RegionsDocument

__all__ = ["DEFAULT_REGIONS_FILE", "Province", "Region", "RegionError", "RegionRegistry", "load_regions"]

DEFAULT_REGIONS_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "regions.yaml"
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

    doc = validate(RegionsDocument, read_data_file(p, FORMAT, RegionError), fail)
    digits = 2 * profile.psam.terminal_number_length if profile is not None else None

    provinces: dict[str, Province] = {}
    for c, prov in doc.provinces.items():
        if c[_PROVINCE_DIGITS:].strip("0"):
            raise fail(f"provinces.{c}", f"a province code ends in zeros after its first {_PROVINCE_DIGITS} digits, got {c}")
        provinces[c] = Province(c, prov.zh, prov.en)

    regions: dict[str, Region] = {}
    terminals: dict[str, str] = {}
    for c, spec in doc.regions.items():
        field = f"regions.{c}"
        city_part = c[_PROVINCE_DIGITS : _PROVINCE_DIGITS + 2]
        if city_part == "00" or c[_PROVINCE_DIGITS + 2 :].strip("0"):
            raise fail(field, f"expected a prefecture-level code (xxyy00 with yy ≠ 00), got {c}")
        if spec.province not in provinces:
            raise fail(f"{field}.province", f"{spec.province} is not declared under provinces ({', '.join(provinces)})")
        if spec.province[:_PROVINCE_DIGITS] != c[:_PROVINCE_DIGITS]:
            raise fail(f"{field}.province", f"{spec.province} is not the province of {c} (first {_PROVINCE_DIGITS} digits differ)")
        tn = spec.terminal_number
        if digits is not None and len(tn) != digits:
            raise fail(f"{field}.terminal_number", f"expected {digits} decimal digits (quoted), got {tn!r}")
        if tn in terminals:
            raise fail(f"{field}.terminal_number", f"{tn} is also the terminal number of region {terminals[tn]}")
        terminals[tn] = c
        regions[c] = Region(c, spec.zh, spec.en, provinces[spec.province], tn)
    return RegionRegistry(regions, src)
