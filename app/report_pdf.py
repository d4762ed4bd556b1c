"""The PDF plan report: images with the field and isodoses, the tables, the verdict, the DVH.

Rendered with Qt's ``QPdfWriter`` and ``QPainter`` (no GUI needed: the offscreen platform is
used when no Qt application is running). A4 portrait, three pages:

1. the case, the coverage verdict with its reasons and fixes, the field, beam, prescription and
   coverage tables;
2. a sagittal and an axial image through the normalisation point with the field outline, the
   lesion and the 50 %, 95 % and 107 % isodose lines, and the lesion's cumulative DVH;
3. the monitor-unit / treatment-time calculation with every input, the assumptions and warnings.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QLineF, QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QApplication
from scipy import ndimage
from skimage.measure import find_contours

from imaging.volume import Volume
from planning.coverage import DoseStatistics
from planning.edema import describe_edema
from planning.errors import PlanningError
from planning.levels import display_name
from planning.plan import CORD_ALPHA_BETA_GY, PlanResult, inside_field
from planning.structures import structure_colour

#: Isodose levels drawn, % of the prescription, with their colours (RGB).
ISODOSE_LEVELS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (107.0, (230, 40, 40)),
    (95.0, (40, 200, 60)),
    (50.0, (60, 140, 255)),
)
FIELD_COLOUR = (255, 200, 0)
LESION_COLOUR = (255, 60, 255)
#: Pixel size of the rendered image planes, mm.
IMAGE_PIXEL_MM = 0.75

_RESOLUTION_DPI = 200
_MARGIN_MM = 14.0


def _ensure_application() -> None:
    """Start an offscreen Qt application when none runs (fonts need one)."""
    if QGuiApplication.instance() is None:
        # The report never needs a screen; another platform would abort without a display.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        # A QApplication, not a bare QGuiApplication: widgets made later in the same process
        # (the GUI, tests) need one. Kept on the function so it is not garbage-collected.
        _ensure_application.app = QApplication([])  # type: ignore[attr-defined]


# -- image planes -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ImagePlane:
    """A rendered plane: background (0-255), dose (% of prescription) and overlays (masks).

    ``origin_mm`` is the LPS position of pixel (0, 0); ``right_mm`` and ``down_mm`` the LPS step
    per column and per row.
    """

    title: str
    background: np.ndarray
    dose_percent: np.ndarray
    field: np.ndarray
    lesion: np.ndarray
    left_label: str
    right_label: str
    top_label: str
    bottom_label: str
    #: (row, text) marks drawn at the left edge: vertebral level names on the sagittal view.
    row_marks: tuple[tuple[float, str], ...] = ()
    #: the case's other structures (the cord...): (mask fraction on the plane, RGB colour)
    structures: tuple[tuple[np.ndarray, tuple[int, int, int]], ...] = ()


def _plane_points(origin: np.ndarray, right: np.ndarray, down: np.ndarray, shape: tuple[int, int]):
    rows, columns = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    return (
        origin[None, None, :]
        + columns[..., None] * right[None, None, :]
        + rows[..., None] * down[None, None, :]
    )


def _sample(volume: Volume, points: np.ndarray, order: int = 1) -> np.ndarray:
    ijk = volume.patient_to_index(points.reshape(-1, 3))
    values = ndimage.map_coordinates(
        np.asarray(volume.array, dtype=np.float32),
        [ijk[:, 2], ijk[:, 1], ijk[:, 0]],
        order=order,
        mode="grid-constant",
        cval=np.nan,
    )
    return values.reshape(points.shape[:2])


def _window(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(values.shape, dtype=np.uint8)
    low, high = np.percentile(finite, [1.0, 99.5])
    if high <= low:
        high = low + 1.0
    scaled = np.clip((np.nan_to_num(values, nan=low) - low) / (high - low), 0.0, 1.0)
    return np.ascontiguousarray((scaled * 255).astype(np.uint8))


def _render_plane(
    result: PlanResult,
    background: Volume,
    title: str,
    origin: np.ndarray,
    right: np.ndarray,
    down: np.ndarray,
    shape: tuple[int, int],
    labels: tuple[str, str, str, str],
    row_marks: tuple[tuple[float, str], ...] = (),
) -> ImagePlane:
    points = _plane_points(origin, right, down, shape)
    dose = _sample(result.dose_gy, points)
    percent = np.nan_to_num(100.0 * dose / result.prescription.dose_gy, nan=0.0)
    lesion = _sample(
        result.lesion_mask.with_array(result.lesion_mask.array.astype(np.float32)), points
    )
    # the whole structure (a cord drawn far beyond the dose grid) where it is known
    masks = [s.native_mask if s.native_mask is not None else s.mask for s in result.structure_doses]
    structures = tuple(
        (
            np.nan_to_num(_sample(mask.with_array(mask.array.astype(np.float32)), points)),
            structure_colour(s.name, index),
        )
        for index, (s, mask) in enumerate(zip(result.structure_doses, masks, strict=True))
        if mask.array.any()
    )
    return ImagePlane(
        title=title,
        background=_window(_sample(background, points)),
        dose_percent=percent,
        field=inside_field(result.beams, result.field.energy, points),
        lesion=np.nan_to_num(lesion, nan=0.0),
        left_label=labels[0],
        right_label=labels[1],
        top_label=labels[2],
        bottom_label=labels[3],
        row_marks=row_marks,
        structures=structures,
    )


def _mm(value: float) -> str:
    """One decimal without a negative zero."""
    return f"{round(float(value), 1) + 0.0:.1f}"


def _contains(volume: Volume | None, point: np.ndarray) -> bool:
    return volume is not None and bool(volume.contains_index(volume.patient_to_index(point)))


def _background(point: np.ndarray, candidates: Sequence[Volume | None], fallback: Volume) -> Volume:
    """The first image volume holding ``point``, else ``fallback`` (the density)."""
    for volume in candidates:
        if volume is not None and _contains(volume, point):
            return volume
    return fallback


def sagittal_plane(result: PlanResult) -> ImagePlane:
    """The sagittal plane through the normalisation point (anterior left, head up)."""
    point = np.asarray(result.normalisation.point_mm)
    images = result.images
    background = _background(
        point, (images.sagittal, images.lesion_volume, images.ct), result.density.volume
    )
    lower, upper = result.dose_gy.bounds_mm()
    top = max(result.field.superior_border_z_mm + 60.0, upper[2] + 10.0)
    bottom = min(result.field.inferior_border_z_mm - 60.0, lower[2] - 10.0)
    front, back = lower[1] - 15.0, upper[1] + 15.0
    step = IMAGE_PIXEL_MM
    shape = (int((top - bottom) / step) + 1, int((back - front) / step) + 1)
    origin = np.array([point[0], front, top])
    description = background.metadata.series_description or background.metadata.modality
    marks = tuple(
        ((top - level.middle_z_mm) / step, display_name(level.name, result.case.thoracic_prefix))
        for level in result.case.levels
        if bottom + 4.0 < level.middle_z_mm < top - 4.0
    )
    return _render_plane(
        result,
        background,
        f"Sagittal at x = {_mm(point[0])} mm ({description})",
        origin,
        np.array([0.0, step, 0.0]),
        np.array([0.0, 0.0, -step]),
        shape,
        ("A", "P", "S", "I"),
        marks,
    )


def axial_plane(result: PlanResult) -> ImagePlane:
    """The axial plane through the normalisation point (patient's right on the left)."""
    point = np.asarray(result.normalisation.point_mm)
    images = result.images
    background = _background(
        point,
        (images.ct, images.axial_mr, images.sagittal, images.lesion_volume),
        result.density.volume,
    )
    lower, upper = result.dose_gy.bounds_mm()
    step = IMAGE_PIXEL_MM
    half = max(upper[0] - lower[0], upper[1] - lower[1]) / 2.0 + 15.0
    centre = (lower + upper) / 2.0
    left, front = centre[0] - half, centre[1] - half
    size = int(2 * half / step) + 1
    origin = np.array([left, front, point[2]])
    description = background.metadata.series_description or background.metadata.modality
    return _render_plane(
        result,
        background,
        f"Axial at z = {_mm(point[2])} mm ({description})",
        origin,
        np.array([step, 0.0, 0.0]),
        np.array([0.0, step, 0.0]),
        (size, size),
        ("R", "L", "A", "P"),
    )


# -- drawing ----------------------------------------------------------------------------------
class _Page:
    """A QPainter on a QPdfWriter with millimetre helpers and a text cursor."""

    def __init__(self, writer: QPdfWriter, painter: QPainter) -> None:
        self.writer = writer
        self.painter = painter
        self.scale = _RESOLUTION_DPI / 25.4  # device pixels per mm
        layout = writer.pageLayout()
        rect = layout.fullRectPoints()
        self.width_mm = rect.width() * 25.4 / 72.0
        self.height_mm = rect.height() * 25.4 / 72.0
        self.y = _MARGIN_MM
        self.font = QFont("DejaVu Sans")

    def px(self, mm: float) -> float:
        return mm * self.scale

    @property
    def content_width_mm(self) -> float:
        return self.width_mm - 2 * _MARGIN_MM

    def set_font(self, size_pt: float, bold: bool = False) -> None:
        font = QFont(self.font)
        font.setPointSizeF(size_pt)
        font.setBold(bold)
        self.painter.setFont(font)

    def new_page(self) -> None:
        self.writer.newPage()
        self.y = _MARGIN_MM

    def ensure(self, height_mm: float) -> None:
        if self.y + height_mm > self.height_mm - _MARGIN_MM:
            self.new_page()

    def text(
        self,
        text: str,
        size_pt: float = 9.0,
        bold: bool = False,
        colour: tuple[int, int, int] = (0, 0, 0),
        indent_mm: float = 0.0,
        gap_mm: float = 1.0,
    ) -> float:
        """Wrapped text at the cursor; returns its height in mm."""

        self.set_font(size_pt, bold)
        painter = self.painter
        width = self.px(self.content_width_mm - indent_mm)
        flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft)
        bound = painter.boundingRect(QRectF(0, 0, width, 1e6), flags, text)
        height_mm = bound.height() / self.scale
        self.ensure(height_mm)
        painter.setPen(QColor(*colour))
        painter.drawText(
            QRectF(self.px(_MARGIN_MM + indent_mm), self.px(self.y), width, bound.height() + 2),
            flags,
            text,
        )
        self.y += height_mm + gap_mm
        return height_mm

    def table(
        self, rows: Sequence[Sequence[str]], widths_mm: Sequence[float], header: bool = True
    ) -> None:
        """A simple ruled table; the first row is the header when ``header``."""

        painter = self.painter
        flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft)
        for index, row in enumerate(rows):
            bold = header and index == 0
            self.set_font(8.0, bold)
            heights = [
                painter.boundingRect(QRectF(0, 0, self.px(w - 1.5), 1e6), flags, cell).height()
                / self.scale
                for cell, w in zip(row, widths_mm, strict=False)
            ]
            height = max(heights) + 1.4
            self.ensure(height)
            x = _MARGIN_MM
            if bold:
                painter.fillRect(
                    QRectF(self.px(x), self.px(self.y), self.px(sum(widths_mm)), self.px(height)),
                    QColor(232, 236, 242),
                )
            painter.setPen(QColor(0, 0, 0))
            for cell, w in zip(row, widths_mm, strict=False):
                painter.drawText(
                    QRectF(
                        self.px(x + 0.7), self.px(self.y + 0.7), self.px(w - 1.5), self.px(height)
                    ),
                    flags,
                    cell,
                )
                x += w
            pen = QPen(QColor(170, 170, 170))
            pen.setWidthF(self.px(0.15))
            painter.setPen(pen)
            painter.drawLine(
                QLineF(
                    self.px(_MARGIN_MM),
                    self.px(self.y + height),
                    self.px(_MARGIN_MM + sum(widths_mm)),
                    self.px(self.y + height),
                )
            )
            self.y += height
        self.y += 3.0


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


