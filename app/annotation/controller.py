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

The controller holds the state and the edits; the parts live beside it: `dock` (panels and
dock), `actions` (menus, toolbar, tools), `case_files` (opening and saving the case),
`recovery_offer`, `reference_layers`, `paint_into`, `body_width`, `tool_previews` and
`structure_export` (RTSTRUCT / SEG). Its methods delegating to them keep one API for the tools,
the other windows and the tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QDockWidget, QLabel, QPushButton, QTabWidget

from app.annotation import (
    actions,
    body_width,
    case_files,
    paint_into,
    panel_requests,
    recovery_offer,
    reference_layers,
    structure_export,
)
from app.annotation.autosave import Recovery, RecoveryStore
from app.annotation.dock import PANEL_NAMES, build_dock
from app.annotation.document import AnnotationDocument
from app.annotation.edema_panel import EdemaPanel
from app.annotation.lesion_panel import LESION_TARGET, LesionPanel
from app.annotation.lesion_tools import grow_state
from app.annotation.levels_panel import LevelsPanel
from app.annotation.overlays import AnnotationLayers
from app.annotation.tool_previews import ToolPreviews
from imaging.errors import SpineplanError
from imaging.reslice import ViewPlane
from imaging.rtstruct import Structure
from imaging.volume import Volume
from planning.anatomy.lesion import SeedLesion
from planning.case import Case
from planning.case import annotation as edits

if TYPE_CHECKING:
    from app.main_window import MainWindow


