"""What a `SliceView` and its `ViewInteraction` use of the panel and the viewer around them.

`Viewer` makes its `SeriesPanel`s and they make their views; a view is given its panel and
viewer typed by these protocols, so that `slice_view`, `view_interaction` and `tools` do not
import `viewer` back (the import graph of ``app`` has no circle).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from PySide6.QtCore import QPointF, SignalInstance

from app.viewer.overlays import OverlayModel
from app.viewer.rendering import Window
from app.viewer.tools import ViewTool
from imaging.reslice import SliceGeometry, ViewPlane
from imaging.volume import Volume


class PanelLinks(Protocol):
    """The series panel a view belongs to: its series, its display window, its three views."""

    index: int
    display_window: Window
    views: list

    @property
    def volume(self) -> Volume | None: ...

    def title(self) -> str: ...

    def set_window(self, window: Window, preset: str = "Manual") -> None: ...


class ViewerLinks(Protocol):
    """The viewer a view belongs to: the linked point (in each series' own frame), the
    overlays, the active tool and view, the display switches and the signals a view emits on
    its behalf."""

    overlays: OverlayModel
    show_crosshair: bool
    show_patient_info: bool
    left_mode: str
    tool: ViewTool | None
    active_view: object | None
    #: the readout under the cursor (text)
    readout: SignalInstance
    #: a series was dropped on a view: (series key, panel index)
    series_dropped: SignalInstance

    def point_for(self, volume: Volume) -> np.ndarray: ...

    def set_point(
        self, point_mm: np.ndarray, frame_of_reference_uid: str | None = None
    ) -> None: ...

    def set_active_view(self, view: object) -> None: ...

    def toggle_maximized(self, view: object) -> None: ...


class InteractiveView(Protocol):
    """What `ViewInteraction` uses of its `SliceView`."""

    viewer: ViewerLinks
    panel: PanelLinks
    plane: ViewPlane
    geometry_: SliceGeometry | None

    @property
    def zoom(self) -> float: ...

    @property
    def volume(self) -> Volume | None: ...

    @property
    def slice_count(self) -> int: ...

    def center_uv(self) -> tuple[float, float]: ...

    def screen_px_per_mm(self) -> float: ...

    def screen_to_patient(self, point: QPointF) -> np.ndarray: ...

    def screen_to_pixel(self, point: QPointF) -> np.ndarray: ...

    def scroll_slices(self, steps: int) -> None: ...

    def value_at(self, point: QPointF) -> float | None: ...

    def set_center_uv(self, center_mm: tuple[float, float]) -> None: ...

    def set_zoom(self, zoom: float) -> None: ...

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None: ...

    def setFocus(self) -> None: ...
