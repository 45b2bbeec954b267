"""What SCARD_E_NOT_TRANSACTED means: pcsc-lite answers it to every exchange its reader driver
failed — a card pulled out, or a card that stayed silent past the reader's own waiting time and is
still in the slot. The transport tells the two apart by what pcscd shows of the reader afterwards.

vpcd never fails an exchange with the card still in it (it waits for the card, however long), so
the reader driver's error is stood in for here: the card's presence, its removal and pcscd's view
of both are the real ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from smartcard import scard

from terminal.testcards import ScriptedCard
from terminal.transports import pcsc
from terminal.transports.base import CardMuteError, CardRemovedError
from terminal.transports.pcsc import PcscTransport

if TYPE_CHECKING:
    from .conftest import ServedCard

pytestmark = pytest.mark.pcsc

READ = bytes.fromhex("00B0000002")


def _reader_failed(*_args: Any) -> tuple[int, list[int]]:
    return scard.SCARD_E_NOT_TRANSACTED, []


def test_a_failed_exchange_with_the_card_still_in_the_reader_is_a_mute_card(
    serve_card: Callable[..., ServedCard], monkeypatch: pytest.MonkeyPatch
) -> None:
    served = serve_card(ScriptedCard({READ: bytes.fromhex("AABB9000")}, otherwise=bytes.fromhex("6D00")))
    with PcscTransport(served.reader) as transport:
        with monkeypatch.context() as patched:
            patched.setattr(pcsc, "_transmit", _reader_failed)
            with pytest.raises(CardMuteError) as caught:
                transport.transmit(READ)
        assert not isinstance(caught.value, CardRemovedError) and "still in" in str(caught.value)
        transport.power_cycle()  # the host's way back: power the card down and up
        assert transport.transmit(READ) == bytes.fromhex("AABB9000")


def test_a_failed_exchange_after_the_card_left_is_a_removal(serve_card: Callable[..., ServedCard], monkeypatch: pytest.MonkeyPatch) -> None:
    served = serve_card(ScriptedCard({READ: bytes.fromhex("AABB9000")}, otherwise=bytes.fromhex("6D00")))
    with PcscTransport(served.reader) as transport:
        served.handle.stop()  # pulled out between two commands
        monkeypatch.setattr(pcsc, "_transmit", _reader_failed)
        with pytest.raises(CardRemovedError):
            transport.transmit(READ)
