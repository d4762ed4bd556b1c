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
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pydicom
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.annotation import state as edits
from app.annotation.autosave import Recovery, RecoveryStore
from app.annotation.document import AnnotationDocument, annotation_from_case, case_stem
from app.annotation.edema_panel import EdemaPanel
from app.annotation.edema_tool import EdemaTool
from app.annotation.lesion_panel import LESION_TARGET, LesionPanel
from app.annotation.lesion_tools import BrushTool, EllipsoidTool, SeedTool, grow_state
from app.annotation.levels_panel import LevelsPanel
from app.annotation.levels_tool import LevelsTool
from app.annotation.overlays import (
    LEVEL_COLOR,
    REFERENCE_COLOR,
    AnnotationLayers,
    WidthRulersOverlay,
)
from app.annotation.width_tool import BodyWidthTool
from app.viewer.overlays import PolylineOverlay
from app.viewer.tools import ViewTool
from imaging.errors import SpineplanError
from imaging.reslice import ViewPlane
from imaging.rtstruct import Structure, write_rtstruct
from imaging.seg import SegmentSpec, write_seg
from imaging.volume import Volume
from planning.case import CASE_FILE_SUFFIX, Case, StudyReference, load_case
from planning.lesion import SeedLesion, measure_lesion
from planning.levels import display_name
from planning.structures import check_structure_name, is_cord, structure_colour

if TYPE_CHECKING:
    from app.main_window import MainWindow

#: The bundled sample studies keep their reference annotation under this name.
REFERENCE_CASE_NAME = "reference.spineplan.json"
#: QSettings key of the thoracic naming preference ("T" or "D").
PREFIX_SETTING = "annotation/thoracic_prefix"
#: Radius of the cord segment exported as the edema structure, mm (see `edema_structure`).
EDEMA_CORD_RADIUS_MM = 6.0

TOOL_IDS = (
    "tool_levels",
    "tool_body_width",
    "tool_brush",
    "tool_eraser",
    "tool_seed",
    "tool_ellipsoid",
    "tool_edema",
)
#: A ruler whose full length exceeds its left-right width by more than this fraction is
#: reported with its length too (drawn obliquely, the two numbers differ).
OBLIQUE_RULER_FRACTION = 0.05


def edema_structure(state: edits.Annotation, grid: Volume) -> Volume | None:
    """The edema as a mask for export: the cord between the two limits. When a structure named
    Cord is drawn, that is its part between the limits; otherwise the cord is approximated by a
    cylinder of `EDEMA_CORD_RADIUS_MM` around the vertical through the lesion centroid (the
    lesion is intramedullary, so it marks where the cord runs). None without edema, or without
    both a cord and a lesion."""
    if state.edema is None:
        return None
    k, j, i = np.indices(grid.shape, dtype=float, sparse=True)
    a = grid.affine
    z = a[2, 0] * i + a[2, 1] * j + a[2, 2] * k + a[2, 3]
    between = (z <= state.edema.superior_z_mm) & (z >= state.edema.inferior_z_mm)
    cord = next((s for s in state.structures if is_cord(s.name)), None)
    if cord is not None and cord.mask.same_grid(grid):
        mask = np.asarray(cord.mask.array, dtype=bool) & np.broadcast_to(between, grid.shape)
        return grid.with_array(mask) if mask.any() else None
    if state.lesion_mask is None or not state.lesion_mask.array.any():
        return None
    x0, y0, _ = measure_lesion(state.lesion_mask).centroid_mm
    x = a[0, 0] * i + a[0, 1] * j + a[0, 2] * k + a[0, 3]
    y = a[1, 0] * i + a[1, 1] * j + a[1, 2] * k + a[1, 3]
    inside = ((x - x0) ** 2 + (y - y0) ** 2 <= EDEMA_CORD_RADIUS_MM**2) & between
    mask = np.broadcast_to(inside, grid.shape).copy()
    return grid.with_array(mask) if mask.any() else None


