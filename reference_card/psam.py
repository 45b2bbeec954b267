"""The PSAM (terminal security module) of PROFILE §7 as a card model.

A terminal never holds root keys itself: it asks its PSAM to derive the card's working key from
the diversification factors and to compute cryptograms and MACs with it. This model speaks exactly
the §7 commands over bytes (`ssc.card.CardModel`), so the harness can swap it for a hardware PSAM
in a second reader without the terminal noticing.

What it holds: every national key of the profile (versions from the profile, roots from a
`KeySet`) and the local roots of its home city; two key DFs (3DES and SM4, FIDs from
`profile.psam.dfs`) whose selection decides the algorithm; an EF under its MF with the terminal
number (BCD). Every byte value — CLA/INS, P1 codes, FIDs, status words, lengths — comes from the
profile; choices the text leaves open are `behaviour:` entries of the profile (``psam_*``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ssc.apdu import ApduFormatError, CommandApdu
from ssc.codecs import encode_cn
from ssc.crypto.algorithm import Algorithm
from ssc.crypto.diversify import FACTOR_LENGTH, city_factor, diversify
from ssc.crypto.mac import mac
from ssc.crypto.primitives import ecb_encrypt
from ssc.crypto.recipes import auth_cryptogram
from ssc.keyset import KeySet
from ssc.profile.model import KeyDef, Profile

__all__ = ["PsamCard"]

# Names in the profile's psam.key_usage table whose keys are internal-authentication keys; every
# other usage (external authentication, MAC) uses the card's external key-id space.
_INTERNAL_USAGE = "internal_auth"
_INTERNAL_USE = "internal"
_EXTERNAL_USE = "external"
_FID_BYTES = 2  # ISO/IEC 7816-4: a file identifier is two bytes


class _Answer(Exception):
    """Internal short-cut: abort command processing with this status word."""

    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


@dataclass(frozen=True)
class _WorkingKey:
    alg: Algorithm
    key: bytes
    name: str
    version: int
    usage: str


class PsamCard:
    """A software PSAM: ``PsamCard(profile, "441800", "441800000001", TestKeySet.for_profile(p))``.

    The key DF selected (3DES or SM4) decides the algorithm of DERIVE KEY and USE KEY; selecting
    any file or resetting forgets the working key.
    """

    def __init__(self, profile: Profile, home_region: str, terminal_number: str, keyset: KeySet) -> None:
        spec = profile.psam
        city_factor(profile.security.diversification.city_factor, home_region)  # validates the code
        digits = 2 * spec.terminal_number_length
        if len(terminal_number) != digits or not terminal_number.isdigit():
            raise ValueError(f"terminal number must be {digits} decimal digits, got {terminal_number!r}")
        self.profile = profile
        self.home_region = home_region
        self.terminal_number = terminal_number
        self.keyset = keyset
        self._sw = profile.sw
        self._spec = spec
        self._check_behaviour()
        self._mf_fid = profile.file("MF").fid
        self._df_alg = {fid: alg for alg, fid in spec.dfs.items()}
        self._ef_content = encode_cn(terminal_number, spec.terminal_number_length)
        select = profile.command("select")
        self._select_p1 = select.byte("p1_fid")
        self._select_p2 = frozenset(select.byte_list("p2"))
        self._sfi_flag = profile.command("read_binary").byte("p1_sfi_flag")
        self._usage_mask = (1 << spec.levels_shift) - 1
        self._usage_by_code = {code: name for name, code in spec.key_usage.items()}
        self._mode_by_code = {code: name for name, code in spec.use_modes.items()}
        self._max_levels = len(profile.security.diversification.levels)
        self._active_code = profile.command("external_authenticate").byte("active_version")
        self._keys = self._key_table(profile)
        handlers = {
            "select": self._select,
            "read_binary": self._read_binary,
            "derive_key": self._derive_key,
            "use_key": self._use_key,
        }
        self._by_ins = {ins: (cla, handlers[name]) for name, (cla, ins) in spec.commands.items()}
        self._known_cla = frozenset(cla for cla, _ in spec.commands.values())
        self._current_df = self._mf_fid
        self._current_ef: int | None = None
        self._working: _WorkingKey | None = None

    # -- CardModel ------------------------------------------------------------------------------

    def power_on(self) -> bytes:
        self._current_df = self._mf_fid
        self._current_ef = None
        self._working = None
        return self._spec.atr

    def power_off(self) -> None:
        self._working = None

    def process(self, apdu: bytes) -> bytes:
        try:
            data = self._dispatch(apdu)
            sw = self._sw.ok
        except _Answer as answer:
            data, sw = b"", answer.sw
        return data + sw.to_bytes(2, "big")

    # -- state visible to tests -----------------------------------------------------------------

    @property
    def algorithm(self) -> Algorithm | None:
        """The algorithm of the selected key DF; None while the MF is selected."""
        return self._df_alg.get(self._current_df)

    @property
    def has_working_key(self) -> bool:
        return self._working is not None

    # -- commands -------------------------------------------------------------------------------

    def _dispatch(self, raw: bytes) -> bytes:
        if len(raw) >= 1 and raw[0] not in self._known_cla:
            raise _Answer(self._sw.cla_not_supported)
        if len(raw) >= 2 and raw[1] not in self._by_ins:
            raise _Answer(self._sw.ins_not_supported)
        try:
            apdu = CommandApdu.parse(raw)
        except ApduFormatError:
            raise _Answer(self._sw.wrong_length) from None
        cla, handler = self._by_ins[apdu.ins]
        if apdu.cla != cla:
            raise _Answer(self._sw.cla_not_supported)
        return handler(apdu)

    def _select(self, apdu: CommandApdu) -> bytes:
        if apdu.p1 != self._select_p1 or apdu.p2 not in self._select_p2:
            raise _Answer(self._sw.wrong_p1p2)
        if len(apdu.data) != _FID_BYTES:
            raise _Answer(self._sw.wrong_length)
        fid = int.from_bytes(apdu.data, "big")
        if fid == self._mf_fid or fid in self._df_alg:
            self._current_df, self._current_ef = fid, None
        elif fid == self._spec.terminal_number_fid and self._current_df == self._mf_fid:
            self._current_ef = fid
        else:
            raise _Answer(self._sw.file_not_found)
        self._working = None
        return b""

    def _read_binary(self, apdu: CommandApdu) -> bytes:
        if apdu.p1 & self._sfi_flag:
            sfi = apdu.p1 & ~self._sfi_flag & 0xFF
            offset = apdu.p2
            if sfi != self._spec.terminal_number_sfi or self._current_df != self._mf_fid:
                raise _Answer(self._sw.file_not_found)
            self._current_ef = self._spec.terminal_number_fid
        else:
            offset = (apdu.p1 << 8) | apdu.p2
            if self._current_ef is None:
                raise _Answer(self._sw.no_current_ef)
        if apdu.data:
            raise _Answer(self._sw.wrong_length)
        content = self._ef_content
        if offset >= len(content):
            raise _Answer(self._sw.offset_beyond_ef)
        remaining = len(content) - offset
        wanted = apdu.ne
        if wanted is None or wanted > remaining:
            raise _Answer(self._sw["wrong_le"].with_value(remaining))
        return content[offset : offset + wanted]

    def _derive_key(self, apdu: CommandApdu) -> bytes:
        usage = self._usage_by_code.get(apdu.p1 & self._usage_mask)
        levels = apdu.p1 >> self._spec.levels_shift
        if usage is None or levels > self._max_levels:
            raise _Answer(self._sw.wrong_p1p2)
        if len(apdu.data) != 1 + levels * FACTOR_LENGTH or apdu.le is not None:
            raise _Answer(self._sw.wrong_length)
        alg = self.algorithm
        if alg is None:
            raise _Answer(self._sw.conditions_not_satisfied)
        self._working = None
        use = _INTERNAL_USE if usage == _INTERNAL_USAGE else _EXTERNAL_USE
        key = self._keys.get((use, apdu.p2))
        if key is None:
            raise _Answer(self._sw.key_not_found)
        version = key.active if apdu.data[0] == self._active_code else apdu.data[0]
        if version not in key.versions:
            raise _Answer(self._sw.key_not_found)
        root = self._root(key, version, alg)
        if root is None:
            raise _Answer(self._sw.key_not_found)
        card_first = [apdu.data[1 + i * FACTOR_LENGTH : 1 + (i + 1) * FACTOR_LENGTH] for i in range(levels)]
        working = diversify(alg, root, list(reversed(card_first)))
        self._working = _WorkingKey(alg, working, key.name, version, usage)
        return b""

    def _use_key(self, apdu: CommandApdu) -> bytes:
        mode = self._mode_by_code.get(apdu.p1)
        if mode is None or apdu.p2 != self._spec.use_key_p2:
            raise _Answer(self._sw.wrong_p1p2)
        working = self._working
        if working is None or working.alg is not self.algorithm:
            raise _Answer(self._sw.conditions_not_satisfied)
        alg, key, data = working.alg, working.key, apdu.data
        block = alg.block_size
        if mode == "ecb":
            if not data or len(data) % block:
                raise _Answer(self._sw.wrong_length)
            return ecb_encrypt(alg, key, data)
        if mode == "process":
            half = self.profile.security.challenge_external_auth
            if len(data) != 2 * half:
                raise _Answer(self._sw.wrong_length)
            return auth_cryptogram(alg, key, data[:half], data[half:])
        if mode == "mac":
            if len(data) < block:
                raise _Answer(self._sw.wrong_length)
            return mac(alg, key, data[block:], data[:block])[: self.profile.security.mac_length]
        raise _Answer(self._sw.wrong_p1p2)  # a use mode the profile names but this model lacks

    # -- keys -----------------------------------------------------------------------------------

    def _root(self, key: KeyDef, version: int, alg: Algorithm) -> bytes | None:
        if key.level == "local":
            return self.keyset.local_root(self.home_region, key.name, version, alg)
        try:
            return self.keyset.national_root(key.name, version, alg)
        except KeyError:
            return None

    @staticmethod
    def _key_table(profile: Profile) -> dict[tuple[str, int], KeyDef]:
        """Card keys by (use, key id), outside firewalled DFs (behaviour ``psam_key_scope``)."""
        return {(k.use, k.id): k for k in profile.keys() if not profile.behind_firewall(k.df)}

    def _check_behaviour(self) -> None:
        """This model implements one value of each PSAM behaviour choice; refuse anything else."""
        b = self.profile.behaviour
        implemented = ((b.psam_case4_response, "direct"), (b.psam_key_scope, "ssse"), (b.psam_terminal_number_scope, "mf_only"))
        for choice, value in implemented:
            if choice.value != value:
                raise ValueError(
                    f"profile {self.profile.name}: behaviour.{choice.name} = {choice.value!r}; this PSAM model implements {value!r} only"
                )
