"""Write-back (checks/writeback.py): write a changed value, read it back, restore the original, on
the in-process reference card; and the distinct records used to fill a cyclic file."""

from __future__ import annotations

import pytest

from checks.writeback import distinct_records, flip_value, mismatched_tag, update_binary_and_restore, update_record_and_restore
from ssc.profile.model import Profile
from terminal.grants import grant
from terminal.psam_client import PsamClient
from terminal.session import CardSession

pytestmark = pytest.mark.parametrize("gen", ["gen2"])


def test_update_record_and_restore(profile: Profile, session: CardSession, psam_client: PsamClient, pin: str) -> None:
    path = "SSSE/DF01/EF05"
    grant(session, path, "update", psam_client, pin)
    before = session.read_record(path, 1).data
    wb = update_record_and_restore(session, path, 1, flip_value)
    assert wb.write.ok and wb.read_after_write.data == wb.written != before and wb.restored
    wrong = update_record_and_restore(session, path, 1, mismatched_tag(profile.file(path)))
    assert wrong.write.means("wrong_data") and wrong.restored
    assert session.read_record(path, 1).data == before


def test_update_binary_and_restore(session: CardSession, psam_client: PsamClient, pin: str) -> None:
    path = "SSSE/EF07"
    grant(session, path, "read", psam_client, pin)
    grant(session, path, "update", psam_client, pin)
    wb = update_binary_and_restore(session, path, 300, 16)
    assert wb.write.ok and wb.read_after_write.data == wb.written and wb.restored


def test_distinct_records(profile: Profile) -> None:
    f = profile.file("SSSE/DF04/EF08")
    records = distinct_records(f, 11)
    assert len(records) == 11 and len(set(records)) == 11
    assert all(r[:2] == bytes([0x55, 0x10]) and len(r) == 18 for r in records)
