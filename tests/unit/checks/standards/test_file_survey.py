"""File surveys (checks/standards/file_survey.py) on the in-process reference card: the clean card
yields no findings, and a pretended absence shows up as one. Expected files and counts come from
the profile (PROFILE §2)."""

from __future__ import annotations

import pytest

from checks.standards import file_survey as survey
from ssc.profile.model import Profile
from terminal.session import CardSession
from tests.unit import rig
from tests.unit.checks.zh import chinese_first


def test_file_surveys_clean(profile: Profile, session: CardSession) -> None:
    files = survey.mandatory_files(profile)
    assert "SSSE/DF05" not in {f.path for f in files} and "SSSE/DF04/EF08" in {f.path for f in files}
    for check in (survey.fid_findings, survey.sfi_findings, survey.aid_findings):
        assert check(session, files) == [], check.__name__


@pytest.mark.parametrize("gen", ["gen2"])
def test_dir_survey_clean_and_absent_adf(profile: Profile, session: CardSession) -> None:
    adfs = [f.path for f in profile.files.values() if f.kind == "adf" and f.name is not None]
    presence = survey.adf_presence(session)
    assert "SSSE/DF06" in adfs and presence == dict.fromkeys(adfs, True)  # the embedded card has every optional DF
    expected, scan, findings = survey.dir_findings(session, presence)
    assert findings == [] and len(expected) == len(scan.records) == 8
    presence["SSSE/DF06"] = False  # pretend DF06 were absent: its DIR record is then extra
    findings = survey.dir_findings(session, presence)[2]
    assert findings and all(chinese_first(f) and " / " in f for f in findings), findings


@pytest.mark.parametrize("gen", ["gen2"])
def test_select_helpers(profile: Profile, session: CardSession) -> None:
    assert survey.select_fid_findings(session, "SSSE/DF01", survey.relatives(profile, "SSSE/DF01")) == []
    assert {f.path for f in survey.relatives(profile, "SSSE/DF01")} >= {"MF", "SSSE", "SSSE/DF02"}
    assert survey.absent_fid(profile) not in {f.fid for f in profile.files.values()}
    assert survey.absent_name(profile) not in {f.name for f in profile.files.values()}


@pytest.mark.parametrize("kind", ["df_fid", "ef_fid", "name"])
def test_absent_file_selects(kind: str) -> None:
    s = rig.open_session("gen2")
    s.select_path("SSSE", check=True)
    assert s.terminal.send(survey.absent_file_selects(rig.PROFILES["gen2"])[kind]).means("file_not_found")
