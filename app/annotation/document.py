"""The annotation document of the open case: the undoable editing layer over the case model.

The model is `planning.case.Case`, carrying its masks on the images (`planning.case.masks`);
its edits are the pure functions of `planning.case.edits`. This layer only keeps `Case`
snapshots on a `QUndoStack` and writes the case out. `AnnotationDocument.apply(text, new_case)`
is the one way to change the case: it pushes an undoable command, and `changed` tells panels,
overlays and the autosave. The plan settings (`set_plan_settings`) and the planning CT
(`set_planning_ct`) are edits of the same case, so the undo stack's clean state says whether
anything is unsaved. Where the case lives (study reference, case file, findings) is kept from
the file it came from and written back unchanged.
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
from planning.case.masks import is_painted, with_mask_files
from planning.case.planning_ct import PlanningCtReference
from planning.case.settings import PlanSettings
from planning.errors import CaseFileError


class SnapshotCommand(QUndoCommand):
    """Swap the document between two case snapshots.

    Edits of the plan settings carry ``merge_id`` `PLAN_SETTINGS_ID`: successive ones merge
    into one undo step (a spin box dragged through ten values is one edit).
    """

    PLAN_SETTINGS_ID = 7301

    def __init__(
        self,
        document: AnnotationDocument,
        before: Case,
        after: Case,
        text: str,
        merge_id: int = -1,
    ) -> None:
        super().__init__(text)
        self.document, self.before, self.after = document, before, after
        self.merge_id = merge_id

    def id(self) -> int:
        return self.merge_id

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SnapshotCommand) or other.merge_id != self.merge_id:
            return False
        self.after = other.after
        self.setObsolete(self.after == self.before)
        return True

    def redo(self) -> None:
        self.document._set_case(self.after, self.text())

    def undo(self) -> None:
        self.document._set_case(self.before, f"undo {self.text()}")


def structure_file_names(case: Case, stem: str, prefix: str = "") -> dict[str, str]:
    """File names for the painted structures of ``case``: ``<stem>.<prefix><slug>.nrrd``
    (``case1.cord.nrrd``), unique even when two names give the same slug."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for structure in case.structures:
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


#: What the panels show and the edits start from before a study is open: nothing marked.
NO_CASE = Case(StudyReference(""))


class AnnotationDocument(QObject):
    """The open case with undo/redo (see the module docstring).

    Attributes
    ----------
    case : the current `Case` snapshot, with its masks on ``reference``'s grid (None before a
        study is open).
    case_path : where File > Save writes; None means Save asks for a name (new case, or a
        bundled reference case that must not be overwritten).
    reference : the grid lesion masks live on (the post-contrast series).
    undo_stack : the `QUndoStack` behind Edit > Undo/Redo.
    """

    #: the case changed: (description of the edit)
    changed = Signal(str)
    #: a new case was put in the document (opened, new study, recovered)
    reset_done = Signal()
    #: the case's plan settings changed by an edit or its undo (the new `PlanSettings`)
    plan_changed = Signal(object)
    #: the case's planning CT or its registration changed (the new `PlanningCtReference`)
    planning_ct_changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.case: Case | None = None
        self.case_path: Path | None = None
        self.reference: Volume | None = None
        self.undo_stack = QUndoStack(self)
        self.last_edit = ""

    # -- state ----------------------------------------------------------------------------
    def reset(
        self, case: Case | None, reference: Volume | None, case_path: Path | None = None
    ) -> None:
        """Start over on ``case``, its masks built on ``reference`` (undo history cleared)."""
        self.undo_stack.clear()
        self.case, self.reference, self.case_path = case, reference, case_path
        self.last_edit = ""
        self.undo_stack.setClean()
        self.reset_done.emit()
        self.changed.emit("")

    def apply(self, text: str, new_case: Case) -> None:
        """Make ``new_case`` current as one undoable edit named ``text``."""
        if self.case is None:
            raise SpineplanError("open a study before annotating it")
        self.undo_stack.push(SnapshotCommand(self, self.case, new_case, text))

    def set_plan_settings(self, settings: PlanSettings) -> None:
        """Make ``settings`` the case's plan settings as one undoable edit (merged with the
        previous one when that was a plan-settings edit too); nothing when unchanged."""
        if self.case is None or settings == self.case.plan:
            return
        self.undo_stack.push(
            SnapshotCommand(
                self,
                self.case,
                replace(self.case, plan=settings),
                "Change plan settings",
                SnapshotCommand.PLAN_SETTINGS_ID,
            )
        )

    def set_planning_ct(self, reference: PlanningCtReference | None, text: str) -> None:
        """Make ``reference`` the case's planning CT (with its registration) as one undoable
        edit named ``text``; nothing when unchanged."""
        if self.case is None:
            raise SpineplanError("open a study before registering it onto a planning CT")
        if reference == self.case.planning_ct:
            return
        self.apply(text, replace(self.case, planning_ct=reference))

    def _set_case(self, snapshot: Case, text: str) -> None:
        """Make ``snapshot`` current (an edit, its undo or redo). Where the case lives (its
        study reference, case file, reference flag, findings, description) is not an edit:
        Save changes it outside the undo history, so the current one is kept."""
        before = self.case
        assert before is not None
        self.case = replace(
            snapshot,
            study=before.study,
            source_path=before.source_path,
            reference=before.reference,
            findings=before.findings,
            description=before.description,
        )
        self.last_edit = text
        if snapshot.plan != before.plan:
            self.plan_changed.emit(snapshot.plan)
        if snapshot.planning_ct != before.planning_ct:
            self.planning_ct_changed.emit(snapshot.planning_ct)
        self.changed.emit(text)

    @property
    def current(self) -> Case:
        """The open case, or `NO_CASE` before a study is open (an edit of it is refused)."""
        return NO_CASE if self.case is None else self.case

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    # -- case out -------------------------------------------------------------------------
    def with_mask_files(
        self, mask_path: str | None = None, structure_paths: dict[str, str] | None = None
    ) -> Case:
        """The open case with its painted masks specified by the files they are written to
        (`planning.case.masks.with_mask_files`; the caller writes the files)."""
        if self.case is None:
            raise SpineplanError("no case is open")
        return with_mask_files(self.case, mask_path, structure_paths)

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
        if self.case.lesion_mask is not None and is_painted(self.case.lesion):
            mask_name = f"{case_stem(path)}.lesion.nrrd"
            write_mask(self.case.lesion_mask, path.parent / mask_name)
        structure_names = structure_file_names(self.case, case_stem(path))
        for structure in self.case.structures:
            if structure.name in structure_names:
                assert structure.mask is not None  # painted: it has no other form
                write_mask(structure.mask, path.parent / structure_names[structure.name])
        case = self.with_mask_files(mask_name, structure_names)
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
        # the saved case keeps its masks: the painted ones are now specified by their files
        self.case = save_case(
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
        self.case_path = self.case.source_path
        self.undo_stack.setClean()
        return Path(self.case.source_path or path)
