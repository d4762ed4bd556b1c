"""Body widths as undoable edits: a ruler's left-right extent becomes the body width of the
level it lies in (the body-width tool makes this edit on release), and Clear forgets it.

The pure edits are `state.measure_body_width` / `state.clear_body_width`; these functions add
the undo text, the selection of the measured level and the status-bar report.
`AnnotationController.measure_body_width` and `clear_body_width` delegate here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imaging.errors import SpineplanError
from planning.anatomy.levels import display_name
from planning.case import annotation as edits

if TYPE_CHECKING:
    from app.annotation.controller import AnnotationController

#: A ruler whose full length exceeds its left-right width by more than this fraction is
#: reported with its length too (drawn obliquely, the two numbers differ).
OBLIQUE_RULER_FRACTION = 0.05


def is_oblique(ruler: edits.WidthRuler) -> bool:
    """Whether ``ruler`` is long enough beyond its width to report its length too."""
    return ruler.length_mm > ruler.width_mm * (1 + OBLIQUE_RULER_FRACTION)


def measure_body_width(controller: AnnotationController, start_mm, end_mm) -> str | None:
    """Store the left-right extent of a ruler from ``start_mm`` to ``end_mm`` (LPS mm) as
    the body width of the level it lies in: one undoable edit ("Measure T9 body width
    42.0 mm"). A ruler outside every labelled body, or too short, is refused with a message.

    Returns
    -------
    str or None : the measured level's name, None when refused.
    """
    document = controller.document
    try:
        new_state, name = edits.measure_body_width(document.state, start_mm, end_mm)
    except SpineplanError as error:
        controller.report(f"Body width not measured: {error}")
        return None
    ruler = new_state.width_rulers[-1]
    shown = display_name(name, new_state.thoracic_prefix)
    width = f"{ruler.width_mm:.1f} mm"
    document.apply(f"Measure {shown} body width {width}", new_state)
    controller.select_level(name)
    message = f"{shown} body width {width} (left-right)"
    if is_oblique(ruler):
        message += f"; the ruler drawn is {ruler.length_mm:.1f} mm long"
    controller.window.statusBar().showMessage(message, 8000)
    return name


def clear_body_width(controller: AnnotationController, name: str) -> None:
    """Forget the measured body width of level ``name`` (undoable)."""
    shown = display_name(name, controller.document.state.thoracic_prefix)
    controller._edit(f"Clear {shown} body width", edits.clear_body_width, name)
