"""The access-control plan generated from the profile (terminal/access_plan.py), its Gherkin
rendering, and the executor that carries a case out (terminal/access_check.py).

Expected outcomes in the table below are read off PROFILE §3.3 by hand, not computed by the code
under test; the executor is run against the in-process reference card, clean and with rule faults.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from checks.security.access_check import attempt_access, effect_problems
from checks.security.access_plan import (
    AccessCase,
    Condition,
    Outcome,
    build_plan,
    expected_outcome,
    format_conditions,
    other_df,
    parse_conditions,
    plan_for_profiles,
    skipped_rights,
)
from checks.verdicts import Inconclusive
from scripts.access_features import FEATURE_PATH, render_access_feature, render_for_profiles
from ssc.catalogue import load_catalogue
from ssc.profile import builtin_profiles, load_profile
from ssc.profile.access import parse_rule
from ssc.profile.model import Profile
from terminal.psam_client import PsamClient
from terminal.session import CardSession
from tests.unit import rig

ROOT = Path(__file__).resolve().parents[4]
PROFILES = {name: load_profile(name) for name in builtin_profiles()}


# -- notation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "无",
        "校验 PIN",
        "外部认证 UK1DF01",
        "命令带 UK2DF04 的 MAC",
        "校验 PIN，然后外部认证 RK1DF04",
        "外部认证 UKSSSE，然后切换 DF",
        "校验 PIN，然后复位",
        "校验 PIN，然后选择 MF",
    ],
)
def test_conditions_round_trip(text: str) -> None:
    assert format_conditions(parse_conditions(text)) == text


@pytest.mark.parametrize("text", ["AUTH UK1DF01", "PIN", "切换DF", "外部认证", "校验 PIN → 复位"])
def test_unreadable_conditions_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="cannot read access condition"):
        parse_conditions(text)


@pytest.mark.parametrize("label", ["允许", "拒绝，6982（不满足安全状态）", "拒绝，6988（安全报文数据项不正确，MAC错）"])
def test_outcome_labels_round_trip(label: str) -> None:
    words = PROFILES["gen2"].sw
    assert Outcome.of_label(label, words).label(words) == label


@pytest.mark.parametrize("label", ["拒绝 security_not_satisfied", "拒绝，6982（安全状态不满足）", "拒绝，6A82（不满足安全状态）"])
def test_outcome_labels_must_be_the_profiles(label: str) -> None:
    """A row's status word must be the profile's code with the profile's name (no drift, no mnemonics)."""
    with pytest.raises(ValueError, match="cannot read expectation"):
        Outcome.of_label(label, PROFILES["gen2"].sw)


def test_other_df_stays_inside_the_application() -> None:
    p = PROFILES["gen2"]
    assert other_df(p, "SSSE/DF04") == "SSSE"
    assert other_df(p, "SSSE").startswith("SSSE/DF")


# -- expectations, read off PROFILE §3.3 by hand ------------------------------------------------------

