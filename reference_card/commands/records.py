"""READ RECORD, UPDATE RECORD and APPEND RECORD (PROFILE §3, §3.3, §5).

Records are one TLV each; READ RECORD addresses by number or by record identifier (tag), with an
SFI in P2 or the current EF; the whole TLV comes back and Le must equal its length (else 6Cxx).
UPDATE/APPEND carry the whole TLV, whose tag and length must match the record's definition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_card.commands.base import CommandFamily
from reference_card.iso7816 import is_sm_cla

if TYPE_CHECKING:
    from reference_card.cos import Cos
    from reference_card.filesystem import Node


class Records(CommandFamily):
    def __init__(self, cos: Cos) -> None:
        super().__init__(cos)
        rd = self.profile.command("read_record")
        self.by_number = rd.byte("p2_by_number")
        self.by_tag = rd.byte("p2_by_tag")
        self.mode_mask = rd.byte("p2_mode_mask")
        self.sfi_shift = rd.byte("sfi_shift")
        up = self.profile.command("update_record")
        self.up_by_number = up.byte("p2_by_number")
        self.up_mask = up.byte("p2_mode_mask")
        self.up_shift = up.byte("sfi_shift")
        ap = self.profile.command("append_record")
        self.ap_p1 = ap.byte("p1")
        self.ap_mask = ap.byte("p2_mode_mask")
        self.ap_shift = ap.byte("sfi_shift")
        self._no_tag = "no_read_record_by_tag" in self.faults
        self._security_first = "security_before_record" in self.faults
        self._no_rotation = "cyclic_append_no_rotation" in self.faults
        self._ignore_write = "write_ignored" in self.faults
        self._write_anyway = "write_despite_refusal" in self.faults
        self._wrong_tag_written = "wrong_tag_written" in self.faults
        self._sm_refusal_writes = "sm_refusal_writes" in self.faults
        self._wrong_data = "read_wrong_data" in self.faults
        # the reserved P2 mode "by number" | 1 (e.g. 2D for SFI 05) reads by number, rule unchecked
        self._reserved_mode_leak = self.by_number | 1 if "malformed_p2_reads_protected" in self.faults else None

    def handlers(self) -> dict[str, object]:
        return {"read_record": self.read_record, "update_record": self.update_record, "append_record": self.append_record}

    # -- READ RECORD ---------------------------------------------------------------------------
    def read_record(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        p1 = apdu[2]
        p2 = apdu[3]
        mode = p2 & self.mode_mask
        sfi = p2 >> self.sfi_shift
        sw = self.sw
        unchecked = mode == self._reserved_mode_leak
        if unchecked:
            mode = self.by_number
        if mode == self.by_number:
            if p1 == 0:
                return sw.wrong_p1p2
        elif mode != self.by_tag or self._no_tag:
            return sw.wrong_p1p2
        if self.sfi_reserved(sfi):
            return sw.wrong_p1p2
        if data is None or data:
            return sw.wrong_length
        if sfi:
            node = self.session.df.by_sfi.get(sfi)
            if node is None:
                return sw.file_not_found
        else:
            node = self.session.ef
            if node is None:
                return sw.no_current_ef
        if node.kind == "transparent":
            return sw.incompatible_file_structure
        rule = node.read
        assert rule is not None, "every EF has a compiled read rule"
        if self._security_first and rule.mode != "free":
            err = self.access.check(rule, apdu, b"", chal)
            if err is not None:
                return err
        records = node.records
        if mode == self.by_number:
            if p1 > len(records):
                return sw.record_not_found
            rec = records[p1 - 1]
        else:
            idx = self._tag_index(node, p1)
            if idx is None:
                return sw.record_not_found
            rec = records[idx]
        if rule.mode != "free" and not self._security_first and not unchecked:
            err = self.access.check(rule, apdu, b"", chal)
            if err is not None:
                return err
            if self._wrong_data and mode == self.by_tag:
                rec = records[(records.index(rec) + 1) % len(records)]
        if le != len(rec):
            return self.wrong_le(len(rec))
        return rec + sw.ok

    @staticmethod
    def _tag_index(node: Node, tag: int) -> int | None:
        if node.kind == "cyclic":
            for i, rec in enumerate(node.records):
                if rec[0] == tag:
                    return i
            return None
        return node.tag_index.get(tag)

    # -- shared by UPDATE and APPEND -----------------------------------------------------------
    def _payload(self, apdu: bytes, data: bytes | None) -> bytes | None:
        """The record carried by the data field (MAC stripped under SM), None for a bad Lc."""
        if not data:
            return None
        if is_sm_cla(apdu[0]):
            if len(data) <= self.mac_length:
                return None
            return data[: -self.mac_length]
        return data

    # -- UPDATE RECORD -------------------------------------------------------------------------
    def update_record(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        p1 = apdu[2]
        p2 = apdu[3]
        sfi = p2 >> self.up_shift
        sw = self.sw
        if p2 & self.up_mask != self.up_by_number or p1 == 0 or self.sfi_reserved(sfi):
            return sw.wrong_p1p2
        payload = self._payload(apdu, data)
        if payload is None:
            return sw.wrong_length
        node = self.ef_by_sfi(sfi)
        if isinstance(node, bytes):
            return node
        if node.kind != "linear":
            return sw.incompatible_file_structure
        rule = node.update
        assert rule is not None and data is not None  # every EF has an update rule; a payload came in data
        if self._security_first:
            err = self.access.check(rule, apdu, data, chal)
            if err is not None:
                return err
        records = node.records
        if p1 > len(records):
            return sw.record_not_found
        old = records[p1 - 1]
        index = p1 - 1

        def commit(value: bytes) -> None:
            records[index] = value

        well_formed = len(payload) == len(old) and payload[0] == old[0] and payload[1] == old[1]
        if not self._security_first:
            err = self.access.check(rule, apdu, data, chal)
            if err is not None:
                if well_formed and (
                    (self._write_anyway and err == sw.security_not_satisfied)
                    or (self._sm_refusal_writes and err in (sw.referenced_data_invalid, sw.sm_data_incorrect))
                ):
                    self.store.write(old, bytes(payload), commit)
                return err
        if not well_formed:
            if self._wrong_tag_written and len(payload) == len(old):
                self.store.write(old, bytes(payload), commit)
            return sw.wrong_data
        if not self._ignore_write:
            self.store.write(old, bytes(payload), commit)
        return sw.ok

    # -- APPEND RECORD -------------------------------------------------------------------------
    def append_record(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        p2 = apdu[3]
        sfi = p2 >> self.ap_shift
        sw = self.sw
        if apdu[2] != self.ap_p1 or p2 & self.ap_mask or self.sfi_reserved(sfi):
            return sw.wrong_p1p2
        payload = self._payload(apdu, data)
        if payload is None:
            return sw.wrong_length
        node = self.ef_by_sfi(sfi)
        if isinstance(node, bytes):
            return node
        if node.kind == "transparent":
            return sw.incompatible_file_structure
        if node.kind != "cyclic":
            return sw.not_enough_space
        assert node.append is not None and data is not None  # a cyclic EF has an append rule; a payload came in data
        err = self.access.check(node.append, apdu, data, chal)
        if err is not None:
            return err
        length = node.record_length
        if len(payload) != length + 2 or payload[0] != node.record_tag or payload[1] != length:
            return sw.wrong_data
        records = node.records
        capacity = node.capacity
        if self._no_rotation and len(records) >= capacity:
            return sw.not_enough_space
        old = records[-1] if len(records) >= capacity else bytes(len(payload))

        def commit(value: bytes) -> None:
            records.insert(0, value)
            del records[capacity:]

        self.store.write(old, bytes(payload), commit)
        return sw.ok
