from terminal.errors import HarnessError


class Inconclusive(HarnessError):
    """The case could not reach its precondition or observe its effect; reported inconclusive, never passed."""
