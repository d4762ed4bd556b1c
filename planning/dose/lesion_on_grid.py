"""The lesion (and any mask) on the grids of a plan: the post-contrast series and the dose grid.

An ellipsoid lesion is used exactly (from its formula) wherever possible; a seed or mask lesion
is built on the post-contrast series (:func:`lesion_on_native_grid`) and resampled onto the dose
grid (:func:`lesion_on_dose_grid`), where a voxel belongs to it when its centre does (at least
half inside after linear resampling).
"""

from __future__ import annotations

import numpy as np

from imaging.resample import resample_to
from imaging.volume import Volume
from planning.anatomy.lesion import (
    ELLIPSOID_FORMULA,
    EllipsoidLesion,
    LesionMeasurements,
    build_lesion_mask,
    ellipsoid_mask,
    measure_lesion,
)
from planning.case import Case
from planning.dose.images import PlanImages


def lesion_on_native_grid(case: Case, images: PlanImages) -> Volume | None:
    """The lesion mask on the post-contrast series, or None for an ellipsoid (used exactly).

    Raises
    ------
    SpineplanError
        The lesion cannot be built (missing mask file, seed outside the images...).
    """
    assert case.lesion is not None
    if isinstance(case.lesion, EllipsoidLesion):
        return None
    return build_lesion_mask(
        case.lesion, images.lesion_volume, images.lesion_volume, base_dir=case.base_dir
    )


def mask_on_grid(native: Volume, grid: Volume) -> Volume:
    """A mask resampled onto another grid: the voxels at least half inside it."""
    fraction = resample_to(
        native.with_array(native.array.astype(np.float32)), grid, interpolator="linear"
    )
    return grid.with_array(np.asarray(fraction.array) >= 0.5)


def _lesion_voxels(case: Case, native: Volume | None, grid: Volume) -> Volume:
    """The dose-grid voxels whose centre lies inside the lesion (possibly none)."""
    if native is None:
        assert isinstance(case.lesion, EllipsoidLesion)
        return ellipsoid_mask(grid, case.lesion.center_mm, case.lesion.radii_mm)
    return mask_on_grid(native, grid)


def lesion_on_dose_grid(case: Case, native: Volume | None, grid: Volume) -> tuple[Volume, bool]:
    """The lesion on the dose grid, and whether it fell back to a single voxel.

    Parameters
    ----------
    case : Case
    native : Volume or None
        The lesion on the post-contrast series (:func:`lesion_on_native_grid`); None for an
        ellipsoid.
    grid : Volume
        The dose grid.
    """
    mask = _lesion_voxels(case, native, grid)
    fallback = not mask.array.any()
    if fallback:
        # A lesion smaller than a dose voxel: keep the voxel nearest its centroid.
        centroid = (
            measure_lesion(native).centroid_mm
            if native is not None
            else (
                case.lesion.center_mm  # type: ignore[union-attr]
            )
        )
        ijk = np.rint(grid.patient_to_index(np.asarray(centroid))).astype(int)
        array = np.zeros(grid.shape, dtype=bool)
        array[ijk[2], ijk[1], ijk[0]] = True
        mask = grid.with_array(array)
    return mask, fallback


def ellipsoid_measurements(case: Case, grid: Volume, grid_basis: str) -> LesionMeasurements:
    """An ellipsoid lesion measured on ``grid``, the series the plan's exports reference: its
    volume is the voxels the RT Structure Set outlines there (what a planning system reads
    back), its formula volume beside it; its extent and centroid are the formula's, exact.
    An ellipsoid no voxel centre lies in keeps its formula volume, and says so."""
    lesion = case.lesion
    assert isinstance(lesion, EllipsoidLesion)
    top, bottom = lesion.z_range_mm
    formula_cc = lesion.formula_volume_cc
    voxels = int(np.count_nonzero(ellipsoid_mask(grid, lesion.center_mm, lesion.radii_mm).array))
    voxel_cc = float(np.prod(grid.spacing_mm)) / 1000.0
    return LesionMeasurements(
        volume_cc=voxels * voxel_cc if voxels else formula_cc,
        superior_z_mm=top,
        inferior_z_mm=bottom,
        si_extent_mm=top - bottom,
        centroid_mm=tuple(float(v) for v in lesion.center_mm),  # type: ignore[arg-type]
        voxel_count=voxels,
        volume_basis=grid_basis if voxels else ELLIPSOID_FORMULA,
        formula_volume_cc=formula_cc,
    )
