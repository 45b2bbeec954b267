"""GET CHALLENGE and GET RESPONSE (PROFILE §5, §6.3): the single-use challenge and the T=0
delivery of case-4 data (61xx, partial reads, 6Cxx, 6985 when nothing is pending)."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from reference_card.commands.base import CommandFamily

if TYPE_CHECKING:
    from reference_card.cos import Cos


class Exchange(CommandFamily):
    def __init__(self, cos: Cos, rng: random.Random | None) -> None:
        super().__init__(cos)
        challenge = self.profile.command("get_challenge")
        self.challenge_les = frozenset(challenge.param("le"))  # type: ignore[arg-type]
        self.gc_p1 = challenge.byte("p1")
        self.gc_p2 = challenge.byte("p2")
        gr = self.profile.command("get_response")
        self.gr_p1 = gr.byte("p1")
        self.gr_p2 = gr.byte("p2")
        self._random: Callable[[int], bytes] = rng.randbytes if rng is not None else secrets.token_bytes

    def handlers(self) -> dict[str, object]:
        return {"get_challenge": self.get_challenge, "get_response": self.get_response}

    def get_challenge(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        if apdu[2] != self.gc_p1 or apdu[3] != self.gc_p2:
            return self.sw.wrong_p1p2
        if data is None or data or le not in self.challenge_les:
            return self.sw.wrong_length
        value = self._random(le)  # type: ignore[arg-type]
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
