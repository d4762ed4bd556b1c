"""`SliceImageLayer`: a view's cached slice image and cached scaled layer.

Two caches, each rebuilt only when its key changes: the windowed slice as a QImage (the slice
pixels through the window's look-up table), and the layer pixmap (the image smoothly scaled into
the view with overlays and corner text drawn on it). A crosshair move repaints every view, but
only a view whose slice, window, zoom, overlays or text changed needs the rescale, overlays and
text again; the others blit the layer and draw the crosshair on top.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np
from PySide6.QtGui import QImage, QPainter, QPixmap

from app.viewer.colours import qcolor
from app.viewer.rendering import Window, WindowLut, rgb32_image
from planning.display import palette


class SliceImageLayer:
    """The windowed slice image and the view-sized layer pixmap of one view, cached."""

    def __init__(self) -> None:
        self._lut = WindowLut()
        self._image: QImage | None = None
        self._image_pixels: np.ndarray | None = None  # the buffer the QImage reads
        self.image_key: Hashable | None = None
        self._pixmap: QPixmap | None = None
        self._pixmap_key: Hashable | None = None

    def image(self, pixels: np.ndarray, key: Hashable, window: Window) -> QImage:
        """The slice ``pixels`` windowed by ``window``; rebuilt only when ``key`` (naming the
        slice and the window) differs from the last call's."""
        if self.image_key != key or self._image is None:
            self._image_pixels = self._lut.apply_rgb32(pixels, window)
            self._image = rgb32_image(self._image_pixels)
            self.image_key = key
        return self._image

    def pixmap(
        self,
        key: Hashable,
        width: int,
        height: int,
        ratio: float,
        paint: Callable[[QPainter], None],
    ) -> QPixmap:
        """The ``width`` x ``height`` layer (device pixel ratio ``ratio``), black and then drawn
        by ``paint`` with smooth pixmap scaling; repainted only when ``key`` (everything the
        drawing depends on) differs from the last call's."""
        if self._pixmap_key != key or self._pixmap is None:
            pixmap = QPixmap(round(width * ratio), round(height * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(qcolor(palette.IMAGE_SURROUND))
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            paint(painter)
            painter.end()
            self._pixmap, self._pixmap_key = pixmap, key
        return self._pixmap
