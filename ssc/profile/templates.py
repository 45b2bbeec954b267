"""Render the profile's TLV templates (FCIs, DIR records) into bytes.

Templates are data (`fci_templates`, `dir_record` in the profile); lengths are computed here so a
lab can change a name or AID without recounting bytes. The card uses this to build its answers and
the suite to know what a conforming answer is; both read the same declaration.
"""

from __future__ import annotations

from collections.abc import Mapping

from ssc.profile.model import FileDef, Profile, TlvTemplate
from ssc.tlv import encode_tlv

# The values `fci_for` and `dir_record_for` supply: the only placeholders their templates may use
# (the loader refuses any other when it reads the profile).
FCI_PLACEHOLDERS = frozenset({"name", "alg_id", "dir_sfi"})
DIR_RECORD_PLACEHOLDERS = frozenset({"name", "label"})


def render(template: TlvTemplate, values: Mapping[str, bytes]) -> bytes:
    hex_values = {k: v.hex().upper() for k, v in values.items()}

    def walk(node: Mapping[int, object]) -> bytes:
        out = bytearray()
        for tag, value in node.items():
            if isinstance(value, Mapping):
                out += encode_tlv(tag, walk(value))
            else:
                try:
                    out += encode_tlv(tag, bytes.fromhex(str(value).format(**hex_values)))
                except KeyError as exc:
                    raise KeyError(f"template placeholder {exc} has no value (have: {sorted(values)})") from None
        return bytes(out)

    return walk(template.tree)


def fci_for(profile: Profile, df: FileDef) -> bytes:
    """The FCI a conforming card returns when `df` is selected by name."""
    if df.fci is None or df.name is None:
        raise ValueError(f"{df.path} declares no FCI template or no name")
    dir_file = next((f for f in profile.children(df.path) if "dir" in f.flags), None)
    values = {"name": df.name, "alg_id": bytes([profile.algorithm_id])}
    if dir_file is not None and dir_file.sfi is not None:
        values["dir_sfi"] = bytes([dir_file.sfi])
    return render(profile.fci_templates[df.fci], values)


def dir_record_for(profile: Profile, adf: FileDef) -> bytes:
    """The DIR record announcing `adf` (label in GBK)."""
    if adf.name is None or adf.label is None:
        raise ValueError(f"{adf.path} declares no AID or no DIR label")
    return render(profile.dir_record, {"name": adf.name, "label": adf.label.encode("gbk")})
