"""File > Export case for teaching: the open case and its study, de-identified, in the
background with a progress dialog, then a dialog listing what was removed and replaced.

The de-identification itself is `planning.practice.teaching.export_case_for_teaching` (the DICOM
PS3.15 Basic Application Level Confidentiality Profile with the Retain Longitudinal Temporal
Information with Modified Dates and Clean Descriptors options, see `imaging.confidentiality`);
this module only chooses what to export, asks before exporting images that may show burned-in
text, runs the export off the GUI thread and shows the result.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QVBoxLayout,
    QWidget,
)

from app.annotation.document import structure_file_names, write_mask
from app.practice.worker import TeachingExportThread
from imaging.errors import SpineplanError
from planning.anatomy.lesion import MaskLesion
from planning.case import Case, save_case
from planning.practice.teaching import TeachingExport, teaching_burned_in_images

if TYPE_CHECKING:
    from app.annotation.document import AnnotationDocument
    from app.host_window import HostWindow

#: Folder name used inside a chosen folder that is not empty.
DEFAULT_FOLDER_NAME = "teaching_case"


def free_destination(folder: Path) -> Path:
    """``folder`` when it is missing or empty, else a new ``teaching_case[_N]`` inside it."""
    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        return folder
    candidate = folder / DEFAULT_FOLDER_NAME
    number = 2
    while candidate.exists():
        candidate = folder / f"{DEFAULT_FOLDER_NAME}_{number}"
        number += 1
    return candidate


class TeachingExportDialog(QDialog):
    """What the export wrote, removed and replaced, in words."""

    def __init__(self, export: TeachingExport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Exported for teaching")
        self.setObjectName("TeachingExportDialog")
        head = QLabel(
            f"The de-identified case and study were written to <b>{export.folder}</b>. "
            "DICOM PS3.15 Basic Application Level Confidentiality Profile: names and IDs "
            "replaced, private tags and descriptors removed (the series description is kept "
            "cleaned), dates shifted and UIDs replaced consistently (the series still share "
            "their frame of reference):",
            self,
        )
        head.setWordWrap(True)
        self.text = QPlainTextEdit("\n".join(export.summary_lines()), self)
        self.text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(560, 460)


class TeachingExporter(QObject):
    """Runs teaching exports for the main window.

    Signals: ``exported(TeachingExport)``, ``failed(str)``.
    """

    exported = Signal(object)
    failed = Signal(str)

    def __init__(self, window: HostWindow, document: AnnotationDocument) -> None:
        super().__init__(window)
        self.window = window
        #: the annotation document whose case is exported
        self.document = document
        self.export_thread: TeachingExportThread | None = None
        self.progress: QProgressDialog | None = None
        self.result_dialog: TeachingExportDialog | None = None
        #: show the result dialog (tests switch it off)
        self.show_result = True

    def _case_to_export(self) -> tuple[Case | Path, Path | None]:
        """The case as it is now: its file when saved and unchanged, else a temporary copy
        (returned second, to delete afterwards) with an absolute study path.

        Raises
        ------
        SpineplanError
            No case is open.
        """
        document = self.document
        if document.case is None:
            raise SpineplanError("open a study or a case before exporting it for teaching")
        if document.case_path is not None and not document.is_modified:
            return Path(document.case_path), None
        scratch = Path(tempfile.mkdtemp(prefix="spineplan-teaching-"))
        try:
            mask_name = None
            state = document.current
            if state.lesion_mask is not None and state.lesion is None:
                mask_name = "lesion.nrrd"
                write_mask(state.lesion_mask, scratch / mask_name)
            structure_names = structure_file_names(state, "case")
            for structure in state.structures:
                if structure.name in structure_names:
                    write_mask(structure.mask, scratch / structure_names[structure.name])
            case = document.with_mask_files(mask_name, structure_names)
            lesion = case.lesion
            if isinstance(lesion, MaskLesion) and lesion.origin == "file":
                lesion = MaskLesion(str(document.case.resolve(lesion.path).resolve()), "file")
            study = replace(case.study, path=str(document.case.study_path().resolve()))
            saved = save_case(
                replace(case, study=study, lesion=lesion), scratch / "case.spineplan.json"
            )
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        return saved, scratch

    def choose_export(self) -> None:
        """Ask for a folder, then export into it (or into a new folder inside it)."""
        if self.document.case is None:
            self.window.add_message("error", "Export for teaching: open a study or a case first")
            return
        folder = QFileDialog.getExistingDirectory(
            self.window, "Export case for teaching into (an empty folder)"
        )
        if folder:
            self.export_to(free_destination(Path(folder)))

    def export_to(self, destination: str | Path) -> bool:
        """Start exporting into ``destination`` (a new or empty folder); False if it cannot
        start (the reason is in the Messages panel)."""
        if self.export_thread is not None:
            self.window.add_message("warning", "A teaching export is already running")
            return False
        try:
            case, scratch = self._case_to_export()
        except (SpineplanError, OSError) as error:
            self._on_failed(str(error))
            return False
        cleanup = (lambda: shutil.rmtree(scratch, ignore_errors=True)) if scratch else None
        try:
            burned_in = teaching_burned_in_images(case)
        except (SpineplanError, OSError):
            burned_in = []  # the export itself reports the problem with the study
        if burned_in and not self.confirm_burned_in(burned_in):
            if cleanup is not None:
                cleanup()
            self.window.add_message(
                "info", "Export for teaching cancelled: images may show burned-in text."
            )
            return False
        thread = TeachingExportThread(
            case, Path(destination), self, cleanup=cleanup, accept_burned_in=bool(burned_in)
        )
        thread.progress.connect(self._on_progress)
        thread.exported.connect(self._on_exported)
        thread.failed.connect(self._on_failed)
        thread.cancelled.connect(self._on_cancelled)
        thread.finished.connect(self._on_thread_finished)
        self.export_thread = thread
        self.progress = QProgressDialog("De-identifying the study…", "Cancel", 0, 0, self.window)
        self.progress.setObjectName("TeachingExportProgress")
        self.progress.setWindowTitle("Export case for teaching")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(300)
        self.progress.canceled.connect(thread.cancel)
        thread.start()
        return True

    def confirm_burned_in(self, found: list[str]) -> bool:
        """Ask whether to export images that may show text in their pixels (not cleaned)."""
        count = len(found)
        answer = QMessageBox.question(
            self.window,
            "Burned-in text",
            f"{count} {'image' if count == 1 else 'images'} of this study may show the "
            "patient's name or other text burned into the pixels, which de-identification "
            f"does not remove:\n\n{found[0]}\n\nExport anyway? Check the exported images "
            "before sharing them.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _on_progress(self, done: int, total: int) -> None:
        dialog = self.progress
        if dialog is None:
            return
        dialog.setMaximum(total)
        dialog.setLabelText(f"De-identifying file {done} of {total}…")
        # a modal progress dialog processes events in setValue: the export may end meanwhile
        dialog.setValue(done)

    def _close_progress(self) -> None:
        if self.progress is not None:
            self.progress.reset()
            self.progress.deleteLater()
            self.progress = None

    def _on_exported(self, export: TeachingExport) -> None:
        self._close_progress()
        self.window.add_message("info", f"Case exported for teaching to {export.folder}")
        self.window.statusBar().showMessage(f"Exported for teaching to {export.folder}", 8000)
        if self.show_result:
            self.result_dialog = TeachingExportDialog(export, self.window)
            self.result_dialog.show()
        self.exported.emit(export)

    def _on_failed(self, message: str) -> None:
        self._close_progress()
        self.window.add_message("error", f"Export for teaching failed: {message}")
        self.failed.emit(message)

    def _on_cancelled(self) -> None:
        self._close_progress()
        self.window.add_message("info", "Export for teaching cancelled; nothing was written.")

    def _on_thread_finished(self) -> None:
        if self.export_thread is not None:
            self.export_thread.deleteLater()
        self.export_thread = None

    def shutdown(self) -> None:
        """Stop a running export (window closing)."""
        if self.export_thread is not None:
            self.export_thread.cancel()
            self.export_thread.wait(30_000)
