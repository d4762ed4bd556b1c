"""Folders and files dropped on the main window: only local files are accepted."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl


def accepts_drop(mime: QMimeData) -> bool:
    """True when ``mime`` carries URLs and every one is a local file or folder."""
    urls = mime.urls()
    return bool(urls) and all(url.isLocalFile() for url in urls)


def dropped_paths(mime: QMimeData) -> list[str]:
    """The local paths among the URLs of ``mime``."""
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


def local_urls(paths: Sequence[str | Path]) -> list[QUrl]:
    """File URLs for drag-and-drop (used by tests and by the drop handler's callers)."""
    return [QUrl.fromLocalFile(str(Path(p).resolve())) for p in paths]
