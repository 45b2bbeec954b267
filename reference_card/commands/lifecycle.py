"""APPLICATION BLOCK / UNBLOCK and CARD BLOCK (PROFILE §5, §6.5).

personalized ⇄ application blocked (MAC under STK); either → terminated (MAC under BK). The state
is persistent (survives reset). Outside the application (the DF holding the lifecycle keys and its
ADFs) these commands answer 6985.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_card.commands.base import CommandFamily

if TYPE_CHECKING:
    from reference_card.cos import Cos
    from reference_card.security import CardKey

PERSONALIZED, APPLICATION_BLOCKED, TERMINATED = 0, 1, 2  # internal encoding of the lifecycle cell


class Lifecycle(CommandFamily):
    def __init__(self, cos: Cos) -> None:
        super().__init__(cos)
        self.mac_challenge = self.profile.security.challenge_mac
        if self.profile.behaviour.lifecycle_mac_key_version.value != "active":
            raise NotImplementedError("only the active key version is implemented for lifecycle MACs")
        self.wrong_state: bytes = getattr(self.sw, self.profile.behaviour.card_lifecycle_wrong_state.value)
        self._ignore_block = "application_block_ignored" in self.faults
        self.params = {}
        self.keys: dict[str, CardKey | None] = {}
        for name in ("application_block", "application_unblock", "card_block"):
            cmd = self.profile.command(name)
            self.params[name] = (cmd.byte("p1"), cmd.byte("p2"))
            self.keys[name] = self.fs.keys_by_name.get(self.profile.command_key(name).name)

    def handlers(self) -> dict[str, object]:
        return {
            "application_block": lambda *a: self._run("application_block", *a),
            "application_unblock": lambda *a: self._run("application_unblock", *a),
            "card_block": lambda *a: self._run("card_block", *a),
        }

    def _run(self, name: str, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        if (apdu[2], apdu[3]) != self.params[name]:
            return self.sw.wrong_p1p2
        if data is None or len(data) != self.mac_length:
            return self.sw.wrong_length
        key = self.keys[name]
        if key is None or not self.cos.within(self.session.df, self.fs.nodes.get(key.df)):
            return self.sw.conditions_not_satisfied
        if chal is None or len(chal) != self.mac_challenge:
            return self.sw.referenced_data_invalid
        if not self.access.mac_valid(key, key.active, apdu, data, chal):
            return self.sw.sm_data_incorrect
        state = self.cos.lifecycle
        if name == "application_block":
            if state != PERSONALIZED:
                return self.wrong_state
            if not self._ignore_block:
                self.cos.set_lifecycle(APPLICATION_BLOCKED)
        elif name == "application_unblock":
            if state != APPLICATION_BLOCKED:
                return self.wrong_state
            self.cos.set_lifecycle(PERSONALIZED)
        else:
            self.cos.set_lifecycle(TERMINATED)
        return self.sw.ok
