"""Learning one card's Mealy machine with aalpy: the KV algorithm (fewer membership queries than
L* for the same machine, which is what costs APDUs on a real card) and an equivalence oracle that
looks first where a difference from the reference model would be.

The *model-guided* oracle: when the reference model's machine is known, every shortest sequence on
which the hypothesis differs from the model is asked of the card first; a card that behaves like
its hypothesis there keeps the difference, and a card that behaves like the model refutes the
hypothesis at once. Then random W-method walks (seeded: the same run learns the same way) look for
anything else.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from aalpy.base import SUL, Oracle
from aalpy.learning_algs import run_KV
from aalpy.oracles import RandomWMethodEqOracle

from harness.learn.compare import MachineView, compare

__all__ = ["Learned", "ModelGuidedEqOracle", "learn_machine"]

WALKS_PER_STATE = 10
WALK_LENGTH = 10


class ModelGuidedEqOracle(Oracle):  # aalpy is untyped: Oracle is Any to mypy
    def __init__(self, alphabet: list[str], sul: SUL, guide: MachineView | None, seed: int) -> None:
        super().__init__(alphabet, sul)
        self.guide = guide
        self.inner = RandomWMethodEqOracle(alphabet, sul, walks_per_state=WALKS_PER_STATE, walk_len=WALK_LENGTH)
        self.seed = seed

    def find_cex(self, hypothesis: Any) -> tuple[str, ...] | None:
        self.inner.sul = self.sul  # the learner wraps the SUL in its cache after construction
        if self.guide is not None:
            view = MachineView.of(hypothesis, list(self.alphabet))
            differences, _, _ = compare(self.guide, view, limit=50)
            for d in differences:
                self.num_queries += 1
                if tuple(self.sul.query(d.sequence)) != d.dut_outputs:
                    return d.sequence
        random.seed(self.seed)
        cex = self.inner.find_cex(hypothesis)
        self.num_queries += self.inner.num_queries
        self.inner.num_queries = 0
        return None if cex is None else tuple(cex)


@dataclass(frozen=True)
class Learned:
    machine: MachineView
    queries: int  # membership + equivalence queries sent to the card (cache hits not counted)
    steps: int  # symbols performed on the card
    apdus: int
    seconds: float

    def figures(self) -> dict[str, Any]:
        return {
            "states": len(self.machine.states),
            "queries": self.queries,
            "steps": self.steps,
            "apdus": self.apdus,
            "seconds": round(self.seconds, 2),
        }


def learn_machine(sul: Any, inputs: list[str], *, guide: MachineView | None = None, seed: int = 1) -> Learned:
    """Learn `sul` (a CardSUL: counts its APDUs in ``sul.transport``) over `inputs`."""
    start_apdus = sul.transport.apdus
    start = time.perf_counter()
    oracle = ModelGuidedEqOracle(inputs, sul, guide, seed)
    machine = run_KV(inputs, sul, oracle, automaton_type="mealy", print_level=0)
    return Learned(
        MachineView.of(machine, inputs),
        sul.num_queries,
        sul.num_steps,
        sul.transport.apdus - start_apdus,
        time.perf_counter() - start,
    )
