"""What the main window keeps in its QSettings: recent studies, geometry, dock layout and the
automatic comparison choice. A window made with ``settings=None`` keeps nothing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings

if TYPE_CHECKING:
    from app.main_window import MainWindow

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


def remember_recent(window: MainWindow, path: Path) -> None:
    """Put ``path`` first in File > Open recent."""
    if window.settings is None:
        return
    text = str(path.resolve())
    recent = [text, *[p for p in recent_studies(window.settings) if p != text]][:MAX_RECENT]
    window.settings.setValue("recent_studies", recent)
    rebuild_recent_menu(window)


def rebuild_recent_menu(window: MainWindow) -> None:
    """Fill File > Open recent from the settings (disabled when empty)."""
    window.recent_menu.clear()
    recent = recent_studies(window.settings)
    for path in recent:
        action = window.recent_menu.addAction(path)
        action.triggered.connect(lambda _checked=False, path=path: window.open_path(path))
    window.recent_menu.setEnabled(bool(recent))


def restore_settings(window: MainWindow) -> bool:
    """Restore the recent menu, geometry, dock layout and automatic comparison; True when a
    saved dock layout was restored (then the default dock sizing is skipped)."""
    rebuild_recent_menu(window)
    settings = window.settings
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
    window.actions_by_id["auto_compare"].setChecked(auto)  # also sets window.auto_compare
    return layout_restored


def save_auto_compare(settings: QSettings | None, enabled: bool) -> None:
    if settings is not None:
        settings.setValue("view/auto_compare", "true" if enabled else "false")


def save_window_state(window: MainWindow) -> None:
    """Keep the geometry and dock layout for the next start."""
    if window.settings is None:
        return
    window.settings.setValue("window/geometry", window.saveGeometry())
    window.settings.setValue("window/state", window.saveState(LAYOUT_VERSION))
    window.settings.sync()
