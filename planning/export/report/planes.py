"""The report's image planes: background, dose and masks resampled on a sagittal/axial plane.

Pure numpy/scipy: the planes are drawn by :mod:`planning.export.report.plane_drawing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from imaging.volume import Volume
from planning.anatomy.levels import display_name
from planning.anatomy.structures import is_cord
from planning.display import palette
from planning.display.palette import Role
from planning.dose.beam_setup import inside_field
from planning.export.report.formatting import format_mm
from planning.plan import PlanResult

#: Pixel size of the rendered image planes, mm.
IMAGE_PIXEL_MM = 0.75


@dataclass(frozen=True)
class ImagePlane:
    """A rendered plane: background (0-255), dose (% of prescription) and overlays (masks).

    ``origin_mm`` is the LPS position of pixel (0, 0); ``right_mm`` and ``down_mm`` the LPS step
    per column and per row.
    """

    title: str
    background: np.ndarray
    dose_percent: np.ndarray
    field: np.ndarray
    lesion: np.ndarray
    left_label: str
    right_label: str
    top_label: str
    bottom_label: str
    #: (row, text) marks drawn at the left edge: vertebral level names on the sagittal view.
    row_marks: tuple[tuple[float, str], ...] = ()
    #: the case's other structures (the cord...): (mask fraction on the plane, palette role)
    structures: tuple[tuple[np.ndarray, Role], ...] = ()


def _plane_points(origin: np.ndarray, right: np.ndarray, down: np.ndarray, shape: tuple[int, int]):
    rows, columns = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    return (
        origin[None, None, :]
        + columns[..., None] * right[None, None, :]
        + rows[..., None] * down[None, None, :]
    )


def _sample(volume: Volume, points: np.ndarray, order: int = 1) -> np.ndarray:
    ijk = volume.patient_to_index(points.reshape(-1, 3))
    values = ndimage.map_coordinates(
        np.asarray(volume.array, dtype=np.float32),
        [ijk[:, 2], ijk[:, 1], ijk[:, 0]],
        order=order,
        mode="grid-constant",
        cval=np.nan,
    )
    return values.reshape(points.shape[:2])


def _window(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(values.shape, dtype=np.uint8)
    low, high = np.percentile(finite, [1.0, 99.5])
    if high <= low:
        high = low + 1.0
    scaled = np.clip((np.nan_to_num(values, nan=low) - low) / (high - low), 0.0, 1.0)
    return np.ascontiguousarray((scaled * 255).astype(np.uint8))


def _render_plane(
    result: PlanResult,
    background: Volume,
    title: str,
    origin: np.ndarray,
    right: np.ndarray,
    down: np.ndarray,
    shape: tuple[int, int],
    labels: tuple[str, str, str, str],
    row_marks: tuple[tuple[float, str], ...] = (),
) -> ImagePlane:
    points = _plane_points(origin, right, down, shape)
    dose = _sample(result.dose_gy, points)
    percent = np.nan_to_num(100.0 * dose / result.prescription.dose_gy, nan=0.0)
    lesion = _sample(
        result.lesion_mask.with_array(result.lesion_mask.array.astype(np.float32)), points
    )
    # the whole structure (a cord drawn far beyond the dose grid) where it is known
    masks = [s.native_mask if s.native_mask is not None else s.mask for s in result.structure_doses]
    structures = tuple(
        (
            np.nan_to_num(_sample(mask.with_array(mask.array.astype(np.float32)), points)),
            palette.structure_role(s.name, index, is_cord(s.name)),
        )
        for index, (s, mask) in enumerate(zip(result.structure_doses, masks, strict=True))
        if mask.array.any()
    )
    return ImagePlane(
        title=title,
        background=_window(_sample(background, points)),
        dose_percent=percent,
        field=inside_field(result.beams, points),
        lesion=np.nan_to_num(lesion, nan=0.0),
        left_label=labels[0],
        right_label=labels[1],
        top_label=labels[2],
        bottom_label=labels[3],
        row_marks=row_marks,
        structures=structures,
    )


def _contains(volume: Volume | None, point: np.ndarray) -> bool:
    return volume is not None and bool(volume.contains_index(volume.patient_to_index(point)))


def _background(point: np.ndarray, candidates: Sequence[Volume | None], fallback: Volume) -> Volume:
    """The first image volume holding ``point``, else ``fallback`` (the density)."""
    for volume in candidates:
        if volume is not None and _contains(volume, point):
            return volume
    return fallback


def sagittal_plane(result: PlanResult) -> ImagePlane:
    """The sagittal plane through the normalisation point (anterior left, head up)."""
    point = np.asarray(result.normalisation.point_mm)
    images = result.images
    background = _background(
        point,
        [images.in_plan_frame(v) for v in (images.sagittal, images.lesion_volume, images.ct)],
        result.density.volume,
    )
    lower, upper = result.dose_gy.bounds_mm()
    top = max(result.field.superior_border_z_mm + 60.0, upper[2] + 10.0)
    bottom = min(result.field.inferior_border_z_mm - 60.0, lower[2] - 10.0)
    front, back = lower[1] - 15.0, upper[1] + 15.0
    step = IMAGE_PIXEL_MM
    shape = (int((top - bottom) / step) + 1, int((back - front) / step) + 1)
    origin = np.array([point[0], front, top])
    description = background.metadata.series_description or background.metadata.modality
    marks = tuple(
        ((top - level.middle_z_mm) / step, display_name(level.name, result.case.thoracic_prefix))
        for level in result.plan_frame_case.levels
        if bottom + 4.0 < level.middle_z_mm < top - 4.0
    )
    return _render_plane(
        result,
        background,
        f"Sagittal at x = {format_mm(point[0])} mm ({description})",
        origin,
        np.array([0.0, step, 0.0]),
        np.array([0.0, 0.0, -step]),
        shape,
        ("A", "P", "S", "I"),
        marks,
    )


def axial_plane(result: PlanResult) -> ImagePlane:
    """The axial plane through the normalisation point (patient's right on the left)."""
    point = np.asarray(result.normalisation.point_mm)
    images = result.images
    background = _background(
        point,
        [
            images.in_plan_frame(v)
            for v in (images.ct, images.axial_mr, images.sagittal, images.lesion_volume)
        ],
        result.density.volume,
    )
    lower, upper = result.dose_gy.bounds_mm()
    step = IMAGE_PIXEL_MM
    half = max(upper[0] - lower[0], upper[1] - lower[1]) / 2.0 + 15.0
    centre = (lower + upper) / 2.0
    left, front = centre[0] - half, centre[1] - half
    size = int(2 * half / step) + 1
    origin = np.array([left, front, point[2]])
    description = background.metadata.series_description or background.metadata.modality
    return _render_plane(
        result,
        background,
        f"Axial at z = {format_mm(point[2])} mm ({description})",
        origin,
        np.array([step, 0.0, 0.0]),
        np.array([0.0, step, 0.0]),
        (size, size),
        ("R", "L", "A", "P"),
    )
