"""Public, deterministic TEST root keys (PROFILE §6.2). For testing only: every report that uses
them must say so.

root = first 16 bytes of SHA-256(template.format(**fields) as UTF-8). The templates are profile
data, e.g. "SSC-TEST-ROOT|{name}|{version:02X}|{alg}" for national roots and
"SSC-TEST-LOCAL|{region}|{name}|{version:02X}|{alg}" for a city's local roots.
"""

from __future__ import annotations

import hashlib

from ssc.crypto.algorithm import Algorithm

__all__ = ["local_test_root", "national_test_root", "test_root"]

ROOT_LENGTH = 16


def test_root(template: str, **fields: object) -> bytes:
    """First 16 bytes of SHA-256 of the formatted template."""
    text = template.format(**fields)
    return hashlib.sha256(text.encode("utf-8")).digest()[:ROOT_LENGTH]


# Not a pytest test despite the name.
test_root.__test__ = False  # type: ignore[attr-defined]


def national_test_root(template: str, name: str, version: int, alg: Algorithm) -> bytes:
    """Test root of national key `name` (e.g. "MK"), key version `version` (1..3), for `alg`."""
    return test_root(template, name=name, version=version, alg=alg.value)


def local_test_root(template: str, region: str, name: str, version: int, alg: Algorithm) -> bytes:
    """Test local root of key `name` for the city with six-digit `region` code."""
    return test_root(template, region=region, name=name, version=version, alg=alg.value)