class AnnotationController(QObject):
    """See the module docstring."""

    # made by `dock.build_dock`
    levels_panel: LevelsPanel
    lesion_panel: LesionPanel
    edema_panel: EdemaPanel
    recovery_bar: recovery_offer.RecoveryBar
    recovery_label: QLabel
    restore_button: QPushButton
    discard_button: QPushButton
    tabs: QTabWidget
    dock: QDockWidget
    levels_dock: QDockWidget
    # made by `actions.build_actions`
    tool_group: QActionGroup
    reference_action: QAction

    def __init__(self, window: MainWindow, store: RecoveryStore | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.viewer = window.viewer
        self.document = AnnotationDocument(self)
        self.store = store or RecoveryStore()
        self.recovery_source: Path | None = None
        self.pending_recovery: Recovery | None = None
        self.selected_level: str | None = None
        self.reference_case: Case | None = None
        self.reference_allowed = True
        self.layers = AnnotationLayers(self.viewer.overlays)
        self.reference_layers = reference_layers.make_reference_layers(self.viewer.overlays)
        #: structure names chosen in Paint into that have no voxel painted yet
        self.pending_structures: list[str] = []
        self.previews = ToolPreviews(self.viewer)
        self.tools = actions.make_tools(self)
        build_dock(self)
        actions.build_actions(self)
        self._connect()
        self.refresh()

    def _connect(self) -> None:
        w = self.window
        w.load_finished.connect(self._on_load_finished)
        w.mode_group.triggered.connect(lambda _action: self.deactivate_tool())
        self.document.changed.connect(self._on_changed)
        self.document.reset_done.connect(self._on_reset)
        panel_requests.connect_panels(self)

    def show_panel(self, name: str) -> None:
        """Bring the "Levels", "Lesion" or "Edema" tab to the front."""
        self.dock.show()
        self.tabs.setCurrentIndex(PANEL_NAMES.index(name))

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
        paint_into.set_paint_target(self, name)

    def choose_new_structure(self) -> None:
        """Ask for the name of a new structure and paint into it."""
        paint_into.choose_new_structure(self)

    def delete_structure(self, name: str) -> None:
        """Delete structure ``name`` (an undoable edit when it has voxels)."""
        paint_into.delete_structure(self, name)

    def _on_reset(self) -> None:
        self.pending_structures = []
        paint_into.show_targets(self, LESION_TARGET)

    def _step_radius(self, step: float) -> None:
        self.lesion_panel.radius.setValue(self.lesion_panel.radius.value() + step)

    # -- tools ----------------------------------------------------------------------------
    def activate_tool(self, action_id: str) -> None:
        """Make a tool active (as its menu entry or shortcut does)."""
        self.window.actions_by_id[action_id].setChecked(True)

    def deactivate_tool(self) -> None:
        checked = self.tool_group.checkedAction()
        if checked is not None:
            checked.setChecked(False)

    def accepts(self, event) -> bool:
        """Whether a tool may annotate on the view of ``event`` (see `actions.tool_accepts`)."""
        return actions.tool_accepts(self, event)

    # -- edits ----------------------------------------------------------------------------
    def _edit(self, text: str, function, *args) -> None:
        try:
            new_state = function(self.document.state, *args)
            self.document.apply(text, new_state)
        except SpineplanError as error:
            self.report(str(error))

    def measure_body_width(self, start_mm, end_mm) -> str | None:
        """Store a ruler's left-right extent as its level's body width (undoable); the
        level's name, None when refused. See `body_width.measure_body_width`."""
        return body_width.measure_body_width(self, start_mm, end_mm)

    def clear_body_width(self, name: str) -> None:
        """Forget the measured body width of level ``name`` (undoable)."""
        body_width.clear_body_width(self, name)

    def preferred_prefix(self) -> str:
        """The thoracic prefix the user chose last (T unless they chose D)."""
        return panel_requests.preferred_prefix(self.window.settings)

    def grow(self, seed_mm: tuple[float, float, float], tolerance: float | None = None) -> None:
        """Grow the lesion from ``seed_mm`` on the post-contrast series (one undoable edit)."""
        reference = self.document.reference
        if reference is None:
            return
        tolerance = self.grow_tolerance if tolerance is None else tolerance
        self._edit("Grow lesion from seed", grow_state, reference, seed_mm, tolerance)

    def _on_selection(self, name: str | None) -> None:
        if name != self.selected_level:
            self.selected_level = name
            self.refresh(panels=False)

    def select_level(self, name: str) -> None:
        self.selected_level = name
        self.levels_panel.select(name)

    def report(self, text: str) -> None:
        """A problem with an edit: status bar and Messages panel."""
        self.window.statusBar().showMessage(text, 8000)
        self.window.add_message("warning", text)

    # -- display --------------------------------------------------------------------------
    def _fallback_xy(self) -> tuple[float, float]:
        reference = self.document.reference
        if reference is None:
            return (0.0, 0.0)
        low, high = reference.bounds_mm()
        centre = (np.asarray(low) + np.asarray(high)) / 2
        return float(centre[0]), float(centre[1])

    def _frame(self) -> str:
        reference = self.document.reference
        return reference.frame_of_reference_uid if reference is not None else ""

    def refresh(self, panels: bool = True) -> None:
        """Redraw the overlays and (``panels``) the panels from the document."""
        state = self.document.state
        if self.document.case is None:
            self.layers.clear()
        else:
            self.layers.rebuild(state, self._frame(), self._fallback_xy(), self.selected_level)
        if panels:
            self.levels_panel.show_state(state, self.selected_level)
            self.lesion_panel.show_state(state)
            paint_into.show_targets(self, self.lesion_panel.current_target())
            self.edema_panel.show_state(state)
            spec = state.lesion_spec
            if isinstance(spec, SeedLesion):
                self.lesion_panel.tolerance.blockSignals(True)
                self.lesion_panel.set_tolerance(spec.tolerance)
                self.lesion_panel._show_tolerance()
                self.lesion_panel.tolerance.blockSignals(False)

    def preview(self, state: edits.Annotation) -> None:
        """Show a state being dragged (not yet an edit)."""
        self.layers.rebuild(state, self._frame(), self._fallback_xy(), self.selected_level)

    def preview_lesion(self, mask: Volume) -> None:
        if self.layers.lesion_item is None:
            self.layers.rebuild(
                self.document.state,
                self._frame(),
                self._fallback_xy(),
                self.selected_level,
                lesion_mask=mask,
            )
        else:
            self.layers.update_lesion(mask)

    def preview_structure(self, name: str, mask: Volume) -> None:
        """Show a structure being painted (not yet an edit)."""
        if not self.layers.update_structure(name, mask):
            self.layers.rebuild(
                self.document.state,
                self._frame(),
                self._fallback_xy(),
                self.selected_level,
                structure_masks={name: mask},
            )

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
        if text and self.document.case is not None and self.recovery_source is not None:
            try:
                self.store.write(self.recovery_source, self.document)
            except (SpineplanError, OSError) as error:
                self.window.add_message("error", f"Autosave failed: {error}")
        self._update_title()

    def _update_title(self) -> None:
        title = self.window.windowTitle().removesuffix(" *")
        self.window.setWindowTitle(title + (" *" if self.document.is_modified else ""))

    # -- opening and saving ---------------------------------------------------------------
    def _on_load_finished(self, outcome: str) -> None:
        case_files.on_load_finished(self, outcome)

    def open_annotation(self) -> None:
        """Put the opened case (or a new case for the opened study) in the document."""
        case_files.open_annotation(self)

    def choose_case(self) -> None:
        case_files.choose_case(self)

    def save(self) -> Path | None:
        """File > Save: to the case file, or ask for a name (new or reference case)."""
        return case_files.save(self)

    def choose_save_as(self) -> Path | None:
        return case_files.choose_save_as(self)

    def save_as(self, path: str | Path) -> Path | None:
        """Save the case to ``path``; the recovery file is no longer needed."""
        return case_files.save_as(self, path)

    # -- reference annotation and recovery ------------------------------------------------
    def set_reference_shown(self, shown: bool) -> None:
        """Show or hide the reference annotation layer (View menu)."""
        self.reference_layers.set_visible(shown)

    def set_reference_allowed(self, allowed: bool) -> None:
        """Whether the bundled reference may be shown at all (practice mode forbids it)."""
        reference_layers.set_reference_allowed(self, allowed)

    def restore_recovery(self) -> None:
        """Put the offered recovery into the document as one undoable edit."""
        recovery_offer.restore_recovery(self)

    def discard_recovery(self) -> None:
        recovery_offer.discard_recovery(self)

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
        return structure_export.export_seg(path, self.document.state.lesion_mask, self.window)

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
