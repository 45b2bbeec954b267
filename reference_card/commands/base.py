"""What every command family shares: the card context and the common answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_card.iso7816 import SFI_RESERVED

if TYPE_CHECKING:
    from reference_card.cos import Cos
    from reference_card.filesystem import Node


class CommandFamily:
    """Copies the context references handlers use on every APDU onto the instance (fewer
    attribute hops on the hot path)."""

    def __init__(self, cos: Cos) -> None:
        self.cos = cos
        self.profile = cos.profile
        self.sw = cos.sw
        self.session = cos.session
        self.fs = cos.fs
        self.access = cos.access
        self.store = cos.store
        self.faults = cos.faults
        self.mac_length = cos.profile.security.mac_length
        self.max_response = cos.profile.t0_max_response  # what Le 00 asks for
        self._no_6cxx = "wrong_length_instead_of_6cxx" in cos.faults

    def handlers(self) -> dict[str, object]:
        """Command name (as in the profile) → handler."""
        raise NotImplementedError

    def case4(self, command: str, data: bytes) -> bytes:
        """Answer a case-4 command: 61xx and the data kept for GET RESPONSE when the profile says
        so (`t0.case4_via_61xx`), else the data directly."""
        if command in self.profile.t0_case4:
            self.session.pending = data
            return self.sw.more_data_for(len(data))
        return data + self.sw.ok

    def wrong_le(self, exact: int) -> bytes:
        """6Cxx with the exact length (or the fault's 6700)."""
        return self.sw.wrong_length if self._no_6cxx else self.sw.wrong_le_for(exact)

    def ef_by_sfi(self, sfi: int) -> Node | bytes:
        """SFI 0 → the current EF (6986 if none); else the EF of the current DF (6A82)."""
        if sfi:
            node = self.session.df.by_sfi.get(sfi)
            return self.sw.file_not_found if node is None else node
        node = self.session.ef
        return self.sw.no_current_ef if node is None else node

    @staticmethod
    def sfi_reserved(sfi: int) -> bool:
        return sfi == SFI_RESERVED
