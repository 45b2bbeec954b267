"""The cross-region matrix (harness/cardset.py, harness/interop.py, terminal/crossregion.py,
terminal/acceptance.py): a clean card set passes every INT-XR requirement at every terminal, each
interop fault fails its requirement, and the matrix reaches results.json's shape.

Runs on a small set (three regions in two provinces) to stay fast; the suite runs the full one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import pytest

from checks.interop import crossregion as X
from checks.interop.crossregion import Abort, CellOutcome
from harness.cardset import UNKNOWN_ISSUER, issue_card, issue_card_set
from harness.interop import InteropMatrix, InteropRun, build_interop_run, terminal_profile
from harness.results import FAILED, NOT_RUN, PASSED
from ssc.checks import is_valid_card_number, is_valid_ssn
from ssc.keyset import TestKeySet
from ssc.profile import load_profile
from terminal.acceptance import BAD_CARD_ID_MAC, LISTED, check_acceptance
from terminal.acceptance import UNKNOWN_ISSUER as REFUSED_UNKNOWN_ISSUER
from terminal.channel import Terminal
from terminal.invalid_lists import InvalidCardLists
from terminal.regions import load_regions
from terminal.session import CardSession
from terminal.transports.inprocess import InProcessTransport
from terminal.transports.tracing import TracingTransport
from tests.unit import rig
from tests.unit.checks.zh import chinese_first

REGIONS = (rig.HOME_REGION, "330200", "320500")  # Qingyuan (home of the default card), Ningbo, Suzhou
KEYS = TestKeySet.for_profile(load_profile("gen3"))


@functools.cache
def _registry():
    return load_regions()


def _run(faults: tuple[str, ...] = ()) -> InteropRun:
    registry = _registry()
    return build_interop_run(regions=[registry.get(c) for c in REGIONS], registry=registry, keyset=KEYS, pin=rig.PIN, faults=faults)


def _checks(run: InteropRun) -> dict[str, tuple[Callable, bool]]:
    return {
        "INT-XR-1": (lambda v, c: X.internal_auth(v), False),
        "INT-XR-2": (lambda v, c: X.basic_data_read(v), False),
        "INT-XR-3": (lambda v, c: X.nationwide_write(v), False),
        "INT-XR-4": (lambda v, c: X.pin_verify_and_change(v), False),
        "INT-XR-5": (lambda v, c: X.local_files_home_only(v), False),
        "INT-XR-6": (run.listed_check(), False),
        "INT-XR-7": (run.validity_check(), True),
        "INT-XR-8": (lambda v, c: X.algorithm_announced(v, run.algorithms), False),
    }


REQUIREMENTS = [f"INT-XR-{n}" for n in range(1, 9)]


@pytest.fixture(scope="module")
def clean_run() -> Iterator[InteropRun]:
    run = _run()
    yield run
    run.close()


@pytest.mark.parametrize("requirement", REQUIREMENTS)
def test_clean_card_set_passes_every_cell(clean_run: InteropRun, requirement: str) -> None:
    check, defective = _checks(clean_run)[requirement]
    failures = clean_run.run(requirement, check, include_defective=defective)
    assert failures == []
    counts = clean_run.matrix.counts(requirement)
    rows = len(clean_run.cards) + (len(clean_run.defective) if defective else 0)
    assert counts == {PASSED: rows * len(REGIONS), FAILED: 0, NOT_RUN: 0}


@pytest.mark.parametrize(
    ("fault", "requirement"),
    [
        ("swapped_diversification", "INT-XR-1"),
        ("local_keys_from_national_root", "INT-XR-5"),
        ("bad_card_id_mac", "INT-XR-7"),
    ],
)
def test_fault_in_the_set_fails_its_requirement(fault: str, requirement: str) -> None:
    run = _run((fault,))
    try:
        check, defective = _checks(run)[requirement]
        failures = run.run(requirement, check, include_defective=defective)
    finally:
        run.close()
    assert failures, f"{fault} went unnoticed by {requirement}"
    assert all(chinese_first(f.split(": ", 1)[1]) for f in failures), failures  # "<row> @ <column>: <detail>"


def test_a_foreign_terminal_is_kept_out_of_the_local_files_and_the_counter_restored(clean_run: InteropRun) -> None:
    clean_run.run("INT-XR-5", _checks(clean_run)["INT-XR-5"][0])
    foreign = [c for row, cols in clean_run.matrix.cells["INT-XR-5"].items() for col, c in cols.items() if not row.startswith(col)]
    assert foreign and all("63C" in c.reason for c in foreign)  # the card refused the foreign key
    # the counter was restored each time: a fourth foreign attempt in a row still gets 63C2, never 6983
    assert all("63C2" in c.reason for c in foreign)


def test_pin_and_nationwide_record_are_left_as_found(clean_run: InteropRun) -> None:
    card = clean_run.cards[1]  # a gen3 card
    session = CardSession(Terminal(card.transport, card.profile), check=True)
    before = session.read_record("SSSE/DF04/EF06", number=1).data
    for requirement in ("INT-XR-3", "INT-XR-4"):
        assert clean_run.run(requirement, _checks(clean_run)[requirement][0]) == []
    session.select_mf()
    assert session.read_record("SSSE/DF04/EF06", number=1).data == before
    assert session.verify_pin(clean_run.pin, check=False).ok


def test_abort_leaves_the_rest_of_the_row_not_run(clean_run: InteropRun) -> None:
    def check(v: X.Visit, card) -> CellOutcome:
        if v.at_home:
            raise Abort(CellOutcome.failed("home broke"), "stop")
        return CellOutcome.passed()

    failures = clean_run.run("TEST", check)
    assert len(failures) == len(clean_run.cards)
    assert clean_run.matrix.counts("TEST") == {PASSED: 0, FAILED: len(clean_run.cards), NOT_RUN: len(clean_run.cards) * (len(REGIONS) - 1)}
    clean_run.matrix.clear("TEST")


def test_the_matrix_has_rows_columns_and_cells_per_requirement() -> None:
    m = InteropMatrix(["441800/gen2"], ["441800", "330200"])
    m.record("INT-XR-1", "441800/gen2", "441800", PASSED, apdus=5)
    m.record("INT-XR-1", "441800/gen2", "330200", FAILED, "63C2", 7)
    m.record("INT-XR-7", "441800/gen3+bad_card_id_mac", "441800", PASSED)
    doc = m.to_dict()
    assert doc["rows"] == ["441800/gen2", "441800/gen3+bad_card_id_mac"]
    assert doc["columns"] == ["441800", "330200"]
    assert doc["cells"]["INT-XR-1"]["441800/gen2"]["330200"] == {"verdict": FAILED, "reason": "63C2", "apdus": 7}
    assert doc["summary"]["INT-XR-1"] == {PASSED: 1, FAILED: 1, NOT_RUN: 0}


def test_card_set_is_one_valid_distinct_card_per_region_and_generation() -> None:
    registry = _registry()
    cards = issue_card_set([registry.get(c) for c in REGIONS], ("gen2", "gen3"), KEYS)
    assert [c.label for c in cards] == [f"{r}/{g}" for r in REGIONS for g in ("gen2", "gen3")]
    idents = [CardSession(Terminal(c.transport, c.profile), check=True).identity() for c in cards]
    assert len({i.card_sn for i in idents}) == len({i.card_number for i in idents}) == len(cards)
    for card, ident in zip(cards, idents):
        assert ident.region == card.declaration.region
        assert ident.card_number == card.declaration.card_number and is_valid_card_number(ident.card_number)
        assert ident.generation == card.profile.generation
    ssn = CardSession(Terminal(cards[0].transport, cards[0].profile), check=True).read_item("ssn")
    assert isinstance(ssn, str) and is_valid_ssn(ssn) and ssn.startswith(REGIONS[0][:4])


def test_acceptance_names_each_refusal() -> None:
    registry = _registry()
    lists = InvalidCardLists.load()
    psam_profile = load_profile("gen3")
    from harness.psam import software_psam

    psam = software_psam(psam_profile, registry.get("441800"), KEYS)
    cases = [
        (issue_card(registry.get("441800"), "gen2", KEYS), set()),
        (issue_card(registry.get("330200"), "gen2", KEYS), {LISTED}),  # on the national list
        (issue_card(registry.get("441800"), "gen3", KEYS, defects=["bad_card_id_mac"]), {BAD_CARD_ID_MAC}),
        (issue_card("110100", "gen3", KEYS, defects=[UNKNOWN_ISSUER]), {REFUSED_UNKNOWN_ISSUER}),
    ]
    for card, kinds in cases:
        decision = check_acceptance(CardSession(Terminal(card.transport, card.profile), check=False), psam, lists, registry)
        assert decision.kinds() == kinds, (card.label, decision.describe())
        assert decision.accepted is (not kinds)


def test_unknown_defect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown defect"):
        issue_card("441800", "gen2", KEYS, defects=["no_such_defect"])


def test_terminal_profile_is_the_one_holding_every_key() -> None:
    gen2, gen3 = load_profile("gen2"), load_profile("gen3")
    assert terminal_profile([gen2, gen3]).name == "gen3"
    assert terminal_profile([gen2]).name == "gen2"


def test_a_dut_only_set_is_the_dut_at_every_terminal() -> None:
    """A real card: the set is the DUT (its transport and identity), the PSAMs are the session's."""
    registry = _registry()
    card = issue_card(registry.get("441800"), "gen2", KEYS)

    class Dut:
        transport, recorder = card.transport, card.recorder
        identity = {"region": "441800", "card_number": card.declaration.card_number}

    from harness.psam import software_psam

    made: list[str] = []

    def psam_for(region):
        made.append(region.code)
        return software_psam(card.profile, region, KEYS)

    run = build_interop_run(
        regions=[registry.get(c) for c in REGIONS],
        registry=registry,
        keyset=KEYS,
        pin=rig.PIN,
        dut=Dut(),
        dut_profile=card.profile,
        psam_for=psam_for,
    )
    assert [c.label for c in run.cards] == ["441800/gen2"] and not run.defective and not run.issued
    assert made == list(REGIONS)
    for requirement, (check, defective) in _checks(run).items():
        assert run.run(requirement, check, include_defective=defective) == [], requirement
    assert run.unexercised_list_levels() == []
    run.close()
    traced = card.transport
    assert isinstance(traced, TracingTransport) and isinstance(traced.inner, InProcessTransport), "issue_card traces an in-process card"
    assert not traced.inner.removed  # the DUT is the session's to close, not the run's
