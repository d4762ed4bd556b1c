"""How a view marks planes: each plane's colour and short name, the crosshair and the frame.

The colours follow Slicer's convention: a crosshair line takes the colour of the plane it
shows, and the active view's frame and title take the colour of the view's own plane.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from app.viewer.colours import qcolor
from imaging.reslice import SliceGeometry, ViewPlane
from planning.display import palette

PLANE_COLORS: dict[ViewPlane, QColor] = {
    "axial": qcolor(palette.PLANE_AXIAL),
    "sagittal": qcolor(palette.PLANE_SAGITTAL),
    "coronal": qcolor(palette.PLANE_CORONAL),
}
PLANE_SHORT: dict[ViewPlane, str] = {"axial": "AX", "sagittal": "SAG", "coronal": "COR"}
_INACTIVE_FRAME_COLOR = qcolor(palette.INACTIVE_FRAME)
_CROSSHAIR_GAP_PX = 10  # the lines stop short of the point, which stays visible
_CROSSHAIR_ALPHA = 170


def plane_of_normal(direction: np.ndarray) -> ViewPlane:
    """The plane whose LPS normal axis is closest to ``direction`` (a unit vector)."""
    return ("sagittal", "coronal", "axial")[int(np.argmax(np.abs(direction)))]


def paint_crosshair(
    painter: QPainter, g: SliceGeometry, centre: QPointF, width: int, height: int
) -> None:
    """Crosshair lines through ``centre`` (widget px) over a ``width`` x ``height`` view of the
    slice ``g``, each in the colour of the plane it shows."""
    x, y = round(centre.x()), round(centre.y())
    gap = _CROSSHAIR_GAP_PX
    # the horizontal line is the plane whose normal points down the screen, and so on
    horizontal_plane = plane_of_normal(g.down_direction)
    vertical_plane = plane_of_normal(g.right_direction)
    # One-pixel rectangles, not lines: the raster engine blends a translucent rectangle
    # some fifty times faster than a translucent aliased line (a third of a slice change).
    for plane, rect in (
        (horizontal_plane, QRect(0, y, max(x - gap, 0), 1)),
        (horizontal_plane, QRect(x + gap, y, max(width - x - gap, 0), 1)),
        (vertical_plane, QRect(x, 0, 1, max(y - gap, 0))),
        (vertical_plane, QRect(x, y + gap, 1, max(height - y - gap, 0))),
    ):
        color = QColor(PLANE_COLORS[plane])
        color.setAlpha(_CROSSHAIR_ALPHA)
        painter.fillRect(rect, color)


def paint_frame(painter: QPainter, rect: QRect, plane: ViewPlane, active: bool) -> None:
    """The view's frame along ``rect``: thick in its plane's colour when ``active``."""
    color = PLANE_COLORS[plane] if active else _INACTIVE_FRAME_COLOR
    painter.setPen(QPen(color, 2 if active else 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(QRectF(rect).adjusted(0.5, 0.5, -1, -1))
