"""Tools > Practice…: choose the reference case to practise on."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.practice.cases import PracticeCase, load_reference_case, sample_practice_cases
from imaging.errors import SpineplanError
from planning.case import CASE_FILE_SUFFIX


class PracticeDialog(QDialog):
    """Lists the sample reference cases; **Other case file…** adds one chosen from disk.

    After ``exec()`` returns Accepted, ``chosen`` is the `PracticeCase`.
    """

    def __init__(
        self, parent: QWidget | None = None, cases: list[PracticeCase] | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Practice")
        self.setObjectName("PracticeDialog")
        self.chosen: PracticeCase | None = None
        intro = QLabel(
            "Choose a case with a reference annotation. Its study opens with an empty "
            "annotation and the reference hidden: label the levels, mark the lesion and the "
            "edema and derive the field with the normal tools, then press <b>Submit</b> to "
            "be scored against the reference.",
            self,
        )
        intro.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("PracticeCases")
        self.error = QLabel(self)
        self.error.setObjectName("PracticeDialogError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #ff6b5e;")
        self.other_button = QPushButton("Other case file…", self)
        self.other_button.clicked.connect(self.choose_file)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start practice")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.other_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        for case in sample_practice_cases() if cases is None else cases:
            self.add_case(case)
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.error.setText("No sample case with a reference was found: choose a case file.")
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        self.list.currentRowChanged.connect(self._sync)
        self._sync()
        self.resize(460, 360)

    def add_case(self, case: PracticeCase) -> None:
        entry = QListWidgetItem(case.label)
        entry.setToolTip(str(case.path))
        entry.setData(Qt.ItemDataRole.UserRole, case)
        self.list.addItem(entry)

    def _sync(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.list.currentItem() is not None)

    def add_file(self, path: str | Path) -> bool:
        """Add (and select) a reference case file; False with the reason shown when unusable."""
        try:
            case = load_reference_case(path)
        except SpineplanError as error:
            self.error.setText(str(error))
            return False
        self.error.clear()
        self.add_case(case)
        self.list.setCurrentRow(self.list.count() - 1)
        return True

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Reference case file",
            "",
            f"spineplan cases (*{CASE_FILE_SUFFIX});;All files (*)",
        )
        if path:
            self.add_file(path)

    def accept(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        self.chosen = item.data(Qt.ItemDataRole.UserRole)
        super().accept()
