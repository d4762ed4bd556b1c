"""The Lesion panel: the lesion tools' settings and the lesion in words and numbers.

Shows the levels the lesion involves ("C4-5"), its volume in cc, its superior-inferior extent
in mm and its centroid (LPS mm), recomputed at every change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
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

from app.annotation.state import Annotation
from imaging.errors import SpineplanError
from planning.lesion import (
    DEFAULT_GROW_TOLERANCE,
    EllipsoidLesion,
    MaskLesion,
    SeedLesion,
    lesion_levels,
    measure_lesion,
)

#: The tolerance slider runs in steps of this much.
TOLERANCE_STEP = 0.01


class LesionPanel(QWidget):
    """See the module docstring."""

    clear_requested = Signal()
    #: the slider was released at a new tolerance (re-grow a seeded lesion)
    tolerance_chosen = Signal(float)

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

        form = QFormLayout()
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
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        count = self.tool_row.count()
        self.tool_row.addWidget(button, count // 2, count % 2)

    def tolerance_value(self) -> float:
        return self.tolerance.value() * TOLERANCE_STEP

    def set_tolerance(self, value: float) -> None:
        self.tolerance.setValue(round(value / TOLERANCE_STEP))

    def _show_tolerance(self) -> None:
        self.tolerance_label.setText(f"±{self.tolerance_value() * 100:.0f} %")

    def show_state(self, state: Annotation) -> None:
        """Show the lesion of ``state`` in words and numbers."""
        v = self.values
        mask = state.lesion_mask
        if mask is None:
            for label in v.values():
                label.setText("—")
            v["Made by"].setText(
                "No lesion: paint (B), grow from a seed (G) or place an ellipsoid (N)"
            )
            return
        spec = state.lesion_spec
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
        v["Volume"].setText(f"{m.volume_cc:.2f} cc ({m.voxel_count} voxels)")
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