def _draw_plane(
    page: _Page, plane: ImagePlane, x_mm: float, y_mm: float, w_mm: float, h_mm: float
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


def _legend(page: _Page, result: PlanResult | None = None) -> None:
    painter = page.painter
    entries = [(f"{level:g} %", colour, False) for level, colour in ISODOSE_LEVELS]
    entries += [("lesion", LESION_COLOUR, False), ("field edge", FIELD_COLOUR, True)]
    if result is not None:
        entries += [
            (s.name[:14], structure_colour(s.name, index), False)
            for index, s in enumerate(result.structure_doses)
            if s.mask.array.any()
        ]
    x = _MARGIN_MM
    page.set_font(8.0)
    for label, colour, dashed in entries:
        if x + 30 > _MARGIN_MM + page.content_width_mm:  # next row
            x = _MARGIN_MM
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


def _draw_dvh(
    page: _Page, result: PlanResult, x_mm: float, y_mm: float, w_mm: float, h_mm: float
) -> None:
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


# -- content ----------------------------------------------------------------------------------
def _case_rows(result: PlanResult) -> list[list[str]]:
    """The annotation the plan rests on: lesion, edema, counting check."""
    case = result.case
    lesion = result.lesion
    rows = [
        ["Case", ""],
        [
            "Lesion",
            f"{result.lesion_levels.words}: {lesion.volume_cc:.2f} cc, superior-inferior extent "
            f"{lesion.si_extent_mm:.1f} mm (z {lesion.superior_z_mm:.1f} to "
            f"{lesion.inferior_z_mm:.1f} mm), centroid {_point_words(lesion.centroid_mm)}",
        ],
    ]
    if case.edema is not None:
        try:
            edema = describe_edema(
                case.levels,
                case.edema.superior_z_mm,
                case.edema.inferior_z_mm,
                case.edema.centreline_mm,
                case.thoracic_prefix,
            )
            rows.append(
                ["Edema", f"{edema.words}, {edema.cord_length_mm:.0f} mm ({edema.length_method})"]
            )
        except PlanningError as error:
            rows.append(["Edema", f"not described: {error}"])
    if result.structure_doses:
        rows.append(
            [
                "Other structures",
                "; ".join(
                    f"{s.name} ({s.interpreted_type}, {s.volume_cc:.1f} cc)"
                    for s in result.structure_doses
                ),
            ]
        )
    try:
        check = case.counting_check()
    except PlanningError as error:
        rows.append(["Counting check", f"not available: {error}"])
    else:
        rows.append(["Counting check", check.sentence if check else "no counting anchors set"])
    return rows


def _field_rows(result: PlanResult) -> list[list[str]]:
    plan_field = result.field
    prefix = result.case.thoracic_prefix
    iso = plan_field.isocenter_mm or (float("nan"),) * 3
    return [
        ["Field", ""],
        ["Lesion levels", result.lesion_levels.words],
        [
            "Field levels",
            f"{plan_field.levels_words(prefix)} (lesion levels + one vertebra each side)",
        ],
        ["Arrangement, energy", f"{plan_field.arrangement}, {plan_field.energy}"],
        [
            "Superior border",
            f"z {plan_field.superior_border_z_mm:.1f} mm: "
            f"{plan_field.superior_border_description} "
            f"({display_name(plan_field.superior_level, prefix)})",
        ],
        [
            "Inferior border",
            f"z {plan_field.inferior_border_z_mm:.1f} mm: "
            f"{plan_field.inferior_border_description} "
            f"({display_name(plan_field.inferior_level, prefix)})",
        ],
        [
            "Length x width",
            f"{plan_field.length_mm:.1f} x {plan_field.width_mm:.1f} mm in the isocentre plane "
            "(lesion centroid depth), where the border z values apply",
        ],
        [
            "Field on the skin",
            "; ".join(
                f"{b.name} {b.field_at_skin_cm[1]:.1f} x {b.field_at_skin_cm[0]:.1f} cm "
                f"(length x width, SSD {b.ssd_cm:.1f} cm)"
                for b in result.beams
            )
            + ": the beams diverge, so the field is smaller on the skin",
        ],
        ["Isocentre (LPS)", f"({iso[0]:.1f}, {iso[1]:.1f}, {iso[2]:.1f}) mm"],
        [
            "Set-up",
            f"SSD {plan_field.ssd_cm:g} cm, border convention "
            f"{plan_field.border_convention}, margin {plan_field.margin_mm:g} mm",
        ],
    ]


def _beam_rows(result: PlanResult) -> list[list[str]]:
    rows = [
        [
            "Beam",
            "Gantry",
            "X1 / X2 cm",
            "Y1 / Y2 cm",
            "SSD cm",
            "Depth cm",
            "Dose/fx Gy",
            "MU or time",
        ]
    ]
    for geometry, calc in zip(result.beams, result.monitor_units, strict=True):
        rows.append(
            [
                geometry.name,
                f"{geometry.gantry_angle_deg:g} deg",
                f"{geometry.jaw_x_cm[0]:.2f} / {geometry.jaw_x_cm[1]:.2f}",
                f"{geometry.jaw_y_cm[0]:.2f} / {geometry.jaw_y_cm[1]:.2f}",
                f"{geometry.ssd_cm:.1f}",
                f"{calc.depth_cm:.2f}",
                f"{calc.dose_per_fraction_gy:.3f}",
                f"{calc.meterset:.1f} MU" if calc.unit == "MU" else f"{calc.meterset:.2f} min",
            ]
        )
    return rows


def _prescription_rows(result: PlanResult) -> list[list[str]]:
    p = result.prescription
    ab = result.alpha_beta_gy
    return [
        ["Prescription", ""],
        [
            "Dose",
            f"{p.dose_gy:g} Gy in {p.fractions} fractions ({p.dose_per_fraction_gy:g} Gy "
            "per fraction)",
        ],
        [f"BED / EQD2 (alpha/beta {ab:g} Gy)", f"{p.bed_gy(ab):.1f} Gy / {p.eqd2_gy(ab):.1f} Gy"],
        [
            "Normalisation",
            f"100 % = {p.dose_gy:g} Gy at the {result.normalisation.description}; "
            f"water-equivalent depth {result.normalisation.depth_cm:.2f} cm",
        ],
        ["Dose grid", f"{result.grid_spacing_mm:g} mm axial; density: {result.density.source}"],
    ]


def _coverage_rows(result: PlanResult) -> list[list[str]]:
    """The lesion, then each of the case's other structures (the cord...)."""

    def row(s: DoseStatistics) -> list[str]:
        return [
            s.structure,
            f"{s.volume_cc:.2f}",
            f"{s.v95_percent:.1f}",
            f"{s.d95_gy:.2f} Gy ({s.d95_percent:.1f} %)",
            f"{s.dmin_gy:.2f} Gy ({s.dmin_percent:.1f} %)",
            f"{s.dmax_gy:.2f} Gy ({s.dmax_percent:.1f} %)",
            f"{s.dmean_gy:.2f} Gy ({s.dmean_percent:.1f} %)",
        ]

    rows = [["Structure", "Volume cc", "V95 %", "D95", "Dmin", "Dmax", "Dmean"]]
    rows.append(row(result.lesion_stats))
    for other in result.structure_doses:
        if other.stats is None:
            rows.append([other.name, "", "", "not on the dose grid", "", "", ""])
        else:
            rows.append(row(other.stats))
    return rows


def _structure_notes(result: PlanResult) -> list[str]:
    """Sentences under the coverage table: the cord's maximum dose, partial structures."""
    notes = []
    cord, eqd2 = result.cord, result.cord_dmax_eqd2_gy()
    if cord is not None and cord.stats is not None and eqd2 is not None:
        notes.append(
            f"{cord.name} Dmax {cord.stats.dmax_gy:.2f} Gy ({cord.stats.dmax_percent:.1f} % of "
            f"the prescription) in {result.prescription.fractions} fraction(s): EQD2 "
            f"{eqd2:.1f} Gy (alpha/beta {CORD_ALPHA_BETA_GY:g} Gy)."
        )
    for other in result.structure_doses:
        if other.stats is not None and other.volume_in_dose_grid_percent < 99.0:
            notes.append(
                f"{other.name}: {other.volume_in_dose_grid_percent:.0f} % of its "
                f"{other.volume_cc:.1f} cm³ lies on the dose grid; the row is of that part."
            )
    return notes


def _mu_rows(result: PlanResult) -> list[list[str]]:
    rows = [["Beam", "D/fx cGy", "Output", "Sc", "Sp", "PDD %", "ISF", "Engine %", "Result"]]
    for c in result.monitor_units:
        rows.append(
            [
                c.beam_name,
                f"{100 * c.dose_per_fraction_gy:.1f}",
                f"{c.output:.4g} {c.output_label}",
                f"{c.sc:.3f}",
                f"{c.sp:.3f}",
                f"{c.pdd_percent:.1f}",
                f"{c.inverse_square_factor:.4f}",
                f"{c.engine_percent:.1f}",
                f"{c.meterset:.1f} MU" if c.unit == "MU" else f"{c.meterset:.2f} min",
            ]
        )
    return rows


def _verdict_box(page: _Page, result: PlanResult) -> None:
    verdict = result.verdict
    colour = (20, 130, 50) if verdict.passed else (190, 30, 30)
    fill = QColor(225, 245, 228) if verdict.passed else QColor(252, 228, 228)
    lines = [verdict.headline]
    lines += [region.description for region in verdict.cold_regions]
    lines += [f"Fix: {fix}" for fix in verdict.fixes]
    # Measure first to draw the box under the text.
    text_height = 0.0
    flags = int(Qt.TextFlag.TextWordWrap)
    for index, line in enumerate(lines):
        page.set_font(10.5 if index == 0 else 8.5, index == 0)
        bound = page.painter.boundingRect(
            QRectF(0, 0, page.px(page.content_width_mm - 6), 1e6), flags, line
        )
        text_height += bound.height() / page.scale + 1.0
    page.ensure(text_height + 6)
    start = page.y
    page.painter.fillRect(
        QRectF(
            page.px(_MARGIN_MM),
            page.px(start),
            page.px(page.content_width_mm),
            page.px(text_height + 4),
        ),
        fill,
    )
    page.y = start + 2.0
    for index, line in enumerate(lines):
        page.text(
            line,
            10.5 if index == 0 else 8.5,
            index == 0,
            colour if index == 0 else (0, 0, 0),
            indent_mm=3.0,
        )
    page.y = start + text_height + 7.0


def _patient_line(result: PlanResult) -> str:
    meta = result.images.lesion_volume.metadata
    parts = []
    if meta.patient_name:
        parts.append(f"Patient {meta.patient_name.replace('^', ' ')}")
    if meta.patient_id:
        parts.append(f"ID {meta.patient_id}")
    if meta.study_date:
        parts.append(f"study {meta.study_date}")
    return ", ".join(parts) or "Patient not identified in the images"


def write_report_pdf(path: str | Path, result: PlanResult) -> Path:
    """Render the plan report to ``path`` (A4 PDF)."""
    _ensure_application()

    target = Path(path)
    writer = QPdfWriter(str(target))
    writer.setResolution(_RESOLUTION_DPI)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    writer.setTitle("spineplan plan report")
    writer.setCreator("spineplan")
    painter = QPainter()
    if not painter.begin(writer):
        raise PlanningError(f"{target}: cannot write the PDF report")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        page = _Page(writer, painter)
        _first_page(page, result)
        page.new_page()
        _images_page(page, result)
        page.new_page()
        _details_page(page, result)
    finally:
        painter.end()
    return target


def _first_page(page: _Page, result: PlanResult) -> None:
    case_name = result.case.source_path.name if result.case.source_path else "case"
    page.text("spineplan plan report", 16.0, True, (20, 40, 90), gap_mm=0.5)
    page.text(
        f"{case_name} - {_patient_line(result)} - printed "
        f"{_dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        8.5,
        colour=(80, 80, 80),
        gap_mm=1.0,
    )
    page.text(
        "Not approved for treatment: check every number against the department's own data.",
        8.0,
        colour=(160, 30, 30),
        gap_mm=4.0,
    )
    _verdict_box(page, result)
    width = page.content_width_mm
    page.table(_case_rows(result), (48.0, width - 48.0))
    page.table(_field_rows(result), (48.0, width - 48.0))
    page.text("Beams (jaws at the source-axis distance plane; per fraction)", 9.5, True)
    page.table(_beam_rows(result), (28.0, 16.0, 25.0, 25.0, 16.0, 17.0, 20.0, width - 147.0))
    page.table(_prescription_rows(result), (48.0, width - 48.0))
    page.text("Coverage of the lesion (criterion: V95 >= 99 %)", 9.5, True)
    page.table(_coverage_rows(result), (20.0, 18.0, 14.0, 32.0, 32.0, 32.0, width - 148.0))
    for note in _structure_notes(result):
        page.text(note, 8.0)


def _images_page(page: _Page, result: PlanResult) -> None:
    page.text("Images: field, lesion and isodoses", 13.0, True, (20, 40, 90), gap_mm=2.0)
    _legend(page, result)
    width = page.content_width_mm
    top = page.y
    sagittal = sagittal_plane(result)
    axial = axial_plane(result)
    half = (width - 6.0) / 2.0
    used = max(
        _draw_plane(page, sagittal, _MARGIN_MM, top, half, 150.0),
        _draw_plane(page, axial, _MARGIN_MM + half + 6.0, top, half, 150.0),
    )
    page.y = top + used + 2.0
    page.text(
        f"Isodoses in % of the prescription ({result.prescription.dose_gy:g} Gy); dashed: the "
        "geometric field edges of every beam; both planes pass through the normalisation point "
        f"{_point_words(result.normalisation.point_mm)}. Level names at the mid-height of each "
        "labelled vertebra.",
        8.0,
        colour=(60, 60, 60),
        gap_mm=4.0,
    )
    _draw_dvh(page, result, _MARGIN_MM, page.y, width * 0.62, 85.0)
    page.y += 90.0


def _point_words(point_mm: Sequence[float]) -> str:
    return "(" + ", ".join(_mm(v) for v in point_mm) + ") mm"


def _details_page(page: _Page, result: PlanResult) -> None:
    page.text("Monitor units / treatment time (hand calculation)", 13.0, True, (20, 40, 90))
    calc = result.monitor_units[0]
    page.text(
        "MU (or minutes) = D / (output x Sc(rc) x Sp(r) x PDD(d, r, SSD)/100 x ISF x EPL), "
        "ISF = ((SSD_ref + dmax) / (SSD + dmax))^2, EPL = ((SSD + d) / (SSD + d_geometric))^2 "
        "for a water-equivalent depth d differing from the geometric one; "
        "rc = collimator equivalent square at the SAD plane, r = equivalent square at the skin; "
        "'Engine %' is the 3D engine's dose at the point per unit "
        f"output (check against PDD). Reference SSD {calc.reference_ssd_cm:g} cm, "
        f"dmax {calc.dmax_cm:g} cm.",
        8.0,
    )
    width = page.content_width_mm
    page.table(_mu_rows(result), (24.0, 17.0, 26.0, 13.0, 13.0, 15.0, 17.0, 18.0, width - 143.0))
    for c in result.monitor_units:
        page.text(
            f"{c.beam_name}: depth {c.depth_cm:.2f} cm, SSD {c.ssd_cm:.1f} cm, rc "
            f"{c.collimator_side_cm:.2f} cm, r {c.surface_side_cm:.2f} cm. {c.formula}",
            8.0,
        )
    page.y += 2.0
    page.text("Assumptions", 11.0, True, (20, 40, 90))
    for assumption in result.assumptions:
        page.text(f"- {assumption}", 8.0, indent_mm=2.0, gap_mm=0.6)
    page.y += 2.0
    page.text("Warnings", 11.0, True, (20, 40, 90))
    if result.warnings:
        for warning in result.warnings:
            page.text(f"- {warning}", 8.0, colour=(160, 30, 30), indent_mm=2.0, gap_mm=0.6)
    else:
        page.text("none", 8.0, indent_mm=2.0)
