"""What the annotation panels ask for, made into edits of the document.

The Levels panel renames, renumbers and deletes levels, switches T/D naming, clears a body
width, sets a counting anchor and selects a level; the Lesion panel clears the lesion, re-grows
it with another tolerance and chooses or deletes the structure to paint into; the Edema panel
clears the edema; the recovery bar restores or discards. Every edit is one undoable step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planning.anatomy.lesion import SeedLesion
from planning.anatomy.levels import display_name
from planning.case import annotation as edits

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from app.annotation.controller import AnnotationController

#: QSettings key of the thoracic naming preference ("T" or "D").
PREFIX_SETTING = "annotation/thoracic_prefix"
#: The counting anchors' names as the undo texts say them.
ANCHOR_LABELS = {"c2": "C2", "s1": "S1", "lowest_rib": "lowest rib"}


def connect_panels(controller: AnnotationController) -> None:
    """Connect the panels' and the recovery bar's requests to the controller."""
    c = controller
    lp = c.levels_panel
    lp.rename_requested.connect(
        lambda old, new: c._edit(f"Rename {old} to {new}", edits.rename, old, new)
    )
    lp.renumber_requested.connect(
        lambda old, new: c._edit(f"Renumber from {new}", edits.renumber, old, new)
    )
    lp.delete_requested.connect(lambda name: c._edit(f"Delete {name}", edits.delete_level, name))
    lp.prefix_requested.connect(lambda prefix: on_prefix(c, prefix))
    lp.clear_width_requested.connect(c.clear_body_width)
    lp.anchor_requested.connect(lambda kind, name: on_anchor(c, kind, name))
    lp.selection_changed.connect(c._on_selection)
    c.lesion_panel.clear_requested.connect(
        lambda: c._edit("Clear lesion", edits.set_lesion, None, None)
    )
    c.lesion_panel.tolerance_chosen.connect(lambda tolerance: on_tolerance(c, tolerance))
    c.lesion_panel.target_chosen.connect(
        lambda name: c.window.statusBar().showMessage(f"The brush paints into: {name}", 4000)
    )
    c.lesion_panel.new_structure_requested.connect(c.choose_new_structure)
    c.lesion_panel.delete_structure_requested.connect(c.delete_structure)
    c.edema_panel.clear_requested.connect(
        lambda: c._edit("Clear edema", edits.set_edema, None, None)
    )
    c.restore_button.clicked.connect(c.restore_recovery)
    c.discard_button.clicked.connect(c.discard_recovery)


def on_prefix(controller: AnnotationController, prefix: str) -> None:
    """T or D naming: an edit of the case, and the preference new cases start with."""
    settings = controller.window.settings
    if settings is not None:
        settings.setValue(PREFIX_SETTING, prefix)
    if prefix != controller.document.state.thoracic_prefix:
        controller._edit(f"{prefix}1-{prefix}12 naming", edits.set_thoracic_prefix, prefix)


def preferred_prefix(settings: QSettings | None) -> str:
    """The thoracic prefix the user chose last (T unless they chose D)."""
    value = str(settings.value(PREFIX_SETTING, "T")) if settings is not None else "T"
    return value if value in ("T", "D") else "T"


def on_anchor(controller: AnnotationController, kind: str, name: str | None) -> None:
    """Anchor the counting of ``kind`` ("c2", "s1", "lowest_rib") at level ``name``; None
    clears it."""
    label = ANCHOR_LABELS[kind]
    state = controller.document.state
    if name is None:
        if state.counting_anchors is None:
            return
        text = f"Clear {label} anchor"
    else:
        text = f"Anchor {label} at {display_name(name, state.thoracic_prefix)}"
    controller._edit(text, edits.set_counting_anchor, kind, name)


def on_tolerance(controller: AnnotationController, tolerance: float) -> None:
    """A new tolerance re-grows a lesion grown from a seed (one undoable edit)."""
    spec = controller.document.state.lesion_spec
    if isinstance(spec, SeedLesion) and abs(spec.tolerance - tolerance) > 1e-9:
        controller.grow(spec.point_mm, tolerance)
