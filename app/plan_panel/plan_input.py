"""What the Plan panel plans: a case and the masks painted by hand that have no file yet.

`DocumentLink` follows an annotation document and hands on its plan input after every edit;
the functions below tell a case that needs a new plan from the same case handed in again (the
case file, then the annotation document made from it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from PySide6.QtCore import QObject

from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.case import Case

#: (name, mask) of structures painted by hand that have no file yet
PaintedStructures = tuple[tuple[str, Volume], ...]


class PlanInput(NamedTuple):
    """A case with its lesion mask (when known) and what was painted by hand without a file."""

    case: Case
    lesion_mask: Volume | None
    painted_mask: Volume | None
    painted_structures: PaintedStructures


def document_input(document: Any) -> PlanInput:
    """The plan input of an `app.annotation.document.AnnotationDocument` that has a case.

    A lesion made from a specification (ellipsoid, seed, file) is planned as such; a lesion
    painted by hand is planned from its mask.

    Raises
    ------
    SpineplanError
        The document cannot be made into a case (the message says why).
    """
    state = document.current
    painted = state.lesion_mask if state.lesion is None else None
    structures = tuple((s.name, s.mask) for s in state.structures if s.shape is None)
    # placeholders: the worker writes the masks and puts their paths in
    paths = {name: f"painted_structure_{n}.nrrd" for n, (name, _) in enumerate(structures)}
    case = document.with_mask_files("painted_lesion.nrrd" if painted is not None else None, paths)
    return PlanInput(case, state.lesion_mask, painted, structures)


class DocumentLink(QObject):
    """Follows one annotation document at a time; a child of the panel it reports to.

    Parameters
    ----------
    parent : the panel (the document's signal is disconnected when it goes).
    on_input : called with the document's `PlanInput` after every edit (None without a case).
    on_error : called with the message when the document cannot be made into a case.
    """

    def __init__(
        self,
        parent: QObject,
        on_input: Callable[[PlanInput | None], None],
        on_error: Callable[[str], None],
    ) -> None:
        super().__init__(parent)
        self._on_input, self._on_error = on_input, on_error
        self.document: Any = None

    def follow(self, document: Any) -> None:
        """Follow ``document`` (an `app.annotation.document.AnnotationDocument`) from now on."""
        if self.document is not None:
            self.document.changed.disconnect(self._on_document_changed)
        self.document = document
        document.changed.connect(self._on_document_changed)
        self._on_document_changed("")

    def _on_document_changed(self, _text: str = "") -> None:
        document = self.document
        if document is None or document.case is None:
            self._on_input(None)
            return
        try:
            given = document_input(document)
        except SpineplanError as error:
            self._on_error(str(error))
            return
        self._on_input(given)


def is_new_case(case: Case | None, current: Case | None) -> bool:
    """Whether ``case`` is another study or case file than ``current`` (or either is None)."""
    return (
        case is None
        or current is None
        or (case.study_path(), case.source_path) != (current.study_path(), current.source_path)
    )


def same_painting(
    painted_mask: Volume | None,
    painted_structures: PaintedStructures,
    current_mask: Volume | None,
    current_structures: PaintedStructures,
) -> bool:
    """Whether the same masks (the same objects) were painted by hand as before."""
    same_structures = len(painted_structures) == len(current_structures) and all(
        a[0] == b[0] and a[1] is b[1]
        for a, b in zip(painted_structures, current_structures, strict=True)
    )
    return painted_mask is current_mask and same_structures


def same_case(first: Case | None, second: Case | None) -> bool:
    """Whether two cases describe the same plan input (levels, lesion, edema, settings...)."""
    try:
        return bool(first == second)
    except (TypeError, ValueError):  # an exotic finding that does not compare
        return False
