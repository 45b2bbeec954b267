"""The tearing test hook (PROFILE §6.5, virtual cards only): `FF 7E P1 P2` arms a power cut after
P1P2 bytes of the next persistent write. Registered only when the card is built with
``tearing_hook=True``; otherwise its CLA is unknown (6E00)."""

from __future__ import annotations

from reference_card.commands.base import CommandFamily


class TearingHook(CommandFamily):
    def handlers(self) -> dict[str, object]:
        return {"tearing_hook": self.arm}

    def arm(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        if data is None or data:
            return self.sw.wrong_length
        offset = apdu[2] << 8 | apdu[3]
        if "tearing_hook_p2_only" in self.faults:  # the fault: P1 ignored
            offset = apdu[3]
        self.store.arm_power_cut(offset)
        return self.sw.ok
