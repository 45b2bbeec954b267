"""What the end of an `ssc-conform` command means, in one place.

The exit status is the contract with the scripts and CI jobs that call the harness: 0, 1 and 4 are
the overall verdict of results.json (通过 / 不通过 / 未完成, `harness.plan`), 2 and 3 are not
verdicts at all. Only 0 may be read as "the card conforms": it needs the full card plan for the
card's generation, every applicable requirement passed; a run narrowed by --tags, -k or -m, or one
where a requirement of the plan did not run or was inconclusive, is 4, never 0. Bad input — an option, a file or a report directory the
operator has to fix, or a card that could not be opened — must never look like a card failure,
so it has a status (and an exception) of its own. The plugin (inside pytest) and the run entry
point (outside it) both decide "the card became unavailable" from the same list below.
"""

from __future__ import annotations

from terminal.errors import InputError

PASSED = 0  # 通过: the full plan ran and every applicable requirement passed
FAILED = 1  # 不通过: at least one requirement failed — a verdict on the card
BAD_INPUT = 2  # an option, input file or report directory to fix, or no card to test: no verdict
UNFINISHED = 3  # the run could not complete (harness or pytest trouble, Ctrl-C): no verdict
INCOMPLETE_OR_PARTIAL = 4  # 未完成: nothing failed, but the plan was partial or not all of it ran and passed

EPILOG = (
    "exit status: 0 通过 PASS — the full card plan of the card's generation ran and every applicable requirement passed "
    "(--plan reader: the full reader plan, RDR-1..6, ran and passed); "
    "1 不通过 FAIL — a requirement failed; "
    "2 bad input (an option, input file or report directory to fix, or the card could not be opened: no verdict); "
    "3 the run could not complete (no verdict); "
    "4 未完成 INCOMPLETE — nothing failed, but a requirement of the plan did not run or was inconclusive, "
    "or the run was narrowed by --tags/-k/-m (a partial plan)"
)

# Exception class names (harness.dut / terminal.transports) that mean the card could not be opened
# for a reason the operator fixes — no reader by that name, no card in it, no PC/SC service: no
# scenario runs, and the run ends with BAD_INPUT rather than a failed verdict.
UNAVAILABLE_ERRORS = frozenset({"ReaderNotFoundError", "NoReaderError", "NoCardError"})


class UsageError(InputError):
    """Bad input the operator can fix: printed as one line naming the option, exit status 2."""
