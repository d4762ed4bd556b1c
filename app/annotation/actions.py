"""The annotation's actions and where they appear, and the tools they switch on.

* Edit > Undo / Redo (Ctrl+Z / Ctrl+Shift+Z) on the document's undo stack, also on the toolbar;
* File > Open case, Save case (Ctrl+S), Save case as (Ctrl+Shift+S), Export structures
  (RTSTRUCT), Export lesion SEG;
* Tools > Levels (L), Body width (Shift+W), Brush (B), Eraser (E), Grow from seed (G),
  Ellipsoid (N), Edema (M), Brush smaller / larger; the tools' buttons on their panels;
* View > the Annotation dock and Show the reference annotation.

The keys are `app.shortcuts.ACTION_SHORTCUTS`'s (`MainWindow.add_action` looks them up by
action id).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QUndoStack
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from app.annotation.dock import AnnotationDock
from app.annotation.document import AnnotationDocument
from app.annotation.edema_tool import EdemaTool
from app.annotation.lesion_tools import BrushTool, EllipsoidTool, SeedTool
from app.annotation.levels_tool import LevelsTool
from app.annotation.tool_host import AnnotationToolHost
from app.annotation.width_tool import BodyWidthTool
from app.host_window import HostWindow
from app.viewer.tools import PatientMouseEvent, ViewTool

#: The tools' action ids and menu texts, in menu order.
TOOL_ENTRIES = (
    ("tool_levels", "&Levels"),
    ("tool_body_width", "Body wid&th"),
    ("tool_brush", "&Brush"),
    ("tool_eraser", "&Eraser"),
    ("tool_seed", "&Grow from seed"),
    ("tool_ellipsoid", "Elli&psoid"),
    ("tool_edema", "Ede&ma limits"),
)
TOOL_IDS = tuple(action_id for action_id, _ in TOOL_ENTRIES)
#: The panel a tool brings to the front; the other tools bring the Lesion panel.
TOOL_PANELS = {"tool_levels": "Levels", "tool_body_width": "Levels", "tool_edema": "Edema"}


class AnnotationCommands(Protocol):
    """The annotation controller's commands, which its actions trigger."""

    def choose_case(self) -> None: ...
    def save(self) -> object: ...
    def choose_save_as(self) -> object: ...
    def choose_cases_folder(self) -> None: ...
    def choose_export_rtstruct(self) -> None: ...
    def choose_export_seg(self) -> None: ...
    def set_reference_shown(self, shown: bool) -> None: ...
    def step_radius(self, step_mm: float) -> None: ...
    def on_tool(self, action_id: str, on: bool) -> None: ...


def make_tools(controller: AnnotationToolHost) -> dict[str, ViewTool]:
    """The annotation tools by action id."""
    return {
        "tool_levels": LevelsTool(controller),
        "tool_body_width": BodyWidthTool(controller),
        "tool_brush": BrushTool(controller),
        "tool_eraser": BrushTool(controller, erase=True),
        "tool_seed": SeedTool(controller),
        "tool_ellipsoid": EllipsoidTool(controller),
        "tool_edema": EdemaTool(controller),
    }


def tool_accepts(
    document: AnnotationDocument, event: PatientMouseEvent, report: Callable[[str], None]
) -> bool:
    """Whether a tool may annotate on the view of ``event``: a case is open and the view
    shows a series of the case's frame of reference (another frame is other anatomy at
    the same coordinates)."""
    reference = document.reference
    if document.case is None or reference is None:
        return False
    theirs = event.view.volume.frame_of_reference_uid if event.view.volume else ""
    ours = reference.frame_of_reference_uid
    if ours and theirs and ours != theirs:
        report(
            "This series has another frame of reference than the annotated study: "
            "annotate on the MR series of the study"
        )
        return False
    return True


