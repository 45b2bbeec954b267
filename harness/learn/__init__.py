"""Automata learning of a card's state machine against the reference model (ssc-conform learn)."""
