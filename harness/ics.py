"""Loading an Implementation Conformance Statement (ICS, ``ssc-ics/1``) and finding the default one.

The ICS is data a vendor writes by hand, so every loading error names the file and the field
(``card.yaml: pin.tries: …``). Only the format and the relations between fields are checked here;
which cases an option decides is `harness.ics_options`. The embedded reference card ships its own
ICS per generation (``fixtures/ics/reference-gen<N>.yaml``), used when a run on it names none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.ics_schema import FORMAT, IcsFile
from ssc.datafile import read_data_file
from ssc.formats import validate
from terminal.errors import InputError

__all__ = ["DEFAULT_ICS_DIR", "Ics", "IcsError", "load_ics", "reference_ics_path"]

DEFAULT_ICS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "ics"


class IcsError(InputError):
    """An ICS file is unreadable or a field is missing or malformed."""


@dataclass(frozen=True)
class Ics:
    """A loaded ICS: the validated document, where it came from, and its declaration's path."""

    doc: IcsFile
    path: Path

    @property
    def source(self) -> str:
        return self.path.name

    @property
    def declaration_path(self) -> Path | None:
        """The issuer declaration the ICS names, resolved against the ICS's folder."""
        return (self.path.parent / self.doc.declaration).resolve() if self.doc.declaration else None

    def declared(self) -> dict[str, object]:
        """Every option the ICS declares (field → value as written), for results.json and the plan."""
        return {k: v for k, v in self.doc.model_dump(mode="json", exclude={"format"}).items() if v is not None}


def load_ics(path: str | Path) -> Ics:
    p = Path(path)
    src = p.name

    def fail(field_name: str, message: str) -> IcsError:
        return IcsError(f"{src}: {field_name}: {message}")

    doc = validate(IcsFile, read_data_file(p, FORMAT, IcsError, what="the ICS"), fail)
    if doc.pin is not None and doc.pin.max_digits < doc.pin.min_digits:
        raise fail("pin.max_digits", f"{doc.pin.max_digits} is less than pin.min_digits {doc.pin.min_digits}")
    for name in ("key_versions", "challenge_lengths"):
        values = getattr(doc, name) or []
        if len(set(values)) != len(values):
            raise fail(name, f"lists a value twice: {values!r}")
    ics = Ics(doc, p)
    decl = ics.declaration_path
    if decl is not None and not decl.is_file():
        raise fail("declaration", f"{doc.declaration}: no such file (relative to {p.parent})")
    return ics


def reference_ics_path(generation: str, ics_dir: Path = DEFAULT_ICS_DIR) -> Path | None:
    """``fixtures/ics/reference-<generation>.yaml``: the embedded reference card's own ICS."""
    p = ics_dir / f"reference-{generation}.yaml"
    return p if p.is_file() else None
