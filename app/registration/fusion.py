"""The fused display: the MR drawn over the CT views through the registration, and the MR's
levels and lesion mapped onto the CT, so the alignment can be judged at each vertebra.

A rigid matrix maps the MR's whole grid: the MR moved onto the CT is the same voxels with the
affine ``M @ affine`` (an exact rigid placement, no resampling). Each CT slice then samples it
with linear interpolation (`imaging.reslice.sample_window_on_plane`), as the viewer samples
any series on another grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter, QPen

from app.viewer.colours import qcolor
from app.viewer.overlays import LabelOverlay, MaskOverlay, OverlayItem, PolylineOverlay, ViewContext
from app.viewer.rendering import rgba_image
from imaging.reslice import sample_window_on_plane
from imaging.volume import Volume
from planning.case import Case
from planning.display import palette

#: side of the checkerboard's squares, mm
CHECKER_MM = 20.0
#: colour of the MR's levels and lesion drawn on the CT
MAPPED_COLOR = qcolor(palette.MAPPED)
#: the swipe divider and its "MR | CT" names: white, apart from the blues of the isodose and
#: the MR's mapped marks that run beside it
DIVIDER_COLOR = qcolor(palette.WHITE)
#: heights above a view's bottom, px, tried in turn for the "MR"/"CT" names (swipe, flicker):
#: the first clear of the corner text (slice, window, zoom)
NAME_LIFTS_PX = (8.0, 40.0, 72.0, 104.0)
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


class FusionMode(StrEnum):
    """How the MR and the CT share a view."""

    BLEND = "blend"  # the MR over the CT at the blend's opacity
    CHECKERBOARD = "checkerboard"  # squares of MR and CT
    SWIPE = "swipe"  # MR left of a vertical divider, CT right of it
    FLICKER = "flicker"  # MR and CT in turn (the controller's timer flips ``flicker_mr``)


@dataclass(eq=False)
class FusedImageOverlay(OverlayItem):
    """The MR (grey, moved onto the CT) drawn over the CT views in one of the `FusionMode`.

    ``blend`` 0-1 is the MR's opacity in BLEND; CHECKERBOARD alternates squares of MR (opaque)
    and CT, so edges can be followed across the squares' borders; SWIPE shows the MR left of a
    divider at ``swipe_fraction`` of each view's width and the CT right of it (edges are
    followed across the divider as it moves); FLICKER shows the MR alone while ``flicker_mr``,
    else the CT alone.
    """

    image: Volume | None = None
    blend: float = 0.5
    mode: FusionMode = FusionMode.BLEND
    swipe_fraction: float = 0.5
    flicker_mr: bool = True

    kind: ClassVar[str] = "fused image"

    def divider_x(self, context: ViewContext) -> float:
        """The swipe divider's widget x on a view (MR left of it)."""
        rect = context.visible_rect()
        return rect.left() + float(np.clip(self.swipe_fraction, 0.0, 1.0)) * rect.width()

    def _alpha(
        self, context: ViewContext, inside: np.ndarray, origin: tuple[int, int]
    ) -> np.ndarray:
        """The MR's opacity (0-255) at each sampled pixel of the view's slice."""
        x0, y0 = origin
        if self.mode is FusionMode.CHECKERBOARD:
            rows, cols = np.indices(inside.shape)
            spacing = (context.geometry.spacing_x_mm, context.geometry.spacing_y_mm)
            squares = (
                np.floor((cols + x0) * spacing[0] / CHECKER_MM)
                + np.floor((rows + y0) * spacing[1] / CHECKER_MM)
            ) % 2 == 0
            return np.where(inside & squares, 255, 0).astype(np.uint8)
        if self.mode is FusionMode.SWIPE:
            rows, cols = np.indices(inside.shape)
            centres = np.column_stack([(cols + x0).ravel(), (rows + y0).ravel()]).astype(float)
            screen_x = context.pixel_to_screen(centres)[:, 0].reshape(inside.shape)
            return np.where(inside & (screen_x < self.divider_x(context)), 255, 0).astype(np.uint8)
        if self.mode is FusionMode.FLICKER:
            return np.where(inside & self.flicker_mr, 255, 0).astype(np.uint8)
        opacity = round(255 * float(np.clip(self.blend, 0, 1)))
        return np.where(inside, opacity, 0).astype(np.uint8)

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
        alpha = self._alpha(context, inside, (x0, y0))
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
        if self.mode is FusionMode.SWIPE:
            self._paint_divider(painter, context)
        elif self.mode is FusionMode.FLICKER:
            self._paint_flicker_name(painter, context)

    def _paint_flicker_name(self, painter: QPainter, context: ViewContext) -> None:
        """ "MR" or "CT", whichever flicker shows, at the bottom middle of the view: on the
        phantom and on many patients the two greys alone do not say which image is up."""
        rect = context.visible_rect()
        painter.save()
        painter.setPen(DIVIDER_COLOR)
        font = painter.font()
        font.setPointSizeF(11.0)
        font.setBold(True)
        painter.setFont(font)
        text = "MR" if self.flicker_mr else "CT"
        metrics = painter.fontMetrics()
        # both names take the same box, so the label does not hop between ticks
        width = float(max(metrics.horizontalAdvance("MR"), metrics.horizontalAdvance("CT")))
        height = float(metrics.height())
        x = rect.center().x() - width / 2.0
        for lift in NAME_LIFTS_PX:
            baseline = rect.bottom() - lift
            box = QRectF(x - 4.0, baseline - height, width + 8.0, height + 4.0)
            if context.is_free(box):
                break
        context.occupied.append(box)
        painter.drawText(QPointF(x, baseline), text)
        painter.restore()

    def _paint_divider(self, painter: QPainter, context: ViewContext) -> None:
        """The divider as a line the height of the view, "MR" and "CT" on its two sides."""
        rect, x = context.visible_rect(), self.divider_x(context)
        painter.save()
        pen = QPen(DIVIDER_COLOR, 2.0)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        font = painter.font()
        font.setPointSizeF(9.0)
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width, height = metrics.horizontalAdvance("MR"), float(metrics.height())
        # near the bottom, above the corner text (slice, window, zoom) where it would cover it
        for lift in NAME_LIFTS_PX:
            baseline = rect.bottom() - lift
            names = QRectF(x - 8.0 - width, baseline - height, 2 * width + 16.0, height + 4.0)
            if context.is_free(names):
                break
        context.occupied.append(names)
        painter.drawText(QPointF(x - 6.0 - width, baseline), "MR")
        painter.drawText(QPointF(x + 6.0, baseline), "CT")
        painter.restore()


def mapped_marks(
    state: Case, matrix_mm: np.ndarray, ct: Volume, centre_xy_mm: np.ndarray
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
                leave_out_when_crowded=True,  # zoomed out, every other name: never a pile
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
