"""The feature files read as a lab's test specification (features/GLOSSARY.md): status words as
the lab writes them (``6A82（未找到文件）``, taken from the profile's status-word table), data items
by their Chinese names, one word per notion (更新, never 改写; 锁定 only as PIN 锁定, 密钥锁定, 应用锁定,
卡片锁定) — never an English mnemonic or a code identifier."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ssc.profile import builtin_profiles, load_profile
from ssc.reader_interface import load_reader_interface

ROOT = Path(__file__).resolve().parents[2]
FEATURES = sorted((ROOT / "features").rglob("*.feature"))
PROFILES = [load_profile(name) for name in builtin_profiles()]
SW_NAMES = {w.name for p in PROFILES for w in p.sw}
SW_LABELS = {w.label for p in PROFILES for w in p.sw}
ITEMS = {r.item for p in PROFILES for f in p.efs() for r in f.records}
# a reader library's return code as RDR-6 writes it, ``-2201（无PSAM卡）``: its name is the interface's (tagged data), not a status word
READER_CODES = {f"{c.code}（{c.zh}）" for c in load_reader_interface().codes.values()}
LOCKS = ("PIN 锁定", "密钥锁定", "应用锁定", "卡片锁定")
LABEL = re.compile(r"(?<![-0-9A-Fa-f])[0-9A-F]{2}[0-9A-Fx]{2}（[^）]*）")


def _words(names: set[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(names, key=len, reverse=True)) + r")(?![A-Za-z0-9_])")


def _text_lines(path: Path) -> list[tuple[int, str]]:
    """The lines a reader reads: not comments (the generator's header says which script wrote it)."""
    return [(n, line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if not line.strip().startswith("#")]


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.name)
def test_no_status_word_mnemonic_and_no_data_item_identifier(path: Path) -> None:
    forbidden = _words(SW_NAMES | ITEMS)
    found = [f"{path.name}:{n}: {m[1]}" for n, line in _text_lines(path) for m in forbidden.finditer(line)]
    assert not found, "write the status word as 6A82（未找到文件）and the data item by its Chinese name: " + "; ".join(found)


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.name)
def test_every_status_word_written_is_the_profiles(path: Path) -> None:
    """A label's code and name both come from the profile's table: no drifted or invented name."""
    found = [f"{path.name}:{n}: {m[0]}" for n, line in _text_lines(path) for m in LABEL.finditer(line) if m[0] not in SW_LABELS]
    assert not found, "; ".join(found)


@pytest.mark.parametrize("path", FEATURES, ids=lambda p: p.name)
def test_glossary_words(path: Path) -> None:
    bad = []
    for n, line in _text_lines(path):
        rest = line
        for allowed in sorted(SW_LABELS | READER_CODES, key=len, reverse=True) + list(LOCKS):
            rest = rest.replace(allowed, "")
        if "改写" in rest:
            bad.append(f"{path.name}:{n}: 改写 (the glossary's word is 更新)")
        if "锁定" in rest:
            bad.append(f"{path.name}:{n}: 锁定 alone (say PIN 锁定, 密钥锁定, 应用锁定 or 卡片锁定)")
    assert not bad, "; ".join(bad)


def test_the_checks_would_catch_a_mnemonic() -> None:
    """The checks above can fail: the text they forbid is found in a sample line."""
    assert _words(SW_NAMES | ITEMS).search("那么 状态字为 file_not_found") is not None
    assert _words(SW_NAMES | ITEMS).search('当 读取数据项 "card_id_code"') is not None
    assert LABEL.search("状态字为 6982（安全状态不满足）")[0] not in SW_LABELS  # type: ignore[index]


def test_the_glossarys_status_words_are_the_profiles() -> None:
    glossary = (ROOT / "features" / "GLOSSARY.md").read_text(encoding="utf-8")
    written = LABEL.findall(glossary)
    assert len(written) > 15
    assert [w for w in written if w not in SW_LABELS and " / " not in w] == []  # " / ": a failure message quoted
