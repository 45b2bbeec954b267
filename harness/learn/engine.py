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
from harness.learn.sul import BudgetExceeded

__all__ = ["Learned", "ModelGuidedEqOracle", "Witness", "learn_machine"]

WALKS_PER_STATE = 10
WALK_LENGTH = 10


@dataclass(frozen=True)
class Witness:
    """A sequence the card answered differently from the model: a difference proven by the card's
    own answers, whether or not its whole machine could be learned."""

    sequence: tuple[str, ...]
    model_outputs: tuple[str, ...]
    dut_outputs: tuple[str, ...]


class ModelGuidedEqOracle(Oracle):  # aalpy is untyped: Oracle is Any to mypy
    def __init__(self, alphabet: list[str], sul: SUL, guide: MachineView | None, seed: int) -> None:
        super().__init__(alphabet, sul)
        self.guide = guide
        self.inner = RandomWMethodEqOracle(alphabet, sul, walks_per_state=WALKS_PER_STATE, walk_len=WALK_LENGTH)
        self.seed = seed
        self.witnesses: dict[tuple[str, ...], Witness] = {}
        self.last: MachineView | None = None  # the last hypothesis (a partial result if learning stops)

    def find_cex(self, hypothesis: Any) -> tuple[str, ...] | None:
        self.inner.sul = self.sul  # the learner wraps the SUL in its cache after construction
        view = MachineView.of(hypothesis, list(self.alphabet))
        self.last = view
        if self.guide is not None:
            differences, _, _ = compare(self.guide, view, limit=50)
            for d in differences:
                self.num_queries += 1
                answered = tuple(self.sul.query(d.sequence))
                if answered != d.model_outputs:
                    self.witnesses.setdefault(d.sequence, Witness(d.sequence, d.model_outputs, answered))
                if answered != d.dut_outputs:
                    return d.sequence
        random.seed(self.seed)
        cex = self.inner.find_cex(hypothesis)
        self.num_queries += self.inner.num_queries
        self.inner.num_queries = 0
        if cex is None:
            return None
        cex = tuple(cex)
        if self.guide is not None:
            answered = tuple(self.sul.query(cex))  # from the learner's cache: no APDU
            if answered != tuple(self.guide.run(cex)):
                self.witnesses.setdefault(cex, Witness(cex, tuple(self.guide.run(cex)), answered))
        return cex


@dataclass(frozen=True)
class Learned:
    machine: MachineView  # complete: the learned machine; else the last hypothesis
    queries: int  # membership + equivalence queries sent to the card (cache hits not counted)
    steps: int  # symbols performed on the card
    apdus: int
    seconds: float
    complete: bool = True
    stopped: str = ""  # why learning stopped early
    witnesses: tuple[Witness, ...] = ()

    def figures(self) -> dict[str, Any]:
        return {
            "states": len(self.machine.states),
            "queries": self.queries,
            "steps": self.steps,
            "apdus": self.apdus,
            "seconds": round(self.seconds, 2),
            "complete": self.complete,
        }


def learn_machine(sul: Any, inputs: list[str], *, guide: MachineView | None = None, seed: int = 1) -> Learned:
    """Learn `sul` (a CardSUL: counts its APDUs in ``sul.transport``) over `inputs`."""
    start_apdus = sul.transport.apdus
    start = time.perf_counter()
    oracle = ModelGuidedEqOracle(inputs, sul, guide, seed)
    try:
        machine = run_KV(inputs, sul, oracle, automaton_type="mealy", print_level=0)
    except BudgetExceeded as exc:
        if oracle.last is None:
            raise
        return Learned(
            oracle.last,
            sul.num_queries,
            sul.num_steps,
            sul.transport.apdus - start_apdus,
            time.perf_counter() - start,
            complete=False,
            stopped=str(exc),
            witnesses=tuple(sorted(oracle.witnesses.values(), key=lambda w: len(w.sequence))),
        )
    return Learned(
        MachineView.of(machine, inputs),
        sul.num_queries,
        sul.num_steps,
        sul.transport.apdus - start_apdus,
        time.perf_counter() - start,
        witnesses=tuple(sorted(oracle.witnesses.values(), key=lambda w: len(w.sequence))),
    )
