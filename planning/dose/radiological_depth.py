"""Water-equivalent density from the images, and radiological depth along divergent rays.

Density maps are relative electron density (water = 1) on a :class:`imaging.Volume` grid:

* **MR** (:func:`density_from_mr`): no density information, only the outline. Inside a body mask
  (threshold, holes filled slice by slice) the patient is water; outside it is air.
* **CT** (:func:`density_from_ct`): a bilinear HU -> relative electron density (RED) curve. Below
  0 HU the line through air (-1000 HU, RED 0) and water (0 HU, RED 1) is exact for any air/water
  mixture because the HU scale is linear in attenuation. Above 0 HU the slope is lower (bone's
  higher effective Z raises its CT number more than its electron density): the segment from
  water to cortical bone, RED 1.78 (ICRU Report 46 cortical bone electron density relative to
  water), placed at 1500 HU -- a typical 120 kVp value, ASSUMED: each scanner has its own
  calibration, which should replace this curve.

Radiological depth is integrated along each ray from the source (:func:`fan_depth`), so the skin
is wherever density first appears; :func:`radiological_length` integrates one straight segment
(e.g. skin entry to isocentre). On a CT, objects that are not the patient (the couch) are
removed first with :func:`body_mask_from_ct`, else a posterior beam's "skin" would be the couch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from imaging.sampling import sample_at_ijk, sample_at_index
from imaging.volume import Volume
from planning.errors import PlanningError

#: Relative electron density of ICRU-46 cortical bone and the HU assumed for it (see module doc).
BONE_RED = 1.78
BONE_HU = 1500.0
#: Voxels at or above this density count as the patient (skin detection, dose masking).
TISSUE_THRESHOLD = 0.5


def density_from_ct(ct: Volume) -> Volume:
    """Relative electron density from a CT volume in HU (bilinear curve, module docstring)."""
    hu = np.asarray(ct.array, dtype=np.float32)
    water_air = 1.0 + hu / 1000.0
    bone_slope = (BONE_RED - 1.0) / BONE_HU
    density = np.where(hu <= 0.0, water_air, 1.0 + hu * bone_slope)
    return ct.with_array(np.clip(density, 0.0, None).astype(np.float32))


#: CT number separating the patient from the air around it, HU (the usual external-contour
#: threshold: halfway between air and water).
BODY_THRESHOLD_HU = -500.0


def body_mask_from_ct(
    ct: Volume, inside_mm: np.ndarray | None = None, threshold_hu: float = BODY_THRESHOLD_HU
) -> np.ndarray:
    """The patient outline of a CT volume, slice by slice, without objects apart from it.

    In each slice, voxels above ``threshold_hu`` with their holes filled (lungs and airways are
    inside the outline; the caller keeps their own density) form connected parts; the patient is
    the part holding the in-plane position of ``inside_mm`` (a point inside the patient, e.g.
    the isocentre), else the largest part of the slice. Whatever is separated from the patient
    by air in a slice -- the couch below the back, a head rest -- is outside. Where the couch
    touches the skin it stays connected: a limit of this outline.
    """
    tissue = np.asarray(ct.array) > threshold_hu
    body = np.zeros_like(tissue)
    seed: tuple[int, int] | None = None
    if inside_mm is not None:
        ijk = np.rint(ct.patient_to_index(np.atleast_2d(inside_mm))[0]).astype(int)
        if 0 <= ijk[1] < tissue.shape[1] and 0 <= ijk[0] < tissue.shape[2]:
            seed = (int(ijk[1]), int(ijk[0]))
    for k in range(tissue.shape[0]):
        labels, count = ndimage.label(ndimage.binary_fill_holes(tissue[k]))
        if count == 0:
            continue
        keep = int(labels[seed]) if seed is not None else 0
        if keep == 0:
            sizes = np.bincount(labels.ravel())
            sizes[0] = 0
            keep = int(np.argmax(sizes))
        body[k] = labels == keep
    return body


def mr_body_threshold(data: np.ndarray) -> float:
    """The MR signal separating the body from air: 10 % of the 99th percentile of ``data``
    (well above background noise, below fat and muscle on T1 and T2)."""
    high = float(np.percentile(data, 99.0))
    if high <= 0:
        raise PlanningError("the MR series is empty (no signal): no body outline")
    return 0.1 * high


def body_threshold(volume: Volume) -> float:
    """The level separating the body from air in ``volume``: `BODY_THRESHOLD_HU` on a CT,
    `mr_body_threshold` on anything else."""
    if volume.metadata.modality == "CT" or volume.metadata.units == "HU":
        return BODY_THRESHOLD_HU
    return mr_body_threshold(np.asarray(volume.array, dtype=np.float32))


def body_mask_from_mr(mr: Volume, threshold: float | None = None) -> np.ndarray:
    """Body outline of an MR volume: signal above ``threshold``, holes filled per slice.

    Parameters
    ----------
    mr : Volume
        Any MR series (signal has no physical unit).
    threshold : float, optional
        Signal level separating body from air. Default: `mr_body_threshold`.
    """
    data = np.asarray(mr.array, dtype=np.float32)
    if threshold is None:
        threshold = mr_body_threshold(data)
    mask = data > threshold
    mask = ndimage.binary_opening(mask, iterations=1)
    filled = np.empty_like(mask)
    for k in range(mask.shape[0]):  # per slice: holes (canal, bowel gas) are inside the body
        filled[k] = ndimage.binary_fill_holes(mask[k])
    return filled


def density_from_mr(mr: Volume, threshold: float | None = None) -> Volume:
    """Water (1.0) inside the MR body outline, air (0.0) outside."""
    return mr.with_array(body_mask_from_mr(mr, threshold).astype(np.float32))


def density_at(density: Volume, ijk: np.ndarray) -> np.ndarray:
    """Density at continuous voxel indices ``(n, 3)`` (i, j, k), trilinear; 0 outside."""
    return sample_at_ijk(density.array.astype(np.float32, copy=False), ijk, order=1)


def radiological_length(
    density: Volume, start: np.ndarray, end: np.ndarray, step_mm: float
) -> float:
    """Water-equivalent length (mm) of the straight segment ``start`` -> ``end`` in the images."""
    length = float(np.linalg.norm(end - start))
    if length < 1e-6:
        return 0.0
    n = max(math.ceil(length / step_mm), 1)
    s = np.linspace(0.0, 1.0, n + 1)
    points = start[None, :] + s[:, None] * (end - start)[None, :]
    values = density_at(density, density.patient_to_index(points))
    return float(np.trapezoid(values, dx=length / n))


@dataclass(frozen=True)
class FanGrid:
    """Radiological depth sampled on a divergent (fan) grid of one beam.

    A fan point ``(u, w, z)`` is the point at distance ``z`` (mm) along the central-axis
    direction from the source, on the ray through ``(u, w)`` in the plane at ``reference_mm``
    (the machine SAD) from the source: ``source + z * (-axis_z + (u axis_x + w axis_y) /
    reference_mm)``.

    Attributes
    ----------
    u_mm, w_mm, z_mm : numpy.ndarray
        Regular 1D coordinates of the grid.
    depth_mm : numpy.ndarray
        Water-equivalent depth in mm, shaped ``(len(z), len(w), len(u))``.
    slab_fill_used : bool
        Whether water from the user-entered separation was added outside the images.
    rays_entering_in_tissue : float
        Fraction of rays whose first imaged sample is already tissue (skin not imaged).
    """

    u_mm: np.ndarray
    w_mm: np.ndarray
    z_mm: np.ndarray
    depth_mm: np.ndarray
    slab_fill_used: bool
    rays_entering_in_tissue: float


def _axis(n_min: float, n_max: float, step: float) -> np.ndarray:
    count = int(np.ceil((n_max - n_min) / step)) + 1
    return n_min + step * np.arange(count, dtype=np.float64)


def fan_points_to_index(
    density: Volume,
    source_mm: np.ndarray,
    axes: np.ndarray,
    reference_mm: float,
    u: np.ndarray,
    w: np.ndarray,
    z: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Continuous voxel indices ``(k, j, i)`` of the fan points, each shaped (z, w, u)."""
    inverse = np.linalg.inv(density.affine)
    lin = inverse[:3, :3]
    origin = lin @ source_mm + inverse[:3, 3]
    ax_x, ax_y, ax_z = (lin @ axes[0], lin @ axes[1], lin @ axes[2])
    zz = z[:, None, None].astype(np.float32)
    uu = (u / reference_mm)[None, None, :].astype(np.float32)
    ww = (w / reference_mm)[None, :, None].astype(np.float32)
    out = []
    for c in (2, 1, 0):  # array order k, j, i
        value = origin[c] + zz * (-ax_z[c] + uu * ax_x[c] + ww * ax_y[c])
        out.append(value.astype(np.float32))
    return out[0], out[1], out[2]


