"""File > Send to PACS: choose among the exports (or any files and folders), send them off the GUI
thread with a progress bar and Cancel, and see what became of each file.

The list offers what `app.pacs.exports.ExportLog` recorded (RT Plan, RT Dose, RT Structure
Set, SEG, the case's REG, the teaching export), the plan's files checked; Add files… and Add
folder… add anything else. Send runs `imaging.pacs.send.send` (C-STORE, or STOW-RS for a
DICOMweb node); the result table lists every file with its SOP Instance UID and "OK" or the
PACS's message; a node that cannot be reached at all is the PACS error's one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.pacs.exports import ExportItem
from app.pacs.node_chooser import NodeChooser, remember_node
from app.pacs.password_dialog import node_with_secret
from app.pacs.status_style import ERROR_COLOUR, ERROR_STYLE, OK_COLOUR
from app.pacs.workers import PacsWorker, let_finish, send_worker
from imaging.pacs.nodes import PacsNode
from imaging.plurals import plural

if TYPE_CHECKING:
    from imaging.pacs.send import SendOutcome

#: export kinds checked when the dialog opens: the plan's objects and the annotation's
CHECKED_KINDS = ("RT Plan", "RT Dose", "RT Structure Set", "Segmentation (SEG)")


class SendToPacsDialog(QDialog):
    """Choose, send, see each file's result (see the module docstring).

    Parameters
    ----------
    nodes : the configured PACS nodes (at least one).
    exports : what to offer (`ExportLog.items`).
    settings : where the last node used is kept.

    Signals
    -------
    send_finished(str) : a send ended: "done", "cancelled" or "failed".
    """

    send_finished = Signal(str)

    def __init__(
        self,
        nodes: list[PacsNode],
        exports: list[ExportItem],
        settings: QSettings | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("SendToPacsDialog")
        self.setWindowTitle("Send to PACS")
        self.settings = settings
        self.worker: PacsWorker | None = None
        self.outcomes: list[SendOutcome] = []

        self.node_chooser = NodeChooser(nodes, settings, self)
        self.items_table = QTableWidget(0, 3, self)
        self.items_table.setObjectName("PacsSendItems")
        self.items_table.setHorizontalHeaderLabels(
            ["What (checked: sent)", "File or folder", "Note"]
        )
        self.items_table.verticalHeader().hide()
        self.items_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.items_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.add_files_button = QPushButton("Add files…", self)
        self.add_files_button.setObjectName("PacsSendAddFiles")
        self.add_folder_button = QPushButton("Add folder…", self)
        self.add_folder_button.setObjectName("PacsSendAddFolder")
        self.add_folder_button.setToolTip("Every DICOM file inside the folder is sent")
        self.items_note = QLabel(self)
        self.items_note.setObjectName("PacsSendItemsNote")
        self.items_note.setWordWrap(True)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_files_button)
        add_row.addWidget(self.add_folder_button)
        add_row.addWidget(self.items_note, 1)

        self.results_table = QTableWidget(0, 3, self)
        self.results_table.setObjectName("PacsSendResults")
        self.results_table.setHorizontalHeaderLabels(["File", "SOP Instance UID", "Result"])
        self.results_table.verticalHeader().hide()
        self.results_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.results_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("PacsSendStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("PacsSendProgress")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("PacsSendCancel")
        self.cancel_button.setToolTip("Stop after the file being sent; the rest are not sent")
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)

        buttons = QDialogButtonBox(self)
        self.send_button = buttons.addButton("Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_button.setObjectName("PacsSend")
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.send_button.clicked.connect(self.send)

        form = QFormLayout()
        form.addRow("PACS", self.node_chooser)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("What to send:", self))
        layout.addWidget(self.items_table, 2)
        layout.addLayout(add_row)
        self.results_label = QLabel("Result of each file:", self)
        layout.addWidget(self.results_label)
        layout.addWidget(self.results_table, 3)
        layout.addWidget(self.status_label)
        layout.addLayout(progress_row)
        layout.addWidget(buttons)

        self.add_files_button.clicked.connect(self.choose_files)
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.cancel_button.clicked.connect(self.cancel)
        self.items_table.itemChanged.connect(lambda _item: self._update_buttons())
        for item in exports:
            self.add_item(item, checked=item.kind in CHECKED_KINDS)
        if not exports:
            self.items_note.setText(
                "Nothing exported in this session yet: export the plan (File ▸ Export plan…) "
                "or the structures, or add files or a folder."
            )
        self._show_results([])
        self._update_buttons()
        self.resize(980, 620)

    # -- what to send ---------------------------------------------------------------------
    def add_item(self, item: ExportItem, checked: bool = True) -> None:
        """List ``item`` (once: a path already listed is checked instead)."""
        for row in range(self.items_table.rowCount()):
            if self.path_at(row) == item.path:
                self.check_row(row, True)
                return
        row = self.items_table.rowCount()
        self.items_table.insertRow(row)
        check = QTableWidgetItem(item.kind)
        check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        check.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        check.setData(Qt.ItemDataRole.UserRole, str(item.path))
        self.items_table.setItem(row, 0, check)
        path_item = QTableWidgetItem(str(item.path))
        path_item.setToolTip(str(item.path))
        self.items_table.setItem(row, 1, path_item)
        self.items_table.setItem(row, 2, QTableWidgetItem(item.note))
        self._update_buttons()

    def add_paths(self, paths: list[Path]) -> None:
        """List files or folders chosen by the user (checked)."""
        for path in paths:
            kind = "Folder" if path.is_dir() else "File"
            self.add_item(ExportItem(kind, path, "added"), checked=True)

    def _what_item(self, row: int) -> QTableWidgetItem:
        """The row's first cell: what it is, its check box, its path (as data)."""
        item = self.items_table.item(row, 0)
        assert item is not None  # every row is made with its three cells
        return item

    def path_at(self, row: int) -> Path:
        return Path(self._what_item(row).data(Qt.ItemDataRole.UserRole))

    def check_row(self, row: int, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        self._what_item(row).setCheckState(state)

    def chosen_paths(self) -> list[Path]:
        """The checked files and folders, in the listed order."""
        return [
            self.path_at(row)
            for row in range(self.items_table.rowCount())
            if self._what_item(row).checkState() == Qt.CheckState.Checked
        ]

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Send DICOM files", "", "DICOM files (*.dcm *.DCM *);;All files (*)"
        )
        self.add_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Send the DICOM files of a folder")
        if folder:
            self.add_paths([Path(folder)])

    # -- sending --------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        busy = self.worker is not None
        for widget in (self.progress_bar, self.cancel_button):
            widget.setVisible(busy)
        chosen = bool(self.chosen_paths())
        self.send_button.setEnabled(not busy and chosen)
        self.send_button.setToolTip(
            "Send the checked files and folders to the chosen PACS"
            if chosen
            else "Check at least one file or folder to send"
        )
        for control in (
            self.node_chooser,
            self.items_table,
            self.add_files_button,
            self.add_folder_button,
        ):
            control.setEnabled(not busy)

    def send(self) -> None:
        """Send the checked files and folders, in the background."""
        node = self.node_chooser.node()
        paths = self.chosen_paths()
        if node is None or not paths or self.worker is not None:
            return
        node = node_with_secret(node, self)
        if node is None:  # the password dialog was cancelled
            return
        remember_node(self.settings, node)
        worker = self.worker = send_worker(node, paths, self)
        worker.progressed.connect(self._on_progress)
        worker.succeeded.connect(lambda outcomes: self._on_sent(node, outcomes))
        worker.failed.connect(lambda message: self._ended("failed", message, error=True))
        worker.cancelled.connect(lambda: self._ended("cancelled", "Sending cancelled."))
        worker.finished.connect(worker.deleteLater)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("%v of %m files")
        self._show_results([])
        self._say(f"Sending to {node.name}…")
        self._update_buttons()
        worker.start()

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))

    def _on_sent(self, node: PacsNode, outcomes: list[SendOutcome]) -> None:
        self._show_results(outcomes)
        stored = sum(1 for outcome in outcomes if outcome.ok)
        failed = len(outcomes) - stored
        if failed == 0:
            text = f"{plural(stored, 'file')} stored in {node.name}."
        else:
            text = (
                f"{stored} of {plural(len(outcomes), 'file')} stored in {node.name}; "
                f"{failed} not (see each file's result)."
            )
        cancelled = any(outcome.message == "not sent: cancelled" for outcome in outcomes)
        self._ended("cancelled" if cancelled else "done", text, error=failed > 0)

    def _ended(self, outcome: str, text: str, error: bool = False) -> None:
        self.worker = None
        self._say(text, error)
        self._update_buttons()
        # Once everything is stored, Enter closes: it must not send the same files again.
        sent = outcome == "done" and not error
        self.send_button.setDefault(not sent)
        self.close_button.setDefault(sent)
        if sent:
            self.close_button.setFocus()
        self.send_finished.emit(outcome)

    def _say(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(ERROR_STYLE if error else "")

    def _show_results(self, outcomes: list[SendOutcome]) -> None:
        """One row per file: its name, SOP Instance UID and OK or the PACS's message."""
        self.outcomes = list(outcomes)
        table = self.results_table
        table.setRowCount(len(outcomes))
        for row, outcome in enumerate(outcomes):
            name = QTableWidgetItem(outcome.path.name)
            name.setToolTip(str(outcome.path))
            result = QTableWidgetItem("OK" if outcome.ok else outcome.message)
            if outcome.ok and outcome.message not in ("", "stored"):
                result.setText(f"OK ({outcome.message})")
            result.setForeground(OK_COLOUR if outcome.ok else ERROR_COLOUR)
            result.setToolTip(outcome.message)
            table.setItem(row, 0, name)
            table.setItem(row, 1, QTableWidgetItem(outcome.sop_instance_uid))
            table.setItem(row, 2, result)
        self.results_label.setVisible(bool(outcomes))
        table.setVisible(bool(outcomes))

    def result_rows(self) -> list[tuple[str, str, str]]:
        """The result table as shown: (file, SOP Instance UID, result) per row."""
        table = self.results_table

        def text(row: int, column: int) -> str:
            item = table.item(row, column)
            return item.text() if item is not None else ""

        return [(text(row, 0), text(row, 1), text(row, 2)) for row in range(table.rowCount())]

    def cancel(self) -> None:
        """Stop after the file being sent."""
        if self.worker is not None:
            self.worker.cancel()
            self._say("Cancelling after the file being sent…")

    def done(self, result: int) -> None:
        if self.worker is not None:  # closed while sending: stop after the current file
            let_finish(self.worker)
            self.worker = None
        super().done(result)
