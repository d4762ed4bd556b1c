"""The bundled reference annotation of a sample study, drawn as a 'Reference' layer group.

A sample study keeps its reference annotation beside its images as `REFERENCE_CASE_NAME`;
when such a study is opened without a case, the reference is drawn in green under the user's
own annotation. View > Show the reference annotation hides it; practice mode forbids it
altogether (`set_reference_allowed(controller, False)`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor

from app.annotation.overlays import REFERENCE_COLOR, AnnotationLayers
from imaging.errors import SpineplanError
from planning.case import load_case
from planning.case.annotation import annotation_from_case

if TYPE_CHECKING:
    from app.annotation.controller import AnnotationController
    from app.viewer.overlays import OverlayModel

#: The bundled sample studies keep their reference annotation under this name.
REFERENCE_CASE_NAME = "reference.spineplan.json"


def make_reference_layers(model: OverlayModel) -> AnnotationLayers:
    """The empty 'Reference: ' layer group, drawn under the user's annotation."""
    return AnnotationLayers(
        model,
        "Reference: ",
        color_levels=REFERENCE_COLOR,
        color_lesion=QColor("#3cb371"),
        color_edema=REFERENCE_COLOR,
        z=5.0,
        lesion_opacity=0.2,
    )


def draw_reference(controller: AnnotationController) -> None:
    """Draw ``controller.reference_case`` on the document's reference grid, shown or hidden
    as the View menu entry says."""
    case, reference = controller.reference_case, controller.document.reference
    if case is None or reference is None:
        return
    state = annotation_from_case(case, reference)
    controller.reference_layers.visible = controller.reference_action.isChecked()
    controller.reference_layers.rebuild(state, controller._frame(), controller._fallback_xy())


def show_reference_for(controller: AnnotationController, study_path: Path) -> None:
    """Load the reference annotation of the sample study at ``study_path``, if it has one, and
    draw it unless the reference is not allowed; an unreadable one is a warning."""
    folder = study_path if study_path.is_dir() else study_path.parent
    candidate = folder / REFERENCE_CASE_NAME
    if not candidate.is_file():
        return
    try:
        case = load_case(candidate)
        if not case.reference:
            return
        state = annotation_from_case(case, controller.document.reference)
    except SpineplanError as error:
        controller.window.add_message("warning", f"Reference annotation not shown: {error}")
        return
    controller.reference_case = case
    if controller.reference_allowed:
        controller.reference_layers.visible = controller.reference_action.isChecked()
        controller.reference_layers.rebuild(state, controller._frame(), controller._fallback_xy())
        controller.window.add_message(
            "info",
            "This sample study has a reference annotation, shown in green "
            "(View ▸ Show the reference annotation).",
        )


def set_reference_allowed(controller: AnnotationController, allowed: bool) -> None:
    """Whether the bundled reference may be shown at all (practice mode forbids it)."""
    controller.reference_allowed = allowed
    controller.reference_action.setEnabled(allowed)
    if not allowed:
        controller.reference_layers.clear()
    else:
        draw_reference(controller)
