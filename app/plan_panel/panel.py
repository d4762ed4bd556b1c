"""The Plan panel: plan settings, the coverage verdict, the numbers and the DVH, kept live.

Give it the case being edited with `PlanPanel.set_case` (the main window connects
``case_opened``; `PlanPanel.connect_document` follows an annotation document's edits). Every
change of the case or of a setting:

1. derives the field at once when the lesion's extent is known without the images (an
   ellipsoid, or a mask handed in), and redraws the borders and outline;
2. asks the `PlanRunner` for a plan (debounced; computed in a background thread; superseded
   results are dropped); when it arrives the verdict, numbers, DVH, beam paths and isodoses
   are replaced.

Co-60 is listed but cannot be chosen until a published Co-60 depth-dose table ships (its item
says so).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.plan_panel.dvh_plot import DvhCurve, DvhPlot
from app.plan_panel.export import EXPORT_STEPS, PlanExporter
from app.plan_panel.plan_overlays import field_overlays, plan_overlays
from app.plan_panel.worker import PlanJob, PlanRunner
from app.viewer.overlays import OverlayItem, OverlayModel
from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.beam_model import beam_model
from planning.case import Case
from planning.dose_grid import DEFAULT_GRID_SPACING_MM
from planning.errors import PlanningError
from planning.field import Field, derive_case_field
from planning.lesion import EllipsoidLesion
from planning.levels import ThoracicPrefix, level_range_words
from planning.plan import PlanResult
from planning.prescription import DEFAULT_ALPHA_BETA_GY, SCHEDULES, Prescription
from planning.settings import PlanSettings
from planning.structures import structure_colour

PASS_COLOR = "#3ddc84"
FAIL_COLOR = "#ff5252"
LESION_CURVE_COLOR = QColor("#ff8c00")
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
#: the Plan panel shares one tabbed column with the annotation and practice panels, so it
#: can afford a width at which its settings and numbers read without scrolling sideways
MINIMUM_WIDTH_PX = 300


def _energy_label(energy: str) -> str:
    return "6 MV" if energy == "6MV" else "Co-60"


class PlanPanel(QWidget):
    """Settings, verdict, numbers, DVH and export of the open case's plan.

    Parameters
    ----------
    overlays : the viewer's overlay model the field and isodoses are drawn through.
    grid_spacing_mm : dose grid spacing, mm (the command line's default unless told).
    debounce_ms : quiet time after an edit before planning, ms.

    Signals
    -------
    plan_updated(PlanResult) : a plan for the current case and settings is shown.
    plan_failed(str) : the current case or settings cannot be planned (message in words).
    field_updated(Field) : the field drawn changed (live, before the dose).
    export_finished(list) : the paths an export wrote.
    """

    plan_updated = Signal(object)
    plan_failed = Signal(str)
    field_updated = Signal(object)
    export_finished = Signal(object)

    def __init__(
        self,
        overlays: OverlayModel,
        parent: QWidget | None = None,
        *,
        grid_spacing_mm: float = DEFAULT_GRID_SPACING_MM,
        debounce_ms: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("PlanPanel")
        self.overlays = overlays
        self.grid_spacing_mm = grid_spacing_mm
        self.case: Case | None = None
        self.lesion_mask: Volume | None = None
        self.painted_mask: Volume | None = None
        self.painted_structures: tuple[tuple[str, Volume], ...] = ()
        self.result: PlanResult | None = None
        self.field: Field | None = None
        #: the field derived for the settings now shown (None until it could be derived)
        self.live_field: Field | None = None
        self.error = ""
        self._items: list[OverlayItem] = []
        self._loading_controls = False
        self._document = None
        self.runner = PlanRunner(self) if debounce_ms is None else PlanRunner(self, debounce_ms)
        self.runner.result_ready.connect(self._on_result)
        self.runner.failed.connect(self._on_dose_failed)
        self.runner.busy_changed.connect(self._on_busy)
        self.exporter = PlanExporter(self.runner.scratch_folder, self)
        self.exporter.finished.connect(self._on_export_finished)
        self.exporter.failed.connect(self._on_export_failed)
        self.exporter.cancelled.connect(self._on_export_cancelled)
        self.progress_dialog: QProgressDialog | None = None
        self._build()
        self._show_empty("Open a case file (*.spineplan.json) with levels and a lesion to plan.")

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)

        self.verdict_label = QLabel(content)
        self.verdict_label.setObjectName("PlanVerdict")
        self.verdict_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verdict_label.setMinimumHeight(34)
        self.verdict_label.setWordWrap(True)
        self.details_label = QLabel(content)
        self.details_label.setObjectName("PlanVerdictDetails")
        self.details_label.setWordWrap(True)
        self.details_label.setTextFormat(Qt.TextFormat.PlainText)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel(content)
        self.status_label.setObjectName("PlanStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.verdict_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.details_label)

        layout.addWidget(self._build_settings(content))

        numbers_box = QGroupBox("Numbers", content)
        numbers_layout = QVBoxLayout(numbers_box)
        self.numbers = QTableWidget(0, 2, numbers_box)
        self.numbers.setObjectName("PlanNumbers")
        self.numbers.horizontalHeader().hide()
        self.numbers.verticalHeader().hide()
        self.numbers.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.numbers.setWordWrap(True)
        header = self.numbers.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 118)  # names wrap; the values get the rest
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.numbers.setMinimumHeight(200)
        numbers_layout.addWidget(self.numbers)
        layout.addWidget(numbers_box)

        dvh_box = QGroupBox("Dose-volume histogram", content)
        dvh_layout = QVBoxLayout(dvh_box)
        self.dvh_plot = DvhPlot(dvh_box)
        dvh_layout.addWidget(self.dvh_plot)
        layout.addWidget(dvh_box)

        notes_box = QGroupBox("Warnings and assumptions", content)
        notes_layout = QVBoxLayout(notes_box)
        self.notes_label = QLabel(notes_box)
        self.notes_label.setObjectName("PlanNotes")
        self.notes_label.setWordWrap(True)
        self.notes_label.setTextFormat(Qt.TextFormat.PlainText)
        self.notes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        notes_layout.addWidget(self.notes_label)
        layout.addWidget(notes_box)

        self.export_button = QPushButton("Export plan…", content)
        self.export_button.setObjectName("ExportPlan")
        self.export_button.setToolTip(
            "Write field.json, field.csv, report.pdf, rtplan.dcm, rtdose.dcm and rtstruct.dcm "
            "into a folder (as spineplan plan --out DIR)"
        )
        self.export_button.clicked.connect(self.choose_export)
        layout.addWidget(self.export_button)
        layout.addStretch(1)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        # Narrower than this the numbers wrap word by word; the window keeps slack for the views
        # because the Plan dock is a tab of the one right-hand column (content scrolls beyond).
        self.setMinimumWidth(MINIMUM_WIDTH_PX)
        content.setMinimumWidth(240)

    def _build_settings(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Settings", parent)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.energy_combo = QComboBox(box)
        self.energy_combo.setObjectName("PlanEnergy")
        self.energy_combo.addItem("6 MV", "6MV")
        if beam_model("Co60").has_depth_dose:
            self.energy_combo.addItem("Co-60", "Co60")
        else:
            self.energy_combo.addItem("Co-60 (field only, no dose)", "Co60")
            model = self.energy_combo.model()
            assert isinstance(model, QStandardItemModel)
            model.item(1).setToolTip(CO60_FIELD_ONLY)
        form.addRow("Energy", self.energy_combo)

        self.border_combo = QComboBox(box)
        self.border_combo.setObjectName("PlanBorder")
        self.border_combo.addItem("disc (middle)", "disc")
        self.border_combo.addItem("outer endplate", "endplate")
        form.addRow("Borders", self.border_combo)

        self.margin_spin = QDoubleSpinBox(box)
        self.margin_spin.setObjectName("PlanMargin")
        self.margin_spin.setRange(-40.0, 60.0)
        self.margin_spin.setDecimals(1)
        self.margin_spin.setSingleStep(1.0)
        self.margin_spin.setSuffix(" mm")
        self.margin_spin.setToolTip("Extra margin beyond each border (negative tightens)")
        form.addRow("Margin", self.margin_spin)

        self.arrangement_combo = QComboBox(box)
        self.arrangement_combo.setObjectName("PlanArrangement")
        for key, text in ARRANGEMENT_TEXT.items():
            self.arrangement_combo.addItem(text, key)
            index = self.arrangement_combo.count() - 1
            self.arrangement_combo.setItemData(
                index, ARRANGEMENT_TIPS[key], Qt.ItemDataRole.ToolTipRole
            )
        form.addRow("Arrangement", self.arrangement_combo)

        width_row = QWidget(box)
        width_layout = QHBoxLayout(width_row)
        width_layout.setContentsMargins(0, 0, 0, 0)
        self.width_auto = QCheckBox("auto", width_row)
        self.width_auto.setObjectName("PlanWidthAuto")
        self.width_auto.setToolTip("Vertebral body width plus the width margin each side")
        self.width_spin = QDoubleSpinBox(width_row)
        self.width_spin.setObjectName("PlanWidth")
        self.width_spin.setRange(5.0, 400.0)
        self.width_spin.setDecimals(0)
        self.width_spin.setSingleStep(5.0)
        self.width_spin.setSuffix(" mm")
        width_layout.addWidget(self.width_auto)
        width_layout.addWidget(self.width_spin, 1)
        form.addRow("Width", width_row)

        self.schedule_combo = QComboBox(box)
        self.schedule_combo.setObjectName("PlanSchedule")
        for schedule in SCHEDULES:
            self.schedule_combo.addItem(schedule.label, schedule)
        self.schedule_combo.addItem(CUSTOM_SCHEDULE, None)
        form.addRow("Schedule", self.schedule_combo)

        dose_row = QWidget(box)
        dose_layout = QHBoxLayout(dose_row)
        dose_layout.setContentsMargins(0, 0, 0, 0)
        self.dose_spin = QDoubleSpinBox(dose_row)
        self.dose_spin.setObjectName("PlanDose")
        self.dose_spin.setRange(0.5, 80.0)
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

        self.alpha_beta_spin = QDoubleSpinBox(box)
        self.alpha_beta_spin.setObjectName("PlanAlphaBeta")
        self.alpha_beta_spin.setRange(0.5, 20.0)
        self.alpha_beta_spin.setDecimals(1)
        self.alpha_beta_spin.setSuffix(" Gy")
        self.alpha_beta_spin.setValue(DEFAULT_ALPHA_BETA_GY)
        self.alpha_beta_spin.setToolTip("alpha/beta for BED and EQD2 (2 Gy: late effects, cord)")
        form.addRow("α/β", self.alpha_beta_spin)

        norm_row = QWidget(box)
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

        self.separation_spin = QDoubleSpinBox(box)
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
        self.settings_box = box
        return box

    # A constant size hint: what the panel shows must never resize the dock (and the views).
    def sizeHint(self) -> QSize:
        return QSize(360, 700)

    def minimumSizeHint(self) -> QSize:
        return QSize(MINIMUM_WIDTH_PX, 200)

    # -- the case -------------------------------------------------------------------------
    def set_case(
        self,
        case: Case | None,
        lesion_mask: Volume | None = None,
        *,
        painted_mask: Volume | None = None,
        painted_structures: tuple[tuple[str, Volume], ...] = (),
    ) -> None:
        """Plan ``case`` (None clears the panel).

        Parameters
        ----------
        case : the case as it is now (levels, lesion, study, plan settings).
        lesion_mask : the lesion as a mask on any grid of the study, when known (the field is
            then derived at once from it; otherwise at once for an ellipsoid, or with the plan).
        painted_mask : a lesion painted by hand that has no file yet: planned as a mask lesion
            (``case.lesion`` is ignored).
        painted_structures : (name, mask) of structures painted by hand that have no file yet
            (the case's structures of those names are planned from these masks).
        """
        new_case = (
            case is None
            or self.case is None
            or (case.study_path(), case.source_path)
            != (self.case.study_path(), self.case.source_path)
        )
        same_structures = len(painted_structures) == len(self.painted_structures) and all(
            a[0] == b[0] and a[1] is b[1]
            for a, b in zip(painted_structures, self.painted_structures, strict=True)
        )
        if (
            not new_case
            and painted_mask is self.painted_mask
            and same_structures
            and _same(case, self.case)
        ):
            # The same case again (the case file, then the document made from it): no replan.
            if lesion_mask is not None:
                self.lesion_mask = lesion_mask
            return
        self.case, self.lesion_mask, self.painted_mask = case, lesion_mask, painted_mask
        self.painted_structures = tuple(painted_structures)
        if case is None:
            self.runner.cancel()
            self._remove_items()
            self.result = None
            self._show_empty("No case is open.")
            return
        if new_case:
            self.runner.forget_images()
            self._load_settings(case.plan)
            self.result = None
        self._replan(immediately=new_case)

    def connect_document(self, document) -> None:  # type: ignore[no-untyped-def]
        """Follow an `app.annotation.document.AnnotationDocument`: plan its case on every edit.

        A lesion made from a specification (ellipsoid, seed, file) is planned as such; a lesion
        painted by hand is planned from its mask.
        """
        if self._document is not None:
            self._document.changed.disconnect(self._on_document_changed)
        self._document = document
        document.changed.connect(self._on_document_changed)
        self._on_document_changed("")

    def _on_document_changed(self, _text: str = "") -> None:
        document = self._document
        if document is None or document.case is None:
            self.set_case(None)
            return
        state = document.state
        painted = state.lesion_mask if state.lesion_spec is None else None
        structures = tuple((s.name, s.mask) for s in state.structures if s.spec is None)
        # placeholders: the worker writes the masks and puts their paths in
        paths = {name: f"painted_structure_{n}.nrrd" for n, (name, _) in enumerate(structures)}
        try:
            case = document.to_case("painted_lesion.nrrd" if painted is not None else None, paths)
        except SpineplanError as error:
            self._on_failed(str(error))
            return
        self.set_case(case, state.lesion_mask, painted_mask=painted, painted_structures=structures)

    def _load_settings(self, settings: PlanSettings) -> None:
        self._loading_controls = True
        try:
            self.energy_combo.setCurrentIndex(max(self.energy_combo.findData(settings.energy), 0))
            self.border_combo.setCurrentIndex(
                max(self.border_combo.findData(settings.border_convention), 0)
            )
            self.margin_spin.setValue(settings.margin_mm)
            self.arrangement_combo.setCurrentIndex(
                max(self.arrangement_combo.findData(settings.arrangement), 0)
            )
            self.width_auto.setChecked(settings.field_width_mm is None)
            self.width_spin.setEnabled(settings.field_width_mm is not None)
            if settings.field_width_mm is not None:
                self.width_spin.setValue(settings.field_width_mm)
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
            self._loading_controls = False

    def settings(self) -> PlanSettings:
        """The settings the controls show (on top of the case's own, e.g. its SSD).

        Raises
        ------
        PlanningError
            A combination the planner refuses (the message names the setting).
        """
        base = getattr(self, "_base_settings", None) or (
            self.case.plan if self.case is not None else PlanSettings()
        )
        depth_mode = self.normalisation_combo.currentData() == "depth"
        return replace(
            base,
            energy=self.energy_combo.currentData(),
            border_convention=self.border_combo.currentData(),
            margin_mm=float(self.margin_spin.value()),
            arrangement=self.arrangement_combo.currentData(),
            field_width_mm=None if self.width_auto.isChecked() else float(self.width_spin.value()),
            dose_gy=float(self.dose_spin.value()),
            fractions=int(self.fractions_spin.value()),
            normalisation="depth" if depth_mode else "auto",
            normalisation_depth_mm=float(self.normalisation_depth.value())
            if depth_mode
            else base.normalisation_depth_mm,
        )

    def separation_cm(self) -> float | None:
        """The separation entered, cm, or None to take it from the images."""
        value = float(self.separation_spin.value())
        return None if value == self.separation_spin.minimum() else value

    def job(self) -> PlanJob | None:
        """What the panel would plan now (None without a case or with invalid settings)."""
        if self.case is None:
            return None
        try:
            settings = self.settings()
        except PlanningError:
            return None
        return PlanJob(
            self.case,
            settings,
            painted_mask=self.painted_mask,
            painted_structures=self.painted_structures,
            grid_spacing_mm=self.grid_spacing_mm,
            alpha_beta_gy=float(self.alpha_beta_spin.value()),
            separation_cm=self.separation_cm(),
        )

    # -- edits ----------------------------------------------------------------------------
    def _on_setting_edited(self, *_args: object) -> None:
        self.normalisation_depth.setEnabled(self.normalisation_combo.currentData() == "depth")
        if not self._loading_controls:
            self._replan()

    def _on_dose_edited(self, *_args: object) -> None:
        if self._loading_controls:
            return
        self._loading_controls = True
        try:
            self._sync_schedule()
        finally:
            self._loading_controls = False
        self._replan()

    def _sync_schedule(self) -> None:
        dose, fractions = self.dose_spin.value(), self.fractions_spin.value()
        for index, schedule in enumerate(SCHEDULES):
            if abs(schedule.dose_gy - dose) < 1e-6 and schedule.fractions == fractions:
                self.schedule_combo.setCurrentIndex(index)
                return
        self.schedule_combo.setCurrentIndex(self.schedule_combo.count() - 1)

    def _on_schedule_chosen(self, index: int) -> None:
        if self._loading_controls:
            return
        schedule = self.schedule_combo.itemData(index)
        if not isinstance(schedule, Prescription):
            return
        self._loading_controls = True
        try:
            self.dose_spin.setValue(schedule.dose_gy)
            self.fractions_spin.setValue(schedule.fractions)
        finally:
            self._loading_controls = False
        self._replan()

    def _on_width_auto(self, automatic: bool) -> None:
        self.width_spin.setEnabled(not automatic)
        if not automatic and self.field is not None and not self._loading_controls:
            self._loading_controls = True
            try:
                self.width_spin.setValue(round(self.field.width_mm))
            finally:
                self._loading_controls = False
        if not self._loading_controls:
            self._replan()

    def _replan(self, *, immediately: bool = False) -> None:
        """Redraw the field now when possible and ask for a plan (debounced)."""
        if self.case is None:
            return
        try:
            settings = self.settings()
        except PlanningError as error:
            self.runner.cancel()
            self._on_failed(f"plan settings: {error}")
            return
        if self.case.lesion is None and self.painted_mask is None:
            self.runner.cancel()
            self._show_empty("The case has no lesion: mark the lesion to plan.")
            return
        if not self.case.levels:
            self.runner.cancel()
            self._show_empty("The case has no vertebral levels: label the levels to plan.")
            return
        self.live_field = None
        self._update_live_field(settings)
        job = self.job()
        assert job is not None
        self.runner.request(job, immediately=immediately)

    def _update_live_field(self, settings: PlanSettings) -> None:
        assert self.case is not None
        if self.lesion_mask is None and not isinstance(self.case.lesion, EllipsoidLesion):
            return  # the field comes with the plan (a seed or mask lesion needs the images)
        try:
            live = derive_case_field(self.case, self.lesion_mask, settings)
        except SpineplanError as error:
            self._on_failed(str(error))
            return
        self.field = self.live_field = live
        self._show_auto_width(live)
        if self.result is None:
            self._set_items(field_overlays(live, self._frame_uid()))
        else:
            # keep the last isodoses (dimmed by the status) until the new plan replaces them
            kept = [i for i in self._items if i.name.startswith("Isodose")]
            self._set_items([*field_overlays(live, self._frame_uid()), *kept])
        self.field_updated.emit(live)

    def _show_auto_width(self, plan_field: Field) -> None:
        """With an automatic width, the (disabled) width box shows the width derived."""
        if not self.width_auto.isChecked():
            return
        self._loading_controls = True
        try:
            self.width_spin.setValue(round(plan_field.width_mm))
        finally:
            self._loading_controls = False

    # -- results --------------------------------------------------------------------------
    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.status_label.setText("Computing the dose…")
            self.details_label.setEnabled(False)
            self.numbers.setEnabled(False)
        else:
            self.details_label.setEnabled(True)
            self.numbers.setEnabled(True)

    def _on_result(self, result: PlanResult) -> None:
        self.result, self.error, self.field = result, "", result.field
        self._show_auto_width(result.field)
        self._set_items(plan_overlays(result, self._frame_uid()))
        self._show_result(result)
        self.plan_updated.emit(result)

    def _on_dose_failed(self, message: str) -> None:
        """The field was derived but the dose could not be computed (e.g. Co-60 without its
        depth-dose table): the field's numbers still show, for the field limits."""
        self._on_failed(message)
        if self.live_field is not None and self.case is not None:
            self.verdict_label.setText("FIELD ONLY, NO DOSE")
            self._fill_numbers(self.field_rows(self.live_field, self.case.thoracic_prefix))

    def _on_failed(self, message: str) -> None:
        self.error = message
        self.result = None
        self.verdict_label.setText("NO PLAN")
        self.verdict_label.setStyleSheet(
            "font-size: 16pt; font-weight: bold; color: #ffb74d; padding: 2px;"
        )
        self.status_label.setText(message)
        self.details_label.setText("")
        self.numbers.setRowCount(0)
        self.dvh_plot.clear("No plan")
        self.notes_label.setText("")
        self._set_items([i for i in self._items if not i.name.startswith("Isodose")])
        self.plan_failed.emit(message)

    def _show_empty(self, message: str) -> None:
        self.verdict_label.setText("—")
        self.verdict_label.setStyleSheet("font-size: 16pt; color: #9e9e9e; padding: 2px;")
        self.status_label.setText(message)
        self.details_label.setText("")
        self.numbers.setRowCount(0)
        self.dvh_plot.clear()
        self.notes_label.setText("")
        self._remove_items()

    def _show_result(self, result: PlanResult) -> None:
        verdict = result.verdict
        color = PASS_COLOR if verdict.passed else FAIL_COLOR
        self.verdict_label.setText(f"{verdict.label}   V95 {verdict.v95_percent:.1f} %")
        self.verdict_label.setStyleSheet(
            f"font-size: 16pt; font-weight: bold; color: {color}; padding: 2px;"
        )
        prefix = result.case.thoracic_prefix
        plan_field = result.field
        self.status_label.setText(
            f"Field {plan_field.levels_words(prefix)}, {plan_field.arrangement}, "
            f"{_energy_label(plan_field.energy)}; dose grid {result.grid_spacing_mm:g} mm"
        )
        lines = [verdict.headline]
        if verdict.cold_regions:
            lines += ["", "Where it is cold:"]
            lines += [f"• {region.description}" for region in verdict.cold_regions]
        if verdict.fixes:
            lines += ["", "What would fix it:"]
            lines += [f"• {fix}" for fix in verdict.fixes]
        self.details_label.setText("\n".join(lines))
        self._fill_numbers(self.numbers_rows(result))
        curves = [
            DvhCurve(
                result.dvh,
                result.prescription.dose_gy,
                LESION_CURVE_COLOR,
                v95_percent=result.lesion_stats.v95_percent,
            )
        ]
        for index, other in enumerate(result.structure_doses):
            if other.dvh is not None and other.stats is not None:
                curves.append(
                    DvhCurve(
                        other.dvh,
                        result.prescription.dose_gy,
                        QColor(*structure_colour(other.name, index)),
                        v95_percent=other.stats.v95_percent,
                        label=f"{other.name}  Dmax {other.stats.dmax_percent:.1f} %",
                    )
                )
        self.dvh_plot.set_curves(curves)
        notes = [f"⚠ {w}" for w in result.warnings] + [f"• {a}" for a in result.assumptions]
        self.notes_label.setText("\n".join(notes) if notes else "None.")

    @staticmethod
    def field_rows(plan_field: Field, prefix: ThoracicPrefix) -> list[tuple[str, str]]:
        """The field's rows of the numbers table (all that shows when only the dose fails)."""
        return [
            ("Lesion levels", level_range_words(plan_field.lesion_levels, prefix)),
            ("Field levels", plan_field.levels_words(prefix)),
            ("Arrangement", plan_field.arrangement),
            (
                "Beams (gantry)",
                ", ".join(f"{b.name} {b.gantry_angle_deg:g}°" for b in plan_field.beams),
            ),
            ("Energy, SSD", f"{_energy_label(plan_field.energy)}, {plan_field.ssd_cm:g} cm"),
            (
                "Superior border",
                f"z {plan_field.superior_border_z_mm:.1f} mm "
                f"({plan_field.superior_border_description})",
            ),
            (
                "Inferior border",
                f"z {plan_field.inferior_border_z_mm:.1f} mm "
                f"({plan_field.inferior_border_description})",
            ),
            (
                "Field size at isocentre",
                f"{plan_field.width_mm:.0f} x {plan_field.length_mm:.0f} mm (width x length)",
            ),
        ]

    @staticmethod
    def numbers_rows(result: PlanResult) -> list[tuple[str, str]]:
        """The rows of the numbers table: (quantity with unit, value)."""
        stats = result.lesion_stats
        prescription, ab = result.prescription, result.alpha_beta_gy
        rows = PlanPanel.field_rows(result.field, result.case.thoracic_prefix)
        rows += [
            ("Normalisation", result.normalisation.description),
            (
                "Prescription",
                f"{prescription.dose_gy:g} Gy in {prescription.fractions} "
                f"({prescription.dose_per_fraction_gy:.2f} Gy/fx)",
            ),
            (
                f"BED, EQD2 (α/β {ab:g} Gy)",
                f"{prescription.bed_gy(ab):.1f} Gy, {prescription.eqd2_gy(ab):.1f} Gy",
            ),
            ("Lesion volume", f"{stats.volume_cc:.2f} cm³"),
            ("Lesion V95", f"{stats.v95_percent:.1f} %"),
            ("Lesion D95", f"{stats.d95_percent:.1f} % ({stats.d95_gy:.2f} Gy)"),
            ("Lesion Dmin", f"{stats.dmin_percent:.1f} % ({stats.dmin_gy:.2f} Gy)"),
            ("Lesion Dmax", f"{stats.dmax_percent:.1f} % ({stats.dmax_gy:.2f} Gy)"),
            ("Lesion Dmean", f"{stats.dmean_percent:.1f} % ({stats.dmean_gy:.2f} Gy)"),
        ]
        cord, eqd2 = result.cord, result.cord_dmax_eqd2_gy()
        for other in result.structure_doses:
            if other.stats is None:
                rows.append((f"{other.name} Dmax", "not on the dose grid"))
                continue
            o = other.stats
            rows.append((f"{other.name} Dmax", f"{o.dmax_percent:.1f} % ({o.dmax_gy:.2f} Gy)"))
            if other is cord and eqd2 is not None:
                rows.append((f"{other.name} Dmax EQD2 (α/β 2 Gy)", f"{eqd2:.1f} Gy"))
            rows.append((f"{other.name} Dmean", f"{o.dmean_percent:.1f} % ({o.dmean_gy:.2f} Gy)"))
        for calc in result.monitor_units:
            digits = 1 if calc.unit == "MU" else 2
            rows.append(
                (f"{calc.beam_name} per fraction", f"{calc.meterset:.{digits}f} {calc.unit}")
            )
        return rows

    def _fill_numbers(self, rows: list[tuple[str, str]]) -> None:
        self.numbers.setRowCount(len(rows))
        for row, (name, value) in enumerate(rows):
            self.numbers.setItem(row, 0, QTableWidgetItem(name))
            self.numbers.setItem(row, 1, QTableWidgetItem(value))
        self._fit_numbers()

    def _fit_numbers(self) -> None:
        """Rows as tall as their wrapped text; the whole table shows (the panel scrolls)."""
        self.numbers.resizeRowsToContents()
        height = sum(self.numbers.rowHeight(r) for r in range(self.numbers.rowCount()))
        self.numbers.setFixedHeight(max(height + 2 * self.numbers.frameWidth() + 2, 60))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_numbers()

    def number(self, name: str) -> str:
        """The value shown in the numbers table for ``name`` ('' when absent)."""
        for row in range(self.numbers.rowCount()):
            item = self.numbers.item(row, 0)
            if item is not None and item.text() == name:
                value = self.numbers.item(row, 1)
                return value.text() if value is not None else ""
        return ""

    # -- overlays -------------------------------------------------------------------------
    def _frame_uid(self) -> str:
        return self.case.study.frame_of_reference_uid if self.case is not None else ""

    @property
    def overlay_items(self) -> list[OverlayItem]:
        """The items the plan currently draws on the views."""
        return list(self._items)

    def _remove_items(self) -> None:
        for item in self._items:
            self.overlays.remove(item)
        self._items = []

    def _set_items(self, items: list[OverlayItem]) -> None:
        # Keep each layer's visibility as the user set it in the Layers panel.
        hidden = {item.name.split(" (")[0] for item in self._items if not item.visible}
        for item in items:
            if item.name.split(" (")[0] in hidden:
                item.visible = False
        self._remove_items()
        self._items = list(items)
        self.overlays.extend(self._items)

    # -- export ---------------------------------------------------------------------------
    def choose_export(self) -> None:
        """File > Export plan...: ask for a folder and export into it."""
        if self.case is None:
            QMessageBox.information(
                self, "Export plan", "Open a case file (*.spineplan.json) to plan first."
            )
            return
        start = str(self.case.source_path.parent) if self.case.source_path is not None else ""
        folder = QFileDialog.getExistingDirectory(self, "Export plan into folder", start)
        if folder:
            self.export_to(folder)

    def export_to(self, folder: str | Path) -> bool:
        """Export the current plan into ``folder`` in the background (progress and Cancel).

        Uses the plan on screen when it is up to date, else plans the current settings
        first. Returns False (with a message) when there is nothing to export.
        """
        current = self.result if (self.result is not None and not self.runner.busy) else None
        job = None if current is not None else self.job()
        try:
            self.exporter.start(folder, result=current, job=job)
        except SpineplanError as error:
            self._report_export_problem(str(error))
            return False
        dialog = QProgressDialog("Exporting the plan…", "Cancel", 0, EXPORT_STEPS, self)
        dialog.setObjectName("ExportProgress")
        dialog.setWindowTitle("Export plan")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)  # only when it takes more than a moment
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.exporter.cancel)
        self.exporter.progress.connect(self._on_export_progress)
        self.progress_dialog = dialog
        self.status_label.setText(f"Exporting into {folder}…")
        return True

    def _on_export_progress(self, done: int, total: int, text: str) -> None:
        dialog = self.progress_dialog
        if dialog is None:
            return
        dialog.setLabelText(f"Exporting the plan: {text}")
        dialog.setMaximum(total)
        # last: a modal dialog's setValue processes events, which may end the export
        dialog.setValue(done)

    def _close_progress(self) -> None:
        self.exporter.progress.disconnect(self._on_export_progress)
        if self.progress_dialog is not None:
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None

    def _on_export_finished(self, written: list[Path]) -> None:
        self._close_progress()
        folder = written[0].parent if written else ""
        self.status_label.setText(f"Exported {len(written)} files into {folder}")
        self.export_finished.emit(written)

    def _on_export_failed(self, message: str) -> None:
        self._close_progress()
        self._report_export_problem(message)

    def _on_export_cancelled(self) -> None:
        self._close_progress()
        self.status_label.setText("Export cancelled: nothing was written.")

    def _report_export_problem(self, message: str) -> None:
        self.status_label.setText(f"Export failed: {message}")
        window = self.window()
        add_message = getattr(window, "add_message", None)
        if callable(add_message):
            add_message("error", f"Export plan: {message}")

    def wait_until_idle(self, timeout_ms: int = 120_000) -> bool:
        """Process events until no plan is pending or running (screenshots, scripts, tests)."""
        from PySide6.QtCore import QDeadlineTimer, QEventLoop
        from PySide6.QtWidgets import QApplication

        deadline = QDeadlineTimer(timeout_ms)
        while self.runner.busy and not deadline.hasExpired():
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            self.runner.wait(20)
        QApplication.processEvents()
        return not self.runner.busy

    def shutdown(self) -> None:
        """Stop background work (the window is closing)."""
        self.exporter.cancel()
        self.exporter.wait()
        self.runner.shutdown()


def _same(first: Case | None, second: Case | None) -> bool:
    """Whether two cases describe the same plan input (levels, lesion, edema, settings...)."""
    try:
        return bool(first == second)
    except (TypeError, ValueError):  # an exotic finding that does not compare
        return False
