"""One text in two languages, Chinese first: ``<中文> / <English>``.

A lab reads results.json and report.html in Chinese, so every finding — the data-element checks
here in ssc/ as much as the checks in checks/ (which re-export this as `checks.wording.bilingual`)
— is written as the Chinese sentence, then the English one, both from the same values.
"""

from __future__ import annotations

__all__ = ["bilingual", "led"]


def bilingual(zh: str, en: str) -> str:
    """``<中文> / <English>``: one finding, Chinese first."""
    return f"{zh} / {en}"


def led(zh: str, en: str, finding: str) -> str:
    """A `bilingual` finding under a lead-in in each language (``DF01EF05（权限：PIN）：`` …):
    the Chinese lead-in before its Chinese half, the English one before its English half. The
    halves are told apart at the first `` / `` (a Chinese half holds none); a text with only one
    half gets both lead-ins around it."""
    head, sep, tail = finding.partition(" / ")
    if not sep:
        return bilingual(zh + finding, en + finding)
    return bilingual(zh + head, en + tail)
