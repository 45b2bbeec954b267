"""Binds the reader feature files to pytest (the steps live in steps/, registered by conftest.py)."""

from pytest_bdd import scenarios

scenarios("readers")
