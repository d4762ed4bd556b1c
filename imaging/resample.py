"""Put one volume on another's grid (SimpleITK), and map indices between two grids.

Used by linked views of two series of one frame of reference (e.g. a sagittal T2 shown on the
sagittal T1 grid, or the axial T1 cursor followed in the sagittal views).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import SimpleITK as sitk

from imaging.volume import Volume

Interpolator = Literal["linear", "nearest", "bspline"]

_INTERPOLATORS = {
    "linear": sitk.sitkLinear,
    "nearest": sitk.sitkNearestNeighbor,
    "bspline": sitk.sitkBSpline,
}


def resample_to(
    volume: Volume,
    reference: Volume,
    *,
    interpolator: Interpolator = "linear",
    default_value: float = 0.0,
) -> Volume:
    """``volume`` resampled onto ``reference``'s grid (shape and affine), in patient space.

    Parameters
    ----------
    volume : the image to resample; keeps its metadata and voxel dtype.
    reference : the grid to resample onto.
    interpolator : "linear" for images, "nearest" for masks and labels, "bspline" for smooth
        display.
    default_value : value of voxels outside ``volume`` (in ``volume``'s units, e.g. HU).

    Notes
    -----
    Both volumes must be in the same frame of reference for the result to mean anything; this
    function does not check FrameOfReferenceUID (synthetic volumes may have none).
    """
    if interpolator not in _INTERPOLATORS:
        raise ValueError(
            f"interpolator must be one of {sorted(_INTERPOLATORS)}; got {interpolator!r}"
        )
    moving = volume.to_sitk()
    grid = sitk.Image(reference.size_ijk, sitk.sitkUInt8)
    grid.SetOrigin(tuple(float(v) for v in reference.origin_mm))
    grid.SetSpacing(reference.spacing_mm)
    grid.SetDirection(tuple(float(v) for v in reference.direction.ravel()))
    resampler = sitk.ResampleImageFilter()
    resampler.SetReferenceImage(grid)
    resampler.SetInterpolator(_INTERPOLATORS[interpolator])
    resampler.SetDefaultPixelValue(float(default_value))
    resampler.SetOutputPixelType(moving.GetPixelID())
    resampled = resampler.Execute(moving)
    return Volume(
        array=sitk.GetArrayFromImage(resampled),
        affine=reference.affine,
        metadata=volume.metadata,
        warnings=volume.warnings,
    )


def map_index(source: Volume, target: Volume, ijk: np.ndarray) -> np.ndarray:
    """Continuous ``(i, j, k)`` indices of ``source`` -> the same patient points in ``target``.

    Parameters
    ----------
    source, target : volumes sharing a frame of reference.
    ijk : array ``(..., 3)`` of indices in ``source`` (column, row, slice).
    """
    return target.patient_to_index(source.index_to_patient(ijk))
