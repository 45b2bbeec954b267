"""READ BINARY and UPDATE BINARY (PROFILE §5): offset in P1-P2, or P1 b8 = 1 with an SFI in
P1 b5-b1 and the offset in P2. Offset ≥ size → 6B00; Le beyond the end → 6C<remaining>."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_card.commands.base import CommandFamily
from reference_card.iso7816 import P1_SFI_BITS, P1_SFI_RFU_BITS, is_sm_cla

if TYPE_CHECKING:
    from reference_card.cos import Cos
    from reference_card.filesystem import Node


class Binary(CommandFamily):
    def __init__(self, cos: Cos) -> None:
        super().__init__(cos)
        self.read_flag = self.profile.command("read_binary").byte("p1_sfi_flag")
        self.update_flag = self.profile.command("update_binary").byte("p1_sfi_flag")
        self.overflow_sw: bytes = getattr(self.sw, self.profile.behaviour.card_update_binary_overflow.value)
        if self.profile.behaviour.card_missing_le.value != "exact_length":
            raise NotImplementedError("only 'exact_length' is implemented for a missing Le")
        self._ignore_write = "write_ignored" in self.faults
        self._write_anyway = "write_despite_refusal" in self.faults

    def handlers(self) -> dict[str, object]:
        return {"read_binary": self.read_binary, "update_binary": self.update_binary}

    def _address(self, p1: int, p2: int, flag: int) -> tuple[int, int] | None:
        """(sfi, offset) or None for bad P1-P2; sfi 0 = the current EF."""
        if p1 & flag:
            sfi = p1 & P1_SFI_BITS
            if p1 & P1_SFI_RFU_BITS or self.sfi_reserved(sfi):
                return None
            return sfi, p2
        return 0, p1 << 8 | p2

    def _file(self, sfi: int, offset: int) -> Node | bytes:
        node = self.ef_by_sfi(sfi)
        if isinstance(node, bytes):
            return node
        if node.kind != "transparent":
            return self.sw.incompatible_file_structure
        if offset >= len(node.data):
            return self.sw.offset_beyond_ef
        return node

    def read_binary(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        addr = self._address(apdu[2], apdu[3], self.read_flag)
        if addr is None:
            return self.sw.wrong_p1p2
        if data is None or data:
            return self.sw.wrong_length
        offset = addr[1]
        node = self._file(addr[0], offset)
        if isinstance(node, bytes):
            return node
        rule = node.read
        assert rule is not None, "every EF has a compiled read rule"
        if rule.mode != "free":
            err = self.access.check(rule, apdu, b"", chal)
            if err is not None:
                return err
        content = node.data
        remaining = len(content) - offset
        if le is None:
            return self.wrong_le(min(remaining, self.max_response))
        ne = le or self.max_response
        if ne > remaining:
            return self.wrong_le(remaining)
        return bytes(content[offset : offset + ne]) + self.sw.ok

    def update_binary(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        addr = self._address(apdu[2], apdu[3], self.update_flag)
        if addr is None:
            return self.sw.wrong_p1p2
        if not data:
            return self.sw.wrong_length
        payload = data
        if is_sm_cla(apdu[0]):
            if len(data) <= self.mac_length:
                return self.sw.wrong_length
            payload = data[: -self.mac_length]
        offset = addr[1]
        node = self._file(addr[0], offset)
        if isinstance(node, bytes):
            return node
        content = node.data
        end = offset + len(payload)
        if end > len(content):
            return self.overflow_sw

        def commit(value: bytes) -> None:
            content[offset:end] = value

        assert node.update is not None, "every EF has a compiled update rule"
        err = self.access.check(node.update, apdu, data, chal)
        if err is not None:
            if self._write_anyway and err == self.sw.security_not_satisfied:
                self.store.write(bytes(content[offset:end]), bytes(payload), commit)
            return err
        if not self._ignore_write:
            self.store.write(bytes(content[offset:end]), bytes(payload), commit)
        return self.sw.ok
