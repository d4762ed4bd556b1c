"""The edema tool: set the superior and inferior edema limits by dragging two lines.

On a sagittal (or coronal) view, a press-drag-release with no edema marked sets both limits at
the ends of the drag; pressing near a limit line drags that limit; a click elsewhere moves the
nearer limit there. Each completed drag is one undoable edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.viewer.tools import PatientMouseEvent, ViewTool
from planning.case import Case, edits

if TYPE_CHECKING:
    from app.annotation.tool_host import ToolHost

GRAB_DISTANCE_PX = 8.0


class EdemaTool(ViewTool):
    """See the module docstring."""

    name = "Edema limits: drag on a sagittal view"

    def __init__(self, controller: ToolHost) -> None:
        self.controller = controller
        self._mode: str | None = None  # "new", "superior" or "inferior"
        self._start_z = 0.0
        self._preview: Case | None = None

    def press(self, event: PatientMouseEvent) -> bool:
        document = self.controller.document
        if not self.controller.accepts(event) or event.plane == "axial":
            return False
        z = float(event.position_mm[2])
        edema = document.current.edema
        self._start_z = z
        if edema is None:
            self._mode = "new"
        else:
            tolerance = GRAB_DISTANCE_PX / max(event.view.screen_px_per_mm(), 1e-6)
            to_top, to_bottom = abs(edema.superior_z_mm - z), abs(edema.inferior_z_mm - z)
            self._mode = "superior" if to_top <= to_bottom else "inferior"
            if min(to_top, to_bottom) > tolerance:
                self._update(z)  # a click away from both lines moves the nearer one
        return True

    def _limits(self, z: float) -> tuple[float, float]:
        edema = self.controller.document.current.edema
        if self._mode == "new" or edema is None:
            return self._start_z, z
        if self._mode == "superior":
            return z, edema.inferior_z_mm
        return edema.superior_z_mm, z

    def _update(self, z: float) -> None:
        top, bottom = self._limits(z)
        self._preview = edits.set_edema(self.controller.document.current, top, bottom)
        self.controller.preview(self._preview)

    def move(self, event: PatientMouseEvent) -> bool:
        if self._mode is None:
            return False
        self._update(float(event.position_mm[2]))
        return True

    def release(self, event: PatientMouseEvent) -> bool:
        if self._mode is None:
            return False
        top, bottom = self._limits(float(event.position_mm[2]))
        mode, self._mode, self._preview = self._mode, None, None
        if mode == "new" and abs(top - bottom) < 1.0:
            self.controller.report("drag from the upper to the lower edema limit")
            self.controller.refresh()
            return True
        document = self.controller.document
        text = "Mark edema" if mode == "new" else f"Move edema {mode} limit"
        document.apply(text, edits.set_edema(document.current, top, bottom))
        return True
