"""Steps of the access scenarios."""
from __future__ import annotations
