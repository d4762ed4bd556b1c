"""Offering back the recovery file: the bar above the Levels panel with Restore and Discard.

The controller writes a recovery file after every change (`autosave.RecoveryStore`); when the
same case or study is opened again, the bar says what it holds and restores it as one undoable
edit, or discards it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.annotation import state as edits
from app.annotation.autosave import Recovery
from app.annotation.document import annotation_from_case
from imaging.errors import SpineplanError
from planning.case import Case

if TYPE_CHECKING:
    from app.annotation.controller import AnnotationController


class RecoveryBar(QFrame):
    """The offer: a label saying what was found, and Restore / Discard buttons. Hidden until
    a recovery is offered."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("RecoveryBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.restore_button = QPushButton("Restore", self)
        self.restore_button.setObjectName("RestoreRecovery")
        self.discard_button = QPushButton("Discard", self)
        self.discard_button.setObjectName("DiscardRecovery")
        bar = QVBoxLayout(self)
        bar.addWidget(self.label)
        row = QHBoxLayout()
        row.addWidget(self.restore_button)
        row.addWidget(self.discard_button)
        bar.addLayout(row)
        self.hide()


def case_without_lesion(case: Case) -> Case:
    """``case`` with its lesion dropped (for a lesion that cannot be read)."""
    return replace(case, lesion=None)


def offer_recovery(controller: AnnotationController, found: Recovery) -> None:
    """Show the bar for ``found``: when it was saved, what it holds, its last edit."""
    controller.pending_recovery = found
    case = found.case
    parts = [f"{len(case.levels)} levels"]
    if case.lesion is not None:
        parts.append("a lesion")
    if case.edema is not None:
        parts.append("the edema")
    parts += [structure.name for structure in case.structures]
    when = found.saved_at.replace("T", " ")
    last = f", last edit: {found.last_edit}" if found.last_edit else ""
    controller.recovery_label.setText(
        f"<b>Unsaved annotation found</b> from {when} ({', '.join(parts)}{last}). Restore it?"
    )
    controller.recovery_bar.show()
    controller.show_panel("Levels")
    controller.window.add_message(
        "warning",
        f"An unsaved annotation of this study from {when} can be restored (Levels panel).",
    )


def hide_recovery(controller: AnnotationController) -> None:
    """Withdraw the offer."""
    controller.pending_recovery = None
    controller.recovery_bar.hide()


def restore_recovery(controller: AnnotationController) -> None:
    """Put the offered recovery into the document as one undoable edit."""
    found = controller.pending_recovery
    document = controller.document
    if found is None or document.case is None:
        return
    hide_recovery(controller)
    try:
        state = annotation_from_case(found.case, document.reference)
    except SpineplanError as error:
        controller.report(f"The recovered lesion cannot be read: {error}")
        state = annotation_from_case(case_without_lesion(found.case), document.reference)
    spec = state.lesion_spec
    if getattr(spec, "origin", "") == "painted":
        state = edits.set_lesion(state, state.lesion_mask, None)
    # painted structures come back as painted: Save writes them beside the case
    state = replace(
        state,
        structures=tuple(
            replace(s, shape=None) if getattr(s.shape, "origin", "") == "painted" else s
            for s in state.structures
        ),
    )
    document.apply("Restore unsaved annotation", state)
    controller.window.statusBar().showMessage("Unsaved annotation restored", 5000)


def discard_recovery(controller: AnnotationController) -> None:
    """Delete the recovery file of the open case or study and withdraw the offer."""
    if controller.recovery_source is not None:
        controller.store.discard(controller.recovery_source)
    hide_recovery(controller)
