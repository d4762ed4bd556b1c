"""The spineplan main window: menus, toolbar, docks, status bar around the image `Viewer`.

Opening a study (File > Open, drag and drop, command line) starts a `StudyLoader`; series
appear in the browser as they are discovered, and the first one to read is shown as soon as
its voxels arrive. Problems are listed in the Messages panel and the status bar, in words; the
window keeps working whatever happens to one file or series.

The window holds the state other modules read (``infos``, ``volumes``, ``shown_keys``,
``study_path``, ``case`` ...) and its public methods; the panels' controllers (annotation,
practice) see it as an `app.host_window.HostWindow`. It composes its parts, giving each what
it uses and wiring their signals: `app.window_docks`, `app.window_actions` (actions, menus,
toolbar, status bar), `app.study_loading.StudyLoading` (opening and the loader's signals),
`app.display_controls`, `app.layers_panel`, `app.png_export`, `app.help_dialogs`,
`app.file_drops` and `app.window_settings` (QSettings and File > Open recent), then the
`AnnotationController`, the `PracticeController` and the `PacsController` (`app.pacs`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import QApplication, QListWidgetItem, QStyle

from app import (
    display_controls,
    file_drops,
    help_dialogs,
    png_export,
    study_loading,
    unsaved_changes,
    window_actions,
    window_docks,
    window_settings,
)
from app.annotation.cases_folder import cases_folder
from app.annotation.controller import AnnotationController
from app.host_window import HostWindow
from app.layers_panel import connect_layers
from app.loader import StudyLoader
from app.messages_indicator import MessagesIndicator
from app.pacs.controller import PacsController
from app.practice.controller import PracticeController
from app.registration.controller import RegistrationController
from app.series_choice import comparison_for
from app.viewer.viewer import Viewer
from imaging.discovery import Discovery, SeriesInfo
from imaging.frame_mapping import FrameRelation
from imaging.volume import Volume
from planning.case import Case

if TYPE_CHECKING:
    from PySide6.QtWidgets import (
        QComboBox,
        QDockWidget,
        QLabel,
        QListWidget,
        QMenu,
        QProgressBar,
        QPushButton,
    )

    from app.plan_panel import PlanPanel
    from app.series_browser import SeriesBrowser
    from app.user_guide import UserGuideDialog

DEFAULT_SIZE = QSize(1600, 1000)


class MainWindow(HostWindow):
    """The workstation window (see the module docstring).

    Parameters
    ----------
    settings : where window state and recent studies persist; None keeps nothing (used for
        screenshots and tests).
    """

    # made by app.window_docks.build_docks
    browser: SeriesBrowser
    messages: QListWidget
    layers: QListWidget
    plan_panel: PlanPanel
    series_dock: QDockWidget
    messages_dock: QDockWidget
    layers_dock: QDockWidget
    plan_dock: QDockWidget
    # made by the builders of app.window_actions (mode_group, tools_menu and toolbar are
    # declared by HostWindow)
    recent_menu: QMenu
    preset_combo: QComboBox
    readout_label: QLabel
    point_label: QLabel
    progress_bar: QProgressBar
    progress_label: QLabel
    cancel_button: QPushButton

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.setObjectName("MainWindow")
        self.setWindowTitle("spineplan[*]")
        self.setWindowIcon(window_actions.icon("app"))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)

        self.discovery: Discovery | None = None
        self.infos: dict[str, SeriesInfo] = {}
        self.volumes: dict[str, Volume] = {}
        self.shown_keys: list[str | None] = [None, None]
        self.study_path: list[Path] = []
        self.load_error = ""
        self.user_guide: UserGuideDialog | None = None  # Help > User guide, made on first use
        self.case: Case | None = None
        self.auto_compare = True
        self._seen_messages: set[str] = set()
        self._layout_restored = False
        self._default_layout_done = False

        self.viewer = Viewer(self)
        self.setCentralWidget(self.viewer)
        self.loader = StudyLoader(self)
        self.actions_by_id: dict[str, QAction] = {}

        docks = self.docks = window_docks.build_docks(self, self.viewer.overlays)
        self.browser, self.messages, self.layers = docks.browser, docks.messages, docks.layers
        self.plan_panel = docks.plan_panel
        self.series_dock, self.messages_dock = docks.series_dock, docks.messages_dock
        self.layers_dock, self.plan_dock = docks.layers_dock, docks.plan_dock
        self.mode_group = window_actions.build_actions(self.add_action, self, self.viewer, self)
        self.recent_menu, self.tools_menu = window_actions.build_menus(
            self,
            self.actions_by_id,
            (self.series_dock, self.layers_dock, self.messages_dock, self.plan_dock),
            self.mode_group,
        )
        self.toolbar, self.preset_combo = window_actions.build_toolbar(
            self, self.actions_by_id, self.mode_group, self.apply_preset
        )
        status = window_actions.build_status_bar(self, self.cancel_load)
        self.readout_label, self.point_label = status.readout_label, status.point_label
        self.progress_bar, self.progress_label = status.progress_bar, status.progress_label
        self.cancel_button = status.cancel_button
        self.messages_indicator = MessagesIndicator(self, self.messages_dock)
        self.statusBar().addPermanentWidget(self.messages_indicator)
        self.loading = study_loading.StudyLoading(self)
        self.loading.set_loading_ui(False)
        self._connect()
        self.resize(DEFAULT_SIZE)
        self.resizeDocks([self.messages_dock], [110], Qt.Orientation.Vertical)
        self.resizeDocks([self.series_dock], [250], Qt.Orientation.Horizontal)
        self.annotation = AnnotationController(self)
        self.plan_panel.connect_document(self.annotation.document)
        # plan settings are edits of the case: undoable, marked unsaved, autosaved
        self.plan_panel.settings_edited.connect(self.annotation.document.set_plan_settings)
        self.annotation.document.plan_changed.connect(self.plan_panel.show_settings)
        self.plan_panel.export_parent_folder = lambda: cases_folder(self.settings)
        self.plan_panel.saved_case_path = lambda: self.annotation.document.case_path
        window_docks.place_plan_dock(self, self.plan_dock, self.annotation.levels_dock)
        self.first_plan_raiser = window_docks.FirstPlanRaiser(
            self.plan_dock, self.case_opened, self.plan_panel.plan_updated
        )
        self.registration = RegistrationController(self, self.annotation.document)
        # one mouse tool at a time: the point-pair tool joins the annotation tools' group
        self.annotation.tool_group.addAction(self.registration.point_tool_action)
        self.tabifyDockWidget(self.plan_dock, self.registration.dock)
        self.registration.dock.hide()
        self.practice = PracticeController(self, self.annotation, self.plan_panel.settings)
        self.pacs = PacsController(
            self, self.annotation.document, lambda: self.plan_panel.export_record.stale
        )
        self.plan_panel.export_finished.connect(self.pacs.exports.plan_exported)
        self.practice.teaching.exported.connect(
            lambda export: self.pacs.exports.teaching_exported(export.folder)
        )
        self.file_exported.connect(self.pacs.exports.file_exported)
        self.recent = window_settings.RecentStudies(self.settings, self.recent_menu, self.open_path)
        self.recent.rebuild_menu()
        self._layout_restored = window_settings.restore_settings(
            self, self.settings, self.actions_by_id["auto_compare"]
        )

    def _connect(self) -> None:
        self.loading.connect_loader()
        self.browser.series_activated.connect(self.show_series)
        self.viewer.series_dropped.connect(self.show_series)
        self.viewer.readout.connect(self.readout_label.setText)
        self.viewer.point_changed.connect(
            lambda _point: display_controls.show_point(self.point_label, self.viewer)
        )
        self.viewer.link_message.connect(
            lambda text: display_controls.show_link_message(self.statusBar(), text)
        )
        sync = self._sync_display_controls
        self.viewer.active_changed.connect(sync)
        for panel in self.viewer.panels:
            panel.window_changed.connect(sync)
        connect_layers(self.layers, self.viewer.overlays)
        self.case_opened.connect(self.plan_panel.set_case)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._layout_restored and not self._default_layout_done:
            self._default_layout_done = True
            window_docks.size_docks_to_window(self, self.docks)

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
        registered in ``actions_by_id`` (the panels' controllers add theirs here too)."""
        return window_actions.make_action(
            self,
            self.actions_by_id,
            action_id,
            text,
            slot,
            icon_name=icon_name,
            checkable=checkable,
            checked=checked,
        )

    # -- opening (app.study_loading) ------------------------------------------------------
    def choose_folder(self) -> None:
        self.loading.choose_folder()

    def choose_files(self) -> None:
        self.loading.choose_files()

    def open_path(self, path: str | Path | Sequence[str | Path]) -> None:
        """Start loading a folder, a file or a list of files (asynchronously), after the
        Save / Discard / Cancel question when the open case has unsaved changes."""
        if not self.maybe_save("opening another study"):
            return
        self.loading.open_path(path)

    def maybe_save(self, doing: str) -> bool:
        """Ask Save / Discard / Cancel before ``doing`` when the case has unsaved changes
        (`app.unsaved_changes`); True to go on."""
        annotation = self.annotation
        return unsaved_changes.confirm_unsaved(
            self, annotation.document, doing, annotation.save, annotation.discard_changes
        )

    def wait_for_load(self, timeout_ms: int = 120_000) -> bool:
        """Block (processing events) until the current load ends; False on timeout."""
        return self.loader.wait(timeout_ms)

    def cancel_load(self) -> None:
        self.loading.cancel_load()

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
            relation = self.viewer.frame_mapping.relation(ours, theirs)
            if relation is FrameRelation.UNRELATED:
                self.add_message(
                    "warning",
                    "The two series have different frames of reference and no registration "
                    "relates them: the crosshair does not link them (Tools > Registration "
                    "registers an MR onto a planning CT).",
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

    def set_auto_compare(self, enabled: bool) -> None:
        """Whether opening a study puts its T2 beside the T1 post-contrast by itself."""
        self.auto_compare = enabled
        window_settings.save_auto_compare(self.settings, enabled)

    # -- display (app.display_controls) ---------------------------------------------------
    def apply_preset(self, name: str) -> None:
        self.viewer.active_panel.apply_preset(name)

    def set_inverted(self, inverted: bool) -> None:
        display_controls.set_inverted(self.viewer, inverted)

    def reset_display(self) -> None:
        """Fit the active series' views and restore its default window (not inverted)."""
        display_controls.reset_display(self.viewer)

    def _sync_display_controls(self) -> None:
        display_controls.sync_display_controls(
            self.viewer, self.actions_by_id["invert"], self.preset_combo
        )

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
        # counted in the status bar; the panel does not pop up and move the views mid-task
        self.messages_indicator.count(level)

    def remove_message(self, text: str) -> None:
        """Take the message ``text`` out of the Messages panel and the status bar's count (an
        offer that was answered, a condition that no longer holds); nothing if not listed."""
        for row in range(self.messages.count()):
            item = self.messages.item(row)
            if item.text() == text:
                self.messages_indicator.uncount(item.data(Qt.ItemDataRole.UserRole))
                self.messages.takeItem(row)
                self._seen_messages.discard(text)
                return

    def message_texts(self, level: str | None = None) -> list[str]:
        """The texts listed in the Messages panel (only those of ``level`` if given), oldest
        first."""
        items = (self.messages.item(row) for row in range(self.messages.count()))
        return [
            item.text()
            for item in items
            if level is None or item.data(Qt.ItemDataRole.UserRole) == level
        ]

    def clear_messages(self) -> None:
        """Empty the Messages panel (a new study is opening); messages may repeat again."""
        self.messages.clear()
        self._seen_messages.clear()
        self.messages_indicator.reset()

    # -- export (app.png_export) ----------------------------------------------------------
    def export_view_png(self, path: str | Path) -> Path:
        """Write the active view (as on screen, with overlays and text) to a PNG file."""
        return png_export.export_view_png(self.viewer, path)

    def export_window_png(self, path: str | Path) -> Path:
        """Write the whole window to a PNG file."""
        return png_export.export_window_png(self, path)

    def choose_export_view(self) -> None:
        png_export.choose_and_export(
            self, "Export view as PNG", "view.png", self.export_view_png, self.add_message
        )

    def choose_export_window(self) -> None:
        png_export.choose_and_export(
            self, "Export window as PNG", "spineplan.png", self.export_window_png, self.add_message
        )

    def choose_export_plan(self) -> None:
        """File > Export plan (the Plan panel asks where); the Plan panel comes forward, so
        that the export's outcome, shown under its Export button, is seen."""
        self.plan_dock.show()
        self.plan_dock.raise_()
        self.plan_panel.choose_export()

    # -- dialogs (app.help_dialogs) -------------------------------------------------------
    def show_shortcuts(self) -> None:
        help_dialogs.ShortcutsDialog(self).exec()

    def show_user_guide(self) -> None:
        self.user_guide = help_dialogs.show_user_guide(self, self.user_guide)

    def show_about(self) -> None:
        help_dialogs.show_about(self)

    # -- drag and drop (app.file_drops) ---------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if file_drops.accepts_drop(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = file_drops.dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.open_path(paths[0] if len(paths) == 1 else paths)

    # -- settings (app.window_settings) ---------------------------------------------------
    def recent_studies(self) -> list[str]:
        """The paths in File > Open recent, newest first."""
        return window_settings.recent_studies(self.settings)

    def remember_recent(self, path: Path) -> None:
        """Put ``path`` first in File > Open recent."""
        self.recent.remember(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save("closing"):
            event.ignore()
            return
        self._stop_background_work()
        window_settings.save_window_state(self, self.settings)
        super().closeEvent(event)

    def _stop_background_work(self) -> None:
        """Stop the threads; while a plan or a registration is stopped (seconds), a wait cursor
        and a status line say what the window waits for."""
        work = self.plan_panel.running_work() or ("registration" if self.registration.busy else "")
        if work:
            self.statusBar().showMessage(f"Closing: waiting for the {work} to stop…")
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            # paint them before the GUI thread blocks; no user input is handled meanwhile
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        try:
            self.plan_panel.shutdown()
            self.registration.shutdown()
            self.pacs.shutdown()
            self.loader.cancel()
            self.loader.wait(10_000)
        finally:
            if work:
                QApplication.restoreOverrideCursor()
