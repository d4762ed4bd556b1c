"""What the annotation panels ask for, made into edits of the document.

The Levels panel renames, renumbers and deletes levels, switches T/D naming, clears a body
width, sets a counting anchor and selects a level; the Lesion panel clears the lesion, re-grows
it with another tolerance and chooses or deletes the structure to paint into; the Edema panel
clears the edema. Every edit is one undoable step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QSettings

from app.annotation.dock import AnnotationDock
from app.annotation.document import AnnotationDocument
from app.host_window import HostWindow
from planning.anatomy.lesion import SeedLesion
from planning.anatomy.levels import display_name
from planning.case import Case, edits

#: QSettings key of the thoracic naming preference ("T" or "D").
PREFIX_SETTING = "annotation/thoracic_prefix"
#: The counting anchors' names as the undo texts say them.
ANCHOR_LABELS = {
    "c2": "C2",
    "s1": "S1",
    "lowest_rib": "lowest rib",
    "first_lumbar": "first lumbar",
    "conus_tip": "conus tip",
}


class PanelEditor(Protocol):
    """What the panels' requests need from the annotation controller."""

    document: AnnotationDocument

    def edit(self, text: str, function: Callable[..., Case], *args: object) -> None:
        """Apply ``function(state, *args)`` as one undoable edit named ``text``."""
        ...

    def grow(self, seed_mm: tuple[float, float, float], tolerance: float | None = None) -> None: ...

    def clear_body_width(self, name: str) -> None: ...

    def set_selected_level(self, name: str | None) -> None: ...

    def choose_new_structure(self) -> None: ...

    def delete_structure(self, name: str) -> None: ...


def connect_panels(panels: AnnotationDock, c: PanelEditor, window: HostWindow) -> None:
    """Connect the panels' requests to the editor ``c``; the T/D preference is kept in
    ``window.settings``, the Paint into choice said in its status bar."""
    lp = panels.levels_panel
    lp.rename_requested.connect(
        lambda old, new: c.edit(f"Rename {old} to {new}", edits.rename, old, new)
    )
    lp.renumber_requested.connect(
        lambda old, new: c.edit(f"Renumber from {new}", edits.renumber, old, new)
    )
    lp.delete_requested.connect(lambda name: c.edit(f"Delete {name}", edits.delete_level, name))
    lp.prefix_requested.connect(lambda prefix: on_prefix(c, window.settings, prefix))
    lp.clear_width_requested.connect(c.clear_body_width)
    lp.anchor_requested.connect(lambda kind, name: on_anchor(c, kind, name))
    lp.selection_changed.connect(c.set_selected_level)
    panels.lesion_panel.clear_requested.connect(
        lambda: c.edit("Clear lesion", edits.set_lesion, None, None)
    )
    panels.lesion_panel.tolerance_chosen.connect(lambda tolerance: on_tolerance(c, tolerance))
    panels.lesion_panel.target_chosen.connect(
        lambda name: window.statusBar().showMessage(f"The brush paints into: {name}", 4000)
    )
    panels.lesion_panel.new_structure_requested.connect(c.choose_new_structure)
    panels.lesion_panel.delete_structure_requested.connect(c.delete_structure)
    panels.edema_panel.clear_requested.connect(
        lambda: c.edit("Clear edema", edits.set_edema, None, None)
    )


def on_prefix(editor: PanelEditor, settings: QSettings | None, prefix: str) -> None:
    """T or D naming: an edit of the case, and the preference new cases start with."""
    if settings is not None:
        settings.setValue(PREFIX_SETTING, prefix)
    if prefix != editor.document.current.thoracic_prefix:
        editor.edit(f"{prefix}1-{prefix}12 naming", edits.set_thoracic_prefix, prefix)


def preferred_prefix(settings: QSettings | None) -> str:
    """The thoracic prefix the user chose last (T unless they chose D)."""
    value = str(settings.value(PREFIX_SETTING, "T")) if settings is not None else "T"
    return value if value in ("T", "D") else "T"


def on_anchor(editor: PanelEditor, kind: str, name: str | None) -> None:
    """Anchor the counting of ``kind`` (a key of :data:`ANCHOR_LABELS`) at level ``name``; None
    clears it."""
    label = ANCHOR_LABELS[kind]
    state = editor.document.current
    if name is None:
        if state.counting_anchors is None:
            return
        text = f"Clear {label} anchor"
    else:
        text = f"Anchor {label} at {display_name(name, state.thoracic_prefix)}"
    editor.edit(text, edits.set_counting_anchor, kind, name)


def on_tolerance(editor: PanelEditor, tolerance: float) -> None:
    """A new tolerance re-grows a lesion grown from a seed (one undoable edit)."""
    spec = editor.document.current.lesion
    if isinstance(spec, SeedLesion) and abs(spec.tolerance - tolerance) > 1e-9:
        editor.grow(spec.point_mm, tolerance)
