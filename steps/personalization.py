"""Steps of the personalization scenarios."""
from __future__ import annotations