def build_actions(
    window: HostWindow, controller: AnnotationCommands, stack: QUndoStack, panels: AnnotationDock
) -> tuple[QActionGroup, QAction]:
    """Create the actions (see the module docstring), triggering ``controller``'s commands
    and ``stack``'s undo and redo, and put them in ``window``'s menus and toolbar and on the
    ``panels``; returns the tools' action group and View > Show the reference annotation."""

    def a(action_id: str, text: str, slot, checkable: bool = False) -> QAction:
        return window.add_action(action_id, text, slot, checkable=checkable)

    undo = a("undo", "&Undo", stack.undo)
    redo = a("redo", "&Redo", stack.redo)
    stack.canUndoChanged.connect(undo.setEnabled)
    stack.canRedoChanged.connect(redo.setEnabled)
    stack.undoTextChanged.connect(lambda text: undo.setText(f"&Undo {text}".strip()))
    stack.redoTextChanged.connect(lambda text: redo.setText(f"&Redo {text}".strip()))
    undo.setEnabled(False)
    redo.setEnabled(False)
    a("open_case", "Open &case…", controller.choose_case)
    a("save_case", "&Save case", controller.save)
    a("save_case_as", "Save case &as…", controller.choose_save_as)
    a("cases_folder", "Cases &folder…", controller.choose_cases_folder)
    a("export_rtstruct", "Export structures (RT&STRUCT)…", controller.choose_export_rtstruct)
    a("export_seg", "Export lesion SE&G…", controller.choose_export_seg)
    tool_group = QActionGroup(window)
    tool_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
    for action_id, text in TOOL_ENTRIES:
        action = a(
            action_id,
            text,
            lambda on, action_id=action_id: controller.on_tool(action_id, on),
            True,
        )
        tool_group.addAction(action)
    a("brush_smaller", "Brush smaller", lambda: controller.step_radius(-0.5))
    a("brush_larger", "Brush larger", lambda: controller.step_radius(0.5))

    ids = window.actions_by_id
    bar = window.menuBar()
    file_menu = next(m.menu() for m in bar.actions() if m.text() == "&File")
    first = file_menu.actions()[0]
    file_menu.insertActions(first, [ids["open_case"]])
    anchor = next(x for x in file_menu.actions() if x.objectName() == "export_view")
    file_menu.insertActions(anchor, [ids["save_case"], ids["save_case_as"], ids["cases_folder"]])
    file_menu.insertSeparator(anchor)
    file_menu.insertActions(anchor, [ids["export_rtstruct"], ids["export_seg"]])
    file_menu.insertSeparator(anchor)
    edit_menu = bar.addMenu("&Edit")
    bar.insertMenu(bar.actions()[1], edit_menu)
    edit_menu.addActions([ids["undo"], ids["redo"]])
    tools = window.tools_menu
    tools.addSeparator()
    tools.addActions(tool_group.actions())
    tools.addActions([ids["brush_smaller"], ids["brush_larger"]])
    view_menu = next(m.menu() for m in bar.actions() if m.text() == "&View")
    view_menu.addAction(panels.dock.toggleViewAction())
    reference_action = a(
        "show_reference", "Show the &reference annotation", controller.set_reference_shown, True
    )
    reference_action.setChecked(True)
    view_menu.addAction(reference_action)
    window.toolbar.addSeparator()
    window.toolbar.addActions([ids["undo"], ids["redo"]])
    level_tools = QHBoxLayout()
    for action_id in ("tool_levels", "tool_body_width"):
        level_tools.addWidget(tool_button(ids[action_id], panels.levels_panel))
    level_tools.addStretch(1)
    panel_layout = panels.levels_panel.layout()
    assert isinstance(panel_layout, QVBoxLayout)
    panel_layout.insertLayout(0, level_tools)
    for action_id in ("tool_brush", "tool_eraser", "tool_seed", "tool_ellipsoid"):
        panels.lesion_panel.add_tool_button(ids[action_id])
    panels.edema_panel.add_tool_button(ids["tool_edema"])
    return tool_group, reference_action


def tool_button(action: QAction, parent: QWidget) -> QToolButton:
    """A text-only button for ``action`` (the tools' buttons on the panels)."""
    button = QToolButton(parent)
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button
