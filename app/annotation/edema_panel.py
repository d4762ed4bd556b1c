"""The Edema panel: the cord edema's limits in words and its length in mm of cord."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from imaging.errors import SpineplanError
from planning.case import Case


class EdemaPanel(QWidget):
    """See the module docstring."""

    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EdemaPanel")
        self.tool_row = QHBoxLayout()
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        for key in ("Extent", "Levels", "Cord length", "Limits"):
            label = QLabel("—", self)
            label.setObjectName(f"Edema{key.replace(' ', '')}")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = label
            form.addRow(key, label)
        clear = QPushButton("Clear edema", self)
        clear.setObjectName("ClearEdema")
        clear.clicked.connect(self.clear_requested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self.tool_row)
        layout.addLayout(form)
        layout.addWidget(clear)
        layout.addStretch(1)

    def add_tool_button(self, action) -> None:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.tool_row.addWidget(button)
        self.tool_row.addStretch(1)

    def show_state(self, state: Case) -> None:
        v = self.values
        edema = state.edema
        if edema is None:
            for label in v.values():
                label.setText("—")
            v["Extent"].setText(
                "Not marked: choose the Edema tool (M) and drag from its "
                "upper to its lower limit on a sagittal view"
            )
            return
        v["Limits"].setText(f"z {edema.superior_z_mm:.1f} to {edema.inferior_z_mm:.1f} mm (LPS)")
        if not state.levels:
            v["Extent"].setText("label the levels to name the limits")
            v["Levels"].setText("—")
            v["Cord length"].setText(f"{edema.superior_z_mm - edema.inferior_z_mm:.1f} mm")
            return
        try:
            extent = edema.describe(state.levels, state.thoracic_prefix)
        except SpineplanError as error:
            v["Extent"].setText(f"<span style='color:#ffb347'>{error}</span>")
            return
        v["Extent"].setText(f"<b>{extent.words}</b>")
        v["Levels"].setText(extent.levels_words or "—")
        v["Cord length"].setText(f"{extent.cord_length_mm:.1f} mm ({extent.length_method})")
