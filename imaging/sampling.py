"""Values of a voxel array at continuous voxel indices: the one sampler of spineplan.

Every resampling at scattered points -- a dose on a view's plane, the density along a beam's
fan rays, a dose at a reference lesion's voxel centres -- goes through `sample_at_index`, a thin
layer over ``scipy.ndimage.map_coordinates`` (no hand-written interpolation). Whole volumes
onto another grid go through SimpleITK instead (`imaging.resample`).

Indices are voxel indices: integer values are voxel centres, ``(i, j, k)`` counts columns, rows
and slices; a voxel array is stored ``(k, j, i)`` (`imaging.volume.Volume`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import ndimage

#: How ``map_coordinates`` treats points beyond the voxel centres at the edge (see its docs):
#: "grid-constant" treats the outside as ``fill`` and interpolates towards it across the last
#: half voxel, "constant" gives ``fill`` beyond the edge centres, "nearest" repeats the edge.
EdgeMode = Literal["grid-constant", "constant", "nearest"]


def sample_at_index(
    array: np.ndarray,
    index_kji: Sequence[np.ndarray] | np.ndarray,
    *,
    order: Literal[0, 1] = 1,
    mode: EdgeMode = "grid-constant",
    fill: float = 0.0,
    dtype: type[np.floating] | None = None,
) -> np.ndarray:
    """Interpolate ``array`` at continuous voxel indices.

    Parameters
    ----------
    array : numpy.ndarray
        Voxel values, shape ``(k, j, i)``.
    index_kji : sequence of three arrays, or numpy.ndarray of shape ``(3, ...)``
        Slice, row and column index of every point (numpy axis order), all of one shape.
    order : 0 or 1
        0 = nearest voxel (masks, labels), 1 = trilinear.
    mode : "grid-constant", "constant" or "nearest"
        Treatment of points beyond the edge voxel centres (`EdgeMode`).
    fill : float
        Value outside the array for the constant modes (NaN allowed).
    dtype : numpy float type, optional
        Type of the result; by default that of ``array`` (scipy interpolates in float64 and
        rounds to it).

    Returns
    -------
    numpy.ndarray
        The values, shaped like one index array.
    """
    return ndimage.map_coordinates(
        array, index_kji, output=dtype, order=order, mode=mode, cval=fill
    )


def sample_at_ijk(
    array: np.ndarray,
    ijk: np.ndarray,
    *,
    order: Literal[0, 1] = 1,
    mode: EdgeMode = "grid-constant",
    fill: float = 0.0,
    dtype: type[np.floating] | None = None,
) -> np.ndarray:
    """`sample_at_index` at points given as ``(..., 3)`` voxel indices ``(i, j, k)``.

    Returns an array shaped ``ijk.shape[:-1]``.
    """
    ijk = np.asarray(ijk)
    return sample_at_index(
        array,
        [ijk[..., 2], ijk[..., 1], ijk[..., 0]],
        order=order,
        mode=mode,
        fill=fill,
        dtype=dtype,
    )


def sample_linear_inside(
    array: np.ndarray,
    ijk: np.ndarray,
    *,
    fill: float = 0.0,
) -> np.ndarray:
    """Trilinear values (float32) at ``(..., 3)`` indices ``(i, j, k)``; ``fill`` outside.

    A point is inside when every index lies within the voxels' outer faces (``-0.5`` to
    ``size - 0.5``); there the array is extended by its edge voxels (a display of a dose or an
    image reaches the volume's outer faces with the edge value, it does not fade to ``fill``).
    """
    ijk = np.asarray(ijk, dtype=float)
    size = np.asarray(array.shape[::-1])
    inside = np.all((ijk >= -0.5) & (ijk <= size - 0.5), axis=-1)
    out = np.full(inside.shape, fill, dtype=np.float32)
    out[inside] = sample_at_ijk(array, ijk[inside], order=1, mode="nearest", dtype=np.float32)
    return out


def sample_nearest_inside(array: np.ndarray, ijk: np.ndarray, *, fill: float = 0.0) -> np.ndarray:
    """Value of the nearest voxel at ``(..., 3)`` indices ``(i, j, k)``; ``fill`` outside.

    Plain indexing (no interpolation): indices round half to even (``numpy.rint``), so a point
    exactly between two voxels of a mask always takes the same one. The result keeps the
    array's dtype when ``fill`` fits in it (a boolean mask stays boolean).
    """
    nearest = np.rint(np.asarray(ijk, dtype=float)).astype(np.intp)
    size = np.asarray(array.shape[::-1])
    inside = np.all((nearest >= 0) & (nearest < size), axis=-1)
    dtype = np.result_type(array.dtype, np.min_scalar_type(fill))
    out = np.full(inside.shape, fill, dtype=dtype)
    n = nearest[inside]
    out[inside] = array[n[:, 2], n[:, 1], n[:, 0]]
    return out
