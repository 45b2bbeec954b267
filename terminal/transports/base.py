"""The one interface every card transport offers, and the errors any of them may raise.

Like httpx's `BaseTransport`, a transport only moves bytes: no T=0 GET RESPONSE, no retries, no
secure messaging — that policy lives above it (`terminal.t0`, the Terminal), where it is traced
and can be switched off, because conformance tests must see the raw exchange.

Error tree (backend errors are translated at the transport edge, so nothing above ever sees a
pyscard exception); `TransportError` is the transport branch of the project's one tree, drawn
whole in `terminal.errors`::

    TransportError                 any failure to exchange bytes with the card
    ├── ReaderNotFoundError        the reader name/pattern matched no reader (or several);
    │                              the message lists the readers that exist
    ├── NoReaderError              no PC/SC reader at all, or pcscd is not running/reachable
    ├── ResponseTooLongError       the card answered more bytes than the profile allows for one
    │                              response APDU
    └── CardUnavailableError       the reader is there but the card does not answer: waiting for
        │                          the card (re-insertion, reset) may help, another reader not
        ├── NoCardError            the reader is empty
        ├── CardRemovedError       the card went away mid-session (message "card removed");
        │                          `reset()` re-connects once it is back
        └── CardMuteError          the card does not answer
            └── ApduTimeoutError   no answer within the exchange's deadline (message "no answer
                                   within 5 s to …"); the exchange was abandoned
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self

from terminal.errors import HarnessError


class TransportError(HarnessError):
    """Any failure to exchange bytes with a card."""


class ReaderNotFoundError(TransportError):
    """The requested reader name or pattern matched no reader, or more than one."""


class NoReaderError(TransportError):
    """There is no PC/SC reader at all, or the PC/SC service (pcscd) is not reachable."""


class CardUnavailableError(TransportError):
    """The reader is there but the card does not answer (absent, removed or mute)."""


class NoCardError(CardUnavailableError):
    """The reader is empty."""


class CardRemovedError(CardUnavailableError):
    """The card was removed (or lost power) during the session."""

    def __init__(self, message: str = "card removed") -> None:
        super().__init__(message)


class CardMuteError(CardUnavailableError):
    """The card is present but does not answer."""


class ApduTimeoutError(CardMuteError):
    """The card gave no answer within the deadline of one exchange, which was abandoned.

    The card's state is unknown afterwards (it may still be working on the command): the transport
    must be reset before it is used again.
    """


class ResponseTooLongError(TransportError):
    """The card answered a response APDU longer than the profile's maximum.

    Carries the full `length` and a bounded `prefix` of the response, so the evidence can show
    what came back without keeping all of it.
    """

    def __init__(self, message: str, *, length: int, prefix: bytes) -> None:
        super().__init__(message)
        self.length = length
        self.prefix = prefix


class Transport(ABC):
    """Moves one command APDU to the card and its response APDU back, nothing more.

    A transport is connected (card powered, ATR known) once constructed; `reset()` re-powers the
    card and returns the new ATR; `close()` releases the reader and is idempotent.
    """

    description: str = "transport"

    @abstractmethod
    def transmit(self, command: bytes) -> bytes:
        """Send a command APDU, return the response APDU (data ‖ SW1 SW2) exactly as received."""

    @abstractmethod
    def reset(self) -> bytes:
        """Reset the card (cold/warm as the backend allows) and return its ATR."""

    def power_cycle(self) -> bytes:
        """Cold reset: the card loses power and powers up again (RAM state a warm reset may keep
        is gone); returns the ATR. A backend that cannot remove power resets (the default)."""
        return self.reset()

    @property
    @abstractmethod
    def atr(self) -> bytes | None:
        """The ATR of the last power-up or reset; None if the card was never powered."""

    def close(self) -> None:  # noqa: B027 - a transport with nothing to release keeps this default
        """Release the reader or card; further use is an error. Safe to call twice."""

    def transmit_with_power_cut(self, command: bytes, delay: float) -> bytes | None:
        """Send `command` and have the reader cut the card's power `delay` seconds after it left
        (anti-tearing tests of a card in a reader): the response if the card answered before the
        cut, else None. The card is powered again afterwards (call `reset()` before using it).
        Only a transport that can cut power implements it."""
        raise NotImplementedError(f"{type(self).__name__} cannot cut the card's power")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"


class WrappingTransport(Transport):
    """A transport that adds one concern around another (as httpx's wrapping transports do):
    subclasses override `transmit` (and `reset` where the concern touches it); the ATR and
    closing are the inner transport's."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.description = inner.description

    def reset(self, **options: float) -> bytes:
        return self.inner.reset(**options)  # backend options (e.g. PcscTransport's timeout) pass through

    def power_cycle(self) -> bytes:
        return self.inner.power_cycle()

    @property
    def atr(self) -> bytes | None:
        return self.inner.atr

    def transmit_with_power_cut(self, command: bytes, delay: float) -> bytes | None:
        return self.inner.transmit_with_power_cut(command, delay)

    def close(self) -> None:
        self.inner.close()
