"""Bound what one response may cost: a response APDU longer than the profile allows is an error.

A card answering 65,000 bytes to every command once produced a 215 MB results.json and 2.6 GB of
memory: an over-long answer is already a protocol violation (a short APDU carries at most Ne = 256
data bytes plus SW1 SW2), so it fails the exchange right at the transport edge, with the full
length and a bounded prefix kept for the evidence — never the whole answer.
"""

from __future__ import annotations

from terminal.transports.base import ResponseTooLongError, Transport, WrappingTransport


class ResponseLimitTransport(WrappingTransport):
    """Raises `ResponseTooLongError` for any response APDU longer than `max_length` bytes.

    `max_length` counts the whole response APDU (data ‖ SW1 SW2); `source` names where that bound
    comes from, for the message.
    """

    def __init__(self, inner: Transport, max_length: int, *, source: str = "") -> None:
        if max_length < 2:
            raise ValueError(f"a response APDU has at least SW1 SW2: max_length {max_length} < 2")
        super().__init__(inner)
        self.max_length = max_length
        self.source = source

    def transmit(self, command: bytes) -> bytes:
        response = self.inner.transmit(command)
        if len(response) > self.max_length:
            where = f" ({self.source})" if self.source else ""
            raise ResponseTooLongError(
                f"the card answered a {len(response)}-byte response to {command[:4].hex(' ').upper()}; "
                f"a response APDU is at most {self.max_length} bytes{where}",
                length=len(response),
                prefix=response[: self.max_length],
            )
        return response
