"""The point-pair tool: click the same vertebral body on the MR view and on the CT view.

While the tool is on (the Registration panel's **Pick points**, Tools > Pick registration
points, Ctrl+Alt+K), a left click on a view showing the chosen MR places the MR point there and
on a view showing the chosen CT the CT point; a press on a point already placed (within
:data:`GRAB_DISTANCE_PX` on screen) drags it, a click elsewhere on the same image replaces it.
Each click or drag is one step the panel's **Undo point** takes back. A click on a view of
another series is refused with a line saying so. Right drag, middle drag and the wheel stay
with the view, so the user can still scroll to the body and window the image.
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np

from app.viewer.tools import PatientMouseEvent, ViewTool
from imaging.volume import Volume

#: Which image a point belongs to.
Image = Literal["mr", "ct"]

#: How close (screen pixels) a press must be to a placed point to drag it.
GRAB_DISTANCE_PX = 10.0


class PointPairHost(Protocol):
    """What the tool asks of the Registration controller."""

    def image_of(self, volume: Volume | None) -> Image | None:
        """Whether ``volume`` is the chosen MR, the chosen CT, or neither (None)."""
        ...

    def point(self, which: Image) -> np.ndarray | None:
        """The MR or CT point placed so far (LPS mm of that image)."""
        ...

    def place_point(self, which: Image, point_mm: np.ndarray, before: np.ndarray | None) -> None:
        """Store the point as one undoable step (``before``: its value when the gesture began)."""
        ...

    def preview_point(self, which: Image, point_mm: np.ndarray) -> None:
        """Draw the point being dragged (not yet a step)."""
        ...

    def report(self, text: str) -> None:
        """Say why a click was refused."""
        ...


class PointPairTool(ViewTool):
    """See the module docstring."""

    name = "Point pair: click the same vertebral body on the MR view and on the CT view"

    def __init__(self, host: PointPairHost) -> None:
        self.host = host
        self._which: Image | None = None
        self._before: np.ndarray | None = None
        self._at: np.ndarray | None = None
        self._offset = np.zeros(3)  # from the cursor to the point being dragged, mm

    def press(self, event: PatientMouseEvent) -> bool:
        which = self.host.image_of(event.view.volume)
        if which is None:
            self.host.report(
                "Pick points: click the vertebral body on a view of the chosen MR or CT "
                "(this view shows another series)"
            )
            return True
        self._which, self._before = which, self.host.point(which)
        self._at = np.asarray(event.position_mm, float).copy()
        if self._before is not None and self._grabs(event, self._before):
            self._at = self._before.copy()  # a drag starts from the point, not from the press
            self._offset = self._at - event.position_mm
        else:
            self._offset = np.zeros(3)
            self.host.preview_point(which, self._at)
        return True

    def move(self, event: PatientMouseEvent) -> bool:
        if self._which is None:
            return False
        self._at = np.asarray(event.position_mm, float) + self._offset
        self.host.preview_point(self._which, self._at)
        return True

    def release(self, event: PatientMouseEvent) -> bool:
        if self._which is None or self._at is None:
            return False
        which, at, before = self._which, self._at, self._before
        self._which = self._at = self._before = None
        if before is not None and np.allclose(at, before):
            return True  # a click on the point itself: nothing changes
        self.host.place_point(which, at, before)
        return True

    def deactivated(self) -> None:
        self._which = self._at = self._before = None

    @staticmethod
    def _grabs(event: PatientMouseEvent, point: np.ndarray) -> bool:
        distance_mm = float(np.linalg.norm(np.asarray(event.position_mm, float) - point))
        return distance_mm * event.view.screen_px_per_mm() <= GRAB_DISTANCE_PX
