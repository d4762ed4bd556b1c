"""Overlay colours shared by the report's image planes, legend and DVH plot (RGB)."""

from __future__ import annotations

#: Isodose levels drawn, % of the prescription, with their colours (RGB).
ISODOSE_LEVELS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (107.0, (230, 40, 40)),
    (95.0, (40, 200, 60)),
    (50.0, (60, 140, 255)),
)
FIELD_COLOUR = (255, 200, 0)
LESION_COLOUR = (255, 60, 255)
