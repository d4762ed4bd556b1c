"""What the main window offers the controllers of its panels (annotation, practice).

`HostWindow` is a `QMainWindow` (menus, docks, toolbars, status bar) with the few things of
spineplan's own that a panel controller uses: the image `Viewer`, the settings, the actions
registry, the Messages panel, the opened study and the signals of opening and loading. The
controllers are given a `HostWindow` and know nothing else of `MainWindow`, its one
implementation, which creates them; so no module they import leads back to the window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from app.viewer.viewer import Viewer
from imaging.discovery import SeriesInfo
from imaging.volume import Volume
from planning.case import Case


class HostWindow(QMainWindow):
    """The main window as its panels' controllers see it (see the module docstring)."""

    #: a load ended: "done", "cancelled" or "failed"
    load_finished = Signal(str)
    #: a series was put in a panel (key, panel index)
    series_shown = Signal(str, int)
    #: a case file (``planning.case.Case``) was opened; its study is loading
    case_opened = Signal(object)
    #: a DICOM file was exported (its ``Path``): an RT Structure Set or SEG of the annotation
    file_exported = Signal(object)

    viewer: Viewer
    #: where window state and preferences persist; None keeps nothing
    settings: QSettings | None
    #: every window-wide action by id (`add_action` registers them)
    actions_by_id: dict[str, QAction]
    #: the left-button modes (crosshair, pan, zoom, window/level)
    mode_group: QActionGroup
    tools_menu: QMenu
    toolbar: QToolBar
    # the opened study
    infos: dict[str, SeriesInfo]
    volumes: dict[str, Volume]
    #: the series keys shown in the main and the side-by-side panel
    shown_keys: list[str | None]
    study_path: list[Path]
    #: the case file opened, or None for a study opened without one
    case: Case | None

    def add_action(
        self,
        action_id: str,
        text: str,
        slot: Callable,
        *,
        icon_name: str = "",
        checkable: bool = False,
        checked: bool = False,
    ) -> QAction:
        """A window-wide action with its shortcut and description from ``ACTION_SHORTCUTS``,
        registered in ``actions_by_id``."""
        raise NotImplementedError

    def add_message(self, level: str, text: str) -> None:
        """List a message ("info", "warning" or "error") in the Messages panel."""
        raise NotImplementedError

    def remove_message(self, text: str) -> None:
        """Take the message ``text`` out of the Messages panel (it no longer holds)."""
        raise NotImplementedError

    def remember_recent(self, path: Path) -> None:
        """Put ``path`` (a study folder or a case file) first in File > Open recent."""
        raise NotImplementedError

    def maybe_save(self, doing: str) -> bool:
        """Ask Save / Discard / Cancel before ``doing`` when there are unsaved changes; True
        to go on."""
        raise NotImplementedError

    def open_path(self, path: str | Path | Sequence[str | Path]) -> None:
        """Start loading a folder, a file, a case file or a list of files."""
        raise NotImplementedError
