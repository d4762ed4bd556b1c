"""Contour agreement of two lesion masks: Dice, surface (Hausdorff) distances, volumes.

Surface distances are measured between the surface voxels of the two masks (voxels with a face
neighbour outside the mask), voxel centre to voxel centre, with the exact Euclidean distance
transform in mm (``scipy.ndimage.distance_transform_edt`` with the voxel spacing), so
anisotropic MR voxels are handled. The symmetric percentile Hausdorff distance is the larger of
the two directed percentiles (as in the DeepMind ``surface-distance`` and MONAI definitions).

Two ellipsoids are compared on a fine isotropic grid around both (:func:`ellipsoid_grid`), which
needs no images and keeps the voxelisation error small against the analytic values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from imaging.volume import SeriesMetadata, Volume
from planning.anatomy.lesion import EllipsoidLesion, measure_lesion
from planning.errors import PlanningError

#: Voxel size of the grid two ellipsoids are compared on, mm.
ELLIPSOID_GRID_SPACING_MM = 0.5
#: The ellipsoid grid is coarsened beyond this many voxels (very large lesions).
ELLIPSOID_GRID_MAX_VOXELS = 4_000_000


def _array_spacing_mm(volume: Volume) -> tuple[float, float, float]:
    """Voxel spacing along the array axes ``(k, j, i)``, mm."""
    si, sj, sk = volume.spacing_mm
    return (sk, sj, si)


def dice_coefficient(a: np.ndarray, b: np.ndarray) -> float:
    """Dice similarity ``2|A and B| / (|A| + |B|)`` of two boolean masks on one grid.

    Two empty masks agree perfectly (1.0); one empty mask gives 0.0.
    """
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise PlanningError(f"masks on different grids: {a.shape} vs {b.shape}")
    total = int(a.sum()) + int(b.sum())
    if total == 0:
        return 1.0
    return 2.0 * int(np.logical_and(a, b).sum()) / total


def _surface(mask: np.ndarray) -> np.ndarray:
    """The voxels of a mask with a face neighbour outside it."""
    face = ndimage.generate_binary_structure(3, 1)
    return mask & ~ndimage.binary_erosion(mask, structure=face, border_value=0)


def surface_distances_mm(
    a: np.ndarray, b: np.ndarray, spacing_mm: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Distances from each surface voxel of one mask to the nearest surface voxel of the other.

    Parameters
    ----------
    a, b : numpy.ndarray
        Boolean masks on one grid, both non-empty.
    spacing_mm : 3 floats
        Voxel spacing along the array axes (``(slice, row, column)`` for a Volume), mm.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Distances from A's surface voxels to B's surface and from B's to A's, mm (voxel centre
        to voxel centre, exact Euclidean distance transform).
    """
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise PlanningError(f"masks on different grids: {a.shape} vs {b.shape}")
    if not a.any() or not b.any():
        raise PlanningError("surface distances need two non-empty masks")
    # Work on the bounding box of both masks (plus one voxel, so a mask touching the crop is
    # still closed): every nearest surface voxel lies inside it.
    both = np.nonzero(a | b)
    box = tuple(slice(int(ax.min()), int(ax.max()) + 1) for ax in both)
    a = np.pad(a[box], 1)
    b = np.pad(b[box], 1)
    surface_a, surface_b = _surface(a), _surface(b)
    spacing = tuple(float(s) for s in spacing_mm)
    to_b = ndimage.distance_transform_edt(~surface_b, sampling=spacing)
    to_a = ndimage.distance_transform_edt(~surface_a, sampling=spacing)
    return to_b[surface_a], to_a[surface_b]


def hausdorff_percentile_mm(
    a: np.ndarray, b: np.ndarray, spacing_mm: Sequence[float], percentile: float = 95.0
) -> float:
    """Symmetric percentile Hausdorff distance between the surfaces of two masks, mm.

    The larger of the two directed ``percentile``-th percentiles of the surface distances
    (:func:`surface_distances_mm`); ``percentile=100`` is the classic Hausdorff distance.
    """
    a_to_b, b_to_a = surface_distances_mm(a, b, spacing_mm)
    return float(max(np.percentile(a_to_b, percentile), np.percentile(b_to_a, percentile)))


