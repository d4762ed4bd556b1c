"""The levels tool: click vertebral bodies to label them, drag endplates to adjust them.

A click outside the labelled bodies marks a new body (named in sequence, see
`state.add_body`); a press-drag-release marks it with its superior and inferior endplates at
the two ends of the drag. Pressing near an endplate line drags that endplate; a click inside a
body selects it in the Levels panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.viewer.tools import PatientMouseEvent, ViewTool
from imaging.errors import SpineplanError
from planning.anatomy.levels import display_name
from planning.case import Case, edits

if TYPE_CHECKING:
    from app.annotation.tool_host import LevelsHost

#: How close (screen pixels) a press must be to an endplate line to grab it.
GRAB_DISTANCE_PX = 6.0


class LevelsTool(ViewTool):
    """See the module docstring."""

    name = "Levels: click a vertebral body (drag from its top to its bottom endplate)"

    def __init__(self, controller: LevelsHost) -> None:
        self.controller = controller
        self._grab: tuple[str, edits.Endplate] | None = None
        self._press_mm = None
        self._preview: Case | None = None

    def _nearest_endplate(self, event: PatientMouseEvent) -> tuple[str, edits.Endplate] | None:
        if event.plane == "axial":
            return None
        tolerance_mm = GRAB_DISTANCE_PX / max(event.view.screen_px_per_mm(), 1e-6)
        z = float(event.position_mm[2])
        best = None
        for level in self.controller.document.current.levels:
            for which, endplate_z in (
                ("superior", level.superior_z_mm),
                ("inferior", level.inferior_z_mm),
            ):
                distance = abs(endplate_z - z)
                if distance <= tolerance_mm and (best is None or distance < best[0]):
                    best = (distance, level.name, which)
        return None if best is None else (best[1], best[2])  # type: ignore[return-value]

    def press(self, event: PatientMouseEvent) -> bool:
        if not self.controller.accepts(event):
            return False
        self._grab = self._nearest_endplate(event)
        self._press_mm = event.position_mm.copy()
        self._preview = None
        if self._grab is None:
            body = edits.body_at(
                self.controller.document.current.levels, float(event.position_mm[2])
            )
            if body is not None:
                self.controller.select_level(body.name)
                self._press_mm = None
        return True

    def move(self, event: PatientMouseEvent) -> bool:
        if self._grab is None or self._press_mm is None:
            return False
        name, which = self._grab
        try:
            self._preview = edits.move_endplate(
                self.controller.document.current, name, which, float(event.position_mm[2])
            )
        except SpineplanError:
            return True
        self.controller.preview(self._preview)
        return True

    def release(self, event: PatientMouseEvent) -> bool:
        press, grab = self._press_mm, self._grab
        self._press_mm, self._grab = None, None
        if press is None:
            return True
        document = self.controller.document
        if grab is not None:
            name, which = grab
            if self._preview is not None:
                prefix = document.current.thoracic_prefix
                document.apply(f"Move {display_name(name, prefix)} {which} endplate", self._preview)
            self._preview = None
            return True
        top, bottom = float(press[2]), float(event.position_mm[2])
        dragged = abs(top - bottom) >= edits.MIN_BODY_HEIGHT_MM
        centre = (press + event.position_mm) / 2 if dragged else press
        try:
            new_state, name = edits.add_body(
                document.current,
                centre,
                self.controller.first_level_name(),
                top if dragged else None,
                bottom if dragged else None,
            )
        except SpineplanError as error:
            self.controller.report(str(error))
            return True
        document.apply(f"Label {display_name(name, new_state.thoracic_prefix)}", new_state)
        self.controller.select_level(name)
        return True
