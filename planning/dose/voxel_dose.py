"""Per-voxel dose of one beam on the output grid, from its fan-grid depths and lookup tables.

At every voxel (chunks of slices, numpy arrays throughout, no Python loop over voxels):
``dose = w * A(d_rad) * (isf_numerator / z)^2 * P_x * P_y * H`` -- ``d_rad`` the radiological
depth on the nearest fan ray (linear along it), ``A`` the attenuation table, ``z`` the distance
from the source along the central-axis direction, ``P`` the lateral factors (error-function field
edges times the measured in-field shoulder) and ``H`` the radial off-axis ratio (horns) of a
machine with measured profiles (:class:`EdgeTables`, :mod:`planning.dose.beam_profiles`).
:mod:`planning.dose.engine` builds the tables and states the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from imaging.sampling import sample_at_index
from imaging.units import cm_to_mm, mm_to_cm
from imaging.volume import Volume
from planning.dose.beam_model import BeamModel
from planning.dose.beam_profiles import ProfileModel

#: Voxels per interpolation chunk (bounds memory: ~40 bytes per voxel while a chunk is live).
CHUNK_VOXELS = 2_000_000
#: Lateral sampling of the field-edge tables, mm (fine enough for a 1 mm penumbra sigma).
FINE_LATERAL_STEP_MM = 0.25
#: Radial sampling of the horn table, mm at the SAD plane (the horn varies < 1 % per cm).
HORN_STEP_MM = 1.0


def _rows_interp(values: np.ndarray, step: float, table: np.ndarray) -> np.ndarray:
    """Row-wise linear interpolation: ``table[r]`` (on ``0, step, ...``) at ``values[r]``.

    ``values`` and ``table`` have one row per fan depth; positions beyond the grid clamp.
    """
    n = table.shape[1]
    position = np.clip(values / step, 0.0, n - 1.0)
    lower = np.minimum(position.astype(np.int64), n - 2)
    t = position - lower
    below = np.take_along_axis(table, lower, axis=1)
    above = np.take_along_axis(table, lower + 1, axis=1)
    return np.asarray(below * (1.0 - t) + above * t)


@dataclass(frozen=True)
class EdgeTables:
    """Lateral factors ``P_x(z, u)``, ``P_y(z, w)`` on a fine grid, and the horn ``H(z, r)``.

    ``horn`` (shape ``(len(z), n_r)``, radius ``r`` at the SAD plane on ``0, horn_step, ...``
    mm) is None for a machine without measured profiles (no horns).
    """

    px: np.ndarray  # (len(z), len(fine_u))
    py: np.ndarray
    fine_u0: float
    fine_w0: float
    fine_step: float
    horn: np.ndarray | None = None
    horn_step: float = HORN_STEP_MM

    @classmethod
    def build(
        cls,
        model: BeamModel,
        ssd_mm: float,
        sad_mm: float,
        z: np.ndarray,
        jaws_x_mm: tuple[float, float],
        jaws_y_mm: tuple[float, float],
        uw: tuple[np.ndarray, np.ndarray],
        side_cm: float = 10.0,
    ) -> EdgeTables:
        """Tables for the jaws ``jaws_x_mm``, ``jaws_y_mm`` (at the SAD plane) of a fan grid.

        ``z`` are the fan's distances from the source (mm) and ``uw`` its lateral axes (mm at
        the SAD plane); the penumbra width, edge shift and shoulder are the model's at the
        geometric depth ``z - SSD`` for the equivalent square ``side_cm`` at the skin.

        Each axis: ``P = E * R(t) / R(t_c)`` -- ``E`` the erf edge pair centred ``shift``
        outside the projected jaws, ``R`` the measured shoulder at the distance ``t`` inside
        the nearer edge, normalised at the field centre ``t_c`` (``R = 1`` without profiles).
        """
        step = FINE_LATERAL_STEP_MM
        geometric_depth_cm = mm_to_cm(np.maximum(z - ssd_mm, 0.0))
        sigma_mm = cm_to_mm(model.penumbra_sigma_cm(geometric_depth_cm, mm_to_cm(ssd_mm), side_cm))
        shift_mm = cm_to_mm(model.edge_shift_cm(geometric_depth_cm, side_cm))[:, None]
        profiles = model.profile_model
        # Edge coordinate in the plane at distance z: (lateral at SAD) * z / SAD.
        to_depth = (z / sad_mm)[:, None]
        scale = 1.0 / (math.sqrt(2.0) * sigma_mm)[:, None]
        shoulder = None
        if profiles is not None:
            shoulder = profiles.shoulder_rows(geometric_depth_cm, side_cm)
        tables = []
        for axis, (lo, hi) in zip(uw, (jaws_x_mm, jaws_y_mm), strict=True):
            fine = np.arange(axis[0] - step, axis[-1] + 2 * step, step)
            x = fine[None] * to_depth
            lo_d = lo * to_depth - shift_mm
            hi_d = hi * to_depth + shift_mm
            edge = 0.5 * (special.erf((x - lo_d) * scale) - special.erf((x - hi_d) * scale))
            if shoulder is not None and profiles is not None:
                inside_step_mm = 10.0 * float(profiles.inside_cm[1] - profiles.inside_cm[0])
                inside = np.minimum(x - lo_d, hi_d - x)
                centre = np.broadcast_to((hi_d - lo_d) / 2.0, (len(z), 1))
                edge *= _rows_interp(inside, inside_step_mm, shoulder) / _rows_interp(
                    centre, inside_step_mm, shoulder
                )
            tables.append((edge.astype(np.float32), float(fine[0])))
        horn = None
        if profiles is not None:
            horn = _horn_table(profiles, geometric_depth_cm, sad_mm, uw)
        return cls(
            px=tables[0][0],
            py=tables[1][0],
            fine_u0=tables[0][1],
            fine_w0=tables[1][1],
            fine_step=step,
            horn=horn,
        )


def _horn_table(
    profiles: ProfileModel,
    depth_cm: np.ndarray,
    sad_mm: float,
    uw: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """``H(z, r)`` on ``r = 0, HORN_STEP_MM, ...`` (SAD plane) up to the fan's far corner.

    The measured horn is indexed by fan angle: the radius ``r`` at the SAD plane is the
    off-axis distance ``r (SSD_ref + d) / SAD`` at depth ``d`` of the measurement geometry.
    """
    u, w = uw
    r_max = math.hypot(max(abs(u[0]), abs(u[-1])), max(abs(w[0]), abs(w[-1]))) + 2 * HORN_STEP_MM
    r_mm = np.arange(0.0, r_max + HORN_STEP_MM, HORN_STEP_MM)
    at_depth_mm = r_mm[None] * (cm_to_mm(profiles.reference_ssd_cm + depth_cm) / sad_mm)[:, None]
    step_mm = 10.0 * float(profiles.off_axis_cm[1] - profiles.off_axis_cm[0])
    return _rows_interp(at_depth_mm, step_mm, profiles.horn_rows(depth_cm)).astype(np.float32)


@dataclass(frozen=True)
class DoseLookup:
    """Everything :func:`evaluate_on_grid` needs of one beam (all in the beam's fan frame).

    Attributes
    ----------
    fan_depth_cm : numpy.ndarray
        Water-equivalent depth on the fan grid, cm, shaped ``(len(z), len(w), len(u))``.
    u, w, z : numpy.ndarray
        Regular fan-grid axes, mm (see :class:`planning.dose.radiological_depth.FanGrid`).
    lut_depth_cm, lut_attenuation : numpy.ndarray
        Attenuation (PDD without inverse square) against radiological depth, 1D table.
    edges : EdgeTables
    isf_numerator_mm : float
        ``SSD + d_max``, mm: the inverse-square factor is ``(isf_numerator_mm / z)^2``.
    weight : float
        The beam's relative weight.
    """

    fan_depth_cm: np.ndarray
    u: np.ndarray
    w: np.ndarray
    z: np.ndarray
    lut_depth_cm: np.ndarray
    lut_attenuation: np.ndarray
    edges: EdgeTables
    isf_numerator_mm: float
    weight: float


def evaluate_on_grid(
    grid: Volume,
    lookup: DoseLookup,
    source: np.ndarray,
    axes: np.ndarray,
    sad_mm: float,
    with_depth: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Dose (and depth) at every voxel of ``grid``, chunked by slices, vectorised in a chunk.

    Radiological depth: nearest fan ray (lateral), linear along the ray. Attenuation: 1D table
    in depth. Lateral factors: nearest fan depth row, linear between the fine lateral samples.
    Horn: nearest fan depth row and radius sample (1 mm).
    """
    nk, nj, ni = grid.shape
    affine = grid.affine
    direction = -axes[2]
    base = affine[:3, 3] - source
    proj = np.stack([axes[0], axes[1], direction])  # beam x, y and distance along the axis
    c0 = proj @ base
    ci, cj, ck = proj @ affine[:3, 0], proj @ affine[:3, 1], proj @ affine[:3, 2]
    ii = np.arange(ni, dtype=np.float32)
    jj = np.arange(nj, dtype=np.float32)
    u, w, z = lookup.u, lookup.w, lookup.z
    du, dw, dz = float(u[1] - u[0]), float(w[1] - w[0]), float(z[1] - z[0])
    nu, nw, nz = len(u), len(w), len(z)
    fan_flat = lookup.fan_depth_cm.ravel()
    edges = lookup.edges
    px_flat, py_flat = edges.px.ravel(), edges.py.ravel()
    n_fine_u, n_fine_w = edges.px.shape[1], edges.py.shape[1]
    horn_flat = edges.horn.ravel() if edges.horn is not None else None
    n_horn = edges.horn.shape[1] if edges.horn is not None else 0
    dose = np.zeros((nk, nj, ni), dtype=np.float32)
    depth = np.zeros((nk, nj, ni), dtype=np.float32) if with_depth else None
    slices_per_chunk = max(1, CHUNK_VOXELS // max(nj * ni, 1))
    f32 = np.float32
    for k0 in range(0, nk, slices_per_chunk):
        kk = np.arange(k0, min(nk, k0 + slices_per_chunk), dtype=np.float32)
        bx, by, bz = (
            f32(c0[c])
            + f32(ck[c]) * kk[:, None, None]
            + f32(cj[c]) * jj[None, :, None]
            + f32(ci[c]) * ii[None, None, :]
            for c in range(3)
        )
        bz = np.maximum(bz, f32(1.0))
        ratio = f32(sad_mm) / bz
        fu = (bx * ratio - f32(u[0])) * f32(1.0 / du)
        fw = (by * ratio - f32(w[0])) * f32(1.0 / dw)
        fz = (bz - f32(z[0])) * f32(1.0 / dz)
        inside = (fu > -0.5) & (fu < nu - 0.5) & (fw > -0.5) & (fw < nw - 0.5)
        inside &= (fz >= 0) & (fz < nz - 1)
        if not inside.any():
            continue
        fu, fw, fz, bz = fu[inside], fw[inside], fz[inside], bz[inside]
        iz = fz.astype(np.int32)
        tz = fz - iz
        iu = np.rint(fu).astype(np.int32)
        iw = np.rint(fw).astype(np.int32)
        flat = (iz * nw + iw) * nu + iu
        d0 = fan_flat[flat]
        d = d0 + tz * (fan_flat[flat + nw * nu] - d0)
        value = np.interp(d, lookup.lut_depth_cm, lookup.lut_attenuation).astype(np.float32)
        value *= (f32(lookup.isf_numerator_mm) / bz) ** 2
        izr = np.rint(fz).astype(np.int32)
        # Lateral factors: linear between the fine samples (a nearest sample would move each
        # 50 % point by up to half a step, differently on the two sides).
        for f_axis, step_axis, axis0, fine0, table, n_fine in (
            (fu, du, u[0], edges.fine_u0, px_flat, n_fine_u),
            (fw, dw, w[0], edges.fine_w0, py_flat, n_fine_w),
        ):
            position = (f_axis * f32(step_axis) + f32(axis0 - fine0)) * f32(1.0 / edges.fine_step)
            np.clip(position, 0, n_fine - 2, out=position)
            lower = position.astype(np.int32)
            position -= lower
            lower += izr * n_fine
            below = table[lower]
            value *= below + position * (table[lower + 1] - below)
        if horn_flat is not None:
            # Radius at the SAD plane, in horn samples (nearest sample).
            sx = (fu * f32(du) + f32(u[0])) * f32(1.0 / edges.horn_step)
            sy = (fw * f32(dw) + f32(w[0])) * f32(1.0 / edges.horn_step)
            radius = np.sqrt(sx * sx + sy * sy)
            radius += f32(0.5)
            index = np.minimum(radius.astype(np.int32), n_horn - 1)
            index += izr * n_horn
            value *= horn_flat[index]
        if lookup.weight != 1.0:
            value *= f32(lookup.weight)
        dose[k0 : k0 + len(kk)][inside] = value
        if depth is not None:
            depth[k0 : k0 + len(kk)][inside] = d
    return dose, depth


def density_on_grid(density: Volume, grid: Volume) -> np.ndarray:
    """Density resampled (trilinear) at the voxel centres of ``grid``, chunked by slices."""
    if density.same_grid(grid):
        return np.asarray(density.array, dtype=np.float32)
    # grid index -> density index is one affine map: (kji order) rows of M act on (i, j, k, 1).
    m = np.linalg.inv(density.affine) @ grid.affine
    nk, nj, ni = grid.shape
    source = density.array.astype(np.float32, copy=False)
    out = np.empty((nk, nj, ni), dtype=np.float32)
    ii = np.arange(ni, dtype=np.float32)[None, None, :]
    jj = np.arange(nj, dtype=np.float32)[None, :, None]
    step = max(1, CHUNK_VOXELS // max(nj * ni, 1))
    for k0 in range(0, nk, step):
        kk = np.arange(k0, min(nk, k0 + step), dtype=np.float32)[:, None, None]
        coords = [
            np.float32(m[c, 3])
            + np.float32(m[c, 0]) * ii
            + np.float32(m[c, 1]) * jj
            + np.float32(m[c, 2]) * kk
            for c in (2, 1, 0)
        ]
        coords = [np.broadcast_to(c, (len(kk), nj, ni)) for c in coords]
        out[k0 : k0 + len(kk)] = sample_at_index(source, coords, order=1)
    return out