class AnnotationController(QObject):
    """See the module docstring."""

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
        self.reference_layers = AnnotationLayers(
            self.viewer.overlays,
            "Reference: ",
            color_levels=REFERENCE_COLOR,
            color_lesion=QColor("#3cb371"),
            color_edema=REFERENCE_COLOR,
            z=5.0,
            lesion_opacity=0.2,
        )
        #: structure names chosen in Paint into that have no voxel painted yet
        self.pending_structures: list[str] = []
        self._ellipse_items: list[PolylineOverlay] = []
        self._brush_item: PolylineOverlay | None = None
        self._ruler_item: WidthRulersOverlay | None = None
        self.tools: dict[str, ViewTool] = {
            "tool_levels": LevelsTool(self),
            "tool_body_width": BodyWidthTool(self),
            "tool_brush": BrushTool(self),
            "tool_eraser": BrushTool(self, erase=True),
            "tool_seed": SeedTool(self),
            "tool_ellipsoid": EllipsoidTool(self),
            "tool_edema": EdemaTool(self),
        }
        self._build_panels()
        self._build_actions()
        self._connect()
        self.refresh()

    # -- construction ---------------------------------------------------------------------
    def _build_panels(self) -> None:
        w = self.window
        self.levels_panel = LevelsPanel(w)
        self.lesion_panel = LesionPanel(w)
        self.edema_panel = EdemaPanel(w)
        self.recovery_bar = QFrame(w)
        self.recovery_bar.setObjectName("RecoveryBar")
        self.recovery_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.recovery_label = QLabel(self.recovery_bar)
        self.recovery_label.setWordWrap(True)
        self.restore_button = QPushButton("Restore", self.recovery_bar)
        self.restore_button.setObjectName("RestoreRecovery")
        self.discard_button = QPushButton("Discard", self.recovery_bar)
        self.discard_button.setObjectName("DiscardRecovery")
        bar = QVBoxLayout(self.recovery_bar)
        bar.addWidget(self.recovery_label)
        row = QHBoxLayout()
        row.addWidget(self.restore_button)
        row.addWidget(self.discard_button)
        bar.addLayout(row)
        self.recovery_bar.hide()
        levels_box = QWidget(w)
        box = QVBoxLayout(levels_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.recovery_bar)
        box.addWidget(self.levels_panel, 1)
        # one dock, one tab per panel: each panel gets the full height, and the tools bring
        # theirs to the front
        self.tabs = QTabWidget(w)
        self.tabs.setObjectName("AnnotationTabs")
        self.tabs.setDocumentMode(True)
        for widget, title in (
            (levels_box, "Levels"),
            (self.lesion_panel, "Lesion"),
            (self.edema_panel, "Edema"),
        ):
            # scrolled, so that the panels never force the window wider than the screen
            scroll = QScrollArea(self.tabs)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(widget)
            self.tabs.addTab(scroll, title)
        area = Qt.DockWidgetArea.RightDockWidgetArea
        self.dock = self._dock("Annotation", "AnnotationDock", self.tabs, area)
        #: other panels place themselves beside the annotation (the plan panel does)
        self.levels_dock = self.dock
        w.resizeDocks([self.dock], [300], Qt.Orientation.Horizontal)

    def show_panel(self, name: str) -> None:
        """Bring the "Levels", "Lesion" or "Edema" tab to the front."""
        self.dock.show()
        self.tabs.setCurrentIndex(["Levels", "Lesion", "Edema"].index(name))

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        return dock

    def _action(self, action_id: str, text: str, slot, checkable: bool = False) -> QAction:
        return self.window.add_action(action_id, text, slot, checkable=checkable)

    def _build_actions(self) -> None:
        a = self._action
        stack = self.document.undo_stack
        undo = a("undo", "&Undo", stack.undo)
        redo = a("redo", "&Redo", stack.redo)
        stack.canUndoChanged.connect(undo.setEnabled)
        stack.canRedoChanged.connect(redo.setEnabled)
        stack.undoTextChanged.connect(lambda text: undo.setText(f"&Undo {text}".strip()))
        stack.redoTextChanged.connect(lambda text: redo.setText(f"&Redo {text}".strip()))
        undo.setEnabled(False)
        redo.setEnabled(False)
        a("open_case", "Open &case…", self.choose_case)
        a("save_case", "&Save case", self.save)
        a("save_case_as", "Save case &as…", self.choose_save_as)
        a("export_rtstruct", "Export structures (RT&STRUCT)…", self.choose_export_rtstruct)
        a("export_seg", "Export lesion SE&G…", self.choose_export_seg)
        self.tool_group = QActionGroup(self.window)
        self.tool_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        for action_id, text in (
            ("tool_levels", "&Levels"),
            ("tool_body_width", "Body wid&th"),
            ("tool_brush", "&Brush"),
            ("tool_eraser", "&Eraser"),
            ("tool_seed", "&Grow from seed"),
            ("tool_ellipsoid", "Elli&psoid"),
            ("tool_edema", "Ede&ma limits"),
        ):
            action = a(
                action_id, text, lambda on, action_id=action_id: self._on_tool(action_id, on), True
            )
            self.tool_group.addAction(action)
        a("brush_smaller", "Brush smaller", lambda: self._step_radius(-0.5))
        a("brush_larger", "Brush larger", lambda: self._step_radius(0.5))

        ids = self.window.actions_by_id
        bar = self.window.menuBar()
        file_menu = next(m.menu() for m in bar.actions() if m.text() == "&File")
        first = file_menu.actions()[0]
        file_menu.insertActions(first, [ids["open_case"]])
        anchor = next(x for x in file_menu.actions() if x.objectName() == "export_view")
        file_menu.insertActions(anchor, [ids["save_case"], ids["save_case_as"]])
        file_menu.insertSeparator(anchor)
        file_menu.insertActions(anchor, [ids["export_rtstruct"], ids["export_seg"]])
        file_menu.insertSeparator(anchor)
        edit_menu = bar.addMenu("&Edit")
        bar.insertMenu(bar.actions()[1], edit_menu)
        edit_menu.addActions([ids["undo"], ids["redo"]])
        tools = self.window.tools_menu
        tools.addSeparator()
        tools.addActions(self.tool_group.actions())
        tools.addActions([ids["brush_smaller"], ids["brush_larger"]])
        view_menu = next(m.menu() for m in bar.actions() if m.text() == "&View")
        view_menu.addAction(self.dock.toggleViewAction())
        self.reference_action = a(
            "show_reference", "Show the &reference annotation", self.set_reference_shown, True
        )
        self.reference_action.setChecked(True)
        view_menu.addAction(self.reference_action)
        self.window.toolbar.addSeparator()
        self.window.toolbar.addActions([ids["undo"], ids["redo"]])
        level_tools = QHBoxLayout()
        for action_id in ("tool_levels", "tool_body_width"):
            level_tools.addWidget(_tool_button(ids[action_id], self.levels_panel))
        level_tools.addStretch(1)
        panel_layout = self.levels_panel.layout()
        assert isinstance(panel_layout, QVBoxLayout)
        panel_layout.insertLayout(0, level_tools)
        for action_id in ("tool_brush", "tool_eraser", "tool_seed", "tool_ellipsoid"):
            self.lesion_panel.add_tool_button(ids[action_id])
        self.edema_panel.add_tool_button(ids["tool_edema"])

    def _connect(self) -> None:
        w = self.window
        w.load_finished.connect(self._on_load_finished)
        w.mode_group.triggered.connect(lambda _action: self.deactivate_tool())
        self.document.changed.connect(self._on_changed)
        lp = self.levels_panel
        lp.rename_requested.connect(
            lambda old, new: self._edit(f"Rename {old} to {new}", edits.rename, old, new)
        )
        lp.renumber_requested.connect(
            lambda old, new: self._edit(f"Renumber from {new}", edits.renumber, old, new)
        )
        lp.delete_requested.connect(
            lambda name: self._edit(f"Delete {name}", edits.delete_level, name)
        )
        lp.prefix_requested.connect(self._on_prefix)
        lp.clear_width_requested.connect(self.clear_body_width)
        lp.anchor_requested.connect(self._on_anchor)
        lp.selection_changed.connect(self._on_selection)
        self.lesion_panel.clear_requested.connect(
            lambda: self._edit("Clear lesion", edits.set_lesion, None, None)
        )
        self.lesion_panel.tolerance_chosen.connect(self._on_tolerance)
        self.lesion_panel.target_chosen.connect(self._on_target_chosen)
        self.lesion_panel.new_structure_requested.connect(self.choose_new_structure)
        self.lesion_panel.delete_structure_requested.connect(self.delete_structure)
        self.document.reset_done.connect(self._on_reset)
        self.edema_panel.clear_requested.connect(
            lambda: self._edit("Clear edema", edits.set_edema, None, None)
        )
        self.restore_button.clicked.connect(self.restore_recovery)
        self.discard_button.clicked.connect(self.discard_recovery)

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
        """Paint into ``name`` (None or "Lesion": the lesion); a new name is added to the list.

        Raises
        ------
        PlanningError
            A name that cannot name a structure (empty, reserved...).
        """
        if name is None or name.strip().lower() == LESION_TARGET.lower():
            name = LESION_TARGET
        else:
            known = [s.name for s in self.document.state.structures] + self.pending_structures
            match = next((n for n in known if n.lower() == name.strip().lower()), None)
            if match is None:
                match = check_structure_name(name, known)
                self.pending_structures.append(match)
            name = match
        self._show_targets(name)

    def _show_targets(self, current: str) -> None:
        names = [s.name for s in self.document.state.structures]
        names += [n for n in self.pending_structures if n.lower() not in {x.lower() for x in names}]
        self.lesion_panel.set_targets(names, current)

    def _on_target_chosen(self, name: str) -> None:
        self.window.statusBar().showMessage(f"The brush paints into: {name}", 4000)

    def choose_new_structure(self) -> None:
        """Ask for the name of a new structure and paint into it."""
        name, ok = QInputDialog.getText(
            self.window, "New structure", "Name (e.g. Bone metastasis):"
        )
        if ok and name.strip():
            try:
                self.set_paint_target(name)
            except SpineplanError as error:
                self.report(str(error))

    def delete_structure(self, name: str) -> None:
        """Delete structure ``name`` (an undoable edit when it has voxels)."""
        if name == LESION_TARGET:
            return
        self.pending_structures = [n for n in self.pending_structures if n.lower() != name.lower()]
        if self.document.state.structure(name) is not None:
            self._edit(f"Delete {name}", edits.remove_structure, name)
        self._show_targets(LESION_TARGET)

    def _on_reset(self) -> None:
        self.pending_structures = []
        self._show_targets(LESION_TARGET)

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
        """Whether a tool may annotate on the view of ``event``: a case is open and the view
        shows a series of the case's frame of reference (another frame is other anatomy at
        the same coordinates)."""
        reference = self.document.reference
        if self.document.case is None or reference is None:
            return False
        theirs = event.view.volume.frame_of_reference_uid if event.view.volume else ""
        ours = reference.frame_of_reference_uid
        if ours and theirs and ours != theirs:
            self.report(
                "This series has another frame of reference than the annotated study: "
                "annotate on the MR series of the study"
            )
            return False
        return True

    def _on_tool(self, action_id: str, on: bool) -> None:
        if on:
            tool = self.tools[action_id]
            self.viewer.set_tool(tool)
            self.show_panel(
                {"tool_levels": "Levels", "tool_body_width": "Levels", "tool_edema": "Edema"}.get(
                    action_id, "Lesion"
                )
            )
            self.window.statusBar().showMessage(f"Tool: {tool.name}", 5000)
        elif self.tool_group.checkedAction() is None:
            self.viewer.set_tool(None)

    # -- edits ----------------------------------------------------------------------------
    def _edit(self, text: str, function, *args) -> None:
        try:
            new_state = function(self.document.state, *args)
            self.document.apply(text, new_state)
        except SpineplanError as error:
            self.report(str(error))

    def measure_body_width(self, start_mm, end_mm) -> str | None:
        """Store the left-right extent of a ruler from ``start_mm`` to ``end_mm`` (LPS mm) as
        the body width of the level it lies in: one undoable edit ("Measure T9 body width
        42.0 mm"). A ruler outside every labelled body, or too short, is refused with a message.

        Returns
        -------
        str or None : the measured level's name, None when refused.
        """
        try:
            new_state, name = edits.measure_body_width(self.document.state, start_mm, end_mm)
        except SpineplanError as error:
            self.report(f"Body width not measured: {error}")
            return None
        ruler = new_state.width_rulers[-1]
        shown = display_name(name, new_state.thoracic_prefix)
        width = f"{ruler.width_mm:.1f} mm"
        self.document.apply(f"Measure {shown} body width {width}", new_state)
        self.select_level(name)
        message = f"{shown} body width {width} (left-right)"
        if ruler.length_mm > ruler.width_mm * (1 + OBLIQUE_RULER_FRACTION):
            message += f"; the ruler drawn is {ruler.length_mm:.1f} mm long"
        self.window.statusBar().showMessage(message, 8000)
        return name

    def clear_body_width(self, name: str) -> None:
        """Forget the measured body width of level ``name`` (undoable)."""
        shown = display_name(name, self.document.state.thoracic_prefix)
        self._edit(f"Clear {shown} body width", edits.clear_body_width, name)

    def _on_prefix(self, prefix: str) -> None:
        """T or D naming: an edit of the case, and the preference new cases start with."""
        if self.window.settings is not None:
            self.window.settings.setValue(PREFIX_SETTING, prefix)
        if prefix != self.document.state.thoracic_prefix:
            self._edit(f"{prefix}1-{prefix}12 naming", edits.set_thoracic_prefix, prefix)

    def preferred_prefix(self) -> str:
        """The thoracic prefix the user chose last (T unless they chose D)."""
        settings = self.window.settings
        value = str(settings.value(PREFIX_SETTING, "T")) if settings is not None else "T"
        return value if value in ("T", "D") else "T"

    def _on_anchor(self, kind: str, name: str | None) -> None:
        label = {"c2": "C2", "s1": "S1", "lowest_rib": "lowest rib"}[kind]
        if name is None:
            if self.document.state.counting_anchors is None:
                return
            text = f"Clear {label} anchor"
        else:
            text = f"Anchor {label} at {display_name(name, self.document.state.thoracic_prefix)}"
        self._edit(text, edits.set_counting_anchor, kind, name)

    def grow(self, seed_mm: tuple[float, float, float], tolerance: float | None = None) -> None:
        """Grow the lesion from ``seed_mm`` on the post-contrast series (one undoable edit)."""
        reference = self.document.reference
        if reference is None:
            return
        tolerance = self.grow_tolerance if tolerance is None else tolerance
        self._edit("Grow lesion from seed", grow_state, reference, seed_mm, tolerance)

    def _on_tolerance(self, tolerance: float) -> None:
        spec = self.document.state.lesion_spec
        if isinstance(spec, SeedLesion) and abs(spec.tolerance - tolerance) > 1e-9:
            self.grow(spec.point_mm, tolerance)

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
            self._show_targets(self.lesion_panel.current_target())
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
        overlays = self.viewer.overlays
        for item in self._ellipse_items:
            overlays.remove(item)
        self._ellipse_items = []
        if centre is None or radii is None:
            return
        t = np.linspace(0, 2 * np.pi, 49)
        c = np.asarray(centre, float)
        for plane, (a, b) in (("sagittal", (1, 2)), ("coronal", (0, 2)), ("axial", (0, 1))):
            points = np.repeat(c[None], len(t), axis=0)
            points[:, a] += radii[a] * np.cos(t)
            points[:, b] += radii[b] * np.sin(t)
            self._ellipse_items.append(
                PolylineOverlay(
                    name="Ellipsoid being placed",
                    points_mm=points,
                    closed=True,
                    color=QColor("#ff8080"),
                    dashed=True,
                    planes=frozenset({plane}),
                    z=30,
                )
            )
        overlays.extend(self._ellipse_items)

    def preview_width_ruler(self, start_mm, end_mm=None, plane: ViewPlane | None = None) -> None:
        """Draw the ruler being dragged on views of ``plane`` with its live width; ``None``
        removes it."""
        overlays = self.viewer.overlays
        if start_mm is None or end_mm is None:
            if self._ruler_item is not None:
                overlays.remove(self._ruler_item)
                self._ruler_item = None
            return
        ruler = edits.WidthRuler(
            tuple(float(v) for v in start_mm),  # type: ignore[arg-type]
            tuple(float(v) for v in end_mm),  # type: ignore[arg-type]
        )
        segments = np.array([[ruler.start_mm, ruler.end_mm]], dtype=float)
        text = f"{ruler.width_mm:.1f} mm"
        if ruler.length_mm > ruler.width_mm * (1 + OBLIQUE_RULER_FRACTION):
            text += f" (length {ruler.length_mm:.1f})"
        if self._ruler_item is None:
            self._ruler_item = WidthRulersOverlay(
                name="Body width being measured", color=LEVEL_COLOR, z=40, min_coronal_px=0.0
            )
            self._ruler_item.segments_mm = segments
            self._ruler_item.texts = [text]
            self._ruler_item.z_ranges_mm = np.array([[-np.inf, np.inf]])
            self._ruler_item.planes = frozenset({plane}) if plane else None
            overlays.add(self._ruler_item)
            return
        self._ruler_item.segments_mm = segments
        self._ruler_item.texts = [text]
        self._ruler_item.planes = frozenset({plane}) if plane else None
        overlays.changed_item(self._ruler_item)

    def preview_brush(self, event) -> None:
        """Outline the brush (a circle of the brush radius in the view's plane) at the cursor;
        ``None`` removes it."""
        overlays = self.viewer.overlays
        if event is None:
            if self._brush_item is not None:
                overlays.remove(self._brush_item)
                self._brush_item = None
            return
        g = event.geometry
        t = np.linspace(0, 2 * np.pi, 41)[:, None]
        radius = self.brush_radius_mm
        points = event.position_mm + radius * (
            np.cos(t) * g.right_direction + np.sin(t) * g.down_direction
        )
        if self._brush_item is None:
            self._brush_item = PolylineOverlay(
                name="Brush outline", color=QColor("#ffffff"), closed=True, width_px=1.0, z=40
            )
            self._brush_item.points_mm = points
            self._brush_item.planes = frozenset({event.plane})
            self._brush_item.max_distance_mm = g.slice_spacing_mm / 2 + 0.01
            overlays.add(self._brush_item)
        else:
            self._brush_item.points_mm = points
            self._brush_item.planes = frozenset({event.plane})
            self._brush_item.max_distance_mm = g.slice_spacing_mm / 2 + 0.01
            overlays.changed_item(self._brush_item)

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

    # -- opening --------------------------------------------------------------------------
    def _on_load_finished(self, outcome: str) -> None:
        if outcome == "failed" and not self.window.viewer.has_images:
            self._hide_recovery()
            self.document.reset(None, None)
            self.reference_layers.clear()
            return
        if outcome in ("done", "cancelled"):
            self.open_annotation()

    def _reference_volume(self) -> Volume | None:
        key = self.window.shown_keys[0]
        return self.window.volumes.get(key) if key is not None else None

    def open_annotation(self) -> None:
        """Put the opened case (or a new case for the opened study) in the document."""
        w = self.window
        reference = self._reference_volume()
        self._hide_recovery()
        self.reference_layers.clear()
        self.reference_case = None
        self.selected_level = None
        case = w.case
        if reference is None:
            self.document.reset(None, None)
            return
        state = None
        if case is not None:
            frame = case.study.frame_of_reference_uid
            if (
                frame
                and reference.frame_of_reference_uid
                and frame != reference.frame_of_reference_uid
            ):
                name = case.source_path.name if case.source_path else "the case file"
                w.add_message(
                    "error",
                    f"{name}: study.frame_of_reference_uid: {frame} does not match the images "
                    f"(their frame of reference: {reference.frame_of_reference_uid}); "
                    "its annotation is not shown",
                )
                self.document.reset(None, None)
                return
            try:
                state = annotation_from_case(case, reference)
            except SpineplanError as error:
                w.add_message("error", f"The case's lesion cannot be shown: {error}")
                state = annotation_from_case(edits_case_without_lesion(case), reference)
            source = Path(case.source_path) if case.source_path else None
            self.document.reset(case, reference, state, None if case.reference else source)
            self.recovery_source = source
            self._centre_on_lesion(state)
        else:
            study_path = Path(w.study_path[0]).resolve() if w.study_path else Path(".")
            meta = reference.metadata
            new_case = Case(
                StudyReference(
                    str(study_path), meta.study_instance_uid, meta.frame_of_reference_uid
                )
            )
            prefix = self.preferred_prefix()
            self.document.reset(
                replace(new_case, thoracic_prefix=prefix),
                reference,
                edits.Annotation(thoracic_prefix=prefix),  # type: ignore[arg-type]
            )
            self.recovery_source = study_path if len(w.study_path) == 1 else None
            self._show_reference_for(study_path)
        self.refresh()
        if self.recovery_source is not None:
            found = self.store.find(self.recovery_source)
            if found is not None:
                self._offer_recovery(found)

    def _centre_on_lesion(self, state: edits.Annotation) -> None:
        """A case opens with the linked point on its lesion, so the axial and coronal views
        show the lesion at once rather than the middle of the study."""
        if state.lesion_mask is None or not state.lesion_mask.array.any():
            return
        self.window.viewer.set_point(np.asarray(measure_lesion(state.lesion_mask).centroid_mm))

    def _show_reference_for(self, study_path: Path) -> None:
        folder = study_path if study_path.is_dir() else study_path.parent
        candidate = folder / REFERENCE_CASE_NAME
        if not candidate.is_file():
            return
        try:
            case = load_case(candidate)
            if not case.reference:
                return
            state = annotation_from_case(case, self.document.reference)
        except SpineplanError as error:
            self.window.add_message("warning", f"Reference annotation not shown: {error}")
            return
        self.reference_case = case
        if self.reference_allowed:
            self.reference_layers.visible = self.reference_action.isChecked()
            self.reference_layers.rebuild(state, self._frame(), self._fallback_xy())
            self.window.add_message(
                "info",
                "This sample study has a reference annotation, shown in green "
                "(View ▸ Show the reference annotation).",
            )

    def set_reference_shown(self, shown: bool) -> None:
        """Show or hide the reference annotation layer (View menu)."""
        self.reference_layers.set_visible(shown)

    def set_reference_allowed(self, allowed: bool) -> None:
        """Whether the bundled reference may be shown at all (practice mode forbids it)."""
        self.reference_allowed = allowed
        self.reference_action.setEnabled(allowed)
        if not allowed:
            self.reference_layers.clear()
        elif self.reference_case is not None and self.document.reference is not None:
            state = annotation_from_case(self.reference_case, self.document.reference)
            self.reference_layers.visible = self.reference_action.isChecked()
            self.reference_layers.rebuild(state, self._frame(), self._fallback_xy())

    # -- recovery -------------------------------------------------------------------------
    def _offer_recovery(self, found: Recovery) -> None:
        self.pending_recovery = found
        case = found.case
        parts = [f"{len(case.levels)} levels"]
        if case.lesion is not None:
            parts.append("a lesion")
        if case.edema is not None:
            parts.append("the edema")
        parts += [structure.name for structure in case.structures]
        when = found.saved_at.replace("T", " ")
        last = f", last edit: {found.last_edit}" if found.last_edit else ""
        self.recovery_label.setText(
            f"<b>Unsaved annotation found</b> from {when} ({', '.join(parts)}{last}). Restore it?"
        )
        self.recovery_bar.show()
        self.show_panel("Levels")
        self.window.add_message(
            "warning",
            f"An unsaved annotation of this study from {when} can be restored (Levels panel).",
        )

    def _hide_recovery(self) -> None:
        self.pending_recovery = None
        self.recovery_bar.hide()

    def restore_recovery(self) -> None:
        """Put the offered recovery into the document as one undoable edit."""
        found = self.pending_recovery
        if found is None or self.document.case is None:
            return
        self._hide_recovery()
        try:
            state = annotation_from_case(found.case, self.document.reference)
        except SpineplanError as error:
            self.report(f"The recovered lesion cannot be read: {error}")
            state = annotation_from_case(
                edits_case_without_lesion(found.case), self.document.reference
            )
        spec = state.lesion_spec
        if getattr(spec, "origin", "") == "painted":
            state = edits.set_lesion(state, state.lesion_mask, None)
        # painted structures come back as painted: Save writes them beside the case
        state = replace(
            state,
            structures=tuple(
                replace(s, spec=None) if getattr(s.spec, "origin", "") == "painted" else s
                for s in state.structures
            ),
        )
        self.document.apply("Restore unsaved annotation", state)
        self.window.statusBar().showMessage("Unsaved annotation restored", 5000)

    def discard_recovery(self) -> None:
        if self.recovery_source is not None:
            self.store.discard(self.recovery_source)
        self._hide_recovery()

    # -- files ----------------------------------------------------------------------------
    def choose_case(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open case", "", f"spineplan cases (*{CASE_FILE_SUFFIX});;All files (*)"
        )
        if path:
            self.window.open_path(path)

    def save(self) -> Path | None:
        """File > Save: to the case file, or ask for a name (new or reference case)."""
        if self.document.case is None:
            self.report("Open a study before saving a case")
            return None
        if self.document.case_path is None:
            return self.choose_save_as()
        return self.save_as(self.document.case_path)

    def choose_save_as(self) -> Path | None:
        if self.document.case is None:
            self.report("Open a study before saving a case")
            return None
        start = self.document.case.study_path()
        start = start if start.is_dir() else start.parent
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Save case as",
            str(start / f"case{CASE_FILE_SUFFIX}"),
            f"spineplan cases (*{CASE_FILE_SUFFIX})",
        )
        return self.save_as(path) if path else None

    def save_as(self, path: str | Path) -> Path | None:
        """Save the case to ``path``; the recovery file is no longer needed."""
        try:
            written = self.document.save(path)
        except SpineplanError as error:
            self.window.add_message("error", f"Could not save the case: {error}")
            return None
        if self.recovery_source is not None:
            self.store.discard(self.recovery_source)
        self.recovery_source = written
        self.store.discard(written)
        self.window.statusBar().showMessage(f"Saved {written}", 5000)
        self.window.add_message("info", f"Case saved to {written}")
        self._update_title()
        return written

    # -- DICOM export ---------------------------------------------------------------------
    def _reference_files(self) -> list[Path]:
        key = self.window.shown_keys[0]
        info = self.window.infos.get(key or "")
        return list(info.files) if info is not None else []

    def structures(self) -> list[Structure]:
        """The structures File > Export structures writes: the lesion, the edema segment and
        every other structure (the cord as an ORGAN)."""
        state, reference = self.document.state, self.document.reference
        found = []
        if state.lesion_mask is not None:
            found.append(Structure("Lesion", state.lesion_mask, (255, 59, 59), "GTV"))
        if reference is not None:
            edema = edema_structure(state, reference)
            if edema is not None:
                found.append(Structure("Edema (cord segment)", edema, (90, 209, 255), "CONTROL"))
        for index, other in enumerate(state.structures):
            found.append(
                Structure(
                    other.name, other.mask, structure_colour(other.name, index), other.roi_type
                )
            )
        return found

    def export_rtstruct(self, path: str | Path) -> Path:
        """Write the RT Structure Set referencing the post-contrast series."""
        structures = self.structures()
        if not structures:
            raise SpineplanError("nothing to export: mark the lesion or paint a structure first")
        headers = [pydicom.dcmread(f, stop_before_pixels=True) for f in self._reference_files()]
        return write_rtstruct(path, structures, headers)

    def export_seg(self, path: str | Path) -> Path:
        """Write the lesion as a DICOM SEG on the post-contrast series' grid."""
        mask = self.document.state.lesion_mask
        if mask is None:
            raise SpineplanError("nothing to export: mark the lesion first")
        images = [pydicom.dcmread(f) for f in self._reference_files()]
        return write_seg(path, [SegmentSpec("Lesion", mask)], images)

    def _choose_export(self, title: str, suffix: str, export) -> None:
        case_path = self.document.case_path
        stem = case_stem(case_path) if case_path is not None else "case"
        path, _ = QFileDialog.getSaveFileName(
            self.window, title, f"{stem}.{suffix}.dcm", "DICOM files (*.dcm)"
        )
        if not path:
            return
        try:
            written = export(path)
        except (SpineplanError, OSError, ValueError) as error:
            self.window.add_message("error", f"{title} failed: {error}")
            return
        self.window.statusBar().showMessage(f"Saved {written}", 5000)

    def choose_export_rtstruct(self) -> None:
        self._choose_export("Export structures", "rtstruct", self.export_rtstruct)

    def choose_export_seg(self) -> None:
        self._choose_export("Export lesion SEG", "seg", self.export_seg)


def edits_case_without_lesion(case: Case) -> Case:
    return replace(case, lesion=None)


def _tool_button(action: QAction, parent: QWidget):
    from PySide6.QtWidgets import QToolButton

    button = QToolButton(parent)
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button
