"""The card's file tree, built once from the profile with every lookup table the COS needs.

Each `Node` is a DF or an EF of the profile that exists on this card. Lookups the command handlers
make on every APDU are precomputed here: per DF, the FIDs SELECT P1 00 and P1 02 may reach
(PROFILE §3), the EFs by SFI and the external keys by id; per record file, the record identifier
(tag) → record index; per DF with a name, its FCI. Records are kept as bytes (tag ‖ length ‖
value) and binary contents as a bytearray: these are the persistent contents, changed only through
`PersistentStore.write`.
"""

from __future__ import annotations

import dataclasses

from reference_card.faults import FAULTS
from reference_card.issuance import CardImage
from reference_card.security import AccessControl, CardKey, CompiledRule
from ssc.profile.access import parse_rule
from ssc.profile.model import FileDef, Profile
from ssc.profile.templates import fci_for

__all__ = ["FileSystem", "Node"]

# Faults that personalize one file (the fault's target) with another access rule: fault → (right, rule).
_RULE_FAULTS: dict[str, tuple[str, str]] = {
    "gen3_ef06_free_read": ("read", "free"),
    "ef05_update_free": ("update", "free"),
    "pin_file_free_read": ("read", "free"),
    "write_key_grants_read": ("read", "AUTH RK1DF03 or AUTH UK1DF03"),
}


class Node:
    __slots__ = (
        "path",
        "kind",
        "fid",
        "sfi",
        "name",
        "parent",
        "children",
        "is_df",
        "app",
        "in_pin_scope",
        "select_any",
        "select_ef",
        "by_sfi",
        "keys",
        "keys_by_name",
        "fci",
        "records",
        "tag_index",
        "record_tag",
        "record_length",
        "capacity",
        "data",
        "read",
        "update",
        "append",
    )

    def __init__(self, f: FileDef, parent: Node | None) -> None:
        self.path = f.path
        self.kind = f.kind
        self.fid = f.fid
        self.sfi = f.sfi
        self.name = f.name
        self.parent = parent
        self.children: list[Node] = []
        self.is_df = f.is_df
        self.app: Node | None = None  # the top-level DF (application) this node belongs to
        self.in_pin_scope = False
        self.select_any: dict[int, Node] = {}
        self.select_ef: dict[int, Node] = {}
        self.by_sfi: dict[int, Node] = {}
        self.keys: dict[int, CardKey] = {}  # external keys of this DF by id
        self.keys_by_name: dict[str, CardKey] = {}
        self.fci: bytes | None = None
        self.records: list[bytes] = []
        self.tag_index: dict[int, int] = {}
        self.record_tag = 0  # cyclic files: the one record layout
        self.record_length = 0
        self.capacity = 0
        self.data = bytearray()
        self.read: CompiledRule | None = None
        self.update: CompiledRule | None = None
        self.append: CompiledRule | None = None

    def __repr__(self) -> str:
        return f"<Node {self.path}>"


class FileSystem:
    def __init__(self, profile: Profile, image: CardImage, access: AccessControl, faults: frozenset[str]) -> None:
        self._no_parent_by_fid = "no_select_parent_by_fid" in faults
        self.nodes: dict[str, Node] = {}
        for path in image.present:
            f = profile.file(path)
            self.nodes[path] = Node(f, self.nodes[f.parent] if f.parent else None)
        self.mf = self.nodes["MF"] if "MF" in self.nodes else next(n for n in self.nodes.values() if n.parent is None)
        for node in self.nodes.values():
            if node.parent is not None:
                node.parent.children.append(node)
        self.by_name: dict[bytes, Node] = {n.name: n for n in self.nodes.values() if n.is_df and n.name}
        pin_df = self.nodes.get(profile.security.pin.df)
        self.keys_by_name: dict[str, CardKey] = {}
        for node in self.nodes.values():
            node.app = self._application_of(node)
            node.in_pin_scope = pin_df is not None and self._within(node, pin_df)
        self._load_keys(profile, image)
        for node in self.nodes.values():
            f = profile.file(node.path)
            if node.is_df:
                self._df_tables(node)
                if f.fci is not None and f.name is not None:
                    node.fci = fci_for(profile, f)
                    if "fci_wrong_algorithm_id" in faults:
                        # 01 (3DES) <-> 03 (SM4): the FCI announces the other generation's algorithm
                        node.fci = fci_for(dataclasses.replace(profile, algorithm_id=profile.algorithm_id ^ 0x02), f)
            else:
                self._ef_content(node, f, image, access, faults)

    # -- structure -----------------------------------------------------------------------------
    def _application_of(self, node: Node) -> Node | None:
        while node.parent is not None and node.parent is not self.mf:
            node = node.parent
        return None if node is self.mf else node

    @staticmethod
    def _within(node: Node, ancestor: Node) -> bool:
        n: Node | None = node
        while n is not None:
            if n is ancestor:
                return True
            n = n.parent
        return False

    def _df_tables(self, df: Node) -> None:
        efs = [c for c in df.children if not c.is_df]
        df.select_ef = {c.fid: c for c in efs}
        df.by_sfi = {c.sfi: c for c in efs if c.sfi is not None}
        # PROFILE §3, SELECT P1 00: an EF of the current DF, the MF, the current DF, its child
        # DFs, its parent and the parent's child DFs — first match in that order.
        reach = efs + [self.mf, df] + [c for c in df.children if c.is_df]
        if df.parent is not None and not (self._no_parent_by_fid and df.kind == "adf"):
            reach += [df.parent] + [c for c in df.parent.children if c.is_df]
        for n in reach:
            df.select_any.setdefault(n.fid, n)

    def _load_keys(self, profile: Profile, image: CardImage) -> None:
        for kdef in profile.keys():
            df = self.nodes.get(kdef.df)
            if df is None or kdef.name not in image.keys:
                continue
            key = CardKey(kdef, image.keys[kdef.name])
            df.keys_by_name[kdef.name] = key
            self.keys_by_name[kdef.name] = key
            if kdef.use == "external" and key.versions:
                df.keys[kdef.id] = key

    def _ef_content(self, node: Node, f: FileDef, image: CardImage, access: AccessControl, faults: frozenset[str]) -> None:
        df_keys = node.parent.keys_by_name if node.parent else {}
        rules = {right: f.rule(right) for right in ("read", "update", "append")}
        for fault, (right, rule) in _RULE_FAULTS.items():
            if fault in faults and f.path == FAULTS[fault].target:
                rules[right] = parse_rule(rule)
        node.read = access.compile(rules["read"], df_keys)
        node.update = access.compile(rules["update"], df_keys)
        node.append = access.compile(rules["append"], df_keys)
        if f.kind == "transparent":
            node.data = bytearray(image.binaries[f.path])
            return
        node.records = list(image.records.get(f.path, []))
        if f.kind == "cyclic":
            layout = f.records[0]
            node.record_tag, node.record_length = layout.tag, layout.length
            node.capacity = f.record_count or 0
        else:
            for i, rec in enumerate(node.records):
                node.tag_index.setdefault(rec[0], i)
