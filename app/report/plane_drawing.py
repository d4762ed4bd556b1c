"""Drawing an image plane on a report page: contours of the field, lesion, structures, isodoses."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from skimage.measure import find_contours

from app.report.colours import FIELD_COLOUR, ISODOSE_LEVELS, LESION_COLOUR
from app.report.page import MARGIN_MM, Page
from app.report.planes import ImagePlane
from planning.anatomy.structures import structure_colour
from planning.plan import PlanResult


def _draw_polylines(
    painter: QPainter,
    mask_or_values: np.ndarray,
    level: float,
    colour: tuple[int, int, int],
    left: float,
    top: float,
    scale: float,
    width_px: float,
    dashed: bool = False,
) -> None:
    pen = QPen(QColor(*colour))
    pen.setWidthF(width_px)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    padded = np.pad(mask_or_values.astype(np.float32), 1)
    for contour in find_contours(padded, level):
        if len(contour) < 3:
            continue
        points = [
            QPointF(left + (c - 1 + 0.5) * scale, top + (r - 1 + 0.5) * scale) for r, c in contour
        ]
        painter.drawPolyline(QPolygonF(points))


def draw_plane(
    page: Page, plane: ImagePlane, x_mm: float, y_mm: float, w_mm: float, h_mm: float
) -> float:
    """Draw a plane (title above, top-aligned in the box); returns the height used, mm."""
    painter = page.painter
    rows, columns = plane.background.shape
    if plane.row_marks:  # room for the level names left of the image
        x_mm, w_mm = x_mm + 7.0, w_mm - 7.0
    scale_mm = min(w_mm / columns, h_mm / rows)
    draw_w, draw_h = columns * scale_mm, rows * scale_mm
    left = page.px(x_mm + (w_mm - draw_w) / 2.0)
    top = page.px(y_mm + 5.0)
    page.set_font(8.5, True)
    painter.setPen(QColor(0, 0, 0))
    painter.drawText(
        QRectF(page.px(x_mm), page.px(y_mm), page.px(w_mm), page.px(4.5)),
        int(Qt.AlignmentFlag.AlignLeft),
        plane.title,
    )
    buffer = np.ascontiguousarray(plane.background)
    image = QImage(buffer.data, columns, rows, columns, QImage.Format.Format_Grayscale8)
    painter.drawImage(QRectF(left, top, page.px(draw_w), page.px(draw_h)), image)
    pixel = page.px(scale_mm)
    line = page.px(0.35)
    _draw_polylines(painter, plane.field, 0.5, FIELD_COLOUR, left, top, pixel, line, dashed=True)
    _draw_polylines(painter, plane.lesion, 0.5, LESION_COLOUR, left, top, pixel, line)
    for fraction, colour in plane.structures:
        _draw_polylines(painter, fraction, 0.5, colour, left, top, pixel, line)
    for level, colour in ISODOSE_LEVELS:
        _draw_polylines(painter, plane.dose_percent, level, colour, left, top, pixel, line)
    page.set_font(8.0, True)
    painter.setPen(QColor(255, 255, 255))
    box = page.px(5.0)
    width, height = page.px(draw_w), page.px(draw_h)
    centre = Qt.AlignmentFlag.AlignCenter
    painter.drawText(
        QRectF(left, top + height / 2 - box / 2, box, box),
        centre,
        plane.left_label,
    )
    painter.drawText(
        QRectF(left + width - box, top + height / 2 - box / 2, box, box),
        centre,
        plane.right_label,
    )
    painter.drawText(
        QRectF(left + width / 2 - box / 2, top, box, box),
        centre,
        plane.top_label,
    )
    painter.drawText(
        QRectF(left + width / 2 - box / 2, top + height - box, box, box),
        centre,
        plane.bottom_label,
    )
    page.set_font(6.5)
    painter.setPen(QColor(0, 0, 0))
    for row, text in plane.row_marks:
        y = top + (row + 0.5) * pixel
        painter.drawText(
            QRectF(left - page.px(7.5), y - page.px(1.6), page.px(7.0), page.px(3.2)),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            text,
        )
    return draw_h + 5.0


def draw_legend(page: Page, result: PlanResult | None = None) -> None:
    """The colour key of the isodoses, lesion, field edge and other structures at the cursor."""
    painter = page.painter
    entries = [(f"{level:g} %", colour, False) for level, colour in ISODOSE_LEVELS]
    entries += [("lesion", LESION_COLOUR, False), ("field edge", FIELD_COLOUR, True)]
    if result is not None:
        entries += [
            (s.name[:14], structure_colour(s.name, index), False)
            for index, s in enumerate(result.structure_doses)
            if s.mask.array.any()
        ]
    x = MARGIN_MM
    page.set_font(8.0)
    for label, colour, dashed in entries:
        if x + 30 > MARGIN_MM + page.content_width_mm:  # next row
            x = MARGIN_MM
            page.y += 5.0
        pen = QPen(QColor(*colour))
        pen.setWidthF(page.px(0.8))
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(
            QLineF(
                page.px(x),
                page.px(page.y + 2),
                page.px(x + 8),
                page.px(page.y + 2),
            )
        )
        painter.setPen(QColor(0, 0, 0))
        painter.drawText(
            QRectF(page.px(x + 9.5), page.px(page.y), page.px(22), page.px(4)),
            int(Qt.AlignmentFlag.AlignLeft),
            label,
        )
        x += 32
    page.y += 6.0
