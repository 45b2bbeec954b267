"""Send every command to the DUT and to its twin, and compare the answers byte for byte.

`MirrorTransport` is a transport over two cards: the terminal above it (T=0 handling, the session,
the operations) talks to the DUT as usual and never knows a twin is there. Each raw command goes
to the DUT first; the twin gets the same bytes and must answer the same bytes (data and SW), and a
reset must give the same ATR. A DUT that stays silent (`CardMuteError`: present, no answer) diverges
from a twin that answered; a lost card or reader is no answer of the card and ends the run. The first difference raises `Divergence`, which carries both answers.

Declared nondeterminism is compared by rule instead of bytes:

- GET CHALLENGE: the DUT's challenge is injected into the twin's generator before the twin answers,
  so the two stay in lockstep through authentications and MACs. The rule a challenge must keep is
  freshness: within one sequence a challenge of 8 bytes or more never repeats an earlier one and is
  not an earlier one plus or minus a small step (a counter). Shorter challenges are not judged (a
  4-byte repeat among thousands happens by chance).
- A power cut the tearing test hook armed (PROFILE §6.5, `FF 7E` answered 9000 by both): after the
  arm and until the next reset, a DUT that loses power (no answer: `CardUnavailableError`) is
  compared with the twin, which got the same command armed the same way — both lost power (the
  DUT's error goes on to the operation, which resets) or one answered where the other did not
  (a divergence). Any other lost card still ends the run.
- FCI: a declared FCI extension lets the DUT's FCI carry TLVs the model's has not; every TLV of the
  model's FCI must be in the DUT's, unchanged (`fci_extension=True`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.diff.twin import InjectedRandom
from harness.dut import mask_rules
from ssc.profile.model import Profile
from ssc.tlv import parse_tlv
from terminal.errors import HarnessError
from terminal.transports.base import CardMuteError, CardUnavailableError, Transport
from terminal.transports.tracing import Masker

__all__ = ["Divergence", "MirrorTransport", "MirroredExchange"]

_FRESH_MIN = 8  # challenge length from which freshness is judged (bytes)
_COUNTER_STEP = 1 << 16  # |difference| below which two challenges are a counter, not random


class Divergence(HarnessError):
    """The DUT and its twin answered one command differently (or gave different ATRs)."""

    def __init__(self, command: bytes | None, dut: bytes, model: bytes, rule: str = "bytes", *, shown: str | None = None) -> None:
        what = "reset" if command is None else (shown or command.hex().upper())
        model_text = model.hex().upper() or "—"
        super().__init__(f"{what}: DUT {dut.hex().upper()} ≠ model {model_text} ({rule})")
        self.command = command
        self.dut = dut
        self.model = model
        self.rule = rule


@dataclass(frozen=True)
class MirroredExchange:
    command: bytes | None  # None: a reset (responses are the ATRs)
    dut: bytes
    model: bytes


@dataclass
class MirrorTransport(Transport):
    """``MirrorTransport(dut, twin, rng, profile)``; `apdus` counts commands sent to the DUT."""

    dut: Transport
    twin: Transport
    rng: InjectedRandom
    profile: Profile
    fci_extension: bool = False
    apdus: int = 0
    log: list[MirroredExchange] = field(default_factory=list)
    challenges: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        challenge = self.profile.command("get_challenge")
        self._challenge = (frozenset(challenge.cla), challenge.ins)
        select = self.profile.command("select")
        self._select = (frozenset(select.cla), select.ins)
        get_response = self.profile.command("get_response")
        self._get_response = (frozenset(get_response.cla), get_response.ins)
        hook = self.profile.command("tearing_hook")
        self._hook = (frozenset(hook.cla), hook.ins)
        self._armed = False  # a power cut is armed on both cards (until the next reset)
        self._last_select = False
        self._masker = Masker(mask_rules(self.profile))
        self.description = f"lockstep: {self.dut.description} ↔ reference twin"

    @staticmethod
    def _is(command: bytes, spec: tuple[frozenset[int], int]) -> bool:
        return len(command) >= 4 and command[0] in spec[0] and command[1] == spec[1]

    def transmit(self, command: bytes) -> bytes:
        self.apdus += 1
        try:
            answer = self.dut.transmit(command)
        except CardUnavailableError as exc:
            if self._armed:
                self._cut(command, exc)
            if not isinstance(exc, CardMuteError):
                raise
            # present but silent: a behaviour of the card, compared with the twin's answer
            model = self.twin.transmit(command)
            self.log.append(MirroredExchange(bytes(command), b"", bytes(model)))
            raise Divergence(command, b"", model, f"no answer: {exc}", shown=self.shown(command)) from exc
        is_challenge = self._is(command, self._challenge)
        if is_challenge and len(answer) > 2 and answer[-2:] == b"\x90\x00":
            self.rng.inject(answer[:-2])
        try:
            model = self.twin.transmit(command)
        except CardUnavailableError as exc:  # the twin's armed cut (it has the hook only when the DUT has)
            self.log.append(MirroredExchange(bytes(command), bytes(answer), b""))
            raise Divergence(command, answer, b"", "power cut: the twin lost power, the DUT answered", shown=self.shown(command)) from exc
        self.log.append(MirroredExchange(bytes(command), bytes(answer), bytes(model)))
        if self._is(command, self._hook) and answer[-2:] == b"\x90\x00":
            self._armed = True
        if answer != model and not self._fci_allowed(command, answer, model):
            raise Divergence(command, answer, model, shown=self.shown(command))
        if is_challenge and len(answer) - 2 >= _FRESH_MIN:
            self._judge_challenge(command, answer)
        if self._is(command, self._select):
            self._last_select = True
        elif not self._is(command, self._get_response):
            self._last_select = False
        return answer

    def _cut(self, command: bytes, exc: CardUnavailableError) -> None:
        """The DUT lost power with a cut armed: the twin must lose it too (then `exc` goes on)."""
        try:
            model = self.twin.transmit(command)
        except CardUnavailableError:  # both cut: not logged, as a replay's capture keeps no exchange for it
            raise exc from None
        self.log.append(MirroredExchange(bytes(command), b"", bytes(model)))
        raise Divergence(
            command, b"", model, f"power cut: the DUT lost power, the twin answered ({exc})", shown=self.shown(command)
        ) from exc

    def shown(self, command: bytes) -> str:
        """The command as a report may show it (PIN and key bytes masked)."""
        return self._masker.apply(command, b"")[0].hex()

    def _judge_challenge(self, command: bytes, answer: bytes) -> None:
        value = answer[:-2]
        as_int = int.from_bytes(value, "little")
        for earlier in self.challenges:
            if len(earlier) != len(value):
                continue
            if earlier == value:
                raise Divergence(command, answer, b"", "freshness: the challenge repeats an earlier one", shown=self.shown(command))
            if abs(int.from_bytes(earlier, "little") - as_int) < _COUNTER_STEP:
                raise Divergence(
                    command, answer, b"", "freshness: the challenge is an earlier one plus a small step", shown=self.shown(command)
                )
        self.challenges.append(value)

    def _fci_allowed(self, command: bytes, answer: bytes, model: bytes) -> bool:
        """A declared FCI extension: the model's TLVs all present, unchanged, in the DUT's FCI."""
        if not self.fci_extension or answer[-2:] != model[-2:] or not (self._last_select and self._is(command, self._get_response)):
            return False
        try:
            ours = parse_tlv(model[:-2])
            theirs = parse_tlv(answer[:-2])
        except ValueError:
            return False
        return len(ours) == len(theirs) == 1 and ours[0].tag == theirs[0].tag and _contains(theirs[0].value, ours[0].value)

    def reset(self) -> bytes:
        self._armed = False
        atr = self.dut.reset()
        model = self.twin.reset()
        self.log.append(MirroredExchange(None, bytes(atr), bytes(model)))
        if atr != model:
            raise Divergence(None, atr, model)
        return atr

    @property
    def atr(self) -> bytes | None:
        return self.dut.atr

    def close(self) -> None:
        self.twin.close()

    def take(self) -> list[MirroredExchange]:
        out, self.log = self.log, []
        return out


def _contains(theirs: bytes, ours: bytes) -> bool:
    try:
        mine = parse_tlv(ours)
        other = {(t.tag, t.value) for t in parse_tlv(theirs)}
    except ValueError:
        return False
    return all((t.tag, t.value) in other for t in mine)