def fan_depth(
    density: Volume,
    source_mm: np.ndarray,
    axes: np.ndarray,
    reference_mm: float,
    u_mm: np.ndarray,
    w_mm: np.ndarray,
    z_mm: np.ndarray,
    slab_z_mm: tuple[float, float] | None = None,
) -> FanGrid:
    """Water-equivalent depth along every ray of a fan grid (vectorised, no voxel loops).

    Parameters
    ----------
    density : Volume
        Relative electron density (water = 1); outside it is air unless ``slab_z_mm`` says.
    source_mm : numpy.ndarray
        Source position, LPS mm.
    axes : numpy.ndarray
        3x3, rows: beam X, beam Y and beam Z (unit vectors, LPS; Z points to the source).
    reference_mm : float
        Distance from the source of the plane where ``u`` and ``w`` are measured (the SAD).
    u_mm, w_mm, z_mm : numpy.ndarray
        Regular grid coordinates (see :class:`FanGrid`).
    slab_z_mm : (float, float), optional
        Patient entry and exit distance from the source (CAX-projected) assumed from a user's
        separation. Along rays whose first imaged sample is tissue (the skin lies outside the
        images), the part of this slab upstream of the images is filled with water.
    """
    k, j, i = fan_points_to_index(density, source_mm, axes, reference_mm, u_mm, w_mm, z_mm)
    samples = sample_at_index(
        density.array.astype(np.float32, copy=False), [k, j, i], order=1
    ).astype(np.float32)
    shape_kji = np.asarray(density.shape, dtype=np.float32) - 0.5
    inside = (
        (k >= -0.5)
        & (k <= shape_kji[0])
        & (j >= -0.5)
        & (j <= shape_kji[1])
        & (i >= -0.5)
        & (i <= shape_kji[2])
    )
    del k, j, i
    any_inside = inside.any(axis=0)
    first_inside = np.argmax(inside, axis=0)
    first_value = np.take_along_axis(samples, first_inside[None], axis=0)[0]
    # A ray "enters in tissue" when the first imaged sample past half a voxel is tissue.
    probe = np.minimum(first_inside + 1, len(z_mm) - 1)
    probe_value = np.take_along_axis(samples, probe[None], axis=0)[0]
    entering = any_inside & (np.maximum(first_value, probe_value) >= TISSUE_THRESHOLD)
    slab_used = False
    if slab_z_mm is not None:
        z_in, z_out = slab_z_mm
        zcol = z_mm[:, None, None]
        upstream = np.arange(len(z_mm))[:, None, None] < first_inside[None]
        fill = (~inside) & upstream & entering[None] & (zcol >= z_in) & (zcol <= z_out)
        if fill.any():
            samples = np.where(fill, np.float32(1.0), samples)
            slab_used = True
    step = np.float32(z_mm[1] - z_mm[0]) if len(z_mm) > 1 else np.float32(0.0)
    ray_length_per_z = np.sqrt(
        1.0 + (u_mm[None, :] ** 2 + w_mm[:, None] ** 2) / reference_mm**2
    ).astype(np.float32)
    # Trapezoidal cumulative integral along the ray.
    increments = 0.5 * (samples[1:] + samples[:-1]) * (step * ray_length_per_z)[None]
    depth = np.empty_like(samples)
    depth[0] = 0.0
    np.cumsum(increments, axis=0, out=depth[1:])
    n_rays = max(int(any_inside.sum()), 1)
    return FanGrid(
        u_mm=u_mm,
        w_mm=w_mm,
        z_mm=z_mm,
        depth_mm=depth,
        slab_fill_used=slab_used,
        rays_entering_in_tissue=float(entering.sum()) / n_rays,
    )


def regular_axis(start_mm: float, stop_mm: float, step_mm: float) -> np.ndarray:
    """A regular axis from ``start_mm`` covering ``stop_mm`` with spacing ``step_mm``."""
    if step_mm <= 0 or stop_mm < start_mm:
        raise PlanningError(f"bad fan-grid axis {start_mm}..{stop_mm} step {step_mm} mm")
    return _axis(start_mm, stop_mm, step_mm)
