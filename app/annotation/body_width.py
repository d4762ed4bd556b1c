"""Body widths as undoable edits: a ruler's left-right extent becomes the body width of the
level it lies in (the body-width tool makes this edit on release), and Clear forgets it.

The pure edits are `planning.case.edits.measure_body_width` / `clear_body_width`; these
functions add the undo text and the status-bar report, which
`AnnotationController.measure_body_width` and `clear_body_width` use.
"""

from __future__ import annotations

from collections.abc import Sequence

from planning.anatomy.levels import display_name
from planning.case import Case, edits
from planning.case.model import WidthRuler

#: A ruler whose full length exceeds its left-right width by more than this fraction is
#: reported with its length too (drawn obliquely, the two numbers differ).
OBLIQUE_RULER_FRACTION = 0.05


def is_oblique(ruler: WidthRuler) -> bool:
    """Whether ``ruler`` is long enough beyond its width to report its length too."""
    return ruler.length_mm > ruler.width_mm * (1 + OBLIQUE_RULER_FRACTION)


def measure_body_width(
    state: Case, start_mm: Sequence[float], end_mm: Sequence[float]
) -> tuple[Case, str, str, str]:
    """The left-right extent of a ruler from ``start_mm`` to ``end_mm`` (LPS mm) stored as
    the body width of the level it lies in.

    Returns
    -------
    (Case, str, str, str) : the new case, the measured level's name, the edit's undo
        text ("Measure T9 body width 42.0 mm") and what the status bar says.

    Raises
    ------
    LabelError
        A ruler outside every labelled body, or too short (see `edits.measure_body_width`).
    """
    new_state, name = edits.measure_body_width(state, start_mm, end_mm)
    ruler = new_state.width_rulers[-1]
    shown = display_name(name, new_state.thoracic_prefix)
    width = f"{ruler.width_mm:.1f} mm"
    message = f"{shown} body width {width} (left-right)"
    if is_oblique(ruler):
        message += f"; the ruler drawn is {ruler.length_mm:.1f} mm long"
    return new_state, name, f"Measure {shown} body width {width}", message


def clear_text(state: Case, name: str) -> str:
    """The undo text of forgetting the body width of level ``name``."""
    return f"Clear {display_name(name, state.thoracic_prefix)} body width"
