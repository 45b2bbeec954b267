"""Learning one card's Mealy machine with aalpy: the KV algorithm (fewer membership queries than
L* for the same machine, which is what costs APDUs on a real card) and an equivalence oracle that
looks first where a difference from the reference model would be.

The *model-guided* oracle, in three passes, cheapest and surest first:
1. when the reference model's machine is known, every shortest sequence on which the hypothesis
   differs from the model is asked of the card: a card that behaves like its hypothesis there keeps
   the difference (a witness), a card that behaves like the model refutes the hypothesis at once;
2. from every state of the hypothesis (its shortest access word), every word of the alphabet up to
   the depth that keeps this under `EXHAUSTIVE_WORDS` queries (depth 3 for a 2-state machine over 5 symbols, 1 for
   the 56-state default) — random walks alone miss short paths in small machines;
3. random W-method walks (seeded: the same run learns the same way), at least `MIN_WALKS` in all.
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
from harness.learn.sul import BudgetExceeded, RestoreUnverified
from terminal.errors import HarnessError

__all__ = ["Learned", "ModelGuidedEqOracle", "NonDeterministicCard", "Witness", "learn_machine"]

WALKS_PER_STATE = 6
WALK_LENGTH = 10
MIN_WALKS = 200
EXHAUSTIVE_WORDS = 600


class NonDeterministicCard(HarnessError):
    """The same query from the restored card got different answers: the card (or its restore)
    is not deterministic under the alphabet's abstraction, so no machine describes it."""


@dataclass(frozen=True)
class Witness:
    """A sequence the card answered differently from the model: a difference proven by the card's
    own answers, whether or not its whole machine could be learned."""

    sequence: tuple[str, ...]
    model_outputs: tuple[str, ...]
    dut_outputs: tuple[str, ...]


class ModelGuidedEqOracle(Oracle):  # aalpy is untyped: Oracle is Any to mypy
    def __init__(
        self,
        alphabet: list[str],
        sul: SUL,
        guide: MachineView | None,
        seed: int,
        *,
        known: tuple[tuple[str, ...], ...] = (),
        walks_per_state: int = WALKS_PER_STATE,
    ) -> None:
        super().__init__(alphabet, sul)
        self.guide = guide
        self.known = known  # words that refuted an earlier learning of this card: asked first
        self.walks_per_state = walks_per_state
        self.inner = RandomWMethodEqOracle(alphabet, sul, walks_per_state=walks_per_state, walk_len=WALK_LENGTH)
        self.seed = seed
        self.witnesses: dict[tuple[str, ...], Witness] = {}
        self.last: MachineView | None = None  # the last hypothesis (a partial result if learning stops)

    def find_cex(self, hypothesis: Any) -> tuple[str, ...] | None:
        self.inner.sul = self.sul  # the learner wraps the SUL in its cache after construction
        view = MachineView.of(hypothesis, list(self.alphabet))
        self.last = view
        for word in self.known:
            self.num_queries += 1
            answered = tuple(self.sul.query(word))
            if answered != tuple(view.run(word)):
                self._witness(word, answered)
                return word
        if self.guide is not None:
            differences, _, _ = compare(self.guide, view, limit=50)
            for d in differences:
                self.num_queries += 1
                answered = tuple(self.sul.query(d.sequence))
                if answered != d.model_outputs:
                    self.witnesses.setdefault(d.sequence, Witness(d.sequence, d.model_outputs, answered))
                if answered != d.dut_outputs:
                    return d.sequence
        cex = self._exhaustive(view)
        if cex is not None:
            return cex
        random.seed(self.seed)
        self.inner.walks_per_state = max(self.walks_per_state, -(-MIN_WALKS // len(view.states)))
        cex = self.inner.find_cex(hypothesis)
        self.num_queries += self.inner.num_queries
        self.inner.num_queries = 0
        if cex is None:
            return None
        cex = tuple(cex)
        self._witness(cex, tuple(self.sul.query(cex)))  # from the learner's cache: no APDU
        return cex

    def _exhaustive(self, view: MachineView) -> tuple[str, ...] | None:
        """Pass 2: every word up to the affordable depth from every state."""
        n, k = len(view.states), len(self.alphabet)
        depth = 1
        while n * k ** (depth + 1) <= EXHAUSTIVE_WORDS:
            depth += 1
        words: list[tuple[str, ...]] = [()]
        for _ in range(depth):
            words = [w + (a,) for w in words for a in self.alphabet]
        for prefix in view.access_sequences().values():
            for suffix in words:
                word = prefix + suffix
                self.num_queries += 1
                answered = tuple(self.sul.query(word))
                if answered != tuple(view.run(word)):
                    self._witness(word, answered)
                    return word
        return None

    def _witness(self, word: tuple[str, ...], answered: tuple[str, ...]) -> None:
        if self.guide is not None:
            expected = tuple(self.guide.run(word))
            if answered != expected:
                self.witnesses.setdefault(word, Witness(word, expected, answered))


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


def learn_machine(
    sul: Any,
    inputs: list[str],
    *,
    guide: MachineView | None = None,
    seed: int = 1,
    known: tuple[tuple[str, ...], ...] = (),
    walks_per_state: int = WALKS_PER_STATE,
) -> Learned:
    """Learn `sul` (a CardSUL: counts its APDUs in ``sul.transport``) over `inputs`; `known` are
    words an earlier learning of the same card got wrong (tried first as counterexamples)."""
    start_apdus = sul.transport.apdus
    start_queries, start_steps = sul.num_queries, sul.num_steps
    start = time.perf_counter()
    oracle = ModelGuidedEqOracle(inputs, sul, guide, seed, known=known, walks_per_state=walks_per_state)

    def learned(machine: MachineView, stopped: str | None = None) -> Learned:
        """What was learned (`stopped`: why learning ended early), its cost counted from the start."""
        return Learned(
            machine,
            sul.num_queries - start_queries,
            sul.num_steps - start_steps,
            sul.transport.apdus - start_apdus,
            time.perf_counter() - start,
            complete=stopped is None,
            stopped=stopped or "",
            witnesses=tuple(sorted(oracle.witnesses.values(), key=lambda w: len(w.sequence))),
        )

    try:
        machine = run_KV(inputs, sul, oracle, automaton_type="mealy", print_level=0)
    except SystemExit as exc:  # aalpy's cache ends the process when a query's answers change
        if not str(exc).startswith("Non-determinism detected"):
            raise
        detail = " ".join(str(exc).split("\n")[1:3])
        raise NonDeterministicCard(f"the card answered the same query differently ({detail})") from None
    except RestoreUnverified as exc:
        # The card could not be put back after a query: what it answered on the way there is the
        # result — a difference when the model answers that sequence otherwise.
        e = exc.evidence
        if guide is None or tuple(guide.run(e.sequence)) == e.outputs:
            raise
        oracle.witnesses.setdefault(e.sequence, Witness(e.sequence, tuple(guide.run(e.sequence)), e.outputs))
        return learned(oracle.last or _unknown(inputs), stopped=str(exc))
    except BudgetExceeded as exc:
        if oracle.last is None:
            raise
        return learned(oracle.last, stopped=str(exc))
    return learned(MachineView.of(machine, inputs))


def _unknown(inputs: list[str]) -> MachineView:
    """The diagram of a card that stopped before its first hypothesis: one state, outputs unknown."""
    return MachineView("s0", ("s0",), tuple(inputs), {("s0", a): "s0" for a in inputs}, {("s0", a): "?" for a in inputs})
