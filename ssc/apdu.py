"""Command and response APDUs as typed values (ISO/IEC 7816-4 short form).

Bytes stay bytes: hex appears only in `repr` and at I/O edges. `repr(CommandApdu)` prints a
constructor call so a failing property-test case can be pasted back into a regression test.
"""

from __future__ import annotations

from dataclasses import dataclass


class ApduFormatError(ValueError):
    """A byte string is not a well-formed short APDU.

    `reason` is one of: "too-short", "extended", "lc-mismatch". A card answers all of them with
    its "wrong length" status word; the reason is kept for messages.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CommandApdu:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # None: no Le field; 0..255 as sent (0 means 256 on the wire)

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFF:
                raise ValueError(f"{name} must be a byte, got {value!r}")
        if len(self.data) > 255:
            raise ValueError(f"short APDU data is at most 255 bytes, got {len(self.data)}")
        if self.le is not None and not 0 <= self.le <= 0xFF:
            raise ValueError(f"le must be 0..255 or None, got {self.le!r}")

    @property
    def header(self) -> bytes:
        return bytes((self.cla, self.ins, self.p1, self.p2))

    @property
    def ne(self) -> int | None:
        """Expected response length in bytes (Le 00 means 256)."""
        if self.le is None:
            return None
        return self.le or 256

    def to_bytes(self) -> bytes:
        out = bytearray(self.header)
        if self.data:
            out.append(len(self.data))
            out += self.data
        if self.le is not None:
            out.append(self.le)
        return bytes(out)

    @classmethod
    def parse(cls, raw: bytes) -> CommandApdu:
        """Parse a short APDU of case 1-4; raise ApduFormatError for anything else."""
        n = len(raw)
        if n < 4:
            raise ApduFormatError("too-short", f"an APDU needs at least 4 bytes, got {n}")
        cla, ins, p1, p2 = raw[0], raw[1], raw[2], raw[3]
        if n == 4:
            return cls(cla, ins, p1, p2)
        if n == 5:
            return cls(cla, ins, p1, p2, b"", raw[4])
        lc = raw[4]
        if lc == 0:
            raise ApduFormatError("extended", "Lc 00 followed by more bytes: an extended-length APDU")
        body = raw[5:]
        if len(body) == lc:
            return cls(cla, ins, p1, p2, bytes(body))
        if len(body) == lc + 1:
            return cls(cla, ins, p1, p2, bytes(body[:lc]), body[lc])
        raise ApduFormatError("lc-mismatch", f"Lc says {lc} data bytes but {len(body)} bytes follow the header and Lc")

    def with_le(self, le: int | None) -> CommandApdu:
        return CommandApdu(self.cla, self.ins, self.p1, self.p2, self.data, le)

    def __repr__(self) -> str:
        parts = [f"0x{self.cla:02X}", f"0x{self.ins:02X}", f"0x{self.p1:02X}", f"0x{self.p2:02X}"]
        if self.data:
            parts.append(f"bytes.fromhex({self.data.hex().upper()!r})")
        if self.le is not None:
            if not self.data:
                parts.append('b""')
            parts.append(f"0x{self.le:02X}")
        return f"CommandApdu({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class ResponseApdu:
    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    def to_bytes(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def parse(cls, raw: bytes) -> ResponseApdu:
        if len(raw) < 2:
            raise ApduFormatError("too-short", f"a response needs a 2-byte status word, got {len(raw)} bytes")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def __repr__(self) -> str:
        return f"ResponseApdu(bytes.fromhex({self.data.hex().upper()!r}), 0x{self.sw:04X})"


def sw_hex(sw: int) -> str:
    return f"{sw:04X}"
