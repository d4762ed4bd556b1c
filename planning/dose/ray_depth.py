"""Water-equivalent depth along the rays of one beam, sampled where the dose grid needs it.

The rays form a divergent fan grid (:class:`planning.dose.radiological_depth.FanGrid`): lateral
coordinates ``u`` (beam X) and ``w`` (beam Y) in the plane at the machine's SAD, and distance
``z`` from the source along the central-axis direction. The fan covers the jaws plus four deep
penumbra widths, clipped to the part the output grid sees, and its size is bounded so that one
beam costs a bounded time whatever the field size.
"""

from __future__ import annotations

import math

import numpy as np

from imaging.units import cm_to_mm
from imaging.volume import Volume
from planning.dose.beam_data import equivalent_square_cm
from planning.dose.beam_model import BeamModel
from planning.dose.radiological_depth import FanGrid, fan_depth, regular_axis
from planning.errors import PlanningError
from planning.field.beam import Beam, beam_axes

#: Limits of the fan grid (keep the per-beam cost bounded on large fields).
MAX_LATERAL_SAMPLES = 320
MAX_DEPTH_SAMPLES = 640
MAX_RAYS = 10_000
MAX_FAN_POINTS = 2_000_000


def beam_fan_depth(
    beam: Beam,
    model: BeamModel,
    source_lps_mm: np.ndarray,
    ssd_cm: float,
    grid: Volume,
    density: Volume,
    separation_cm: float | None = None,
) -> FanGrid:
    """Radiological depth on the fan grid of ``beam`` that covers ``grid``.

    Parameters
    ----------
    beam : Beam
    model : BeamModel
        Gives the penumbra width that sets the lateral margin around the jaws.
    source_lps_mm : numpy.ndarray
        Source position, LPS mm (:func:`planning.dose.central_axis.central_axis`).
    ssd_cm : float
        Source-skin distance on the central axis, cm.
    grid : Volume
        Output dose grid (only its geometry is used).
    density : Volume
        Relative electron density (water = 1).
    separation_cm : float, optional
        User-entered patient separation: water is assumed upstream of the images within
        ``separation_cm / 2`` of the isocentre on rays entering the images in tissue.

    Raises
    ------
    PlanningError
        The dose grid lies behind the source.
    """
    axes = beam_axes(beam.gantry_angle_deg)
    direction = -axes[2]
    iso = np.asarray(beam.isocentre_lps_mm, dtype=float)
    source = source_lps_mm
    sad_mm = cm_to_mm(beam.sad_cm)
    spacing = min(min(grid.spacing_mm), min(density.spacing_mm))
    step = float(np.clip(spacing, 0.5, 2.5))
    z_iso = float((iso - source) @ direction)

    side_cm = (
        float(equivalent_square_cm(beam.field_x_sad_cm, beam.field_y_sad_cm))
        * cm_to_mm(ssd_cm)
        / sad_mm
    )
    sigma_deep_cm = float(model.penumbra_sigma_cm(np.array(30.0), ssd_cm, side_cm))
    shift_deep_cm = max(float(model.edge_shift_cm(np.array(30.0), side_cm)), 0.0)
    margin = cm_to_mm(4.0 * sigma_deep_cm + shift_deep_cm) + 5.0
    x1, x2 = (cm_to_mm(v) for v in beam.jaws_sad_cm[0])
    y1, y2 = (cm_to_mm(v) for v in beam.jaws_sad_cm[1])
    lateral_step = max(
        step,
        (x2 - x1 + 2 * margin) / MAX_LATERAL_SAMPLES,
        (y2 - y1 + 2 * margin) / MAX_LATERAL_SAMPLES,
    )
    # Only the part of the fan that the output grid sees is needed.
    rel = grid.geometry.box_corners_mm() - source
    corner_z = np.maximum(rel @ direction, 1.0)
    corner_u = rel @ axes[0] * sad_mm / corner_z
    corner_w = rel @ axes[1] * sad_mm / corner_z
    u_lo = max(x1 - margin, float(corner_u.min()) - 2 * lateral_step)
    u_hi = min(x2 + margin, float(corner_u.max()) + 2 * lateral_step)
    w_lo = max(y1 - margin, float(corner_w.min()) - 2 * lateral_step)
    w_hi = min(y2 + margin, float(corner_w.max()) + 2 * lateral_step)
    if u_hi <= u_lo or w_hi <= w_lo:  # the grid is outside the beam: no dose
        u_lo, u_hi, w_lo, w_hi = x1 - margin, x2 + margin, y1 - margin, y2 + margin
    # Bound the fan size: coarsen the rays first (up to 2.5 mm; depth along a ray varies slowly
    # across rays), then the steps along the rays.
    area_mm2 = (u_hi - u_lo) * (w_hi - w_lo)
    lateral_step = max(lateral_step, min(2.5, math.sqrt(area_mm2 / MAX_RAYS)))
    u = regular_axis(u_lo, u_hi, lateral_step)
    w = regular_axis(w_lo, w_hi, lateral_step)
    z_all = np.concatenate(
        [(v.geometry.box_corners_mm() - source) @ direction for v in (grid, density)]
    )
    z_lo = max(float(z_all.min()), 10.0)
    z_hi = float(z_all.max())
    slab = None
    if separation_cm is not None:
        slab = (z_iso - separation_cm * 5.0, z_iso + separation_cm * 5.0)
        z_lo = max(min(z_lo, slab[0]), 10.0)
    if z_hi <= z_lo:
        raise PlanningError(f"{beam.label}: the dose grid lies behind the source")
    depth_step = max(
        step, (z_hi - z_lo) / MAX_DEPTH_SAMPLES, (z_hi - z_lo) * len(u) * len(w) / MAX_FAN_POINTS
    )
    z = regular_axis(z_lo - depth_step, z_hi + depth_step, depth_step)
    return fan_depth(density, source, axes, sad_mm, u, w, z, slab)
