"""The Plan panel's export: the folder dialog, the progress dialog with Cancel, the outcome.

`PlanExportFlow` runs a `PlanExporter` for the panel that owns it and reports in words through
``status_changed``; problems also reach the main window's message log when it has one.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.plan_panel.export import EXPORT_STEPS, PlanExporter
from imaging.errors import SpineplanError
from imaging.pacs.cache_names import study_folder_name
from planning.case import CASE_FILE_SUFFIX, Case
from planning.dose.plan_geometry import PlanGeometry
from planning.plan import PlanResult
from planning.run import PlanJob


def export_button(parent: QWidget) -> QPushButton:
    """The panel's "Export plan…" button (its click is connected by the panel)."""
    button = QPushButton("Export plan…", parent)
    button.setObjectName("ExportPlan")
    button.setToolTip(
        "Write field.json, field.csv, report.pdf, rtplan.dcm, rtdose.dcm and rtstruct.dcm "
        "into a folder (as spineplan plan --out DIR)"
    )
    return button


def case_stem(path: Path) -> str:
    """``case1`` for ``case1.spineplan.json``."""
    name = path.name
    return name.removesuffix(CASE_FILE_SUFFIX) if name.endswith(CASE_FILE_SUFFIX) else path.stem


def proposed_export_folder(
    case: Case, fallback_parent: Path, case_path: Path | None = None
) -> Path:
    """A new folder for the export: ``<case name>-plan`` beside the case file (``case_path``,
    the file the case is saved to now, else the one it was opened from), or in
    ``fallback_parent`` for a case not saved yet or a bundled reference (named after its
    study); ``-2``, ``-3`` ... when taken."""
    if case_path is None and case.source_path is not None and not case.reference:
        case_path = Path(case.source_path)
    if case_path is not None:
        parent, stem = case_path.parent, case_stem(case_path)
    else:
        stem = study_folder_name(case.study_path()) or "case"
        parent = fallback_parent
    candidate, n = parent / f"{stem}-plan", 2
    while candidate.exists():
        candidate, n = parent / f"{stem}-plan-{n}", n + 1
    return candidate


