"""The case behind the annotation: putting the opened case (or a new case for the opened
study) into the document, and File > Open case / Save case / Save case as.

`AnnotationController.open_annotation`, `choose_case`, `save`, `choose_save_as` and
`save_as` delegate to `CaseFiles`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.annotation import cases_folder
from app.annotation.document import AnnotationDocument, case_stem
from app.annotation.recovery_offer import RecoveryOffer, case_without_lesion
from app.annotation.reference_layers import ReferenceAnnotation
from app.host_window import HostWindow
from imaging.errors import SpineplanError
from imaging.pacs.cache_names import study_folder_name
from imaging.volume import Volume
from planning.anatomy.lesion import measure_lesion
from planning.case import CASE_FILE_SUFFIX, Case, StudyReference
from planning.case.masks import load_masks


def reference_volume(window: HostWindow) -> Volume | None:
    """The volume in the first view: the grid the annotation is on."""
    key = window.shown_keys[0]
    return window.volumes.get(key) if key is not None else None


class CaseFiles:
    """The case in the document: opened with the study, saved to its file (see the module
    docstring).

    Parameters
    ----------
    window : the opened study and case, the file dialogs' parent, the messages.
    document : the document the case goes into.
    recovery : the recovery file of the case (keyed here, offered by the controller).
    reference : the sample study's reference annotation.
    preferred_prefix : the thoracic prefix a new case starts with.
    on_saved : called after a save (the window title loses its ``*``).
    """

    def __init__(
        self,
        window: HostWindow,
        document: AnnotationDocument,
        recovery: RecoveryOffer,
        reference: ReferenceAnnotation,
        preferred_prefix: Callable[[], str],
        on_saved: Callable[[], None],
    ) -> None:
        self.window, self.document = window, document
        self.recovery, self.reference = recovery, reference
        self.preferred_prefix, self.on_saved = preferred_prefix, on_saved

    def close_failed(self) -> None:
        """The load failed with nothing shown: empty the document."""
        self.recovery.hide()
        self.document.reset(None, None)
        self.reference.layers.clear()

    def open_annotation(self) -> bool:
        """Put the opened case (or a new case for the opened study) in the document and draw
        the sample study's reference; False when there is nothing to annotate (no images, or a
        case of another frame of reference)."""
        w = self.window
        document = self.document
        reference = reference_volume(w)
        self.recovery.hide()
        self.reference.clear()
        case = w.case
        if reference is None:
            document.reset(None, None)
            return False
        if case is not None:
            frame = case.study.frame_of_reference_uid
            theirs = reference.frame_of_reference_uid
            if frame and theirs and frame != theirs:
                name = case.source_path.name if case.source_path else "the case file"
                w.add_message(
                    "error",
                    f"{name}: study.frame_of_reference_uid: {frame} does not match the images "
                    f"(their frame of reference: {theirs}); its annotation is not shown",
                )
                document.reset(None, None)
                return False
            try:
                with_masks = load_masks(case, reference)
            except SpineplanError as error:
                w.add_message("error", f"The case's lesion cannot be shown: {error}")
                with_masks = load_masks(case_without_lesion(case), reference)
            source = Path(case.source_path) if case.source_path else None
            document.reset(with_masks, reference, None if case.reference else source)
            self.recovery.source = source
            self.centre_on_lesion(with_masks)
        else:
            study_path = Path(w.study_path[0]).resolve() if w.study_path else Path(".")
            meta = reference.metadata
            new_case = Case(
                StudyReference(
                    str(study_path), meta.study_instance_uid, meta.frame_of_reference_uid
                )
            )
            prefix = self.preferred_prefix()
            document.reset(replace(new_case, thoracic_prefix=prefix), reference)  # type: ignore[arg-type]
            self.recovery.source = study_path if len(w.study_path) == 1 else None
            self.reference.show_for(study_path)
        return True

    def centre_on_lesion(self, case: Case) -> None:
        """A case opens with the linked point on its lesion, so the axial and coronal views
        show the lesion at once rather than the middle of the study."""
        if case.lesion_mask is None or not case.lesion_mask.array.any():
            return
        self.window.viewer.set_point(
            np.asarray(measure_lesion(case.lesion_mask).centroid_mm),
            case.study.frame_of_reference_uid or None,  # the lesion is marked in the study's
        )

    def choose_case(self) -> None:
        """File > Open case: ask for a case file and open it."""
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Open case",
            "",
            f"spineplan cases (*{CASE_FILE_SUFFIX});;All files (*)",
        )
        if path:
            self.window.open_path(path)

    def save(self, report: Callable[[str], None]) -> Path | None:
        """File > Save: to the case file, or ask for a name (new or reference case)."""
        document = self.document
        if document.case is None:
            report("Open a study before saving a case")
            return None
        if document.case_path is None:
            return self.choose_save_as(report)
        return self.save_as(document.case_path)

    def choose_save_as(self, report: Callable[[str], None]) -> Path | None:
        """File > Save case as: ask for a name, proposing a name not yet taken in the cases
        folder (`cases_folder`); replacing an existing file is confirmed first."""
        if self.document.case is None:
            report("Open a study before saving a case")
            return None
        folder = cases_folder.cases_folder(self.window.settings)
        proposed = cases_folder.unique_case_path(folder, self.proposed_stem())
        # made now: a file dialog on a missing folder would open somewhere else
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Save case as",
            str(proposed),
            f"spineplan cases (*{CASE_FILE_SUFFIX})",
            "",
            QFileDialog.Option.DontConfirmOverwrite,  # asked below, with the same words always
        )
        if not path:
            return None
        target = Path(path)
        if not target.name.endswith(CASE_FILE_SUFFIX):
            target = target.with_name(target.name + CASE_FILE_SUFFIX)
        if target.exists() and target != self.document.case_path:
            answer = QMessageBox.question(
                self.window,
                "Replace case file?",
                f"{target.name} already exists in {target.parent}.\n\nReplace it?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None
        if not target.parent.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
        return self.save_as(target)

    def proposed_stem(self) -> str:
        """The name Save case as proposes: the open case file's, else the study folder's (a
        bundled reference case is named after its study: ``case3``, not ``reference``; a
        study retrieved from the PACS after its patient: ``SPL-0003_20240522``)."""
        document = self.document
        if document.case_path is not None:
            return case_stem(document.case_path)
        case = document.case
        if case is not None and case.source_path is not None and not case.reference:
            return case_stem(Path(case.source_path))
        study = document.case.study_path() if document.case is not None else Path("case")
        return study_folder_name(study) or "case"  # a study from the PACS: its patient ID

    def choose_cases_folder(self) -> None:
        """File > Cases folder…: choose the folder Save case as proposes."""
        current = cases_folder.cases_folder(self.window.settings)
        folder = QFileDialog.getExistingDirectory(
            self.window, "Folder for saved cases", str(current)
        )
        if folder:
            cases_folder.set_cases_folder(self.window.settings, folder)
            self.window.statusBar().showMessage(f"Cases are saved in {folder} from now on", 5000)

    def save_as(self, path: str | Path) -> Path | None:
        """Save the case to ``path``; the recovery file is no longer needed."""
        w = self.window
        try:
            written = self.document.save(path)
        except SpineplanError as error:
            w.add_message("error", f"Could not save the case: {error}")
            return None
        self.recovery.saved(written)
        w.statusBar().showMessage(f"Saved {written}", 5000)
        w.add_message("info", f"Case saved to {written}")
        w.remember_recent(written)  # File > Open recent lists case files too
        self.on_saved()
        return written
