"""The spineplan main window: menus, toolbar, docks, status bar around the image `Viewer`.

Opening a study (File > Open, drag and drop, command line) starts a `StudyLoader`; series
appear in the browser as they are discovered, and the first one to read is shown as soon as
its voxels arrive. Problems are listed in the Messages panel and the status bar, in words; the
window keeps working whatever happens to one file or series.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QHeaderView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.annotation.controller import AnnotationController
from app.loader import StudyLoader
from app.plan_panel import PlanPanel
from app.practice.controller import PracticeController
from app.series_browser import SeriesBrowser
from app.series_choice import comparison_for
from app.shortcuts import ACTION_SHORTCUTS, VIEW_CONTROLS
from app.viewer.overlays import OverlayItem
from app.viewer.viewer import LeftMode, Viewer
from app.viewer.window_presets import PRESETS, default_preset
from imaging.discovery import Discovery, SeriesInfo
from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.case import Case, load_case

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
MAX_RECENT = 8
CASE_SUFFIX = ".spineplan.json"
DEFAULT_SIZE = QSize(1600, 1000)
#: width of the one right-hand column holding the Annotation, Plan and Practice tabs
RIGHT_DOCK_WIDTH_PX = 380
#: version of the saved dock layout; bumped when the default arrangement changes, so that an
#: older saved layout gives way to the new default once
LAYOUT_VERSION = 1
#: the Series list still shows its thumbnails and wrapped descriptions at this width
SERIES_DOCK_MIN_PX = 200


def icon(name: str) -> QIcon:
    path = ICON_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


class MainWindow(QMainWindow):
    """The workstation window (see the module docstring).

    Parameters
    ----------
    settings : where window state and recent studies persist; None keeps nothing (used for
        screenshots and tests).
    """

    #: a load ended: "done", "cancelled" or "failed"
    load_finished = Signal(str)
    #: a series was put in a panel (key, panel index)
    series_shown = Signal(str, int)
    #: a case file (``planning.case.Case``) was opened; its study is loading
    case_opened = Signal(object)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.setObjectName("MainWindow")
        self.setWindowTitle("spineplan")
        self.setWindowIcon(icon("app"))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)

        self.discovery: Discovery | None = None
        self.infos: dict[str, SeriesInfo] = {}
        self.volumes: dict[str, Volume] = {}
        self.shown_keys: list[str | None] = [None, None]
        self.study_path: list[Path] = []
        self.load_error = ""
        self.user_guide = None  # the Help > User guide dialog, made on first use
        self.case: Case | None = None
        self.auto_compare = True
        self._seen_messages: set[str] = set()
        self._layout_restored = False
        self._default_layout_done = False

        self.viewer = Viewer(self)
        self.setCentralWidget(self.viewer)
        self.loader = StudyLoader(self)
        self.actions_by_id: dict[str, QAction] = {}

        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self.resize(DEFAULT_SIZE)
        self.resizeDocks([self.messages_dock], [110], Qt.Orientation.Vertical)
        self.resizeDocks([self.series_dock], [250], Qt.Orientation.Horizontal)
        self.annotation = AnnotationController(self)
        self.plan_panel.connect_document(self.annotation.document)
        self._place_plan_dock()
        self.practice = PracticeController(self)
        self._restore_settings()

    # -- construction ---------------------------------------------------------------------
    def _build_docks(self) -> None:
        self.browser = SeriesBrowser(self)
        # the descriptions wrap to the dock's width, whatever it is: no sideways scrolling
        self.browser.setResizeMode(QListView.ResizeMode.Adjust)
        self.browser.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.series_dock = self._dock(
            "Series", "SeriesDock", self.browser, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.messages = QListWidget(self)
        self.messages.setObjectName("MessagesList")
        self.messages.setWordWrap(True)
        self.messages_dock = self._dock(
            "Messages", "MessagesDock", self.messages, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.layers = QListWidget(self)
        self.layers.setObjectName("LayersList")
        self.layers_dock = self._dock(
            "Layers", "LayersDock", self.layers, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.layers_dock.hide()
        self.messages_dock.hide()  # shown when a warning or an error arrives
        self.plan_panel = PlanPanel(self.viewer.overlays, self)
        self.plan_dock = self._dock(
            "Plan", "PlanDock", self.plan_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.series_dock.setMinimumWidth(SERIES_DOCK_MIN_PX)
        self.messages_dock.setMaximumHeight(220)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _place_plan_dock(self) -> None:
        """The Plan panel as a tab beside the annotation panels, in one right-hand column.

        Three columns (annotation, plan, practice) would leave the images a third of the
        window; one tabbed column leaves them most of it. The user can still drag the docks
        apart, and the saved window state restores their own arrangement.
        """
        beside = getattr(self.annotation, "levels_dock", None)
        if isinstance(beside, QDockWidget):
            self.tabifyDockWidget(beside, self.plan_dock)
            beside.raise_()
        self.resizeDocks([self.plan_dock], [RIGHT_DOCK_WIDTH_PX], Qt.Orientation.Horizontal)
        self._raise_plan_on_next_result = False
        self.case_opened.connect(self._expect_first_plan)
        self.plan_panel.plan_updated.connect(self._on_first_plan)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._layout_restored and not self._default_layout_done:
            self._default_layout_done = True
            self._size_docks_to_window()

    def _size_docks_to_window(self) -> None:
        """Default dock widths for the window's width: on a small screen the panels narrow
        (down to what their content needs) so that the images keep most of the room."""
        width = self.width()
        series_px = int(min(max(0.14 * width, SERIES_DOCK_MIN_PX), 250))
        right_px = int(min(max(0.24 * width, self.plan_panel.minimumWidth()), RIGHT_DOCK_WIDTH_PX))
        self.resizeDocks([self.series_dock], [series_px], Qt.Orientation.Horizontal)
        self.resizeDocks([self.plan_dock], [right_px], Qt.Orientation.Horizontal)

    def _expect_first_plan(self, _case: object) -> None:
        self._raise_plan_on_next_result = True

    def _on_first_plan(self, _result: object) -> None:
        """The first plan of a newly opened case brings the Plan tab to the front (later
        replans, made while the user edits, leave the tab they are working in)."""
        if self._raise_plan_on_next_result:
            self._raise_plan_on_next_result = False
            if self.plan_dock.toggleViewAction().isChecked():  # not closed by the user
                self.plan_dock.raise_()

    def add_action(
        self,
        action_id: str,
        text: str,
        slot,
        *,
        icon_name: str = "",
        checkable: bool = False,
        checked: bool = False,
    ) -> QAction:
        """A window-wide action with its shortcut and description from ``ACTION_SHORTCUTS``,
        registered in ``actions_by_id`` (the panels' controllers add theirs here too)."""
        action = QAction(text, self)
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
        self.addAction(action)
        self.actions_by_id[action_id] = action
        return action

    def _build_actions(self) -> None:
        a = self.add_action
        a("open_folder", "&Open folder…", self.choose_folder, icon_name="open")
        a("open_files", "Open &files…", self.choose_files)
        a("export_view", "&Export view as PNG…", self.choose_export_view, icon_name="export")
        a("export_window", "Export &window as PNG…", self.choose_export_window)
        a("export_plan", "Export &plan…", self.plan_panel.choose_export)
        a("quit", "&Quit", self.close)
        a("cancel_load", "&Cancel loading", self.cancel_load)
        a("fit", "&Fit all views", self.viewer.fit_all, icon_name="fit")
        a("reset", "&Reset series display", self.reset_display, icon_name="reset")
        a("invert", "&Invert", self.set_inverted, icon_name="invert", checkable=True)
        a(
            "crosshair",
            "Show &crosshair",
            self.viewer.set_show_crosshair,
            checkable=True,
            checked=True,
        )
        a(
            "patient_info",
            "Show &patient/study overlay",
            self.viewer.set_show_patient_info,
            checkable=True,
            checked=True,
        )
        a("compare", "Compare &side by side", self.toggle_compare, icon_name="compare")
        a(
            "auto_compare",
            "Open the &T2 beside the T1 automatically",
            self.set_auto_compare,
            checkable=True,
            checked=True,
        )
        for n, name in enumerate(PRESETS):
            a(f"preset_{n}", name, lambda name=name: self.apply_preset(name))
        a("zoom_in", "Zoom &in", lambda: self._zoom_active(1.25))
        a("zoom_out", "Zoom &out", lambda: self._zoom_active(0.8))
        a("shortcuts", "&Keyboard shortcuts", self.show_shortcuts)
        a("user_guide", "&User guide", self.show_user_guide)
        a("about", "&About spineplan", self.show_about)
        self.mode_group = QActionGroup(self)
        for mode, text, icon_name in (
            ("crosshair", "&Crosshair", "crosshair"),
            ("pan", "&Pan", "pan"),
            ("zoom", "&Zoom", "zoom"),
            ("window", "&Window/level", "window"),
        ):
            action = a(
                f"mode_{mode}",
                f"Left button: {text}",
                lambda checked, mode=mode: self._on_mode_toggled(mode, checked),
                icon_name=icon_name,
                checkable=True,
                checked=(mode == "crosshair"),
            )
            self.mode_group.addAction(action)
        self.actions_by_id["cancel_load"].setEnabled(False)

    def _build_menus(self) -> None:
        ids = self.actions_by_id
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([ids["open_folder"], ids["open_files"]])
        self.recent_menu = file_menu.addMenu("Open &recent")
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
        for dock in (self.series_dock, self.layers_dock, self.messages_dock, self.plan_dock):
            view_menu.addAction(dock.toggleViewAction())

        self.tools_menu = bar.addMenu("&Tools")
        self.tools_menu.addActions(self.mode_group.actions())
        self.tools_menu.addSeparator()
        self.tools_menu.addAction(ids["cancel_load"])

        help_menu = bar.addMenu("&Help")
        help_menu.addActions([ids["user_guide"], ids["shortcuts"], ids["about"]])

    def _build_toolbar(self) -> None:
        ids = self.actions_by_id
        bar = QToolBar("Main toolbar", self)
        bar.setObjectName("MainToolbar")
        bar.setIconSize(QSize(20, 20))
        bar.addActions([ids["open_folder"], ids["export_view"]])
        bar.addSeparator()
        bar.addActions(self.mode_group.actions())
        bar.addSeparator()
        bar.addActions([ids["fit"], ids["reset"], ids["invert"], ids["compare"]])
        bar.addSeparator()
        bar.addWidget(QLabel(" Window ", bar))
        self.preset_combo = QComboBox(bar)
        self.preset_combo.setObjectName("PresetCombo")
        self.preset_combo.addItems([*PRESETS, "Manual"])
        self.preset_combo.setMinimumContentsLength(16)
        self.preset_combo.textActivated.connect(self._on_preset_chosen)
        bar.addWidget(self.preset_combo)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.readout_label = QLabel(self)
        self.readout_label.setObjectName("ReadoutLabel")
        self.point_label = QLabel(self)
        self.point_label.setObjectName("PointLabel")
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("LoadProgress")
        self.progress_bar.setFixedWidth(260)
        self.progress_bar.setFormat("%p%")
        self.progress_label = QLabel(self)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("CancelLoad")
        self.cancel_button.clicked.connect(self.cancel_load)
        status.addWidget(self.readout_label, 1)
        status.addPermanentWidget(self.point_label)
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.cancel_button)
        self._set_loading_ui(False)

    def _connect(self) -> None:
        self.loader.discovered.connect(self._on_discovered)
        self.loader.series_loaded.connect(self._on_series_loaded)
        self.loader.series_failed.connect(self._on_series_failed)
        self.loader.progress.connect(self._on_progress)
        self.loader.failed.connect(self._on_failed)
        self.loader.finished.connect(self._on_finished)
        self.browser.series_activated.connect(self.show_series)
        self.viewer.series_dropped.connect(self.show_series)
        self.viewer.readout.connect(self.readout_label.setText)
        self.viewer.point_changed.connect(self._on_point_changed)
        self.viewer.active_changed.connect(self._sync_display_controls)
        for panel in self.viewer.panels:
            panel.window_changed.connect(self._sync_display_controls)
        self.viewer.overlays.changed.connect(self._refresh_layers)
        self.layers.itemChanged.connect(self._on_layer_toggled)
        self.case_opened.connect(self.plan_panel.set_case)

    # -- opening --------------------------------------------------------------------------
    def choose_folder(self) -> None:
        start = str(self.study_path[0]) if self.study_path else ""
        folder = QFileDialog.getExistingDirectory(self, "Open DICOM folder", start)
        if folder:
            self.open_path(folder)

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            "Open DICOM files or a case file",
            "",
            "DICOM or case files (*.dcm *.DCM *.ima *.IMA DICOMDIR *.spineplan.json *);;"
            "All files (*)",
        )
        if files:
            self.open_path(files)

    def open_path(self, path: str | Path | Sequence[str | Path]) -> None:
        """Start loading a folder, a file or a list of files (asynchronously)."""
        paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
        self.case = None
        self._raise_plan_on_next_result = False  # set again when a case file opens
        if len(paths) == 1 and paths[0].name.endswith(CASE_SUFFIX) and paths[0].is_file():
            try:
                self.case = load_case(paths[0])
            except SpineplanError as error:
                self.loader.cancel()
                self.loader.wait(10_000)
                self.viewer.clear()
                self._report_failure(str(paths[0]), str(error))
                self.load_finished.emit("failed")
                return
            case_file = paths[0]
            paths = [self.case.study_path()]
        self.loader.cancel()
        self.loader.wait(10_000)
        self.viewer.clear()
        self.browser.clear()
        self.messages.clear()
        self._seen_messages.clear()
        self.discovery, self.infos, self.volumes = None, {}, {}
        self.shown_keys = [None, None]
        self.study_path = paths
        self.load_error = ""
        label = ", ".join(str(p) for p in paths[:2]) + (" …" if len(paths) > 2 else "")
        missing = [p for p in paths if not p.exists()]
        if missing:
            self._report_failure(label, f"{missing[0]}: no such file or folder")
            self.load_finished.emit("failed")
            return
        self.viewer.show_message(f"Reading {label} …")
        self.setWindowTitle(f"spineplan — {label}")
        self._set_loading_ui(True)
        self.statusBar().showMessage(f"Opening {label}", 3000)
        self.loader.start(paths)
        if self.case is not None:
            self.add_message("info", f"Case file {case_file.name}: its study is {paths[0]}")
            self._remember_recent(case_file)
            self.case_opened.emit(self.case)
        elif len(paths) == 1:
            self._remember_recent(paths[0])

    def wait_for_load(self, timeout_ms: int = 120_000) -> bool:
        """Block (processing events) until the current load ends; False on timeout."""
        return self.loader.wait(timeout_ms)

    def cancel_load(self) -> None:
        if self.loader.running:
            self.loader.cancel()
            self.progress_label.setText("Cancelling…")

    def _set_loading_ui(self, loading: bool) -> None:
        for widget in (self.progress_bar, self.cancel_button, self.progress_label):
            widget.setVisible(loading)
        self.actions_by_id["cancel_load"].setEnabled(loading)
        if loading:
            self.progress_bar.setRange(0, 0)
            self.progress_label.setText("Reading DICOM headers")

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.progress_label.setText(text)

    def _on_discovered(self, discovery: Discovery) -> None:
        self.discovery = discovery
        self.infos = {info.key: info for info in discovery.series}
        self.browser.set_series(discovery.series)
        study = discovery.studies[0] if discovery.studies else None
        if study is not None:
            name = study.patient_name.replace("^", " ").strip() or study.patient_id
            title = " — ".join(t for t in ("spineplan", name, study.study_description) if t)
            self.setWindowTitle(title)
        if len(discovery.studies) > 1:
            self.add_message(
                "info",
                f"{len(discovery.studies)} studies found; all series are "
                "listed, linked only within one frame of reference.",
            )
        for info in discovery.series:
            for warning in info.warnings:
                self.add_message("warning", f"{info.label}: {warning}")
        if discovery.skipped:
            first = discovery.skipped[0]
            self.add_message(
                "info",
                f"{len(discovery.skipped)} file(s) skipped, e.g. {first.path.name}: {first.reason}",
            )

    def _on_series_loaded(self, key: str, volume: Volume) -> None:
        self.volumes[key] = volume
        self.browser.set_loaded(key, volume)
        info = self.infos.get(key)
        label = info.label if info is not None else key
        for warning in volume.warnings:
            self.add_message("warning", f"{label}: {warning}")
        if self.shown_keys[0] is None:
            self.show_series(key, 0)  # the first image as soon as its series is read
        elif self.auto_compare and self.shown_keys[1] is None and info is not None:
            primary = self.infos.get(self.shown_keys[0] or "")
            if primary is not None and comparison_for(list(self.infos.values()), primary) is info:
                self.show_series(key, 1)

    def _on_series_failed(self, key: str, message: str) -> None:
        self.browser.set_failed(key, message)
        info = self.infos.get(key)
        self.add_message("error", f"{info.label if info else key} cannot be shown: {message}")

    def _on_failed(self, message: str) -> None:
        label = ", ".join(str(p) for p in self.study_path[:2])
        self._report_failure(label, message)

    def _report_failure(self, label: str, message: str) -> None:
        self.load_error = message
        self.add_message("error", f"Could not open {label}: {message}")
        if not self.viewer.has_images:
            self.viewer.show_message(
                f"Could not open {label}\n\n{message}\n\n"
                "Open another folder with File ▸ Open folder (Ctrl+O) or drop it here."
            )
        self.statusBar().showMessage(f"Could not open {label}", 10_000)
        self._set_loading_ui(False)

    def _on_finished(self, outcome: str) -> None:
        self._set_loading_ui(False)
        if outcome == "cancelled":
            self.add_message("info", "Loading cancelled; the series already read stay open.")
            self.statusBar().showMessage("Loading cancelled", 5000)
            if not self.viewer.has_images:
                self.viewer.show_message(
                    "Loading cancelled.\n\nOpen a folder with File ▸ Open folder (Ctrl+O)."
                )
        elif outcome == "done":
            if not self.volumes and self.infos and not self.load_error:
                self._report_failure(
                    ", ".join(str(p) for p in self.study_path[:2]),
                    "none of its series could be shown (see Messages)",
                )
            else:
                self.statusBar().showMessage(
                    f"{len(self.volumes)} of {len(self.infos)} series loaded", 5000
                )
        self.load_finished.emit(outcome)

    # -- series ---------------------------------------------------------------------------
    def show_series(self, key: str, panel: int = 0) -> None:
        """Show a loaded series in panel 0 (main) or 1 (side by side)."""
        volume = self.volumes.get(key)
        if volume is None:
            info = self.infos.get(key)
            if info is not None and info.error:
                self.statusBar().showMessage(f"{info.label} cannot be shown: {info.error}", 8000)
            else:
                self.statusBar().showMessage("That series is still loading", 4000)
            return
        main = self.viewer.panels[0].volume
        if panel == 1 and main is not None:
            ours, theirs = main.frame_of_reference_uid, volume.frame_of_reference_uid
            if ours and theirs and ours != theirs:
                self.add_message(
                    "warning",
                    "The two series have different frames of "
                    "reference: positions are linked by coordinates only, which "
                    "may not be the same anatomy.",
                )
        info = self.infos.get(key)
        title = info.description if info is not None and info.description else ""
        self.viewer.set_volume(volume, panel, title)
        self.shown_keys[panel if main is not None or panel == 0 else 0] = key
        if panel == 0:
            self.browser.set_current_key(key)
        self._sync_display_controls()
        self.series_shown.emit(key, panel)

    def toggle_compare(self) -> None:
        """Open the comparison series beside the main one, or close the comparison panel."""
        if self.viewer.panels[1].volume is not None:
            self.viewer.close_panel(1)
            self.shown_keys[1] = None
            return
        primary = self.infos.get(self.shown_keys[0] or "")
        if primary is None:
            return
        candidate = comparison_for(list(self.infos.values()), primary)
        if candidate is None:
            others = [k for k in self.volumes if k != primary.key]
            if not others:
                self.statusBar().showMessage("No other series to compare with", 4000)
                return
            self.show_series(others[0], 1)
        else:
            self.show_series(candidate.key, 1)

    def _on_mode_toggled(self, mode: LeftMode, checked: bool) -> None:
        if checked:
            self.viewer.set_left_mode(mode)

    def _on_preset_chosen(self, name: str) -> None:
        if name in PRESETS:  # "Manual" is a state, not a choice
            self.apply_preset(name)

    def set_auto_compare(self, enabled: bool) -> None:
        """Whether opening a study puts its T2 beside the T1 post-contrast by itself."""
        self.auto_compare = enabled
        if self.settings is not None:
            self.settings.setValue("view/auto_compare", "true" if enabled else "false")

    # -- display --------------------------------------------------------------------------
    def apply_preset(self, name: str) -> None:
        self.viewer.active_panel.apply_preset(name)

    def set_inverted(self, inverted: bool) -> None:
        panel = self.viewer.active_panel
        if panel.display_window.invert != inverted:
            panel.set_inverted(inverted)

    def reset_display(self) -> None:
        """Fit the active series' views and restore its default window (not inverted)."""
        panel = self.viewer.active_panel
        if panel.volume is None:
            return
        panel.set_inverted(False)
        panel.apply_preset(default_preset(panel.volume))
        for view in panel.views:
            view.reset_view()

    def _zoom_active(self, factor: float) -> None:
        view = self.viewer.active_view
        if view is not None:
            view.zoom_by(factor)

    def _sync_display_controls(self) -> None:
        panel = self.viewer.active_panel
        invert = self.actions_by_id["invert"]
        invert.blockSignals(True)
        invert.setChecked(panel.display_window.invert)
        invert.blockSignals(False)
        self.preset_combo.setCurrentText(panel.preset if panel.preset in PRESETS else "Manual")

    def _on_point_changed(self, point: np.ndarray) -> None:
        self.point_label.setText(
            f"Crosshair LPS ({point[0]:.1f}, {point[1]:.1f}, {point[2]:.1f}) mm"
        )

    # -- overlays panel -------------------------------------------------------------------
    def _refresh_layers(self) -> None:
        self.layers.blockSignals(True)
        self.layers.clear()
        for item in self.viewer.overlays.items():
            entry = QListWidgetItem(item.name or item.kind)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked if item.visible else Qt.CheckState.Unchecked)
            entry.setForeground(item.color)
            entry.setData(Qt.ItemDataRole.UserRole, item)
            self.layers.addItem(entry)
        self.layers.blockSignals(False)

    def _on_layer_toggled(self, entry: QListWidgetItem) -> None:
        item = entry.data(Qt.ItemDataRole.UserRole)
        if isinstance(item, OverlayItem):
            self.viewer.overlays.set_visible(item, entry.checkState() == Qt.CheckState.Checked)

    # -- messages -------------------------------------------------------------------------
    def add_message(self, level: str, text: str) -> None:
        """List a message ("info", "warning" or "error") in the Messages panel (no repeats)."""
        if text in self._seen_messages:
            return
        self._seen_messages.add(text)
        icons = {
            "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
            "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
            "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
        }
        entry = QListWidgetItem(self.style().standardIcon(icons.get(level, icons["info"])), text)
        entry.setData(Qt.ItemDataRole.UserRole, level)
        self.messages.addItem(entry)
        self.messages.scrollToBottom()
        if level in ("warning", "error"):
            self.messages_dock.show()

    def message_texts(self, level: str | None = None) -> list[str]:
        """The texts listed in the Messages panel (only those of ``level`` if given), oldest
        first."""
        items = (self.messages.item(row) for row in range(self.messages.count()))
        return [
            item.text()
            for item in items
            if level is None or item.data(Qt.ItemDataRole.UserRole) == level
        ]

    # -- export ---------------------------------------------------------------------------
    def export_view_png(self, path: str | Path) -> Path:
        """Write the active view (as on screen, with overlays and text) to a PNG file."""
        view = self.viewer.active_view or self.viewer.panels[0].views[0]
        return _save(view.grab(), Path(path))

    def export_window_png(self, path: str | Path) -> Path:
        """Write the whole window to a PNG file."""
        return _save(self.grab(), Path(path))

    def choose_export_view(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export view as PNG", "view.png", "PNG images (*.png)"
        )
        if path:
            self._export_with_feedback(self.export_view_png, path)

    def choose_export_window(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export window as PNG", "spineplan.png", "PNG images (*.png)"
        )
        if path:
            self._export_with_feedback(self.export_window_png, path)

    def _export_with_feedback(self, export, path: str) -> None:
        try:
            written = export(path)
        except OSError as error:
            self.add_message("error", str(error))
            return
        self.statusBar().showMessage(f"Saved {written}", 5000)

    # -- dialogs --------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).exec()

    def show_user_guide(self) -> None:
        from app.user_guide import UserGuideDialog

        if self.user_guide is None:
            self.user_guide = UserGuideDialog(self)
        self.user_guide.show()
        self.user_guide.raise_()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About spineplan",
            "<b>spineplan</b><br>Palliative radiotherapy planning for intramedullary spinal "
            "cord metastases.<br><br>Not a medical device: every plan must be checked by a "
            "qualified physicist.",
        )

    # -- drag and drop --------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0] if len(paths) == 1 else paths)

    # -- settings -------------------------------------------------------------------------
    def recent_studies(self) -> list[str]:
        if self.settings is None:
            return []
        value = self.settings.value("recent_studies", [])
        if isinstance(value, str):  # QSettings hands back a lone string for a one-item list
            value = [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def _remember_recent(self, path: Path) -> None:
        if self.settings is None:
            return
        text = str(path.resolve())
        recent = [text, *[p for p in self.recent_studies() if p != text]][:MAX_RECENT]
        self.settings.setValue("recent_studies", recent)
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_studies()
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _checked=False, path=path: self.open_path(path))
        self.recent_menu.setEnabled(bool(recent))

    def _restore_settings(self) -> None:
        self._rebuild_recent_menu()
        if self.settings is None:
            return
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            # a layout saved before the docks became one tabbed column is not restored
            self._layout_restored = self.restoreState(state, LAYOUT_VERSION)
        auto = str(self.settings.value("view/auto_compare", "true")) == "true"
        self.actions_by_id["auto_compare"].setChecked(auto)  # also sets self.auto_compare

    def closeEvent(self, event: QCloseEvent) -> None:
        self.plan_panel.shutdown()
        self.loader.cancel()
        self.loader.wait(10_000)
        if self.settings is not None:
            self.settings.setValue("window/geometry", self.saveGeometry())
            self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
            self.settings.sync()
        super().closeEvent(event)


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: every key and mouse control in one table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("ShortcutsDialog")
        rows = [
            (QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText), text)
            for keys, text in ACTION_SHORTCUTS.values()
        ]
        rows += list(VIEW_CONTROLS)
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels(["Keys / mouse", "Action"])
        for row, (keys, text) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(text))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 640)


def _save(pixmap, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(path), "PNG"):
        raise OSError(f"could not write the image {path}")
    return path


def local_urls(paths: Sequence[str | Path]) -> list[QUrl]:
    """File URLs for drag-and-drop (used by tests and by the drop handler's callers)."""
    return [QUrl.fromLocalFile(str(Path(p).resolve())) for p in paths]
