"""The Plan panel's settings form: its controls, loading `PlanSettings` into them, reading back.

Co-60 is listed but cannot be chosen until a published Co-60 depth-dose table ships (its item
says so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from app.undo_keys import pass_undo_keys_to_window
from planning.case.prescription import DEFAULT_ALPHA_BETA_GY, SCHEDULES, Prescription
from planning.case.settings import PlanSettings
from planning.dose.beam_model import beam_model
from planning.dose.machine_store import load_machine, machine_names
from planning.errors import PlanningError

CO60_FIELD_ONLY = (
    "Co-60: field limits and set-up only (borders, jaws, SSD 80 cm): spineplan ships no "
    "published Co-60 depth-dose table, so no dose and no coverage check "
    "(see resources/beam_data/README.md)"
)
ARRANGEMENT_TEXT = {
    "auto": "auto",
    "PA": "PA",
    "lateral_pair": "lateral pair",
    "AP_PA": "AP/PA",
}
ARRANGEMENT_TIPS = {
    "auto": "A parallel-opposed lateral pair when the lesion lies within C1-C7, else a PA field",
    "PA": "A single posterior field (gantry 180)",
    "lateral_pair": "Parallel-opposed lateral fields (gantry 90 and 270)",
    "AP_PA": "Parallel-opposed anterior and posterior fields (gantry 0 and 180)",
}
CUSTOM_SCHEDULE = "custom"
#: the narrowest field width that may be typed, mm
MINIMUM_WIDTH_MM = 5.0
#: what the automatic width box shows while no field is derived (no plan yet)
NO_WIDTH_TEXT = "—"
#: Item-data role of the energy box holding a commissioned machine's name (None: reference beam).
MACHINE_ROLE = Qt.ItemDataRole.UserRole + 1


class PlanSettingsForm(QGroupBox):
    """The "Settings" group: energy, borders, margin, arrangement, width, dose, α/β, ...

    Parameters
    ----------
    parent : the widget the group sits in.
    field_width_mm : the width of the field drawn now, mm (None without one); unticking
        "auto" starts the width box from it.

    Signals
    -------
    edited() : the user changed a setting (not emitted while settings are being loaded).
    """

    edited = Signal()

    def __init__(self, parent: QWidget, field_width_mm: Callable[[], float | None]) -> None:
        super().__init__("Settings", parent)
        self._field_width_mm = field_width_mm
        self._loading = False
        self._base_settings: PlanSettings | None = None
        self._build()

    def _build(self) -> None:
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.energy_combo = QComboBox(self)
        self.energy_combo.setObjectName("PlanEnergy")
        self.energy_combo.addItem("6 MV", "6MV")
        if beam_model("Co60").has_depth_dose:
            self.energy_combo.addItem("Co-60", "Co60")
        else:
            self.energy_combo.addItem("Co-60 (field only, no dose)", "Co60")
            model = self.energy_combo.model()
            assert isinstance(model, QStandardItemModel)
            model.item(1).setToolTip(CO60_FIELD_ONLY)
        self._add_machines()
        form.addRow("Energy", self.energy_combo)

        self.border_combo = QComboBox(self)
        self.border_combo.setObjectName("PlanBorder")
        self.border_combo.addItem("disc (middle)", "disc")
        self.border_combo.addItem("outer endplate", "endplate")
        form.addRow("Borders", self.border_combo)

        self.margin_spin = QDoubleSpinBox(self)
        self.margin_spin.setObjectName("PlanMargin")
        self.margin_spin.setRange(-40.0, 60.0)
        self.margin_spin.setDecimals(1)
        self.margin_spin.setSingleStep(1.0)
        self.margin_spin.setSuffix(" mm")
        self.margin_spin.setToolTip("Extra margin beyond each border (negative tightens)")
        form.addRow("Margin", self.margin_spin)

        # the ends of the spine: shown when the field's end is set from a landmark there
        self.skull_base_spin = self._end_margin_spin(
            "PlanSkullBaseMargin",
            "A lesion reaching C1: the superior border this far above the top of the C1 ring "
            "(or of the lesion, if higher), towards the foramen magnum",
        )
        form.addRow("Skull-base margin", self.skull_base_spin)
        self.sacral_spin = self._end_margin_spin(
            "PlanSacralMargin",
            "A lesion reaching the lowest labelled sacral body: the inferior border this far "
            "below its inferior endplate (or the lesion's bottom, if lower), over the end of "
            "the thecal sac",
        )
        form.addRow("Sacral margin", self.sacral_spin)
        self._form = form
        #: whether the field drawn now sets its superior / inferior end from a landmark
        self._landmark_ends = (False, False)
        self._show_end_margins()

        self.arrangement_combo = QComboBox(self)
        self.arrangement_combo.setObjectName("PlanArrangement")
        for key, text in ARRANGEMENT_TEXT.items():
            self.arrangement_combo.addItem(text, key)
            index = self.arrangement_combo.count() - 1
            self.arrangement_combo.setItemData(
                index, ARRANGEMENT_TIPS[key], Qt.ItemDataRole.ToolTipRole
            )
        form.addRow("Arrangement", self.arrangement_combo)

        width_row = QWidget(self)
        width_layout = QHBoxLayout(width_row)
        width_layout.setContentsMargins(0, 0, 0, 0)
        self.width_auto = QCheckBox("auto", width_row)
        self.width_auto.setObjectName("PlanWidthAuto")
        self.width_auto.setToolTip("Vertebral body width plus the width margin each side")
        self.width_spin = QDoubleSpinBox(width_row)
        self.width_spin.setObjectName("PlanWidth")
        self.width_spin.setRange(MINIMUM_WIDTH_MM, 400.0)
        # tenths of a mm: a measured body width (24.5 mm) gives a field of 44.5 mm, and the
        # box must show it, and keep it when "auto" is unticked, not round it to 44
        self.width_spin.setDecimals(1)
        self.width_spin.setSingleStep(5.0)
        self.width_spin.setSuffix(" mm")
        width_layout.addWidget(self.width_auto)
        width_layout.addWidget(self.width_spin, 1)
        form.addRow("Width", width_row)

        self.schedule_combo = QComboBox(self)
        self.schedule_combo.setObjectName("PlanSchedule")
        for schedule in SCHEDULES:
            self.schedule_combo.addItem(schedule.label, schedule)
        self.schedule_combo.addItem(CUSTOM_SCHEDULE, None)
        form.addRow("Schedule", self.schedule_combo)

        dose_row = QWidget(self)
        dose_layout = QHBoxLayout(dose_row)
        dose_layout.setContentsMargins(0, 0, 0, 0)
        self.dose_spin = QDoubleSpinBox(dose_row)
        self.dose_spin.setObjectName("PlanDose")
        self.dose_spin.setRange(0.5, 80.0)
        self.dose_spin.setDecimals(1)
        self.dose_spin.setDecimals(1)
        self.dose_spin.setSuffix(" Gy")
        self.fractions_spin = QSpinBox(dose_row)
        self.fractions_spin.setObjectName("PlanFractions")
        self.fractions_spin.setRange(1, 40)
        self.fractions_spin.setSuffix(" fx")
        dose_layout.addWidget(self.dose_spin, 1)
        dose_layout.addWidget(QLabel("in", dose_row))
        dose_layout.addWidget(self.fractions_spin, 1)
        form.addRow("Dose", dose_row)

        self.alpha_beta_spin = QDoubleSpinBox(self)
        self.alpha_beta_spin.setObjectName("PlanAlphaBeta")
        self.alpha_beta_spin.setRange(0.5, 20.0)
        self.alpha_beta_spin.setDecimals(1)
        self.alpha_beta_spin.setSuffix(" Gy")
        self.alpha_beta_spin.setValue(DEFAULT_ALPHA_BETA_GY)
        self.alpha_beta_spin.setToolTip("alpha/beta for BED and EQD2 (2 Gy: late effects, cord)")
        form.addRow("α/β", self.alpha_beta_spin)

        norm_row = QWidget(self)
        norm_layout = QHBoxLayout(norm_row)
        norm_layout.setContentsMargins(0, 0, 0, 0)
        self.normalisation_combo = QComboBox(norm_row)
        self.normalisation_combo.setObjectName("PlanNormalisation")
        self.normalisation_combo.addItem("auto", "auto")
        self.normalisation_combo.addItem("at depth", "depth")
        self.normalisation_depth = QDoubleSpinBox(norm_row)
        self.normalisation_depth.setObjectName("PlanNormalisationDepth")
        self.normalisation_depth.setRange(1.0, 300.0)
        self.normalisation_depth.setDecimals(0)
        self.normalisation_depth.setSuffix(" mm")
        self.normalisation_depth.setValue(50.0)
        norm_layout.addWidget(self.normalisation_combo, 1)
        norm_layout.addWidget(self.normalisation_depth)
        form.addRow("Normalise", norm_row)

        self.separation_spin = QDoubleSpinBox(self)
        self.separation_spin.setObjectName("PlanSeparation")
        self.separation_spin.setRange(0.0, 80.0)
        self.separation_spin.setDecimals(1)
        self.separation_spin.setSingleStep(0.5)
        self.separation_spin.setSuffix(" cm")
        self.separation_spin.setSpecialValueText("from the images")
        self.separation_spin.setToolTip(
            "Patient separation along the beams, for where the skin is outside every image "
            "(e.g. lateral beams on a sagittal-only study); the report says it was entered"
        )
        form.addRow("Separation", self.separation_spin)

        for combo in (
            self.energy_combo,
            self.border_combo,
            self.arrangement_combo,
            self.normalisation_combo,
        ):
            combo.currentIndexChanged.connect(self._on_setting_edited)
        for spin in (
            self.margin_spin,
            self.skull_base_spin,
            self.sacral_spin,
            self.width_spin,
            self.alpha_beta_spin,
            self.normalisation_depth,
            self.separation_spin,
        ):
            spin.valueChanged.connect(self._on_setting_edited)
        self.dose_spin.valueChanged.connect(self._on_dose_edited)
        self.fractions_spin.valueChanged.connect(self._on_dose_edited)
        self.schedule_combo.currentIndexChanged.connect(self._on_schedule_chosen)
        self.width_auto.toggled.connect(self._on_width_auto)
        # each change is an undoable edit of the case: Ctrl+Z in a box undoes it
        pass_undo_keys_to_window(self, self.findChildren(QAbstractSpinBox))

    def _end_margin_spin(self, name: str, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(self)
        spin.setObjectName(name)
        spin.setRange(0.0, 60.0)
        spin.setDecimals(1)
        spin.setSingleStep(1.0)
        spin.setSuffix(" mm")
        spin.setToolTip(tip)
        return spin

    def show_landmark_ends(self, superior: bool, inferior: bool) -> None:
        """The field derived now sets its superior (inferior) end from the C1 ring (the sacral
        end): the skull-base (sacral) margin, which moves that end, is shown."""
        self._landmark_ends = (superior, inferior)
        self._show_end_margins()

    def _show_end_margins(self) -> None:
        """Each end margin shows when it matters: the field's end is set from its landmark, or
        the case's plan holds a value of its own (not the default)."""
        defaults = PlanSettings()
        for spin, landmark, default in (
            (self.skull_base_spin, self._landmark_ends[0], defaults.skull_base_margin_mm),
            (self.sacral_spin, self._landmark_ends[1], defaults.sacral_margin_mm),
        ):
            self._form.setRowVisible(spin, landmark or abs(spin.value() - default) > 1e-9)

    def _add_machines(self) -> None:
        """The commissioned machines (``spineplan machine import``) beside the reference beams."""
        for name in machine_names():
            try:
                stored = load_machine(name)
            except PlanningError:
                continue  # unreadable: `spineplan machine list` says why
            self._add_machine_item(name, stored.setup.energy, stored.machine.data_statement)

    def _add_machine_item(self, name: str, energy: str, tooltip: str) -> int:
        label = "Co-60" if energy == "Co60" else "6 MV"
        self.energy_combo.addItem(f"{name} ({label}, commissioned)", energy)
        index = self.energy_combo.count() - 1
        self.energy_combo.setItemData(index, name, MACHINE_ROLE)
        self.energy_combo.setItemData(index, tooltip, Qt.ItemDataRole.ToolTipRole)
        return index

    def _energy_index(self, settings: PlanSettings) -> int:
        if settings.machine is None:
            return max(self.energy_combo.findData(settings.energy), 0)
        index = self.energy_combo.findData(settings.machine, MACHINE_ROLE)
        if index < 0:  # the case names a machine not stored here: keep it, planning says so
            index = self._add_machine_item(
                settings.machine, settings.energy, "not among this computer's machines"
            )
            self.energy_combo.setItemText(index, f"{settings.machine} (not found here)")
        return index

    # -- settings in and out ----------------------------------------------------------------
    def load(self, settings: PlanSettings) -> None:
        """Show ``settings`` (a case's own) without announcing them as edits."""
        self._loading = True
        try:
            self.energy_combo.setCurrentIndex(self._energy_index(settings))
            self.border_combo.setCurrentIndex(
                max(self.border_combo.findData(settings.border_convention), 0)
            )
            self.margin_spin.setValue(settings.margin_mm)
            self.skull_base_spin.setValue(settings.skull_base_margin_mm)
            self.sacral_spin.setValue(settings.sacral_margin_mm)
            self._show_end_margins()
            self.arrangement_combo.setCurrentIndex(
                max(self.arrangement_combo.findData(settings.arrangement), 0)
            )
            self.width_auto.setChecked(settings.field_width_mm is None)
            self.width_spin.setEnabled(settings.field_width_mm is not None)
            if settings.field_width_mm is not None:
                self._set_width_box(settings.field_width_mm)
            else:
                self.clear_derived_width()  # not the previous case's width: none derived yet
            self.dose_spin.setValue(settings.dose_gy)
            self.fractions_spin.setValue(settings.fractions)
            self._sync_schedule()
            self.normalisation_combo.setCurrentIndex(
                max(self.normalisation_combo.findData(settings.normalisation), 0)
            )
            if settings.normalisation_depth_mm is not None:
                self.normalisation_depth.setValue(settings.normalisation_depth_mm)
            self.normalisation_depth.setEnabled(settings.normalisation == "depth")
            self._base_settings = settings
        finally:
            self._loading = False

    def read(self, fallback: PlanSettings) -> PlanSettings:
        """The settings the controls show, on top of those last loaded (else ``fallback``).

        Raises
        ------
        PlanningError
            A combination the planner refuses (the message names the setting).
        """
        base = self._base_settings or fallback
        depth_mode = self.normalisation_combo.currentData() == "depth"
        return replace(
            base,
            energy=self.energy_combo.currentData(),
            machine=self.energy_combo.currentData(MACHINE_ROLE),
            border_convention=self.border_combo.currentData(),
            margin_mm=float(self.margin_spin.value()),
            skull_base_margin_mm=float(self.skull_base_spin.value()),
            sacral_margin_mm=float(self.sacral_spin.value()),
            arrangement=self.arrangement_combo.currentData(),
            field_width_mm=None if self.width_auto.isChecked() else float(self.width_spin.value()),
            dose_gy=float(self.dose_spin.value()),
            fractions=int(self.fractions_spin.value()),
            normalisation="depth" if depth_mode else "auto",
            normalisation_depth_mm=float(self.normalisation_depth.value())
            if depth_mode
            else base.normalisation_depth_mm,
        )

    def alpha_beta_gy(self) -> float:
        """The α/β entered for BED and EQD2, Gy."""
        return float(self.alpha_beta_spin.value())

    def separation_cm(self) -> float | None:
        """The separation entered, cm, or None to take it from the images."""
        value = float(self.separation_spin.value())
        return None if value == self.separation_spin.minimum() else value

    def show_derived_width(self, width_mm: float) -> None:
        """With an automatic width, the (disabled) width box shows the width derived, mm."""
        if not self.width_auto.isChecked():
            return
        self._loading = True
        try:
            self._set_width_box(width_mm)
        finally:
            self._loading = False

    def clear_derived_width(self) -> None:
        """With an automatic width and no field derived (no plan), the box shows "—"."""
        if not self.width_auto.isChecked():
            return
        loading, self._loading = self._loading, True
        try:
            self.width_spin.setSpecialValueText(NO_WIDTH_TEXT)
            self.width_spin.setMinimum(0.0)
            self.width_spin.setValue(0.0)
        finally:
            self._loading = loading

    def _set_width_box(self, width_mm: float) -> None:
        self.width_spin.setSpecialValueText("")
        self.width_spin.setMinimum(MINIMUM_WIDTH_MM)
        self.width_spin.setValue(width_mm)

    # -- edits ------------------------------------------------------------------------------
    def _on_setting_edited(self, *_args: object) -> None:
        self.normalisation_depth.setEnabled(self.normalisation_combo.currentData() == "depth")
        if not self._loading:
            self.edited.emit()

    def _on_dose_edited(self, *_args: object) -> None:
        if self._loading:
            return
        self._loading = True
        try:
            self._sync_schedule()
        finally:
            self._loading = False
        self.edited.emit()

    def _sync_schedule(self) -> None:
        dose, fractions = self.dose_spin.value(), self.fractions_spin.value()
        for index, schedule in enumerate(SCHEDULES):
            if abs(schedule.dose_gy - dose) < 1e-6 and schedule.fractions == fractions:
                self.schedule_combo.setCurrentIndex(index)
                return
        self.schedule_combo.setCurrentIndex(self.schedule_combo.count() - 1)

    def _on_schedule_chosen(self, index: int) -> None:
        if self._loading:
            return
        schedule = self.schedule_combo.itemData(index)
        if not isinstance(schedule, Prescription):
            return
        self._loading = True
        try:
            self.dose_spin.setValue(schedule.dose_gy)
            self.fractions_spin.setValue(schedule.fractions)
        finally:
            self._loading = False
        self.edited.emit()

    def _on_width_auto(self, automatic: bool) -> None:
        self.width_spin.setEnabled(not automatic)
        width_mm = self._field_width_mm()
        if not automatic and not self._loading:
            self._loading = True
            try:
                # a width typed by hand starts from the field drawn (else the narrowest)
                self._set_width_box(width_mm if width_mm is not None else MINIMUM_WIDTH_MM)
            finally:
                self._loading = False
        if not self._loading:
            self.edited.emit()
