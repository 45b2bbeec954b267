"""The project's one error tree: every error the host side, the checks and the harness raise on
purpose derives from `HarnessError`, so a caller catches the base or one named branch, never a
tuple of unrelated classes.

Each class stays in the module that raises it (the module is named in brackets); this module holds
the base and the branches, and the drawing below is the tree (a unit test keeps it complete and
right: every class of terminal/, checks/ and harness/ is drawn under its direct parent)::

    HarnessError                    anything the harness raises on purpose
    ├── TransportError              [terminal.transports.base] bytes could not be exchanged
    │   ├── ReaderNotFoundError     [terminal.transports.base] the reader name/pattern matched no reader, or several
    │   ├── NoReaderError           [terminal.transports.base] no PC/SC reader at all, or pcscd not reachable
    │   ├── ResponseTooLongError    [terminal.transports.base] more response bytes than the profile allows
    │   └── CardUnavailableError    [terminal.transports.base] the reader is there, the card does not answer
    │       ├── NoCardError         [terminal.transports.base] the reader is empty
    │       ├── CardRemovedError    [terminal.transports.base] the card went away mid-session
    │       └── CardMuteError       [terminal.transports.base] the card is present but does not answer
    │           └── ApduTimeoutError [terminal.transports.base] no answer within the exchange's deadline
    ├── AnswerError                 a card or PSAM answered, but not as the operation needed
    │   ├── OperationError          [terminal.session] the card's answer (carries the APDU and response)
    │   └── PsamError               [terminal.psam_client] the PSAM's answer (carries the command and SW)
    ├── Abandoned                   [terminal.transports.deadline] a blocking call outlived its deadline
    ├── GrantError                  [terminal.grants] an access rule cannot be satisfied before the command
    ├── TryGuardRefusal             [terminal.transports.tryguard] not sent: it could block a key or the PIN
    ├── Abort                       [checks.interop.crossregion] stop a card's row of the interop matrix
    ├── Inconclusive                [checks.verdicts] the case could not reach its precondition or observe its effect
    ├── ProfileDetectionError       [harness.profiles] no built-in profile fits the card (also a RuntimeError)
    ├── ArtefactUnavailable         [harness.artefacts] a report artefact cannot be made here (also a RuntimeError)
    ├── BudgetExceeded              [harness.learn.sul] learning needs more APDUs than --max-apdus allows
    ├── NonDeterministicCard        [harness.learn.engine] the same learning query got different answers
    ├── RestoreFailed               [harness.learn.sul] a restore step refused that no symbol can show (the PIN at set-up)
    ├── RestoreUnverified           [harness.learn.sul] a restore after a query failed: its evidence is a difference
    ├── Divergence                  [harness.diff.mirror] the DUT and its reference twin answered a command differently
    ├── TwinError                   [harness.diff.twin] the DUT's data cannot personalize its reference twin
    ├── CardSwapError               [harness.labcards] the operator did not insert the expected test card
    └── InputError                  a file or option the lab gives is wrong (also a ValueError)
        ├── RegionError             [terminal.regions] the region registry
        ├── InvalidListError        [terminal.invalid_lists] an invalid-card list
        ├── CardSpecError           [harness.cardspec] the --card value
        ├── DeclarationError        [harness.declaration] the issuer declaration
        ├── IcsError                [harness.ics] the ICS (implementation conformance statement)
        ├── EstimatesError          [harness.apdu_estimates] the measured APDU estimates file
        ├── ExpectationError        [harness.interop_expectations] the declared interop expectations
        ├── CardSetError            [harness.labcards] the card-set file
        ├── OperatorFileError       [harness.operator] the operator answer file
        ├── TagError                [harness.tags] a --tags expression
        ├── AlphabetError           [harness.learn.alphabet] a learning alphabet
        ├── SignKeyError            [harness.artefacts] the --sign-key cannot sign this run's evidence
        ├── OperationUnavailable    [harness.replay.operations] an operation unknown, or not possible with this context
        ├── ScriptError             [harness.replay.script] a replay script
        └── UsageError              [harness.exitstatus] a command-line option
            ├── RunDirError         [harness.rundir] the report directory cannot be created, written or locked
            └── RunDocumentError    [harness.rundocs] a stored results.json / mutants.json is unreadable

Errors that keep a stdlib base (ValueError, RuntimeError) keep it as a second base: code that
catches the stdlib class (parsers, the CLI) still does. Outside the tree, by the layers of
ARCHITECTURE.md (they may not import terminal/): the data-format errors of `ssc/` (ProfileError,
KeyFileError, ApduFormatError, …, all ValueErrors), the card side's own signals in
`reference_card/`, and `reports/`' errors. Private exceptions (a leading underscore) are control
flow inside one module and never leave it.
"""

from __future__ import annotations

__all__ = ["AnswerError", "HarnessError", "InputError"]


class HarnessError(Exception):
    """The base of every error the harness raises on purpose (the tree is in the module docstring)."""


class AnswerError(HarnessError):
    """A card or PSAM answered, but not with what the operation needed: the exchange itself worked,
    so the device is still talking and the caller may record the answer as a finding."""


class InputError(HarnessError, ValueError):
    """A file or option the lab gives is wrong; the message names the file, field or option.
    Also a ValueError, as these errors were before the tree existed."""
