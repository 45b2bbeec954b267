"""Persistent memory with all-or-nothing writes and a power-cut hook (PROFILE §6.5).

Every write to the card's persistent state — a record, a binary range, a PIN or key try counter,
the PIN, the lifecycle state — goes through `PersistentStore.write`. It behaves like a journalled
EEPROM: the new value is written to a shadow, and only a completed write is committed, so a write
torn by a power cut leaves the old value (anti-tearing).

The tearing hook arms a cut "after N bytes of the next persistent write": a write of L bytes with
N < L is torn (old value kept; with the `no_anti_tearing` fault the first N bytes land on top of
the old value), and the card raises `ssc.card.PowerCut` instead of answering. With N ≥ L the
write completes and the remaining N − L bytes carry over to the command's next write, so one
command that writes several items (a try counter, then the PIN) can be torn inside any of them;
when the command's writes end before N bytes, power is cut right after its last write, before it
answers (`end_command`, behaviour `card_tearing_at_write_end`).
"""

from __future__ import annotations

from collections.abc import Callable

from ssc.card import PowerCut

__all__ = ["PersistentStore"]


class PersistentStore:
    def __init__(self, *, anti_tearing: bool = True) -> None:
        self.anti_tearing = anti_tearing
        self.writes = 0  # completed writes since the card was made (tests and benches read it)
        self.bytes_written = 0
        self._cut_after: int | None = None
        self._carried = False  # an armed cut already let a write of this command complete

    @property
    def armed(self) -> int | None:
        """Byte count of a pending power cut, or None."""
        return self._cut_after

    def arm_power_cut(self, after_bytes: int) -> None:
        if after_bytes < 0:
            raise ValueError(f"after_bytes must be ≥ 0, got {after_bytes}")
        self._cut_after = after_bytes
        self._carried = False

    def disarm(self) -> None:
        self._cut_after = None
        self._carried = False

    def end_command(self) -> None:
        """Called when a command has been processed: an armed cut that let its writes complete
        cuts power now, before the answer leaves the card."""
        if self._carried:
            self.disarm()
            raise PowerCut("power cut right after the command's last persistent write")

    def write(self, old: bytes, new: bytes, commit: Callable[[bytes], None]) -> None:
        """Replace `old` by `new` through `commit` (which performs the actual update), unless an
        armed power cut tears the write."""
        cut = self._cut_after
        if cut is None:
            commit(new)
            self.writes += 1
            self.bytes_written += len(new)
            return
        if cut < len(new):
            self.disarm()
            if not self.anti_tearing:
                padded = (old + bytes(len(new)))[: len(new)]
                commit(new[:cut] + padded[cut:])  # a torn write: part new, part old
            raise PowerCut(f"power cut after {cut} of {len(new)} bytes of a persistent write")
        commit(new)
        self.writes += 1
        self.bytes_written += len(new)
        self._cut_after = cut - len(new)
        self._carried = True
