"""A cumulative dose-volume histogram drawn with QPainter (no plotting library).

x: dose in % of the prescription (with Gy on the secondary scale in the tooltip), y: % of the
structure's volume receiving at least that dose. The 95 % dose line and the structure's V95
are marked, since they decide PASS or FAIL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.viewer.colours import pen_style, qcolor
from planning.display import palette
from planning.evaluation.coverage import COVERAGE_ISODOSE_PERCENT, DoseVolumeHistogram

_BACKGROUND = qcolor(palette.PLOT_BACKGROUND)
_GRID = qcolor(palette.PLOT_GRID)
_TEXT = qcolor(palette.PLOT_TEXT)
_MARK = qcolor(palette.CRITERION_95)


@dataclass(frozen=True)
class DvhCurve:
    """One structure's curve: its DVH (Gy), the prescription (Gy) and a colour."""

    dvh: DoseVolumeHistogram
    prescription_gy: float
    color: QColor
    #: the structure's V95 computed on the voxels (shown instead of the curve's reading)
    v95_percent: float | None = None
    #: the legend text; None: "<structure>  V95 ..." with the V95 point marked (the lesion's
    #: coverage); an organ such as the cord is labelled with its Dmax instead
    label: str | None = None

    def percent_points(self) -> tuple[np.ndarray, np.ndarray]:
        """(dose % of prescription, volume %) along the curve."""
        dose = 100.0 * np.asarray(self.dvh.dose_gy, dtype=float) / self.prescription_gy
        return dose, np.asarray(self.dvh.volume_percent, dtype=float)

    def volume_at_percent(self, dose_percent: float) -> float:
        """Volume % receiving at least ``dose_percent`` (linear between curve points)."""
        if dose_percent == COVERAGE_ISODOSE_PERCENT and self.v95_percent is not None:
            return self.v95_percent
        dose, volume = self.percent_points()
        if dose.size == 0:
            return 0.0
        return float(np.interp(dose_percent, dose, volume, left=100.0, right=0.0))


class DvhPlot(QWidget):
    """The DVH of the plan's structures (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DvhPlot")
        self.curves: list[DvhCurve] = []
        self.message = "No plan yet"
        self.setMinimumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:
        return QSize(320, 210)

    def set_curves(self, curves: list[DvhCurve]) -> None:
        self.curves = list(curves)
        self.message = "" if curves else "No plan yet"
        self._update_tooltip()
        self.update()

    def clear(self, message: str = "No plan yet") -> None:
        self.curves = []
        self.message = message
        self.setToolTip("")
        self.update()

    def _update_tooltip(self) -> None:
        lines = []
        for curve in self.curves:
            v95 = curve.volume_at_percent(COVERAGE_ISODOSE_PERCENT)
            lines.append(
                f"{curve.dvh.structure}: V95 {v95:.1f} % "
                f"(95 % = {0.95 * curve.prescription_gy:.2f} Gy)"
            )
        self.setToolTip("\n".join(lines))

    def max_dose_percent(self) -> float:
        """The right end of the dose axis: at least 110 %, beyond the highest curve dose."""
        highest = max((float(c.percent_points()[0].max()) for c in self.curves), default=0.0)
        return float(max(110.0, np.ceil((highest + 5.0) / 10.0) * 10.0))

    def plot_rect(self) -> QRectF:
        return QRectF(44.0, 10.0, max(self.width() - 56.0, 10.0), max(self.height() - 42.0, 10.0))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(self.rect(), _BACKGROUND)
        font = QFont(painter.font())
        font.setPointSizeF(8.0)
        painter.setFont(font)
        rect = self.plot_rect()
        x_max = self.max_dose_percent()

        def to_screen(dose_percent: np.ndarray, volume_percent: np.ndarray) -> np.ndarray:
            x = rect.left() + rect.width() * np.asarray(dose_percent) / x_max
            y = rect.bottom() - rect.height() * np.asarray(volume_percent) / 100.0
            return np.column_stack([x, y])

        grid_pen = QPen(_GRID, 1.0)
        for tick in range(0, 101, 25):
            (x0, y), (x1, _) = to_screen(np.array([0.0, x_max]), np.array([tick, tick]))
            painter.setPen(grid_pen)
            painter.drawLine(QPointF(x0, y), QPointF(x1, y))
            painter.setPen(_TEXT)
            painter.drawText(QRectF(0.0, y - 7, rect.left() - 4, 14), _right, f"{tick}")
        for tick in range(0, int(x_max) + 1, 20):
            (x, y0), (_, y1) = to_screen(np.array([tick, tick]), np.array([0.0, 100.0]))
            painter.setPen(grid_pen)
            painter.drawLine(QPointF(x, y0), QPointF(x, y1))
            painter.setPen(_TEXT)
            painter.drawText(QRectF(x - 20, rect.bottom() + 2, 40, 14), _centre, f"{tick}")
        painter.setPen(_TEXT)
        painter.drawText(
            QRectF(rect.left(), rect.bottom() + 15, rect.width(), 14),
            _centre,
            "dose, % of prescription",
        )
        painter.save()
        painter.translate(10.0, rect.center().y())
        painter.rotate(-90.0)
        painter.drawText(QRectF(-50.0, -8.0, 100.0, 14.0), _centre, "volume %")
        painter.restore()
        painter.setPen(QPen(_TEXT, 1.0))
        painter.drawRect(rect)

        if not self.curves:
            painter.drawText(rect, _centre, self.message)
            painter.end()
            return
        (x95, y_bottom), (_, y_top) = to_screen(
            np.array([COVERAGE_ISODOSE_PERCENT] * 2), np.array([0.0, 100.0])
        )
        mark_pen = QPen(_MARK, 1.0, pen_style(palette.CRITERION_95))
        painter.setPen(mark_pen)
        painter.drawLine(QPointF(x95, y_bottom), QPointF(x95, y_top))
        for index, curve in enumerate(self.curves):
            dose, volume = curve.percent_points()
            points = to_screen(dose, volume)
            painter.setPen(QPen(curve.color, 2.0))
            painter.drawPolyline(QPolygonF([QPointF(float(x), float(y)) for x, y in points]))
            v95 = curve.volume_at_percent(COVERAGE_ISODOSE_PERCENT)
            if curve.label is None:
                (mx, my) = to_screen(np.array([COVERAGE_ISODOSE_PERCENT]), np.array([v95]))[0]
                painter.setBrush(curve.color)
                painter.drawEllipse(QPointF(float(mx), float(my)), 3.0, 3.0)
            painter.setPen(curve.color)
            painter.drawText(
                QRectF(rect.left() + 6, rect.top() + 4 + 14 * index, rect.width() - 12, 14),
                _left,
                curve.label or f"{curve.dvh.structure}  V95 {v95:.1f} %",
            )
        painter.end()


_left = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_right = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_centre = int(Qt.AlignmentFlag.AlignCenter)
