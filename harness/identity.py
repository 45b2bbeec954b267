"""The device-under-test and run descriptions written into results.json."""
from __future__ import annotations

from importlib import metadata
from typing import Any

from terminal.operations import CardSession
from terminal.terminal import Terminal


def _harness_version() -> str:
    try:
        return metadata.version("ssc-conform")
    except metadata.PackageNotFoundError:
        return "unknown"


def describe_run(ssc: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    profile = ssc.profile
    dut: dict[str, Any] = {"card": str(ssc.card_spec), "profile": profile.name}
    if ssc.dut is None:
        dut["error"] = ssc.dut_error
    else:
        dut.update(ssc.dut.identity or identify(ssc.dut))
        dut["description"] = ssc.dut.description
        dut["kind"] = ssc.dut.kind
        if ssc.dut.faults:
            dut["faults"] = list(ssc.dut.faults)
    run = {
        "harness_version": _harness_version(),
        "profile": {"name": profile.name, "sha256": profile.digest, "sources": [s.rsplit("/", 1)[-1] for s in profile.sources]},
        "key_source": {"label": ssc.keyset.label, "test_keys_only": ssc.keyset.is_test,
                       "warning": profile.security.test_roots.warning if ssc.keyset.is_test else None},
        "allow_destructive": ssc.allow_destructive,
        "terminal_regions": [r.code for r in ssc.regions],
    }
    return dut, run


def identify(dut: Any) -> dict[str, Any]:
    """ATR, card SN, card number, issuing region and generation, read through the transport."""
    atr = dut.transport.atr or b""
    info: dict[str, Any] = {"atr": atr.hex().upper(), "card_sn": dut.profile.atr.card_sn_of(atr).hex().upper()}
    with dut.recorder.labelled("identification"):
        try:
            ident = CardSession(Terminal(dut.transport, dut.profile)).identity()
        except Exception as exc:  # the identity is informative; the scenarios carry the verdicts
            info["identity_error"] = f"{type(exc).__name__}: {exc}"
        else:
            info.update(card_number=ident.card_number, region=ident.region, spec_version=ident.spec_version,
                        generation=ident.generation, algorithm_id=ident.algorithm_id)
    dut.identity = info
    return info
