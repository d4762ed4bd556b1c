"""Opening a study in the main window and following its background load.

`StudyLoading.open_path` takes a folder, files or a ``.spineplan.json`` case file (whose study
it opens) and starts the window's `StudyLoader`; `connect_loader` routes the loader's signals
to the handlers, which fill the window's ``infos`` and ``volumes``, show the first series as
soon as it is read (and its comparison series beside it) and report every problem in words, in
the Messages panel and the status bar.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtWidgets import QFileDialog

from app.series_choice import comparison_for
from imaging.discovery import Discovery
from imaging.errors import SpineplanError
from imaging.plurals import plural
from imaging.volume import Volume
from planning.case import load_case

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

    from app.loader import StudyLoader
    from app.series_browser import SeriesBrowser
    from app.viewer.viewer import Viewer
    from app.window_docks import FirstPlanRaiser
    from imaging.discovery import SeriesInfo
    from planning.case import Case

CASE_SUFFIX = ".spineplan.json"


class LoadingWindow(Protocol):
    """The main window as a load sees it: the study state it fills, the widgets it updates (it
    is the parent of the file dialogs)."""

    loader: StudyLoader
    viewer: Viewer
    browser: SeriesBrowser
    first_plan_raiser: FirstPlanRaiser
    progress_bar: QProgressBar
    progress_label: QLabel
    cancel_button: QPushButton
    actions_by_id: dict[str, QAction]
    discovery: Discovery | None
    infos: dict[str, SeriesInfo]
    volumes: dict[str, Volume]
    shown_keys: list[str | None]
    study_path: list[Path]
    case: Case | None
    load_error: str
    auto_compare: bool
    load_finished: SignalInstance
    case_opened: SignalInstance

    def setWindowTitle(self, title: str) -> None: ...
    def statusBar(self) -> QStatusBar: ...
    def add_message(self, level: str, text: str) -> None: ...
    def clear_messages(self) -> None: ...
    def remember_recent(self, path: Path) -> None: ...
    def show_series(self, key: str, panel: int = 0) -> None: ...
    def open_path(self, path: str | Path | Sequence[str | Path]) -> None: ...


class StudyLoading:
    """Opens studies in ``window`` and follows their loads (see the module docstring)."""

    def __init__(self, window: LoadingWindow) -> None:
        self.window = window

    def connect_loader(self) -> None:
        """Route the window's loader signals to the handlers below."""
        loader = self.window.loader
        loader.discovered.connect(self.on_discovered)
        loader.series_loaded.connect(self.on_series_loaded)
        loader.series_failed.connect(self.on_series_failed)
        loader.progress.connect(self.on_progress)
        loader.failed.connect(self.on_failed)
        loader.finished.connect(self.on_finished)

    def choose_folder(self) -> None:
        """File > Open folder."""
        window = self.window
        start = str(window.study_path[0]) if window.study_path else ""
        folder = QFileDialog.getExistingDirectory(window, "Open DICOM folder", start)
        if folder:
            window.open_path(folder)

    def choose_files(self) -> None:
        """File > Open files (DICOM files or a case file)."""
        window = self.window
        files, _ = QFileDialog.getOpenFileNames(
            window,
            "Open DICOM files or a case file",
            "",
            "DICOM or case files (*.dcm *.DCM *.ima *.IMA DICOMDIR *.spineplan.json *);;"
            "All files (*)",
        )
        if files:
            window.open_path(files)

    def open_path(self, path: str | Path | Sequence[str | Path]) -> None:
        """Start loading a folder, a file or a list of files (asynchronously)."""
        window = self.window
        paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
        window.case = None
        window.first_plan_raiser.forget()  # expected again when a case file opens
        if len(paths) == 1 and paths[0].name.endswith(CASE_SUFFIX) and paths[0].is_file():
            try:
                window.case = load_case(paths[0])
            except SpineplanError as error:
                window.loader.cancel()
                window.loader.wait(10_000)
                window.viewer.clear()
                self.report_failure(str(paths[0]), str(error))
                window.load_finished.emit("failed")
                return
            case_file = paths[0]
            paths = [window.case.study_path()]
        window.loader.cancel()
        window.loader.wait(10_000)
        window.viewer.clear()
        window.browser.clear()
        window.clear_messages()
        window.discovery, window.infos, window.volumes = None, {}, {}
        window.shown_keys = [None, None]
        window.study_path = paths
        window.load_error = ""
        label = ", ".join(str(p) for p in paths[:2]) + (" …" if len(paths) > 2 else "")
        missing = [p for p in paths if not p.exists()]
        if missing:
            self.report_failure(label, f"{missing[0]}: no such file or folder")
            window.load_finished.emit("failed")
            return
        window.viewer.show_message(f"Reading {label} …")
        window.setWindowTitle(f"spineplan — {label}[*]")
        self.set_loading_ui(True)
        window.statusBar().showMessage(f"Opening {label}", 3000)
        window.loader.start(paths)
        if window.case is not None:
            # the folder as the user knows it, not "cases/../../../data/case3"
            study = os.path.normpath(paths[0])
            window.add_message("info", f"Case file {case_file.name}: its study is {study}")
            window.remember_recent(case_file)
            window.case_opened.emit(window.case)
        elif len(paths) == 1:
            window.remember_recent(paths[0])

    def cancel_load(self) -> None:
        """Tools > Cancel loading: the series already read stay open."""
        window = self.window
        if window.loader.running:
            window.loader.cancel()
            window.progress_label.setText("Cancelling…")

    def set_loading_ui(self, loading: bool) -> None:
        """Show the progress bar and Cancel while a load runs, hide them otherwise."""
        window = self.window
        for widget in (
            window.progress_bar,
            window.cancel_button,
            window.progress_label,
        ):
            widget.setVisible(loading)
        window.actions_by_id["cancel_load"].setEnabled(loading)
        if loading:
            window.progress_bar.setRange(0, 0)
            window.progress_label.setText("Reading DICOM headers")

    def on_progress(self, done: int, total: int, text: str) -> None:
        window = self.window
        window.progress_bar.setRange(0, max(total, 1))
        window.progress_bar.setValue(done)
        window.progress_label.setText(text)

    def on_discovered(self, discovery: Discovery) -> None:
        """List the series found, title the window after the patient and report what was odd."""
        window = self.window
        window.discovery = discovery
        window.infos = {info.key: info for info in discovery.series}
        window.browser.set_series(discovery.series)
        study = discovery.studies[0] if discovery.studies else None
        if study is not None:
            name = study.patient_name.replace("^", " ").strip() or study.patient_id
            title = " — ".join(t for t in ("spineplan", name, study.study_description) if t)
            window.setWindowTitle(f"{title}[*]")  # "[*]": the unsaved-changes mark
        if len(discovery.studies) > 1:
            window.add_message(
                "info",
                f"{len(discovery.studies)} studies found; all series are "
                "listed, linked only within one frame of reference.",
            )
        for info in discovery.series:
            for warning in info.warnings:
                window.add_message("warning", f"{info.label}: {warning}")
        if discovery.skipped:
            first = discovery.skipped[0]
            window.add_message(
                "info",
                f"{plural(len(discovery.skipped), 'file')} skipped, "
                f"e.g. {first.path.name}: {first.reason}",
            )

    def on_series_loaded(self, key: str, volume: Volume) -> None:
        """Keep the volume; show it if it is the first, or beside the first if it is its match."""
        window = self.window
        window.volumes[key] = volume
        window.browser.set_loaded(key, volume)
        info = window.infos.get(key)
        label = info.label if info is not None else key
        for warning in volume.warnings:
            window.add_message("warning", f"{label}: {warning}")
        if window.shown_keys[0] is None:
            window.show_series(key, 0)  # the first image as soon as its series is read
        elif window.auto_compare and window.shown_keys[1] is None and info is not None:
            primary = window.infos.get(window.shown_keys[0] or "")
            if primary is not None and comparison_for(list(window.infos.values()), primary) is info:
                window.show_series(key, 1)

    def on_series_failed(self, key: str, message: str) -> None:
        window = self.window
        window.browser.set_failed(key, message)
        info = window.infos.get(key)
        window.add_message("error", f"{info.label if info else key} cannot be shown: {message}")

    def on_failed(self, message: str) -> None:
        window = self.window
        label = ", ".join(str(p) for p in window.study_path[:2])
        self.report_failure(label, message)

    def report_failure(self, label: str, message: str) -> None:
        """The study ``label`` could not be opened: say why, and how to open another."""
        window = self.window
        window.load_error = message
        # the error names the path already ("PATH: no DICOM images found"): not twice
        message = message.removeprefix(f"{label}: ")
        window.add_message("error", f"Could not open {label}: {message}")
        if not window.viewer.has_images:
            window.viewer.show_message(
                f"Could not open {label}\n\n{message}\n\n"
                "Open another folder with File ▸ Open folder (Ctrl+O) or drop it here."
            )
        window.statusBar().showMessage(f"Could not open {label}", 10_000)
        self.set_loading_ui(False)

    def on_finished(self, outcome: str) -> None:
        """The load ended ("done", "cancelled" or "failed"): sum it up, then tell listeners."""
        window = self.window
        self.set_loading_ui(False)
        if outcome == "cancelled":
            window.add_message("info", "Loading cancelled; the series already read stay open.")
            window.statusBar().showMessage("Loading cancelled", 5000)
            if not window.viewer.has_images:
                window.viewer.show_message(
                    "Loading cancelled.\n\nOpen a folder with File ▸ Open folder (Ctrl+O)."
                )
        elif outcome == "done":
            if not window.volumes and window.infos and not window.load_error:
                self.report_failure(
                    ", ".join(str(p) for p in window.study_path[:2]),
                    "none of its series could be shown (see Messages)",
                )
            else:
                window.statusBar().showMessage(
                    f"{len(window.volumes)} of {len(window.infos)} series loaded", 5000
                )
        window.load_finished.emit(outcome)
