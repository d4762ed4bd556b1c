"""The series browser: every series of the study with thumbnail, description, orientation, size.

Double-click shows a series in the main panel; drag it onto any view to show it there; the
context menu also offers the side-by-side panel.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QMenu, QWidget

from app.viewer.rendering import WindowLut, gray_image
from app.viewer.slice_view import SERIES_MIME
from app.viewer.window_presets import PRESETS, default_preset
from imaging.discovery import SeriesInfo
from imaging.reslice import extract_slice, planes_for
from imaging.volume import Volume

THUMBNAIL_PX = 72
KEY_ROLE = Qt.ItemDataRole.UserRole


def series_summary(info: SeriesInfo) -> str:
    """Two-line text of a series: number and description; modality, plane, size."""
    number = f"{info.series_number}  " if info.series_number is not None else ""
    first = f"{number}{info.description or '(no description)'}"
    if info.error:
        return f"{first}\n{info.modality} · cannot be shown"
    k, j, i = info.shape
    return f"{first}\n{info.modality} · {info.orientation} · {i}×{j}×{k}"


def thumbnail(volume: Volume) -> QPixmap:
    """The middle acquired slice, in the series' default window, fitted in a square."""
    plane = planes_for(volume)[0]
    centre = volume.index_to_patient((np.asarray(volume.size_ijk, float) - 1) / 2.0)
    pixels, geometry = extract_slice(volume, plane, centre)
    window = PRESETS[default_preset(volume)](volume)
    u8 = WindowLut().apply(pixels, window)
    image = gray_image(u8).copy()
    width_mm, height_mm = geometry.extent_mm
    scale = THUMBNAIL_PX / max(width_mm, height_mm)
    scaled = image.scaled(
        max(1, round(width_mm * scale)),
        max(1, round(height_mm * scale)),
        Qt.AspectRatioMode.IgnoreAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
    return _framed(scaled)


def placeholder(text: str, color: str = "#59636e") -> QPixmap:
    pixmap = QPixmap(THUMBNAIL_PX, THUMBNAIL_PX)
    pixmap.fill(QColor("#101418"))
    painter = QPainter(pixmap)
    painter.setPen(QColor(color))
    font = QFont(painter.font())
    font.setPointSizeF(8.0)
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
    painter.end()
    return pixmap


def _framed(image: QImage) -> QPixmap:
    pixmap = QPixmap(THUMBNAIL_PX, THUMBNAIL_PX)
    pixmap.fill(QColor("#000000"))
    painter = QPainter(pixmap)
    painter.drawImage(
        (THUMBNAIL_PX - image.width()) // 2, (THUMBNAIL_PX - image.height()) // 2, image
    )
    painter.end()
    return pixmap


class SeriesBrowser(QListWidget):
    """List of the study's series (see the module docstring)."""

    #: show series ``key`` in panel ``index`` (0 main, 1 side by side)
    series_activated = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SeriesBrowser")
        self.setIconSize(QSize(THUMBNAIL_PX, THUMBNAIL_PX))
        self.setSpacing(2)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        # activation = double-click, or Enter on the selected series
        self.itemActivated.connect(lambda item: self.series_activated.emit(item.data(KEY_ROLE), 0))

    def set_series(self, series: list[SeriesInfo]) -> None:
        """List the discovered series (thumbnails follow as each series loads)."""
        self.clear()
        for info in series:
            item = QListWidgetItem(series_summary(info))
            item.setData(KEY_ROLE, info.key)
            tooltip = [info.label, *info.warnings]
            if info.error:
                item.setIcon(QIcon(placeholder("cannot\nbe shown", "#e06c60")))
                item.setForeground(QColor("#e06c60"))
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDragEnabled)
                tooltip.append(info.error)
            else:
                item.setIcon(QIcon(placeholder(f"{info.modality}\nloading…")))
            item.setToolTip("\n".join(tooltip))
            self.addItem(item)

    def item_for(self, key: str) -> QListWidgetItem | None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(KEY_ROLE) == key:
                return item
        return None

    def set_loaded(self, key: str, volume: Volume) -> None:
        item = self.item_for(key)
        if item is not None:
            item.setIcon(QIcon(thumbnail(volume)))

    def set_failed(self, key: str, message: str) -> None:
        item = self.item_for(key)
        if item is not None:
            item.setIcon(QIcon(placeholder("failed", "#e06c60")))
            item.setForeground(QColor("#e06c60"))
            item.setToolTip(f"{item.toolTip()}\n{message}")

    def set_current_key(self, key: str) -> None:
        item = self.item_for(key)
        if item is not None:
            self.setCurrentItem(item)

    def mimeTypes(self) -> list[str]:
        return [SERIES_MIME]

    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        if items:
            data.setData(SERIES_MIME, str(items[0].data(KEY_ROLE)).encode("utf-8"))
        return data

    def _context_menu(self, position) -> None:
        item = self.itemAt(position)
        if item is None:
            return
        key = item.data(KEY_ROLE)
        menu = QMenu(self)
        main = QAction("Show in main panel", menu)
        main.triggered.connect(lambda: self.series_activated.emit(key, 0))
        side = QAction("Show side by side", menu)
        side.triggered.connect(lambda: self.series_activated.emit(key, 1))
        menu.addActions([main, side])
        menu.exec(self.viewport().mapToGlobal(position))
