"""The fused display: the MR drawn over the CT views through the registration, and the MR's
levels and lesion mapped onto the CT, so the alignment can be judged at each vertebra.

A rigid matrix maps the MR's whole grid: the MR moved onto the CT is the same voxels with the
affine ``M @ affine`` (an exact rigid placement, no resampling). Each CT slice then samples it
with linear interpolation (`imaging.reslice.sample_window_on_plane`), as the viewer samples
any series on another grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter

from app.viewer.colours import qcolor
from app.viewer.overlays import LabelOverlay, MaskOverlay, OverlayItem, PolylineOverlay, ViewContext
from app.viewer.rendering import rgba_image
from imaging.reslice import sample_window_on_plane
from imaging.volume import Volume
from planning.case.annotation import Annotation
from planning.display import palette

#: side of the checkerboard's squares, mm
CHECKER_MM = 20.0
#: colour of the MR's levels and lesion drawn on the CT
MAPPED_COLOR = qcolor(palette.MAPPED)
#: half length of a mapped endplate line across the vertebral body, mm
ENDPLATE_HALF_MM = 22.0


def moved_onto_ct(volume: Volume, matrix_mm: np.ndarray) -> Volume:
    """``volume`` (MR LPS mm) placed in the CT's frame by the rigid ``matrix_mm``."""
    return Volume(volume.array, np.asarray(matrix_mm, float) @ volume.affine)


def display_grey(volume: Volume) -> Volume:
    """The MR as 0-255 grey (1st to 99th percentile), float32, for blending."""
    values = np.asarray(volume.array, dtype=np.float32)
    low, high = np.percentile(values[::2, ::2, ::2], (1.0, 99.0))
    scale = 255.0 / max(float(high - low), 1e-6)
    grey = np.clip((values - low) * scale, 0.0, 255.0).astype(np.float32)
    return Volume(grey, volume.affine)


@dataclass(eq=False)
class FusedImageOverlay(OverlayItem):
    """The MR (grey, moved onto the CT) blended over the CT views.

    ``blend`` 0-1 is the MR's opacity; with ``checkerboard`` the squares alternate between
    the MR (opaque) and the CT, so edges can be followed across the squares' borders.
    """

    image: Volume | None = None
    blend: float = 0.5
    checkerboard: bool = False

    kind: ClassVar[str] = "fused image"

    def paint(self, painter: QPainter, context: ViewContext) -> None:
        if self.image is None:
            return
        geometry = context.geometry
        sampled, (x0, y0) = sample_window_on_plane(self.image, geometry, order=1, fill=-1.0)
        if sampled.size == 0:
            return
        inside = sampled >= 0.0
        if not inside.any():
            return
        grey = np.clip(sampled, 0, 255).astype(np.uint8)
        rgba = np.zeros((*sampled.shape, 4), dtype=np.uint8)
        if self.checkerboard:
            rows, cols = np.indices(sampled.shape)
            spacing = (geometry.spacing_x_mm, geometry.spacing_y_mm)
            squares = (
                np.floor((cols + x0) * spacing[0] / CHECKER_MM)
                + np.floor((rows + y0) * spacing[1] / CHECKER_MM)
            ) % 2 == 0
            alpha = np.where(inside & squares, 255, 0).astype(np.uint8)
        else:
            alpha = np.where(inside, round(255 * float(np.clip(self.blend, 0, 1))), 0)
            alpha = alpha.astype(np.uint8)
        # premultiplied grey (Format_RGBA8888_Premultiplied)
        premultiplied = (grey.astype(np.uint16) * alpha // 255).astype(np.uint8)
        rgba[..., 0] = rgba[..., 1] = rgba[..., 2] = premultiplied
        rgba[..., 3] = alpha
        image = rgba_image(rgba)
        height, width = sampled.shape
        corners = context.pixel_to_screen(
            np.array([[x0 - 0.5, y0 - 0.5], [x0 + width - 0.5, y0 + height - 0.5]])
        )
        painter.drawImage(QRectF(QPointF(*corners[0]), QPointF(*corners[1])), image)


def mapped_marks(
    state: Annotation, matrix_mm: np.ndarray, ct: Volume, centre_xy_mm: np.ndarray
) -> list[OverlayItem]:
    """The MR's levels (endplates as short lines, names) and lesion drawn on the CT views
    (only the levels that fall inside the CT).

    ``centre_xy_mm`` is the MR x, y the endplate lines are centred on (the lesion's centre:
    the canal; the bodies lie in front of it).
    """
    ct_frame_uid = ct.frame_of_reference_uid
    low, high = ct.bounds_mm()
    matrix = np.asarray(matrix_mm, float)

    def to_ct(points: np.ndarray) -> np.ndarray:
        return np.asarray(points, float) @ matrix[:3, :3].T + matrix[:3, 3]

    items: list[OverlayItem] = []
    x, y = float(centre_xy_mm[0]), float(centre_xy_mm[1])
    common = dict(
        color=MAPPED_COLOR, role=palette.MAPPED, frame_of_reference_uid=ct_frame_uid, z=8.0
    )
    for level in state.levels:
        centre_z = 0.5 * (level.superior_z_mm + level.inferior_z_mm)
        if not low[2] <= to_ct(np.array([[x, y, centre_z]]))[0, 2] <= high[2]:
            continue
        for z in (level.superior_z_mm, level.inferior_z_mm):
            # across the body, antero-posterior: seen on the sagittal views
            line = to_ct(np.array([[x, y - 2 * ENDPLATE_HALF_MM, z], [x, y + 4.0, z]]))
            items.append(
                PolylineOverlay(
                    name=f"MR {level.name} endplate on the CT",
                    points_mm=line,
                    planes=frozenset({"sagittal"}),
                    width_px=1.5,
                    dashed=True,
                    **common,
                )
            )
        middle = to_ct(np.array([[x, y - 2 * ENDPLATE_HALF_MM, centre_z]]))[0]
        items.append(
            LabelOverlay(
                name=f"MR {level.name} on the CT",
                point_mm=tuple(float(v) for v in middle),
                text=f"MR {level.name}",
                planes=frozenset({"sagittal"}),
                show_marker=False,
                offset_px=(-52.0, 4.0),
                font_point_size=8.0,  # in front of the body, clear of the CT's own marks
                **common,
            )
        )
    if state.lesion_mask is not None:
        items.append(
            MaskOverlay(
                name="MR lesion on the CT",
                mask=moved_onto_ct(state.lesion_mask, matrix),
                opacity=0.3,
                **common,
            )
        )
    return items
