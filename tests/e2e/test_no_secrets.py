"""No secret ever appears in any output of a run (issue 4).

A full `ssc-conform run` (destructive scenarios included, so CHANGE PIN and RELOAD PIN happen),
signed with a lab key, then every produced file — results.json, junit.xml, allure-results/*,
report.html, every member of evidence.zip, the console output — is searched for every PIN the run
used and every card key and test root of the card under test, in the forms they would leak in:

- PINs: as a standalone value ("123456" in JSON, '123456' in a repr, >123456< in HTML/XML), as BCD
  right after a VERIFY / CHANGE PIN header or the CHANGE PIN separator, and as ASCII hex
  (313233343536). A bare "123456" inside unrelated hex is no leak, so it is not searched alone.
- keys: 32 hex digits, upper and lower case, with and without spaces (no chance collisions);
- the lab's private signing key: its raw bytes in hex and its PEM body.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from checks.security.pin_admin import temporary_pin, wrong_pin
from ssc.keyset import TestKeySet, derive_card_key
from ssc.profile import load_profile
from terminal.regions import load_regions
from tests.e2e.cli import PROJECT, run_cli

PROFILE = load_profile("gen2")
INITIAL_PIN = PROFILE.security.pin.initial


def pins_of_run(pin: str) -> set[str]:
    """Every PIN a run with `pin` sends: the given one, the wrong one, the temporary one of the
    CHANGE PIN scenario, and the initial PIN (which the suite asks the card to refuse)."""
    return {pin, wrong_pin(pin), temporary_pin(pin, INITIAL_PIN), INITIAL_PIN, wrong_pin(INITIAL_PIN)}


def key_material(region: str, card_sn: bytes) -> set[bytes]:
    """Every card key of the card (all keys, versions 1–3) and every test root they come from."""
    keys = TestKeySet.for_profile(PROFILE)
    out: set[bytes] = set()
    regions = {region, *(r.code for r in load_regions())}
    for key in PROFILE.keys():
        for version in (1, 2, 3):
            try:
                out.add(derive_card_key(PROFILE, keys, key, version, region, card_sn))
            except KeyError:
                pass
            out.add(keys.national_root(key.name, version, PROFILE.algorithm))
            for code in regions:
                if (local := keys.local_root(code, key.name, version, PROFILE.algorithm)) is not None:
                    out.add(local)
    return out


def pin_leaks(text: str, pins: set[str]) -> list[str]:
    compact = re.sub(r"\s+", "", text).upper()
    found = []
    for pin in pins:
        ascii_hex = pin.encode().hex().upper()
        patterns = {
            "standalone value": (text, rf"[\"'>]{pin}[\"'<]"),
            "BCD after VERIFY/CHANGE PIN header": (compact, rf"(0020|805E)[0-9A-F]{{4}}[0-9A-F]{{2}}{pin}"),
            "BCD after the CHANGE PIN separator": (compact, rf"{pin}FF[0-9]{{6}}|[0-9]{{6}}FF{pin}"),
            "ASCII hex": (compact, ascii_hex),
        }
        for form, (where, pattern) in patterns.items():
            if re.search(pattern, where):
                found.append(f"PIN {pin} as {form}")
    return found


def key_leaks(text: str, secrets: set[bytes]) -> list[str]:
    compact = re.sub(r"\s+", "", text).upper()
    return [f"key {key.hex()[:4]}… in hex" for key in secrets if key.hex().upper() in compact]


def produced_texts(run_dir: Path) -> dict[str, str]:
    """name → text of every file under the run directory, and of every member of evidence.zip."""
    out: dict[str, str] = {}
    for path in sorted(run_dir.rglob("*")):
        if not path.is_file():
            continue
        name = str(path.relative_to(run_dir))
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    out[f"{name}:{member}"] = zf.read(member).decode("utf-8", errors="replace")
        else:
            out[name] = path.read_bytes().decode("utf-8", errors="replace")
    return out


def test_the_searches_find_planted_secrets() -> None:
    """The detectors themselves can fail: each form of a leak is found."""
    pins = {"123456"}
    assert pin_leaks('{"pin": "123456"}', pins)
    assert pin_leaks("command: 00 20 00 00 03 12 34 56", pins)
    assert pin_leaks("805E0100 07 123456 FF 234567", pins)
    assert pin_leaks("data 31 32 33 34 35 36", pins)
    assert not pin_leaks("response 6F1A8412345678 9000", pins)  # a chance substring is no leak
    key = bytes(range(16))
    assert key_leaks(key.hex(" "), {key}) and key_leaks(key.hex().upper(), {key})


@pytest.mark.parametrize("pin", [INITIAL_PIN, "654321"])
def test_no_pin_or_key_appears_in_any_artefact(tmp_path: Path, pin: str) -> None:
    key_prefix = tmp_path / "lab"
    gen = subprocess.run(
        [sys.executable, "-m", "harness.cli", "keygen", "--out", str(key_prefix)], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    assert gen.returncode == 0, gen.stdout + gen.stderr
    run_dir = tmp_path / "run"
    code, out, doc, _ = run_cli("run", "--pin", pin, "--allow-destructive", "--sign-key", f"{key_prefix}.key", "--report-dir", str(run_dir))
    assert doc is not None and code in (0, 1, 4), out  # a verdict (通过, 不通过 or 未完成), not bad input or a crash

    trace = [e for s in doc["scenarios"] for e in s["trace"] if e["kind"] == "apdu"]
    pin_commands = [e for e in trace if re.sub(r"\s", "", e["command"]).upper().startswith(("00200000", "805E0100"))]
    assert any(e["command"].replace(" ", "").upper().startswith("805E") for e in pin_commands), "no CHANGE PIN was sent"
    assert pin_commands and all(e["masked"] for e in pin_commands)

    card_sn = bytes.fromhex(doc["dut"]["card_sn"])
    secrets = key_material(str(doc["dut"]["region"]), card_sn)
    assert len(secrets) > 20
    private = serialization.load_pem_private_key(Path(f"{key_prefix}.key").read_bytes(), password=None)
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    pem_body = "".join(Path(f"{key_prefix}.key").read_text().splitlines()[1:-1])

    texts = produced_texts(run_dir)
    texts["console output"] = out
    expected = {"results.json", "junit.xml", "report.html", "evidence.zip:MANIFEST.json", "evidence.zip:results.json"}
    assert expected <= set(texts), sorted(texts)
    assert any(name.startswith("allure-results/") for name in texts), "no allure results were searched"
    leaks = {}
    for name, text in texts.items():
        found = pin_leaks(text, pins_of_run(pin)) + key_leaks(text, secrets)
        if raw.hex().upper() in re.sub(r"\s+", "", text).upper() or pem_body in text:
            found.append("the lab's private signing key")
        if "ScenarioContext(" in text:
            found.append("a repr of the scenario context (carries the PIN and the key set)")
        if found:
            leaks[name] = found
    assert not leaks, leaks
