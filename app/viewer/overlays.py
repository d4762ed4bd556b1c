"""The overlay API: things later features draw on every view, placed in patient LPS mm.

Add items to the viewer's `OverlayModel` (``main_window.viewer.overlays``); every view of every
series draws them on whatever plane it shows, in ``z`` order, and redraws when they change. No
view code needs to change for a new use.

Item types
----------
`LabelOverlay`
    Text at a patient point (vertebral level names).
`MaskOverlay`
    A boolean `Volume` (any grid, same frame of reference) drawn semi-transparent (lesion).
`PolylineOverlay`
    A line or polygon through patient points; ``closed=True`` with ``fill_color`` for
    outlines (field outlines; `PolylineOverlay.rectangle` builds one).
`HeightLineOverlay`
    A horizontal line at a patient height ``z_mm`` across sagittal and coronal views (edema
    limits, field borders), optionally labelled.
`ContourOverlay`
    Iso-lines of a scalar `Volume` at given levels (isodoses 95 / 50 / 107 %).

Common attributes: ``name`` (shown in the Layers panel), ``color``, ``visible``, ``z`` (higher
draws on top), ``planes`` (restrict to some view planes, None = all), ``max_distance_mm``
(draw only on slices within this distance of the item's points, None = always project) and
``frame_of_reference_uid`` (when set, the item is hidden on series of another frame).

After mutating an item's attributes call ``model.changed_item(item)`` (or replace it) so views
repaint; `OverlayModel.add` / `remove` / `clear` notify by themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPen,
    QPolygonF,
    QTransform,
)

from app.viewer.colours import halo, pen_style, qcolor
from app.viewer.legend import paint_legend
from app.viewer.rendering import rgba_image
from imaging.contours import iso_segments
from imaging.reslice import SliceGeometry, ViewPlane, sample_window_on_plane
from imaging.volume import Volume
from planning.display import palette
from planning.display.body_region import BodyRegion
from planning.display.label_layout import Box, place_beside_line
from planning.display.palette import Role

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass
class ViewContext:
    """What an overlay item needs to paint on one view (built by the view for each paint).

    Attributes
    ----------
    geometry : the slice shown (maps LPS mm <-> slice pixels).
    volume : the series volume shown in the view.
    pixel_to_screen : maps slice pixel coordinates ``(n, 2)`` to widget coordinates ``(n, 2)``.
    image_rect : widget rectangle covered by the slice's pixels (edges, not centres).
    screen_px_per_mm : current zoom.
    cache : per-view dict an item may keep derived data in (keyed by the item's own keys).
    view_rect : the widget's rectangle (what is on screen); empty means ``image_rect``.
    occupied : screen rectangles already holding text in this paint (corner text, orientation
        letters, names and labels drawn so far); labels are placed clear of them.
    labels : per-paint scratch space for items' label placements (see `OverlayItem.reserve`).
    lines : the screen segments ``(n, 4)`` each item will draw, by item id (filled before any
        item paints), so labels are placed clear of every line but their own.
    shown : the palette roles drawn in this paint, in order (for the view's legend).
    body : where the body is on the screen (the legend keeps off it); None when unknown.
    """

    geometry: SliceGeometry
    volume: Volume
    pixel_to_screen: Callable[[np.ndarray], np.ndarray]
    image_rect: QRectF
    screen_px_per_mm: float
    cache: dict = field(default_factory=dict)
    #: the same mapping as ``pixel_to_screen`` as a painter transform (cosmetic pens keep
    #: their screen width), so items can cache geometry in slice pixels
    pixel_transform: QTransform = field(default_factory=QTransform)
    view_rect: QRectF = field(default_factory=QRectF)
    occupied: list[QRectF] = field(default_factory=list)
    labels: dict = field(default_factory=dict)
    lines: dict[int, np.ndarray] = field(default_factory=dict)
    shown: list[Role] = field(default_factory=list)
    body: BodyRegion | None = None

    def other_lines(self, item: object) -> np.ndarray:
        """Every line segment ``(n, 4)`` of this paint except ``item``'s own."""
        parts = [seg for key, seg in self.lines.items() if key != id(item) and len(seg)]
        return np.concatenate(parts) if parts else np.zeros((0, 4))

    def mark_shown(self, role: Role | None) -> None:
        """Note that ``role`` was drawn (the legend names it)."""
        if role is not None and role not in self.shown:
            self.shown.append(role)

    def visible_rect(self) -> QRectF:
        """Where a label can be read: the whole view (text reads on the black surround of a
        narrow reformat too), or the image when the view's rectangle is not known."""
        if self.view_rect.isEmpty():
            return QRectF(self.image_rect)
        return QRectF(self.view_rect)

    def is_free(self, rect: QRectF) -> bool:
        """Whether ``rect`` overlaps no text placed so far."""
        return not any(rect.intersects(other) for other in self.occupied)

    def to_screen(self, xyz_mm: np.ndarray) -> np.ndarray:
        """Project LPS points ``(n, 3)`` to widget coordinates ``(n, 2)``."""
        return self.pixel_to_screen(self.geometry.patient_to_pixel(np.atleast_2d(xyz_mm)))

    def project(self, xyz_mm: np.ndarray | Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Widget coordinates ``(n, 2)`` and signed distance from the slice ``(n,)`` in mm."""
        points = np.atleast_2d(np.asarray(xyz_mm, dtype=float))
        screen = self.pixel_to_screen(self.geometry.patient_to_pixel(points))
        return screen, self.geometry.distance_to_plane_mm(points)


@dataclass(eq=False)
class OverlayItem:
    """Base of all overlay items (see the module documentation for the attributes)."""

    name: str = ""
    color: QColor = field(default_factory=lambda: qcolor(palette.WHITE))
    visible: bool = True
    z: float = 0.0
    planes: frozenset[ViewPlane] | None = None
    max_distance_mm: float | None = None
    frame_of_reference_uid: str = ""
    #: bumped by `OverlayModel.changed_item`; caches compare it.
    version: int = 0
    #: what the item shows, in the palette's words (its colour, line style and legend entry)
    role: Role | None = None

    kind: ClassVar[str] = "item"

    def applies_to(self, context: ViewContext) -> bool:
        """Whether the item is drawn at all on this view (plane and frame filters)."""
        if not self.visible:
            return False
        if self.planes is not None and context.geometry.plane not in self.planes:
            return False
        own = context.volume.frame_of_reference_uid
        return not (self.frame_of_reference_uid and own and own != self.frame_of_reference_uid)

    def paint(self, painter: QPainter, context: ViewContext) -> None:  # pragma: no cover
        raise NotImplementedError

    def screen_lines(self, context: ViewContext) -> np.ndarray:
        """The segments ``(n, 4)`` (x0, y0, x1, y1, widget px) this item draws on the view,
        which labels of other items keep clear of. The default draws none."""
        return np.zeros((0, 4))

    def reserve(self, painter: QPainter, context: ViewContext) -> None:
        """Claim screen space for text before any item paints (``context.occupied``).

        Called for every applicable item, lowest ``z`` first, before the painting pass, so that
        names tied to anatomy (level names) keep their place and free-floating labels (border
        and edema labels) are placed around them. The default claims nothing.
        """

    def _near(self, context: ViewContext, points_mm: np.ndarray) -> np.ndarray:
        if self.max_distance_mm is None:
            return np.ones(len(points_mm), dtype=bool)
        distance = np.abs(context.geometry.distance_to_plane_mm(points_mm))
        return distance <= self.max_distance_mm


def _pen(color: QColor, width: float, dashed: bool = False, role: Role | None = None) -> QPen:
    """A cosmetic pen: the role's line style when given, else dashed or solid."""
    pen = QPen(color, width)
    pen.setCosmetic(True)
    if role is not None:
        pen.setStyle(pen_style(role))
    elif dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


def _polygon_segments(screen: np.ndarray, closed: bool) -> np.ndarray:
    """The edges ``(n, 4)`` of a polyline through ``screen`` points ``(m, 2)``."""
    if len(screen) < 2:
        return np.zeros((0, 4))
    ends = np.vstack([screen, screen[:1]]) if closed else screen
    return np.hstack([ends[:-1], ends[1:]])


def place_label(
    painter: QPainter,
    context: ViewContext,
    texts: str | Sequence[str],
    baseline_y: float,
    prefer: str = "left",
    min_chars: int = 6,
    owner: object = None,
    line_y: float | None = None,
    below_first: bool = False,
) -> tuple[QPointF, str] | None:
    """Where to write a label along a horizontal line, clear of the text already placed and
    of every other line drawn (`planning.display.label_layout.place_beside_line`).

    ``texts`` is the label, or the label followed by shorter forms of it. The first form that
    fits whole into a free stretch just above the line (else just below it) is written there,
    on the ``prefer`` side ("left" or "right") when several stretches hold it; when none fits,
    the last form is elided ("…") into the widest stretch. ``owner`` is the item drawing the
    line (its own line does not block its label); ``line_y`` the line's height (default: just
    below ``baseline_y``); ``below_first`` tries the band below the line before the one
    above. The place is claimed in ``context.occupied``. None when not even ``min_chars``
    characters fit anywhere.
    """
    forms = [texts] if isinstance(texts, str) else [t for t in texts if t]
    if not forms:
        return None
    metrics = QFontMetricsF(painter.font())
    visible = context.visible_rect()
    line = baseline_y + 4 if line_y is None else line_y
    occupied = [Box(r.left(), r.top(), r.width(), r.height()) for r in context.occupied]
    placed = place_beside_line(
        [metrics.horizontalAdvance(text) for text in forms],
        metrics.height(),
        line,
        Box(visible.left(), visible.top(), visible.width(), visible.height()),
        occupied,
        context.other_lines(owner),
        prefer="right" if prefer == "right" else "left",
        sides=("below", "above") if below_first else ("above", "below"),
    )
    if placed is None:
        return None
    box = placed.box
    if placed.form >= 0:
        shown = forms[placed.form]
    else:
        shown = metrics.elidedText(forms[-1], Qt.TextElideMode.ElideRight, box.width)
        if len(shown) <= min_chars:
            return None
    width = metrics.horizontalAdvance(shown)
    context.occupied.append(QRectF(box.left, box.top, width, box.height))
    return QPointF(box.left, box.top + metrics.ascent()), shown


def _outlined_text(painter: QPainter, point: QPointF, text: str, color: QColor) -> None:
    """Text with a dark halo so it reads on any grey level."""
    painter.setPen(halo())
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        painter.drawText(point + QPointF(dx, dy), text)
    painter.setPen(color)
    painter.drawText(point, text)


@dataclass(eq=False)
class LabelOverlay(OverlayItem):
    """Text drawn at (beside) a patient point; a small dot marks the point itself."""

    point_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    text: str = ""
    offset_px: tuple[float, float] = (8.0, 4.0)
    font_point_size: float = 10.0
    show_marker: bool = True
    #: one of a series of labels that may crowd on a zoomed-out view (the MR's level names on
    #: the CT): its text claims its place before anything paints and is left out where it would
    #: overlap text already placed (its marker stays)
    leave_out_when_crowded: bool = False

    kind: ClassVar[str] = "label"

    def _font(self, painter: QPainter) -> QFont:
        font = QFont(painter.font())
        font.setPointSizeF(self.font_point_size)
        font.setBold(True)
        return font

    def _text_at(self, context: ViewContext) -> QPointF | None:
        """The text's baseline start on this view, or None when the point is too far off it."""
        screen, distance = context.project(self.point_mm)
        if self.max_distance_mm is not None and abs(distance[0]) > self.max_distance_mm:
            return None
        x, y = screen[0]
        return QPointF(x + self.offset_px[0], y + self.offset_px[1])

    def reserve(self, painter: QPainter, context: ViewContext) -> None:
        if not self.leave_out_when_crowded:
            return
        start = self._text_at(context)
        placed = False
        if start is not None:
            metrics = QFontMetricsF(self._font(painter))
            # neighbours' names may touch (85 % of a line, as the level names), not overlap
            box = QRectF(
                start.x() - 1,
                start.y() - metrics.ascent(),
                metrics.horizontalAdvance(self.text) + 2,
                0.85 * metrics.height(),
            )
            placed = context.visible_rect().contains(box) and context.is_free(box)
            if placed:
                context.occupied.append(box)
        context.labels[id(self)] = placed

    def paint(self, painter: QPainter, context: ViewContext) -> None:
        start = self._text_at(context)
        if start is None:
            return
        if self.show_marker:
            painter.setPen(_pen(halo(255), 1.0))
            painter.setBrush(QBrush(self.color))
            painter.drawEllipse(
                QPointF(start.x() - self.offset_px[0], start.y() - self.offset_px[1]), 3.0, 3.0
            )
        if self.leave_out_when_crowded and not context.labels.get(id(self), False):
            return
        painter.setFont(self._font(painter))
        _outlined_text(painter, start, self.text, self.color)
        context.mark_shown(self.role)


@dataclass(eq=False)
class PolylineOverlay(OverlayItem):
    """A polyline (or closed polygon) through patient points ``(n, 3)`` in LPS mm."""

    points_mm: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    closed: bool = False
    width_px: float = 2.0
    dashed: bool = False
    fill_color: QColor | None = None

    kind: ClassVar[str] = "polyline"

    @classmethod
    def rectangle(
        cls,
        center_mm: Sequence[float],
        axis_u: Sequence[float],
        axis_v: Sequence[float],
        half_u_mm: float,
        half_v_mm: float,
        **attributes,
    ) -> PolylineOverlay:
        """A closed rectangle around ``center_mm`` spanned by unit directions ``axis_u/v``.

        E.g. a PA field outline seen on coronal views: ``axis_u = (1, 0, 0)`` (width along x),
        ``axis_v = (0, 0, 1)`` (length along z).
        """
        c = np.asarray(center_mm, float)
        u = np.asarray(axis_u, float) / np.linalg.norm(axis_u) * half_u_mm
        v = np.asarray(axis_v, float) / np.linalg.norm(axis_v) * half_v_mm
        corners = np.array([c - u - v, c + u - v, c + u + v, c - u + v])
        return cls(points_mm=corners, closed=True, **attributes)

    def _screen(self, context: ViewContext) -> np.ndarray | None:
        points = np.asarray(self.points_mm, float).reshape(-1, 3)
        if len(points) < 2 or not self._near(context, points).all():
            return None
        return context.to_screen(points)

    def screen_lines(self, context: ViewContext) -> np.ndarray:
        screen = self._screen(context)
        return np.zeros((0, 4)) if screen is None else _polygon_segments(screen, self.closed)

    def paint(self, painter: QPainter, context: ViewContext) -> None:
        screen = self._screen(context)
        if screen is None:
            return
        context.mark_shown(self.role)
        polygon = QPolygonF([QPointF(float(x), float(y)) for x, y in screen])
        painter.setPen(_pen(self.color, self.width_px, self.dashed, self.role))
        if self.closed:
            painter.setBrush(QBrush(self.fill_color) if self.fill_color else Qt.BrushStyle.NoBrush)
            painter.drawPolygon(polygon)
        else:
            painter.drawPolyline(polygon)


@dataclass(eq=False)
class HeightLineOverlay(OverlayItem):
    """A horizontal line at patient height ``z_mm`` across the whole view, with a label.

    Drawn on sagittal and coronal views only (an axial slice is one height).
    """

    z_mm: float = 0.0
    label: str = ""
    width_px: float = 2.0
    dashed: bool = False
    #: shorter forms of ``label``, longest first, for views too narrow (or too crowded) for it
    short_labels: tuple[str, ...] = ()

    kind: ClassVar[str] = "height line"

    def applies_to(self, context: ViewContext) -> bool:
        return context.geometry.plane != "axial" and super().applies_to(context)

    #: the side of the view the label goes to ("left" or "right"); on the right, below the line
    label_side: str = "left"

    def screen_y(self, context: ViewContext) -> float:
        """The line's height on the view, widget px (found on the slice's vertical through
        its centre)."""
        centre = context.geometry.center_mm.copy()
        centre[2] = self.z_mm
        return float(context.to_screen(centre[None])[0, 1])

    def screen_lines(self, context: ViewContext) -> np.ndarray:
        y, rect = self.screen_y(context), context.image_rect
        return np.array([[rect.left(), y, rect.right(), y]])

    def paint(self, painter: QPainter, context: ViewContext) -> None:
        y = self.screen_y(context)
        rect = context.image_rect
        painter.setPen(_pen(self.color, self.width_px, self.dashed, self.role))
        painter.drawLine(QLineF(rect.left(), y, rect.right(), y))
        visible = context.visible_rect()
        if visible.top() <= y <= visible.bottom():
            context.mark_shown(self.role)
        if self.label and visible.top() <= y <= visible.bottom():
            # zoomed in, the image's left edge may be off screen: the label stays in view,
            # beside the names already written at its height, clear of every other line,
            # shortened if it must be
            placed = place_label(
                painter,
                context,
                [self.label, *self.short_labels],
                y - 4,
                prefer=self.label_side,
                owner=self,
                line_y=y,
                below_first=self.label_side == "right",
            )
            if placed is not None:
                _outlined_text(painter, placed[0], placed[1], self.color)


@dataclass(eq=False)
class MaskOverlay(OverlayItem):
    """A boolean mask volume drawn as a semi-transparent colour (and its outline)."""

    mask: Volume | None = None
    opacity: float = 0.4
    outline: bool = True

    kind: ClassVar[str] = "mask"

    def paint(self, painter: QPainter, context: ViewContext) -> None:
        if self.mask is None:
            return
        geometry = context.geometry
        key = (id(self), self.version, geometry.plane, geometry.index, geometry.grid.shape)
        cached = context.cache.get(("mask", id(self)))
        if cached is None or cached[0] != key:
            cached = (key, *self._render(geometry))
            context.cache[("mask", id(self))] = cached
        _, rgba, image, origin = cached
        if image is None or rgba is None:
            return
        context.mark_shown(self.role)
        (x0, y0), (height, width) = origin, rgba.shape[:2]
        corners = context.pixel_to_screen(
            np.array([[x0 - 0.5, y0 - 0.5], [x0 + width - 0.5, y0 + height - 0.5]])
        )
        painter.drawImage(QRectF(QPointF(*corners[0]), QPointF(*corners[1])), image)

    def _render(self, geometry: SliceGeometry) -> tuple[np.ndarray | None, QImage | None, tuple]:
        """RGBA pixels of the mask's footprint on the slice (None when nothing shows)."""
        assert self.mask is not None
        sampled, (x0, y0) = sample_window_on_plane(self.mask, geometry, order=0, fill=0)
        drawn = sampled.astype(bool, copy=False)
        if drawn.size == 0 or not drawn.any():
            return None, None, (0, 0)
        rows = np.flatnonzero(drawn.any(axis=1))
        cols = np.flatnonzero(drawn.any(axis=0))
        # one pixel of margin keeps the outline inside the drawn image
        r0, r1 = max(rows[0] - 1, 0), min(rows[-1] + 2, drawn.shape[0])
        c0, c1 = max(cols[0] - 1, 0), min(cols[-1] + 2, drawn.shape[1])
        drawn = drawn[r0:r1, c0:c1]
        rgba = np.zeros((*drawn.shape, 4), dtype=np.uint8)
        alpha = float(np.clip(self.opacity, 0.0, 1.0))
        color = (self.color.red(), self.color.green(), self.color.blue())
        rgba[drawn] = [round(c * alpha) for c in color] + [round(255 * alpha)]
        if self.outline:
            padded = np.pad(drawn, 1)
            interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
            rgba[drawn & ~interior] = [*color, 255]
        return rgba, rgba_image(rgba), (x0 + c0, y0 + r0)


@dataclass(eq=False)
class ContourLevel:
    """One iso-line: the value (in the volume's units), its colour and a legend text."""

    value: float
    color: QColor
    label: str = ""
    role: Role | None = None


@dataclass(eq=False)
class ContourOverlay(OverlayItem):
    """Iso-lines of a scalar volume (e.g. dose in % of prescription) at given levels."""

    volume: Volume | None = None
    levels: Sequence[ContourLevel] = ()
    width_px: float = 2.0

    kind: ClassVar[str] = "contours"

    def _lines(self, context: ViewContext) -> list[list[QLineF]]:
        """Each level's segments on the view's slice, in slice pixels (cached)."""
        assert self.volume is not None
        geometry = context.geometry
        key = (id(self), self.version, geometry.plane, geometry.index, geometry.grid.shape)
        cached = context.cache.get(("contours", id(self)))
        if cached is None or cached[0] != key:
            # sample no finer than half the scalar grid's spacing: a dose grid is smooth
            pixel_mm = min(geometry.spacing_x_mm, geometry.spacing_y_mm)
            step = max(1, int(min(self.volume.spacing_mm) / 2.0 / pixel_mm))
            field_2d, origin = sample_window_on_plane(
                self.volume, geometry, order=1, fill=np.nan, pixel_step=step
            )
            offset = np.asarray(origin, dtype=float)
            lines, arrays = [], []
            for level in self.levels:
                segments = (iso_segments(field_2d, level.value) * step + offset).reshape(-1, 4)
                lines.append([QLineF(*row) for row in segments.tolist()])
                arrays.append(segments)
            cached = (key, lines, np.concatenate(arrays) if arrays else np.zeros((0, 4)))
            context.cache[("contours", id(self))] = cached
        return cached[1]

    def screen_lines(self, context: ViewContext) -> np.ndarray:
        if self.volume is None or not self.levels:
            return np.zeros((0, 4))
        self._lines(context)
        pixels = context.cache[("contours", id(self))][2]
        if len(pixels) == 0:
            return np.zeros((0, 4))
        return context.pixel_to_screen(pixels.reshape(-1, 2)).reshape(-1, 4)

    def paint(self, painter: QPainter, context: ViewContext) -> None:
        if self.volume is None or not self.levels:
            return
        lines = self._lines(context)
        # segments are kept in slice pixels; the painter maps them to the screen
        painter.setTransform(context.pixel_transform, True)
        for level, segments in zip(self.levels, lines, strict=True):
            if segments:
                context.mark_shown(level.role)
                painter.setPen(_pen(level.color, self.width_px, role=level.role))
                painter.drawLines(segments)


class OverlayModel(QObject):
    """The overlay items shown on all views of a viewer; emits `changed` on any edit."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[OverlayItem] = []
        #: bumped on every change; views cache their drawn overlays against it
        self.revision = 0
        #: whether each view draws the legend of the roles it shows (View > Legend)
        self.legend_shown = True
        self.changed.connect(self._bump)

    def _bump(self) -> None:
        self.revision += 1

    def add(self, item: OverlayItem) -> OverlayItem:
        """Show ``item`` on every view it applies to; returns it for chaining."""
        self._items.append(item)
        self.changed.emit()
        return item

    def extend(self, items: Iterable[OverlayItem]) -> None:
        self._items.extend(items)
        self.changed.emit()

    def remove(self, item: OverlayItem) -> None:
        if item in self._items:
            self._items.remove(item)
            self.changed.emit()

    def clear(self) -> None:
        self._items.clear()
        self.changed.emit()

    def changed_item(self, item: OverlayItem) -> None:
        """Tell the views that ``item``'s attributes (data, colour, visibility...) changed."""
        item.version += 1
        self.changed.emit()

    def set_visible(self, item: OverlayItem, visible: bool) -> None:
        item.visible = visible
        self.changed_item(item)

    def items(self) -> list[OverlayItem]:
        """Items in drawing order (ascending ``z``, then insertion order)."""
        return sorted(self._items, key=lambda item: item.z)

    def __len__(self) -> int:
        return len(self._items)


def paint_overlays(painter: QPainter, model: OverlayModel, context: ViewContext) -> None:
    """Draw every applicable item of ``model`` on one view, lowest ``z`` first."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    metrics_font = QFont(painter.font())
    items = [item for item in model.items() if item.applies_to(context)]
    for item in items:
        if type(item).screen_lines is not OverlayItem.screen_lines:
            context.lines[id(item)] = item.screen_lines(context)
    for item in items:
        if type(item).reserve is OverlayItem.reserve:
            continue  # claims nothing: skip the painter state round trip
        painter.save()
        painter.setFont(metrics_font)
        item.reserve(painter, context)
        painter.restore()
    for item in items:
        painter.save()
        painter.setFont(metrics_font)
        item.paint(painter, context)
        painter.restore()
    if model.legend_shown and context.shown:
        painter.setFont(metrics_font)
        drawn = [lines for lines in context.lines.values() if len(lines)]
        place = paint_legend(
            painter,
            context.shown,
            context.visible_rect(),
            context.occupied,
            context.image_rect,
            np.concatenate(drawn) if drawn else None,
            context.body,
        )
        context.labels["legend"] = None if place is None else place.box
        context.labels["legend_form"] = None if place is None else place.form
    painter.restore()


def text_width(font: QFont, text: str) -> float:
    return QFontMetricsF(font).horizontalAdvance(text)
