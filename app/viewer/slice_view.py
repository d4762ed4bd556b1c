"""`SliceView`: one plane of one series, painted with QPainter, linked in patient coordinates.

A view shows the slice of its series through the viewer's linked point (LPS mm). The slice is a
numpy view of the voxels (`imaging.reslice`), windowed through a cached look-up table into a
QImage only when the slice or the window changes; zoom, pan, crosshair, overlays and text are
drawn on top at paint time. The view is put together from small parts: the screen mapping
(`screen_mapping`, its base class), the cached image layer (`image_layer`), the corner text,
orientation letters and scale bar (`view_text`), the plane colours, crosshair and frame
(`plane_marks`) and the mouse and keyboard (`view_interaction`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPixmap, QWheelEvent
from PySide6.QtWidgets import QSizePolicy

from app.viewer.body_on_screen import body_on_screen
from app.viewer.colours import qcolor
from app.viewer.image_layer import SliceImageLayer
from app.viewer.legend import paint_expanded_legend
from app.viewer.overlays import ViewContext, paint_overlays
from app.viewer.plane_marks import paint_crosshair, paint_frame
from app.viewer.screen_mapping import MappedSliceWidget
from app.viewer.view_interaction import ViewInteraction
from app.viewer.view_text import (
    ViewFonts,
    ViewText,
    layout_view_text,
    paint_view_text,
    patient_lines,
    view_fonts,
)
from imaging.reslice import (
    PLANE_NORMAL_AXIS,
    ViewPlane,
    move_to_slice,
    slice_array,
    slice_geometry,
    slice_index_at,
)
from planning.display import palette

if TYPE_CHECKING:
    from app.viewer.view_links import PanelLinks, ViewerLinks

#: MIME type of a series dragged from the series browser (payload: the series key, UTF-8).
SERIES_MIME = "application/x-spineplan-series"

DIM_TEXT_COLOR = qcolor(palette.DIM_TEXT_ON_IMAGE)
#: Sign, along the plane's LPS normal axis, of scrolling forward: head to feet on axial views,
#: right to left on sagittal views, front to back on coronal views.
READING_DIRECTION: dict[ViewPlane, int] = {"axial": -1, "sagittal": +1, "coronal": +1}


class SliceView(MappedSliceWidget):
    """One plane of the series shown by a `SeriesPanel` (see the module docstring)."""

    #: emitted after the displayed slice changed (geometry of the new slice)
    slice_changed = Signal(object)

    def __init__(self, viewer: ViewerLinks, panel: PanelLinks, plane: ViewPlane) -> None:
        super().__init__(panel)
        self.viewer = viewer
        self.panel = panel
        self.plane: ViewPlane = plane
        self._pixels: np.ndarray | None = None
        self._pixels_of: object = None  # the volume ``_pixels`` were cut from
        self._layer = SliceImageLayer()
        #: screen rectangles of the corner text, letters and scale bar (overlays keep clear)
        self._reserved: list[QRectF] = []
        self._font_cache: ViewFonts | None = None
        self._interaction = ViewInteraction(self)
        self.overlay_cache: dict = {}
        #: the collapsed legend's box and the roles it names (set when the layer is drawn)
        self.legend_chip: QRectF | None = None
        self._legend_roles: list = []
        #: the full legend opened from the chip while the pointer is on it or while it is held
        #: open from the keyboard (None: closed)
        self.expanded_legend: QRectF | None = None
        self._legend_open = False
        self.legend_held_open = False
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
        point = self.viewer.point_for(volume)
        index = slice_index_at(volume, self.plane, point)
        g = self.geometry_
        if (
            g is None
            or g.index != index
            or g.plane != self.plane
            or g.grid is not volume.geometry
            or self._pixels_of is not volume
        ):
            self.geometry_ = slice_geometry(volume, self.plane, index)
            self._pixels = slice_array(volume.array, self.geometry_)
            self._pixels_of = volume
            self.slice_changed.emit(self.geometry_)
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
            volume = self.volume
            point = move_to_slice(volume, self.plane, self.viewer.point_for(volume), target)
            self.viewer.set_point(point, volume.frame_of_reference_uid)

    def value_at(self, point: QPointF) -> float | None:
        """Voxel value under a widget point, None outside the slice."""
        if self.geometry_ is None or self._pixels is None:
            return None
        x, y = np.rint(self.screen_to_pixel(point)).astype(int)
        if 0 <= x < self.geometry_.width and 0 <= y < self.geometry_.height:
            return float(self._pixels[y, x])
        return None

    # -- painting -------------------------------------------------------------------------
    def _layer_pixmap(self, rect: QRectF, context: ViewContext) -> QPixmap:
        """The slice scaled into the view with overlays and corner text drawn on it, cached
        (see `SliceImageLayer`)."""
        g = self.geometry_
        pixels, volume = self._pixels, self.volume
        assert g is not None and pixels is not None and volume is not None
        window = self.panel.display_window
        image = self._layer.image(pixels, (id(volume), g.plane, g.index, window), window)
        ratio = self.devicePixelRatioF()
        key = (
            self._layer.image_key,
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

        def paint(painter: QPainter) -> None:
            painter.drawImage(rect, image)
            texts = self._annotation_texts()
            context.view_rect = QRectF(self.rect())
            context.occupied = list(self._reserved)
            if self.viewer.overlays.legend_shown:
                context.body = body_on_screen(
                    self.overlay_cache, volume, g, pixels, context.pixel_transform
                )
            paint_overlays(painter, self.viewer.overlays, context)
            self._paint_annotations(painter, texts)
            chip = context.labels.get("legend_form") == "chip"
            self.legend_chip = context.labels.get("legend") if chip else None
            self._legend_roles = list(context.shown)

        return self._layer.pixmap(key, self.width(), self.height(), ratio, paint)

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.perf_counter()
        painter = QPainter(self)
        g = self.geometry_
        if g is None or self.volume is None:
            painter.fillRect(self.rect(), qcolor(palette.IMAGE_SURROUND))
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
        self.expanded_legend = None
        if (self._legend_open or self.legend_held_open) and self.legend_chip is not None:
            self.expanded_legend = paint_expanded_legend(
                painter, self._legend_roles, self.legend_chip, QRectF(self.rect())
            )
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
        paint_frame(painter, self.rect(), self.plane, self.viewer.active_view is self)

    def _paint_crosshair(self, painter: QPainter) -> None:
        g = self.geometry_
        assert g is not None
        assert self.volume is not None
        centre = self.patient_to_screen(self.viewer.point_for(self.volume))
        paint_crosshair(painter, g, centre, self.width(), self.height())

    def _paint_annotations(self, painter: QPainter, texts: list[ViewText] | None = None) -> None:
        """The corner text, the orientation letters and the scale bar."""
        texts = self._annotation_texts() if texts is None else texts
        paint_view_text(
            painter, texts, self._fonts(), self.width(), self.height(), self.screen_px_per_mm()
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._font_cache = None
        super().changeEvent(event)

    def _fonts(self) -> ViewFonts:
        """The corner text's and the orientation letters' fonts, made once per widget font."""
        if self._font_cache is None:
            self._font_cache = view_fonts(self.font())
        return self._font_cache

    def _annotation_texts(self) -> list[ViewText]:
        """Where the corner text and the orientation letters go (overlays keep clear of them:
        their rectangles and the scale bar's are kept in ``_reserved``)."""
        g = self.geometry_
        volume = self.volume
        assert g is not None and volume is not None
        # patient and study lines once per series (the large acquired view), not six times
        top_right: list[str] = []
        if self.viewer.show_patient_info and self is self.panel.views[0]:
            top_right = patient_lines(volume.metadata)
        texts, self._reserved = layout_view_text(
            self._fonts(),
            self.width(),
            self.height(),
            g,
            self.panel.title(),
            self.slice_label(),
            self.panel.display_window,
            self.screen_px_per_mm(),
            top_right,
        )
        return texts

    # -- events ---------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._interaction.press(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._interaction.move(event)
        self._open_legend(
            self.legend_chip is not None and self.legend_chip.contains(event.position())
        )

    def _open_legend(self, shown: bool) -> None:
        """Open the full legend over the view while the pointer is on its chip."""
        if shown != self._legend_open:
            self._legend_open = shown
            self.update()

    def hold_legend_open(self, held: bool) -> None:
        """Keep the full legend open from the chip without the pointer (the keyboard's way,
        View > Open the legend chip); the pointer leaving the chip does not close it."""
        if held != self.legend_held_open:
            self.legend_held_open = held
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._interaction.release(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self._interaction.double_click(event)

    def leaveEvent(self, event) -> None:
        self.viewer.readout.emit("")
        self._open_legend(False)
        super().leaveEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._interaction.wheel(event)

    def keyPressEvent(self, event) -> None:
        if not self._interaction.key(event):
            super().keyPressEvent(event)

    def focusInEvent(self, event) -> None:
        self.viewer.set_active_view(self)
        super().focusInEvent(event)

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
