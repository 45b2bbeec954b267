"""ISO/IEC 7816-4/-5 encodings the card relies on that are not SSC profile facts.

These are published encodings (like the TLV constructed bit in `ssc.tlv`), so they live here as
named constants instead of in profile data. Everything SSC-specific — CLA/INS values, P1/P2 codes,
FIDs, status words, lengths — comes from the profile.
"""

from __future__ import annotations

HEADER_LENGTH = 4  # CLA INS P1 P2
LC_OFFSET = 4  # position of Lc (or Le in case 2) in a short APDU

# ISO 7816-4 §5.1.1: CLA b4-b3 = 01 announces proprietary secure messaging (04, 84, ...).
CLA_SM_MASK = 0x0C
CLA_SM_PROPRIETARY = 0x04

# ISO 7816-4 §7.2.2: READ/UPDATE BINARY with P1 b8 = 1 carries the SFI in P1 b5-b1 (b7-b6 = 00).
P1_SFI_BITS = 0x1F
P1_SFI_RFU_BITS = 0x60

# ISO 7816-4 §5.3.1: a short EF identifier is 5 bits; the value 11111 is reserved.
SFI_RESERVED = 0x1F


def is_sm_cla(cla: int) -> bool:
    """True for a CLA announcing proprietary secure messaging (a MAC trails the data field)."""
    return cla & CLA_SM_MASK == CLA_SM_PROPRIETARY
