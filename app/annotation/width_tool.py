"""The body-width tool: draw a ruler across a vertebral body to measure its left-right width.

On an axial or coronal view, a press-drag-release draws a ruler; on release its left-right
extent becomes the body width of the labelled level whose endplates enclose the ruler (see
`planning.case.edits.measure_body_width`), one undoable edit. The sagittal view is
refused: it has no left-right direction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.viewer.tools import PatientMouseEvent, ViewTool

if TYPE_CHECKING:
    from app.annotation.tool_host import WidthHost

#: Shown when the tool is used on a sagittal view.
SAGITTAL_REFUSAL = (
    "Body width: the width is left-right, which a sagittal view does not show; "
    "draw the ruler on an axial or coronal view"
)


class BodyWidthTool(ViewTool):
    """See the module docstring."""

    name = "Body width: drag across a vertebral body on an axial or coronal view"

    def __init__(self, controller: WidthHost) -> None:
        self.controller = controller
        self._start_mm: np.ndarray | None = None

    def press(self, event: PatientMouseEvent) -> bool:
        if not self.controller.accepts(event):
            return False
        if event.plane == "sagittal":
            self.controller.report(SAGITTAL_REFUSAL)
            self._start_mm = None
            return True  # consumed: the refused drag does not move the crosshair either
        self._start_mm = event.position_mm.copy()
        return True

    def move(self, event: PatientMouseEvent) -> bool:
        if self._start_mm is None:
            return False
        self.controller.preview_width_ruler(self._start_mm, event.position_mm, event.plane)
        return True

    def release(self, event: PatientMouseEvent) -> bool:
        start, self._start_mm = self._start_mm, None
        self.controller.preview_width_ruler(None)
        if start is None:
            return True
        self.controller.measure_body_width(start, event.position_mm)
        return True

    def deactivated(self) -> None:
        self._start_mm = None
        self.controller.preview_width_ruler(None)
