"""Lockstep differential testing: the DUT paired with its twin reference card."""
