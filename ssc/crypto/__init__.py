"""Crypto for the SSC: block-cipher primitives, MACs and diversification (primitives), and the
authentication / secure-messaging recipes built on them. Recipes import primitives, never the
reverse."""

from ssc.crypto.algorithm import Algorithm

__all__ = ["Algorithm"]