EXPECTED = [
    # profile, file, right, conditions, status
    ("gen2", "SSSE/EF05", "read", "无", "ok"),
    ("gen2", "SSSE/EF05", "update", "无", "security_not_satisfied"),
    ("gen2", "SSSE/EF05", "update", "外部认证 UKSSSE", "ok"),
    ("gen2", "SSSE/EF05", "update", "外部认证 MK", "security_not_satisfied"),
    ("gen2", "SSSE/EF05", "update", "外部认证 UKSSSE，然后切换 DF", "security_not_satisfied"),
    ("gen2", "SSSE/EF05", "update", "外部认证 UKSSSE，然后复位", "security_not_satisfied"),
    ("gen2", "SSSE/EF06", "read", "无", "ok"),
    ("gen3", "SSSE/EF06", "read", "无", "security_not_satisfied"),
    ("gen3", "SSSE/EF06", "read", "外部认证 RKSSSE", "ok"),
    ("gen3", "SSSE/EF08", "read", "外部认证 UKSSSE", "security_not_satisfied"),
    ("gen1", "SSSE/DF02/EF06", "read", "校验 PIN", "ok"),
    ("gen1", "SSSE/DF02/EF06", "read", "外部认证 UK1DF02", "security_not_satisfied"),
    ("gen1", "SSSE/DF02/EF06", "read", "校验 PIN，然后切换 DF", "ok"),
    ("gen1", "SSSE/DF02/EF06", "read", "校验 PIN，然后选择 MF", "security_not_satisfied"),
    ("gen1", "SSSE/DF02/EF06", "read", "校验 PIN，然后复位", "security_not_satisfied"),
    ("gen2", "SSSE/DF03/EF05", "read", "外部认证 UK1DF03", "security_not_satisfied"),
    ("gen2", "SSSE/DF03/EF07", "read", "校验 PIN", "ok"),
    ("gen2", "SSSE/DF03/EF07", "read", "外部认证 UK1DF03", "ok"),
    ("gen2", "SSSE/DF03/EF07", "read", "外部认证 RK1DF03", "security_not_satisfied"),
    ("gen2", "SSSE/DF03/EF07", "update", "校验 PIN", "security_not_satisfied"),
    ("gen2", "SSSE/DF04/EF05", "read", "校验 PIN", "security_not_satisfied"),
    ("gen2", "SSSE/DF04/EF05", "read", "外部认证 RK1DF04", "security_not_satisfied"),
    ("gen2", "SSSE/DF04/EF05", "read", "校验 PIN，然后外部认证 RK1DF04", "ok"),
    ("gen2", "SSSE/DF04/EF05", "read", "外部认证 RK1DF04，然后校验 PIN", "ok"),
    ("gen2", "SSSE/DF04/EF05", "read", "校验 PIN，然后外部认证 UK1DF04", "security_not_satisfied"),
    ("gen2", "SSSE/DF04/EF05", "read", "校验 PIN，然后外部认证 RK1DF04，然后切换 DF", "security_not_satisfied"),
    ("gen2", "SSSE/DF04/EF05", "update", "校验 PIN，然后外部认证 UK1DF04", "ok"),
    ("gen2", "SSSE/DF04/EF06", "update", "命令带 UK2DF04 的 MAC", "ok"),
    ("gen2", "SSSE/DF04/EF06", "update", "命令带 UK1DF04 的 MAC", "sm_data_incorrect"),
    ("gen2", "SSSE/DF04/EF06", "update", "外部认证 UK2DF04", "security_not_satisfied"),
    ("gen2", "SSSE/DF04/EF08", "append", "无", "security_not_satisfied"),
    ("gen2", "SSSE/DF80/EF05", "read", "外部认证 RLK", "ok"),
    ("gen2", "SSSE/DF80/EF05", "update", "外部认证 RLK", "security_not_satisfied"),
]


@pytest.mark.parametrize(("gen", "path", "right", "conditions", "status"), EXPECTED)
def test_expected_outcome_follows_profile_section_3_3(gen: str, path: str, right: str, conditions: str, status: str) -> None:
    assert expected_outcome(PROFILES[gen], path, right, parse_conditions(conditions)).status == status


# -- the plan -----------------------------------------------------------------------------------------


def _index(cases: list[AccessCase]) -> dict[tuple[str, str, str], AccessCase]:
    return {(c.file, c.right, c.condition_text): c for c in cases}


@pytest.mark.parametrize("gen", PROFILES)
def test_plan_cases_agree_with_the_model_and_are_unique(gen: str) -> None:
    p = PROFILES[gen]
    plan = build_plan(p, [q for q in PROFILES.values() if q is not p])
    keys = [(c.file, c.right, c.conditions) for c in plan]
    assert len(keys) >= 20 and len(keys) == len(set(keys))
    catalogue = load_catalogue()
    for c in plan:
        assert c.expect_open == expected_outcome(p, c.file, c.right, c.conditions).opens, c
        assert c.requirement_ids and all(catalogue.is_requirement(r) and r.startswith("SEC-AC-") for r in c.requirement_ids), c
        assert not (c.right == "append" and c.expect_open), "an opening append would change the card for good"


@pytest.mark.parametrize("gen", PROFILES)
def test_every_protected_right_has_its_minimal_grants_and_a_refusal(gen: str) -> None:
    p = PROFILES[gen]
    plan = _index(build_plan(p))
    skipped = {(s.file, s.right) for s in skipped_rights(p)}
    checked = 0
    for f in p.efs():
        for right, rule in f.access.items():
            if rule.is_free or rule.is_never or (f.path, right) in skipped or "reserved" in f.flags or f.path.startswith("PSE"):
                continue
            assert plan[(f.path, right, "无")].status == "security_not_satisfied"
            for grant in rule.minimal_grants():
                conditions = sorted(grant, key=lambda t: str(t) != "PIN")
                text = format_conditions([Condition.of_term(t) for t in conditions])
                assert plan[(f.path, right, text)].expect_open, (f.path, right, text)
            checked += 1
    assert checked >= 10