class ExportFolderDialog(QDialog):
    """Where to export: a folder path that may be typed (a new folder is made) or browsed to.

    The line under the path says what will happen (a new folder made, files of the same names
    replaced in an existing one, or why the path cannot be used); Export is enabled only for
    a usable path.
    """

    def __init__(self, owner: QWidget, proposed: Path) -> None:
        super().__init__(owner)
        self.setObjectName("ExportFolderDialog")
        self.setWindowTitle("Export plan")
        self.setMinimumWidth(560)
        intro = QLabel(
            "Export the plan (field.json, field.csv, report.pdf, rtplan.dcm, rtdose.dcm, "
            "rtstruct.dcm) into the folder:",
            self,
        )
        intro.setWordWrap(True)
        self.path_edit = QLineEdit(str(proposed), self)
        self.path_edit.setObjectName("ExportFolderPath")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.note = QLabel(self)
        self.note.setObjectName("ExportFolderNote")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(self)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.path_edit.textChanged.connect(self._check)
        self._check()

    def folder(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def _check(self) -> None:
        text = self.path_edit.text().strip()
        folder = self.folder()
        if not text:
            note, usable = "Type or browse to a folder.", False
        elif folder.is_file():
            note, usable = f"{folder} is a file, not a folder.", False
        elif folder.is_dir():
            note, usable = (
                "The folder exists: files of the same names in it are replaced.",
                True,
            )
        else:
            note, usable = "A new folder will be made.", True
        self.note.setText(note)
        self.export_button.setEnabled(usable)

    def _browse(self) -> None:
        start = self.folder()
        while not start.is_dir() and start != start.parent:
            start = start.parent
        chosen = QFileDialog.getExistingDirectory(self, "Export plan into folder", str(start))
        if chosen:
            self.path_edit.setText(chosen)


def ask_export_folder(
    owner: QWidget, case: Case | None, fallback_parent: Path, case_path: Path | None = None
) -> str:
    """Ask for the folder to export ``case``'s plan into ('' when cancelled or without a
    case); a typed folder that does not exist yet is made (with its parents)."""
    if case is None:
        QMessageBox.information(
            owner, "Export plan", "Open a case file (*.spineplan.json) to plan first."
        )
        return ""
    dialog = ExportFolderDialog(owner, proposed_export_folder(case, fallback_parent, case_path))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return ""
    return str(dialog.folder())


class PlanExportFlow(QObject):
    """One export at a time behind a window-modal progress dialog.

    Parameters
    ----------
    scratch_folder : where the exporter may write images and masks it needs.
    owner : the panel: parent of the exporter and of the dialogs.

    Signals
    -------
    status_changed(str) : the export's state in words, for the panel's status line.
    finished(list) : the paths an export wrote.
    """

    status_changed = Signal(str)
    finished = Signal(object)

    def __init__(self, scratch_folder: Path, owner: QWidget) -> None:
        super().__init__(owner)
        self.owner = owner
        self.exporter = PlanExporter(scratch_folder, owner)
        self.exporter.finished.connect(self._on_finished)
        self.exporter.failed.connect(self._on_failed)
        self.exporter.cancelled.connect(self._on_cancelled)
        self.progress_dialog: QProgressDialog | None = None

    def start(
        self,
        folder: str | Path,
        result: PlanResult | None,
        job: PlanJob | None,
        geometry: PlanGeometry | None = None,
    ) -> bool:
        """Export ``result`` or ``geometry``'s field limits (or plan ``job`` first) into
        ``folder`` in the background.

        Returns False (with a message) when the export cannot start.
        """
        try:
            # a typed new folder is made by the writer; its parents are made here
            Path(folder).parent.mkdir(parents=True, exist_ok=True)
            self.exporter.start(folder, result=result, job=job, geometry=geometry)
        except (SpineplanError, OSError) as error:
            self._report_problem(str(error))
            return False
        dialog = QProgressDialog("Exporting the plan…", "Cancel", 0, EXPORT_STEPS, self.owner)
        dialog.setObjectName("ExportProgress")
        dialog.setWindowTitle("Export plan")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)  # only when it takes more than a moment
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.exporter.cancel)
        self.exporter.progress.connect(self._on_progress)
        self.progress_dialog = dialog
        self.status_changed.emit(f"Exporting into {folder}…")
        return True

    def _on_progress(self, done: int, total: int, text: str) -> None:
        dialog = self.progress_dialog
        if dialog is None:
            return
        dialog.setLabelText(f"Exporting the plan: {text}")
        dialog.setMaximum(total)
        # last: a modal dialog's setValue processes events, which may end the export
        dialog.setValue(done)

    def _close_progress(self) -> None:
        self.exporter.progress.disconnect(self._on_progress)
        if self.progress_dialog is not None:
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None

    def _on_finished(self, written: list[Path]) -> None:
        self._close_progress()
        folder = written[0].parent if written else ""
        self.status_changed.emit(f"Exported {len(written)} files into {folder}")
        self.finished.emit(written)

    def _on_failed(self, message: str) -> None:
        self._close_progress()
        self._report_problem(message)

    def _on_cancelled(self) -> None:
        self._close_progress()
        self.status_changed.emit("Export cancelled: nothing was written.")

    def _report_problem(self, message: str) -> None:
        self.status_changed.emit(f"Export failed: {message}")
        window = self.owner.window()
        add_message = getattr(window, "add_message", None)
        if callable(add_message):
            add_message("error", f"Export plan: {message}")

    def shutdown(self) -> None:
        """Cancel a running export and wait for it to stop."""
        self.exporter.cancel()
        self.exporter.wait()
