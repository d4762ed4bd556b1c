"""Mouse tools: how later features (annotation) receive clicks and drags in patient mm.

A tool subclasses `ViewTool` and is made active with ``viewer.set_tool(tool)``. While it is
active every left-button press, drag and release on any view reaches it as a
`PatientMouseEvent` carrying the LPS position; returning True consumes the event, False lets
the view do its default (move the crosshair). Right-drag (window/level), middle-drag (pan),
wheel (scroll/zoom) stay with the view, so reading is never lost while a tool is active.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PySide6.QtCore import Qt

from imaging.reslice import SliceGeometry, ViewPlane
from imaging.volume import Volume


class EventView(Protocol):
    """What a tool may ask of the view an event happened on (a `SliceView`)."""

    @property
    def volume(self) -> Volume | None:
        """The series the view shows."""
        ...

    def screen_px_per_mm(self) -> float:
        """Screen pixels per patient mm at the view's zoom."""
        ...

    def update(self) -> None:
        """Repaint the view."""
        ...


@dataclass(frozen=True)
class PatientMouseEvent:
    """A mouse event on a view, in patient coordinates.

    Attributes
    ----------
    position_mm : LPS position under the cursor on the displayed slice, mm.
    pixel_xy : continuous pixel coordinates on the slice.
    plane : the view's plane; geometry : the full slice geometry.
    button : the button that changed (press/release) or NoButton (move).
    buttons, modifiers : Qt state at the event.
    view : the view the event happened on (for repaint or cursor changes).
    """

    position_mm: np.ndarray
    pixel_xy: np.ndarray
    plane: ViewPlane
    geometry: SliceGeometry
    button: Qt.MouseButton
    buttons: Qt.MouseButton
    modifiers: Qt.KeyboardModifier
    view: EventView


class ViewTool:
    """Base class of mouse tools; override the handlers you need (all return handled?)."""

    #: shown in the status bar while active
    name: str = "tool"
    cursor: Qt.CursorShape = Qt.CursorShape.CrossCursor

    def press(self, event: PatientMouseEvent) -> bool:
        return False

    def move(self, event: PatientMouseEvent) -> bool:
        return False

    def release(self, event: PatientMouseEvent) -> bool:
        return False

    def activated(self) -> None:
        """Called when the tool becomes active."""

    def deactivated(self) -> None:
        """Called when another tool (or none) takes over."""
