"""`ssc-conform replay SCRIPT --card …`: replay a divergence script (or any ssc-replay/1 script, or
one scenario's trace of a run: SCRIPT = results.json or its run directory, with --scenario) and
show, step by step, where the card's answers differ from the recording.

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
from harness.replay.script import ReplayScript, load, save
from terminal.errors import AnswerError
from terminal.transports.base import TransportError
from terminal.transports.tryguard import find_try_guard

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
    scenario: str | None = None,
    save_script: Path | None = None,
) -> int:
    script = _from_trace(script_path, scenario) if _is_run(script_path) else load(script_path)
    if save_script is not None:
        save(script, save_script)
        print(f"script: {save_script}")
    try:
        opened = open_card(
            card, profile_option=profile or script.profile, keys=keys, pin=pin, psam_option=psam, faults=faults, tearing_hook=True
        )  # the embedded card with the tearing hook, as diff builds it: a diff's torn operations replay on it
    except (TransportError, AnswerError) as exc:
        print(f"ssc-conform replay: the card could not be opened: {exc}", file=sys.stderr)
        return BAD_INPUT
    if opened.profile.name != script.profile:
        raise UsageError(f"{script_path}: recorded with profile {script.profile}, the card is {opened.profile.name}")
    transport = opened.open()
    ctx = OperationContext.over(
        transport,
        opened.profile,
        opened.pin,
        opened.psam,
        identity=opened.identity,
        allow_destructive=allow_destructive,
        guard=find_try_guard(transport),  # off only inside a destructive PIN run-down, as in the diff
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


def _is_run(path: Path) -> bool:
    return path.name == "results.json" or (path.is_dir() and (path / "results.json").is_file())


def _from_trace(path: Path, scenario: str | None) -> ReplayScript:
    """The trace of one scenario of a run (results.json) as a script (`harness.replay.trace`)."""
    import json

    from harness.replay.trace import script_from_trace
    from ssc.profile import load_profile

    results = path / "results.json" if path.is_dir() else path
    try:
        doc = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{results}: cannot read the run's results: {exc}") from None
    scenarios = [s for s in doc.get("scenarios", []) if isinstance(s, dict) and s.get("trace")]
    if scenario is not None:
        scenarios = [s for s in scenarios if scenario in str(s.get("id", "")) or scenario in str(s.get("name", ""))]
    if len(scenarios) != 1:
        names = ", ".join(str(s.get("name")) for s in scenarios[:8])
        raise UsageError(f"{results}: --scenario must pick exactly one scenario with a trace; {len(scenarios)} match ({names})")
    chosen = scenarios[0]
    run = doc.get("run", {}) if isinstance(doc.get("run"), dict) else {}
    profile_name = (run.get("profile") or {}).get("name") if isinstance(run.get("profile"), dict) else None
    profile = load_profile(profile_name or doc.get("dut", {}).get("profile") or "gen2")
    script, left_out = script_from_trace(profile, chosen["trace"], title=str(chosen.get("name", "")))
    for why in left_out:
        print(f"  left out: {why}", file=sys.stderr)
    return script


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
