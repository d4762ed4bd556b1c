"""The case behind the annotation: putting the opened case (or a new case for the opened
study) into the document, and File > Open case / Save case / Save case as.

`AnnotationController.open_annotation`, `choose_case`, `save`, `choose_save_as` and
`save_as` delegate here.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QFileDialog

from app.annotation.recovery_offer import case_without_lesion, hide_recovery, offer_recovery
from app.annotation.reference_layers import show_reference_for
from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.anatomy.lesion import measure_lesion
from planning.case import CASE_FILE_SUFFIX, Case, StudyReference
from planning.case import annotation as edits
from planning.case.annotation import annotation_from_case

if TYPE_CHECKING:
    from app.annotation.controller import AnnotationController
    from app.main_window import MainWindow


def on_load_finished(controller: AnnotationController, outcome: str) -> None:
    """The main window finished loading (``outcome`` "done", "cancelled" or "failed"): open
    the annotation of what is shown, or empty it when nothing is."""
    if outcome == "failed" and not controller.window.viewer.has_images:
        hide_recovery(controller)
        controller.document.reset(None, None)
        controller.reference_layers.clear()
        return
    if outcome in ("done", "cancelled"):
        controller.open_annotation()


def reference_volume(window: MainWindow) -> Volume | None:
    """The volume in the first view: the grid the annotation is on."""
    key = window.shown_keys[0]
    return window.volumes.get(key) if key is not None else None


def open_annotation(controller: AnnotationController) -> None:
    """Put the opened case (or a new case for the opened study) in the document, draw the
    sample study's reference, and offer a recovery file of the same case or study."""
    w = controller.window
    document = controller.document
    reference = reference_volume(w)
    hide_recovery(controller)
    controller.reference_layers.clear()
    controller.reference_case = None
    controller.selected_level = None
    case = w.case
    if reference is None:
        document.reset(None, None)
        return
    if case is not None:
        frame = case.study.frame_of_reference_uid
        if frame and reference.frame_of_reference_uid and frame != reference.frame_of_reference_uid:
            name = case.source_path.name if case.source_path else "the case file"
            w.add_message(
                "error",
                f"{name}: study.frame_of_reference_uid: {frame} does not match the images "
                f"(their frame of reference: {reference.frame_of_reference_uid}); "
                "its annotation is not shown",
            )
            document.reset(None, None)
            return
        try:
            state = annotation_from_case(case, reference)
        except SpineplanError as error:
            w.add_message("error", f"The case's lesion cannot be shown: {error}")
            state = annotation_from_case(case_without_lesion(case), reference)
        source = Path(case.source_path) if case.source_path else None
        document.reset(case, reference, state, None if case.reference else source)
        controller.recovery_source = source
        centre_on_lesion(controller, state)
    else:
        study_path = Path(w.study_path[0]).resolve() if w.study_path else Path(".")
        meta = reference.metadata
        new_case = Case(
            StudyReference(str(study_path), meta.study_instance_uid, meta.frame_of_reference_uid)
        )
        prefix = controller.preferred_prefix()
        document.reset(
            replace(new_case, thoracic_prefix=prefix),
            reference,
            edits.Annotation(thoracic_prefix=prefix),  # type: ignore[arg-type]
        )
        controller.recovery_source = study_path if len(w.study_path) == 1 else None
        show_reference_for(controller, study_path)
    controller.refresh()
    if controller.recovery_source is not None:
        found = controller.store.find(controller.recovery_source)
        if found is not None:
            offer_recovery(controller, found)


def centre_on_lesion(controller: AnnotationController, state: edits.Annotation) -> None:
    """A case opens with the linked point on its lesion, so the axial and coronal views
    show the lesion at once rather than the middle of the study."""
    if state.lesion_mask is None or not state.lesion_mask.array.any():
        return
    controller.window.viewer.set_point(np.asarray(measure_lesion(state.lesion_mask).centroid_mm))


def choose_case(controller: AnnotationController) -> None:
    """File > Open case: ask for a case file and open it."""
    path, _ = QFileDialog.getOpenFileName(
        controller.window,
        "Open case",
        "",
        f"spineplan cases (*{CASE_FILE_SUFFIX});;All files (*)",
    )
    if path:
        controller.window.open_path(path)


def save(controller: AnnotationController) -> Path | None:
    """File > Save: to the case file, or ask for a name (new or reference case)."""
    document = controller.document
    if document.case is None:
        controller.report("Open a study before saving a case")
        return None
    if document.case_path is None:
        return controller.choose_save_as()
    return controller.save_as(document.case_path)


def choose_save_as(controller: AnnotationController) -> Path | None:
    """File > Save case as: ask for a name, starting beside the study."""
    if controller.document.case is None:
        controller.report("Open a study before saving a case")
        return None
    start = controller.document.case.study_path()
    start = start if start.is_dir() else start.parent
    path, _ = QFileDialog.getSaveFileName(
        controller.window,
        "Save case as",
        str(start / f"case{CASE_FILE_SUFFIX}"),
        f"spineplan cases (*{CASE_FILE_SUFFIX})",
    )
    return controller.save_as(path) if path else None


def save_as(controller: AnnotationController, path: str | Path) -> Path | None:
    """Save the case to ``path``; the recovery file is no longer needed."""
    w = controller.window
    try:
        written = controller.document.save(path)
    except SpineplanError as error:
        w.add_message("error", f"Could not save the case: {error}")
        return None
    if controller.recovery_source is not None:
        controller.store.discard(controller.recovery_source)
    controller.recovery_source = written
    controller.store.discard(written)
    w.statusBar().showMessage(f"Saved {written}", 5000)
    w.add_message("info", f"Case saved to {written}")
    controller._update_title()
    return written
