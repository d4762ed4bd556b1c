"""Paint into: which structure the brush and eraser paint, the lesion or a named structure.

The Lesion panel lists the lesion, every structure of the annotation and the names chosen
for new structures that have no voxel painted yet (``controller.pending_structures``).
`AnnotationController.set_paint_target`, `choose_new_structure` and `delete_structure`
delegate here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog

from app.annotation.lesion_panel import LESION_TARGET
from imaging.errors import SpineplanError
from planning.anatomy.structures import check_structure_name
from planning.case import annotation as edits

if TYPE_CHECKING:
    from app.annotation.controller import AnnotationController


def set_paint_target(controller: AnnotationController, name: str | None) -> None:
    """Paint into ``name`` (None or "Lesion": the lesion); a new name is added to the list.

    Raises
    ------
    PlanningError
        A name that cannot name a structure (empty, reserved...).
    """
    if name is None or name.strip().lower() == LESION_TARGET.lower():
        name = LESION_TARGET
    else:
        known = [s.name for s in controller.document.state.structures]
        known += controller.pending_structures
        match = next((n for n in known if n.lower() == name.strip().lower()), None)
        if match is None:
            match = check_structure_name(name, known)
            controller.pending_structures.append(match)
        name = match
    show_targets(controller, name)


def show_targets(controller: AnnotationController, current: str) -> None:
    """List the structures and the pending names in Paint into, ``current`` chosen."""
    names = [s.name for s in controller.document.state.structures]
    known = {x.lower() for x in names}
    names += [n for n in controller.pending_structures if n.lower() not in known]
    controller.lesion_panel.set_targets(names, current)


def choose_new_structure(controller: AnnotationController) -> None:
    """Ask for the name of a new structure and paint into it."""
    name, ok = QInputDialog.getText(
        controller.window, "New structure", "Name (e.g. Bone metastasis):"
    )
    if ok and name.strip():
        try:
            set_paint_target(controller, name)
        except SpineplanError as error:
            controller.report(str(error))


def delete_structure(controller: AnnotationController, name: str) -> None:
    """Delete structure ``name`` (an undoable edit when it has voxels)."""
    if name == LESION_TARGET:
        return
    controller.pending_structures = [
        n for n in controller.pending_structures if n.lower() != name.lower()
    ]
    if controller.document.state.structure(name) is not None:
        controller._edit(f"Delete {name}", edits.remove_structure, name)
    show_targets(controller, LESION_TARGET)
