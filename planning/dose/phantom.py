"""Virtual water phantoms run through the 3D engine: the central-axis PDD and off-axis profiles.

These functions exist so that a physicist can check the *engine* (not the tables) against their
own beam data: ``spineplan pdd`` and ``spineplan profile`` print what :mod:`planning.dose.engine`
computes in a water box.

Geometry: the phantom surface is the plane LPS ``y = 0`` (the anterior surface of a patient-sized
water box), water for ``y > 0``; a gantry-0 beam (from anterior) with its central axis along
``x = z = 0``, SSD set-up, field size given at the surface. Density voxels have their *faces* on
the surface, so the surface is exact; dose is computed on a separate line grid whose voxel
centres are the sampled points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imaging.units import cm_to_mm, mm_to_cm
from imaging.volume import Volume
from planning.dose.beam_model import MACHINES, BeamModel, parse_energy
from planning.dose.engine import compute_beam_dose
from planning.errors import PlanningError
from planning.field.beam import Beam

#: Spacing of the dose samples along the central axis and across the profile, mm.
SAMPLE_STEP_MM = 0.5


def water_phantom(
    half_width_mm: float, depth_mm: float, lateral_spacing_mm: float, depth_spacing_mm: float
) -> Volume:
    """A water box (relative electron density 1) under the plane ``y = 0``, air above it.

    The water spans ``x, z`` in ``[-half_width_mm, half_width_mm]`` and ``y`` in
    ``[0, depth_mm]`` (voxel faces on ``y = 0``); two voxel layers of air above the surface keep
    the skin inside the images, as on a patient scan. Returned as a density Volume.
    """
    air_layers = 2
    nx = 2 * int(np.ceil(half_width_mm / lateral_spacing_mm)) + 1
    ny = int(np.ceil(depth_mm / depth_spacing_mm)) + air_layers
    affine = np.diag([lateral_spacing_mm, depth_spacing_mm, lateral_spacing_mm, 1.0])
    affine[:3, 3] = (
        -(nx // 2) * lateral_spacing_mm,
        (0.5 - air_layers) * depth_spacing_mm,
        -(nx // 2) * lateral_spacing_mm,
    )
    array = np.ones((nx, ny, nx), dtype=np.float32)
    array[:, :air_layers, :] = 0.0
    return Volume(array=array, affine=affine)


def line_grid(start_lps_mm: Sequence[float], step_lps_mm: Sequence[float], count: int) -> Volume:
    """A one-voxel-thick grid of ``count`` points ``start + n step`` (for sampling the engine)."""
    step = np.asarray(step_lps_mm, dtype=float)
    length = float(np.linalg.norm(step))
    if count < 2 or length <= 0:
        raise PlanningError("a sampling line needs at least two distinct points")
    unit = step / length
    # Two unit vectors normal to the line complete a right-handed, non-singular affine.
    helper = np.array([0.0, 0.0, 1.0]) if abs(unit[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    n1 = np.cross(unit, helper)
    n1 /= np.linalg.norm(n1)
    n2 = np.cross(unit, n1)
    affine = np.eye(4)
    affine[:3, 0] = step
    affine[:3, 1] = n1 * SAMPLE_STEP_MM
    affine[:3, 2] = n2 * SAMPLE_STEP_MM
    affine[:3, 3] = start_lps_mm
    return Volume(array=np.zeros((1, 1, count), dtype=np.float32), affine=affine)


def _surface_beam(
    energy: str, field_cm: float, ssd_cm: float, model: BeamModel | None = None
) -> Beam:
    machine = model.machine if model is not None else MACHINES[parse_energy(energy)]
    if not 1.0 <= field_cm <= 40.0:
        raise PlanningError(f"field size {field_cm} cm is outside 1-40 cm")
    if not 50.0 <= ssd_cm <= 150.0:
        raise PlanningError(f"SSD {ssd_cm} cm is outside 50-150 cm")
    at_sad = field_cm * machine.sad_cm / ssd_cm  # field given at the surface
    return Beam.symmetric(
        machine.key,
        0.0,
        (0.0, 0.0, 0.0),
        at_sad,
        at_sad,
        setup="SSD",
        ssd_cm=ssd_cm,
        name=f"{machine.key} {field_cm:g} cm SSD {ssd_cm:g} cm",
        machine_sad_cm=machine.sad_cm,
    )


def _phantom_for(field_cm: float, ssd_cm: float, max_depth_cm: float) -> Volume:
    half = cm_to_mm(field_cm / 2.0 * (ssd_cm + max_depth_cm) / ssd_cm) + 60.0
    return water_phantom(half, cm_to_mm(max_depth_cm) + 50.0, 5.0, 1.0)


@dataclass(frozen=True)
class DepthDoseCurve:
    """Central-axis percentage depth dose computed by the engine in water.

    Attributes
    ----------
    energy : str
    field_cm, ssd_cm : float
        Square field side at the surface and source-surface distance, cm.
    depths_cm, pdd_percent : numpy.ndarray
        Requested depths and the engine's dose there, % of the engine's maximum on the axis.
    dmax_cm : float
        Depth where the engine's axis dose is highest.
    assumptions : tuple of str
    """

    energy: str
    field_cm: float
    ssd_cm: float
    depths_cm: np.ndarray
    pdd_percent: np.ndarray
    dmax_cm: float
    assumptions: tuple[str, ...]


def engine_depth_dose(
    energy: str,
    field_cm: float,
    ssd_cm: float,
    depths_cm: Sequence[float],
    model: BeamModel | None = None,
) -> DepthDoseCurve:
    """Run the 3D engine in a water box and sample its central axis (normalised at the max)."""
    depths = np.asarray(depths_cm, dtype=float)
    if depths.size == 0:
        raise PlanningError("give at least one depth in cm")
    bad = depths[~np.isfinite(depths) | (depths < 0)]
    if bad.size:
        raise PlanningError(f"depth {bad[0]:g} cm: depths must be finite and >= 0 cm")
    if depths.max() > 40.0:
        raise PlanningError(f"depth {depths.max():g} cm is beyond 40 cm")
    beam = _surface_beam(energy, field_cm, ssd_cm, model)
    max_depth = max(float(depths.max()), 5.0) + 1.0
    density = _phantom_for(field_cm, ssd_cm, max_depth)
    count = round(cm_to_mm(max_depth) / SAMPLE_STEP_MM) + 1
    grid = line_grid((0.0, 0.0, 0.0), (0.0, SAMPLE_STEP_MM, 0.0), count)
    result = compute_beam_dose(beam, grid, density, model=model, with_depth=False)
    axis_depth_cm = mm_to_cm(np.arange(count) * SAMPLE_STEP_MM)
    axis_dose = result.dose.array[0, 0, :].astype(float)
    peak = float(axis_dose.max())
    if peak <= 0:
        raise PlanningError("the engine computed no dose on the central axis")
    notes = list(result.assumptions)
    table_model = model or BeamModel(MACHINES[beam.energy])
    if depths.max() > table_model.max_depth_cm:
        notes.append(
            f"depths beyond {table_model.max_depth_cm:g} cm (the deepest tabulated row) are "
            "extrapolated log-linearly"
        )
    no_buildup = table_model.surface_dose_percent(field_cm) is None
    if depths.min() < table_model.dmax_cm and no_buildup:
        notes.append(
            f"no build-up data for {beam.energy}: depths shallower than "
            f"{table_model.dmax_cm:g} cm get the d_max dose (no skin sparing modelled)"
        )
    elif depths.min() < table_model.dmax_cm:
        notes.append(
            f"depths shallower than {table_model.dmax_cm:g} cm (not tabulated) follow the "
            "build-up model of planning.dose.beam_model.BeamModel.pdd_percent"
        )
    return DepthDoseCurve(
        energy=beam.energy,
        field_cm=field_cm,
        ssd_cm=ssd_cm,
        depths_cm=depths,
        pdd_percent=100.0 * np.interp(depths, axis_depth_cm, axis_dose) / peak,
        dmax_cm=_depth_of_maximum(axis_depth_cm, axis_dose, flat_buildup=no_buildup),
        assumptions=tuple(notes),
    )


def _depth_of_maximum(depth_cm: np.ndarray, dose: np.ndarray, *, flat_buildup: bool) -> float:
    """Depth of the axis maximum; without build-up data, the deepest point of the plateau.

    A machine without build-up data gets the d_max dose at every shallower depth, so the curve
    is flat (to the engine's 0.1 % ripple at the surface voxel) up to d_max: its end is d_max.
    """
    if not flat_buildup:
        return float(depth_cm[int(np.argmax(dose))])
    return float(depth_cm[np.flatnonzero(dose >= dose.max() * 0.999)[-1]])


@dataclass(frozen=True)
class OffAxisProfile:
    """An off-axis dose profile at one depth computed by the engine in water.

    Attributes
    ----------
    off_axis_cm, dose_percent : numpy.ndarray
        Distance from the central axis along beam X in the plane at ``depth_cm`` and the dose
        there in % of the central-axis dose at that depth.
    penumbra_80_20_cm : float
        Mean of the left and right 80 %-20 % distances, cm.
    penumbra_left_cm, penumbra_right_cm : float
    field_width_50_cm : float
        Distance between the two 50 % points (the radiological field width at depth), cm.
    """

    energy: str
    field_cm: float
    ssd_cm: float
    depth_cm: float
    off_axis_cm: np.ndarray
    dose_percent: np.ndarray
    penumbra_80_20_cm: float
    penumbra_left_cm: float
    penumbra_right_cm: float
    field_width_50_cm: float


def _crossing(x: np.ndarray, y: np.ndarray, level: float) -> float:
    """First position where a decreasing ``y`` crosses ``level`` (linear interpolation)."""
    below = np.nonzero(y < level)[0]
    if below.size == 0 or below[0] == 0:
        raise PlanningError(f"the profile does not cross {level:g} % inside the sampled range")
    n = int(below[0])
    x0, x1, y0, y1 = x[n - 1], x[n], y[n - 1], y[n]
    return float(x0 + (level - y0) * (x1 - x0) / (y1 - y0))


def penumbra_widths(off_axis_cm: np.ndarray, percent: np.ndarray) -> tuple[float, float, float]:
    """``(left 80-20, right 80-20, 50 % width)`` in cm of a profile normalised to 100 on axis."""
    centre = int(np.argmin(np.abs(off_axis_cm)))
    right_x, right_y = off_axis_cm[centre:], percent[centre:]
    left_x, left_y = -off_axis_cm[centre::-1], percent[centre::-1]
    right = _crossing(right_x, right_y, 20.0) - _crossing(right_x, right_y, 80.0)
    left = _crossing(left_x, left_y, 20.0) - _crossing(left_x, left_y, 80.0)
    width = _crossing(right_x, right_y, 50.0) + _crossing(left_x, left_y, 50.0)
    return left, right, width


def engine_profile(
    energy: str, field_cm: float, ssd_cm: float, depth_cm: float, model: BeamModel | None = None
) -> OffAxisProfile:
    """Run the 3D engine in a water box and sample the profile across beam X at ``depth_cm``."""
    if not np.isfinite(depth_cm) or not 0.0 <= depth_cm <= 40.0:
        raise PlanningError(f"depth {depth_cm} cm is outside 0-40 cm")
    beam = _surface_beam(energy, field_cm, ssd_cm, model)
    half_mm = cm_to_mm(field_cm) / 2.0 * (ssd_cm + depth_cm) / ssd_cm + 40.0
    count = 2 * int(np.ceil(half_mm / SAMPLE_STEP_MM)) + 1
    start = -(count // 2) * SAMPLE_STEP_MM
    density = _phantom_for(field_cm, ssd_cm, depth_cm + 2.0)
    grid = line_grid((start, cm_to_mm(depth_cm), 0.0), (SAMPLE_STEP_MM, 0.0, 0.0), count)
    result = compute_beam_dose(beam, grid, density, model=model, with_depth=False)
    x_cm = mm_to_cm(start + np.arange(count) * SAMPLE_STEP_MM)
    dose = result.dose.array[0, 0, :].astype(float)
    axis = float(dose[count // 2])
    if axis <= 0:
        raise PlanningError("the engine computed no dose on the central axis")
    percent = 100.0 * dose / axis
    left, right, width = penumbra_widths(x_cm, percent)
    return OffAxisProfile(
        energy=beam.energy,
        field_cm=field_cm,
        ssd_cm=ssd_cm,
        depth_cm=depth_cm,
        off_axis_cm=x_cm,
        dose_percent=percent,
        penumbra_80_20_cm=(left + right) / 2.0,
        penumbra_left_cm=left,
        penumbra_right_cm=right,
        field_width_50_cm=width,
    )
