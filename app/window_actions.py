"""The main window's actions, menus, toolbar and status bar.

Every action takes its shortcut and description from `app.shortcuts.ACTION_SHORTCUTS`, so
Help > Keyboard shortcuts cannot drift from what the keys do. The builders set the widgets they
make as attributes of the window (``recent_menu``, ``tools_menu``, ``mode_group``, ``toolbar``,
``preset_combo``, the status bar labels and the load progress widgets), where the panels'
controllers and the tests reach them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QPushButton, QToolBar

from app.display_controls import zoom_active
from app.shortcuts import ACTION_SHORTCUTS
from app.viewer.window_presets import PRESETS

if TYPE_CHECKING:
    from app.main_window import MainWindow

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


def icon(name: str) -> QIcon:
    """The SVG icon ``resources/icons/<name>.svg``, or an empty icon when there is none."""
    path = ICON_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def make_action(
    window: MainWindow,
    action_id: str,
    text: str,
    slot: Callable,
    *,
    icon_name: str = "",
    checkable: bool = False,
    checked: bool = False,
) -> QAction:
    """A window-wide action with its shortcut and description from ``ACTION_SHORTCUTS``,
    registered in ``window.actions_by_id``."""
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
    window.actions_by_id[action_id] = action
    return action


def build_actions(window: MainWindow) -> None:
    """The File, View, Tools and Help actions, and the left-button mode group."""
    a = window.add_action
    viewer = window.viewer
    a("open_folder", "&Open folder…", window.choose_folder, icon_name="open")
    a("open_files", "Open &files…", window.choose_files)
    a("export_view", "&Export view as PNG…", window.choose_export_view, icon_name="export")
    a("export_window", "Export &window as PNG…", window.choose_export_window)
    a("export_plan", "Export &plan…", window.plan_panel.choose_export)
    a("quit", "&Quit", window.close)
    a("cancel_load", "&Cancel loading", window.cancel_load)
    a("fit", "&Fit all views", viewer.fit_all, icon_name="fit")
    a("reset", "&Reset series display", window.reset_display, icon_name="reset")
    a("invert", "&Invert", window.set_inverted, icon_name="invert", checkable=True)
    a("crosshair", "Show &crosshair", viewer.set_show_crosshair, checkable=True, checked=True)
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
    a("zoom_in", "Zoom &in", lambda: zoom_active(window, 1.25))
    a("zoom_out", "Zoom &out", lambda: zoom_active(window, 0.8))
    a("shortcuts", "&Keyboard shortcuts", window.show_shortcuts)
    a("user_guide", "&User guide", window.show_user_guide)
    a("about", "&About spineplan", window.show_about)
    window.mode_group = QActionGroup(window)
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
        window.mode_group.addAction(action)
    window.actions_by_id["cancel_load"].setEnabled(False)


def build_menus(window: MainWindow) -> None:
    """The menu bar; File > Open recent is filled by `app.window_settings`."""
    ids = window.actions_by_id
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addActions([ids["open_folder"], ids["open_files"]])
    window.recent_menu = file_menu.addMenu("Open &recent")
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
        [ids["crosshair"], ids["patient_info"], ids["compare"], ids["auto_compare"]]
    )
    view_menu.addSeparator()
    for dock in (window.series_dock, window.layers_dock, window.messages_dock, window.plan_dock):
        view_menu.addAction(dock.toggleViewAction())

    window.tools_menu = bar.addMenu("&Tools")
    window.tools_menu.addActions(window.mode_group.actions())
    window.tools_menu.addSeparator()
    window.tools_menu.addAction(ids["cancel_load"])

    help_menu = bar.addMenu("&Help")
    help_menu.addActions([ids["user_guide"], ids["shortcuts"], ids["about"]])


def build_toolbar(window: MainWindow) -> None:
    """The main toolbar, with the window preset chooser."""
    ids = window.actions_by_id
    bar = QToolBar("Main toolbar", window)
    bar.setObjectName("MainToolbar")
    bar.setIconSize(QSize(20, 20))
    bar.addActions([ids["open_folder"], ids["export_view"]])
    bar.addSeparator()
    bar.addActions(window.mode_group.actions())
    bar.addSeparator()
    bar.addActions([ids["fit"], ids["reset"], ids["invert"], ids["compare"]])
    bar.addSeparator()
    bar.addWidget(QLabel(" Window ", bar))
    window.preset_combo = QComboBox(bar)
    window.preset_combo.setObjectName("PresetCombo")
    window.preset_combo.addItems([*PRESETS, "Manual"])
    window.preset_combo.setMinimumContentsLength(16)
    # "Manual" is a state, not a choice
    window.preset_combo.textActivated.connect(
        lambda name: window.apply_preset(name) if name in PRESETS else None
    )
    bar.addWidget(window.preset_combo)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    window.toolbar = bar


def build_status_bar(window: MainWindow) -> None:
    """The voxel readout, the crosshair position and the load progress with its Cancel."""
    status = window.statusBar()
    window.readout_label = QLabel(window)
    window.readout_label.setObjectName("ReadoutLabel")
    window.point_label = QLabel(window)
    window.point_label.setObjectName("PointLabel")
    window.progress_bar = QProgressBar(window)
    window.progress_bar.setObjectName("LoadProgress")
    window.progress_bar.setFixedWidth(260)
    window.progress_bar.setFormat("%p%")
    window.progress_label = QLabel(window)
    window.cancel_button = QPushButton("Cancel", window)
    window.cancel_button.setObjectName("CancelLoad")
    window.cancel_button.clicked.connect(window.cancel_load)
    status.addWidget(window.readout_label, 1)
    status.addPermanentWidget(window.point_label)
    status.addPermanentWidget(window.progress_label)
    status.addPermanentWidget(window.progress_bar)
    status.addPermanentWidget(window.cancel_button)
