"""PNG export of the active view or of the whole main window (File > Export ... as PNG)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QMainWindow, QWidget

if TYPE_CHECKING:
    from app.viewer.viewer import Viewer


def save_png(pixmap: QPixmap, path: Path) -> Path:
    """Write ``pixmap`` to ``path`` (folders made as needed); OSError when it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(path), "PNG"):
        raise OSError(f"could not write the image {path}")
    return path


def export_view_png(viewer: Viewer, path: str | Path) -> Path:
    """Write the active view (as on screen, with overlays and text) to a PNG file."""
    view = viewer.active_view or viewer.panels[0].views[0]
    return save_png(view.grab(), Path(path))


def export_window_png(window: QWidget, path: str | Path) -> Path:
    """Write the whole window to a PNG file."""
    return save_png(window.grab(), Path(path))


def choose_and_export(
    window: QMainWindow,
    title: str,
    default_name: str,
    export: Callable[[str], Path],
    add_message: Callable[[str, str], None],
) -> None:
    """Ask for a file name, export, and say where the file went (or why it did not): in the
    status bar of ``window``, or with ``add_message(level, text)``."""
    path, _ = QFileDialog.getSaveFileName(window, title, default_name, "PNG images (*.png)")
    if not path:
        return
    try:
        written = export(path)
    except OSError as error:
        add_message("error", str(error))
        return
    window.statusBar().showMessage(f"Saved {written}", 5000)
