"""What the main window keeps in its QSettings: recent studies, geometry, dock layout and the
automatic comparison choice. A window made with ``settings=None`` keeps nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from imaging.pacs.cache_names import in_pacs_cache, study_folder_name

#: length of File > Open recent
MAX_RECENT = 8
#: version of the saved dock layout; bumped when the default arrangement changes, so that an
#: older saved layout gives way to the new default once
LAYOUT_VERSION = 1


def recent_studies(settings: QSettings | None) -> list[str]:
    """The paths of the recently opened studies and case files, newest first."""
    if settings is None:
        return []
    value = settings.value("recent_studies", [])
    if isinstance(value, str):  # QSettings hands back a lone string for a one-item list
        value = [value]
    return [str(v) for v in value] if isinstance(value, list) else []


class RecentStudies:
    """File > Open recent: the paths kept in ``settings``, listed in ``menu``; choosing one
    calls ``open_path`` with it."""

    def __init__(
        self, settings: QSettings | None, menu: QMenu, open_path: Callable[[str], None]
    ) -> None:
        self.settings, self.menu, self.open_path = settings, menu, open_path

    def remember(self, path: Path) -> None:
        """Put ``path`` first in File > Open recent."""
        if self.settings is None:
            return
        text = str(path.resolve())
        recent = [text, *[p for p in recent_studies(self.settings) if p != text]][:MAX_RECENT]
        self.settings.setValue("recent_studies", recent)
        self.rebuild_menu()

    def rebuild_menu(self) -> None:
        """Fill File > Open recent from the settings (disabled when empty)."""
        self.menu.clear()
        recent = recent_studies(self.settings)
        for path in recent:
            action = self.menu.addAction(recent_entry_text(path))
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(lambda _checked=False, path=path: self.open_path(path))
        self.menu.setEnabled(bool(recent))


def recent_entry_text(path: str) -> str:
    """How File > Open recent names ``path``: a case file or a study folder, with its folder;
    a study retrieved from the PACS by its patient ID and date."""
    where = Path(path)
    if where.name.endswith(".spineplan.json"):
        return f"{where.name} (case file) — {where.parent}"
    if in_pacs_cache(where):  # its folders are named after UIDs
        return f"{study_folder_name(where)} (study retrieved from the PACS)"
    return f"{where.name} (study folder) — {where.parent}"


def restore_settings(
    window: QMainWindow, settings: QSettings | None, auto_compare: QAction
) -> bool:
    """Restore the geometry, dock layout and automatic comparison (``auto_compare``, the
    action) of ``window``; True when a saved dock layout was restored (then the default dock
    sizing is skipped)."""
    if settings is None:
        return False
    geometry = settings.value("window/geometry")
    state = settings.value("window/state")
    layout_restored = False
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)
    if isinstance(state, QByteArray):
        # a layout saved before the docks became one tabbed column is not restored
        layout_restored = window.restoreState(state, LAYOUT_VERSION)
    auto = str(settings.value("view/auto_compare", "true")) == "true"
    auto_compare.setChecked(auto)  # its slot keeps the choice
    return layout_restored


def save_auto_compare(settings: QSettings | None, enabled: bool) -> None:
    if settings is not None:
        settings.setValue("view/auto_compare", "true" if enabled else "false")


def save_window_state(window: QMainWindow, settings: QSettings | None) -> None:
    """Keep the geometry and dock layout of ``window`` for the next start."""
    if settings is None:
        return
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/state", window.saveState(LAYOUT_VERSION))
    settings.sync()
