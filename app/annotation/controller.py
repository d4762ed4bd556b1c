"""Annotation in the main window: tools, panels, Edit/File/Tools menu entries, autosave.

`AnnotationController(window)` adds everything to a `MainWindow`:

* Edit > Undo / Redo (Ctrl+Z / Ctrl+Shift+Z) on the document's undo stack;
* File > Open case, Save case (Ctrl+S), Save case as (Ctrl+Shift+S), Export structures
  (RTSTRUCT), Export lesion SEG;
* Tools > Levels (L), Body width (Shift+W), Brush (B), Eraser (E), Grow from seed (G),
  Ellipsoid (N), Edema (M);
* the Levels, Lesion and Edema panels (right dock area); the Lesion panel's Paint into chooses
  whether the brush paints the lesion, the cord or another named structure;
* the overlays of the annotation, and of the bundled reference annotation when a sample study
  is opened (a 'Reference' layer group that `set_reference_allowed(False)` removes);
* the recovery file written after every change, offered back when the same case or study is
  opened again.

The controller holds the document and makes the edits; it composes its parts, each given
only what it uses: `dock.AnnotationDock` (panels and dock), `actions` (menus, toolbar, tools),
`case_files.CaseFiles` (opening and saving the case), `recovery_offer.RecoveryOffer`,
`reference_layers.ReferenceAnnotation`, `paint_into.PaintTargets`, `panel_requests` (the
panels' signals), `body_width`, `tool_previews` and `structure_export` (RTSTRUCT / SEG). The
tools see it through the protocols of `tool_host`; it sees the main window as a
`HostWindow`. Its methods delegating to the parts keep one API for the tools, the other
windows and the tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QDockWidget, QLabel, QPushButton, QTabWidget

from app.annotation import actions, body_width, panel_requests, structure_export
from app.annotation.autosave import Recovery, RecoveryStore
from app.annotation.case_files import CaseFiles
from app.annotation.dock import build_dock
from app.annotation.document import AnnotationDocument
from app.annotation.edema_panel import EdemaPanel
from app.annotation.lesion_panel import LESION_TARGET, LesionPanel
from app.annotation.lesion_tools import grow_state
from app.annotation.levels_panel import LevelsPanel
from app.annotation.overlays import AnnotationLayers, grid_centre_xy, grid_frame
from app.annotation.paint_into import PaintTargets
from app.annotation.recovery_offer import RecoveryBar, RecoveryOffer
from app.annotation.reference_layers import ReferenceAnnotation
from app.annotation.tool_previews import ToolPreviews
from app.host_window import HostWindow
from app.viewer.tools import PatientMouseEvent
from imaging.errors import SpineplanError
from imaging.reslice import ViewPlane
from imaging.rtstruct import Structure
from imaging.volume import Volume
from planning.anatomy.lesion import SeedLesion
from planning.case import Case, edits


class AnnotationController(QObject):
    """See the module docstring."""

    def __init__(self, window: HostWindow, store: RecoveryStore | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.viewer = window.viewer
        self.document = AnnotationDocument(self)
        self.selected_level: str | None = None
        self.layers = AnnotationLayers(self.viewer.overlays)
        self.reference = ReferenceAnnotation(self.viewer.overlays, self.document, window)
        #: the reference annotation's layer group
        self.reference_layers = self.reference.layers
        self.previews = ToolPreviews(self.viewer)
        self.tools = actions.make_tools(self)
        self.panels = build_dock(window)
        self.levels_panel: LevelsPanel = self.panels.levels_panel
        self.lesion_panel: LesionPanel = self.panels.lesion_panel
        self.edema_panel: EdemaPanel = self.panels.edema_panel
        self.recovery_bar: RecoveryBar = self.panels.recovery_bar
        self.recovery_label: QLabel = self.recovery_bar.label
        self.restore_button: QPushButton = self.recovery_bar.restore_button
        self.discard_button: QPushButton = self.recovery_bar.discard_button
        self.tabs: QTabWidget = self.panels.tabs
        self.dock: QDockWidget = self.panels.dock
        #: other panels place themselves beside the annotation (the plan panel does)
        self.levels_dock: QDockWidget = self.panels.dock
        self.recovery = RecoveryOffer(
            self.recovery_bar,
            self.document,
            store or RecoveryStore(),
            window,
            self.report,
            lambda: self.show_panel("Levels"),
        )
        self.paint = PaintTargets(self.document, self.lesion_panel, self.edit, self.report)
        self.case_files = CaseFiles(
            window,
            self.document,
            self.recovery,
            self.reference,
            self.preferred_prefix,
            self._update_title,
        )
        self.tool_group: QActionGroup
        self.reference_action: QAction
        self.tool_group, self.reference_action = actions.build_actions(
            window, self, self.document.undo_stack, self.panels
        )
        self.reference.action = self.reference_action
        self._connect()
        self.refresh()

    def _connect(self) -> None:
        w = self.window
        w.load_finished.connect(self._on_load_finished)
        w.mode_group.triggered.connect(lambda _action: self.deactivate_tool())
        self.document.changed.connect(self._on_changed)
        self.document.reset_done.connect(self.paint.reset)
        self.document.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.document.undo_stack.indexChanged.connect(self._on_undo_index_changed)
        panel_requests.connect_panels(self.panels, self, w)

    def show_panel(self, name: str) -> None:
        """Bring the "Levels", "Lesion" or "Edema" tab to the front."""
        self.panels.show_panel(name)

    # -- settings the tools read ----------------------------------------------------------
    @property
    def brush_radius_mm(self) -> float:
        return float(self.lesion_panel.radius.value())

    @property
    def grow_tolerance(self) -> float:
        return self.lesion_panel.tolerance_value()

    def first_level_name(self) -> str:
        return self.levels_panel.first_name.currentText()

    @property
    def paint_target(self) -> str | None:
        """The structure the brush and eraser paint into; None for the lesion."""
        name = self.lesion_panel.current_target()
        return None if name == LESION_TARGET else name

    def set_paint_target(self, name: str | None) -> None:
        """Paint into ``name`` (None or "Lesion": the lesion); see `paint_into`."""
        self.paint.set_target(name)

    def choose_new_structure(self) -> None:
        """Ask for the name of a new structure and paint into it."""
        self.paint.choose_new(self.window)

    def delete_structure(self, name: str) -> None:
        """Delete structure ``name`` (an undoable edit when it has voxels)."""
        self.paint.delete(name)

    def step_radius(self, step_mm: float) -> None:
        """Make the brush ``step_mm`` larger (or smaller, when negative)."""
        self.lesion_panel.radius.setValue(self.lesion_panel.radius.value() + step_mm)

    # -- tools ----------------------------------------------------------------------------
    def activate_tool(self, action_id: str) -> None:
        """Make a tool active (as its menu entry or shortcut does)."""
        self.window.actions_by_id[action_id].setChecked(True)

    def deactivate_tool(self) -> None:
        checked = self.tool_group.checkedAction()
        if checked is not None:
            checked.setChecked(False)

    def on_tool(self, action_id: str, on: bool) -> None:
        """A tool's action toggled: make it the viewer's tool and bring its panel to the
        front, or leave the viewer without a tool when none is checked."""
        if on:
            tool = self.tools[action_id]
            self.viewer.set_tool(tool)
            self.show_panel(actions.TOOL_PANELS.get(action_id, "Lesion"))
            self.window.statusBar().showMessage(f"Tool: {tool.name}", 5000)
        elif self.tool_group.checkedAction() is None:
            self.viewer.set_tool(None)

    def accepts(self, event: PatientMouseEvent) -> bool:
        """Whether a tool may annotate on the view of ``event`` (see `actions.tool_accepts`)."""
        return actions.tool_accepts(self.document, event, self.report)

    # -- edits ----------------------------------------------------------------------------
    def edit(self, text: str, function: Callable[..., Case], *args: object) -> None:
        """Apply ``function(state, *args)`` as one undoable edit named ``text``; a refused
        edit is reported."""
        try:
            new_state = function(self.document.current, *args)
            self.document.apply(text, new_state)
        except SpineplanError as error:
            self.report(str(error))

    def measure_body_width(self, start_mm: Sequence[float], end_mm: Sequence[float]) -> str | None:
        """Store the left-right extent of a ruler from ``start_mm`` to ``end_mm`` (LPS mm) as
        the body width of the level it lies in: one undoable edit ("Measure T9 body width
        42.0 mm"). A ruler outside every labelled body, or too short, is refused with a
        message. Returns the measured level's name, None when refused."""
        try:
            new_state, name, text, message = body_width.measure_body_width(
                self.document.current, start_mm, end_mm
            )
        except SpineplanError as error:
            self.report(f"Body width not measured: {error}")
            return None
        self.document.apply(text, new_state)
        self.select_level(name)
        self.window.statusBar().showMessage(message, 8000)
        return name

    def clear_body_width(self, name: str) -> None:
        """Forget the measured body width of level ``name`` (undoable)."""
        text = body_width.clear_text(self.document.current, name)
        self.edit(text, edits.clear_body_width, name)

    def preferred_prefix(self) -> str:
        """The thoracic prefix the user chose last (T unless they chose D)."""
        return panel_requests.preferred_prefix(self.window.settings)

    def grow(self, seed_mm: tuple[float, float, float], tolerance: float | None = None) -> None:
        """Grow the lesion from ``seed_mm`` on the post-contrast series (one undoable edit)."""
        reference = self.document.reference
        if reference is None:
            return
        tolerance = self.grow_tolerance if tolerance is None else tolerance
        try:
            new_state, warnings = grow_state(self.document.current, reference, seed_mm, tolerance)
        except SpineplanError as error:
            self.report(str(error))
            return
        self.document.apply("Grow lesion from seed", new_state)
        for warning in warnings:  # a tiny or leaking region: kept, but the user is told
            self.report(f"Lesion grown: {warning}")

    def set_selected_level(self, name: str | None) -> None:
        """The level chosen in the Levels panel (highlighted on the views)."""
        if name != self.selected_level:
            self.selected_level = name
            self.refresh(panels=False)

    def select_level(self, name: str) -> None:
        """Select ``name`` in the Levels list and highlight it on the views at once."""
        # The list's selection signal calls set_selected_level, which redraws the views; set
        # here before it, the name would look unchanged and the highlight would lag one body.
        self.levels_panel.select(name)
        self.set_selected_level(name)

    def report(self, text: str) -> None:
        """A problem with an edit: status bar and Messages panel."""
        self.window.statusBar().showMessage(text, 8000)
        self.window.add_message("warning", text)

    # -- display --------------------------------------------------------------------------
    def _rebuild(self, state: Case, **masks: object) -> None:
        reference = self.document.reference
        self.layers.rebuild(
            state, grid_frame(reference), grid_centre_xy(reference), self.selected_level, **masks
        )

    def refresh(self, panels: bool = True) -> None:
        """Redraw the overlays and (``panels``) the panels from the document."""
        state = self.document.current
        if self.document.case is None:
            self.layers.clear()
        else:
            self._rebuild(state)
        if panels:
            self.levels_panel.show_state(state, self.selected_level)
            self.lesion_panel.show_state(state)
            self.paint.show(self.lesion_panel.current_target())
            self.edema_panel.show_state(state)
            spec = state.lesion
            if isinstance(spec, SeedLesion):
                self.lesion_panel.tolerance.blockSignals(True)
                self.lesion_panel.set_tolerance(spec.tolerance)
                self.lesion_panel._show_tolerance()
                self.lesion_panel.tolerance.blockSignals(False)

    def preview(self, state: Case) -> None:
        """Show a state being dragged (not yet an edit)."""
        self._rebuild(state)

    def preview_lesion(self, mask: Volume) -> None:
        if self.layers.lesion_item is None:
            self._rebuild(self.document.current, lesion_mask=mask)
        else:
            self.layers.update_lesion(mask)

    def preview_structure(self, name: str, mask: Volume) -> None:
        """Show a structure being painted (not yet an edit)."""
        if not self.layers.update_structure(name, mask):
            self._rebuild(self.document.current, structure_masks={name: mask})

    def preview_ellipse(self, centre, radii) -> None:
        """Outline the ellipsoid being placed; ``None`` removes it."""
        self.previews.show_ellipse(centre, radii)

    def preview_width_ruler(self, start_mm, end_mm=None, plane: ViewPlane | None = None) -> None:
        """Draw the ruler being dragged on views of ``plane`` with its live width; ``None``
        removes it."""
        self.previews.show_width_ruler(start_mm, end_mm, plane)

    def preview_brush(self, event) -> None:
        """Outline the brush (a circle of the brush radius in the view's plane) at the cursor;
        ``None`` removes it."""
        self.previews.show_brush(event, self.brush_radius_mm)

    def _on_changed(self, text: str) -> None:
        self.refresh()
        if text:
            self.recovery.write()
        self._update_title()

    def _on_undo_index_changed(self, _index: int) -> None:
        # an undo or redo back to the state opened or saved: nothing is left to recover (the
        # stack moves after the edit is announced, so this comes after the write above; a
        # stack emptied by opening a case is not a return to anything)
        stack = self.document.undo_stack
        if stack.count() and stack.isClean():
            self.recovery.forget()

    def _on_clean_changed(self, clean: bool) -> None:
        # also emitted while the window is being destroyed (the stack clears itself)
        with contextlib.suppress(RuntimeError):
            self.window.setWindowModified(not clean)

    def _update_title(self) -> None:
        # Qt's convention: the title carries "[*]", shown as "*" while the window is modified
        self.window.setWindowModified(self.document.is_modified)

    # -- opening and saving ---------------------------------------------------------------
    def _on_load_finished(self, outcome: str) -> None:
        """The main window finished loading (``outcome`` "done", "cancelled" or "failed"):
        open the annotation of what is shown, or empty it when nothing is."""
        if outcome == "failed" and not self.viewer.has_images:
            self.case_files.close_failed()
        elif outcome in ("done", "cancelled"):
            self.open_annotation()

    def open_annotation(self) -> None:
        """Put the opened case (or a new case for the opened study) in the document, draw the
        sample study's reference, and offer a recovery file of the same case or study."""
        self.selected_level = None
        if self.case_files.open_annotation():
            self.refresh()
            self.recovery.offer_found()

    def choose_case(self) -> None:
        self.case_files.choose_case()

    def save(self) -> Path | None:
        """File > Save: to the case file, or ask for a name (new or reference case)."""
        return self.case_files.save(self.report)

    def choose_save_as(self) -> Path | None:
        return self.case_files.choose_save_as(self.report)

    def choose_cases_folder(self) -> None:
        """File > Cases folder…: the folder Save case as proposes."""
        self.case_files.choose_cases_folder()

    def save_as(self, path: str | Path) -> Path | None:
        """Save the case to ``path``; the recovery file is no longer needed."""
        return self.case_files.save_as(path)

    # -- reference annotation and recovery ------------------------------------------------
    @property
    def reference_case(self) -> Case | None:
        """The reference case of the opened sample study, if it has one."""
        return self.reference.case

    @property
    def reference_allowed(self) -> bool:
        return self.reference.allowed

    def set_reference_shown(self, shown: bool) -> None:
        """Show or hide the reference annotation layer (View menu)."""
        self.reference.set_shown(shown)

    def set_reference_allowed(self, allowed: bool) -> None:
        """Whether the bundled reference may be shown at all (practice mode forbids it)."""
        self.reference.set_allowed(allowed)

    @property
    def recovery_source(self) -> Path | None:
        """The case file or study the recovery file is keyed by."""
        return self.recovery.source

    @property
    def store(self) -> RecoveryStore:
        """Where the recovery files are written (practice mode swaps in its own)."""
        return self.recovery.store

    @store.setter
    def store(self, store: RecoveryStore) -> None:
        self.recovery.store = store

    @property
    def pending_recovery(self) -> Recovery | None:
        """The recovery file offered back, if any."""
        return self.recovery.pending

    def restore_recovery(self) -> None:
        """Put the offered recovery into the document as one undoable edit."""
        self.recovery.restore()

    def discard_recovery(self) -> None:
        self.recovery.discard()

    def discard_changes(self) -> None:
        """The user chose Discard for the unsaved changes: the recovery file goes and the
        document counts as unmodified (a study opened next is not asked about again)."""
        self.recovery.discard()
        self.document.undo_stack.setClean()

    # -- DICOM export ---------------------------------------------------------------------
    def structures(self) -> list[Structure]:
        """The structures File > Export structures writes: the lesion, the edema segment and
        every other structure (the cord as an ORGAN)."""
        return structure_export.export_structures(self.document)

    def export_rtstruct(self, path: str | Path) -> Path:
        """Write the RT Structure Set referencing the post-contrast series."""
        return structure_export.export_rtstruct(path, self.structures(), self.window)

    def export_seg(self, path: str | Path) -> Path:
        """Write the lesion as a DICOM SEG on the post-contrast series' grid."""
        return structure_export.export_seg(path, self.document.current.lesion_mask, self.window)

    def choose_export_rtstruct(self) -> None:
        structure_export.choose_export(
            self.window,
            self.document.case_path,
            "Export structures",
            "rtstruct",
            self.export_rtstruct,
        )

    def choose_export_seg(self) -> None:
        structure_export.choose_export(
            self.window, self.document.case_path, "Export lesion SEG", "seg", self.export_seg
        )
