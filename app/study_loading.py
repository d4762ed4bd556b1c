"""Opening a study in the main window and following its background load.

`open_path` takes a folder, files or a ``.spineplan.json`` case file (whose study it opens) and
starts the window's `StudyLoader`; `connect_loader` routes the loader's signals to the handlers
below, which fill the window's ``infos`` and ``volumes``, show the first series as soon as it is
read (and its comparison series beside it) and report every problem in words, in the Messages
panel and the status bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from app.series_choice import comparison_for
from imaging.discovery import Discovery
from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.case import load_case

if TYPE_CHECKING:
    from app.main_window import MainWindow

CASE_SUFFIX = ".spineplan.json"


def connect_loader(window: MainWindow) -> None:
    """Route the window's loader signals to this module's handlers."""
    loader = window.loader
    loader.discovered.connect(lambda discovery: on_discovered(window, discovery))
    loader.series_loaded.connect(lambda key, volume: on_series_loaded(window, key, volume))
    loader.series_failed.connect(lambda key, message: on_series_failed(window, key, message))
    loader.progress.connect(lambda done, total, text: on_progress(window, done, total, text))
    loader.failed.connect(lambda message: on_failed(window, message))
    loader.finished.connect(lambda outcome: on_finished(window, outcome))


def choose_folder(window: MainWindow) -> None:
    """File > Open folder."""
    start = str(window.study_path[0]) if window.study_path else ""
    folder = QFileDialog.getExistingDirectory(window, "Open DICOM folder", start)
    if folder:
        window.open_path(folder)


def choose_files(window: MainWindow) -> None:
    """File > Open files (DICOM files or a case file)."""
    files, _ = QFileDialog.getOpenFileNames(
        window,
        "Open DICOM files or a case file",
        "",
        "DICOM or case files (*.dcm *.DCM *.ima *.IMA DICOMDIR *.spineplan.json *);;All files (*)",
    )
    if files:
        window.open_path(files)


def open_path(window: MainWindow, path: str | Path | Sequence[str | Path]) -> None:
    """Start loading a folder, a file or a list of files (asynchronously)."""
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
            report_failure(window, str(paths[0]), str(error))
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
        report_failure(window, label, f"{missing[0]}: no such file or folder")
        window.load_finished.emit("failed")
        return
    window.viewer.show_message(f"Reading {label} …")
    window.setWindowTitle(f"spineplan — {label}")
    set_loading_ui(window, True)
    window.statusBar().showMessage(f"Opening {label}", 3000)
    window.loader.start(paths)
    if window.case is not None:
        window.add_message("info", f"Case file {case_file.name}: its study is {paths[0]}")
        window.remember_recent(case_file)
        window.case_opened.emit(window.case)
    elif len(paths) == 1:
        window.remember_recent(paths[0])


def cancel_load(window: MainWindow) -> None:
    """Tools > Cancel loading: the series already read stay open."""
    if window.loader.running:
        window.loader.cancel()
        window.progress_label.setText("Cancelling…")


def set_loading_ui(window: MainWindow, loading: bool) -> None:
    """Show the progress bar and Cancel while a load runs, hide them otherwise."""
    for widget in (window.progress_bar, window.cancel_button, window.progress_label):
        widget.setVisible(loading)
    window.actions_by_id["cancel_load"].setEnabled(loading)
    if loading:
        window.progress_bar.setRange(0, 0)
        window.progress_label.setText("Reading DICOM headers")


def on_progress(window: MainWindow, done: int, total: int, text: str) -> None:
    window.progress_bar.setRange(0, max(total, 1))
    window.progress_bar.setValue(done)
    window.progress_label.setText(text)


def on_discovered(window: MainWindow, discovery: Discovery) -> None:
    """List the series found, title the window after the patient and report what was odd."""
    window.discovery = discovery
    window.infos = {info.key: info for info in discovery.series}
    window.browser.set_series(discovery.series)
    study = discovery.studies[0] if discovery.studies else None
    if study is not None:
        name = study.patient_name.replace("^", " ").strip() or study.patient_id
        title = " — ".join(t for t in ("spineplan", name, study.study_description) if t)
        window.setWindowTitle(title)
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
            f"{len(discovery.skipped)} file(s) skipped, e.g. {first.path.name}: {first.reason}",
        )


def on_series_loaded(window: MainWindow, key: str, volume: Volume) -> None:
    """Keep the volume; show it if it is the first, or beside the first if it is its match."""
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


def on_series_failed(window: MainWindow, key: str, message: str) -> None:
    window.browser.set_failed(key, message)
    info = window.infos.get(key)
    window.add_message("error", f"{info.label if info else key} cannot be shown: {message}")


def on_failed(window: MainWindow, message: str) -> None:
    label = ", ".join(str(p) for p in window.study_path[:2])
    report_failure(window, label, message)


def report_failure(window: MainWindow, label: str, message: str) -> None:
    """The study ``label`` could not be opened: say why, and how to open another."""
    window.load_error = message
    window.add_message("error", f"Could not open {label}: {message}")
    if not window.viewer.has_images:
        window.viewer.show_message(
            f"Could not open {label}\n\n{message}\n\n"
            "Open another folder with File ▸ Open folder (Ctrl+O) or drop it here."
        )
    window.statusBar().showMessage(f"Could not open {label}", 10_000)
    set_loading_ui(window, False)


def on_finished(window: MainWindow, outcome: str) -> None:
    """The load ended ("done", "cancelled" or "failed"): sum it up, then tell listeners."""
    set_loading_ui(window, False)
    if outcome == "cancelled":
        window.add_message("info", "Loading cancelled; the series already read stay open.")
        window.statusBar().showMessage("Loading cancelled", 5000)
        if not window.viewer.has_images:
            window.viewer.show_message(
                "Loading cancelled.\n\nOpen a folder with File ▸ Open folder (Ctrl+O)."
            )
    elif outcome == "done":
        if not window.volumes and window.infos and not window.load_error:
            report_failure(
                window,
                ", ".join(str(p) for p in window.study_path[:2]),
                "none of its series could be shown (see Messages)",
            )
        else:
            window.statusBar().showMessage(
                f"{len(window.volumes)} of {len(window.infos)} series loaded", 5000
            )
    window.load_finished.emit(outcome)
