"""Binds every feature file under features/readers/ (the reader plan, RDR-1..6) to pytest.

A separate directory from suite/ (the card plan): `ssc-conform run --plan reader` collects this one
only, `ssc-conform run` the card plan only, so a run certifies either a card or a reader."""

from pytest_bdd import scenarios

scenarios("readers")
