"""The main window's actions, menus, toolbar and status bar.

Every action takes its shortcut and description from `app.shortcuts.ACTION_SHORTCUTS`, so
Help > Keyboard shortcuts cannot drift from what the keys do. The builders return the widgets
they make (the mode group, the menus, the toolbar, the status bar widgets); the main window
keeps them as attributes (``recent_menu``, ``tools_menu``, ``mode_group``, ``toolbar``,
``preset_combo``...), where the panels' controllers and the tests reach them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QStatusBar,
    QToolBar,
    QWidget,
)

from app.display_controls import toggle_active_legend, zoom_active
from app.shortcuts import ACTION_SHORTCUTS
from app.viewer.viewer import Viewer
from app.viewer.window_presets import PRESETS

#: makes one window-wide action: (id, text, slot, icon_name=, checkable=, checked=)
AddAction = Callable[..., QAction]


class WindowCommands(Protocol):
    """The main window's own commands, which its File, View and Help actions trigger."""

    def choose_folder(self) -> None: ...
    def choose_files(self) -> None: ...
    def choose_export_view(self) -> None: ...
    def choose_export_window(self) -> None: ...
    def choose_export_plan(self) -> None: ...
    def close(self) -> bool: ...
    def cancel_load(self) -> None: ...
    def reset_display(self) -> None: ...
    def set_inverted(self, inverted: bool) -> None: ...
    def toggle_compare(self) -> None: ...
    def set_auto_compare(self, enabled: bool) -> None: ...
    def apply_preset(self, name: str) -> None: ...
    def show_shortcuts(self) -> None: ...
    def show_user_guide(self) -> None: ...
    def show_about(self) -> None: ...
    def statusBar(self) -> QStatusBar: ...


ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


def icon(name: str) -> QIcon:
    """The SVG icon ``resources/icons/<name>.svg``, or an empty icon when there is none."""
    path = ICON_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def make_action(
    window: QWidget,
    actions_by_id: dict[str, QAction],
    action_id: str,
    text: str,
    slot: Callable,
    *,
    icon_name: str = "",
    checkable: bool = False,
    checked: bool = False,
) -> QAction:
    """A window-wide action with its shortcut and description from ``ACTION_SHORTCUTS``,
    added to ``window`` (so that its shortcut works there) and registered in ``actions_by_id``."""
    action = QAction(text, window)
    action.setObjectName(action_id)
    keys, description = ACTION_SHORTCUTS.get(action_id, ("", ""))
    if keys:
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setStatusTip(description or text)
    action.setToolTip(f"{description or text} ({keys})" if keys else (description or text))
    if icon_name:
        action.setIcon(icon(icon_name))
    if checkable:
        action.setCheckable(True)
        action.setChecked(checked)
        action.toggled.connect(slot)
    else:
        action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)
    actions_by_id[action_id] = action
    return action


def build_actions(
    a: AddAction, window: WindowCommands, viewer: Viewer, parent: QWidget
) -> QActionGroup:
    """The File, View, Tools and Help actions (made with ``a``, triggering the commands of
    ``window`` and ``viewer``); returns the left-button mode group (its parent ``parent``)."""
    a("open_folder", "&Open folder…", window.choose_folder, icon_name="open")
    a("open_files", "Open &files…", window.choose_files)
    a("export_view", "&Export view as PNG…", window.choose_export_view, icon_name="export")
    a("export_window", "Export &window as PNG…", window.choose_export_window)
    a("export_plan", "Export &plan…", window.choose_export_plan)
    a("quit", "&Quit", window.close)
    cancel = a("cancel_load", "&Cancel loading", window.cancel_load)
    a("fit", "&Fit all views", viewer.fit_all, icon_name="fit")
    a("reset", "&Reset series display", window.reset_display, icon_name="reset")
    a("invert", "&Invert", window.set_inverted, icon_name="invert", checkable=True)
    a("crosshair", "Show &crosshair", viewer.set_show_crosshair, checkable=True, checked=True)
    a("legend", "Show the &legend", viewer.set_show_legend, checkable=True, checked=True)
    a(
        "legend_open",
        "&Open the legend chip",
        lambda: window.statusBar().showMessage(toggle_active_legend(viewer), 5000),
    )
    a(
        "patient_info",
        "Show &patient/study overlay",
        viewer.set_show_patient_info,
        checkable=True,
        checked=True,
    )
    a("compare", "Compare &side by side", window.toggle_compare, icon_name="compare")
    a(
        "auto_compare",
        "Open the &T2 beside the T1 automatically",
        window.set_auto_compare,
        checkable=True,
        checked=True,
    )
    for n, name in enumerate(PRESETS):
        a(f"preset_{n}", name, lambda name=name: window.apply_preset(name))
    a("zoom_in", "Zoom &in", lambda: zoom_active(viewer, 1.25))
    a("zoom_out", "Zoom &out", lambda: zoom_active(viewer, 0.8))
    a("shortcuts", "&Keyboard shortcuts", window.show_shortcuts)
    a("user_guide", "&User guide", window.show_user_guide)
    a("about", "&About spineplan", window.show_about)
    mode_group = QActionGroup(parent)
    for mode, text, icon_name in (
        ("crosshair", "&Crosshair", "crosshair"),
        ("pan", "&Pan", "pan"),
        ("zoom", "&Zoom", "zoom"),
        ("window", "&Window/level", "window"),
    ):
        action = a(
            f"mode_{mode}",
            f"Left button: {text}",
            lambda checked, mode=mode: viewer.set_left_mode(mode) if checked else None,
            icon_name=icon_name,
            checkable=True,
            checked=(mode == "crosshair"),
        )
        mode_group.addAction(action)
    cancel.setEnabled(False)
    return mode_group


