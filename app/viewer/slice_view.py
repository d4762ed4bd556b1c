"""`SliceView`: one plane of one series, painted with QPainter, linked in patient coordinates.

A view shows the slice of its series through the viewer's linked point (LPS mm). The slice is a
numpy view of the voxels (`imaging.reslice`), windowed through a cached look-up table into a
QImage only when the slice or the window changes; zoom, pan, crosshair, overlays and text are
drawn on top at paint time. Pixel aspect follows the voxel spacing, so reformats of
anisotropic series keep their true shape.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.viewer.overlays import ViewContext, paint_overlays
from app.viewer.rendering import Window, WindowLut, rgb32_image
from app.viewer.tools import PatientMouseEvent
from imaging.geometry import patient_direction_letters
from imaging.reslice import (
    PLANE_NORMAL_AXIS,
    SliceGeometry,
    ViewPlane,
    move_to_slice,
    slice_array,
    slice_geometry,
    slice_index_at,
)

if TYPE_CHECKING:
    from app.viewer.viewer import SeriesPanel, Viewer

#: MIME type of a series dragged from the series browser (payload: the series key, UTF-8).
SERIES_MIME = "application/x-spineplan-series"

#: Plane colours (Slicer's convention): crosshair lines take the colour of the plane they show.
PLANE_COLORS: dict[ViewPlane, QColor] = {
    "axial": QColor("#e8574f"),
    "sagittal": QColor("#e8c547"),
    "coronal": QColor("#5cbf60"),
}
PLANE_SHORT = {"axial": "AX", "sagittal": "SAG", "coronal": "COR"}

TEXT_COLOR = QColor("#e6e6e6")
DIM_TEXT_COLOR = QColor("#a8b0b8")
#: Sign, along the plane's LPS normal axis, of scrolling forward: head to feet on axial views,
#: right to left on sagittal views, front to back on coronal views.
READING_DIRECTION: dict[ViewPlane, int] = {"axial": -1, "sagittal": +1, "coronal": +1}
NICE_SCALE_MM = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500)
ZOOM_LIMITS = (0.1, 40.0)


class SliceView(QWidget):
    """One plane of the series shown by a `SeriesPanel` (see the module docstring)."""

    #: emitted after the displayed slice changed (geometry of the new slice)
    slice_changed = Signal(object)

    def __init__(self, viewer: Viewer, panel: SeriesPanel, plane: ViewPlane) -> None:
        super().__init__(panel)
        self.viewer = viewer
        self.panel = panel
        self.plane: ViewPlane = plane
        self.geometry_: SliceGeometry | None = None
        self._pixels: np.ndarray | None = None
        self._image: QImage | None = None
        self._image_pixels: np.ndarray | None = None
        self._image_key: tuple | None = None
        self._layer: QPixmap | None = None
        self._layer_key: tuple | None = None
        #: screen rectangles of the corner text, letters and scale bar (overlays keep clear)
        self._reserved: list[QRectF] = []
        self._font_cache: tuple | None = None
        self._lut = WindowLut()
        self._zoom = 1.0  # relative to "fit"
        self._center_mm: tuple[float, float] | None = None  # in-plane (u, v) at widget centre
        self._drag: tuple[str, QPointF, object] | None = None
        self._tool_drag = False
        self.overlay_cache: dict = {}
        #: duration of the last paint in ms (read by the benchmark)
        self.last_paint_ms = 0.0
        self.setObjectName(f"SliceView_{plane}")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    # -- state ----------------------------------------------------------------------------
    def set_plane(self, plane: ViewPlane) -> None:
        self.plane = plane
        self.setObjectName(f"SliceView_{plane}")
        self.reset_view()
        self.sync_to_point()

    @property
    def volume(self):
        return self.panel.volume

    @property
    def slice_index(self) -> int | None:
        """0-based slice number shown, None when empty."""
        return None if self.geometry_ is None else self.geometry_.index

    @property
    def slice_count(self) -> int:
        return 0 if self.geometry_ is None else self.geometry_.count

    @property
    def zoom(self) -> float:
        """Zoom relative to fitting the whole slice in the view (1.0 = fit)."""
        return self._zoom

    def slice_label(self) -> str:
        """The slice text shown bottom-left, e.g. ``"Slice 8/15   x = 3.0 mm"``."""
        g = self.geometry_
        if g is None:
            return ""
        return f"Slice {g.index + 1}/{g.count}   {g.position_label}"

    def sync_to_point(self) -> None:
        """Show the slice through the viewer's linked point (cheap when nothing changed)."""
        volume = self.volume
        if volume is None:
            self.geometry_ = None
            self._pixels = None
            self.update()
            return
        point = self.viewer.point_mm
        index = slice_index_at(volume, self.plane, point)
        g = self.geometry_
        if (
            g is None
            or g.index != index
            or g.grid_shape != volume.shape
            or g.plane != self.plane
            or g.grid_affine is not volume.affine
        ):
            self.geometry_ = slice_geometry(volume, self.plane, index)
            self._pixels = slice_array(volume.array, self.geometry_)
            self.slice_changed.emit(self.geometry_)
        self.update()

    def reset_view(self) -> None:
        """Fit the slice in the view and centre it."""
        self._zoom = 1.0
        self._center_mm = None
        self.update()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom by ``factor``, keeping the point under ``anchor`` (widget coords) in place."""
        if self.geometry_ is None:
            return
        new_zoom = float(np.clip(self._zoom * factor, *ZOOM_LIMITS))
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        before = self._screen_to_uv(anchor)
        self._zoom = new_zoom
        after = self._screen_to_uv(anchor)
        cu, cv = self._center_uv()
        self._center_mm = (cu + before[0] - after[0], cv + before[1] - after[1])
        self.update()

    def scroll_slices(self, steps: int) -> None:
        """Move ``steps`` slices forward in reading order and move the linked point with them.

        Forward is the same patient direction for every series whatever its slice order:
        towards the feet on axial views, towards the patient's left on sagittal views, towards
        the back on coronal views.
        """
        g = self.geometry_
        if g is None or self.volume is None:
            return
        forward = np.zeros(3)
        forward[PLANE_NORMAL_AXIS[self.plane]] = READING_DIRECTION[self.plane]
        sign = 1 if float(g.normal_direction @ forward) >= 0 else -1
        self.go_to_slice(g.index + sign * steps)

    def go_to_slice(self, index: int) -> None:
        """Show slice ``index`` (0-based, clamped) and move the linked point onto it."""
        g = self.geometry_
        if g is None or self.volume is None:
            return
        target = int(np.clip(index, 0, g.count - 1))
        if target != g.index:
            self.viewer.set_point(
                move_to_slice(self.volume, self.plane, self.viewer.point_mm, target)
            )

    # -- coordinates ----------------------------------------------------------------------
    def _fit_scale(self) -> float:
        g = self.geometry_
        if g is None:
            return 1.0
        width_mm, height_mm = g.extent_mm
        return 0.96 * min(self.width() / width_mm, self.height() / height_mm)

    def screen_px_per_mm(self) -> float:
        return self._fit_scale() * self._zoom

    def _center_uv(self) -> tuple[float, float]:
        if self._center_mm is not None:
            return self._center_mm
        g = self.geometry_
        assert g is not None
        return ((g.width - 1) * g.spacing_x_mm / 2.0, (g.height - 1) * g.spacing_y_mm / 2.0)

    def _screen_to_uv(self, point: QPointF) -> tuple[float, float]:
        scale = self.screen_px_per_mm()
        cu, cv = self._center_uv()
        return (
            cu + (point.x() - self.width() / 2.0) / scale,
            cv + (point.y() - self.height() / 2.0) / scale,
        )

    def pixel_to_screen(self, xy: np.ndarray) -> np.ndarray:
        """Slice pixel coordinates ``(n, 2)`` to widget coordinates ``(n, 2)``."""
        g = self.geometry_
        assert g is not None
        scale = self.screen_px_per_mm()
        cu, cv = self._center_uv()
        xy = np.asarray(xy, float)
        out = np.empty_like(xy)
        out[..., 0] = (xy[..., 0] * g.spacing_x_mm - cu) * scale + self.width() / 2.0
        out[..., 1] = (xy[..., 1] * g.spacing_y_mm - cv) * scale + self.height() / 2.0
        return out

    def pixel_transform(self) -> QTransform:
        """`pixel_to_screen` as a QTransform (for painting geometry kept in slice pixels)."""
        g = self.geometry_
        assert g is not None
        scale = self.screen_px_per_mm()
        cu, cv = self._center_uv()
        return QTransform(
            g.spacing_x_mm * scale,
            0.0,
            0.0,
            g.spacing_y_mm * scale,
            self.width() / 2.0 - cu * scale,
            self.height() / 2.0 - cv * scale,
        )

    def screen_to_pixel(self, point: QPointF) -> np.ndarray:
        """Widget coordinates to continuous slice pixel coordinates ``(x, y)``."""
        g = self.geometry_
        assert g is not None
        u, v = self._screen_to_uv(point)
        return np.array([u / g.spacing_x_mm, v / g.spacing_y_mm])

    def screen_to_patient(self, point: QPointF) -> np.ndarray:
        """Widget coordinates to LPS mm on the displayed slice."""
        assert self.geometry_ is not None
        return self.geometry_.pixel_to_patient(self.screen_to_pixel(point))

    def patient_to_screen(self, xyz_mm: np.ndarray) -> QPointF:
        """LPS mm to widget coordinates (projected onto the displayed slice)."""
        assert self.geometry_ is not None
        x, y = self.pixel_to_screen(self.geometry_.patient_to_pixel(np.asarray(xyz_mm, float)))
        return QPointF(float(x), float(y))

    def image_rect(self) -> QRectF:
        """Widget rectangle covered by the slice pixels (outer edges)."""
        g = self.geometry_
        assert g is not None
        top_left = self.pixel_to_screen(np.array([-0.5, -0.5]))
        bottom_right = self.pixel_to_screen(np.array([g.width - 0.5, g.height - 0.5]))
        return QRectF(QPointF(*top_left), QPointF(*bottom_right))

    def value_at(self, point: QPointF) -> float | None:
        """Voxel value under a widget point, None outside the slice."""
        if self.geometry_ is None or self._pixels is None:
            return None
        x, y = np.rint(self.screen_to_pixel(point)).astype(int)
        if 0 <= x < self.geometry_.width and 0 <= y < self.geometry_.height:
            return float(self._pixels[y, x])
        return None

    # -- painting -------------------------------------------------------------------------
    def _current_image(self, window: Window) -> QImage:
        g = self.geometry_
        assert g is not None and self._pixels is not None
        key = (id(self.volume), g.plane, g.index, window)
        if self._image_key != key or self._image is None:
            self._image_pixels = self._lut.apply_rgb32(self._pixels, window)
            self._image = rgb32_image(self._image_pixels)
            self._image_key = key
        return self._image

    def _layer_pixmap(self, rect: QRectF, context: ViewContext) -> QPixmap:
        """The slice scaled into the view with overlays and corner text drawn on it, cached.

        A crosshair move repaints every view, but only a view whose slice, window, zoom,
        overlays or text changed needs the smooth rescale of the image, the overlays and the
        text again; the others blit this pixmap and draw the crosshair on top.
        """
        image = self._current_image(self.panel.display_window)
        ratio = self.devicePixelRatioF()
        key = (
            self._image_key,
            rect.x(),
            rect.y(),
            rect.width(),
            rect.height(),
            self.width(),
            self.height(),
            ratio,
            self.viewer.overlays.revision,
            self.viewer.show_patient_info,
            self.panel.title(),
        )
        if self._layer_key != key or self._layer is None:
            pixmap = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(QColor("#000000"))
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(rect, image)
            texts = self._annotation_texts()
            context.view_rect = QRectF(self.rect())
            context.occupied = list(self._reserved)
            paint_overlays(painter, self.viewer.overlays, context)
            self._paint_annotations(painter, texts)
            painter.end()
            self._layer, self._layer_key = pixmap, key
        return self._layer

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.perf_counter()
        painter = QPainter(self)
        g = self.geometry_
        if g is None or self.volume is None:
            painter.fillRect(self.rect(), QColor("#000000"))
            self._paint_empty(painter)
            painter.end()
            return
        rect = self.image_rect()
        context = ViewContext(
            geometry=g,
            volume=self.volume,
            pixel_to_screen=self.pixel_to_screen,
            image_rect=rect,
            screen_px_per_mm=self.screen_px_per_mm(),
            cache=self.overlay_cache,
            pixel_transform=self.pixel_transform(),
        )
        painter.drawPixmap(0, 0, self._layer_pixmap(rect, context))
        if self.viewer.show_crosshair:
            self._paint_crosshair(painter)
        self._paint_frame(painter)
        painter.end()
        self.last_paint_ms = (time.perf_counter() - started) * 1e3

    def _paint_empty(self, painter: QPainter) -> None:
        painter.setPen(DIM_TEXT_COLOR)
        painter.drawText(
            self.rect(),
            Qt.AlignmentFlag.AlignCenter,
            "Drop a series here" if self.panel.index > 0 else "",
        )
        self._paint_frame(painter)

    def _paint_frame(self, painter: QPainter) -> None:
        active = self.viewer.active_view is self
        color = PLANE_COLORS[self.plane] if active else QColor("#30363d")
        painter.setPen(QPen(color, 2 if active else 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -1, -1))

    def _paint_crosshair(self, painter: QPainter) -> None:
        g = self.geometry_
        assert g is not None
        centre = self.patient_to_screen(self.viewer.point_mm)
        x, y = round(centre.x()), round(centre.y())
        gap = 10
        # the horizontal line is the plane whose normal points down the screen, and so on
        horizontal_plane = _plane_of_normal(g.down_direction)
        vertical_plane = _plane_of_normal(g.right_direction)
        # One-pixel rectangles, not lines: the raster engine blends a translucent rectangle
        # some fifty times faster than a translucent aliased line (a third of a slice change).
        for plane, rect in (
            (horizontal_plane, QRect(0, y, max(x - gap, 0), 1)),
            (horizontal_plane, QRect(x + gap, y, max(self.width() - x - gap, 0), 1)),
            (vertical_plane, QRect(x, 0, 1, max(y - gap, 0))),
            (vertical_plane, QRect(x, y + gap, 1, max(self.height() - y - gap, 0))),
        ):
            color = QColor(PLANE_COLORS[plane])
            color.setAlpha(170)
            painter.fillRect(rect, color)

    def _paint_annotations(self, painter: QPainter, texts: list[_Text] | None = None) -> None:
        """The corner text, the orientation letters and the scale bar."""
        texts = self._annotation_texts() if texts is None else texts
        for text in texts:
            painter.setFont(text.font)
            _halo_text(painter, text.point, text.text, text.color)
        font, metrics = self._fonts()[0]
        painter.setFont(font)
        bottom_lines = 2  # W/L and zoom
        self._paint_scale_bar(painter, metrics, metrics.height() * bottom_lines + 6.0 + 4)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._font_cache = None
        super().changeEvent(event)

    def _fonts(self) -> tuple[tuple[QFont, QFontMetricsF], tuple[QFont, QFontMetricsF]]:
        """The corner text's and the orientation letters' fonts with their metrics (made once:
        building fonts and metrics on every repaint costs a noticeable part of a millisecond)."""
        if self._font_cache is None:
            text = QFont(self.font())
            text.setPointSizeF(9.0)
            letters = QFont(self.font())
            letters.setPointSizeF(11.0)
            letters.setBold(True)
            self._font_cache = ((text, QFontMetricsF(text)), (letters, QFontMetricsF(letters)))
        return self._font_cache

    def _annotation_texts(self) -> list[_Text]:
        """Where the corner text and the orientation letters go (overlays keep clear of them)."""
        g = self.geometry_
        volume = self.volume
        assert g is not None and volume is not None
        font, metrics = self._fonts()[0]
        line = metrics.height()
        margin = 6.0
        meta = volume.metadata
        window = self.panel.display_window

        top_left = [f"{PLANE_SHORT[g.plane]}  {self.panel.title()}"]
        bottom_left = [self.slice_label()]
        bottom_right = [
            f"W {window.width:.0f}  L {window.center:.0f}" + ("  inv" if window.invert else ""),
            f"Zoom {self.screen_px_per_mm() * min(g.spacing_x_mm, g.spacing_y_mm) * 100:.0f}%",
        ]
        top_right: list[str] = []
        # patient and study lines once per series (the large acquired view), not six times
        if self.viewer.show_patient_info and self is self.panel.views[0]:
            name = meta.patient_name.replace("^", " ").strip()
            top_right = [
                t
                for t in (
                    name,
                    meta.patient_id,
                    _format_date(meta.study_date),
                    meta.study_description,
                )
                if t
            ]
            if meta.institution_name:
                top_right.append(meta.institution_name)

        def widest(lines: list[str]) -> float:
            return max((metrics.horizontalAdvance(t) for t in lines), default=0.0)

        # In a narrow view the two bottom corners would overwrite each other: shorten the
        # slice text first ("241/480"), and if even that does not fit, lift it above the
        # bottom-right block.
        lift = 0.0
        room = self.width() - widest(bottom_right) - 3 * margin
        if widest(bottom_left) > room:
            bottom_left = [f"{g.index + 1}/{g.count}  {g.position_label}"]
            if widest(bottom_left) > room:
                bottom_left = [f"{g.index + 1}/{g.count}"]
                lift = (len(bottom_right) + 1) * line if widest(bottom_left) > room else 0.0
        # The view title and the patient lines share the top edge: the title is elided to the
        # room the patient lines leave, and they start below it when even a short title would
        # not fit beside them.
        top_drop = 0.0
        title = top_left[0]
        elide = Qt.TextElideMode.ElideRight
        title_width = metrics.horizontalAdvance(title)
        if title_width > self.width() - 2 * margin:
            top_left = [metrics.elidedText(title, elide, self.width() - 2 * margin)]
        if top_right:
            room = self.width() - widest(top_right) - 3 * margin
            if title_width > room:
                short = metrics.elidedText(title, elide, max(room, 0.0))
                if len(short) >= 8:
                    top_left = [short]
                else:
                    top_drop = line

        texts: list[_Text] = []

        def place(lines: list[str], corner: str) -> None:
            for n, text in enumerate(lines):
                width = metrics.horizontalAdvance(text)
                x = margin if corner.endswith("left") else self.width() - margin - width
                if corner.startswith("top"):
                    y = margin + metrics.ascent() + n * line
                    if corner == "top-right":
                        y += top_drop
                else:
                    y = self.height() - margin - metrics.descent() - (len(lines) - 1 - n) * line
                    if corner == "bottom-left":
                        y -= lift
                color = PLANE_COLORS[g.plane] if (corner == "top-left" and n == 0) else TEXT_COLOR
                texts.append(_Text(font, QPointF(x, y), text, color, metrics, width))

        place(top_left, "top-left")
        place(top_right, "top-right")
        place(bottom_left, "bottom-left")
        place(bottom_right, "bottom-right")
        self._reserved = [t.box for t in texts]
        self._reserved.append(self._scale_bar_rect(metrics, line * len(bottom_right) + margin + 4))
        texts.extend(self._orientation_letters(g, self._reserved))
        self._reserved.extend(t.box for t in texts[-4:])
        return texts

    def _orientation_letters(self, g: SliceGeometry, taken: list[QRectF]) -> list[_Text]:
        """The four edge letters; the top and bottom ones step inwards, line by line, off the
        corner text they would otherwise cover in a narrow view."""
        font, metrics = self._fonts()[1]
        right = patient_direction_letters(g.right_direction)
        left = patient_direction_letters(-g.right_direction)
        down = patient_direction_letters(g.down_direction)
        up = patient_direction_letters(-g.down_direction)
        w, h = self.width(), self.height()
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
            _Text(font, point, text, LETTER_COLOR, metrics, width)
            for point, text, width in zip(points, (up, down, left, right), widths, strict=True)
        ]
        for n, step in ((0, metrics.height()), (1, -metrics.height())):
            letter = letters[n]
            for _ in range(8):
                if not any(letter.box.intersects(r) for r in taken):
                    break
                letter = replace(letter, point=letter.point + QPointF(0, step))
            letters[n] = letter
        return letters

    def _scale_bar(self, metrics: QFontMetricsF, bottom: float) -> tuple[float, float, float, int]:
        """The scale bar's left and right x, its y and its length in mm."""
        scale = self.screen_px_per_mm()
        target_px = self.width() / 5.0
        length_mm = NICE_SCALE_MM[0]
        for candidate in NICE_SCALE_MM:
            if candidate * scale <= target_px:
                length_mm = candidate
        x1 = self.width() - 10.0
        return x1 - length_mm * scale, x1, self.height() - bottom - 10, length_mm

    def _scale_bar_rect(self, metrics: QFontMetricsF, bottom: float) -> QRectF:
        """The screen rectangle of the scale bar and its label."""
        x0, x1, y, length_mm = self._scale_bar(metrics, bottom)
        label_width = metrics.horizontalAdvance(f"{length_mm} mm")
        left = min(x0, x1 - label_width) - 2
        return QRectF(left, y - 6 - metrics.ascent(), x1 - left + 2, metrics.ascent() + 6 + 4)

    def _paint_scale_bar(self, painter: QPainter, metrics: QFontMetricsF, bottom: float) -> None:
        x0, x1, y, length_mm = self._scale_bar(metrics, bottom)
        painter.setPen(QPen(QColor(0, 0, 0, 200), 4))
        painter.drawLine(QLineF(x0, y, x1, y))
        painter.setPen(QPen(TEXT_COLOR, 2))
        painter.drawLine(QLineF(x0, y, x1, y))
        for x in (x0, x1):
            painter.drawLine(QLineF(x, y - 4, x, y + 1))
        label = f"{length_mm} mm"
        _halo_text(
            painter, QPointF(x1 - metrics.horizontalAdvance(label), y - 6), label, TEXT_COLOR
        )

    # -- events ---------------------------------------------------------------------------
    def _patient_event(self, event: QMouseEvent) -> PatientMouseEvent | None:
        if self.geometry_ is None:
            return None
        pixel = self.screen_to_pixel(event.position())
        return PatientMouseEvent(
            position_mm=self.geometry_.pixel_to_patient(pixel),
            pixel_xy=pixel,
            plane=self.plane,
            geometry=self.geometry_,
            button=event.button(),
            buttons=event.buttons(),
            modifiers=event.modifiers(),
            view=self,
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.viewer.set_active_view(self)
        if self.geometry_ is None:
            return
        button = event.button()
        pos = event.position()
        if button == Qt.MouseButton.LeftButton:
            tool = self.viewer.tool
            patient_event = self._patient_event(event)
            if tool is not None and patient_event is not None and tool.press(patient_event):
                self._tool_drag = True
                return
            mode = self.viewer.left_mode
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                mode = "pan"
        elif button == Qt.MouseButton.RightButton:
            mode = "window"
        elif button == Qt.MouseButton.MiddleButton:
            mode = "pan"
        else:
            return
        if mode == "crosshair":
            self.viewer.set_point(self.screen_to_patient(pos))
        start_state: object = None
        if mode == "window":
            start_state = self.panel.display_window
        elif mode == "pan":
            start_state = self._center_uv()
        elif mode == "zoom":
            start_state = self._zoom
        self._drag = (mode, pos, start_state)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._tool_drag and self.viewer.tool is not None:
            patient_event = self._patient_event(event)
            if patient_event is not None:
                self.viewer.tool.move(patient_event)
        elif self._drag is not None:
            mode, start, state = self._drag
            dx, dy = pos.x() - start.x(), pos.y() - start.y()
            if mode == "crosshair":
                self.viewer.set_point(self.screen_to_patient(pos))
            elif mode == "window":
                assert isinstance(state, Window)
                # right/left: wider/narrower window; down/up: higher/lower level
                width = max(1.0, state.width * math.exp(dx / 150.0))
                center = state.center + dy * state.width / 300.0
                self.panel.set_window(Window(center, width, state.invert), preset="Manual")
            elif mode == "pan":
                assert isinstance(state, tuple)
                scale = self.screen_px_per_mm()
                self._center_mm = (state[0] - dx / scale, state[1] - dy / scale)
                self.update()
            elif mode == "zoom":
                assert isinstance(state, float)
                self._zoom = float(np.clip(state * math.exp(-dy / 150.0), *ZOOM_LIMITS))
                self.update()
        elif self.viewer.tool is not None and event.buttons() == Qt.MouseButton.NoButton:
            patient_event = self._patient_event(event)
            if patient_event is not None:
                self.viewer.tool.move(patient_event)
        self._emit_readout(pos)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._tool_drag and self.viewer.tool is not None:
            patient_event = self._patient_event(event)
            if patient_event is not None:
                self.viewer.tool.release(patient_event)
        self._tool_drag = False
        self._drag = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.viewer.tool is None:
            self.viewer.toggle_maximized(self)

    def leaveEvent(self, event) -> None:
        self.viewer.readout.emit("")
        super().leaveEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta == 0:
            return
        self.viewer.set_active_view(self)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.15 ** (delta / 120.0), event.position())
        else:
            steps = int(np.sign(delta)) * max(1, abs(delta) // 120)
            self.scroll_slices(
                -steps
            )  # wheel away from the user = previous slice, like most viewers
        event.accept()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        page = max(1, self.slice_count // 10)
        steps = {
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_Left: -1,
            Qt.Key.Key_Right: 1,
            Qt.Key.Key_PageUp: -page,
            Qt.Key.Key_PageDown: page,
        }
        if key in steps:
            self.scroll_slices(steps[key])
        elif key == Qt.Key.Key_Home:
            self.scroll_slices(-self.slice_count)
        elif key == Qt.Key.Key_End:
            self.scroll_slices(self.slice_count)
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event) -> None:
        self.viewer.set_active_view(self)
        super().focusInEvent(event)

    def _emit_readout(self, pos: QPointF) -> None:
        if self.geometry_ is None:
            return
        xy = self.screen_to_pixel(pos)
        x, y = np.rint(xy).astype(int)
        if not (0 <= x < self.geometry_.width and 0 <= y < self.geometry_.height):
            self.viewer.readout.emit("")
            return
        xyz = self.geometry_.pixel_to_patient(xy)
        value = self.value_at(pos)
        unit = f" {self.volume.metadata.units}" if self.volume.metadata.units else ""
        self.viewer.readout.emit(
            f"{self.panel.title()} · {PLANE_SHORT[self.plane]} slice {self.geometry_.index + 1}"
            f" · pixel ({x}, {y}) · value {value:.6g}{unit} · "
            f"LPS ({xyz[0]:.1f}, {xyz[1]:.1f}, {xyz[2]:.1f}) mm"
        )

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(SERIES_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        data = event.mimeData()
        if data.hasFormat(SERIES_MIME):
            key = bytes(data.data(SERIES_MIME).data()).decode("utf-8")
            self.viewer.series_dropped.emit(key, self.panel.index)
            event.acceptProposedAction()

    def sizeHint(self) -> QSize:
        return QSize(400, 400)


def _plane_of_normal(direction: np.ndarray) -> ViewPlane:
    return ("sagittal", "coronal", "axial")[int(np.argmax(np.abs(direction)))]


@dataclass(frozen=True)
class _Text:
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


_HALO_COLOR = QColor(0, 0, 0, 220)
LETTER_COLOR = QColor("#f0d080")


def _halo_text(painter: QPainter, point: QPointF, text: str, color: QColor) -> None:
    painter.setPen(_HALO_COLOR)
    for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        painter.drawText(point + QPointF(dx, dy), text)
    painter.setPen(color)
    painter.drawText(point, text)


def _format_date(value: str) -> str:
    if len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value