def test_plan_maps_the_catalogue_items() -> None:
    merged = _index(plan_for_profiles(list(PROFILES.values())))
    assert merged[("SSSE/EF05", "update", "外部认证 UKSSSE")].requirement_ids[0] == "SEC-AC-1"
    assert "SEC-AC-2" in merged[("SSSE/DF01/EF05", "update", "外部认证 UK2DF01")].requirement_ids
    assert merged[("SSSE/DF02/EF06", "read", "外部认证 UK1DF02")].requirement_ids[0] == "SEC-AC-3"
    assert "SEC-AC-4" in merged[("SSSE/DF03/EF05", "read", "外部认证 UK1DF03")].requirement_ids
    assert merged[("SSSE/DF03/EF07", "read", "校验 PIN")].requirement_ids == ("SEC-AC-5",)
    assert merged[("SSSE/DF04/EF05", "read", "校验 PIN")].requirement_ids == ("SEC-AC-6",)
    assert merged[("SSSE/DF04/EF05", "update", "外部认证 UK1DF04")].requirement_ids == ("SEC-AC-6",)
    gen3_ef06 = merged[("SSSE/EF06", "read", "无")]
    assert gen3_ef06.requirement_ids == ("SEC-AC-7",) and gen3_ef06.generations == ("gen3",) and not gen3_ef06.expect_open
    assert merged[("SSSE/DF02/EF06", "read", "校验 PIN，然后复位")].requirement_ids == ("SEC-AC-8",)
    assert merged[("SSSE/EF05", "update", "外部认证 MK")].generations == ("gen1", "gen2", "gen3")
    covered = {r for c in merged.values() for r in c.requirement_ids}
    assert covered == {f"SEC-AC-{i}" for i in range(1, 9)}


def test_plan_follows_a_changed_rule() -> None:
    """A lab that turns the "and" rule of DF04/EF05 into an "or" gets "or" cases, not stale ones."""
    p = PROFILES["gen2"]
    f = p.file("SSSE/DF04/EF05")
    changed = dataclasses.replace(f, access={**f.access, "read": parse_rule("PIN or AUTH RK1DF04")})
    lab = dataclasses.replace(p, files={**p.files, f.path: changed})
    case = _index(build_plan(lab))[("SSSE/DF04/EF05", "read", "校验 PIN")]
    assert case.expect_open and case.requirement_ids == ("SEC-AC-5",)


def test_committed_feature_is_up_to_date() -> None:
    committed = (ROOT / FEATURE_PATH).read_text(encoding="utf-8")
    assert committed == render_for_profiles(list(PROFILES.values())), (
        f"{FEATURE_PATH} is out of date with the built-in profiles: run scripts/generate-access-features"
    )


def test_feature_carries_generation_tags_on_generation_specific_rows() -> None:
    text = render_for_profiles(list(PROFILES.values()))
    assert "@TC-SEC-AC-1-SSSE.EF06-READ-NONE @gen1 @gen2\n    例子: 第一代、第二代卡" in text
    assert " @gen3\n    例子: 第三代卡" in text
    assert text.count("场景大纲:") == 8


def test_generated_case_ids_come_from_the_rule_not_the_row() -> None:
    """Reordering the plan (a profile that lists its files differently) or rewording a reason
    changes no test-case ID; every row has its own, once."""
    cases = plan_for_profiles(list(PROFILES.values()))
    profiles = list(PROFILES.values())
    ids = re.findall(r"@(TC-SEC-AC-\S+)", render_access_feature(cases, [], [p.name for p in profiles], profiles[0].sw))
    shuffled = [dataclasses.replace(c, reason=c.reason + "（改写说明）") for c in reversed(cases)]
    again = re.findall(r"@(TC-SEC-AC-\S+)", render_access_feature(shuffled, [], [p.name for p in profiles], profiles[0].sw))
    assert len(ids) == len(cases) == len(set(ids))
    assert sorted(ids) == sorted(again)
    assert "TC-SEC-AC-8-SSSE.DF02.EF06-READ-PIN+RESET" in ids


# -- the executor against the reference card ------------------------------------------------------


