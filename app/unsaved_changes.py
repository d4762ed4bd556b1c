"""The Save / Discard / Cancel question before unsaved work would be lost.

Asked when the window closes and before another study or case is opened, whenever the
annotation document's undo stack is not clean (annotation edits, plan settings, practice
marks: every edit goes through it). Save writes the case (asking for a name when it has none);
Discard drops the edits and their recovery file; Cancel keeps everything as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from app.annotation.document import AnnotationDocument

Button = QMessageBox.StandardButton


def unsaved_question(document: AnnotationDocument, doing: str) -> str:
    """The question's text: what is unsaved, in which case, and what is about to happen."""
    case = document.case
    if document.case_path is not None:
        name = document.case_path.name
    elif case is not None and case.source_path is not None:
        name = f"{Path(case.source_path).name} (a reference: saved under a new name)"
    elif case is not None:
        name = f"the new case of {case.study_path().name}"
    else:
        name = "this case"
    last = f" (last edit: {document.last_edit})" if document.last_edit else ""
    return (
        f"The annotation or plan of {name} has unsaved changes{last}.\n\nSave them before {doing}?"
    )


def confirm_unsaved(
    parent: QWidget,
    document: AnnotationDocument,
    doing: str,
    save: Callable[[], Path | None],
    discard: Callable[[], None],
) -> bool:
    """Whether to go on with ``doing`` ("closing", "opening another study"): True when nothing
    is unsaved, or the user saved, or chose Discard (``discard`` is then called); False on
    Cancel or when the save did not happen."""
    if document.case is None or not document.is_modified:
        return True
    answer = QMessageBox.question(
        parent,
        "Unsaved changes",
        unsaved_question(document, doing),
        Button.Save | Button.Discard | Button.Cancel,
        Button.Save,
    )
    if answer == Button.Save:
        return save() is not None
    if answer == Button.Discard:
        discard()
        return True
    return False
