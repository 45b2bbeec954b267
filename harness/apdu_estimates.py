"""How many APDUs each test case sends, as measured on the reference card (``ssc-apdu-estimates/1``).

The plan's duration estimate multiplies these counts by a per-APDU latency; the counts are never
guessed: `bench/measure_apdus.py` runs the whole suite on the embedded reference card of every
generation and writes ``fixtures/apdu_estimates.yaml`` from the traces it recorded (the APDUs sent
to the card under test and its resets; the interop matrix's own card set is not counted, so on a
real card the INT cases send more). A unit test fails when a case of the suite has no count, so the
file is regenerated whenever scenarios change.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from ssc.datafile import read_data_file
from ssc.formats import DataModel, NonEmptyStr, validate
from terminal.errors import InputError

__all__ = ["DEFAULT_ESTIMATES", "FORMAT", "ApduEstimates", "EstimatesError", "load_estimates"]

FORMAT = "ssc-apdu-estimates/1"
DEFAULT_ESTIMATES = Path(__file__).resolve().parents[1] / "fixtures" / "apdu_estimates.yaml"
Count = Annotated[int, Field(ge=0)]


class EstimatesError(InputError):
    """The APDU estimates file is unreadable or malformed."""


class CaseCount(DataModel):
    """What one case sent to the card under test in the measuring run."""

    apdus: Count
    """command APDUs sent (GET RESPONSE and re-issued commands included)"""
    resets: Count = 0
    """card resets"""


class ApduEstimates(DataModel):
    """APDU counts per generation and test case, measured by bench/measure_apdus.py."""

    format: Literal["ssc-apdu-estimates/1"]
    """the format and its version"""
    measured_with: NonEmptyStr
    """how the counts were measured (the command that wrote the file)"""
    generations: dict[str, dict[str, CaseCount]]
    """generation (gen1, gen2, gen3) → test case ID → its count"""

    def count(self, generation: str, case_id: str) -> CaseCount | None:
        return self.generations.get(generation, {}).get(case_id)


@cache
def load_estimates(path: Path = DEFAULT_ESTIMATES) -> ApduEstimates:
    def fail(field_name: str, message: str) -> EstimatesError:
        return EstimatesError(f"{path.name}: {field_name}: {message}")

    return validate(ApduEstimates, read_data_file(path, FORMAT, EstimatesError, what="the APDU estimates"), fail)
