"""3D photon dose engine: the dose of one or more beams on a :class:`imaging.Volume` grid.

Beam geometry and the IEC 61217 conventions: :mod:`planning.field.beam`; skin entry, SSD and
isocentre depth: :mod:`planning.dose.central_axis`; depth along the rays:
:mod:`planning.dose.ray_depth`; the per-voxel evaluation: :mod:`planning.dose.voxel_dose`.

Method (per beam, vectorised; no Python loop over voxels)
--------------------------------------------------------
1. Density (relative electron density, see :mod:`planning.dose.radiological_depth`) is sampled
   (trilinear) on a divergent fan grid around the beam and integrated along each ray:
   radiological depth from the skin (the first tissue the ray meets).
2. At every voxel of the output grid (chunks of slices, numpy arrays throughout):
   ``dose = w * A(d_rad, s) * ((SSD + d_max) / z)^2 * P_x * P_y`` where ``d_rad`` is the depth
   of the voxel on its ray (nearest ray, linear along it), ``A`` is the published PDD with its
   inverse-square factor removed (:meth:`BeamModel.attenuation`, a 1D lookup) at the equivalent
   square ``s`` of the field at the skin, ``z`` is the distance from the source along the
   central-axis direction and ``P`` are the lateral factors (2D lookups): error-function field
   edges whose width and position are the machine's at the geometric depth below the skin plane.
   For a machine with measured profiles (6 MV: the TrueBeam golden beam data) the edge width and
   50 % point follow the measured profile of the equivalent square at that depth, ``P`` also
   carries the measured in-field shoulder (by distance from the nearer edge) and a radial
   off-axis ratio ``H`` (the horns, from the largest measured field, by fan angle) multiplies
   the dose (:mod:`planning.dose.beam_profiles`); a machine without (Co-60) has flat in-air
   fluence on planes normal to the axis and no horns. Looking ``A`` up at the radiological
   depth is the effective-path-length heterogeneity correction.
3. Voxels whose own density is below :data:`AIR_DENSITY` get no dose.

Dose is relative: 1.0 = the maximum dose on the central axis of a beam of weight 1 in water at
that beam's SSD. Prescription and monitor units scale it later (issue 6 item 3).

Limitations (stated in every result's ``assumptions``): full-scatter phantom conditions (no
missing-tissue correction near the exit or beyond the edges of the patient), no scatter dose
outside the field edges beyond the error-function penumbra (the measured low-dose tails, a few %
several cm out, are not modelled), 6 MV horns and shoulders from square fields (rectangular fields
use the equivalent square; the horn assumed radially symmetric), no horns for Co-60, no
wedges/blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from imaging.units import cm_to_mm, mm_to_cm
from imaging.volume import SeriesMetadata, Volume
from planning.dose.beam_data import equivalent_square_cm
from planning.dose.beam_model import MACHINES, BeamModel
from planning.dose.central_axis import central_axis
from planning.dose.radiological_depth import radiological_length
from planning.dose.ray_depth import beam_fan_depth
from planning.dose.voxel_dose import DoseLookup, EdgeTables, density_on_grid, evaluate_on_grid
from planning.errors import PlanCancelled, PlanningError
from planning.field.beam import Beam, beam_axes

#: Below this density a voxel is air: no dose is reported there.
AIR_DENSITY = 0.05

MODEL_LIMITATIONS = (
    "dose model: published central-axis depth dose at the radiological depth along each ray "
    "(effective path length), inverse square, error-function penumbra; full-scatter conditions "
    "assumed (no correction for missing tissue near the exit surface or the patient's edges); no "
    "scatter outside the penumbra (measured low-dose tails not modelled); 6 MV penumbra, 50 % "
    "points, shoulders and off-axis horns from measured TrueBeam square-field profiles "
    "(equivalent square for rectangular fields, horns assumed radially symmetric); Co-60 without "
    "horns; open fields only",
)


@dataclass(frozen=True)
class BeamDose:
    """The dose of one beam and the geometry the engine derived for it.

    Attributes
    ----------
    beam : Beam
    dose : Volume
        float32 relative dose on the output grid, weight included.
    depth_cm : Volume
        float32 water-equivalent depth (cm) along the ray used at each voxel (0 outside the
        beam's fan grid).
    source_lps_mm, skin_entry_lps_mm : tuple of float
        Source position and where the central axis enters the patient (imaged or assumed).
    ssd_cm : float
        Source-skin distance on the central axis.
    isocentre_depth_cm, isocentre_radiological_depth_cm : float
        Geometric and water-equivalent depth of the isocentre below the skin on the axis.
    equivalent_square_at_skin_cm : float
        Equivalent square (4A/P) of the field projected to the skin.
    assumptions : tuple of str
        What the engine had to assume for this beam, in words a physicist can check.
    """

    beam: Beam
    dose: Volume
    depth_cm: Volume
    source_lps_mm: tuple[float, float, float]
    skin_entry_lps_mm: tuple[float, float, float]
    ssd_cm: float
    isocentre_depth_cm: float
    isocentre_radiological_depth_cm: float
    equivalent_square_at_skin_cm: float
    #: ``((SSD_ref + d_max) / (SSD + d_max))^2``: the inverse-square change of the d_max dose
    #: per unit output from the machine's reference SSD to this beam's SSD (for MU/time).
    output_distance_factor: float = 1.0
    assumptions: tuple[str, ...] = field(default=())
    #: True when the skin on the central axis lies outside the images and no separation was
    #: entered: depth is then counted from the image edge (too shallow), so the dose at depth is
    #: overestimated -- callers must warn, not only list it among the assumptions.
    depth_from_image_edge: bool = False


@dataclass(frozen=True)
class DoseResult:
    """The summed dose of all beams and the per-beam details.

    Attributes
    ----------
    dose : Volume
        float32 relative dose (sum of the weighted beams) on the requested grid, study frame.
    beams : tuple of BeamDose
    assumptions : tuple of str
        Every assumption made, without repeats (model limitations, separation, missing skin...).
    """

    dose: Volume
    beams: tuple[BeamDose, ...]
    assumptions: tuple[str, ...]


def compute_beam_dose(
    beam: Beam,
    grid: Volume,
    density: Volume,
    separation_cm: float | None = None,
    model: BeamModel | None = None,
    with_depth: bool = True,
) -> BeamDose:
    """Dose of one beam on ``grid`` (method: module docstring; axes:
    :mod:`planning.field.beam`).

    Parameters
    ----------
    beam : Beam
    grid : Volume
        Output grid (only its geometry is used).
    density : Volume
        Relative electron density; may be on another grid of the same frame of reference.
    separation_cm : float, optional
        User-entered patient separation along this beam's axis (e.g. lateral separation), used
        only where the skin is outside every image: the patient is then assumed to extend
        ``separation_cm / 2`` upstream and downstream of the isocentre (isocentre at midplane).
    model : BeamModel, optional
        Override of the machine's beam model.
    with_depth : bool
        Also interpolate the radiological depth at every voxel (costs one more interpolation).
    """
    model = model or BeamModel(MACHINES[beam.energy])
    machine = model.machine
    if abs(machine.sad_cm - beam.sad_cm) > 1e-6:
        raise PlanningError(
            f"{beam.label}: set up for an SAD of {beam.sad_cm:g} cm, but the beam model "
            f"{machine.machine_name or machine.key} has {machine.sad_cm:g} cm"
        )
    _ = model.pdd_table  # raises the explanatory BeamDataError when no table is shipped
    axis = central_axis(beam, density, separation_cm)
    assumptions = list(axis.assumptions)
    if model.machine.data_statement:
        assumptions.insert(0, model.machine.data_statement)
    label = beam.label
    axes = beam_axes(beam.gantry_angle_deg)
    direction = -axes[2]
    iso = np.asarray(beam.isocentre_lps_mm, dtype=float)
    sad_mm = cm_to_mm(beam.sad_cm)
    entered_in_tissue, t_first = axis.skin_outside_images, axis.first_imaged_mm
    skin = np.asarray(axis.skin_entry_lps_mm, dtype=float)
    source = np.asarray(axis.source_lps_mm, dtype=float)
    ssd_cm = axis.ssd_cm
    ssd_mm = cm_to_mm(ssd_cm)
    iso_depth_cm = axis.isocentre_depth_cm
    side_at_skin = float(
        equivalent_square_cm(beam.field_x_sad_cm, beam.field_y_sad_cm) * ssd_mm / sad_mm
    )
    fan = beam_fan_depth(beam, model, source, ssd_cm, grid, density, separation_cm)
    u, w, z = fan.u_mm, fan.w_mm, fan.z_mm
    if fan.slab_fill_used and not entered_in_tissue:
        assumptions.append(
            f"{label}: some rays enter the patient outside the images; water assumed there up "
            f"to the user-entered separation of {separation_cm:g} cm"
        )
    elif fan.rays_entering_in_tissue > 0.02 and separation_cm is None and not entered_in_tissue:
        assumptions.append(
            f"{label}: {100 * fan.rays_entering_in_tissue:.0f} % of the rays enter the patient "
            "outside the images; their depth is counted from the edge of the images"
        )

    # Lookup tables: attenuation by radiological depth (1D) and the two field-edge profiles by
    # distance from the source (2D, fine lateral sampling). The penumbra width is taken at the
    # geometric depth below the skin plane, so the profiles separate into X and Y tables.
    depth_cm_fan = mm_to_cm(fan.depth_mm)
    lut_depth = np.arange(0.0, float(depth_cm_fan.max()) + 0.1, 0.025)
    lut_attenuation = model.attenuation(lut_depth, side_at_skin).astype(np.float32)
    x1, x2 = (cm_to_mm(v) for v in beam.jaws_sad_cm[0])
    y1, y2 = (cm_to_mm(v) for v in beam.jaws_sad_cm[1])
    tables = EdgeTables.build(model, ssd_mm, sad_mm, z, (x1, x2), (y1, y2), (u, w), side_at_skin)
    dmax_mm = cm_to_mm(model.dmax_cm)
    lookup = DoseLookup(
        fan_depth_cm=depth_cm_fan,
        u=u,
        w=w,
        z=z,
        lut_depth_cm=lut_depth,
        lut_attenuation=lut_attenuation,
        edges=tables,
        isf_numerator_mm=ssd_mm + dmax_mm,
        weight=float(beam.weight),
    )
    dose, depth = evaluate_on_grid(grid, lookup, source, axes, sad_mm, with_depth)
    air = density_on_grid(density, grid) < AIR_DENSITY
    dose[air] = 0.0
    if depth is not None:
        depth[air] = 0.0

    iso_rad_mm = radiological_length(density, skin, iso, 0.5) if iso_depth_cm > 0 else 0.0
    if entered_in_tissue and separation_cm is not None and iso_depth_cm > 0:
        # Upstream of the images the assumed slab is water: add its geometric length.
        entry = iso + t_first * direction
        iso_rad_mm = float(np.linalg.norm(entry - skin)) + radiological_length(
            density, entry, iso, 0.5
        )
    return BeamDose(
        beam=beam,
        dose=_result_volume(grid, dose, f"dose (relative) {label}", "relative"),
        depth_cm=_result_volume(
            grid,
            depth if depth is not None else np.zeros_like(dose),
            f"water-equivalent depth {label}",
            "cm",
        ),
        source_lps_mm=tuple(float(v) for v in source),  # type: ignore[arg-type]
        skin_entry_lps_mm=tuple(float(v) for v in skin),  # type: ignore[arg-type]
        ssd_cm=ssd_cm,
        isocentre_depth_cm=iso_depth_cm,
        isocentre_radiological_depth_cm=mm_to_cm(iso_rad_mm),
        equivalent_square_at_skin_cm=side_at_skin,
        output_distance_factor=float(
            ((machine.reference_ssd_cm + model.dmax_cm) / (ssd_cm + model.dmax_cm)) ** 2
        ),
        assumptions=tuple(assumptions),
        depth_from_image_edge=axis.depth_from_image_edge,
    )


def _result_volume(grid: Volume, array: np.ndarray, description: str, units: str) -> Volume:
    """A computed map on ``grid``: same frame of reference and patient, its own description."""
    source = grid.metadata
    metadata = SeriesMetadata(
        study_instance_uid=source.study_instance_uid,
        frame_of_reference_uid=source.frame_of_reference_uid,
        modality="RTDOSE" if units == "relative" else "",
        series_description=description,
        patient_name=source.patient_name,
        patient_id=source.patient_id,
        patient_birth_date=source.patient_birth_date,
        patient_sex=source.patient_sex,
        study_date=source.study_date,
        study_description=source.study_description,
        patient_position=source.patient_position,
        units=units,
    )
    return Volume(array=array, affine=grid.affine, metadata=metadata)


def compute_dose(
    beams: Sequence[Beam],
    grid: Volume,
    density: Volume,
    separation_cm: float | None = None,
    models: dict[str, BeamModel] | None = None,
    with_depth: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> DoseResult:
    """Dose of several beams on ``grid``: the sum of :func:`compute_beam_dose` over beams.

    ``models`` maps an energy key (``"Co60"``, ``"6MV"``) to a beam-model override.
    ``should_stop`` is asked before each beam (the beams are most of a plan's time); when it
    answers True, `PlanCancelled` is raised.
    """
    if not beams:
        raise PlanningError("no beams to compute")
    if (
        density.frame_of_reference_uid
        and grid.frame_of_reference_uid
        and (density.frame_of_reference_uid != grid.frame_of_reference_uid)
    ):
        raise PlanningError(
            "the density images and the dose grid are in different frames of reference "
            f"({density.frame_of_reference_uid} vs {grid.frame_of_reference_uid})"
        )
    results = []
    total = np.zeros(grid.shape, dtype=np.float32)
    assumptions: list[str] = list(MODEL_LIMITATIONS)
    for beam in beams:
        if should_stop is not None and should_stop():
            raise PlanCancelled("the dose computation was stopped")
        model = (models or {}).get(beam.energy)
        result = compute_beam_dose(beam, grid, density, separation_cm, model, with_depth)
        total += result.dose.array
        results.append(result)
        assumptions.extend(a for a in result.assumptions if a not in assumptions)
    return DoseResult(
        dose=_result_volume(grid, total, "dose (relative), all beams", "relative"),
        beams=tuple(results),
        assumptions=tuple(assumptions),
    )
