"""The annotation document of the open case: the undoable editing layer over the case model.

The model is `planning.case` (the `Case` and its `planning.case.annotation.Annotation` on the
images); this layer only keeps its snapshots on a `QUndoStack` and writes the case out.
`AnnotationDocument.apply(text, new_state)` is the one way to change the annotation: it pushes
an undoable command, and `changed` tells panels, overlays and the autosave. The case around the
annotation (study reference, findings) is kept from the file it came from and written back
unchanged; the plan settings are edited through `set_plan_settings`, an undoable edit too, so
the undo stack's clean state says whether anything (annotation or plan) is unsaved.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from imaging.atomic_write import save_atomic
from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.anatomy.lesion import MaskLesion
from planning.anatomy.structures import file_slug
from planning.case import CASE_FILE_SUFFIX, Case, StudyReference, save_case
from planning.case.annotation import Annotation, case_with_annotation, is_painted
from planning.case.planning_ct import PlanningCtReference
from planning.case.settings import PlanSettings
from planning.errors import CaseFileError


class SnapshotCommand(QUndoCommand):
    """Swap the document between two annotation snapshots."""

    def __init__(
        self, document: AnnotationDocument, before: Annotation, after: Annotation, text: str
    ):
        super().__init__(text)
        self.document, self.before, self.after = document, before, after

    def redo(self) -> None:
        self.document._set_state(self.after, self.text())

    def undo(self) -> None:
        self.document._set_state(self.before, f"undo {self.text()}")


class PlanSettingsCommand(QUndoCommand):
    """Swap the case's plan settings; successive setting changes merge into one undo step
    (a spin box dragged through ten values is one edit)."""

    ID = 7301

    def __init__(
        self, document: AnnotationDocument, before: PlanSettings, after: PlanSettings
    ) -> None:
        super().__init__("Change plan settings")
        self.document, self.before, self.after = document, before, after

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, PlanSettingsCommand):
            return False
        self.after = other.after
        self.setObsolete(self.after == self.before)
        return True

    def redo(self) -> None:
        self.document._set_plan(self.after, self.text())

    def undo(self) -> None:
        self.document._set_plan(self.before, f"undo {self.text()}")


class PlanningCtCommand(QUndoCommand):
    """Swap the case's planning CT and registration (Registration panel > Accept, nudges)."""

    def __init__(
        self,
        document: AnnotationDocument,
        before: PlanningCtReference | None,
        after: PlanningCtReference | None,
        text: str,
    ) -> None:
        super().__init__(text)
        self.document, self.before, self.after = document, before, after

    def redo(self) -> None:
        self.document._set_planning_ct(self.after, self.text())

    def undo(self) -> None:
        self.document._set_planning_ct(self.before, f"undo {self.text()}")


def structure_file_names(state: Annotation, stem: str, prefix: str = "") -> dict[str, str]:
    """File names for the painted structures of ``state``: ``<stem>.<prefix><slug>.nrrd``
    (``case1.cord.nrrd``), unique even when two names give the same slug."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for structure in state.structures:
        if not is_painted(structure.shape):
            continue
        slug = f"{prefix}{file_slug(structure.name)}"
        candidate, n = slug, 2
        while candidate in used:
            candidate, n = f"{slug}-{n}", n + 1
        used.add(candidate)
        names[structure.name] = f"{stem}.{candidate}.nrrd"
    return names


def write_mask(mask: Volume, path: Path) -> Path:
    """Write a boolean mask as an image SimpleITK reads back (NRRD), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = mask.with_array(mask.array.astype(np.uint8)).to_sitk()
    try:
        save_atomic(path, lambda partial: sitk.WriteImage(image, str(partial), True))
    except (RuntimeError, OSError) as exc:
        raise CaseFileError(f"{path}: cannot write the mask ({exc})") from exc
    return path


def case_stem(path: Path) -> str:
    """``case1`` for ``case1.spineplan.json``."""
    name = path.name
    return name[: -len(CASE_FILE_SUFFIX)] if name.endswith(CASE_FILE_SUFFIX) else path.stem


def relative_study_path(study_path: Path, case_path: Path) -> str:
    """The study path as written in a case saved at ``case_path`` (relative when possible)."""
    try:
        return os.path.relpath(study_path.resolve(), case_path.resolve().parent)
    except ValueError:  # another drive on Windows
        return str(study_path.resolve())


