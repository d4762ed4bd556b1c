"""Counts in words: "1 level", "3 levels", "1 voxel" (one helper for every panel)."""

from __future__ import annotations

#: plurals that are not the singular plus "s"
IRREGULAR = {"vertebra": "vertebrae", "series": "series", "edema": "edema"}


def noun(count: int, singular: str, plural_form: str | None = None) -> str:
    """The noun agreeing with ``count`` ("level" for 1 and -1, "levels" otherwise)."""
    if abs(count) == 1:
        return singular
    return plural_form or IRREGULAR.get(singular, f"{singular}s")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and the noun agreeing with it: ``plural(1, "level")`` is "1 level",
    ``plural(3, "level")`` "3 levels", ``plural(2, "vertebra")`` "2 vertebrae"."""
    return f"{count} {noun(count, singular, plural_form)}"
