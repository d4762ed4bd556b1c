"""What the tools draw while they are being used, before any edit: the outline of the brush
at the cursor, the ellipsoid being placed and the body-width ruler being dragged.

`ToolPreviews` owns these temporary overlay items; the controller's `preview_brush`,
`preview_ellipse` and `preview_width_ruler` delegate here. Passing ``None`` removes an item.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.annotation.body_width import is_oblique
from app.annotation.overlays import LEVEL_COLOR, WidthRulersOverlay
from app.viewer.colours import qcolor
from app.viewer.overlays import PolylineOverlay
from imaging.reslice import ViewPlane
from planning.case import annotation as edits
from planning.display import palette

if TYPE_CHECKING:
    from app.viewer.viewer import Viewer


class ToolPreviews:
    """The preview items of the tools on ``viewer``'s overlays (see the module docstring)."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.ellipse_items: list[PolylineOverlay] = []
        self.brush_item: PolylineOverlay | None = None
        self.ruler_item: WidthRulersOverlay | None = None

    def show_ellipse(self, centre, radii) -> None:
        """Outline the ellipsoid of ``centre`` and ``radii`` (LPS mm) on its three planes."""
        overlays = self.viewer.overlays
        for item in self.ellipse_items:
            overlays.remove(item)
        self.ellipse_items = []
        if centre is None or radii is None:
            return
        t = np.linspace(0, 2 * np.pi, 49)
        c = np.asarray(centre, float)
        for plane, (a, b) in (("sagittal", (1, 2)), ("coronal", (0, 2)), ("axial", (0, 1))):
            points = np.repeat(c[None], len(t), axis=0)
            points[:, a] += radii[a] * np.cos(t)
            points[:, b] += radii[b] * np.sin(t)
            self.ellipse_items.append(
                PolylineOverlay(
                    name="Ellipsoid being placed",
                    points_mm=points,
                    closed=True,
                    color=qcolor(palette.LESION_PREVIEW),
                    role=palette.LESION_PREVIEW,
                    planes=frozenset({plane}),
                    z=30,
                )
            )
        overlays.extend(self.ellipse_items)

    def show_width_ruler(self, start_mm, end_mm=None, plane: ViewPlane | None = None) -> None:
        """Draw the ruler being dragged on views of ``plane`` with its live width."""
        overlays = self.viewer.overlays
        if start_mm is None or end_mm is None:
            if self.ruler_item is not None:
                overlays.remove(self.ruler_item)
                self.ruler_item = None
            return
        ruler = edits.WidthRuler(
            tuple(float(v) for v in start_mm),  # type: ignore[arg-type]
            tuple(float(v) for v in end_mm),  # type: ignore[arg-type]
        )
        segments = np.array([[ruler.start_mm, ruler.end_mm]], dtype=float)
        text = f"{ruler.width_mm:.1f} mm"
        if is_oblique(ruler):
            text += f" (length {ruler.length_mm:.1f})"
        if self.ruler_item is None:
            self.ruler_item = WidthRulersOverlay(
                name="Body width being measured", color=LEVEL_COLOR, z=40, min_coronal_px=0.0
            )
            self.ruler_item.segments_mm = segments
            self.ruler_item.texts = [text]
            self.ruler_item.z_ranges_mm = np.array([[-np.inf, np.inf]])
            self.ruler_item.planes = frozenset({plane}) if plane else None
            overlays.add(self.ruler_item)
            return
        self.ruler_item.segments_mm = segments
        self.ruler_item.texts = [text]
        self.ruler_item.planes = frozenset({plane}) if plane else None
        overlays.changed_item(self.ruler_item)

    def show_brush(self, event, radius_mm: float) -> None:
        """Outline the brush (a circle of ``radius_mm`` in the view's plane) at the cursor of
        ``event``."""
        overlays = self.viewer.overlays
        if event is None:
            if self.brush_item is not None:
                overlays.remove(self.brush_item)
                self.brush_item = None
            return
        g = event.geometry
        t = np.linspace(0, 2 * np.pi, 41)[:, None]
        points = event.position_mm + radius_mm * (
            np.cos(t) * g.right_direction + np.sin(t) * g.down_direction
        )
        if self.brush_item is None:
            self.brush_item = PolylineOverlay(
                name="Brush outline", color=qcolor(palette.BRUSH), closed=True, width_px=1.0, z=40
            )
            self.brush_item.points_mm = points
            self.brush_item.planes = frozenset({event.plane})
            self.brush_item.max_distance_mm = g.slice_spacing_mm / 2 + 0.01
            overlays.add(self.brush_item)
        else:
            self.brush_item.points_mm = points
            self.brush_item.planes = frozenset({event.plane})
            self.brush_item.max_distance_mm = g.slice_spacing_mm / 2 + 0.01
            overlays.changed_item(self.brush_item)
