"""Finishing a run (harness/artefacts.py): the evidence bundle is either produced or its absence is
a stated failure the CLI turns into exit status 3 (hardening defect 8), and what the bundle left
out of the run directory is said on the console (defect 2)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.artefacts import Finished, SignKeyError, check_sign_key, finish_run
from reports.evidence import generate_keypair, verify_bundle


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    (run / "allure-results").mkdir(parents=True)
    (run / "results.json").write_text("{}")
    (run / "allure-results" / "1-result.json").write_text("{}")
    return run


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    generate_keypair(tmp_path / "lab.key", tmp_path / "lab.pub")
    return tmp_path / "lab.key", tmp_path / "lab.pub"


def finish(run_dir: Path, key: Path | None, capsys: pytest.CaptureFixture[str]) -> tuple[Finished, str]:
    out = io.StringIO()
    finished = finish_run(run_dir, key, allure=False, out=out)
    return finished, out.getvalue() + capsys.readouterr().err


def test_what_the_bundle_left_out_is_said_on_the_console(
    run_dir: Path, keys: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (run_dir / "lab.key").write_bytes(keys[0].read_bytes())
    (run_dir / "data").symlink_to(tmp_path)
    finished, text = finish(run_dir, keys[0], capsys)
    assert finished.evidence == run_dir / "evidence.zip"
    assert "left out of evidence.zip: data (symbolic link, not followed)" in text
    assert "left out of evidence.zip: lab.key (not written by the run)" in text
    assert verify_bundle(run_dir / "evidence.zip", keys[1]).ok
    with zipfile.ZipFile(run_dir / "evidence.zip") as zf:
        assert "lab.key" not in zf.namelist()


def test_a_bundle_that_cannot_be_written_is_a_stated_failure(
    run_dir: Path, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (run_dir / ".evidence.zip.partial").mkdir()  # something in the way of the bundle
    finished, text = finish(run_dir, keys[0], capsys)
    assert finished.evidence is None
    assert "evidence.zip not produced" in finished.evidence_problem
    assert "evidence.zip not produced" in text
    assert not (run_dir / "evidence.zip").exists()


def test_an_artefact_holding_a_private_key_fails_the_bundle(
    run_dir: Path, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (run_dir / "allure-results" / "2-attachment.txt").write_bytes(keys[0].read_bytes())
    finished, text = finish(run_dir, None, capsys)
    assert finished.evidence is None
    assert "holds a PEM private key" in text


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda keys, run: keys[1], "a public key, not the private key"),
        (lambda keys, run: run / "lab.key", "inside the report directory"),
        (lambda keys, run: keys[1].parent / "absent.key", "cannot read key"),
    ],
)
def test_a_bad_sign_key_is_found_before_the_run(
    run_dir: Path, keys: tuple[Path, Path], make: Callable[[tuple[Path, Path], Path], Path], reason: str
) -> None:
    (run_dir / "lab.key").write_bytes(keys[0].read_bytes())
    key = make(keys, run_dir)
    with pytest.raises(SignKeyError, match=reason) as caught:
        check_sign_key(key, run_dir)
    assert "\n" not in str(caught.value)
    check_sign_key(keys[0], run_dir)  # the real key, kept outside: fine
