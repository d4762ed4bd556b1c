"""The Lesion panel: the lesion tools' settings and the lesion in words and numbers.

Shows the levels the lesion involves ("C4-5"), its volume in cm³ on the MR grid, its
superior-inferior extent in mm and its centroid (LPS mm), recomputed at every change.
**Paint into** chooses what the brush and eraser paint: the lesion, the cord (a preset) or
another named structure (**New structure…**); the structures painted are listed with their
volume and levels.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from imaging.errors import SpineplanError
from imaging.plurals import plural
from planning.anatomy.lesion import (
    DEFAULT_GROW_TOLERANCE,
    EllipsoidLesion,
    MaskLesion,
    SeedLesion,
    lesion_levels,
    measure_lesion,
)
from planning.anatomy.structures import PRESET_NAMES
from planning.case import Case

#: The tolerance slider runs in steps of this much.
TOLERANCE_STEP = 0.01
#: What "Paint into" calls the lesion.
LESION_TARGET = "Lesion"


class LesionPanel(QWidget):
    """See the module docstring."""

    clear_requested = Signal()
    #: the slider was released at a new tolerance (re-grow a seeded lesion)
    tolerance_chosen = Signal(float)
    #: the brush now paints into this structure ("Lesion" for the lesion)
    target_chosen = Signal(str)
    #: the user asks for a new named structure
    new_structure_requested = Signal()
    #: delete this structure (its name)
    delete_structure_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LesionPanel")
        self.tool_row = QGridLayout()
        self.tool_row.setSpacing(2)

        self.radius = QDoubleSpinBox(self)
        self.radius.setObjectName("BrushRadius")
        self.radius.setRange(0.5, 30.0)
        self.radius.setSingleStep(0.5)
        self.radius.setValue(3.0)
        self.radius.setSuffix(" mm")
        self.tolerance = QSlider(Qt.Orientation.Horizontal, self)
        self.tolerance.setObjectName("GrowTolerance")
        self.tolerance.setRange(1, 100)
        self.tolerance.setValue(round(DEFAULT_GROW_TOLERANCE / TOLERANCE_STEP))
        self.tolerance_label = QLabel(self)
        self.tolerance.valueChanged.connect(self._show_tolerance)
        self.tolerance.sliderReleased.connect(
            lambda: self.tolerance_chosen.emit(self.tolerance_value())
        )
        self._show_tolerance()
        tolerance_row = QHBoxLayout()
        tolerance_row.addWidget(self.tolerance, 1)
        tolerance_row.addWidget(self.tolerance_label)
        clear = QPushButton("Clear lesion", self)
        clear.setObjectName("ClearLesion")
        clear.clicked.connect(self.clear_requested)

        self.target = QComboBox(self)
        self.target.setObjectName("PaintTarget")
        self.target.setToolTip("What the brush and eraser paint: the lesion or another structure")
        self.target.currentTextChanged.connect(self._on_target)
        self.new_structure = QPushButton("New structure…", self)
        self.new_structure.setObjectName("NewStructure")
        self.new_structure.setToolTip("Name a new structure to paint (e.g. Bone metastasis)")
        self.new_structure.clicked.connect(self.new_structure_requested)

        form = QFormLayout()
        form.addRow("Paint into", self.target)
        form.addRow("Brush radius", self.radius)
        form.addRow("Grow tolerance", tolerance_row)
        self.values: dict[str, QLabel] = {}
        for key in ("Made by", "Levels", "Volume", "SI extent", "Centroid"):
            label = QLabel("—", self)
            label.setObjectName(f"Lesion{key.replace(' ', '')}")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = label
            form.addRow(key, label)
        self.structures_label = QLabel(self)
        self.structures_label.setObjectName("StructuresSummary")
        self.structures_label.setWordWrap(True)
        self.structures_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.delete_structure = QPushButton("Delete", self)
        self.delete_structure.setObjectName("DeleteStructure")
        self.delete_structure.setToolTip("Delete the structure chosen in Paint into")
        self.delete_structure.clicked.connect(
            lambda: self.delete_structure_requested.emit(self.current_target())
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self.tool_row)
        layout.addLayout(form)
        layout.addWidget(clear)
        layout.addWidget(QLabel("<b>Other structures</b>", self))
        layout.addWidget(self.structures_label)
        structure_buttons = QHBoxLayout()
        structure_buttons.addWidget(self.new_structure)
        structure_buttons.addWidget(self.delete_structure)
        layout.addLayout(structure_buttons)
        layout.addStretch(1)
        self.set_targets([], LESION_TARGET)

    # -- paint target ---------------------------------------------------------------------
    def current_target(self) -> str:
        return self.target.currentText() or LESION_TARGET

    def set_targets(self, names: list[str], current: str) -> None:
        """List the lesion, the presets and ``names`` in Paint into; select ``current``."""
        items = [LESION_TARGET]
        for name in [*PRESET_NAMES, *names]:
            if name.lower() not in {i.lower() for i in items}:
                items.append(name)
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems(items)
        index = next((i for i, n in enumerate(items) if n.lower() == current.lower()), 0)
        self.target.setCurrentIndex(index)
        self.target.blockSignals(False)
        self.delete_structure.setEnabled(index != 0)

    def _on_target(self, name: str) -> None:
        if name:
            self.delete_structure.setEnabled(name != LESION_TARGET)
            self.target_chosen.emit(name)

    def show_structures(self, state: Case) -> None:
        """List the other structures with their volume, extent and levels."""
        if not state.structures:
            self.structures_label.setText(
                "None. Choose Cord in Paint into (or New structure… for another) and paint."
            )
            return
        lines = []
        for structure in state.structures:
            m = measure_lesion(structure.mask)
            words = ""
            if state.levels:
                try:
                    words = lesion_levels(
                        state.levels, (m.superior_z_mm, m.inferior_z_mm), state.thoracic_prefix
                    ).short
                except SpineplanError:
                    words = ""
            where = f", {words}" if words else ""
            lines.append(
                f"<b>{structure.name}</b> ({structure.roi_type}): {m.volume_cc:.2f} cm³, "
                f"{m.si_extent_mm:.0f} mm long{where}"
            )
        self.structures_label.setText("<br>".join(lines))

    def add_tool_button(self, action) -> None:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        count = self.tool_row.count()
        self.tool_row.addWidget(button, count // 2, count % 2)

    def tolerance_value(self) -> float:
        return self.tolerance.value() * TOLERANCE_STEP

    def set_tolerance(self, value: float) -> None:
        self.tolerance.setValue(round(value / TOLERANCE_STEP))

    def _show_tolerance(self) -> None:
        self.tolerance_label.setText(f"±{self.tolerance_value() * 100:.0f} %")

    def show_state(self, state: Case) -> None:
        """Show the lesion of ``state`` in words and numbers (and the other structures)."""
        self.show_structures(state)
        v = self.values
        mask = state.lesion_mask
        if mask is None:
            for label in v.values():
                label.setText("—")
            v["Made by"].setText(
                "No lesion: paint (B), grow from a seed (G) or place an ellipsoid (N)"
            )
            return
        spec = state.lesion
        if isinstance(spec, EllipsoidLesion):
            made = "ellipsoid, radii " + " × ".join(f"{r:.1f}" for r in spec.radii_mm) + " mm"
        elif isinstance(spec, SeedLesion):
            made = f"grown from a seed, tolerance ±{spec.tolerance * 100:.0f} %"
        elif isinstance(spec, MaskLesion) and spec.origin == "file":
            made = f"mask file {spec.path}"
        else:
            made = "painted"
        v["Made by"].setText(made)
        try:
            m = measure_lesion(mask)
        except SpineplanError as error:
            v["Volume"].setText(str(error))
            return
        # the MR grid's voxels: the Plan panel also shows the dose grid's (a little different)
        v["Volume"].setText(
            f"{m.volume_cc:.2f} cm³ on the MR grid ({plural(m.voxel_count, 'voxel')})"
        )
        v["SI extent"].setText(
            f"{m.si_extent_mm:.1f} mm (z {m.superior_z_mm:.1f} to {m.inferior_z_mm:.1f})"
        )
        x, y, z = m.centroid_mm
        v["Centroid"].setText(f"LPS ({x:.1f}, {y:.1f}, {z:.1f}) mm")
        if not state.levels:
            v["Levels"].setText("label the levels to name them")
            return
        try:
            words = lesion_levels(
                state.levels, (m.superior_z_mm, m.inferior_z_mm), state.thoracic_prefix
            )
        except SpineplanError as error:
            v["Levels"].setText(f"<span style='color:#ffb347'>{error}</span>")
            return
        notes = f" ({'; '.join(words.notes)})" if words.notes else ""
        v["Levels"].setText(f"<b>{words.short}</b>{notes}")
