"""The ICS (ssc-ics/1): the loader and its messages, the reference card's own ICS, and the
decision each option makes for a case (harness.ics_options)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.ics import DEFAULT_ICS_DIR, IcsError, load_ics, reference_ics_path
from harness.ics_options import ABSENT, APPLIES, UNDECLARED, decide, options_of
from reference_card import ReferenceCard
from ssc.profile import builtin_profiles, load_profile

GEN2 = load_profile("gen2")
DF80_ROW = {"文件": "SSSE/DF80/EF05", "权限": "读", "条件": "AUTH RLK"}


def _ics(tmp_path: Path, **fields: object) -> Path:
    path = tmp_path / "card.yaml"
    path.write_text(yaml.safe_dump({"format": "ssc-ics/1", **fields}), encoding="utf-8")
    return path


@pytest.mark.parametrize("generation", builtin_profiles())
def test_the_reference_card_ships_an_ics_per_generation_that_matches_it(generation: str) -> None:
    path = reference_ics_path(generation)
    assert path is not None and path.parent == DEFAULT_ICS_DIR
    ics = load_ics(path)
    card = ReferenceCard.default(generation)
    product = ics.doc.product
    assert product is not None and ics.doc.generation == int(generation[-1])
    historical = card.atr[4:]  # after 3B 6D 00 00 (PROFILE §2)
    assert (product.chip_maker, product.cos_id, product.cos_version) == (
        historical[0:2].hex(),
        historical[2:3].hex(),
        historical[3:4].hex(),
    )
    assert ics.declaration_path is not None and ics.declaration_path.is_file()


def test_a_field_error_names_the_file_and_the_field(tmp_path: Path) -> None:
    with pytest.raises(IcsError, match=r"card.yaml: pin.tries"):
        load_ics(_ics(tmp_path, pin={"min_digits": 4, "max_digits": 6, "tries": 0}))
    with pytest.raises(IcsError, match=r"card.yaml: pin.max_digits: 4 is less than pin.min_digits 6"):
        load_ics(_ics(tmp_path, pin={"min_digits": 6, "max_digits": 4, "tries": 3}))
    with pytest.raises(IcsError, match=r"card.yaml: declaration: nowhere.yaml: no such file"):
        load_ics(_ics(tmp_path, declaration="nowhere.yaml"))
    with pytest.raises(IcsError, match=r"card.yaml: challenge_lengths: lists a value twice"):
        load_ics(_ics(tmp_path, challenge_lengths=[4, 4]))
    with pytest.raises(IcsError, match=r"card.yaml: surprise"):
        load_ics(_ics(tmp_path, surprise=True))


def test_an_option_declared_absent_makes_its_cases_not_applicable(tmp_path: Path) -> None:
    ics = load_ics(_ics(tmp_path, pse=False, local_extension=False))
    firewall = decide(ics, GEN2, ["SEC-FW-1"], {})
    assert firewall is not None and firewall.outcome == ABSENT and firewall.reason.startswith("not applicable: ")
    row = decide(ics, GEN2, ["SEC-AC-3"], DF80_ROW)
    assert row is not None and row.outcome == ABSENT and "SSSE/DF80" in row.reason


def test_an_undeclared_option_leaves_its_cases_not_run(tmp_path: Path) -> None:
    ics = load_ics(_ics(tmp_path, pse=True))
    undeclared = decide(ics, GEN2, ["SEC-KEY-2"], {})
    assert undeclared is not None and undeclared.outcome == UNDECLARED
    assert undeclared.reason == "ICS does not declare key versions loaded (card.yaml has no 'key_versions')"
    no_ics = decide(None, GEN2, ["SEC-FW-1"], {})
    assert no_ics is not None and no_ics.outcome == UNDECLARED and "no ICS given (--ics)" in no_ics.reason


def test_declared_values_must_cover_what_the_case_needs(tmp_path: Path) -> None:
    some = load_ics(_ics(tmp_path, key_versions=["01"], challenge_lengths=[4, 8]))
    keys = decide(some, GEN2, ["SEC-KEY-2"], {})
    assert keys is not None and keys.outcome == ABSENT and "needs 02, 03" in keys.reason
    challenge = decide(some, GEN2, ["STD-CMD-3"], {})
    assert challenge is not None and challenge.outcome == ABSENT and "needs 16" in challenge.reason
    full = load_ics(reference_ics_path("gen2") or Path())
    for tags, params in ((["SEC-KEY-2"], {}), (["STD-CMD-3"], {}), (["SEC-FW-1"], {}), (["SEC-AC-3"], DF80_ROW)):
        decision = decide(full, GEN2, tags, params)
        assert decision is not None and decision.outcome == APPLIES, (tags, decision)


def test_cases_no_option_decides_are_left_alone() -> None:
    assert decide(None, GEN2, ["STD-ATR-1"], {}) is None
    assert decide(None, GEN2, ["SEC-AC-1"], {"文件": "SSSE/DF01/EF05"}) is None  # DF01 is mandatory


def test_every_optional_and_local_df_of_a_profile_is_an_option() -> None:
    dfs = {p for o in options_of(GEN2) if o.field in ("optional_dfs", "local_extension") for p in o.paths}
    assert dfs == {f.path for f in GEN2.files.values() if f.is_df and f.presence in ("optional", "local")}


def test_a_bad_ics_is_bad_input_before_a_run_or_a_plan(tmp_path: Path) -> None:
    from harness.exitstatus import UsageError
    from harness.planmake import PlanOptions, make_plan
    from harness.run import RunOptions

    bad = tmp_path / "bad.yaml"
    bad.write_text("format: ssc-ics/1\npse: perhaps\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"bad.yaml: pse"):
        RunOptions(ics=bad).validate()
    with pytest.raises(UsageError, match=r"--ics: bad.yaml: pse"):
        make_plan(PlanOptions(ics=bad))
