"""What the end of an `ssc-conform` command means, in one place.

The exit status is the contract with the scripts and CI jobs that call the harness: 0 and 1 are
verdicts on the card, 2 and 3 are not. Bad input — an option, a file or a report directory the
operator has to fix, or a card that could not be opened — must never look like a card failure,
so it has a status (and an exception) of its own. The plugin (inside pytest) and the run entry
point (outside it) both decide "the card became unavailable" from the same list below.
"""

from __future__ import annotations

from terminal.errors import InputError

PASSED = 0  # every requirement that ran passed
FAILED = 1  # at least one requirement failed: a verdict on the card
BAD_INPUT = 2  # an option, input file or report directory to fix, or no card to test: no verdict
INCOMPLETE = 3  # the run could not complete (harness or pytest trouble): no verdict

EPILOG = (
    "exit status: 0 every requirement that ran passed; 1 a requirement failed; "
    "2 bad input (an option, input file or report directory to fix, or the card could not be opened: no verdict); "
    "3 the run could not complete"
)

# Exception class names (harness.dut / terminal.transports) that mean the card could not be opened
# for a reason the operator fixes — no reader by that name, no card in it, no PC/SC service: no
# scenario runs, and the run ends with BAD_INPUT rather than a failed verdict.
UNAVAILABLE_ERRORS = frozenset({"ReaderNotFoundError", "NoReaderError", "NoCardError"})


class UsageError(InputError):
    """Bad input the operator can fix: printed as one line naming the option, exit status 2."""
