"""The standard as code: profiles (data), codecs, check characters, TLV, APDU types and crypto.

Nothing in this package knows about a particular card implementation or transport; both the card
side (`reference_card`) and the host side (`terminal`) build on it.
"""
