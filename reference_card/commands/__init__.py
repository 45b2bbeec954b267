"""Command handlers of PROFILE §5, one module per family.

Every handler has the signature ``handler(apdu, data, le, chal, pending) -> bytes``:
`apdu` the raw command, `data` its data field (None when the Lc framing is broken — the handler
answers 6700 at its Lc step, after its P1-P2 checks), `le` the Le byte or None, `chal` the
challenge this command may consume and `pending` the GET RESPONSE data it may take (the
dispatcher has already cleared both from the session: PROFILE §5, consumed "whatever it is").
Each handler runs its checks in the profile's order: P1-P2 → Lc → file/record → access/MAC →
Le and data content.
"""

from __future__ import annotations

from collections.abc import Callable

Handler = Callable[[bytes, bytes | None, int | None, bytes | None, bytes | None], bytes]

__all__ = ["Handler"]