def ellipsoid_grid(
    lesions: Sequence[EllipsoidLesion],
    spacing_mm: float = ELLIPSOID_GRID_SPACING_MM,
    frame_of_reference_uid: str = "",
) -> Volume:
    """An axis-aligned isotropic grid covering ellipsoids with two voxels to spare.

    The spacing grows beyond ``spacing_mm`` when the grid would exceed
    :data:`ELLIPSOID_GRID_MAX_VOXELS`.
    """
    low = np.min([np.subtract(e.center_mm, e.radii_mm) for e in lesions], axis=0)
    high = np.max([np.add(e.center_mm, e.radii_mm) for e in lesions], axis=0)
    extent = high - low
    spacing = max(
        float(spacing_mm), float(np.prod(extent) / ELLIPSOID_GRID_MAX_VOXELS) ** (1.0 / 3.0)
    )
    counts = np.ceil(extent / spacing).astype(int) + 5  # two voxels of margin each side
    origin = 0.5 * (low + high) - 0.5 * (counts - 1) * spacing
    affine = np.eye(4)
    affine[:3, :3] *= spacing
    affine[:3, 3] = origin
    i, j, k = (int(c) for c in counts)
    return Volume(
        np.zeros((k, j, i), dtype=bool),
        affine,
        SeriesMetadata(
            frame_of_reference_uid=frame_of_reference_uid,
            series_description="scoring grid",
        ),
    )


@dataclass(frozen=True)
class ContourScore:
    """The lesion contours compared on one grid.

    ``hd95_mm`` is ``None`` when the attempt's mask is empty; ``centroid_offset_mm`` is
    attempt minus reference centroid, LPS mm.
    """

    dice: float
    hd95_mm: float | None
    reference_volume_cc: float
    attempt_volume_cc: float
    centroid_offset_mm: tuple[float, float, float] | None
    grid_spacing_mm: tuple[float, float, float]
    grid: str

    @property
    def volume_difference_percent(self) -> float:
        """``100 * (attempt - reference) / reference``."""
        return (
            100.0 * (self.attempt_volume_cc - self.reference_volume_cc) / (self.reference_volume_cc)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "dice": round(self.dice, 4),
            "hd95_mm": None if self.hd95_mm is None else round(self.hd95_mm, 2),
            "reference_volume_cc": round(self.reference_volume_cc, 4),
            "attempt_volume_cc": round(self.attempt_volume_cc, 4),
            "volume_difference_percent": round(self.volume_difference_percent, 2),
            "centroid_offset_mm": None
            if self.centroid_offset_mm is None
            else [round(v, 2) for v in self.centroid_offset_mm],
            "grid_spacing_mm": [round(v, 4) for v in self.grid_spacing_mm],
            "grid": self.grid,
        }


def compare_masks(reference: Volume, attempt: Volume, grid_name: str = "") -> ContourScore:
    """Dice, HD95, volumes and centroid offset of two lesion masks on the same grid.

    Raises
    ------
    PlanningError
        When the grids differ or the reference mask is empty.
    """
    if not reference.same_grid(attempt):
        raise PlanningError("the lesion masks to compare are not on the same grid")
    ref, att = reference.array.astype(bool), attempt.array.astype(bool)
    if not ref.any():
        raise PlanningError("the reference lesion mask is empty")
    voxel_cc = abs(float(np.linalg.det(reference.affine[:3, :3]))) / 1000.0
    hd95 = centroid = None
    if att.any():
        hd95 = hausdorff_percentile_mm(ref, att, _array_spacing_mm(reference))
        offset = np.subtract(
            measure_lesion(attempt).centroid_mm, measure_lesion(reference).centroid_mm
        )
        centroid = tuple(float(v) for v in offset)
    return ContourScore(
        dice=dice_coefficient(ref, att),
        hd95_mm=hd95,
        reference_volume_cc=int(ref.sum()) * voxel_cc,
        attempt_volume_cc=int(att.sum()) * voxel_cc,
        centroid_offset_mm=centroid,  # type: ignore[arg-type]
        grid_spacing_mm=reference.spacing_mm,
        grid=grid_name or reference.metadata.series_description,
    )