def _session(profile: Profile, faults: tuple[str, ...] = ()) -> tuple[CardSession, PsamClient]:
    return rig.open_session(profile.name, faults=faults), rig.open_psam(profile)


PIN = rig.PIN


@pytest.mark.parametrize(("gen", "path", "right", "conditions", "status"), EXPECTED)
def test_executor_on_the_clean_reference_card(gen: str, path: str, right: str, conditions: str, status: str) -> None:
    p = PROFILES[gen]
    session, psam = _session(p)
    attempt = attempt_access(session, psam, PIN, path, right, parse_conditions(conditions))
    assert p.sw[status].matches(attempt.response.sw), attempt.response


def test_executor_writes_a_new_value_reads_it_back_and_restores() -> None:
    p = PROFILES["gen2"]
    session, psam = _session(p)
    before = session.read_record("SSSE/DF01/EF05", number=1, check=True).data
    attempt = attempt_access(session, psam, PIN, "SSSE/DF01/EF05", "update", parse_conditions("外部认证 UK1DF01"))
    assert attempt.response.ok and attempt.content is not None and attempt.content != before
    assert attempt.write is not None and attempt.write.after is not None and attempt.write.after.data == attempt.content
    assert effect_problems(attempt, opens=True) == []
    assert session.read_record("SSSE/DF01/EF05", number=1, check=True).data == before


@pytest.mark.parametrize(
    ("fault", "path", "right", "conditions", "opens", "finding"),
    [
        ("write_ignored", "SSSE/DF01/EF05", "update", "外部认证 UK1DF01", True, "read back"),
        ("write_ignored", "SSSE/EF07", "update", "外部认证 UKSSSE", True, "read back"),
        ("write_ignored", "SSSE/DF04/EF06", "update", "命令带 UK2DF04 的 MAC", True, "read back"),
        ("write_despite_refusal", "SSSE/DF01/EF05", "update", "无", False, "changed the target"),
        ("write_despite_refusal", "SSSE/EF07", "update", "校验 PIN", False, "changed the target"),
        ("read_wrong_data", "SSSE/DF02/EF06", "read", "校验 PIN", True, "by tag"),
    ],
)
def test_effects_expose_faults_the_status_word_hides(fault: str, path: str, right: str, conditions: str, opens: bool, finding: str) -> None:
    p = PROFILES["gen2"]
    parsed = parse_conditions(conditions)
    assert expected_outcome(p, path, right, parsed).opens == opens
    clean_session, clean_psam = _session(p)
    assert effect_problems(attempt_access(clean_session, clean_psam, PIN, path, right, parsed), opens) == []
    session, psam = _session(p, (fault,))
    attempt = attempt_access(session, psam, PIN, path, right, parsed)
    assert p.sw["ok" if opens else "security_not_satisfied"].matches(attempt.response.sw)  # the status word alone looks right
    problems = effect_problems(attempt, opens)
    assert any(finding in problem for problem in problems), problems


def test_a_write_whose_target_cannot_be_read_is_inconclusive() -> None:
    """A file no right lets the terminal read (here: the read rule made `never`) is never passed."""
    p = PROFILES["gen2"]
    f = p.file("SSSE/DF01/EF05")
    unreadable = dataclasses.replace(p, files={**p.files, f.path: dataclasses.replace(f, access={**f.access, "read": parse_rule("never")})})
    session, psam = _session(p)
    session.profile = unreadable
    with pytest.raises(Inconclusive, match="^inconclusive: 未发送对 SSSE/DF01/EF05 的更新：.* / the update of SSSE/DF01/EF05 was not sent"):
        attempt_access(session, psam, PIN, f.path, "update", parse_conditions("外部认证 UK1DF01"))


@pytest.mark.parametrize(
    ("fault", "path", "right", "conditions"),
    [
        ("and_rule_as_or", "SSSE/DF04/EF05", "read", "校验 PIN"),
        ("any_key_opens_auth", "SSSE/DF01/EF05", "update", "外部认证 UK2DF01"),
        ("gen3_ef06_free_read", "SSSE/EF06", "read", "无"),
    ],
)
def test_executor_exposes_rule_faults(fault: str, path: str, right: str, conditions: str) -> None:
    p = PROFILES["gen3"]
    parsed = parse_conditions(conditions)
    assert not expected_outcome(p, path, right, parsed).opens
    session, psam = _session(p, (fault,))
    assert attempt_access(session, psam, PIN, path, right, parsed).response.ok
