"""GET CHALLENGE and GET RESPONSE (PROFILE §5, §6.3): the single-use challenge and the T=0
delivery of case-4 data (61xx, partial reads, 6Cxx, 6985 when nothing is pending).

Two faults break the generator in ways distinctness within one session does not show:
`challenge_restarts_at_reset` re-seeds it identically at every power-on (the same challenges after
each reset), `counter_challenge` answers a little-endian counter started at a random value."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from reference_card.commands.base import CommandFamily

if TYPE_CHECKING:
    from reference_card.cos import Cos


# The seed the `challenge_restarts_at_reset` mutant restarts its generator from at every power-on.
_RESTART_SEED = b"ssc-reference-card|challenge_restarts_at_reset"


class Exchange(CommandFamily):
    def __init__(self, cos: Cos, rng: random.Random | None) -> None:
        super().__init__(cos)
        challenge = self.profile.command("get_challenge")
        les = challenge.param("le")
        assert isinstance(les, (list, tuple)), f"commands.get_challenge.le: expected a list, got {les!r}"
        self.challenge_les = frozenset(les)
        self.gc_p1 = challenge.byte("p1")
        self.gc_p2 = challenge.byte("p2")
        gr = self.profile.command("get_response")
        self.gr_p1 = gr.byte("p1")
        self.gr_p2 = gr.byte("p2")
        self._random: Callable[[int], bytes] = rng.randbytes if rng is not None else secrets.token_bytes
        self._restarts = "challenge_restarts_at_reset" in cos.faults
        self._counter: int | None = None
        self._any_p1p2 = "get_challenge_any_p1p2" in cos.faults
        if "counter_challenge" in cos.faults:
            self._counter = int.from_bytes(self._random(16), "little")
            self._random = self._next_count

    def power_on(self) -> None:
        """A power-on or reset: the clean generator runs on; the restarting mutant starts over."""
        if self._restarts:
            self._random = random.Random(_RESTART_SEED).randbytes

    def _next_count(self, n: int) -> bytes:
        assert self._counter is not None
        self._counter = (self._counter + 1) % (1 << 128)
        return (self._counter % (1 << (8 * n))).to_bytes(n, "little")

    def handlers(self) -> dict[str, object]:
        return {"get_challenge": self.get_challenge, "get_response": self.get_response}

    def get_challenge(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        if (apdu[2] != self.gc_p1 or apdu[3] != self.gc_p2) and not self._any_p1p2:
            return self.sw.wrong_p1p2
        if data is None or data or le is None or le not in self.challenge_les:
            return self.sw.wrong_length
        value = self._random(le)
        self.session.challenge = value
        return value + self.sw.ok

    def get_response(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        if apdu[2] != self.gr_p1 or apdu[3] != self.gr_p2:
            self.session.pending = pending
            return self.sw.wrong_p1p2
        if data is None or data:
            self.session.pending = pending
            return self.sw.wrong_length
        if pending is None:
            return self.sw.conditions_not_satisfied
        available = len(pending)
        ne = self.max_response if not le else le
        if le is None or ne > available:
            self.session.pending = pending  # data kept for the re-issued command
            return self.wrong_le(available)
        if ne == available:
            return pending + self.sw.ok
        self.session.pending = pending[ne:]
        return pending[:ne] + self.sw.more_data_for(available - ne)
