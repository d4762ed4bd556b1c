"""Measured off-axis profiles of a machine and the edge model the 3D engine derives from them.

A profile table (``resources/beam_data/6mv_profiles_truebeam_gbd.csv``: the TrueBeam 6 MV golden
beam data, see its ``#`` header) holds half-profiles ``p(x; d, F)`` of square fields ``F`` at
SSD 100 cm and depths ``d``, 100 % on the central axis, ``x`` the off-axis distance in cm in the
plane at depth. A clinic's own measured profiles in the same long format
(``field_cm,depth_cm,off_axis_cm,dose_percent``) plug in through
:attr:`planning.dose.beam_model.Machine.profile_table`.

The engine's lateral dose is a product of three factors (:class:`ProfileModel`), all derived
here once per table, by rules (no free parameter, nothing fitted by hand):

* **horn** ``H(d, x)``: the radial off-axis ratio of the open beam (flattening filter), taken
  from the largest measured field: its normalised profile up to ``c - 2.5 sigma`` inside its
  edge, constant beyond. Assumed radially symmetric (the profile of one axis stands for all
  directions), indexed by fan angle.
* **edge** ``E``: an error-function edge pair of width ``sigma(d, F)`` centred ``shift(d, F)``
  outside the geometric edge. For each measured profile ``sigma`` and ``shift`` are solved so
  that the model's 80-20 % width and 50 % point are the measured ones (the dose just inside the
  edge, ``h``, scales the erf: a few fixed-point iterations).
* **shoulder** ``R(d, F, t)``: the rest of the measured in-field profile, ``p / (H E)``, as a
  function of the distance ``t`` inside the edge (constant within ``2.5 sigma`` of the edge and
  outside, 1/E(0) at the centre): the scatter loss near the edges that makes small fields rounder.

Between the tabulated depths and fields every quantity is linear in depth and in field side
(clamped at the table's range; fields given as the equivalent square at the skin). Outside the
erf edges the dose falls as the erf does: the measured low-dose tails (a few % several cm out)
are NOT modelled.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from planning.dose.beam_data import BEAM_DATA_DIR, BeamDataError, load_columns

#: Grid of the shoulder and horn tables, cm (the measured profiles are sampled every 0.1 cm).
PROFILE_STEP_CM = 0.1
#: Inside this many sigmas of the edge the in-field factors are held constant (edge region).
EDGE_REGION_SIGMAS = 2.5
#: Fixed-point iterations of the edge solve (converged to < 1e-6 cm after ~6).
_EDGE_ITERATIONS = 20


@dataclass(frozen=True)
class MeasuredProfiles:
    """Half-profiles on a common off-axis grid.

    Attributes
    ----------
    depths_cm, fields_cm : numpy.ndarray
        Tabulated depths and square-field sides (at the surface, SSD 100 cm), increasing.
    off_axis_cm : numpy.ndarray
        Common off-axis grid, cm, ``0, 0.1, ...``.
    percent : numpy.ndarray
        ``percent[i, j, k]`` at ``depths_cm[i]``, ``fields_cm[j]``, ``off_axis_cm[k]``; NaN
        beyond the measured range of that profile. Shape ``(n_depth, n_field, n_x)``.
    reference_ssd_cm : float
        SSD of the measurements (100 cm).
    source : str
        The ``#`` header of the CSV file.
    path : pathlib.Path
    """

    depths_cm: np.ndarray
    fields_cm: np.ndarray
    off_axis_cm: np.ndarray
    percent: np.ndarray
    reference_ssd_cm: float
    source: str
    path: Path


@functools.cache
def load_profiles(name: str, reference_ssd_cm: float = 100.0) -> MeasuredProfiles:
    """Read a long-format profile table ``field_cm,depth_cm,off_axis_cm,dose_percent``.

    Every (depth, field) pair must start at 0 cm off axis, on the common 0.1 cm grid.
    """
    source, columns = load_columns(name)
    path = BEAM_DATA_DIR / name
    needed = ("field_cm", "depth_cm", "off_axis_cm", "dose_percent")
    if any(c not in columns for c in needed):
        raise BeamDataError(f"profile table {path}: header must be {','.join(needed)}")
    field, depth, x, dose = (columns[c] for c in needed)
    depths = np.unique(depth)
    fields = np.unique(field)
    index = np.rint(x / PROFILE_STEP_CM).astype(int)
    if np.any(np.abs(index * PROFILE_STEP_CM - x) > 1e-6) or np.any(index < 0):
        raise BeamDataError(f"profile table {path}: off-axis positions must be on a 0.1 cm grid")
    percent = np.full((len(depths), len(fields), int(index.max()) + 1), np.nan)
    i = np.searchsorted(depths, depth)
    j = np.searchsorted(fields, field)
    percent[i, j, index] = dose
    if np.any(np.isnan(percent[:, :, 0])):
        raise BeamDataError(f"profile table {path}: every profile needs its central-axis value")
    return MeasuredProfiles(
        depths_cm=depths,
        fields_cm=fields,
        off_axis_cm=np.arange(percent.shape[2]) * PROFILE_STEP_CM,
        percent=percent,
        reference_ssd_cm=reference_ssd_cm,
        source=source,
        path=path,
    )


def falling_crossing_cm(x_cm: np.ndarray, percent: np.ndarray, level: float) -> float:
    """First position where ``percent`` falls below ``level`` (linear interpolation), cm."""
    below = np.flatnonzero(percent < level)
    if below.size == 0 or below[0] == 0:
        raise BeamDataError(f"a measured profile does not cross {level:g} %")
    n = int(below[0])
    x0, x1, y0, y1 = x_cm[n - 1], x_cm[n], percent[n - 1], percent[n]
    return float(x0 + (level - y0) * (x1 - x0) / (y1 - y0))


def _edge_pair(x_cm: np.ndarray, centre_cm: float, sigma_cm: float) -> np.ndarray:
    scale = 1.0 / (math.sqrt(2.0) * sigma_cm)
    return 0.5 * (special.erf((x_cm + centre_cm) * scale) - special.erf((x_cm - centre_cm) * scale))


def _solve_edge(x: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """``(sigma_cm, centre_cm)`` of the erf edge reproducing the profile's 80-20 % and 50 %.

    ``p`` is normalised to 1 on the axis. Just inside the edge the model is ``h E(x)`` with
    ``h = p(x_h) / E(x_h)`` at ``x_h = c - 2.5 sigma``; the 80, 50 and 20 % points of
    ``h E`` then sit at ``c + sqrt(2) sigma erfcinv(2 level / h)``.
    """
    x80, x50, x20 = (falling_crossing_cm(x, 100.0 * p, v) for v in (80.0, 50.0, 20.0))
    sigma = (x20 - x80) / (2.0 * 0.8416212335729143)
    centre = x50
    for _ in range(_EDGE_ITERATIONS):
        x_h = max(centre - EDGE_REGION_SIGMAS * sigma, 0.0)
        h = float(np.interp(x_h, x, p) / _edge_pair(np.array(x_h), centre, sigma))
        a80, a50, a20 = (float(special.erfcinv(2.0 * v / h)) for v in (0.8, 0.5, 0.2))
        sigma = (x20 - x80) / (math.sqrt(2.0) * (a20 - a80))
        centre = x50 - math.sqrt(2.0) * sigma * a50
    return sigma, centre


@dataclass(frozen=True)
class ProfileModel:
    """The edge, shoulder and horn tables derived from measured profiles (module docstring).

    Attributes
    ----------
    depths_cm, fields_cm : numpy.ndarray
        Tabulated depths and square-field sides, cm.
    sigma_cm, shift_cm : numpy.ndarray
        Erf width and outward shift of the erf centre from the geometric edge (both in the
        plane at depth, cm), shape ``(n_depth, n_field)``.
    inside_cm : numpy.ndarray
        Grid of the distance ``t`` inside the erf centre, cm, ``0, 0.1, ...``.
    shoulder : numpy.ndarray
        ``R(d, F, t)``, shape ``(n_depth, n_field, len(inside_cm))``.
    off_axis_cm : numpy.ndarray
        Grid of the horn table (off-axis distance at depth, SSD 100 cm geometry), cm.
    horn : numpy.ndarray
        ``H(d, x)``, shape ``(n_depth, len(off_axis_cm))``, 1 on the axis.
    reference_ssd_cm : float
    source : str
        Where the measurements come from (the table's header).
    """

    depths_cm: np.ndarray
    fields_cm: np.ndarray
    sigma_cm: np.ndarray
    shift_cm: np.ndarray
    inside_cm: np.ndarray
    shoulder: np.ndarray
    off_axis_cm: np.ndarray
    horn: np.ndarray
    reference_ssd_cm: float
    source: str

    def _weights(self, depth_cm: ArrayLike, side_cm: ArrayLike) -> tuple[np.ndarray, ...]:
        """Bilinear indices and weights in (depth, field), clamped at the table's range."""
        d = np.clip(np.asarray(depth_cm, dtype=float), self.depths_cm[0], self.depths_cm[-1])
        f = np.clip(np.asarray(side_cm, dtype=float), self.fields_cm[0], self.fields_cm[-1])
        d, f = np.broadcast_arrays(d, f)
        i = _cell(self.depths_cm, d)
        j = _cell(self.fields_cm, f)
        t = (d - self.depths_cm[i]) / (self.depths_cm[i + 1] - self.depths_cm[i])
        u = (f - self.fields_cm[j]) / (self.fields_cm[j + 1] - self.fields_cm[j])
        return i, j, t, u

    def _bilinear(self, table: np.ndarray, depth_cm: ArrayLike, side_cm: ArrayLike) -> np.ndarray:
        i, j, t, u = self._weights(depth_cm, side_cm)
        if table.ndim == 3:
            t, u = t[..., None], u[..., None]
        upper = table[i, j] * (1 - u) + table[i, j + 1] * u
        lower = table[i + 1, j] * (1 - u) + table[i + 1, j + 1] * u
        return np.asarray(upper * (1 - t) + lower * t)

    def sigma_at(self, depth_cm: ArrayLike, side_cm: ArrayLike) -> np.ndarray:
        """Erf width (1 sigma, cm, plane at depth) at depths and equivalent-square sides."""
        return self._bilinear(self.sigma_cm, depth_cm, side_cm)

    def shift_at(self, depth_cm: ArrayLike, side_cm: ArrayLike) -> np.ndarray:
        """Outward shift (cm, plane at depth) of the erf centre from the geometric edge."""
        return self._bilinear(self.shift_cm, depth_cm, side_cm)

    def shoulder_rows(self, depth_cm: ArrayLike, side_cm: float) -> np.ndarray:
        """``R`` on :attr:`inside_cm` for each depth: shape ``(len(depth_cm), len(inside_cm))``."""
        depth = np.atleast_1d(np.asarray(depth_cm, dtype=float))
        return self._bilinear(self.shoulder, depth, np.full_like(depth, side_cm))

    def horn_rows(self, depth_cm: ArrayLike) -> np.ndarray:
        """``H`` on :attr:`off_axis_cm` for each depth (linear in depth, clamped)."""
        depth = np.atleast_1d(np.asarray(depth_cm, dtype=float))
        d = np.clip(depth, self.depths_cm[0], self.depths_cm[-1])
        i = _cell(self.depths_cm, d)
        t = ((d - self.depths_cm[i]) / (self.depths_cm[i + 1] - self.depths_cm[i]))[:, None]
        return np.asarray(self.horn[i] * (1 - t) + self.horn[i + 1] * t)


@functools.cache
def profile_model(name: str, reference_ssd_cm: float = 100.0) -> ProfileModel:
    """Derive the edge, shoulder and horn tables from the profile table ``name`` (cached)."""
    measured = load_profiles(name, reference_ssd_cm)
    x = measured.off_axis_cm
    nd, nf = len(measured.depths_cm), len(measured.fields_cm)
    inside = np.arange(0.0, x[-1] + PROFILE_STEP_CM / 2, PROFILE_STEP_CM)
    sigma = np.empty((nd, nf))
    shift = np.empty((nd, nf))
    shoulder = np.empty((nd, nf, len(inside)))
    horn = np.empty((nd, len(x)))
    for i, depth in enumerate(measured.depths_cm):
        # Horn: the largest field, up to the edge region, constant beyond.
        largest = _normalised(x, measured.percent[i, -1])
        s_big, c_big = _solve_edge(x, largest)
        x_h = max(c_big - EDGE_REGION_SIGMAS * s_big, 0.0)
        horn[i] = np.interp(np.minimum(x, x_h), x, largest)
        for j, side in enumerate(measured.fields_cm):
            p = _normalised(x, measured.percent[i, j])
            s, c = _solve_edge(x, p)
            sigma[i, j] = s
            shift[i, j] = c - side / 2.0 * (reference_ssd_cm + depth) / reference_ssd_cm
            # Shoulder against the distance t inside the erf centre; constant near the edge
            # (t < 2.5 sigma) and beyond the axis (t > c).
            t = np.clip(inside, EDGE_REGION_SIGMAS * s, max(c, EDGE_REGION_SIGMAS * s))
            at = np.clip(c - t, 0.0, None)
            ratio = np.interp(at, x, p) / (np.interp(at, x, horn[i]) * _edge_pair(at, c, s))
            shoulder[i, j] = ratio
    if np.any(~np.isfinite(shoulder)) or np.any(sigma <= 0):
        raise BeamDataError(f"profile table {measured.path}: the edge model could not be derived")
    return ProfileModel(
        depths_cm=measured.depths_cm,
        fields_cm=measured.fields_cm,
        sigma_cm=sigma,
        shift_cm=shift,
        inside_cm=inside,
        shoulder=shoulder,
        off_axis_cm=x,
        horn=horn,
        reference_ssd_cm=reference_ssd_cm,
        source=measured.source,
    )


def _cell(grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of the grid cell holding each value (the last cell for the last grid point)."""
    return np.clip(np.searchsorted(grid, values, side="right") - 1, 0, len(grid) - 2)


def _normalised(x: np.ndarray, percent: np.ndarray) -> np.ndarray:
    """A measured half-profile on the full grid (its last value held beyond the scan), 1 on axis."""
    measured = ~np.isnan(percent)
    values = np.interp(x, x[measured], percent[measured])
    return values / values[0]
