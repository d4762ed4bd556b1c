"""Paint into: which structure the brush and eraser paint, the lesion or a named structure.

The Lesion panel lists the lesion, every structure of the annotation and the names chosen
for new structures that have no voxel painted yet (`PaintTargets.pending`).
`AnnotationController.set_paint_target`, `choose_new_structure` and `delete_structure`
delegate here.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QInputDialog, QWidget

from app.annotation.document import AnnotationDocument
from app.annotation.lesion_panel import LESION_TARGET, LesionPanel
from imaging.errors import SpineplanError
from planning.anatomy.structures import check_structure_name
from planning.case import edits

#: makes an undoable edit: (undo text, pure edit of `planning.case.edits`, its arguments)
Edit = Callable[..., None]


class PaintTargets:
    """The choices of Paint into (see the module docstring).

    Parameters
    ----------
    document : the annotation whose structures are listed.
    panel : the Lesion panel, which shows the choices.
    edit : makes an undoable edit (deleting a structure).
    report : says why a name cannot be used.
    """

    def __init__(
        self,
        document: AnnotationDocument,
        panel: LesionPanel,
        edit: Edit,
        report: Callable[[str], None],
    ) -> None:
        self.document, self.panel, self.edit, self.report = document, panel, edit, report
        #: structure names chosen in Paint into that have no voxel painted yet
        self.pending: list[str] = []

    def set_target(self, name: str | None) -> None:
        """Paint into ``name`` (None or "Lesion": the lesion); a new name is added to the list.

        Raises
        ------
        PlanningError
            A name that cannot name a structure (empty, reserved...).
        """
        if name is None or name.strip().lower() == LESION_TARGET.lower():
            name = LESION_TARGET
        else:
            known = [s.name for s in self.document.current.structures]
            known += self.pending
            match = next((n for n in known if n.lower() == name.strip().lower()), None)
            if match is None:
                match = check_structure_name(name, known)
                self.pending.append(match)
            name = match
        self.show(name)

    def show(self, current: str) -> None:
        """List the structures and the pending names in Paint into, ``current`` chosen."""
        names = [s.name for s in self.document.current.structures]
        known = {x.lower() for x in names}
        names += [n for n in self.pending if n.lower() not in known]
        self.panel.set_targets(names, current)

    def reset(self) -> None:
        """A new case: no pending names, the brush paints the lesion."""
        self.pending = []
        self.show(LESION_TARGET)

    def choose_new(self, parent: QWidget) -> None:
        """Ask for the name of a new structure and paint into it."""
        name, ok = QInputDialog.getText(parent, "New structure", "Name (e.g. Bone metastasis):")
        if ok and name.strip():
            try:
                self.set_target(name)
            except SpineplanError as error:
                self.report(str(error))

    def delete(self, name: str) -> None:
        """Delete structure ``name`` (an undoable edit when it has voxels)."""
        if name == LESION_TARGET:
            return
        self.pending = [n for n in self.pending if n.lower() != name.lower()]
        if self.document.current.structure(name) is not None:
            self.edit(f"Delete {name}", edits.remove_structure, name)
        self.show(LESION_TARGET)
