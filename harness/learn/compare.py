"""Compare two Mealy machines over the same alphabet: equivalence, the differing transitions and
the shortest input sequence that shows each difference.

A breadth-first walk over the product of the two machines (pairs of states reached by the same
inputs) finds every reachable pair; a pair where one input gives different outputs is a
difference, and the BFS path to it plus that input is its shortest distinguishing sequence. One
difference is kept per (input, model output, DUT output) kind, shortest first, so one fault does
not flood the report with the same finding reached from many states.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["Difference", "MachineView", "compare", "outputs_of"]


@dataclass(frozen=True)
class MachineView:
    """A learned Mealy machine as plain data: states s0.., inputs, transitions and outputs."""

    initial: str
    states: tuple[str, ...]
    inputs: tuple[str, ...]
    delta: dict[tuple[str, str], str]
    output: dict[tuple[str, str], str]

    @classmethod
    def of(cls, machine: Any, inputs: list[str]) -> MachineView:
        """From an aalpy MealyMachine, states renamed s0, s1, … in BFS order (stable names)."""
        order: list[Any] = [machine.initial_state]
        seen = {id(machine.initial_state)}
        i = 0
        while i < len(order):
            for a in inputs:
                nxt = order[i].transitions[a]
                if id(nxt) not in seen:
                    seen.add(id(nxt))
                    order.append(nxt)
            i += 1
        names = {id(s): f"s{n}" for n, s in enumerate(order)}
        delta = {(names[id(s)], a): names[id(s.transitions[a])] for s in order for a in inputs}
        output = {(names[id(s)], a): str(s.output_fun[a]) for s in order for a in inputs}
        return cls("s0", tuple(names[id(s)] for s in order), tuple(inputs), delta, output)

    def access_sequences(self) -> dict[str, tuple[str, ...]]:
        """The shortest input word that reaches each state (breadth-first, inputs in order)."""
        reach: dict[str, tuple[str, ...]] = {self.initial: ()}
        queue = deque([self.initial])
        while queue:
            s = queue.popleft()
            for a in self.inputs:
                t = self.delta[(s, a)]
                if t not in reach:
                    reach[t] = reach[s] + (a,)
                    queue.append(t)
        return reach

    def run(self, word: list[str] | tuple[str, ...]) -> list[str]:
        state, out = self.initial, []
        for a in word:
            out.append(self.output[(state, a)])
            state = self.delta[(state, a)]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "initial": self.initial,
            "states": list(self.states),
            "inputs": list(self.inputs),
            "transitions": [
                {"from": s, "input": a, "output": self.output[(s, a)], "to": self.delta[(s, a)]} for s in self.states for a in self.inputs
            ],
        }


@dataclass(frozen=True)
class Difference:
    sequence: tuple[str, ...]  # the inputs, the last one shows the difference
    model_outputs: tuple[str, ...]
    dut_outputs: tuple[str, ...]
    model_state: str  # the state (of each machine) in which the last input differs
    dut_state: str

    @property
    def symbol(self) -> str:
        return self.sequence[-1]


def compare(
    model: MachineView, dut: MachineView, *, limit: int = 20
) -> tuple[list[Difference], set[tuple[str, str]], set[tuple[str, str]]]:
    """Differences (shortest first, one per kind, at most `limit`) and the differing transitions
    of each machine ((state, input) pairs of the model and of the DUT) for highlighting."""
    if model.inputs != dut.inputs:
        raise ValueError("the machines were learned over different alphabets")
    start = (model.initial, dut.initial)
    parent: dict[tuple[str, str], tuple[tuple[str, str], str] | None] = {start: None}
    queue = deque([start])
    found: list[Difference] = []
    kinds: set[tuple[str, str, str]] = set()
    model_marks: set[tuple[str, str]] = set()
    dut_marks: set[tuple[str, str]] = set()
    while queue:
        pair = queue.popleft()
        m, d = pair
        for a in model.inputs:
            om, od = model.output[(m, a)], dut.output[(d, a)]
            if om != od:
                model_marks.add((m, a))
                dut_marks.add((d, a))
                kind = (a, om, od)
                if kind not in kinds and len(found) < limit:
                    kinds.add(kind)
                    word = _path(parent, pair) + [a]
                    found.append(Difference(tuple(word), tuple(model.run(word)), tuple(dut.run(word)), m, d))
                continue  # past a difference the machines are not compared further on this path
            nxt = (model.delta[(m, a)], dut.delta[(d, a)])
            if nxt not in parent:
                parent[nxt] = (pair, a)
                queue.append(nxt)
    return found, model_marks, dut_marks


def _path(parent: dict[tuple[str, str], tuple[tuple[str, str], str] | None], pair: tuple[str, str]) -> list[str]:
    word: list[str] = []
    step = parent[pair]
    while step is not None:
        pair, a = step
        word.append(a)
        step = parent[pair]
    return word[::-1]


def outputs_of(machine: MachineView, word: list[str]) -> list[str]:
    return machine.run(word)
