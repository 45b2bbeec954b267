"""INTERNAL and EXTERNAL AUTHENTICATE (PROFILE §5, §6.1, §6.3).

EXTERNAL AUTHENTICATE checks, in order: Lc → 6700; key/version unknown in the current DF → 6A88;
that version's counter at 0 → 6983; no unused 8-byte challenge → 6984; wrong cryptogram → 63Cx
(the counter is written before the result is known). INTERNAL AUTHENTICATE answers through
61 08 + GET RESPONSE with the process-key cryptogram under the application's IRK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reference_card.commands.base import CommandFamily
from ssc.crypto.recipes import auth_cryptogram

if TYPE_CHECKING:
    from reference_card.cos import Cos
    from reference_card.security import CardKey


class Authentication(CommandFamily):
    def __init__(self, cos: Cos) -> None:
        super().__init__(cos)
        ia = self.profile.command("internal_authenticate")
        self.ia_lc = ia.byte("lc")
        self.ia_response = ia.byte("response_length")
        self.ia_active = ia.byte("active_version")
        self.ia_versions = frozenset(ia.byte_list("versions"))
        ea = self.profile.command("external_authenticate")
        self.ea_lc = ea.byte("lc")
        self.ea_active = ea.byte("active_version")
        self.challenge_length = self.profile.security.challenge_external_auth
        self.algorithm = self.profile.algorithm
        irk_def = self.profile.internal_key()
        self.irk: CardKey | None = self.fs.keys_by_name.get(irk_def.name)
        self.irk_df = self.fs.nodes.get(irk_def.df)

    def handlers(self) -> dict[str, object]:
        return {"internal_authenticate": self.internal_authenticate, "external_authenticate": self.external_authenticate}

    def internal_authenticate(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        if data is None or len(data) != self.ia_lc:
            return self.sw.wrong_length
        irk = self.irk
        if irk is None or apdu[3] != irk.id or not self.cos.within(self.session.df, self.irk_df):
            return self.sw.key_not_found
        p1 = apdu[2]
        if p1 != self.ia_active and p1 not in self.ia_versions:
            return self.sw.key_not_found
        version = irk.resolve(p1, self.ia_active)
        if version is None:
            return self.sw.key_not_found
        half = self.ia_lc // 2
        result = auth_cryptogram(self.algorithm, irk.versions[version], data[:half], data[half:])[: self.ia_response]
        return self.case4("internal_authenticate", result)

    def external_authenticate(self, apdu: bytes, data: bytes | None, le: int | None, chal: bytes | None, pending: bytes | None) -> bytes:
        if data is None or len(data) != self.ea_lc:
            return self.sw.wrong_length
        key = self.session.df.keys.get(apdu[3])
        if key is None:
            return self.sw.key_not_found
        version = key.resolve(apdu[2], self.ea_active)
        if version is None:
            return self.sw.key_not_found
        counter = key.counters[version]
        if counter.value == 0:
            return self.sw.method_blocked
        if chal is None or len(chal) != self.challenge_length:
            return self.sw.referenced_data_invalid
        half = self.ea_lc // 2
        expected = auth_cryptogram(self.algorithm, key.versions[version], chal, data[half:])
        if self.access.attempt(counter, expected == data[:half]):
            self.session.auth[key.id] = version
            return self.sw.ok
        self.session.auth.pop(key.id, None)
        return self.sw.tries_left(counter.value)
