"""Lesion tools: brush and eraser (radius in mm, any view), seed growing, ellipsoid placement.

All three give one boolean mask on the reference (post-contrast) grid. A brush stroke is one
undoable edit (the mask is copied at the press and shown live while dragging); the seed grows
on the post-contrast series with the panel's tolerance; the ellipsoid is dragged out from its
centre, its in-plane radii following the drag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.viewer.tools import PatientMouseEvent, ViewTool
from imaging.errors import SpineplanError
from planning.anatomy.lesion import EllipsoidLesion, SeedLesion, ellipsoid_mask, grow_region
from planning.case import Case, edits

if TYPE_CHECKING:
    from app.annotation.tool_host import LesionHost

#: Smallest ellipsoid radius a drag (or a plain click) places, mm.
MIN_ELLIPSOID_RADIUS_MM = 2.0


class BrushTool(ViewTool):
    """Paint (or, with ``erase=True``, erase) with a disc of the panel's radius into the
    lesion or into the structure chosen in the panel's Paint into (``controller.paint_target``)."""

    def __init__(self, controller: LesionHost, erase: bool = False) -> None:
        self.controller = controller
        self.erase = erase
        self.name = "Eraser" if erase else "Brush"
        self._mask: np.ndarray | None = None
        self._changed = False
        #: the structure being painted (None: the lesion), fixed at the press
        self._target: str | None = None

    def _preview(self) -> None:
        reference = self.controller.document.reference
        assert reference is not None and self._mask is not None
        if self._target is None:
            self.controller.preview_lesion(reference.with_array(self._mask))
        else:
            self.controller.preview_structure(self._target, reference.with_array(self._mask))

    def _stamp(self, event: PatientMouseEvent) -> None:
        reference = self.controller.document.reference
        assert reference is not None and self._mask is not None
        self._changed |= edits.stamp_ball(
            self._mask,
            reference,
            event.position_mm,
            self.controller.brush_radius_mm,
            plane_normal=event.geometry.normal_direction,
            half_thickness_mm=event.geometry.slice_spacing_mm / 2.0,
            value=not self.erase,
        )

    def press(self, event: PatientMouseEvent) -> bool:
        document = self.controller.document
        if not self.controller.accepts(event):
            return False
        self._target = self.controller.paint_target
        if self._target is None:
            current = document.current.lesion_mask
            what = "the lesion"
        else:
            existing = document.current.structure(self._target)
            current = existing.mask if existing is not None else None
            what = self._target
        if current is not None and not current.same_grid(document.reference):
            self.controller.report(f"{what} lies on another grid; delete it to paint")
            return True
        self._mask = (
            current.array.astype(bool, copy=True)
            if current is not None
            else np.zeros(document.reference.shape, dtype=bool)
        )
        self._changed = False
        self._stamp(event)
        self._preview()
        return True

    def move(self, event: PatientMouseEvent) -> bool:
        if self.controller.document.reference is not None:
            self.controller.preview_brush(event)
        if self._mask is None:
            return False
        self._stamp(event)
        self._preview()
        return True

    def deactivated(self) -> None:
        self.controller.preview_brush(None)

    def release(self, event: PatientMouseEvent) -> bool:
        if self._mask is None:
            return False
        mask, self._mask = self._mask, None
        document = self.controller.document
        if not self._changed:
            self.controller.refresh()
            return True
        painted = document.reference.with_array(mask)
        if self._target is None:
            new_state = edits.set_lesion(document.current, painted, None)
            document.apply("Erase lesion" if self.erase else "Paint lesion", new_state)
            return True
        try:
            new_state = edits.set_structure(document.current, self._target, painted, None)
        except SpineplanError as error:
            self.controller.report(str(error))
            self.controller.refresh()
            return True
        document.apply(f"{'Erase' if self.erase else 'Paint'} {self._target}", new_state)
        return True


class SeedTool(ViewTool):
    """Click inside the enhancing lesion: the region grows on the post-contrast series."""

    name = "Grow from seed"

    def __init__(self, controller: LesionHost) -> None:
        self.controller = controller

    def press(self, event: PatientMouseEvent) -> bool:
        if not self.controller.accepts(event):
            return False
        self.controller.grow(tuple(float(v) for v in event.position_mm))
        return True

    def release(self, event: PatientMouseEvent) -> bool:
        return True


def grow_state(
    state: Case, post_contrast, seed_mm: tuple[float, float, float], tolerance: float
) -> tuple[Case, tuple[str, ...]]:
    """The state with the lesion grown from ``seed_mm`` and the warnings about the region (tiny,
    or reaching the growth limit); raises `SpineplanError` on failure."""
    grown = grow_region(post_contrast, seed_mm, tolerance)
    return edits.set_lesion(
        state, grown.mask, SeedLesion(seed_mm, float(tolerance))
    ), grown.warnings


class EllipsoidTool(ViewTool):
    """Press at the lesion centre and drag: the in-plane radii follow the drag; the radius
    across the plane is the smaller in-plane one. Replaces the current lesion."""

    name = "Ellipsoid"

    def __init__(self, controller: LesionHost) -> None:
        self.controller = controller
        self._centre: np.ndarray | None = None
        self._radii: tuple[float, float, float] | None = None

    def _radii_for(self, event: PatientMouseEvent) -> tuple[float, float, float]:
        assert self._centre is not None
        delta = np.abs(event.position_mm - self._centre)
        normal_axis = int(np.argmax(np.abs(event.geometry.normal_direction)))
        radii = np.maximum(delta, MIN_ELLIPSOID_RADIUS_MM)
        in_plane = [axis for axis in range(3) if axis != normal_axis]
        radii[normal_axis] = min(radii[in_plane[0]], radii[in_plane[1]])
        return tuple(float(r) for r in radii)  # type: ignore[return-value]

    def press(self, event: PatientMouseEvent) -> bool:
        if not self.controller.accepts(event):
            return False
        self._centre = event.position_mm.copy()
        self._radii = self._radii_for(event)
        self.controller.preview_ellipse(self._centre, self._radii)
        return True

    def move(self, event: PatientMouseEvent) -> bool:
        if self._centre is None:
            return False
        self._radii = self._radii_for(event)
        self.controller.preview_ellipse(self._centre, self._radii)
        return True

    def release(self, event: PatientMouseEvent) -> bool:
        if self._centre is None:
            return False
        centre = tuple(float(v) for v in self._centre)
        radii = self._radii_for(event)
        self._centre = None
        self.controller.preview_ellipse(None, None)
        document = self.controller.document
        try:
            mask = ellipsoid_mask(document.reference, centre, radii)
        except SpineplanError as error:
            self.controller.report(str(error))
            return True
        spec = EllipsoidLesion(centre, radii)  # type: ignore[arg-type]
        new_state = edits.set_lesion(document.current, mask, spec)
        if new_state.lesion_mask is None:
            self.controller.report("the ellipsoid holds no voxel of the series: drag it larger")
            return True
        document.apply("Place ellipsoid lesion", new_state)
        return True
