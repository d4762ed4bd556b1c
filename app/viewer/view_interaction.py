"""`ViewInteraction`: what the mouse and the keyboard do in a `SliceView`.

Left button: the active tool first (`app/viewer/tools.py`), else the viewer's left mode
(crosshair, pan, zoom or window/level; Shift pans). Right drag sets window/level, middle drag
pans, the wheel scrolls slices (Ctrl: zooms about the cursor), the arrow, page, Home and End
keys scroll, a double click maximises the view. Moving the mouse reports the voxel under it on
the viewer's readout.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QWheelEvent

from app.viewer.plane_marks import PLANE_SHORT
from app.viewer.rendering import Window
from app.viewer.tools import PatientMouseEvent

if TYPE_CHECKING:
    from app.viewer.view_links import InteractiveView


class ViewInteraction:
    """Mouse and keyboard handling of one view, with the state of the drag under way."""

    def __init__(self, view: InteractiveView) -> None:
        self.view = view
        #: (mode, press position, state at the press) of a view drag, None when not dragging
        self._drag: tuple[str, QPointF, object] | None = None
        self._tool_drag = False

    def _patient_event(self, event: QMouseEvent) -> PatientMouseEvent | None:
        view = self.view
        if view.geometry_ is None:
            return None
        pixel = view.screen_to_pixel(event.position())
        return PatientMouseEvent(
            position_mm=view.geometry_.pixel_to_patient(pixel),
            pixel_xy=pixel,
            plane=view.plane,
            geometry=view.geometry_,
            button=event.button(),
            buttons=event.buttons(),
            modifiers=event.modifiers(),
            view=view,
        )

    def press(self, event: QMouseEvent) -> None:
        view, viewer = self.view, self.view.viewer
        view.setFocus(Qt.FocusReason.MouseFocusReason)
        viewer.set_active_view(view)
        if view.geometry_ is None:
            return
        button = event.button()
        pos = event.position()
        if button == Qt.MouseButton.LeftButton:
            tool = viewer.tool
            patient_event = self._patient_event(event)
            if tool is not None and patient_event is not None and tool.press(patient_event):
                self._tool_drag = True
                return
            mode = viewer.left_mode
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                mode = "pan"
        elif button == Qt.MouseButton.RightButton:
            mode = "window"
        elif button == Qt.MouseButton.MiddleButton:
            mode = "pan"
        else:
            return
        if mode == "crosshair":
            self._set_crosshair(pos)
        start_state: object = None
        if mode == "window":
            start_state = view.panel.display_window
        elif mode == "pan":
            start_state = view.center_uv()
        elif mode == "zoom":
            start_state = view.zoom
        self._drag = (mode, pos, start_state)

    def move(self, event: QMouseEvent) -> None:
        view, viewer = self.view, self.view.viewer
        pos = event.position()
        if self._tool_drag and viewer.tool is not None:
            patient_event = self._patient_event(event)
            if patient_event is not None:
                viewer.tool.move(patient_event)
        elif self._drag is not None:
            mode, start, state = self._drag
            dx, dy = pos.x() - start.x(), pos.y() - start.y()
            if mode == "crosshair":
                self._set_crosshair(pos)
            elif mode == "window":
                assert isinstance(state, Window)
                # right/left: wider/narrower window; down/up: higher/lower level
                width = max(1.0, state.width * math.exp(dx / 150.0))
                center = state.center + dy * state.width / 300.0
                view.panel.set_window(Window(center, width, state.invert), preset="Manual")
            elif mode == "pan":
                assert isinstance(state, tuple)
                scale = view.screen_px_per_mm()
                view.set_center_uv((state[0] - dx / scale, state[1] - dy / scale))
            elif mode == "zoom":
                assert isinstance(state, float)
                view.set_zoom(state * math.exp(-dy / 150.0))
        elif viewer.tool is not None and event.buttons() == Qt.MouseButton.NoButton:
            patient_event = self._patient_event(event)
            if patient_event is not None:
                viewer.tool.move(patient_event)
        self._emit_readout(pos)

    def _set_crosshair(self, pos: QPointF) -> None:
        """The linked point to ``pos``, in this view's frame of reference."""
        view = self.view
        assert view.volume is not None
        view.viewer.set_point(view.screen_to_patient(pos), view.volume.frame_of_reference_uid)

    def release(self, event: QMouseEvent) -> None:
        tool = self.view.viewer.tool
        if self._tool_drag and tool is not None:
            patient_event = self._patient_event(event)
            if patient_event is not None:
                tool.release(patient_event)
        self._tool_drag = False
        self._drag = None

    def double_click(self, event: QMouseEvent) -> None:
        viewer = self.view.viewer
        if event.button() == Qt.MouseButton.LeftButton and viewer.tool is None:
            viewer.toggle_maximized(self.view)

    def wheel(self, event: QWheelEvent) -> None:
        view = self.view
        delta = event.angleDelta().y()
        if delta == 0:
            return
        view.viewer.set_active_view(view)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            view.zoom_by(1.15 ** (delta / 120.0), event.position())
        else:
            steps = int(np.sign(delta)) * max(1, abs(delta) // 120)
            # wheel away from the user = previous slice, like most viewers
            view.scroll_slices(-steps)
        event.accept()

    def key(self, event: QKeyEvent) -> bool:
        """Scroll slices for the arrow, page, Home and End keys; False for any other key."""
        view = self.view
        key = event.key()
        page = max(1, view.slice_count // 10)
        steps: dict[int, int] = {
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_Left: -1,
            Qt.Key.Key_Right: 1,
            Qt.Key.Key_PageUp: -page,
            Qt.Key.Key_PageDown: page,
        }
        if key in steps:
            view.scroll_slices(steps[key])
        elif key == Qt.Key.Key_Home:
            view.scroll_slices(-view.slice_count)
        elif key == Qt.Key.Key_End:
            view.scroll_slices(view.slice_count)
        else:
            return False
        return True

    def _emit_readout(self, pos: QPointF) -> None:
        view = self.view
        g = view.geometry_
        if g is None:
            return
        xy = view.screen_to_pixel(pos)
        x, y = np.rint(xy).astype(int)
        if not (0 <= x < g.width and 0 <= y < g.height):
            view.viewer.readout.emit("")
            return
        xyz = g.pixel_to_patient(xy)
        value = view.value_at(pos)
        metadata = view.volume.metadata
        unit = f" {metadata.units}" if metadata.units else ""
        # the frame the numbers are in: an MR and a planning CT each have their own LPS
        frame = f"{metadata.modality} LPS" if metadata.modality else "LPS"
        view.viewer.readout.emit(
            f"{view.panel.title()} · {PLANE_SHORT[view.plane]} slice {g.index + 1}"
            f" · pixel ({x}, {y}) · value {value:.6g}{unit} · "
            f"{frame} ({xyz[0]:.1f}, {xyz[1]:.1f}, {xyz[2]:.1f}) mm"
        )
