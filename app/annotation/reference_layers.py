"""The bundled reference annotation of a sample study, drawn as a 'Reference' layer group.

A sample study keeps its reference annotation beside its images as `REFERENCE_CASE_NAME`;
when such a study is opened without a case, the reference is drawn in light cyan under the user's
own annotation. View > Show the reference annotation hides it; practice mode forbids it
altogether (`ReferenceAnnotation.set_allowed(False)`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction

from app.annotation.document import AnnotationDocument
from app.annotation.overlays import REFERENCE_ROLES, AnnotationLayers, grid_centre_xy, grid_frame
from app.host_window import HostWindow
from app.viewer.overlays import OverlayModel
from imaging.errors import SpineplanError
from planning.case import Case, load_case
from planning.case.annotation import Annotation, annotation_from_case

#: The bundled sample studies keep their reference annotation under this name.
REFERENCE_CASE_NAME = "reference.spineplan.json"


def make_reference_layers(model: OverlayModel) -> AnnotationLayers:
    """The empty 'Reference: ' layer group, drawn under the user's annotation."""
    return AnnotationLayers(
        model,
        "Reference: ",
        roles=REFERENCE_ROLES,
        names_side="right",
        z=5.0,
        lesion_opacity=0.2,
    )


class ReferenceAnnotation:
    """The reference annotation of the opened sample study, drawn in its own layer group.

    Parameters
    ----------
    model : the viewer's overlays.
    document : whose grid (``document.reference``) the reference is drawn on.
    window : where what is shown, or why not, is said (Messages panel).
    """

    def __init__(
        self, model: OverlayModel, document: AnnotationDocument, window: HostWindow
    ) -> None:
        self.layers = make_reference_layers(model)
        self.document, self.window = document, window
        #: the reference case of the opened study, if it has one
        self.case: Case | None = None
        #: whether the reference may be shown at all (practice mode forbids it)
        self.allowed = True
        #: View > Show the reference annotation (made with the annotation's actions)
        self.action: QAction | None = None

    def clear(self) -> None:
        """Forget the reference (another study or case is opening)."""
        self.layers.clear()
        self.case = None

    def _draw(self, state: Annotation) -> None:
        reference = self.document.reference
        self.layers.visible = self.action is None or self.action.isChecked()
        self.layers.rebuild(state, grid_frame(reference), grid_centre_xy(reference))

    def draw(self) -> None:
        """Draw ``case`` on the document's reference grid, shown or hidden as the View menu
        entry says."""
        case, reference = self.case, self.document.reference
        if case is None or reference is None:
            return
        self._draw(annotation_from_case(case, reference))

    def show_for(self, study_path: Path) -> None:
        """Load the reference annotation of the sample study at ``study_path``, if it has one,
        and draw it unless the reference is not allowed; an unreadable one is a warning."""
        folder = study_path if study_path.is_dir() else study_path.parent
        candidate = folder / REFERENCE_CASE_NAME
        if not candidate.is_file():
            return
        try:
            case = load_case(candidate)
            if not case.reference:
                return
            state = annotation_from_case(case, self.document.reference)
        except SpineplanError as error:
            self.window.add_message("warning", f"Reference annotation not shown: {error}")
            return
        self.case = case
        if self.allowed:
            self._draw(state)
            self.window.add_message(
                "info",
                "This sample study has a reference annotation, shown in light cyan "
                "(View ▸ Show the reference annotation).",
            )

    def set_shown(self, shown: bool) -> None:
        """Show or hide the reference layer (View menu)."""
        self.layers.set_visible(shown)

    def set_allowed(self, allowed: bool) -> None:
        """Whether the bundled reference may be shown at all (practice mode forbids it)."""
        self.allowed = allowed
        if self.action is not None:
            self.action.setEnabled(allowed)
        if not allowed:
            self.layers.clear()
        else:
            self.draw()
