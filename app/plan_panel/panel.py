"""The Plan panel: plan settings, the coverage verdict, the numbers and the DVH, kept live.

Give it the case being edited with `PlanPanel.set_case` (the main window connects
``case_opened``; `PlanPanel.connect_document` follows an annotation document's edits). Every
change of the case or of a setting:

1. derives the field at once when the lesion's extent is known without the images (an
   ellipsoid, or a mask handed in), and redraws the borders and outline;
2. asks the `PlanRunner` for a plan (debounced; computed in a background thread; superseded
   results are dropped); when it arrives the verdict, numbers, DVH, beam paths and isodoses
   are replaced. A machine without a depth-dose table (Co-60 in this release) gets its field
   and beam set-up instead (`planning.dose.plan_geometry.PlanGeometry`): "FIELD ONLY, NO DOSE" with
   the field and beam numbers and the beam paths, no isodoses and no coverage check.

The parts live in their own modules: `settings_form`, `result_view` (verdict, numbers, DVH,
notes), `numbers_table`, `overlay_layer`, `plan_input` and `export_flow`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QScrollArea, QVBoxLayout, QWidget

from app.plan_panel.export_flow import PlanExportFlow, ask_export_folder, export_button
from app.plan_panel.export_record import ExportRecord
from app.plan_panel.numbers_table import field_rows, numbers_rows
from app.plan_panel.overlay_layer import PlanOverlayLayer
from app.plan_panel.plan_input import (
    DocumentLink,
    PaintedStructures,
    PlanInput,
    is_new_case,
    same_case,
    same_painting,
)
from app.plan_panel.plan_overlays import field_overlays, geometry_overlays, plan_overlays
from app.plan_panel.result_view import PlanResultView
from app.plan_panel.settings_form import PlanSettingsForm
from app.plan_panel.worker import PlanRunner
from app.viewer.overlays import OverlayItem, OverlayModel
from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.anatomy.lesion import EllipsoidLesion
from planning.case import Case
from planning.case.settings import PlanSettings
from planning.dose.grid import DEFAULT_GRID_SPACING_MM
from planning.dose.images import PlanImages
from planning.dose.plan_geometry import PlanGeometry
from planning.errors import PlanningError
from planning.field.derivation import Field, derive_case_field
from planning.plan import PlanResult
from planning.run import PlanJob, has_dose_data

#: the Plan panel shares one tabbed column with the annotation and practice panels, so it
#: can afford a width at which its settings and numbers read without scrolling sideways
MINIMUM_WIDTH_PX = 300


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
    geometry_updated(PlanGeometry) : the field and beam set-up (no dose: the machine has no
        depth-dose table) for the current case and settings is shown.
    plan_failed(str) : the current case or settings cannot be planned (message in words).
    field_updated(Field) : the field drawn changed (live, before the dose).
    export_finished(list) : the paths an export wrote.
    """

    plan_updated = Signal(object)
    geometry_updated = Signal(object)
    plan_failed = Signal(str)
    field_updated = Signal(object)
    export_finished = Signal(object)
    #: the user changed a setting: the `PlanSettings` now shown (valid combinations only)
    settings_edited = Signal(object)

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
        self.painted_structures: PaintedStructures = ()
        self.result: PlanResult | None = None
        #: the field and beam set-up shown when the machine has no depth-dose table
        self.plan_geometry: PlanGeometry | None = None
        self.field: Field | None = None
        #: the field derived for the settings now shown (None until it could be derived)
        self.live_field: Field | None = None
        self.error = ""
        self.overlay_layer = PlanOverlayLayer(overlays)
        self.document_link = DocumentLink(self, self._on_document_input, self._on_failed)
        self.runner = PlanRunner(self) if debounce_ms is None else PlanRunner(self, debounce_ms)
        self.runner.result_ready.connect(self._on_result)
        self.runner.geometry_ready.connect(self._on_geometry)
        self.runner.failed.connect(self._on_dose_failed)
        self.runner.busy_changed.connect(self._on_busy)
        self.export_flow = PlanExportFlow(self.runner.scratch_folder, self)
        self.export_flow.finished.connect(self.export_finished)
        self.export_flow.finished.connect(self._on_exported)
        #: where an export of a case not saved yet is proposed (the window sets its cases folder)
        self.export_parent_folder: Callable[[], Path] = Path.home
        #: the file the open case is saved to now (the window gives its document's), if any
        self.saved_case_path: Callable[[], Path | None] = lambda: None
        self._export_inputs: object = None
        self.exporter = self.export_flow.exporter
        self._build()
        self.export_flow.status_changed.connect(self.status_label.setText)
        self.settings_box.load(PlanSettings())  # the defaults, the width automatic and empty
        self._show_empty("Open a case file (*.spineplan.json) with levels and a lesion to plan.")

    # The rows of the numbers table are pure functions (numbers_table); also reachable here.
    field_rows = staticmethod(field_rows)
    numbers_rows = staticmethod(numbers_rows)

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)

        view = self.result_view = PlanResultView(content)
        self.verdict_label, self.status_label = view.verdict_label, view.status_label
        self.details_label = view.details_label
        layout.addWidget(self.verdict_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.details_label)

        self.settings_box = PlanSettingsForm(content, self._field_width_mm)
        self.settings_box.edited.connect(self._replan)
        self.settings_box.edited.connect(self._announce_settings)
        layout.addWidget(self.settings_box)
        # the controls stay reachable on the panel (tests, scripts and the practice mode use them)
        form = self.settings_box
        self.energy_combo, self.border_combo = form.energy_combo, form.border_combo
        self.margin_spin, self.arrangement_combo = form.margin_spin, form.arrangement_combo
        self.width_auto, self.width_spin = form.width_auto, form.width_spin
        self.schedule_combo, self.alpha_beta_spin = form.schedule_combo, form.alpha_beta_spin
        self.dose_spin, self.fractions_spin = form.dose_spin, form.fractions_spin
        self.normalisation_combo = form.normalisation_combo
        self.normalisation_depth = form.normalisation_depth
        self.separation_spin = form.separation_spin

        for box in view.create_boxes(content):
            layout.addWidget(box)
        # the widgets stay reachable on the panel (tests and scripts read them)
        self.numbers, self.dvh_plot = view.numbers, view.dvh_plot
        self.notes_label = view.notes_label

        self.export_button = export_button(content)
        self.export_button.clicked.connect(self.choose_export)
        layout.addWidget(self.export_button)
        self.export_record = ExportRecord(content)
        layout.addWidget(self.export_record)
        layout.addStretch(1)

        scroll = self.scroll_area = QScrollArea(self)
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
        painted_structures: PaintedStructures = (),
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
        new_case = is_new_case(case, self.case)
        if (
            not new_case
            and same_painting(
                painted_mask, painted_structures, self.painted_mask, self.painted_structures
            )
            and same_case(case, self.case)
        ):
            # The same case again (the case file, then the document made from it): no replan.
            if lesion_mask is not None:
                self.lesion_mask = lesion_mask
            return
        self.case, self.lesion_mask, self.painted_mask = case, lesion_mask, painted_mask
        self.painted_structures = tuple(painted_structures)
        if case is None:
            self.runner.cancel()
            self.overlay_layer.clear()
            self.result = self.plan_geometry = None
            self.export_record.forget()
            self.field = self.live_field = None
            # the defaults, as at start: the last case's settings would pass for this one's
            self.settings_box.load(PlanSettings())
            self.settings_box.clear_derived_width()
            self.settings_box.show_landmark_ends(False, False)
            self._show_empty("No case is open.")
            return
        if new_case:
            self.export_record.forget()
            self.runner.forget_images()
            self.settings_box.load(case.plan)
            self.result = self.plan_geometry = None
        self._replan(immediately=new_case)

    def connect_document(self, document) -> None:  # type: ignore[no-untyped-def]
        """Follow an `app.annotation.document.AnnotationDocument`: plan its case on every edit.

        A lesion made from a specification (ellipsoid, seed, file) is planned as such; a lesion
        painted by hand is planned from its mask.
        """
        self.document_link.follow(document)

    def _on_document_input(self, given: PlanInput | None) -> None:
        if given is None:
            self.set_case(None)
            return
        case, lesion_mask, painted, structures = given
        self.set_case(case, lesion_mask, painted_mask=painted, painted_structures=structures)

    def settings(self) -> PlanSettings:
        """The settings the controls show (on top of the case's own, e.g. its SSD).

        Raises
        ------
        PlanningError
            A combination the planner refuses (the message names the setting).
        """
        return self.settings_box.read(self.case.plan if self.case is not None else PlanSettings())

    def separation_cm(self) -> float | None:
        """The separation entered, cm, or None to take it from the images."""
        return self.settings_box.separation_cm()

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
            alpha_beta_gy=self.settings_box.alpha_beta_gy(),
            separation_cm=self.separation_cm(),
        )

    # -- edits ----------------------------------------------------------------------------
    def _announce_settings(self) -> None:
        """Tell the document (undo, the title's modified mark, autosave) what the user set."""
        if self.case is None:
            return
        # an invalid combination is shown by `_replan`; the case keeps its settings
        with contextlib.suppress(PlanningError):
            self.settings_edited.emit(self.settings())

    def show_settings(self, settings: PlanSettings) -> None:
        """Show ``settings`` (an undo or a restore put them in the case) unless already shown."""
        try:
            if self.settings() == settings:
                return
        except PlanningError:
            pass
        self.settings_box.load(settings)

    def _field_width_mm(self) -> float | None:
        return self.field.width_mm if self.field is not None else None

    def _replan(self, *, immediately: bool = False) -> None:
        """Redraw the field now when possible and ask for a plan (debounced)."""
        if self.case is None:
            return
        self._check_export_stale()
        try:
            settings = self.settings()
        except PlanningError as error:
            self.runner.cancel()
            self.live_field = None  # no field for these settings
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
        self.settings_box.show_derived_width(live.width_mm)
        self._show_landmark_ends(live)
        if self.result is None:
            self.overlay_layer.replace(field_overlays(live, self._frame_uid()))
        else:
            # keep the last isodoses (dimmed by the status) until the new plan replaces them
            kept = self.overlay_layer.isodoses()
            self.overlay_layer.replace([*field_overlays(live, self._frame_uid()), *kept])
        self.field_updated.emit(live)

    def _show_landmark_ends(self, plan_field: Field) -> None:
        """Show the end margins the field's ends are set from (C1 ring, sacral end)."""
        self.settings_box.show_landmark_ends(
            bool(plan_field.superior_landmark), bool(plan_field.inferior_landmark)
        )

    # -- results --------------------------------------------------------------------------
    def _on_busy(self, busy: bool) -> None:
        job = self.job() if busy else None
        if job is not None and not has_dose_data(job):
            self.result_view.show_busy(busy, "Deriving the field and beam set-up (no dose)…")
        else:
            self.result_view.show_busy(busy)

    def _on_result(self, result: PlanResult) -> None:
        self.result, self.error, self.field = result, "", result.field
        self.plan_geometry = None
        self.settings_box.show_derived_width(result.field.width_mm)
        self._show_landmark_ends(result.field)
        self.overlay_layer.replace(
            [*plan_overlays(result, result.images.plan_frame_uid), *self._mr_field(result.images)]
        )
        self.result_view.show_result(result)
        self.plan_updated.emit(result)

    def _on_geometry(self, geometry: PlanGeometry) -> None:
        """The machine has no depth-dose table: the field, the beams' set-up and their paths
        show, without dose or coverage check."""
        self.result, self.error, self.field = None, "", geometry.field
        self.plan_geometry = geometry
        self.settings_box.show_derived_width(geometry.field.width_mm)
        self._show_landmark_ends(geometry.field)
        self.overlay_layer.replace(
            [
                *geometry_overlays(geometry, geometry.images.plan_frame_uid),
                *self._mr_field(geometry.images),
            ]
        )
        self.result_view.show_geometry(geometry)
        self.geometry_updated.emit(geometry)

    def _on_dose_failed(self, message: str) -> None:
        """The field was derived but the dose could not be computed: the live field's numbers
        still show, for the field limits. (A machine without a depth-dose table is not a
        failure: its set-up arrives through `_on_geometry`.)"""
        self._on_failed(message)
        if self.live_field is not None and self.case is not None:
            self.result_view.show_field_only(self.live_field, self.case.thoracic_prefix)

    def _on_failed(self, message: str) -> None:
        self.error = message
        self.result = self.plan_geometry = None
        self.result_view.show_failed(message)
        if self.live_field is None:
            # no field derived from the case as it is now: the borders still drawn were the
            # last plan's (T9-T12 beside "NO PLAN" for a lesion reaching below L2)
            self.field = None
            self.settings_box.clear_derived_width()
            self.overlay_layer.clear()
        else:
            self.overlay_layer.replace(self.overlay_layer.without_isodoses())
        self.plan_failed.emit(message)

    def _show_empty(self, message: str) -> None:
        self.result_view.show_empty(message)
        self.overlay_layer.clear()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.numbers.fit()

    def number(self, name: str) -> str:
        """The value shown in the numbers table for ``name`` ('' when absent)."""
        return self.numbers.value(name)

    # -- overlays -------------------------------------------------------------------------
    def _frame_uid(self) -> str:
        """The study's (the MR's) frame of reference: the live field is derived there."""
        return self.case.study.frame_of_reference_uid if self.case is not None else ""

    def _mr_field(self, images: PlanImages) -> list[OverlayItem]:
        """On a planning CT of another frame the plan is drawn on the CT's views; the field
        derived on the MR stays drawn on the MR's views."""
        if not images.on_registered_ct or self.live_field is None:
            return []
        return field_overlays(self.live_field, self._frame_uid())

    @property
    def overlay_items(self) -> list[OverlayItem]:
        """The items the plan currently draws on the views."""
        return self.overlay_layer.items

    # -- export ---------------------------------------------------------------------------
    def choose_export(self) -> None:
        """File > Export plan...: ask for a folder and export into it (a case that cannot be
        planned yet is said so first, before any folder is asked for or made)."""
        missing = self.missing_for_export()
        if missing:
            QMessageBox.information(self, "Export plan", f"Nothing to export yet: {missing}.")
            return
        folder = ask_export_folder(
            self, self.case, self.export_parent_folder(), self.saved_case_path()
        )
        if folder:
            self.export_to(folder)

    def export_to(self, folder: str | Path) -> bool:
        """Export the current plan into ``folder`` in the background (progress and Cancel).

        Uses the plan (or, without depth-dose data, the field and beam set-up) on screen when
        it is up to date, else plans the current settings first. Returns False (with a
        message) when there is nothing to export.
        """
        idle = not self.runner.busy
        current = self.result if idle else None
        geometry = self.plan_geometry if idle and current is None else None
        job = None if current is not None or geometry is not None else self.job()
        self._export_inputs = self.plan_inputs()
        return self.export_flow.start(folder, result=current, job=job, geometry=geometry)

    def missing_for_export(self) -> str:
        """What the case lacks to be planned, in words ('' when it can be)."""
        if self.case is None:
            return "open a case or a study to plan"
        if self.case.lesion is None and self.painted_mask is None:
            return "the case has no lesion; mark the lesion (Annotation ▸ Lesion) to plan"
        if not self.case.levels:
            return "the case has no vertebral levels; label the levels to plan"
        return ""

    def plan_inputs(self) -> object:
        """What the plan is made from (case, settings, hand-painted masks, separation): an
        export of other inputs is stale."""
        try:
            settings: object = self.settings()
        except PlanningError:
            settings = None
        return (
            self.case,
            settings,
            self.painted_mask,
            self.painted_structures,
            self.separation_cm(),
            self.settings_box.alpha_beta_gy(),
        )

    def _on_exported(self, written: list[Path]) -> None:
        folder = written[0].parent if written else Path()
        self.export_record.exported(folder, len(written), self._export_inputs)
        self.export_record.check(self.plan_inputs())
        # the confirmation is seen where the button was clicked, even at the panel's bottom
        # (once the layout has made room for it)
        QTimer.singleShot(0, lambda: self.scroll_area.ensureWidgetVisible(self.export_record))

    def _check_export_stale(self) -> None:
        self.export_record.check(self.plan_inputs())

    @property
    def progress_dialog(self) -> QProgressDialog | None:
        """The export's progress dialog while an export runs."""
        return self.export_flow.progress_dialog

    def wait_until_idle(self, timeout_ms: int = 120_000) -> bool:
        """Process events until no plan is pending or running (screenshots, scripts, tests)."""
        return self.runner.wait_until_idle(timeout_ms)

    def running_work(self) -> str:
        """What `shutdown` would wait for, in words ("" when nothing runs)."""
        if self.export_flow.exporter.running:
            return "plan export"
        return "plan computation" if self.runner.busy else ""

    def shutdown(self) -> None:
        """Stop background work (the window is closing)."""
        self.export_flow.shutdown()
        self.runner.shutdown()
