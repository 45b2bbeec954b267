"""Replay a script on a card and say, step by step, where the card's answers differ from the recording.

Each step's operation is performed again (`harness.replay.operations.perform`) and its exchanges
are compared with the recorded ones: same number of exchanges, same status words, and the same
response data wherever the recording kept data (masked data and fresh challenges compare by status
word only). A step made from a run's trace records only the exchange the trace showed; an operation
may need a SELECT first, so such steps are compared on their last exchanges. The last step of a
divergence script (source "diff") was recorded up to the diverging exchange, where the lockstep
stopped: it is compared on its first exchanges. A step that cannot be performed here (no PSAM,
destructive without permission) is reported as such, with the reason, and the replay goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.replay.operations import Exchange, Operation, OperationContext, OperationUnavailable, perform
from harness.replay.script import ReplayScript

__all__ = ["StepComparison", "replay", "outcomes_match"]


@dataclass(frozen=True)
class StepComparison:
    """One replayed step: `status` is "same", "differs" or "not-run" (with `reason`)."""

    index: int
    operation: Operation
    status: str
    recorded: list[Exchange]
    replayed: list[Exchange]
    reason: str = ""

    @property
    def same(self) -> bool:
        return self.status == "same"


def outcomes_match(recorded: list[Exchange], replayed: list[Exchange]) -> bool:
    """Whether two exchange lists show the same outcome (see `Exchange.same_outcome`)."""
    return len(recorded) == len(replayed) and all(a.same_outcome(b) for a, b in zip(recorded, replayed, strict=True))


def replay(script: ReplayScript, ctx: OperationContext) -> list[StepComparison]:
    """Perform every step of `script` on the context's card; the comparison per step."""
    out = []
    for i, step in enumerate(script.steps):
        op = step.operation
        recorded = [e.exchange() for e in step.expect]
        try:
            replayed = perform(op, ctx)
        except OperationUnavailable as exc:
            out.append(StepComparison(i, op, "not-run", recorded, [], str(exc)))
            continue
        if script.source == "trace" and recorded:
            compared = replayed[-len(recorded) :]
        elif script.source == "diff" and i == len(script.steps) - 1:
            compared = replayed[: len(recorded)]  # the diverging step was recorded up to the divergence only
        else:
            compared = replayed
        status = "same" if outcomes_match(recorded, compared) else "differs"
        out.append(StepComparison(i, op, status, recorded, replayed))
    return out
