"""SELECT (PROFILE §3, §5): by FID (P1 00 / 02) and by DF name (P1 04), and its effect on the
security state (§3.3: a DF change clears key states; leaving the PIN's DF clears the PIN state)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_card.commands.base import CommandFamily

if TYPE_CHECKING:
    from reference_card.cos import Cos
    from reference_card.filesystem import Node


class Select(CommandFamily):
    def __init__(self, cos: Cos) -> None:
        super().__init__(cos)
        cmd = self.profile.command("select")
        self.p1_fid = cmd.byte("p1_fid")
        self.p1_ef = cmd.byte("p1_ef")
        self.p1_name = cmd.byte("p1_name")
        self.name_max = cmd.byte("name_max")  # a DF name has 1 to name_max bytes
        self.p1s = frozenset((self.p1_fid, self.p1_ef, self.p1_name))
        self.p2s = frozenset(cmd.byte_list("p2"))
        no_fci = self.profile.behaviour.card_select_p2_without_fci.value
        self.p2_fci = frozenset(p for p in self.p2s if p != no_fci)
        if self.profile.behaviour.card_select_by_name_match.value != "exact":
            raise NotImplementedError("only exact DF-name matching is implemented")
        self._leak = "firewall_leak" in self.faults

    def handlers(self) -> dict[str, object]:
        return {"select": self.select}

    def select(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        p1 = apdu[2]
        if p1 not in self.p1s or apdu[3] not in self.p2s:
            return self.sw.wrong_p1p2
        if data is None:
            return self.sw.wrong_length
        if p1 == self.p1_name:
            if not 0 < len(data) <= self.name_max:
                return self.sw.wrong_length
            node = self.fs.by_name.get(data)
        else:
            if len(data) != 2:
                return self.sw.wrong_length
            df = self.session.df
            node = (df.select_any if p1 == self.p1_fid else df.select_ef).get(data[0] << 8 | data[1])
        if node is None:
            return self.sw.file_not_found
        self.enter(node)
        if p1 == self.p1_name and apdu[3] in self.p2_fci and node.fci is not None:
            return self.case4("select", node.fci)
        return self.sw.ok

    def enter(self, node: Node) -> None:
        s = self.session
        if node.is_df:
            df = node
            s.ef = None
        else:
            assert node.parent is not None, "an EF always sits in a DF"
            df = node.parent
            s.ef = node
        old = s.df
        if df is not old:
            if s.auth and not (self._leak and df.app is not old.app):
                s.auth = {}
            s.df = df
        if not df.in_pin_scope:
            s.pin_ok = False
