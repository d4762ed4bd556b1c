"""The MR's annotation carried onto a planning CT in another frame of reference.

The lesion is seen only on the MR; the plan belongs on the CT. Through the case's rigid
registration (4x4, MR LPS mm -> CT LPS mm):

* **masks** (the lesion, the case's other structures) are resampled onto the CT grid with
  SimpleITK, nearest neighbour: a CT voxel belongs to the structure when the MR voxel holding
  its centre does. (Linear interpolation thresholded at 0.5 cuts the corners of a mask a few MR
  voxels across -- a lesion two sagittal slices wide lost 16 % of its volume, nearest neighbour
  kept it within 4 %.) An ellipsoid is evaluated exactly at each CT voxel centre mapped back
  onto the MR;
* **levels and edema limits** are planes through the spinal canal: a z limit is the point at
  the level's clicked centre x, y (else the lesion centroid's x, y) and that z, mapped, its CT
  z taken; a level's clicked centre and the edema centreline are mapped point by point.

Every mapping is stated in :func:`mapping_notes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import SimpleITK as sitk

from imaging.volume import Volume
from planning.anatomy.edema import EdemaLimits
from planning.anatomy.lesion import EllipsoidLesion
from planning.anatomy.levels import VertebralLevel
from planning.case import Case


def map_points(matrix: np.ndarray, points_mm: np.ndarray) -> np.ndarray:
    """Points (n, 3) or (3,) in MR LPS mm mapped to CT LPS mm."""
    points = np.asarray(points_mm, dtype=float)
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def map_z(matrix: np.ndarray, canal_xy_mm: Sequence[float], z_mm: float) -> float:
    """The CT z of the MR plane ``z_mm`` at the canal point ``canal_xy_mm`` (x, y, MR mm)."""
    point = np.array([canal_xy_mm[0], canal_xy_mm[1], z_mm], dtype=float)
    return float(map_points(matrix, point)[2])


def map_levels(
    levels: Sequence[VertebralLevel], matrix: np.ndarray, canal_xy_mm: Sequence[float]
) -> tuple[VertebralLevel, ...]:
    """The levels in CT z: each endplate at its level's centre x, y (else ``canal_xy_mm``)."""
    mapped = []
    for level in levels:
        xy = level.center_mm[:2] if level.center_mm is not None else canal_xy_mm
        centre = None
        if level.center_mm is not None:
            centre = tuple(float(v) for v in map_points(matrix, np.asarray(level.center_mm)))
        mapped.append(
            VertebralLevel(
                level.name,
                map_z(matrix, xy, level.superior_z_mm),
                map_z(matrix, xy, level.inferior_z_mm),
                centre,  # type: ignore[arg-type]
                level.body_width_mm,
            )
        )
    return tuple(mapped)


def map_edema(edema: EdemaLimits, matrix: np.ndarray, canal_xy_mm: Sequence[float]) -> EdemaLimits:
    """The edema limits in CT z at the canal point; the centreline mapped point by point."""
    line = None
    if edema.centreline_mm is not None:
        line = tuple(
            tuple(float(v) for v in p) for p in map_points(matrix, np.asarray(edema.centreline_mm))
        )
    return EdemaLimits(
        map_z(matrix, canal_xy_mm, edema.superior_z_mm),
        map_z(matrix, canal_xy_mm, edema.inferior_z_mm),
        line,  # type: ignore[arg-type]
    )


def case_on_ct(case: Case, matrix: np.ndarray, canal_xy_mm: Sequence[float]) -> Case:
    """The case with its levels and edema in the CT's frame (lesion and structures unchanged:
    they are mapped as masks, :func:`mask_onto_ct`)."""
    edema = None if case.edema is None else map_edema(case.edema, matrix, canal_xy_mm)
    return replace(case, levels=map_levels(case.levels, matrix, canal_xy_mm), edema=edema)


def _to_mr_transform(matrix: np.ndarray) -> sitk.AffineTransform:
    """SimpleITK's resampling transform: output (CT) points to input (MR) points."""
    inverse = np.linalg.inv(matrix)
    transform = sitk.AffineTransform(3)
    transform.SetMatrix(tuple(float(v) for v in inverse[:3, :3].ravel()))
    transform.SetTranslation(tuple(float(v) for v in inverse[:3, 3]))
    return transform


def mask_onto_ct(mask: Volume, ct: Volume, matrix: np.ndarray) -> Volume:
    """A mask on the MR resampled onto the CT grid by nearest neighbour (see the module)."""
    source = mask.with_array(np.asarray(mask.array, dtype=np.uint8)).to_sitk()
    reference = ct.with_array(np.zeros(ct.shape, dtype=np.uint8)).to_sitk()
    resampled = sitk.Resample(
        source, reference, _to_mr_transform(matrix), sitk.sitkNearestNeighbor, 0
    )
    return ct.with_array(sitk.GetArrayFromImage(resampled) != 0)


def ellipsoid_onto_ct(lesion: EllipsoidLesion, ct: Volume, matrix: np.ndarray) -> Volume:
    """The CT voxels whose centre, mapped back onto the MR, lies inside the ellipsoid."""
    inverse = np.linalg.inv(matrix)
    centre = map_points(matrix, np.asarray(lesion.center_mm))
    reach = float(max(lesion.radii_mm)) + 2.0 * float(max(ct.spacing_mm))
    ijk = ct.patient_to_index(np.array([centre - reach, centre + reach]))
    low = np.clip(np.floor(ijk.min(axis=0)).astype(int), 0, np.asarray(ct.size_ijk) - 1)
    high = np.clip(np.ceil(ijk.max(axis=0)).astype(int) + 1, low + 1, np.asarray(ct.size_ijk))
    array = np.zeros(ct.shape, dtype=bool)
    k, j, i = np.meshgrid(
        np.arange(low[2], high[2]),
        np.arange(low[1], high[1]),
        np.arange(low[0], high[0]),
        indexing="ij",
    )
    points = ct.index_to_patient(np.column_stack([i.ravel(), j.ravel(), k.ravel()]).astype(float))
    on_mr = map_points(inverse, points)
    scaled = (on_mr - np.asarray(lesion.center_mm)) / np.asarray(lesion.radii_mm)
    inside = (scaled**2).sum(axis=1) <= 1.0
    array[k.ravel()[inside], j.ravel()[inside], i.ravel()[inside]] = True
    return ct.with_array(array)


def mapping_notes() -> tuple[str, ...]:
    """The assumptions of carrying the MR's annotation onto the planning CT, in words."""
    return (
        "on the planning CT: the lesion and the case's structures are resampled from the MR "
        "onto the CT grid through the registration (SimpleITK, nearest neighbour: a CT voxel is "
        "inside when the MR voxel at its centre is; an ellipsoid evaluated at each CT voxel "
        "centre); the lesion volume and z extent are those of the CT voxels",
        "on the planning CT: each level's endplates and the edema limits are planes through the "
        "spinal canal, mapped at the level's clicked centre x, y (else the lesion centroid's "
        "x, y) and read as CT z; the field borders, isocentre, beams, dose and coverage are in "
        "the CT's frame of reference",
    )
