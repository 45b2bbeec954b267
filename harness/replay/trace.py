"""A run's recorded APDU trace (results.json) as a replay script (``source: trace``).

A trace is raw and masked: commands without secrets become raw ``apdu`` steps (sent as recorded,
GET RESPONSEs included, so the card is driven through the same exchanges); secret-bearing ones
become operations: a masked VERIFY is ``verify`` with the run PIN when the card accepted it and a
wrong one when it did not; EXTERNAL AUTHENTICATE (with the GET CHALLENGE before it) is
``external_authenticate`` of the key with that id in the DF last selected, right or wrong as the
card answered. Commands a trace cannot replay (MAC-protected ones: the MAC was computed over a
challenge of that run; CHANGE / RELOAD PIN: which PIN is unknown) are left out and listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.replay.operations import Exchange, Operation
from harness.replay.script import ExpectedExchange, ReplayScript, ReplayStep
from ssc.profile.model import Profile

__all__ = ["script_from_trace"]

_OK = 0x9000


def _is(profile: Profile, name: str, command: bytes) -> bool:
    cmd = profile.command(name)
    return len(command) >= 2 and command[1] == cmd.ins and command[0] in cmd.cla


def script_from_trace(profile: Profile, entries: Sequence[Mapping[str, Any]], title: str = "") -> tuple[ReplayScript, list[str]]:
    """The script and the commands left out (with the reason)."""
    steps: list[ReplayStep] = []
    left_out: list[str] = []
    df_by_name = {f.name: f.path for f in profile.files.values() if f.is_df and f.name is not None}
    current_df: str | None = None
    mac_clas = {cmd.cla[-1] for cmd in profile.commands.values() if len(cmd.cla) > 1}
    for entry in entries:
        kind = str(entry.get("kind"))
        command_text = str(entry.get("command") or "")
        response_text = str(entry.get("response") or "")
        if kind == "reset":
            atr = response_text.upper()
            steps.append(ReplayStep(op="reset", expect=[ExpectedExchange(command="RESET", data=atr or None)]))
            current_df = None
            continue
        if entry.get("error") or "**" in response_text or len(response_text) < 4:
            left_out.append(f"{command_text}: no complete answer recorded")
            continue
        sw = int(response_text[-4:], 16)
        recorded = Exchange(command_text.upper(), response_text.upper(), sw, response_text[:-4].upper())
        if "**" in command_text:
            raw_header = bytes.fromhex(command_text[:8])
            if _is(profile, "verify", raw_header):
                op = Operation.of("verify", pin="right" if sw == _OK else "wrong")
                steps.append(ReplayStep.of(op, [recorded]))
            else:
                left_out.append(f"{command_text}: carries a PIN the trace does not say")
            continue
        command = bytes.fromhex(command_text)
        if _is(profile, "select", command) and len(command) > 5 and sw >> 8 in (0x61, 0x90):
            current_df = df_by_name.get(command[5 : 5 + command[4]], current_df)
        if _is(profile, "external_authenticate", command):
            key = next((k for k in profile.keys() if k.id == command[3] and k.use == "external" and k.df == current_df), None)
            key = key or next((k for k in profile.keys() if k.id == command[3] and k.use == "external"), None)
            if key is None:
                left_out.append(f"{command_text}: no key with id {command[3]:02X} in the profile")
                continue
            if steps and steps[-1].op == "apdu" and _is(profile, "get_challenge", bytes.fromhex(steps[-1].args["hex"])):
                steps.pop()  # the operation gets its own challenge
            op = Operation.of(
                "external_authenticate", key=key.name, version=f"{command[2]:02X}", cryptogram="right" if sw == _OK else "wrong"
            )
            steps.append(ReplayStep.of(op, [recorded]))
            continue
        if command[0] in mac_clas:
            left_out.append(f"{command_text}: MAC-protected, its MAC belongs to that run's challenge")
            continue
        fresh = _is(profile, "get_challenge", command)
        expect = Exchange(recorded.command, recorded.response, sw, None if fresh else recorded.data, not fresh)
        steps.append(ReplayStep.of(Operation.of("apdu", hex=command_text.upper(), raw="yes"), [expect]))
    script = ReplayScript(format="ssc-replay/1", profile=profile.name, source="trace", title=title, steps=steps)
    return script, left_out
