"""Record walks and the addressing survey (checks/standards/record_walk.py) on the in-process
reference card: clean, and with READ RECORD by tag broken."""

from __future__ import annotations

import pytest

from checks.standards.record_walk import addressing_survey, walk_record_files
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from tests.unit import rig
from tests.unit.checks.zh import chinese_first

GEN3 = rig.PROFILES["gen3"]


@pytest.mark.parametrize("gen", ["gen3"])
def test_record_walk_and_addressing(session: CardSession, psam_client: PsamClient, pin: str) -> None:
    walks = walk_record_files(session, psam_client, pin)
    skipped = {w.file.path for w in walks if w.skipped}
    assert skipped == {"PSE/ADF1/EF02"}
    scanned = [w for w in walks if w.scan is not None]
    assert len(scanned) == len(walks) - len(skipped) and "SSSE/EF05" in {w.file.path for w in scanned}
    assert [w.file.path for w in scanned if not w.scan.ended_cleanly] == []  # type: ignore[union-attr]  # every walked file has a scan
    assert addressing_survey(session, lambda: rig.open_psam(GEN3), pin)[1] == []
    bad = rig.open_session("gen3", faults=("no_read_record_by_tag",))
    findings = addressing_survey(bad, lambda: rig.open_psam(GEN3), pin)[1]
    assert findings and all(chinese_first(f) for f in findings), findings
