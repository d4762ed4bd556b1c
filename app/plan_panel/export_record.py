"""What the last export wrote, beside the Export button: where, when, "Open folder", and
whether the plan has changed since (a stale export is flagged until the plan is exported again).

`ExportRecord.exported(folder, count, inputs)` shows the confirmation; `check(inputs)` compares
the plan's inputs now (case, settings ...) with those exported and words the line accordingly;
`forget()` hides it (another case).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from imaging.plurals import plural


def same_inputs(first: object, second: object) -> bool:
    """Whether two plan inputs compare equal (an input that cannot be compared differs)."""
    try:
        return bool(first == second)
    except (TypeError, ValueError):
        return False


class ExportRecord(QFrame):
    """The confirmation line of the last export (hidden until there is one)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("ExportRecord")
        self.label = QLabel(self)
        self.label.setObjectName("ExportRecordText")
        self.label.setWordWrap(True)
        self.open_button = QPushButton("Open folder", self)
        self.open_button.setObjectName("OpenExportFolder")
        self.open_button.setToolTip("Show the exported files in the file manager")
        self.open_button.clicked.connect(self.open_folder)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.open_button)
        self.folder: Path | None = None
        self.inputs: object = None
        self.count = 0
        self.when = ""
        self.stale = False
        self.hide()

    def exported(self, folder: Path, count: int, inputs: object) -> None:
        """An export of the plan made from ``inputs`` wrote ``count`` files into ``folder``."""
        self.folder, self.count, self.inputs = folder, count, inputs
        self.when = datetime.now().strftime("%H:%M")
        self.stale = False
        self._show_text()
        self.show()

    def check(self, inputs: object) -> None:
        """Flag the export as stale when the plan's ``inputs`` differ from those exported."""
        if self.folder is None:
            return
        stale = not same_inputs(inputs, self.inputs)
        if stale != self.stale:
            self.stale = stale
            self._show_text()

    def forget(self) -> None:
        """No export of this case yet (another case was opened)."""
        self.folder, self.inputs, self.stale = None, None, False
        self.hide()

    def _show_text(self) -> None:
        files = plural(self.count, "file")
        if self.stale:
            self.label.setText(
                f"⚠ Exported {files} into {self.folder} at {self.when} — "
                "<b>the plan has changed since</b>; export again to update them."
            )
            self.setStyleSheet("#ExportRecordText { color: #f0b040; }")
        else:
            self.label.setText(f"✓ Exported {files} into {self.folder} at {self.when}.")
            self.setStyleSheet("")

    def open_folder(self) -> None:
        """Open the export folder in the system's file manager."""
        if self.folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))
