"""Which profile a run uses: given explicitly, the reference card's generation, or detected."""

from __future__ import annotations

from harness.cardspec import CardSpec
from ssc.profile import builtin_profiles, load_profile
from ssc.profile.model import Profile
from terminal.channel import Terminal
from terminal.errors import HarnessError
from terminal.session import CardSession
from terminal.transports.base import Transport


class ProfileDetectionError(HarnessError, RuntimeError):
    pass


def initial_profile(spec: CardSpec, option: str | None) -> Profile:
    if option:
        return load_profile(option)
    if spec.kind == "reference":
        return load_profile(spec.generation or "gen2")
    return load_profile(builtin_profiles()[-1])  # only to read the spec-version item; replaced below


def detect_profile(transport: Transport, probe: Profile) -> Profile:
    """The built-in profile whose spec version the card's EF05 item announces."""
    session = CardSession(Terminal(transport, probe), check=True)
    try:
        version = str(session.read_item("spec_version"))
    except Exception as exc:
        raise ProfileDetectionError(f"cannot read the card's spec-version item to pick a profile ({exc}); give --profile") from exc
    for name in builtin_profiles():
        candidate = load_profile(name)
        if candidate.spec_version == version:
            return candidate
    raise ProfileDetectionError(f"the card announces spec version {version!r}, which no built-in profile has; give --profile")
