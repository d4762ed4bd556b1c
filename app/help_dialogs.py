"""The Help menu's dialogs: Keyboard shortcuts, User guide and About."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.shortcuts import ACTION_SHORTCUTS, VIEW_CONTROLS


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


def show_user_guide(parent: QWidget, dialog: QDialog | None) -> QDialog:
    """Help > User guide: shows ``dialog``, or a new one made on first use (returned, for the
    caller to keep: one dialog per window)."""
    from app.user_guide import UserGuideDialog

    if dialog is None:
        dialog = UserGuideDialog(parent)
    dialog.show()
    dialog.raise_()
    return dialog


def show_about(parent: QWidget) -> None:
    """Help > About spineplan."""
    QMessageBox.about(
        parent,
        "About spineplan",
        "<b>spineplan</b><br>Palliative radiotherapy planning for intramedullary spinal "
        "cord metastases.<br><br>Not a medical device: every plan must be checked by a "
        "qualified physicist.",
    )
