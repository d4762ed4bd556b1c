"""The report's cumulative DVH plot: the lesion and the case's other structures."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen, QPolygonF

from app.report.colours import ISODOSE_LEVELS, LESION_COLOUR
from app.report.page import Page
from planning.anatomy.structures import structure_colour
from planning.plan import PlanResult


def draw_dvh(
    page: Page, result: PlanResult, x_mm: float, y_mm: float, w_mm: float, h_mm: float
) -> None:
    """The cumulative DVH of the lesion and other structures in a box at (x_mm, y_mm), mm."""
    painter = page.painter
    dvh = result.dvh
    prescription = result.prescription.dose_gy
    percent = 100.0 * dvh.dose_gy / prescription
    others = [
        (s.dvh, structure_colour(s.name, index))
        for index, s in enumerate(result.structure_doses)
        if s.dvh is not None
    ]
    highest = max(
        [float(percent.max())] + [100.0 * o.dose_gy.max() / prescription for o, _ in others]
    )
    x_max = max(120.0, float(np.ceil(highest / 10.0) * 10.0))
    left, top = x_mm + 12.0, y_mm + 6.0
    width, height = w_mm - 16.0, h_mm - 16.0

    def to_px(dose_percent: float, volume_percent: float) -> QPointF:
        return QPointF(
            page.px(left + width * dose_percent / x_max),
            page.px(top + height * (1.0 - volume_percent / 100.0)),
        )

    page.set_font(8.5, True)
    painter.setPen(QColor(0, 0, 0))
    painter.drawText(
        QRectF(page.px(x_mm), page.px(y_mm), page.px(w_mm), page.px(5)),
        int(Qt.AlignmentFlag.AlignLeft),
        "Cumulative DVH: " + ", ".join(["Lesion"] + [o.structure for o, _ in others]),
    )
    grid_pen = QPen(QColor(210, 210, 210))
    grid_pen.setWidthF(page.px(0.15))
    page.set_font(7.0)
    for tick in range(0, int(x_max) + 1, 20):
        painter.setPen(grid_pen)
        painter.drawLine(QLineF(to_px(tick, 0), to_px(tick, 100)))
        painter.setPen(QColor(0, 0, 0))
        point = to_px(tick, 0)
        painter.drawText(
            QRectF(
                point.x() - page.px(5),
                point.y() + page.px(0.5),
                page.px(10),
                page.px(3.5),
            ),
            int(Qt.AlignmentFlag.AlignCenter),
            f"{tick}",
        )
    for tick in range(0, 101, 20):
        painter.setPen(grid_pen)
        painter.drawLine(QLineF(to_px(0, tick), to_px(x_max, tick)))
        painter.setPen(QColor(0, 0, 0))
        point = to_px(0, tick)
        painter.drawText(
            QRectF(
                point.x() - page.px(9),
                point.y() - page.px(1.75),
                page.px(8),
                page.px(3.5),
            ),
            int(Qt.AlignmentFlag.AlignRight),
            f"{tick}",
        )
    painter.drawText(
        QRectF(
            page.px(left),
            page.px(top + height + 4),
            page.px(width),
            page.px(4),
        ),
        int(Qt.AlignmentFlag.AlignCenter),
        f"dose, % of {prescription:g} Gy",
    )
    painter.save()
    painter.translate(page.px(x_mm + 1), page.px(top + height / 2))
    painter.rotate(-90)
    painter.drawText(
        QRectF(-page.px(20), 0, page.px(40), page.px(4)),
        int(Qt.AlignmentFlag.AlignCenter),
        "volume, %",
    )
    painter.restore()
    threshold_pen = QPen(QColor(*ISODOSE_LEVELS[1][1]))
    threshold_pen.setWidthF(page.px(0.3))
    threshold_pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(threshold_pen)
    painter.drawLine(QLineF(to_px(95, 0), to_px(95, 100)))
    curve_pen = QPen(QColor(*LESION_COLOUR))
    curve_pen.setWidthF(page.px(0.5))
    painter.setPen(curve_pen)
    keep = np.unique(np.linspace(0, len(percent) - 1, min(len(percent), 600)).astype(int))
    painter.drawPolyline(
        QPolygonF([to_px(float(percent[i]), float(dvh.volume_percent[i])) for i in keep])
    )
    for other, colour in others:
        other_percent = 100.0 * other.dose_gy / prescription
        pen = QPen(QColor(*colour))
        pen.setWidthF(page.px(0.5))
        painter.setPen(pen)
        steps = np.unique(
            np.linspace(0, len(other_percent) - 1, min(len(other_percent), 600)).astype(int)
        )
        painter.drawPolyline(
            QPolygonF(
                [to_px(float(other_percent[i]), float(other.volume_percent[i])) for i in steps]
            )
        )
    axis_pen = QPen(QColor(0, 0, 0))
    axis_pen.setWidthF(page.px(0.25))
    painter.setPen(axis_pen)
    painter.drawRect(QRectF(page.px(left), page.px(top), page.px(width), page.px(height)))
    stats = result.lesion_stats
    page.set_font(7.5)
    painter.drawText(
        QRectF(
            page.px(left + 2),
            page.px(top + height - 9),
            page.px(width * 0.6),
            page.px(8),
        ),
        int(Qt.AlignmentFlag.AlignLeft),
        f"V95 {stats.v95_percent:.1f} %\nD95 {stats.d95_percent:.1f} %",
    )
