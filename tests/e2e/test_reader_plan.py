"""The reader plan in one command, through pcscd + vpcd + pyscard: `ssc-conform run --plan reader
--reader 'Virtual PCD 00 00' --lib readerlib/build/libsscreader.so` serves the programmable
reader-test card and the reference PSAM in the two vpcd slots, runs RDR-1..5 on them, then gives
the slots to RDR-6's own served cards (the reference reader library, last), certifies the virtual
reader against RDR-1..6 (通过, exit 0), draws the latency histogram, and leaves no served card
running. (That a card run stays a card run, ``"plan": "card"``, is checked
by tests/e2e/test_cli.py's full runs.)"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.exitstatus import PASSED
from harness.tags import known_tags
from tests.e2e.cli import run_cli, verdicts

pytestmark = pytest.mark.pcsc
LONG_RUN = "3000"  # the default 10,000 costs ~2 s more and proves nothing more here


def _served_cards() -> list[str]:
    """Command lines of running `serve-card` processes of the reader plan (none may be left)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "serve-card" in cmdline and ("--reader-test" in cmdline or "--psam" in cmdline) and int(proc.name) != os.getpid():
                found.append(cmdline)
    return found


def test_the_reader_plan_certifies_the_virtual_reader_in_one_command(tmp_path: Path, reference_library: Path) -> None:
    out = tmp_path / "reader"
    args = ("--plan", "reader", "--reader", "Virtual PCD 00 00", "--lib", str(reference_library), "--long-run", LONG_RUN)
    code, output, doc, _ = run_cli("run", *args, "--report-dir", str(out), "-q")
    assert doc is not None, output
    assert doc["plan"] == "reader" and doc["verdict"]["plan_of"] == "reader"
    got = verdicts(doc)
    rdr = ("RDR-1", "RDR-2", "RDR-3", "RDR-4", "RDR-5", "RDR-6")
    assert {rid: got.get(rid) for rid in rdr} == dict.fromkeys(rdr, "passed"), output
    assert not any(rid.split("-")[0] in ("STD", "SEC", "INT", "PER") for rid in got), "a reader run judged card requirements"
    assert doc["verdict"]["overall"] == "pass" and doc["verdict"]["plan"] == "full" and code == PASSED, output
    # every RDR-6 case ran on the clean library and passed, after every other scenario (RDR-6 is last)
    library = [s for s in doc["scenarios"] if "RDR-6" in s["requirements"]]
    cases = sorted(t for s in library for t in s["tags"] if t.startswith("TC-RDR-6-"))
    assert cases == sorted(t for t in known_tags() if t.startswith("TC-RDR-6-")), cases
    assert all(s["verdict"] == "passed" for s in library)
    assert all("RDR-6" in s["requirements"] for s in doc["scenarios"][-len(library) :]), "RDR-6 did not run last"
    measured = doc["run"]["reader"]
    assert [e["change"] for e in measured["presence"]] == ["removal", "insertion"]
    assert all(e["ok"] and e["seconds"] is not None for e in measured["presence"])
    assert measured["atr_variants"] and all(v["ok"] for v in measured["atr_variants"])
    assert {v["sent"][:4] for v in measured["atr_variants"]} >= {"3B00", "3B80"}  # T=0 and T=1, no historical bytes
    cold = [v for v in measured["atr_variants"] if v["how"] == "cold reset"]
    assert len(cold) == 32 and {len(bytes.fromhex(v["sent"])) for v in cold} >= {2, 17, 3 + 16}  # every count, both protocols
    assert sum(v["how"] == "re-insertion" for v in measured["atr_variants"]) == 4
    assert measured["latency"]["completed"] == int(LONG_RUN) and measured["latency"]["errors"] == 0
    assert measured["basic_information"]["internal_authentication"] is True
    html = (out / "report.html").read_text(encoding="utf-8")
    assert re.search(r'<figure id="latency-histogram"><svg ', html) and "<script" not in html
    assert (out / "latency.svg").read_text(encoding="utf-8").startswith("<svg")
    assert doc["dut"]["reader"] == "Virtual PCD 00 00" and doc["dut"]["psam_reader"] == "Virtual PCD 00 01"
    assert not _served_cards(), "the served cards outlived the run"
