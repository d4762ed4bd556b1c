"""`MappedSliceWidget`: a widget showing one slice geometry at a zoom and pan.

The base of `SliceView`: it holds the displayed slice's geometry, the zoom (relative to fitting
the slice in the widget) and the pan (the in-plane point at the widget centre, in mm), and maps
between widget coordinates, continuous slice pixels and patient LPS mm. Pixel aspect follows
the voxel spacing, so reformats of anisotropic series keep their true shape.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QWidget

from imaging.reslice import SliceGeometry

#: zoom range, relative to fitting the whole slice in the view
ZOOM_LIMITS = (0.1, 40.0)


class ViewState(NamedTuple):
    """A view's zoom (relative to fit) and pan (in-plane u, v mm at the centre; None =
    centred)."""

    zoom: float
    center_mm: tuple[float, float] | None


class MappedSliceWidget(QWidget):
    """Slice geometry, zoom and pan of a view and the maps between its coordinate frames."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.geometry_: SliceGeometry | None = None
        self._zoom = 1.0  # relative to "fit"
        self._center_mm: tuple[float, float] | None = None  # in-plane (u, v) at widget centre

    # -- zoom and pan ---------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        """Zoom relative to fitting the whole slice in the view (1.0 = fit)."""
        return self._zoom

    def reset_view(self) -> None:
        """Fit the slice in the view and centre it."""
        self._zoom = 1.0
        self._center_mm = None
        self.update()

    def view_state(self) -> ViewState:
        """The zoom and pan, to give back with `restore_view_state`."""
        return ViewState(self._zoom, self._center_mm)

    def restore_view_state(self, state: ViewState) -> None:
        self._zoom, self._center_mm = state.zoom, state.center_mm
        self.update()

    def set_zoom(self, zoom: float) -> None:
        """Set the zoom (relative to fit, clamped to `ZOOM_LIMITS`), keeping the centre."""
        self._zoom = float(np.clip(zoom, *ZOOM_LIMITS))
        self.update()

    def set_center_uv(self, center_mm: tuple[float, float]) -> None:
        """Pan so the in-plane point ``center_mm`` (u, v in mm) is at the widget centre."""
        self._center_mm = center_mm
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
        cu, cv = self.center_uv()
        self._center_mm = (cu + before[0] - after[0], cv + before[1] - after[1])
        self.update()

    # -- coordinates ----------------------------------------------------------------------
    def _fit_scale(self) -> float:
        g = self.geometry_
        if g is None:
            return 1.0
        width_mm, height_mm = g.extent_mm
        return 0.96 * min(self.width() / width_mm, self.height() / height_mm)

    def screen_px_per_mm(self) -> float:
        """Widget pixels per in-plane mm at the current zoom."""
        return self._fit_scale() * self._zoom

    def center_uv(self) -> tuple[float, float]:
        """The in-plane point (u, v in mm from the first pixel's centre) at the widget centre."""
        if self._center_mm is not None:
            return self._center_mm
        g = self.geometry_
        assert g is not None
        return ((g.width - 1) * g.spacing_x_mm / 2.0, (g.height - 1) * g.spacing_y_mm / 2.0)

    def _screen_to_uv(self, point: QPointF) -> tuple[float, float]:
        scale = self.screen_px_per_mm()
        cu, cv = self.center_uv()
        return (
            cu + (point.x() - self.width() / 2.0) / scale,
            cv + (point.y() - self.height() / 2.0) / scale,
        )

    def pixel_to_screen(self, xy: np.ndarray) -> np.ndarray:
        """Slice pixel coordinates ``(n, 2)`` to widget coordinates ``(n, 2)``."""
        g = self.geometry_
        assert g is not None
        scale = self.screen_px_per_mm()
        cu, cv = self.center_uv()
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
        cu, cv = self.center_uv()
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
