"""The shared reader of the project's YAML data files names the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssc.datafile import read_data_file


class DataError(ValueError):
    pass


@pytest.mark.parametrize(
    "text, message",
    [
        ("format: other/1\n", "x.yaml: format: expected 'ssc-test/1', got 'other/1'"),
        ("- a\n- b\n", "x.yaml: (file): expected a mapping at the top level"),
        ("a: [1\n", "x.yaml: not valid YAML"),
    ],
)
def test_bad_files_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_data_file(path, "ssc-test/1", DataError)
    assert message in str(exc.value)


def test_missing_file_says_what_it_is(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing.yaml: cannot read the region registry"):
        read_data_file(tmp_path / "missing.yaml", "ssc-test/1", DataError, what="the region registry")


def test_good_file_returns_its_mapping(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("format: ssc-test/1\nregion: '441800'\n", encoding="utf-8")
    assert read_data_file(path, "ssc-test/1", DataError) == {"format": "ssc-test/1", "region": "441800"}
