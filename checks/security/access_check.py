"""Carry out one access case on a card: conditions first, then the read or write (PROFILE §3.3).

`attempt_access` starts from an explicit state (the MF selected: no key state, no PIN state), applies
the conditions of `checks.security.access_plan` in order (VERIFY, EXTERNAL AUTHENTICATE through the PSAM,
a DF change, a reset, selecting the MF), then sends the access itself and returns the card's answer
unchecked. A write always carries the file's current content, read beforehand with the read right
of the file, so a write the card accepts — rightly or wrongly — leaves the card as it was. (An
APPEND has no current content to repeat; the plan only asks for appends that must be refused.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checks.security.access_plan import AUTH, DF_CHANGE, PIN, RESET, SELECT_MF, SM, Condition, grant_conditions, other_df
from ssc.profile.model import FileDef
from terminal.channel import Response
from terminal.psam_client import PsamClient
from terminal.session import CardSession, OperationError

__all__ = ["AccessAttempt", "attempt_access", "current_content", "read_probe"]

BINARY_PROBE = 16  # bytes read or rewritten at offset 0 of a transparent file (a test choice)


@dataclass(frozen=True)
class AccessAttempt:
    response: Response  # the card's answer to the access itself
    content: bytes | None  # what a write carried (the file's content before the case)


def attempt_access(card: CardSession, psam: PsamClient, pin: str, path: str, right: str, conditions: Sequence[Condition]) -> AccessAttempt:
    """Apply `conditions` from a clean state, then do `right` on `path`; the answer is not checked.

    Preparation (reading the content a write carries, the conditions themselves) raises
    `OperationError` when the card refuses it: the case could not be set up."""
    profile = card.profile
    f = profile.file(path)
    card.identity()  # cached before any DF is made current: computing factors later selects nothing
    content = current_content(card, psam, pin, f) if right != "read" else None
    card.select_mf(check=True)
    sm_key = None
    for c in conditions:
        if c.kind == PIN:
            card.verify_pin(pin, check=True)
        elif c.kind == AUTH:
            assert c.key is not None
            card.external_authenticate(c.key, 0, psam, check=True)
        elif c.kind == SM:
            sm_key = c.key
        elif c.kind == DF_CHANGE:
            card.select_path(other_df(profile, card.current_df), check=True)
        elif c.kind == RESET:
            card.reset()
        elif c.kind == SELECT_MF:
            card.select_mf(check=True)
        else:
            raise ValueError(f"unknown condition {c}")
    return AccessAttempt(_access(card, psam, f, right, content, sm_key), content)


def read_probe(card: CardSession, path: str) -> Response:
    """The read an access case sends: the first record of a record file, the first bytes of a
    transparent file (answer unchecked)."""
    f = card.profile.file(path)
    if f.is_record_file:
        return card.read_record(f.path, number=_first_record(f), check=False)
    return card.read_binary(f.path, 0, _probe(f), check=False)


def _access(card: CardSession, psam: PsamClient, f: FileDef, right: str, content: bytes | None, sm_key: str | None) -> Response:
    if right == "read":
        return read_probe(card, f.path)
    assert content is not None
    if right == "update":
        if not f.is_record_file:
            if sm_key is not None:
                raise NotImplementedError(f"{f.path}: MAC-protected UPDATE BINARY is not implemented")
            return card.update_binary(f.path, 0, content, check=False)
        if sm_key is not None:
            return card.secure_update_record(f.path, content, psam, sm_key, check=False)
        return card.update_record(f.path, content, check=False)
    if right == "append":
        if sm_key is not None:
            return card.secure_append_record(f.path, content, psam, sm_key, check=False)
        return card.append_record(f.path, content, check=False)
    raise ValueError(f"unknown right {right!r}")


def _first_record(f: FileDef) -> int:
    if not f.records:
        raise ValueError(f"{f.path} declares no record to read")
    return min(r.number for r in f.records)


def _probe(f: FileDef) -> int:
    assert f.size is not None, f"{f.path} is neither a record file nor a transparent file of known size"
    return min(BINARY_PROBE, f.size)


def current_content(card: CardSession, psam: PsamClient, pin: str, f: FileDef) -> bytes:
    """What a write of `f` carries: for a record file its first record as the card holds it, for a
    transparent file its first bytes, for an append a blank record of the declared layout. The read
    uses the first minimal grant of the read rule that the card honours."""
    if f.kind == "cyclic":
        rec = f.records[0]
        return bytes([rec.tag, rec.length]) + bytes(rec.length)
    rule = f.rule("read")
    if rule is None or rule.is_never:
        raise OperationError(None, None, f"{f.path}: the read rule ({rule}) does not let the terminal learn the content to write back")
    refusal: Response | None = None
    for grant in rule.minimal_grants():  # the first grant the card honours (PIN before keys)
        card.select_mf(check=True)
        for c in grant_conditions(grant, rule):
            if c.kind == PIN:
                card.verify_pin(pin, check=True)
            elif c.kind == AUTH:
                assert c.key is not None
                card.external_authenticate(c.key, 0, psam, check=True)
        if f.is_record_file:
            rec = min(f.records, key=lambda r: r.number)
            response = card.read_record(f.path, tag=rec.tag, check=False)
        else:
            response = card.read_binary(f.path, 0, _probe(f), check=False)
        if response.ok:
            return response.data
        refusal = response
    raise OperationError(
        None,
        refusal,
        f"{f.path}: reading the content to write back under “{rule}” was refused ({refusal.describe() if refusal else 'no grant'})",
    )
