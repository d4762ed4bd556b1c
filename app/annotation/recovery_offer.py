"""Offering back the recovery file: the bar above the Levels panel with Restore and Discard.

`RecoveryOffer` writes a recovery file after every change (`autosave.RecoveryStore`); when the
same case or study is opened again, the bar says what it holds and restores it as one undoable
edit, or discards it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.annotation.autosave import Recovery, RecoveryStore
from app.annotation.document import AnnotationDocument
from app.host_window import HostWindow
from imaging.errors import SpineplanError
from imaging.plurals import plural
from planning.case import Case, edits
from planning.case.masks import load_masks


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


class RecoveryOffer:
    """The recovery file of the open case or study: where it is keyed (``source``), the one
    offered back (``pending``), and Restore / Discard.

    Parameters
    ----------
    bar : the offer's bar (hidden until a recovery is offered).
    document : the document a restored annotation goes into.
    store : the recovery files.
    window : where the offer is also listed (Messages panel, status bar).
    report : says why a recovered lesion cannot be read.
    show_levels : brings the Levels panel, where the bar sits, to the front.
    """

    def __init__(
        self,
        bar: RecoveryBar,
        document: AnnotationDocument,
        store: RecoveryStore,
        window: HostWindow,
        report: Callable[[str], None],
        show_levels: Callable[[], None],
    ) -> None:
        self.bar, self.document, self.store, self.window = bar, document, store, window
        self.report, self.show_levels = report, show_levels
        #: the case file or study the recovery file is keyed by (None: none is written)
        self.source: Path | None = None
        #: the recovery file offered back, if any
        self.pending: Recovery | None = None
        #: the Messages panel's warning about ``pending`` (withdrawn once it is answered)
        self.offer_message: str | None = None
        bar.restore_button.clicked.connect(self.restore)
        bar.discard_button.clicked.connect(self.discard)

    def write(self) -> None:
        """Write the document to the recovery file (after every change)."""
        if self.document.case is not None and self.source is not None:
            try:
                self.store.write(self.source, self.document)
            except (SpineplanError, OSError) as error:
                self.window.add_message("error", f"Autosave failed: {error}")

    def forget(self) -> None:
        """The case is back as opened or saved (edits undone): delete its recovery file, which
        would otherwise be offered at the next opening as unsaved work. A recovery still
        offered is left for the user to decide on."""
        if self.source is not None and self.pending is None:
            self.store.discard(self.source)

    def offer_found(self) -> None:
        """Offer the recovery file of ``source``, if there is one."""
        if self.source is not None:
            found = self.store.find(self.source)
            if found is not None:
                self.offer(found)

    def offer(self, found: Recovery) -> None:
        """Show the bar for ``found``: when it was saved, what it holds, its last edit."""
        self.pending = found
        case = found.case
        parts = [plural(len(case.levels), "level")]
        if case.lesion is not None:
            parts.append("a lesion")
        if case.edema is not None:
            parts.append("the edema")
        parts += [structure.name for structure in case.structures]
        when = found.saved_at.replace("T", " ")
        last = f", last edit: {found.last_edit}" if found.last_edit else ""
        self.bar.label.setText(
            f"<b>Unsaved annotation found</b> from {when} ({', '.join(parts)}{last}). Restore it?"
        )
        self.bar.show()
        self.show_levels()
        self.offer_message = (
            f"An unsaved annotation of this study from {when} can be restored (Levels panel)."
        )
        self.window.add_message("warning", self.offer_message)

    def hide(self) -> None:
        """Withdraw the offer (its bar and its warning in the Messages panel)."""
        self.pending = None
        self.bar.hide()
        if self.offer_message is not None:
            self.window.remove_message(self.offer_message)
            self.offer_message = None

    def restore(self) -> None:
        """Put the offered recovery into the document as one undoable edit."""
        found = self.pending
        document = self.document
        if found is None or document.case is None:
            return
        self.hide()
        try:
            recovered = load_masks(found.case, document.reference)
        except SpineplanError as error:
            self.report(f"The recovered lesion cannot be read: {error}")
            recovered = load_masks(case_without_lesion(found.case), document.reference)
        if getattr(recovered.lesion, "origin", "") == "painted":
            recovered = edits.set_lesion(recovered, recovered.lesion_mask, None)
        # painted structures come back as painted: Save writes them beside the case
        recovered = replace(
            recovered,
            structures=tuple(
                replace(s, shape=None) if getattr(s.shape, "origin", "") == "painted" else s
                for s in recovered.structures
            ),
        )
        # one undoable edit, with the plan settings and the planning CT (autosaved too)
        document.apply("Restore unsaved annotation", recovered)
        self.window.statusBar().showMessage("Unsaved annotation restored", 5000)

    def discard(self) -> None:
        """Delete the recovery file of the open case or study and withdraw the offer (the
        Messages panel says it was discarded, in place of the offer)."""
        offered = self.pending
        if self.source is not None:
            self.store.discard(self.source)
        self.hide()
        if offered is not None:
            when = offered.saved_at.replace("T", " ")
            self.window.add_message("info", f"The unsaved annotation from {when} was discarded.")

    def saved(self, written: Path) -> None:
        """The case was saved to ``written``: the recovery file is no longer needed, and the
        next one is keyed by the saved case."""
        if self.source is not None:
            self.store.discard(self.source)
        self.source = written
        self.store.discard(written)
