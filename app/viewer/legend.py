"""The legend each view writes: a swatch and the words of every palette role it drew in this
paint, and nothing else (View > Show the legend).

The legend never covers the body (the row-wise hull of the slice's body mask,
`planning.display.body_region`), nor the text already written, nor -- where a place allows --
the lines drawn (isodoses, contours, limits). It takes the first form that finds such a place:

1. **full**: the palette's words at `LEGEND_POINT_SIZE`;
2. **compact**: short words (`LEGEND_SHORT_WORDS`: "95 %" for "95 % isodose") at
   `COMPACT_POINT_SIZE`, still read at arm's length;
3. **chip**: a small "legend" tab with one colour tick per row; the full legend opens beside it
   while the pointer is on it (`paint_expanded_legend`), over the image because the user asked.

Within a form, places nearer a corner of the view come first, and places off the image before
places on it. With no place for even the chip (zoomed into the body), no legend is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPen

from app.viewer.colours import halo, pen_style, qcolor
from planning.display.body_region import BodyRegion
from planning.display.label_layout import Box, box_crosses_segments
from planning.display.palette import (
    LEGEND_FAMILIES,
    LEGEND_SHORT_WORDS,
    TEXT_ON_IMAGE,
    VIEWS,
    Role,
)

LEGEND_POINT_SIZE = 7.5
#: The compact legend's words: the size of the smallest text on the views, still read at arm's
#: length on a 96-dpi screen (about 9 px).
COMPACT_POINT_SIZE = 6.5
SWATCH_PX = 18.0
COMPACT_SWATCH_PX = 12.0
CHIP_WORD = "legend"
_PAD_PX = 4.0
#: Distance between the places tried, screen px.
_STEP_PX = 6.0
#: Places checked against the lines per form (the nearest to a corner first); past them the
#: next, smaller form is tried.
_MAX_LINE_CHECKS = 400

LegendForm = Literal["full", "compact", "chip"]
FORMS: tuple[LegendForm, ...] = ("full", "compact", "chip")


@dataclass(frozen=True)
class LegendPlace:
    """Where the legend went and in which form."""

    box: QRectF
    form: LegendForm


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


def short_words(row: Role) -> str:
    """The compact legend's words for a row (its own words when no shorter form is known)."""
    return LEGEND_SHORT_WORDS.get(row.words, row.words)


def _font(base: QFont, form: LegendForm) -> QFont:
    font = QFont(base)
    font.setPointSizeF(LEGEND_POINT_SIZE if form == "full" else COMPACT_POINT_SIZE)
    font.setBold(False)
    return font


def legend_size(font: QFont, rows: Sequence[Role], form: LegendForm) -> tuple[float, float]:
    """Width and height in px of the legend of ``rows`` written in ``form`` with ``font``."""
    metrics = QFontMetricsF(font)
    if form == "chip":
        width = metrics.horizontalAdvance(CHIP_WORD) + 2 * _PAD_PX
        return max(width, len(rows) * 4.0 + 2 * _PAD_PX), metrics.height() + 5.0
    swatch = SWATCH_PX if form == "full" else COMPACT_SWATCH_PX
    words = [r.words if form == "full" else short_words(r) for r in rows]
    width = swatch + 3 * _PAD_PX + max(metrics.horizontalAdvance(w) for w in words)
    return width, len(rows) * metrics.height() + 2 * _PAD_PX


def _candidates(region: QRectF, width: float, height: float, image: QRectF | None):
    """Top-left corners of every place of a ``width`` x ``height`` box inside ``region`` (4 px
    in from its edges, `_STEP_PX` apart), best first: off the image before on it, then nearest
    an edge of the region, then nearest its corner."""
    margin = 4.0
    left, right = region.left() + margin, region.right() - margin - width
    top, bottom = region.top() + margin, region.bottom() - margin - height
    if right < left or bottom < top:
        return np.zeros(0), np.zeros(0)
    xs = np.unique(np.concatenate([np.arange(left, right, _STEP_PX), [right]]))
    ys = np.unique(np.concatenate([np.arange(top, bottom, _STEP_PX), [bottom]]))
    x, y = (a.ravel() for a in np.meshgrid(xs, ys))
    off_x, off_y = np.minimum(x - left, right - x), np.minimum(y - top, bottom - y)
    to_edge = np.minimum(off_x, off_y)  # 0 along the region's edges
    to_corner = off_x + off_y  # from the nearest corner, along the edges
    on_image = np.zeros(len(x), dtype=bool)
    if image is not None and not image.isEmpty():
        on_image = (
            (x < image.right())
            & (x + width > image.left())
            & (y < image.bottom())
            & (y + height > image.top())
        )
    order = np.lexsort((to_corner, to_edge, on_image))
    return x[order], y[order]


def _free_of(
    x: np.ndarray, y: np.ndarray, width: float, height: float, occupied: Sequence[QRectF]
) -> np.ndarray:
    """Which boxes at ``x``, ``y`` overlap none of the ``occupied`` rectangles."""
    free = np.ones(len(x), dtype=bool)
    for other in occupied:
        free &= ~(
            (x < other.right())
            & (x + width > other.left())
            & (y < other.bottom())
            & (y + height > other.top())
        )
    return free


