"""The text a view writes over its slice: corner text, orientation letters and scale bar.

`layout_view_text` places everything for one widget size and returns the lines with the screen
rectangles they take, so overlay labels can keep clear of them; `paint_view_text` draws them.
All text is drawn with a dark halo so it reads on any grey level.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from app.viewer.colours import halo, qcolor
from app.viewer.plane_marks import PLANE_COLORS, PLANE_SHORT
from app.viewer.rendering import Window
from imaging.geometry import patient_direction_letters
from imaging.reslice import SliceGeometry
from imaging.volume import SeriesMetadata
from planning.display import palette

TEXT_COLOR = qcolor(palette.TEXT_ON_IMAGE)
LETTER_COLOR = qcolor(palette.ORIENTATION_LETTERS)
_HALO_COLOR = halo(220)
#: scale bar lengths offered, in mm (the longest that fits a fifth of the view width is used)
NICE_SCALE_MM = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500)
_MARGIN_PX = 6.0  # corner text to view edge
_BOTTOM_RIGHT_LINES = 2  # window/level and zoom


@dataclass(frozen=True)
class ViewFonts:
    """The corner text's and the orientation letters' fonts with their metrics."""

    text: QFont
    text_metrics: QFontMetricsF
    letters: QFont
    letter_metrics: QFontMetricsF


def view_fonts(base: QFont) -> ViewFonts:
    """The view's text fonts derived from the widget font ``base`` (build once and keep:
    building fonts and metrics on every repaint costs a noticeable part of a millisecond)."""
    text = QFont(base)
    text.setPointSizeF(9.0)
    letters = QFont(base)
    letters.setPointSizeF(11.0)
    letters.setBold(True)
    return ViewFonts(text, QFontMetricsF(text), letters, QFontMetricsF(letters))


@dataclass(frozen=True)
class ViewText:
    """One line of view text: font, baseline point, text, colour, metrics and width (px)."""

    font: QFont
    point: QPointF
    text: str
    color: QColor
    metrics: QFontMetricsF

    width: float

    @cached_property
    def box(self) -> QRectF:
        """The screen rectangle the text covers (with its halo); not to be modified."""
        return QRectF(
            self.point.x() - 2,
            self.point.y() - self.metrics.ascent() - 1,
            self.width + 4,
            self.metrics.height() + 2,
        )


@dataclass(frozen=True)
class ScaleBar:
    """The scale bar: left and right x and y (widget px) and its length in mm."""

    x0: float
    x1: float
    y: float
    length_mm: int

    @classmethod
    def place(cls, width: float, height: float, px_per_mm: float, bottom: float) -> ScaleBar:
        """The bar at the bottom-right of a ``width`` x ``height`` view, ``bottom`` px above
        the bottom edge (clear of the corner text), about a fifth of the view wide."""
        target_px = width / 5.0
        length_mm = NICE_SCALE_MM[0]
        for candidate in NICE_SCALE_MM:
            if candidate * px_per_mm <= target_px:
                length_mm = candidate
        x1 = width - 10.0
        return cls(x1 - length_mm * px_per_mm, x1, height - bottom - 10, length_mm)

    @property
    def label(self) -> str:
        return f"{self.length_mm} mm"

    def rect(self, metrics: QFontMetricsF) -> QRectF:
        """The screen rectangle of the bar and its label."""
        label_width = metrics.horizontalAdvance(self.label)
        left = min(self.x0, self.x1 - label_width) - 2
        return QRectF(
            left, self.y - 6 - metrics.ascent(), self.x1 - left + 2, metrics.ascent() + 6 + 4
        )

    def paint(self, painter: QPainter, metrics: QFontMetricsF) -> None:
        x0, x1, y = self.x0, self.x1, self.y
        painter.setPen(QPen(halo(200), 4))
        painter.drawLine(QLineF(x0, y, x1, y))
        painter.setPen(QPen(TEXT_COLOR, 2))
        painter.drawLine(QLineF(x0, y, x1, y))
        for x in (x0, x1):
            painter.drawLine(QLineF(x, y - 4, x, y + 1))
        label = self.label
        halo_text(painter, QPointF(x1 - metrics.horizontalAdvance(label), y - 6), label, TEXT_COLOR)


def _scale_bar_bottom(metrics: QFontMetricsF) -> float:
    """How far above the bottom edge the scale bar sits: above the bottom-right lines."""
    return metrics.height() * _BOTTOM_RIGHT_LINES + _MARGIN_PX + 4


def patient_lines(meta: SeriesMetadata) -> list[str]:
    """The patient and study lines written top-right (empty fields left out)."""
    name = meta.patient_name.replace("^", " ").strip()
    lines = [
        t
        for t in (name, meta.patient_id, _format_date(meta.study_date), meta.study_description)
        if t
    ]
    if meta.institution_name:
        lines.append(meta.institution_name)
    return lines


def layout_view_text(
    fonts: ViewFonts,
    width: int,
    height: int,
    g: SliceGeometry,
    title: str,
    slice_label: str,
    window: Window,
    px_per_mm: float,
    top_right: list[str],
) -> tuple[list[ViewText], list[QRectF]]:
    """Place the corner text and the orientation letters of a ``width`` x ``height`` view.

    Parameters
    ----------
    fonts : the view's fonts (`view_fonts`).
    width, height : the view's size in widget px.
    g : the slice shown.
    title : the series title, written top-left after the plane's short name.
    slice_label : the slice line written bottom-left.
    window : the display window written bottom-right.
    px_per_mm : the view's zoom in widget px per in-plane mm.
    top_right : the patient and study lines (`patient_lines`), or none.

    Returns
    -------
    The text lines and the screen rectangles reserved by text, letters and scale bar.
    """
    font, metrics = fonts.text, fonts.text_metrics
    line = metrics.height()
    margin = _MARGIN_PX
    top_left = [f"{PLANE_SHORT[g.plane]}  {title}"]
    bottom_left = [slice_label]
    bottom_right = [
        f"W {window.width:.0f}  L {window.center:.0f}" + ("  inv" if window.invert else ""),
        f"Zoom {px_per_mm * min(g.spacing_x_mm, g.spacing_y_mm) * 100:.0f}%",
    ]

    def widest(lines: list[str]) -> float:
        return max((metrics.horizontalAdvance(t) for t in lines), default=0.0)

    # In a narrow view the two bottom corners would overwrite each other: shorten the
    # slice text first ("241/480"), and if even that does not fit, lift it above the
    # bottom-right block.
    lift = 0.0
    room = width - widest(bottom_right) - 3 * margin
    if widest(bottom_left) > room:
        bottom_left = [f"{g.index + 1}/{g.count}  {g.position_label}"]
        if widest(bottom_left) > room:
            bottom_left = [f"{g.index + 1}/{g.count}"]
            lift = (len(bottom_right) + 1) * line if widest(bottom_left) > room else 0.0
    # The view title and the patient lines share the top edge: the title is elided to the
    # room the patient lines leave, and they start below it when even a short title would
    # not fit beside them.
    top_drop = 0.0
    heading = top_left[0]
    elide = Qt.TextElideMode.ElideRight
    heading_width = metrics.horizontalAdvance(heading)
    if heading_width > width - 2 * margin:
        top_left = [metrics.elidedText(heading, elide, width - 2 * margin)]
    if top_right:
        room = width - widest(top_right) - 3 * margin
        if heading_width > room:
            short = metrics.elidedText(heading, elide, max(room, 0.0))
            if len(short) >= 8:
                top_left = [short]
            else:
                top_drop = line

    texts: list[ViewText] = []

    def place(lines: list[str], corner: str) -> None:
        for n, text in enumerate(lines):
            text_width = metrics.horizontalAdvance(text)
            x = margin if corner.endswith("left") else width - margin - text_width
            if corner.startswith("top"):
                y = margin + metrics.ascent() + n * line
                if corner == "top-right":
                    y += top_drop
            else:
                y = height - margin - metrics.descent() - (len(lines) - 1 - n) * line
                if corner == "bottom-left":
                    y -= lift
            color = PLANE_COLORS[g.plane] if (corner == "top-left" and n == 0) else TEXT_COLOR
            texts.append(ViewText(font, QPointF(x, y), text, color, metrics, text_width))

    place(top_left, "top-left")
    place(top_right, "top-right")
    place(bottom_left, "bottom-left")
    place(bottom_right, "bottom-right")
    reserved = [t.box for t in texts]
    scale_bar = ScaleBar.place(width, height, px_per_mm, _scale_bar_bottom(metrics))
    reserved.append(scale_bar.rect(metrics))
    letters = orientation_letters(fonts, width, height, g, reserved)
    texts.extend(letters)
    reserved.extend(t.box for t in letters)
    return texts, reserved


def orientation_letters(
    fonts: ViewFonts, width: int, height: int, g: SliceGeometry, taken: list[QRectF]
) -> list[ViewText]:
    """The four edge letters (up, down, left, right); the top and bottom ones step inwards,
    line by line, off the screen rectangles ``taken`` (corner text in a narrow view)."""
    font, metrics = fonts.letters, fonts.letter_metrics
    right = patient_direction_letters(g.right_direction)
    left = patient_direction_letters(-g.right_direction)
    down = patient_direction_letters(g.down_direction)
    up = patient_direction_letters(-g.down_direction)
    w, h = width, height
    pad = 6.0
    line, ascent = metrics.height(), metrics.ascent()
    widths = [metrics.horizontalAdvance(t) for t in (up, down, left, right)]
    points = [
        QPointF(w / 2 - widths[0] / 2, pad + ascent + line),
        QPointF(w / 2 - widths[1] / 2, h - pad - metrics.descent() - line),
        QPointF(pad, h / 2 + ascent / 2),
        QPointF(w - pad - widths[3], h / 2 + ascent / 2),
    ]
    letters = [
        ViewText(font, point, text, LETTER_COLOR, metrics, text_width)
        for point, text, text_width in zip(points, (up, down, left, right), widths, strict=True)
    ]
    for n, step in ((0, metrics.height()), (1, -metrics.height())):
        letter = letters[n]
        for _ in range(8):
            if not any(letter.box.intersects(r) for r in taken):
                break
            letter = replace(letter, point=letter.point + QPointF(0, step))
        letters[n] = letter
    return letters


def paint_view_text(
    painter: QPainter,
    texts: list[ViewText],
    fonts: ViewFonts,
    width: int,
    height: int,
    px_per_mm: float,
) -> None:
    """Draw the lines of `layout_view_text` and the scale bar of a ``width`` x ``height`` view
    at ``px_per_mm`` (widget px per in-plane mm)."""
    for text in texts:
        painter.setFont(text.font)
        halo_text(painter, text.point, text.text, text.color)
    metrics = fonts.text_metrics
    painter.setFont(fonts.text)
    ScaleBar.place(width, height, px_per_mm, _scale_bar_bottom(metrics)).paint(painter, metrics)


def halo_text(painter: QPainter, point: QPointF, text: str, color: QColor) -> None:
    """Draw ``text`` at the baseline ``point`` in ``color`` over a dark one-pixel halo."""
    painter.setPen(_HALO_COLOR)
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        painter.drawText(point + QPointF(dx, dy), text)
    painter.setPen(color)
    painter.drawText(point, text)


def _format_date(value: str) -> str:
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value
