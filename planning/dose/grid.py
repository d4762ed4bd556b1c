"""The dose grid of a plan: axial, isotropic, covering the field and the patient along the beams.

:func:`dose_grid` spans the field with :data:`GRID_FIELD_MARGIN_MM` beyond its edges
(penumbra and divergence) and, along the beam axis, the patient outline plus
:data:`GRID_AXIS_MARGIN_MM` (never further than :data:`GRID_AXIS_LIMIT_MM` from the
isocentre); the isocentre is a voxel centre so that the normalisation point is not blurred.
:func:`field_box` bounds every grid a field can get (the density is prepared over it).
"""

from __future__ import annotations

import numpy as np

from imaging.units import cm_to_mm
from imaging.volume import SeriesMetadata, Volume
from planning.dose.density import sample_volume
from planning.dose.radiological_depth import TISSUE_THRESHOLD
from planning.field.derivation import Field

#: Default spacing of the (axial, isotropic) dose grid, mm.
DEFAULT_GRID_SPACING_MM = 2.0
#: The dose grid extends this far beyond the field edges (penumbra and divergence), mm.
GRID_FIELD_MARGIN_MM = 20.0
#: ... and this far beyond the patient outline along the beam axis, mm.
GRID_AXIS_MARGIN_MM = 6.0
#: Along the beam axis the grid never extends further than this from the isocentre, mm.
GRID_AXIS_LIMIT_MM = 220.0


def _axial_grid(
    lower_mm: np.ndarray, upper_mm: np.ndarray, spacing_mm: float, frame_uid: str
) -> Volume:
    lower = np.asarray(lower_mm, dtype=float)
    counts = np.maximum(np.ceil((np.asarray(upper_mm) - lower) / spacing_mm).astype(int) + 1, 2)
    affine = np.diag([spacing_mm, spacing_mm, spacing_mm, 1.0])
    affine[:3, 3] = lower
    metadata = SeriesMetadata(frame_of_reference_uid=frame_uid, units="")
    return Volume(
        array=np.zeros((counts[2], counts[1], counts[0]), dtype=np.float32),
        affine=affine,
        metadata=metadata,
    )


def _axis_extent(
    density: Volume, iso: np.ndarray, direction: np.ndarray, separation_cm: float | None
) -> tuple[float, float]:
    """Signed distances (mm, along ``direction`` from the isocentre) covering the patient."""
    t = np.arange(-GRID_AXIS_LIMIT_MM, GRID_AXIS_LIMIT_MM + 0.5, 1.0)
    values = sample_volume(density, iso[None, :] + t[:, None] * direction[None, :])
    tissue = t[values >= TISSUE_THRESHOLD]
    if tissue.size == 0:
        lo, hi = -100.0, 100.0
    else:
        lo, hi = float(tissue.min()), float(tissue.max())
    if separation_cm is not None:
        half = cm_to_mm(separation_cm) / 2.0  # half the separation, mm
        lo, hi = min(lo, -half), max(hi, half)
    return (
        max(lo - GRID_AXIS_MARGIN_MM, -GRID_AXIS_LIMIT_MM),
        min(hi + GRID_AXIS_MARGIN_MM, GRID_AXIS_LIMIT_MM),
    )


def dose_grid(
    plan_field: Field,
    density: Volume,
    spacing_mm: float,
    separation_cm: float | None,
    frame_uid: str,
) -> Volume:
    """The plan's dose grid for ``plan_field`` (see the module docstring).

    Parameters
    ----------
    plan_field : Field
    density : Volume
        Relative electron density (its outline bounds the grid along the beam axis).
    spacing_mm : float
        Isotropic voxel spacing, mm.
    separation_cm : float, optional
        User-entered patient separation along the beams, cm: the grid covers it too.
    frame_uid : str
        Frame of reference UID of the grid.
    """
    iso = np.asarray(plan_field.isocentre_mm, dtype=float)
    lower = np.array(iso, dtype=float)
    upper = np.array(iso, dtype=float)
    lower[2] = plan_field.inferior_border_z_mm - GRID_FIELD_MARGIN_MM
    upper[2] = plan_field.superior_border_z_mm + GRID_FIELD_MARGIN_MM
    half_width = plan_field.width_mm / 2.0 + GRID_FIELD_MARGIN_MM
    lateral = plan_field.arrangement == "lateral_pair"
    across, along = (1, 0) if lateral else (0, 1)
    lower[across], upper[across] = iso[across] - half_width, iso[across] + half_width
    direction = np.zeros(3)
    direction[along] = 1.0
    lo, hi = _axis_extent(density, iso, direction, separation_cm)
    lower[along], upper[along] = iso[along] + lo, iso[along] + hi
    # Align the grid so that the isocentre is a voxel centre (normalisation without blur).
    steps_below = np.ceil((iso - lower) / spacing_mm)
    lower = iso - steps_below * spacing_mm
    return _axial_grid(lower, upper, spacing_mm, frame_uid)


def field_box(plan_field: Field, spacing_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """A box holding every dose grid the field can get (for extending MR outlines)."""
    iso = np.asarray(plan_field.isocentre_mm, dtype=float)
    half = plan_field.width_mm / 2.0 + GRID_FIELD_MARGIN_MM + 2 * spacing_mm
    lower = iso - max(half, GRID_AXIS_LIMIT_MM + 2 * spacing_mm)
    upper = iso + max(half, GRID_AXIS_LIMIT_MM + 2 * spacing_mm)
    across = 1 if plan_field.arrangement == "lateral_pair" else 0
    lower[across], upper[across] = iso[across] - half, iso[across] + half
    lower[2] = plan_field.inferior_border_z_mm - GRID_FIELD_MARGIN_MM - 2 * spacing_mm
    upper[2] = plan_field.superior_border_z_mm + GRID_FIELD_MARGIN_MM + 2 * spacing_mm
    return lower, upper


def grid_points_mm(grid: Volume) -> np.ndarray:
    """LPS mm of every voxel centre of ``grid``, shaped ``grid.shape + (3,)`` (float32)."""
    k, j, i = (np.arange(n, dtype=np.float32) for n in grid.shape)
    a = grid.affine.astype(np.float32)
    return (
        a[:3, 3]
        + k[:, None, None, None] * a[:3, 2]
        + j[None, :, None, None] * a[:3, 1]
        + i[None, None, :, None] * a[:3, 0]
    )
