"""ctx.observe: what a check saw, as text, with secrets masked as the traces mask them."""

from __future__ import annotations

from typing import Any

from steps.context import ScenarioContext, observation_text


def _ctx() -> Any:
    ctx = object.__new__(ScenarioContext)
    ctx.observations = []
    return ctx


def test_values_are_rendered_for_the_report() -> None:
    assert observation_text(bytes.fromhex("3b6d")) == "3B 6D"
    assert observation_text({"chip_maker": "0081", "serial": None}) == "chip_maker: 0081, serial: None"
    assert observation_text([4, 8]) == "4, 8"


def test_an_observation_keeps_observed_and_expected_and_masks_a_secret() -> None:
    ctx = _ctx()
    ScenarioContext.observe(ctx, "ATR", bytes.fromhex("3b6d0000"), "3B 6D 00 00 + 13 historical bytes")
    ScenarioContext.observe(ctx, "PIN block", bytes.fromhex("123456"), secret=True)
    atr, pin = ctx.observations
    assert atr == {"what": "ATR", "observed": "3B 6D 00 00", "expected": "3B 6D 00 00 + 13 historical bytes"}
    assert pin["observed"] == "******" and pin["expected"] is None
