"""The Registration panel's widgets: series, point pair, Register/Cancel, the result, Accept,
and the fused display (mode, blend, swipe divider). `app.registration.controller` gives them
their behaviour."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.registration.fusion import FusionMode

#: how long flicker shows each image, ms (a steady 1 Hz cycle: MR, CT)
FLICKER_INTERVAL_MS = 500
#: the ambiguity warning and the registration's failures
WARNING_STYLE = "color: #b00020; font-weight: bold;"


#: lines kept for the texts above the Register and Accept buttons, so that a longer text does
#: not move the buttons between two clicks
STEADY_LINES = 3


def _wrapped(text: str = "", steady_lines: int = 0) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if steady_lines:
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        label.setMinimumHeight(label.fontMetrics().lineSpacing() * steady_lines)
    return label


class RegistrationPanel(QWidget):
    """What the user sees in the Registration dock (see docs/registration.md, "In the window").

    Signals
    -------
    nudge_requested(axis, step) : a nudge key was pressed while the panel has focus: axis 0-2
        translate along x/y/z by ``step`` mm (1), 3-5 rotate about x/y/z by ``step`` degrees
        (0.5, with Shift).
    """

    nudge_requested = Signal(int, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RegistrationPanel")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)

        series = QGroupBox("Images")
        form = QFormLayout(series)
        self.mr_combo = QComboBox()
        self.mr_combo.setToolTip("The MR that moves onto the CT; best the post-contrast series")
        self.ct_combo = QComboBox()
        self.ct_combo.setToolTip("The planning CT the plan is made on")
        self.open_ct_button = QPushButton("Open planning CT…")
        self.open_ct_button.setToolTip("Add the CT series of a folder from another study")
        form.addRow("MR (moving)", self.mr_combo)
        form.addRow("CT (fixed)", self.ct_combo)
        form.addRow("", self.open_ct_button)
        layout.addWidget(series)

        points = QGroupBox("Point pair (optional)")
        points_layout = QVBoxLayout(points)
        points_layout.addWidget(
            _wrapped(
                "Pick points (Ctrl+Alt+K), then click the centre of one vertebral body on the MR "
                "view and the same body on the CT view; drag a point to move it, click again to "
                "replace it. Or click the view and press Set MR point / Set CT point."
            )
        )
        row = QHBoxLayout()
        self.pick_points_button = QToolButton()  # shows the controller's checkable action
        self.pick_points_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.undo_point_button = QPushButton("Undo point")
        self.undo_point_button.setToolTip("Take back the last change of the point pair")
        self.undo_point_button.setEnabled(False)
        row.addWidget(self.pick_points_button)
        row.addWidget(self.undo_point_button)
        row.addStretch(1)
        points_layout.addLayout(row)
        row = QHBoxLayout()
        self.set_mr_point_button = QPushButton("Set MR point")
        self.set_ct_point_button = QPushButton("Set CT point")
        self.clear_points_button = QPushButton("Clear")
        for button in (self.set_mr_point_button, self.set_ct_point_button):
            button.setToolTip("Take the crosshair's position (click the view first)")
        row.addWidget(self.set_mr_point_button)
        row.addWidget(self.set_ct_point_button)
        row.addWidget(self.clear_points_button)
        points_layout.addLayout(row)
        self.points_label = _wrapped(
            "No point pair: the level is searched automatically.", STEADY_LINES
        )
        points_layout.addWidget(self.points_label)
        layout.addWidget(points)

        self.region_label = _wrapped("Region: the whole MR", STEADY_LINES)
        layout.addWidget(self.region_label)
        run_row = QHBoxLayout()
        self.register_button = QPushButton("Register")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        run_row.addWidget(self.register_button)
        run_row.addWidget(self.cancel_button)
        layout.addLayout(run_row)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        layout.addWidget(self.progress_bar)
        self.status_label = _wrapped("", STEADY_LINES)
        layout.addWidget(self.status_label)

        result = QGroupBox("Result")
        result_layout = QVBoxLayout(result)
        self.quality_label = _wrapped("Not registered yet.", STEADY_LINES)
        result_layout.addWidget(self.quality_label)
        self.warning_label = _wrapped("")
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.warning_label.hide()
        result_layout.addWidget(self.warning_label)
        self.confirm_check = QCheckBox("I checked the level on the fused views")
        self.confirm_check.hide()
        result_layout.addWidget(self.confirm_check)
        self.accept_button = QPushButton("Accept")
        self.accept_button.setToolTip(
            "Store the registration in the case (planning_ct): the plan is then made on the CT"
        )
        self.accept_button.setEnabled(False)
        result_layout.addWidget(self.accept_button)
        self.case_label = _wrapped("")
        result_layout.addWidget(self.case_label)
        layout.addWidget(result)

        fused = QGroupBox("Fused display on the CT views")
        fused_layout = QVBoxLayout(fused)
        modes_row = QHBoxLayout()
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[FusionMode, QRadioButton] = {}
        for mode, text, tip in (
            (FusionMode.BLEND, "Blend", "The MR over the CT at the blend's opacity"),
            (FusionMode.CHECKERBOARD, "Checkerboard", "Squares of MR and CT, 2 cm"),
            (FusionMode.SWIPE, "Swipe", "MR left of the divider, CT right of it"),
            (
                FusionMode.FLICKER,
                "Flicker",
                f"MR and CT in turn, {FLICKER_INTERVAL_MS} ms each (Ctrl+Alt+F starts and "
                "stops it)",
            ),
        ):
            button = QRadioButton(text)
            button.setToolTip(tip)
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            modes_row.addWidget(button)
        modes_row.addStretch(1)
        self.mode_buttons[FusionMode.BLEND].setChecked(True)
        fused_layout.addLayout(modes_row)
        blend_row = QHBoxLayout()
        blend_row.addWidget(QLabel("MR blend"))
        self.blend_slider = QSlider(Qt.Orientation.Horizontal)
        self.blend_slider.setRange(0, 100)
        self.blend_slider.setValue(50)
        self.blend_slider.setToolTip("0 % = CT only, 100 % = MR only")
        blend_row.addWidget(self.blend_slider, 1)
        self.blend_label = QLabel("50 %")
        self.blend_label.setMinimumWidth(40)
        blend_row.addWidget(self.blend_label)
        fused_layout.addLayout(blend_row)
        self.blend_slider.valueChanged.connect(lambda v: self.blend_label.setText(f"{v} %"))
        swipe_row = QHBoxLayout()
        swipe_row.addWidget(QLabel("Swipe divider"))
        self.swipe_slider = QSlider(Qt.Orientation.Horizontal)
        self.swipe_slider.setRange(0, 100)
        self.swipe_slider.setValue(50)
        self.swipe_slider.setToolTip("Where the divider stands across each view: MR left, CT right")
        swipe_row.addWidget(self.swipe_slider, 1)
        self.swipe_label = QLabel("50 %")
        self.swipe_label.setMinimumWidth(40)
        swipe_row.addWidget(self.swipe_label)
        fused_layout.addLayout(swipe_row)
        self.swipe_slider.valueChanged.connect(lambda v: self.swipe_label.setText(f"{v} %"))
        self.mode_group.buttonToggled.connect(lambda _b, _on: self._enable_sliders())
        self._enable_sliders()
        layout.addWidget(fused)
        layout.addStretch(1)

    @property
    def mode(self) -> FusionMode:
        """The fused display's mode chosen."""
        return next(m for m, b in self.mode_buttons.items() if b.isChecked())

    def set_mode(self, mode: FusionMode) -> None:
        self.mode_buttons[mode].setChecked(True)

    def _enable_sliders(self) -> None:
        mode = self.mode
        self.blend_slider.setEnabled(mode is FusionMode.BLEND)
        self.swipe_slider.setEnabled(mode is FusionMode.SWIPE)

    #: key -> (axis, step): translations in mm along x (L), y (P), z (S)
    _NUDGE_KEYS: ClassVar[dict[Qt.Key, tuple[int, float]]] = {
        Qt.Key.Key_Left: (0, -1.0),
        Qt.Key.Key_Right: (0, 1.0),
        Qt.Key.Key_Up: (2, 1.0),
        Qt.Key.Key_Down: (2, -1.0),
        Qt.Key.Key_PageUp: (1, -1.0),
        Qt.Key.Key_PageDown: (1, 1.0),
    }

    def keyPressEvent(self, event: QKeyEvent) -> None:
        found = self._NUDGE_KEYS.get(Qt.Key(event.key()))
        if found is None:
            super().keyPressEvent(event)
            return
        axis, step = found
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            # rotate about the axis the key would move along, 0.5 degree per press
            self.nudge_requested.emit(axis + 3, 0.5 * step)
        else:
            self.nudge_requested.emit(axis, step)
        event.accept()
