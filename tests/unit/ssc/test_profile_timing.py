"""The per-command deadline comes from profile data: slow commands get the profile's factor."""

from __future__ import annotations

from harness.dut import apdu_deadline, max_response_length
from ssc.profile import load_profile


def test_slow_commands_get_the_profiles_factor() -> None:
    profile = load_profile("gen2")
    deadline = apdu_deadline(profile, 2.0)
    update = profile.command("update_record")
    read = profile.command("read_record")
    assert deadline(bytes((update.cla[0], update.ins, 1, 4, 0))) == 2.0 * profile.timing.slow_factor > 2.0
    assert deadline(bytes((read.cla[0], read.ins, 1, 4, 0))) == 2.0
    assert max_response_length(profile) == profile.t0_max_response + 2 == 258