def place_legend(
    font: QFont,
    rows: Sequence[Role],
    region: QRectF,
    occupied: Sequence[QRectF] = (),
    image: QRectF | None = None,
    marks: np.ndarray | None = None,
    body: BodyRegion | None = None,
) -> LegendPlace | None:
    """Where and in which form the legend of ``rows`` goes (module docstring); None when no
    place off the body and the text is left even for the chip.

    Parameters
    ----------
    font : the views' font (the legend's sizes are set from it).
    region : the view, screen px.
    occupied : text already written (the legend overlaps none).
    image : the slice's pixels on the screen (places off it come first).
    marks : ``(n, 4)`` x0, y0, x1, y1 screen px: the lines drawn (isodoses, contours, limits).
    body : the body on the screen (the legend never covers it).
    """
    if not rows:
        return None
    fallback: LegendPlace | None = None
    for form in FORMS:
        width, height = legend_size(_font(font, form), rows, form)
        x, y = _candidates(region, width, height, image)
        keep = _free_of(x, y, width, height, occupied)
        x, y = x[keep], y[keep]
        if body is not None and not body.empty:
            keep = ~body.covers_many(x, y, width, height)
            x, y = x[keep], y[keep]
        if len(x) == 0:
            continue
        if fallback is None and form == "chip":
            # the chip hides a few px of a line rather than leave the view without a legend
            fallback = LegendPlace(QRectF(float(x[0]), float(y[0]), width, height), form)
        if marks is None or len(marks) == 0:
            return LegendPlace(QRectF(float(x[0]), float(y[0]), width, height), form)
        for left, top in zip(x[:_MAX_LINE_CHECKS], y[:_MAX_LINE_CHECKS], strict=True):
            if not box_crosses_segments(Box(left, top, width, height), marks):
                return LegendPlace(QRectF(float(left), float(top), width, height), form)
    return fallback


def paint_legend(
    painter: QPainter,
    roles: Sequence[Role],
    region: QRectF,
    occupied: list[QRectF],
    image: QRectF | None = None,
    marks: np.ndarray | None = None,
    body: BodyRegion | None = None,
) -> LegendPlace | None:
    """Write the legend of ``roles`` where `place_legend` puts it; returns the place (its box
    claimed in ``occupied``), or None when the view has no room off the body."""
    rows = legend_rows(roles)
    place = place_legend(painter.font(), rows, region, occupied, image, marks, body)
    if place is None:
        return None
    occupied.append(place.box)
    painter.save()
    painter.setFont(_font(painter.font(), place.form))
    if place.form == "chip":
        _paint_chip(painter, rows, place.box)
    else:
        _paint_rows(painter, rows, place.box, place.form)
    painter.restore()
    return place


def paint_expanded_legend(
    painter: QPainter, roles: Sequence[Role], chip: QRectF, region: QRectF
) -> QRectF | None:
    """The full legend opened from the chip at ``chip`` (the pointer is on it): below or above
    the chip, whichever has room, kept inside ``region``; returns its box."""
    rows = legend_rows(roles)
    if not rows:
        return None
    painter.save()
    font = _font(painter.font(), "full")
    painter.setFont(font)
    width, height = legend_size(font, rows, "full")
    left = min(max(chip.left(), region.left() + 2.0), region.right() - 2.0 - width)
    below = chip.bottom() + 2.0
    top = below if below + height <= region.bottom() - 2.0 else chip.top() - 2.0 - height
    top = max(top, region.top() + 2.0)
    box = QRectF(left, top, width, height)
    _paint_rows(painter, rows, box, "full", opaque=True)
    painter.restore()
    return box


def _paint_background(painter: QPainter, box: QRectF, alpha: int) -> None:
    painter.setPen(QPen(qcolor(TEXT_ON_IMAGE, 60), 1.0))
    painter.setBrush(halo(alpha))
    painter.drawRoundedRect(box, 3.0, 3.0)


def _swatch(painter: QPainter, role: Role, x0: float, x1: float, middle: float) -> None:
    pen = QPen(qcolor(role), 2.0)
    pen.setCosmetic(True)
    pen.setStyle(pen_style(role))
    painter.setPen(pen)
    if role.style == "area":
        painter.setBrush(qcolor(role, 110))
        painter.drawRect(QRectF(x0 + 2, middle - 4, x1 - x0 - 4, 8))
    else:
        painter.drawLine(QLineF(x0, middle, x1, middle))


def _paint_rows(
    painter: QPainter, rows: Sequence[Role], box: QRectF, form: LegendForm, opaque: bool = False
) -> None:
    metrics = QFontMetricsF(painter.font())
    _paint_background(painter, box, 235 if opaque else 170)
    swatch = SWATCH_PX if form == "full" else COMPACT_SWATCH_PX
    align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    for n, role in enumerate(rows):
        top = box.top() + _PAD_PX + n * metrics.height()
        x = box.left() + _PAD_PX
        _swatch(painter, role, x, x + swatch, top + metrics.height() / 2)
        painter.setPen(qcolor(TEXT_ON_IMAGE))
        words = QRectF(x + swatch + _PAD_PX, top, box.width(), metrics.height())
        painter.drawText(words, align, role.words if form == "full" else short_words(role))


def _paint_chip(painter: QPainter, rows: Sequence[Role], box: QRectF) -> None:
    """The collapsed legend: its word, and under it one colour tick per row."""
    _paint_background(painter, box, 170)
    painter.setPen(qcolor(TEXT_ON_IMAGE))
    words = QRectF(box.left(), box.top(), box.width(), box.height() - 4.0)
    painter.drawText(words, Qt.AlignmentFlag.AlignCenter, CHIP_WORD)
    tick = (box.width() - 2 * _PAD_PX) / len(rows)
    for n, role in enumerate(rows):
        x = box.left() + _PAD_PX + n * tick
        pen = QPen(qcolor(role), 2.0)
        pen.setCosmetic(True)
        painter.setPen(pen)
        y = box.bottom() - 3.0
        painter.drawLine(QLineF(x + 0.5, y, x + tick - 0.5, y))
