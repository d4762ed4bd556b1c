"""The legend each view writes in a corner: a swatch and the words of every palette role it
drew in this paint, and nothing else (View > Show the legend)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPen

from app.viewer.colours import halo, pen_style, qcolor
from planning.display.label_layout import Box, box_crosses_segments
from planning.display.palette import LEGEND_FAMILIES, TEXT_ON_IMAGE, VIEWS, Role

LEGEND_POINT_SIZE = 7.5
SWATCH_PX = 18.0
_PAD_PX = 4.0


def legend_rows(roles: Sequence[Role]) -> list[Role]:
    """The rows to write, in the palette's order: each role once, the roles of a family in
    `LEGEND_FAMILIES` in one row (the family's words, the first role's colour and style)."""
    order = {role.key: n for n, role in enumerate(VIEWS["annotation and plan"])}
    rows: list[Role] = []
    for role in sorted(roles, key=lambda r: order.get(r.key, len(order))):
        words = LEGEND_FAMILIES.get(role.family, role.words)
        if all(words != other.words for other in rows):
            rows.append(replace(role, words=words))
    return rows


def legend_box(
    painter: QPainter,
    rows: Sequence[Role],
    region: QRectF,
    occupied: Sequence[QRectF],
    image: QRectF | None = None,
    marks: np.ndarray | None = None,
) -> QRectF | None:
    """Where the legend goes: a corner of ``region`` (bottom left, bottom right, top right, top
    left) or a place along its left or right edge (lowest first) that overlaps no text already
    written, hides none of the lines drawn (``marks``: ``(n, 4)`` x0, y0, x1, y1 screen px, the
    isodoses, contours and limits) where it can, and covers as little of the ``image`` as it
    can; None when there is none. (In a narrow axial view every place covers the image alike;
    without ``marks`` the legend sat on the isodoses behind the lesion.)"""
    metrics = QFontMetricsF(painter.font())
    width = SWATCH_PX + 3 * _PAD_PX + max(metrics.horizontalAdvance(r.words) for r in rows)
    height = len(rows) * metrics.height() + 2 * _PAD_PX
    if width > region.width() - 8 or height > region.height() - 8:
        return None
    margin = 4.0
    left, right = region.left() + margin, region.right() - margin - width
    top, bottom = region.top() + margin, region.bottom() - margin - height
    corners = [(left, bottom), (right, bottom), (right, top), (left, top)]
    steps = max(int((bottom - top) // 8), 0)
    edges = [(x, bottom - 8.0 * n) for n in range(1, steps) for x in (left, right)]
    best: tuple[tuple[bool, float], QRectF] | None = None
    for x, y in corners + edges:
        box = QRectF(x, y, width, height)
        if any(box.intersects(other) for other in occupied):
            continue
        covered = box.intersected(image) if image is not None else QRectF()
        area = covered.width() * covered.height()
        if best is not None and not best[0][0] and area >= best[0][1] - 1.0:
            continue  # cannot beat a place that hides nothing and covers less
        hides = marks is not None and len(marks) > 0 and box_crosses_segments(_box(box), marks)
        if best is None or (hides, area) < (best[0][0], best[0][1] - 1.0):
            best = ((hides, area), box)
        if area == 0.0 and not hides:
            break
    return None if best is None else best[1]


def _box(rect: QRectF) -> Box:
    return Box(rect.left(), rect.top(), rect.width(), rect.height())


def paint_legend(
    painter: QPainter,
    roles: Sequence[Role],
    region: QRectF,
    occupied: list[QRectF],
    image: QRectF | None = None,
    marks: np.ndarray | None = None,
) -> QRectF | None:
    """Write the legend of ``roles`` in a free place of ``region``, off the lines drawn
    (``marks``) and the ``image`` where it can; returns its box (claimed in ``occupied``), or
    None when the view has no room."""
    rows = legend_rows(roles)
    if not rows:
        return None
    painter.save()
    font = QFont(painter.font())
    font.setPointSizeF(LEGEND_POINT_SIZE)
    font.setBold(False)
    painter.setFont(font)
    box = legend_box(painter, rows, region, occupied, image, marks)
    if box is None:
        painter.restore()
        return None
    occupied.append(box)
    metrics = QFontMetricsF(font)
    painter.setPen(QPen(qcolor(TEXT_ON_IMAGE, 60), 1.0))
    painter.setBrush(halo(170))
    painter.drawRoundedRect(box, 3.0, 3.0)
    for n, role in enumerate(rows):
        top = box.top() + _PAD_PX + n * metrics.height()
        middle = top + metrics.height() / 2
        x = box.left() + _PAD_PX
        pen = QPen(qcolor(role), 2.0)
        pen.setCosmetic(True)
        pen.setStyle(pen_style(role))
        painter.setPen(pen)
        if role.style == "area":
            painter.setBrush(qcolor(role, 110))
            painter.drawRect(QRectF(x + 2, middle - 4, SWATCH_PX - 4, 8))
        else:
            painter.drawLine(QLineF(x, middle, x + SWATCH_PX, middle))
        painter.setPen(qcolor(TEXT_ON_IMAGE))
        words = QRectF(x + SWATCH_PX + _PAD_PX, top, box.width(), metrics.height())
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(words, align, role.words)
    painter.restore()
    return box
