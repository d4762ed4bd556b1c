"""The Levels panel: the labelled bodies, naming, T/D preference, flags, the counting check,
and the selected body's measured width (cleared with Clear width).

Flags (out of order, overlapping, skipped levels...) and the counting check's sentence are
recomputed from the annotation at every change and shown in words at once.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.annotation.document import NO_CASE
from imaging.errors import SpineplanError
from imaging.plurals import plural
from planning.anatomy.counting import counting_check
from planning.anatomy.levels import LEVEL_SEQUENCE, check_levels, display_name, sort_by_z
from planning.case import Case

#: The counting check's buttons: (anchor kind, text, what it says of the selected body).
ANCHOR_BUTTONS = (
    ("c2", "C2", "The selected body carries the dens"),
    ("s1", "S1", "The selected body is the first sacral"),
    ("lowest_rib", "Lowest rib", "The selected body is the lowest rib-bearing one (usually T12)"),
    ("first_lumbar", "First lumbar", "The selected body is the first without ribs (usually L1)"),
    ("conus_tip", "Conus tip", "The conus medullaris ends opposite the selected body"),
)
#: Lines of text the counting check's anchors and sentence get below its buttons. The height is
#: fixed so that a longer sentence never moves the buttons (a user's next click would miss
#: them); a text longer than this scrolls.
COUNTING_TEXT_LINES = 8


class LevelsPanel(QWidget):
    """See the module docstring. Emits requests; the controller turns them into edits."""

    rename_requested = Signal(str, str)
    renumber_requested = Signal(str, str)
    delete_requested = Signal(str)
    prefix_requested = Signal(str)
    anchor_requested = Signal(str, object)  # kind ("c2", "s1", "lowest_rib"), level name or None
    selection_changed = Signal(object)  # canonical level name or None
    clear_width_requested = Signal(str)  # canonical level name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LevelsPanel")
        self._prefix = "T"
        self._state = NO_CASE

        self.first_name = QComboBox(self)
        self.first_name.setObjectName("FirstLevelName")
        self.first_name.addItems(list(LEVEL_SEQUENCE))
        self.first_name.setCurrentText("C2")
        self.first_name.setToolTip("Name of the first body you click; the next ones follow")
        self.prefix = QComboBox(self)
        self.prefix.setObjectName("ThoracicPrefix")
        self.prefix.addItem("T1-T12", "T")
        self.prefix.addItem("D1-D12", "D")
        self.prefix.setToolTip("Thoracic (T) or dorsal (D) naming")
        self.prefix.activated.connect(
            lambda index: self.prefix_requested.emit(self.prefix.itemData(index))
        )
        top = QGridLayout()
        top.addWidget(QLabel("First click is", self), 0, 0)
        top.addWidget(self.first_name, 0, 1)
        top.addWidget(QLabel("Thoracic", self), 1, 0)
        top.addWidget(self.prefix, 1, 1)

        self.list = QListWidget(self)
        self.list.setObjectName("LevelsList")
        self.list.setMinimumHeight(120)
        self.list.currentItemChanged.connect(self._on_current)

        self.new_name = QLineEdit(self)
        self.new_name.setObjectName("NewLevelName")
        self.new_name.setPlaceholderText("new name, e.g. C5")
        self.new_name.returnPressed.connect(self.rename_selected)
        rename = QPushButton("Rename", self)
        rename.setObjectName("RenameLevel")
        rename.setToolTip("Rename the selected body only")
        rename.clicked.connect(self.rename_selected)
        renumber = QPushButton("Renumber", self)
        renumber.setObjectName("RenumberLevels")
        renumber.setToolTip(
            "Give the selected body this name and every other body the names in sequence from it"
        )
        renumber.clicked.connect(self.renumber_selected)
        delete = QPushButton("Delete", self)
        delete.setObjectName("DeleteLevel")
        delete.clicked.connect(self._delete_selected)
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.new_name, 1)
        edit_row.addWidget(rename)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(renumber)
        buttons_row.addWidget(delete)

        self.width_label = QLabel(self)
        self.width_label.setObjectName("BodyWidth")
        self.width_label.setWordWrap(True)
        self.clear_width = QPushButton("Clear width", self)
        self.clear_width.setObjectName("ClearBodyWidth")
        self.clear_width.setToolTip("Forget the selected body's measured width")
        self.clear_width.clicked.connect(self._clear_width)
        width_row = QHBoxLayout()
        width_row.addWidget(self.width_label, 1)
        width_row.addWidget(self.clear_width)

        self.issues = QLabel(self)
        self.issues.setObjectName("LevelIssues")
        self.issues.setWordWrap(True)
        self.issues.setTextFormat(Qt.TextFormat.RichText)

        counting = QGroupBox("Counting check", self)
        self.counting_box = counting
        grid = QGridLayout(counting)
        for column, (kind, text, tip) in enumerate(ANCHOR_BUTTONS):
            button = QPushButton(text, counting)
            button.setObjectName(f"Anchor_{kind}")
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, kind=kind: self._anchor(kind))
            grid.addWidget(button, 1 + column // 2, column % 2)
        grid.addWidget(QLabel("The selected body is:", counting), 0, 0, 1, 2)
        clear = QPushButton("Clear", counting)
        clear.setObjectName("ClearAnchors")
        clear.setToolTip("Clear the counting anchors")
        clear.clicked.connect(self._clear_anchors)
        grid.addWidget(clear, 3, 1)
        # the anchors and the sentence below the buttons, in a place of fixed height: the panel
        # gives the list whatever the rest leaves, so a growing text would lift the buttons
        text = QWidget()
        self.anchors_label = QLabel(text)
        self.anchors_label.setObjectName("CountingAnchors")
        self.anchors_label.setWordWrap(True)
        self.sentence = QLabel(text)
        self.sentence.setObjectName("CountingSentence")
        self.sentence.setWordWrap(True)
        text_layout = QVBoxLayout(text)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.addWidget(self.anchors_label)
        text_layout.addWidget(self.sentence)
        text_layout.addStretch(1)
        self.counting_text = QScrollArea(counting)
        self.counting_text.setObjectName("CountingText")
        self.counting_text.setFrameShape(QFrame.Shape.NoFrame)
        self.counting_text.setWidgetResizable(True)
        self.counting_text.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.counting_text.setWidget(text)
        self._reserve_counting_text()
        grid.addWidget(self.counting_text, 4, 0, 1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addLayout(edit_row)
        layout.addLayout(buttons_row)
        layout.addLayout(width_row)
        layout.addWidget(self.issues)
        layout.addWidget(counting)

    def _reserve_counting_text(self) -> None:
        """Fix the counting text's height at `COUNTING_TEXT_LINES` lines of the panel's font."""
        line = self.anchors_label.fontMetrics().lineSpacing()
        self.counting_text.setFixedHeight(COUNTING_TEXT_LINES * line + 4)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._reserve_counting_text()
        super().changeEvent(event)

    # -- display --------------------------------------------------------------------------
    def show_state(self, state: Case, selected: str | None = None) -> None:
        """Show the levels, their flags and the counting check of ``state``."""
        self._prefix = state.thoracic_prefix
        self._state = state
        self.prefix.setCurrentIndex(0 if state.thoracic_prefix == "T" else 1)
        keep = selected if selected is not None else self.selected_name()
        self.list.blockSignals(True)
        self.list.clear()
        for level in sort_by_z(state.levels):
            text = (
                f"{display_name(level.name, state.thoracic_prefix):<4} "
                f"z {level.superior_z_mm:.1f} to {level.inferior_z_mm:.1f} mm "
                f"({level.height_mm:.1f} mm)"
            )
            if level.body_width_mm is not None:
                text += f"  width {level.body_width_mm:.1f} mm"
            entry = QListWidgetItem(text)
            entry.setData(Qt.ItemDataRole.UserRole, level.name)
            self.list.addItem(entry)
            if level.name == keep:
                self.list.setCurrentItem(entry)
        self.list.blockSignals(False)
        self._show_width()
        issues = check_levels(state.levels, state.thoracic_prefix)
        if not state.levels:
            self.issues.setText(
                "<i>No level labelled yet: choose the Levels tool (L) and "
                "click the bodies on a sagittal view.</i>"
            )
        elif issues:
            lines = [
                f"<span style='color:{'#ff6b6b' if i.severity == 'error' else '#ffb347'}'>"
                f"{'⚠' if i.severity == 'warning' else '✖'} {i.message}</span>"
                for i in issues
            ]
            self.issues.setText("<br>".join(lines))
        else:
            count = plural(len(state.levels), "level")
            self.issues.setText(f"<span style='color:#8fd18f'>✔ {count}, consistent</span>")
        self._show_counting(state)

    def _show_width(self) -> None:
        """The selected body's width, or how to measure it."""
        name = self.selected_name()
        level = next((lv for lv in self._state.levels if lv.name == name), None)
        width = None if level is None else level.body_width_mm
        self.clear_width.setEnabled(width is not None)
        if level is None:
            self.width_label.setText("Body width: select a body.")
        elif width is None:
            self.width_label.setText(
                f"{display_name(level.name, self._prefix)} width: not measured "
                "(Body width tool, Shift+W)"
            )
        else:
            self.width_label.setText(
                f"{display_name(level.name, self._prefix)} width: {width:.1f} mm (left-right)"
            )

    def _show_counting(self, state: Case) -> None:
        anchors = state.counting_anchors
        if anchors is None:
            self.anchors_label.setText(
                "Anchor the count at C2 (dens) and at S1; where neither is in view, at the "
                "lowest rib-bearing and the first lumbar body, with the conus tip to cross-check."
            )
            self.sentence.setText("")
            return
        parts = []
        for kind, text, _ in ANCHOR_BUTTONS:
            label = text if kind in ("c2", "s1") else text.lower()
            value = getattr(anchors, f"{kind}_z_mm")
            if value is not None:
                parts.append(f"{label} at z {value:.1f} mm")
        self.anchors_label.setText("Anchors: " + ", ".join(parts))
        try:
            self.sentence.setText(
                counting_check(state.levels, anchors, state.thoracic_prefix).sentence
            )
        except SpineplanError as error:
            self.sentence.setText(f"Cannot check the count: {error}")

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def select(self, name: str | None) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentItem(item)
                return

    def level_texts(self) -> list[str]:
        """The rows of the list, head down (for tests and the report)."""
        return [self.list.item(row).text() for row in range(self.list.count())]

    # -- requests -------------------------------------------------------------------------
    def _on_current(self, current, _previous) -> None:
        self._show_width()
        self.selection_changed.emit(
            None if current is None else current.data(Qt.ItemDataRole.UserRole)
        )

    def rename_selected(self) -> None:
        name, new = self.selected_name(), self.new_name.text().strip()
        if name and new:
            self.rename_requested.emit(name, new)

    def renumber_selected(self) -> None:
        name, new = self.selected_name(), self.new_name.text().strip()
        if name and new:
            self.renumber_requested.emit(name, new)

    def _delete_selected(self) -> None:
        name = self.selected_name()
        if name:
            self.delete_requested.emit(name)

    def _clear_width(self) -> None:
        name = self.selected_name()
        if name:
            self.clear_width_requested.emit(name)

    def _anchor(self, kind: str) -> None:
        name = self.selected_name()
        if name:
            self.anchor_requested.emit(kind, name)

    def _clear_anchors(self) -> None:
        for kind, _, _ in ANCHOR_BUTTONS:
            self.anchor_requested.emit(kind, None)
