"""`--tags`: tag expressions become pytest marker expressions; unknown tags and bad syntax are
refused with the problem named (the CLI turns that into exit status 2)."""

from __future__ import annotations

import pytest

from harness.tags import GENERATION_TAGS, OTHER_TAGS, TagError, known_tags, to_marker_expression


@pytest.mark.parametrize(
    "text, expected",
    [
        ("SEC-PIN-1", "SEC-PIN-1"),
        ("@SEC-PIN-1", "SEC-PIN-1"),
        ("@gen3 and not destructive", "gen3 and not destructive"),
        ("interop", "interop"),
        ("(STD-ATR-1 or @STD-FS-1) and gen2", "(STD-ATR-1 or STD-FS-1) and gen2"),
        ("not not slow", "not not slow"),
        ("  PER-1   or PER-2 ", "PER-1 or PER-2"),
    ],
)
def test_tag_expression_maps_to_marker_expression(text: str, expected: str) -> None:
    assert to_marker_expression(text) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("SEC-PIN-9", "unknown tag 'SEC-PIN-9'"),
        ("SEC-PIN-9", "did you mean SEC-PIN-"),
        ("@gen4", "unknown tag '@gen4'"),
        ("gen3 and destructiv", "did you mean destructive"),
        ("", "empty tag expression"),
        ("not", "ends where a tag was expected"),
        ("gen3 and", "ends where a tag was expected"),
        ("(gen3 or gen2", "missing ')'"),
        ("gen3 gen2", "unexpected 'gen2'"),
        ("gen3)", "unexpected ')'"),
        ("and gen3", "expected a tag, found 'and'"),
    ],
)
def test_bad_tag_expressions_are_refused(text: str, words: str) -> None:
    with pytest.raises(TagError) as info:
        to_marker_expression(text)
    assert words in str(info.value)
    assert str(info.value).startswith(f"--tags {text!r}: ")


def test_known_tags_are_the_catalogue_and_the_harness_tags() -> None:
    tags = known_tags()
    assert {"SEC-PIN-1", "PER-1", "INT-XR-1", *GENERATION_TAGS, *OTHER_TAGS} <= set(tags)
    assert "SEC-PIN-9" not in tags
    assert "TC-SEC-PIN-1-02" in tags and "TC-SEC-AC-1-SSSE.EF05-READ-NONE" in tags
    assert to_marker_expression("@TC-SEC-PIN-1-02 or TC-STD-SW-1-03") == "TC-SEC-PIN-1-02 or TC-STD-SW-1-03"
