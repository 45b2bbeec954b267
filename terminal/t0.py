"""The T=0 transport-level response handling, in one place, switchable and visible.

On T=0 a card cannot return data with a case-4 command, and it may refuse a wrong Le
(ISO/IEC 7816-3 §10.3.4/§10.3.5, ISO/IEC 7816-4 §5.1.3):

- `61xx`: xx more bytes are waiting; the terminal fetches them with GET RESPONSE (Le = xx, 00
  meaning 256), possibly several times in a row;
- `6Cxx`: wrong Le; the terminal sends the same command again with Le = xx.

Neither pcscd nor pyscard does this, so the terminal must. Conformance tests must also be able to
see the raw status words, so each behaviour has an off switch, and every `Exchange` keeps the list
of (command, response) pairs actually sent. The GET RESPONSE class and instruction bytes come from
the caller (profile data); 00 C0 is only the default.
"""

from __future__ import annotations

from ssc.apdu import ApduFormatError, CommandApdu, ResponseApdu
from terminal.transports.base import Transport, TransportError

# ISO/IEC 7816-4 §5.1.3 procedure-level status bytes (the protocol itself, not profile data).
SW1_MORE_DATA = 0x61
SW1_WRONG_LE = 0x6C
_T0_SW1 = frozenset((SW1_MORE_DATA, SW1_WRONG_LE))


class Exchange:
    """One logical command: the raw (command, response) steps on the wire and the final result.

    A plain slotted class rather than a frozen dataclass: it is built once per APDU on the
    in-process hot path, where a frozen dataclass costs several times more. Treat it as immutable.
    """

    __slots__ = ("steps", "data", "sw", "exhausted")

    def __init__(self, steps: tuple[tuple[bytes, bytes], ...], data: bytes, sw: int, exhausted: bool = False) -> None:
        self.steps = steps
        self.data = data
        self.sw = sw
        self.exhausted = exhausted  # True: stopped at the GET RESPONSE bound, 61xx still pending

    @property
    def response(self) -> ResponseApdu:
        return ResponseApdu(self.data, self.sw)

    @property
    def first_sw(self) -> int:
        """The status word of the very first response (before any T=0 handling)."""
        return int.from_bytes(self.steps[0][1][-2:], "big")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Exchange):
            return NotImplemented
        return (self.steps, self.data, self.sw, self.exhausted) == (other.steps, other.data, other.sw, other.exhausted)

    __hash__ = None  # type: ignore[assignment]  # the Python idiom for "unhashable"; mypy expects a method

    def __repr__(self) -> str:
        steps = ", ".join(f"({c.hex().upper()}, {r.hex().upper()})" for c, r in self.steps)
        return f"Exchange(sw={self.sw:04X}, data={self.data.hex().upper()}, steps=[{steps}])"


class T0Policy:
    """Runs commands over a transport, resolving 61xx and 6Cxx as configured.

    `max_get_response` bounds chained GET RESPONSEs per exchange; `max_reissue` bounds 6Cxx
    re-issues (a GET RESPONSE answered 6Cxx is re-issued too). When a bound is hit the last
    response is returned as is, so the caller sees the status word that was left pending.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        get_response_cla: int = 0x00,
        get_response_ins: int = 0xC0,
        auto_get_response: bool = True,
        auto_reissue_6c: bool = True,
        max_get_response: int = 16,
        max_reissue: int = 2,
    ) -> None:
        self.transport = transport
        self.get_response_cla = get_response_cla
        self.get_response_ins = get_response_ins
        self.auto_get_response = auto_get_response
        self.auto_reissue_6c = auto_reissue_6c
        self.max_get_response = max_get_response
        self.max_reissue = max_reissue

    def exchange(self, command: bytes) -> Exchange:
        transmit = self.transport.transmit
        response = transmit(command)
        if len(response) >= 2 and response[-2] not in _T0_SW1:  # fast path: nothing to resolve
            return Exchange(((command, response),), response[:-2], (response[-2] << 8) | response[-1])
        steps: list[tuple[bytes, bytes]] = []
        data = b""
        get_responses = reissues = 0
        exhausted = False
        current = command
        while True:
            steps.append((current, response))
            if len(response) < 2:
                raise TransportError(f"response {response.hex().upper() or '(empty)'} to {current.hex().upper()} has no status word")
            sw1, sw2 = response[-2], response[-1]
            if sw1 == SW1_WRONG_LE and self.auto_reissue_6c and reissues < self.max_reissue:
                reissued = _with_le(current, sw2)
                if reissued is not None:
                    reissues += 1
                    current = reissued
                    response = transmit(current)
                    continue
            data += response[:-2]
            if sw1 == SW1_MORE_DATA and self.auto_get_response:
                if get_responses >= self.max_get_response:
                    exhausted = True
                    break
                get_responses += 1
                current = bytes((self.get_response_cla, self.get_response_ins, 0, 0, sw2))
                response = transmit(current)
                continue
            break
        return Exchange(tuple(steps), data, (sw1 << 8) | sw2, exhausted)


def _with_le(command: bytes, le: int) -> bytes | None:
    """The same command with Le replaced (or added); None if it is not a parseable short APDU."""
    try:
        parsed = CommandApdu.parse(command)
    except ApduFormatError:
        return None
    return parsed.with_le(le).to_bytes()
