"""Status words of the profile as ready-made response bytes.

The card answers thousands of APDUs a second; building `bytes` from an int each time would be
wasted work, so every word is rendered once here. Fixed words become attributes holding 2 bytes
(``sw.ok == b"\\x90\\x00"``); variable words (61XX, 63CX, 6CXX) become tuples indexed by the
variable part (``sw.wrong_le[0x0B]``).
"""

from __future__ import annotations

from typing import Any

from ssc.profile.model import StatusWords


class StatusBytes:
    """Rendered status words by profile name; unknown names raise AttributeError at build time."""

    def __init__(self, words: StatusWords) -> None:
        self._names: list[str] = []
        for word in words:
            if word.variable_mask:
                value: Any = tuple((word.sw | x).to_bytes(2, "big") for x in range(word.variable_mask + 1))
            else:
                value = word.sw.to_bytes(2, "big")
            setattr(self, word.name, value)
            self._names.append(word.name)

    def __getattr__(self, name: str) -> Any:  # only reached for names the profile lacks
        raise AttributeError(f"the profile defines no status word named {name!r}")

    def more_data_for(self, length: int) -> bytes:
        """61xx announcing `length` bytes (256 is encoded as 00, as for Le)."""
        return self.more_data[length & 0xFF]

    def wrong_le_for(self, length: int) -> bytes:
        """6Cxx giving the exact length (256 → 00)."""
        return self.wrong_le[length & 0xFF]

    def tries_left(self, tries: int) -> bytes:
        """63Cx with x tries left."""
        return self.verification_failed[tries]
