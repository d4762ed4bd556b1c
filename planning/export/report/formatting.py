"""Number formatting shared by the report's titles, captions and tables."""

from __future__ import annotations

from collections.abc import Sequence


def format_mm(value: float) -> str:
    """One decimal without a negative zero."""
    return f"{round(float(value), 1) + 0.0:.1f}"


def format_point_mm(point_mm: Sequence[float]) -> str:
    """An LPS point as ``(x, y, z) mm``, one decimal per coordinate."""
    return "(" + ", ".join(format_mm(v) for v in point_mm) + ") mm"
