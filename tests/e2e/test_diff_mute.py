"""The lockstep diff through pcscd + vpcd + pyscard against a card that misses the APDU time limit:
a divergence ("no answer"), shrunk on the one persisting card by its cheap candidate, the card
brought back by a cold reset once the exchange has ended. (A served card that never answers cannot
be brought back through vpcd: see `harness.diff.lockstep`.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.declaration import default_declaration_path
from harness.diff.command import DiffOptions, prepare
from harness.diff.lockstep import run_lockstep
from reference_card import ReferenceCard
from tests.e2e.hostile_cards import LateOnInconsistentLc

LATE = 2.0  # seconds the card takes to answer a bad Lc: past the limit below
LIMIT = 1.0  # the run's --apdu-timeout (the served card answers any other APDU in milliseconds, load or not)


@pytest.mark.pcsc
def test_a_card_past_the_time_limit_diverges_is_shrunk_and_brought_back(serve_card: Callable[..., Any]) -> None:
    inner = ReferenceCard.default("gen2")
    card = LateOnInconsistentLc(inner, LATE)
    served = serve_card(card)
    try:
        options = DiffOptions(
            card=f"reader:{served.reader}",
            profile="gen2",
            declaration=default_declaration_path(inner.personalization.region),
            max_apdus=3_000,
            seed=0,
            stop_at_first=True,
            apdu_timeout=LIMIT,
        )
        _, run, _ = prepare(options)
        run_lockstep(run)
    finally:
        card.release()
    assert run.fatal is None, f"the run went on after the card missed the limit: {run.fatal}"
    (found,) = run.divergences
    assert found.divergence.dut == b"" and found.divergence.rule.startswith("no answer"), found.divergence
    assert [step.op.name for step in found.steps] == ["reset", "apdu"], "the diverging APDU alone after a reset"
    assert card.late_answers == 2, "the first diverging sequence and its cheap candidate, on the card brought back; no shrink attempt after"
    assert not run.restore_problems, run.restore_problems