def build_menus(
    window: QMainWindow,
    ids: dict[str, QAction],
    docks: Sequence[QDockWidget],
    mode_group: QActionGroup,
) -> tuple[QMenu, QMenu]:
    """The menu bar (View lists ``docks``); returns File > Open recent (filled by
    `app.window_settings`) and the Tools menu (the panels' controllers add their tools)."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([ids["open_folder"], ids["open_files"]])
    recent_menu = file_menu.addMenu("Open &recent")
    file_menu.addSeparator()
    file_menu.addActions([ids["export_view"], ids["export_window"]])
    file_menu.addAction(ids["export_plan"])
    file_menu.addSeparator()
    file_menu.addAction(ids["quit"])

    view_menu = bar.addMenu("&View")
    view_menu.addActions([ids["fit"], ids["reset"], ids["zoom_in"], ids["zoom_out"]])
    presets = view_menu.addMenu("Window &presets")
    presets.addActions([ids[f"preset_{n}"] for n in range(len(PRESETS))])
    view_menu.addAction(ids["invert"])
    view_menu.addSeparator()
    view_menu.addActions(
        [
            ids["crosshair"],
            ids["legend"],
            ids["legend_open"],
            ids["patient_info"],
            ids["compare"],
            ids["auto_compare"],
        ]
    )
    view_menu.addSeparator()
    for dock in docks:
        view_menu.addAction(dock.toggleViewAction())

    tools_menu = bar.addMenu("&Tools")
    tools_menu.addActions(mode_group.actions())
    tools_menu.addSeparator()
    tools_menu.addAction(ids["cancel_load"])

    help_menu = bar.addMenu("&Help")
    help_menu.addActions([ids["user_guide"], ids["shortcuts"], ids["about"]])
    return recent_menu, tools_menu


def build_toolbar(
    window: QMainWindow,
    ids: dict[str, QAction],
    mode_group: QActionGroup,
    apply_preset: Callable[[str], None],
) -> tuple[QToolBar, QComboBox]:
    """The main toolbar, with the window preset chooser (which calls ``apply_preset``)."""
    bar = QToolBar("Main toolbar", window)
    bar.setObjectName("MainToolbar")
    bar.setIconSize(QSize(20, 20))
    bar.addActions([ids["open_folder"], ids["export_view"]])
    bar.addSeparator()
    bar.addActions(mode_group.actions())
    bar.addSeparator()
    bar.addActions([ids["fit"], ids["reset"], ids["invert"], ids["compare"]])
    bar.addSeparator()
    bar.addWidget(QLabel(" Window ", bar))
    preset_combo = QComboBox(bar)
    preset_combo.setObjectName("PresetCombo")
    preset_combo.addItems([*PRESETS, "Manual"])
    preset_combo.setMinimumContentsLength(16)
    # "Manual" is a state, not a choice
    preset_combo.textActivated.connect(lambda name: apply_preset(name) if name in PRESETS else None)
    bar.addWidget(preset_combo)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return bar, preset_combo


@dataclass(frozen=True)
class StatusWidgets:
    """The status bar's widgets: voxel readout, crosshair position, load progress, Cancel."""

    readout_label: QLabel
    point_label: QLabel
    progress_bar: QProgressBar
    progress_label: QLabel
    cancel_button: QPushButton


def build_status_bar(window: QMainWindow, cancel_load: Callable[[], None]) -> StatusWidgets:
    """The voxel readout, the crosshair position and the load progress with its Cancel (which
    calls ``cancel_load``)."""
    status = window.statusBar()
    readout_label = QLabel(window)
    readout_label.setObjectName("ReadoutLabel")
    point_label = QLabel(window)
    point_label.setObjectName("PointLabel")
    progress_bar = QProgressBar(window)
    progress_bar.setObjectName("LoadProgress")
    progress_bar.setFixedWidth(260)
    progress_bar.setFormat("%p%")
    progress_label = QLabel(window)
    cancel_button = QPushButton("Cancel", window)
    cancel_button.setObjectName("CancelLoad")
    cancel_button.clicked.connect(cancel_load)
    status.addWidget(readout_label, 1)
    status.addPermanentWidget(point_label)
    status.addPermanentWidget(progress_label)
    status.addPermanentWidget(progress_bar)
    status.addPermanentWidget(cancel_button)
    return StatusWidgets(readout_label, point_label, progress_bar, progress_label, cancel_button)
