"""terminal/session.py without a card: the item lookup and the operation error."""

from __future__ import annotations

import pytest

from ssc.profile import load_profile
from terminal.session import OperationError, find_item


def test_find_item_names_the_known_items() -> None:
    profile = load_profile("gen2")
    f, rec = find_item(profile, "card_number")
    assert f.path == "SSSE/EF05" and rec.item == "card_number"
    with pytest.raises(KeyError, match="card_number"):
        find_item(profile, "no_such_item")


def test_operation_error_keeps_apdu_and_response() -> None:
    err = OperationError(b"\x00", None, "boom")
    assert err.apdu == b"\x00" and err.response is None and str(err) == "boom"


def test_the_identity_is_read_by_record_number_only_when_asked() -> None:
    from tests.unit import rig

    strict = rig.open_session("gen2", faults=("no_read_record_by_tag",), check=True)
    with pytest.raises(OperationError):
        strict.identity()
    lenient = rig.open_session("gen2", faults=("no_read_record_by_tag",), check=True)
    lenient.items_by_number = True
    assert lenient.identity().region == rig.open_session("gen2", check=True).identity().region