class AnnotationDocument(QObject):
    """The annotation state of the open case with undo/redo (see the module docstring).

    Attributes
    ----------
    state : the current `Annotation` snapshot.
    case : the case the annotation belongs to (None before a study is open).
    case_path : where File > Save writes; None means Save asks for a name (new case, or a
        bundled reference case that must not be overwritten).
    reference : the grid lesion masks live on (the post-contrast series).
    undo_stack : the `QUndoStack` behind Edit > Undo/Redo.
    """

    #: the state changed: (description of the edit)
    changed = Signal(str)
    #: a new case was put in the document (opened, new study, recovered)
    reset_done = Signal()
    #: the case's plan settings changed by an edit or its undo (the new `PlanSettings`)
    plan_changed = Signal(object)
    #: the case's planning CT or its registration changed (the new `PlanningCtReference`)
    planning_ct_changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = Annotation()
        self.case: Case | None = None
        self.case_path: Path | None = None
        self.reference: Volume | None = None
        self.undo_stack = QUndoStack(self)
        self.last_edit = ""

    # -- state ----------------------------------------------------------------------------
    def reset(
        self,
        case: Case | None,
        reference: Volume | None,
        state: Annotation | None = None,
        case_path: Path | None = None,
    ) -> None:
        """Start over on ``case`` (undo history cleared)."""
        self.undo_stack.clear()
        self.case, self.reference, self.case_path = case, reference, case_path
        self.state = state or Annotation()
        self.last_edit = ""
        self.undo_stack.setClean()
        self.reset_done.emit()
        self.changed.emit("")

    def apply(self, text: str, new_state: Annotation) -> None:
        """Make ``new_state`` current as one undoable edit named ``text``."""
        if self.case is None:
            raise SpineplanError("open a study before annotating it")
        self.undo_stack.push(SnapshotCommand(self, self.state, new_state, text))

    def set_plan_settings(self, settings: PlanSettings) -> None:
        """Make ``settings`` the case's plan settings as one undoable edit (merged with the
        previous one when that was a plan-settings edit too); nothing when unchanged."""
        if self.case is None or settings == self.case.plan:
            return
        self.undo_stack.push(PlanSettingsCommand(self, self.case.plan, settings))

    def set_planning_ct(self, reference: PlanningCtReference | None, text: str) -> None:
        """Make ``reference`` the case's planning CT (with its registration) as one undoable
        edit named ``text``; nothing when unchanged."""
        if self.case is None:
            raise SpineplanError("open a study before registering it onto a planning CT")
        if reference == self.case.planning_ct:
            return
        self.undo_stack.push(PlanningCtCommand(self, self.case.planning_ct, reference, text))

    def _set_planning_ct(self, reference: PlanningCtReference | None, text: str) -> None:
        assert self.case is not None
        self.case = replace(self.case, planning_ct=reference)
        self.last_edit = text
        self.planning_ct_changed.emit(reference)
        self.changed.emit(text)

    def _set_plan(self, settings: PlanSettings, text: str) -> None:
        assert self.case is not None
        self.case = replace(self.case, plan=settings)
        self.last_edit = text
        self.plan_changed.emit(settings)
        self.changed.emit(text)

    def _set_state(self, state: Annotation, text: str) -> None:
        self.state = state
        self.last_edit = text
        self.changed.emit(text)

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    # -- case out -------------------------------------------------------------------------
    def to_case(
        self, mask_path: str | None = None, structure_paths: dict[str, str] | None = None
    ) -> Case:
        """The case with the current annotation.

        ``mask_path`` is written as the lesion of a painted mask (the caller writes the file);
        a lesion made from a specification keeps the specification. ``structure_paths`` gives
        the mask file of each painted structure by name (the caller writes them); without it,
        structures painted but never saved are left out.
        """
        if self.case is None:
            raise SpineplanError("no case is open")
        return case_with_annotation(self.case, self.state, mask_path, structure_paths)

    def save(self, path: str | Path) -> Path:
        """Write the case to ``path`` (a painted lesion beside it as ``<name>.lesion.nrrd``, a
        painted structure as ``<name>.<structure>.nrrd``, e.g. ``case1.cord.nrrd``).

        The study path is rewritten relative to the new location; the case stops being a
        reference case. Marks the undo stack clean.
        """
        if self.case is None:
            raise SpineplanError("no case is open")
        path = Path(path)
        if not path.name.endswith(CASE_FILE_SUFFIX):
            path = path.with_name(path.name + CASE_FILE_SUFFIX)
        mask_name = None
        if self.state.lesion_mask is not None and is_painted(self.state.lesion_spec):
            mask_name = f"{case_stem(path)}.lesion.nrrd"
            write_mask(self.state.lesion_mask, path.parent / mask_name)
        structure_names = structure_file_names(self.state, case_stem(path))
        for structure in self.state.structures:
            if structure.name in structure_names:
                write_mask(structure.mask, path.parent / structure_names[structure.name])
        case = self.to_case(mask_name, structure_names)
        study = StudyReference(
            relative_study_path(self.case.study_path(), path),
            case.study.study_instance_uid,
            case.study.frame_of_reference_uid,
        )
        lesion = case.lesion
        if isinstance(lesion, MaskLesion) and lesion.origin == "file":
            # a mask file given relative to the old case file stays where it is
            lesion = MaskLesion(relative_study_path(self.case.resolve(lesion.path), path), "file")
        structures = tuple(
            replace(
                item,
                shape=MaskLesion(
                    relative_study_path(self.case.resolve(item.shape.path), path), "file"
                ),
            )
            if isinstance(item.shape, MaskLesion) and item.shape.origin == "file"
            else item
            for item in case.structures
        )
        planning_ct = case.planning_ct
        if planning_ct is not None:  # the CT stays where it is, named from the new place
            reg_path = planning_ct.registration_path
            planning_ct = replace(
                planning_ct,
                path=relative_study_path(self.case.resolve(planning_ct.path), path),
                registration_path=(
                    relative_study_path(self.case.resolve(reg_path), path) if reg_path else ""
                ),
            )
        saved = save_case(
            replace(
                case,
                study=study,
                lesion=lesion,
                reference=False,
                structures=structures,
                planning_ct=planning_ct,
            ),
            path,
        )
        self.case = saved
        if self.state.lesion_mask is not None:
            self.state = replace(self.state, lesion_spec=saved.lesion)
        # the saved structures are now specified by their files
        self.state = replace(
            self.state,
            structures=tuple(
                replace(item, shape=saved_item.shape)
                for item, saved_item in zip(self.state.structures, saved.structures, strict=True)
            ),
        )
        self.case_path = saved.source_path
        self.undo_stack.setClean()
        return Path(saved.source_path or path)
