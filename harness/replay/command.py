"""`ssc-conform replay SCRIPT --card …`: replay a divergence script (or any ssc-replay/1 script)
and show, step by step, where the card's answers differ from the recording.

Exit status: 0 every step answered as recorded, 1 at least one step differs, 2 bad input (the
script, an option, no card), 3 the replay could not complete (the card stopped answering).
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.diff.card import open_card
from harness.exitstatus import BAD_INPUT, FAILED, PASSED, UNFINISHED, UsageError
from harness.replay.operations import Exchange, OperationContext
from harness.replay.player import StepComparison, replay
from harness.replay.script import load
from terminal.errors import AnswerError
from terminal.transports.base import TransportError

__all__ = ["run_replay"]


def run_replay(
    script_path: Path,
    card: str,
    *,
    profile: str | None = None,
    keys: Path | None = None,
    pin: str | None = None,
    psam: str | None = None,
    faults: tuple[str, ...] = (),
    allow_destructive: bool = False,
) -> int:
    script = load(script_path)
    try:
        opened = open_card(card, profile_option=profile or script.profile, keys=keys, pin=pin, psam_option=psam, faults=faults)
    except (TransportError, AnswerError) as exc:
        print(f"ssc-conform replay: the card could not be opened: {exc}", file=sys.stderr)
        return BAD_INPUT
    if opened.profile.name != script.profile:
        raise UsageError(f"{script_path}: recorded with profile {script.profile}, the card is {opened.profile.name}")
    ctx = OperationContext.over(
        opened.open(), opened.profile, opened.pin, opened.psam, identity=opened.identity, allow_destructive=allow_destructive
    )
    try:
        comparisons = replay(script, ctx)
    except TransportError as exc:
        print(f"ssc-conform replay: the replay could not complete: {exc}", file=sys.stderr)
        return UNFINISHED
    print(f"replay {script_path} ({script.source}, {len(script.steps)} steps) on {opened.description}")
    for c in comparisons:
        _show(c)
    differing = [c for c in comparisons if c.status == "differs"]
    not_run = [c for c in comparisons if c.status == "not-run"]
    print(f"{len(comparisons) - len(differing) - len(not_run)} same, {len(differing)} differ, {len(not_run)} not run")
    return FAILED if differing else PASSED


def _text(exchanges: list[Exchange]) -> str:
    return "; ".join(f"{e.command} → {e.response}" for e in exchanges) or "(nothing sent)"


def _show(c: StepComparison) -> None:
    mark = {"same": "=", "differs": "≠", "not-run": "-"}[c.status]
    print(f"{mark} {c.index + 1}. {c.operation}")
    if c.status == "differs":
        print(f"    recorded: {_text(c.recorded)}")
        print(f"    now:      {_text(c.replayed)}")
    elif c.status == "not-run":
        print(f"    not run: {c.reason}")
