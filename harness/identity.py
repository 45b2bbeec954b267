"""The device-under-test and run descriptions written into results.json.

The report (reports.html) shows who tested what: the reader, the ATR decoded into the profile's
historical-byte fields, the generation, and the COS version the issuer declared — all read here.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from terminal.channel import Terminal
from terminal.session import CardSession


def _harness_version() -> str:
    try:
        return metadata.version("ssc-conform")
    except metadata.PackageNotFoundError:
        return "unknown"


def describe_run(ssc: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    profile = ssc.profile
    dut: dict[str, Any] = {"card": str(ssc.card_spec), "profile": profile.name}
    if ssc.card_spec.kind == "reader":
        dut["reader"] = ssc.card_spec.reader
    if ssc.dut is None:
        dut["error"] = ssc.dut_error
        if getattr(ssc, "dut_error_type", None):
            dut["error_type"] = ssc.dut_error_type
    else:
        dut.update(ssc.dut.identity or identify(ssc.dut))
        dut["description"] = ssc.dut.description
        dut["kind"] = ssc.dut.kind
        dut["reader"] = _reader_name(ssc.dut)
        if dut.get("atr"):
            dut["atr_decoded"] = decode_atr(profile, bytes.fromhex(str(dut["atr"])))
        if ssc.dut.faults:
            dut["faults"] = list(ssc.dut.faults)
    declaration = getattr(ssc, "declaration", None)
    if declaration is not None and "cos_version" in declaration.atr:
        dut["declared_cos_version"] = declaration.atr["cos_version"].hex().upper()
    run = {
        "harness_version": _harness_version(),
        "profile": {"name": profile.name, "sha256": profile.digest, "sources": [s.rsplit("/", 1)[-1] for s in profile.sources]},
        "key_source": {
            "label": ssc.keyset.label,
            "test_keys_only": ssc.keyset.is_test,
            "warning": profile.security.test_roots.warning if ssc.keyset.is_test else None,
        },
        "allow_destructive": ssc.allow_destructive,
        "terminal_regions": [r.code for r in ssc.regions],
    }
    return dut, run


def _reader_name(dut: Any) -> str:
    """The PC/SC reader the card sits in (the name the pattern resolved to), or what stands in for
    one (the in-process reference card has no reader)."""
    transport = dut.transport
    for _ in range(8):  # through the wrapping transports (trace, guard) down to the backend
        reader = getattr(transport, "reader", None)
        if isinstance(reader, str) and reader:
            return reader
        transport = getattr(transport, "inner", None)
        if transport is None:
            break
    return str(dut.description)


def decode_atr(profile: Any, atr: bytes) -> dict[str, str | None]:
    """The historical bytes split into the profile's fields (`atr.fields`, `atr.card_sn`), hex;
    a field the historical bytes are too short for is None."""
    from ssc.atr import AtrFormatError, decode_historical, parse_atr

    try:
        return decode_historical(profile.atr, atr)
    except Exception:  # fall back to the plain split below
        pass

    try:
        historical = parse_atr(atr).historical
    except AtrFormatError:
        historical = profile.atr.historical(atr)
    spans = dict(profile.atr.fields)
    spans["card_sn"] = profile.atr.card_sn
    out: dict[str, str | None] = {}
    for name, (offset, length) in spans.items():
        value = historical[offset : offset + length]
        out[name] = value.hex().upper() if len(value) == length else None
    return out


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
            info.update(
                card_number=ident.card_number,
                region=ident.region,
                spec_version=ident.spec_version,
                generation=ident.generation,
                algorithm_id=ident.algorithm_id,
            )
    dut.identity = info
    return info
