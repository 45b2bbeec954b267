"""The terminal's side of the PSAM protocol (PROFILE §7), over any transport and bytes only.

The client never sees a key: it names the card key (id, version, usage) and hands over the
diversification factors; the PSAM derives the working key and computes cryptograms and MACs. So
the same client drives the software PSAM (`reference_card.psam`, in-process or over vpcd) and a
hardware PSAM in a second reader. T=0 61xx/6Cxx are followed, so a PSAM that answers case-4
commands through GET RESPONSE works as well as one answering directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from ssc.apdu import CommandApdu
from ssc.codecs import decode_cn
from ssc.crypto.algorithm import Algorithm
from ssc.profile.model import KeyDef, Profile

from .errors import AnswerError
from .t0 import Exchange, T0Policy
from .transports.base import Transport

__all__ = ["PsamClient", "PsamError"]

_FID_BYTES = 2  # ISO/IEC 7816-4: a file identifier is two bytes


class PsamError(AnswerError):
    """The PSAM refused a command; the message names the step, the APDU and the status word."""

    def __init__(self, message: str, command: bytes, sw: int | None) -> None:
        super().__init__(message)
        self.command = command
        self.sw = sw


class PsamClient:
    """Speaks §7 to a PSAM: ``PsamClient(transport, profile)``.

    Typical use: ``select_for(alg)`` once per card, then per operation ``derive(...)`` followed by
    ``process`` / ``mac`` / ``encipher``. Selecting a DF (also inside ``terminal_number()``)
    makes the PSAM forget its working key.
    """

    def __init__(self, transport: Transport, profile: Profile) -> None:
        self.transport = transport
        self.profile = profile
        self._spec = profile.psam
        get_response = profile.command("get_response")
        self._t0 = T0Policy(transport, get_response_cla=get_response.cla[0], get_response_ins=get_response.ins)
        select = profile.command("select")
        self._select_p1 = select.byte("p1_fid")
        self._select_p2 = select.byte_list("p2")[0]
        self._sfi_flag = profile.command("read_binary").byte("p1_sfi_flag")
        self.algorithm: Algorithm | None = None
        self._terminal_number: str | None = None

    @property
    def atr(self) -> bytes | None:
        return self.transport.atr

    # -- commands -------------------------------------------------------------------------------

    def select_for(self, alg: Algorithm) -> None:
        """Select the key DF for the card's algorithm (from the card's FCI algorithm id)."""
        try:
            fid = self._spec.dfs[alg]
        except KeyError:
            raise PsamError(f"the profile names no PSAM DF for {alg.value}", b"", None) from None
        self._select(fid, f"select the {alg.value} key DF")
        self.algorithm = alg

    def terminal_number(self) -> str:
        """The terminal number (12 digits) from the EF under the PSAM's MF; cached."""
        if self._terminal_number is None:
            self._select(self.profile.file("MF").fid, "select the PSAM MF")
            cla, ins = self._spec.commands["read_binary"]
            p1 = self._sfi_flag | self._spec.terminal_number_sfi
            apdu = CommandApdu(cla, ins, p1, 0, b"", self._spec.terminal_number_length)
            data = self._run(apdu, "read the terminal number").data
            self._terminal_number = decode_cn(data)
            if self.algorithm is not None:
                self.select_for(self.algorithm)
        return self._terminal_number

    def derive(self, usage: str, key: KeyDef, version: int, factors_root_to_card: Sequence[bytes]) -> None:
        """DERIVE KEY: working key for card key `key`, `version` (00 = active), `usage` (a name in
        the profile's psam.key_usage: internal_auth, external_auth, mac), diversified with the
        factors given root first (the APDU carries them card first)."""
        try:
            usage_code = self._spec.key_usage[usage]
        except KeyError:
            raise PsamError(f"unknown PSAM key usage {usage!r}; the profile names {sorted(self._spec.key_usage)}", b"", None) from None
        p1 = (len(factors_root_to_card) << self._spec.levels_shift) | usage_code
        data = bytes([version]) + b"".join(reversed([bytes(f) for f in factors_root_to_card]))
        cla, ins = self._spec.commands["derive_key"]
        what = f"derive {key.name} v{version:02X} for {usage} ({len(factors_root_to_card)} levels)"
        self._run(CommandApdu(cla, ins, p1, key.id, data), what)

    def encipher(self, data: bytes) -> bytes:
        """ECB-encipher `data` (whole blocks) under the working key."""
        return self._use("ecb", data, "encipher")

    def process(self, f8: bytes, d8: bytes) -> bytes:
        """The 8-byte authentication result of §6.3 (F = the card's challenge or the factor)."""
        return self._use("process", bytes(f8) + bytes(d8), "compute the authentication cryptogram")

    def mac(self, iv: bytes, message: bytes) -> bytes:
        """The 4-byte MAC of §6.4 over `message` (unpadded) with `iv` (one block)."""
        return self._use("mac", bytes(iv) + bytes(message), "compute a MAC")

    # -- plumbing -------------------------------------------------------------------------------

    def _select(self, fid: int, what: str) -> None:
        cla, ins = self._spec.commands["select"]
        self._run(CommandApdu(cla, ins, self._select_p1, self._select_p2, fid.to_bytes(_FID_BYTES, "big")), what)

    def _use(self, mode: str, data: bytes, what: str) -> bytes:
        cla, ins = self._spec.commands["use_key"]
        apdu = CommandApdu(cla, ins, self._spec.use_modes[mode], self._spec.use_key_p2, data, 0)
        return self._run(apdu, what).data

    def _run(self, apdu: CommandApdu, what: str) -> Exchange:
        raw = apdu.to_bytes()
        exchange = self._t0.exchange(raw)
        if exchange.sw != self.profile.sw.ok:
            meaning = self.profile.sw.describe(exchange.sw)
            text = f"{exchange.sw:04X}" + (f" {meaning.en}" if meaning else " (not a status word of the profile)")
            raise PsamError(f"PSAM could not {what}: {raw.hex().upper()} → {text}", raw, exchange.sw)
        return exchange
