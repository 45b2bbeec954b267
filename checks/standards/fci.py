"""Is an FCI what the requirement asks for (STD-FS-1, STD-FS-2)?

The profile's FCI templates are stand-ins (PROFILE §3: "layout S"): a conforming card may order
the proprietary elements differently, add elements of its own or leave out ones the requirement
does not name. Comparing the answer byte for byte with the template would fail such a card and
sign nothing useful. What the requirement states is narrower: the answer is one well-formed FCI
template whose DF name equals the name just selected, and (where the profile's template carries
one) whose proprietary part announces the algorithm id of the card's generation.

Where those values sit is read from the template itself, not written here: the outer tag, the path
to the element holding the `{name}` placeholder and the path to the element holding `{alg_id}`
(for the built-in profiles 6F / 84 and 6F / A5 / 9F0C = 86 01 <alg id>). A lab whose profile puts
them elsewhere changes the template, not this code.
"""

from __future__ import annotations

from collections.abc import Mapping

from checks.wording import bilingual
from ssc.profile.model import FileDef, Profile
from ssc.tlv import Tlv, parse_tlv

__all__ = ["fci_problems", "required_elements"]

# The placeholders whose values the requirement names: the DF name (ISO 7816-4 tag 84 in the
# built-in templates) and the generation's algorithm id. Every other element of a template is
# layout and may differ on a conforming card.
_REQUIRED = ("name", "alg_id")


def required_elements(profile: Profile, df: FileDef) -> dict[str, tuple[tuple[int, ...], bytes]]:
    """Placeholder → (tag path from the outer tag down, the value the element must hold).

    Only placeholders of `_REQUIRED` that `df`'s template uses are returned (a PSE FCI carries no
    algorithm id).
    """
    if df.fci is None or df.name is None:
        raise ValueError(f"{df.path} declares no FCI template or no name")
    values = {"name": df.name.hex().upper(), "alg_id": f"{profile.algorithm_id:02X}"}
    found: dict[str, tuple[tuple[int, ...], bytes]] = {}

    def walk(node: Mapping[int, object], path: tuple[int, ...]) -> None:
        for tag, value in node.items():
            if isinstance(value, Mapping):
                walk(value, (*path, tag))
                continue
            text = str(value)
            for placeholder in _REQUIRED:
                if "{" + placeholder + "}" in text:
                    # The element's whole value, rendered with the required values only; a
                    # template mixing a required placeholder with a layout one is not supported.
                    found[placeholder] = ((*path, tag), bytes.fromhex(text.format(**values)))

    walk(profile.fci_templates[df.fci].tree, ())
    return found


Why = tuple[str, str]  # (中文, English) of one problem


def _parse_one(data: bytes, what: str, what_zh: str) -> tuple[list[Tlv], Why | None]:
    try:
        return parse_tlv(data), None
    except ValueError as exc:
        return [], (f"{what_zh}不是格式正确的 BER-TLV（{exc}）", f"{what} is not well-formed BER-TLV: {exc}")


def _element(data: bytes, path: tuple[int, ...]) -> tuple[bytes | None, Why | None]:
    """The value at `path` below the FCI's top level (first match at each level), or why not."""
    value = data
    for depth, tag in enumerate(path):
        parent = "/".join(f"{t:02X}" for t in path[:depth])
        items, problem = _parse_one(value, parent or "the FCI", f"{parent or 'FCI'} ")
        if problem:
            return None, problem
        match = next((i for i in items if i.tag == tag), None)
        if match is None:
            present = " ".join(f"{i.tag:02X}" for i in items)
            return None, (
                f"{parent or '顶层'}中没有标签 {tag:02X}（现有标签：{present or '无'}）",
                f"no tag {tag:02X} in {parent or 'the top level'} (tags present: {present or 'none'})",
            )
        value = match.value
    return value, None


def fci_problems(profile: Profile, df: FileDef, fci: bytes) -> list[str]:
    """Why `fci` (the answer to SELECT `df` by name) is not a valid FCI of the generation; [] if it is.

    Checks: exactly one top-level TLV with the template's outer tag and nothing after it; every
    required element at the template's path, holding the DF name just selected and the algorithm
    id of the profile's generation. Extra, reordered or missing layout elements are not findings.
    """
    template = profile.fci_templates[df.fci or ""].tree
    (outer,) = template.keys()
    top, problem = _parse_one(fci, "the FCI", "FCI ")
    if problem:
        return [bilingual(*problem)]
    if len(top) != 1 or top[0].tag != outer:
        shape = " ".join(f"{i.tag:02X}" for i in top)
        return [
            bilingual(
                f"FCI 应为一个标签为 {outer:02X} 的模板，实际顶层为 {shape or '空'}",
                f"an FCI is one template with tag {outer:02X}; got {shape or 'nothing'} at the top level",
            )
        ]
    problems = []
    for placeholder, (path, want) in required_elements(profile, df).items():
        got, missing = _element(fci, path)
        label = "DF name" if placeholder == "name" else f"algorithm id of {profile.name} ({profile.algorithm.value})"
        label_zh = "DF 名称" if placeholder == "name" else f"{profile.name} 的算法标识（{profile.algorithm.value}）"
        where = "/".join(f"{t:02X}" for t in path)
        if missing:
            problems.append(
                bilingual(
                    f"{label_zh}应位于 {where} = {want.hex().upper()}：{missing[0]}",
                    f"{label} expected at {where} = {want.hex().upper()}: {missing[1]}",
                )
            )
        elif got != want:
            shown = got.hex().upper() if got is not None else None
            problems.append(
                bilingual(
                    f"{label_zh}（{where}）：预期 {want.hex().upper()}，实际 {shown or '（无）'}",
                    f"{label} at {where}: expected {want.hex().upper()}, got {shown or '(none)'}",
                )
            )
    return problems
