"""The planning pipeline: case -> images -> lesion -> field -> dose -> normalisation -> coverage.

:func:`plan_case` is what ``spineplan plan`` and the plan panel run. Steps:

1. **Geometry** (:func:`planning.dose.plan_geometry.plan_geometry`): the images
   (:mod:`planning.dose.images`), the lesion on the post-contrast series
   (:mod:`planning.dose.lesion_on_grid`), its levels and the field
   (:func:`planning.field.derivation.derive_case_field`),
   the density (:mod:`planning.dose.density`: CT, else the MR outline as water, every choice
   stated) and each beam set up for SSD with jaws giving the derived width and borders in the
   isocentre plane (:mod:`planning.dose.beam_setup`).
2. **Dose** (:func:`planning.dose.engine.compute_dose`) on an axial grid covering the field with a
   margin and the patient along the beam axis (:mod:`planning.dose.grid`).
3. **Normalisation**: 100 % at the lesion centroid depth on the central axis for a PA field (the
   isocentre), at a user depth (``normalisation="depth"``), or at midplane for opposed pairs
   (halfway between the two skin entry points); the plan dose in Gy is the relative dose scaled
   so that this point receives the prescription.
4. **Coverage** (:mod:`planning.evaluation.coverage`), the **verdict**
   (:mod:`planning.evaluation.verdict`) and the **monitor units / treatment time**
   (:mod:`planning.evaluation.monitor_units`); the dose statistics and DVH of the case's other
   structures (:mod:`planning.evaluation.structure_dose`; the cord's Dmax).

The result, :class:`PlanResult`, is frozen; exports (:mod:`planning.export.field_limits`, DICOM,
the PDF report) only read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import numpy as np

from imaging.units import mm_to_cm
from imaging.volume import Volume
from planning.anatomy.lesion import LesionLevels, LesionMeasurements
from planning.case import Case
from planning.case.prescription import DEFAULT_ALPHA_BETA_GY, Prescription
from planning.case.settings import PlanSettings
from planning.dose.beam_setup import normalisation_point
from planning.dose.density import Density, sample_volume
from planning.dose.engine import DoseResult, compute_dose
from planning.dose.grid import DEFAULT_GRID_SPACING_MM, dose_grid
from planning.dose.images import PlanImages, require_supported_position
from planning.dose.lesion_on_grid import lesion_on_dose_grid
from planning.dose.machine_store import beam_model_for
from planning.dose.plan_geometry import plan_geometry
from planning.errors import PlanningError
from planning.evaluation.coverage import (
    DoseStatistics,
    DoseVolumeHistogram,
    coverage_passes,
    cumulative_dvh,
    dose_statistics,
)
from planning.evaluation.monitor_units import (
    Calibration,
    MonitorUnitCalculation,
    hand_calculation,
    machine_calibration,
)
from planning.evaluation.structure_dose import CORD_ALPHA_BETA_GY, StructureDose, structure_doses
from planning.evaluation.verdict import Verdict, coverage_verdict
from planning.field.beam import Beam
from planning.field.derivation import Field


@dataclass(frozen=True)
class Normalisation:
    """Where 100 % is: the point, how it was chosen and the relative dose there."""

    point_mm: tuple[float, float, float]
    description: str
    depth_cm: float
    relative_dose: float
    relative_dose_per_beam: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class PlanResult:
    """Everything a plan produced. Doses in Gy are the whole course (all fractions).

    Attributes
    ----------
    case, settings : the inputs (``settings`` after command-line overrides).
    images : PlanImages
    field : Field
    lesion_levels : LesionLevels
    lesion : LesionMeasurements (on the post-contrast series; exact for an ellipsoid)
    lesion_mask : Volume
        The lesion on the dose grid (the mask coverage is computed on).
    density : Density
    beams : tuple of Beam
        The beams set up, with their meterset per fraction (``Beam.with_meterset``).
    dose_result : DoseResult (relative dose per beam, engine assumptions)
    dose_gy : Volume
        Plan dose in Gy on the dose grid.
    normalisation : Normalisation
    prescription : Prescription
    alpha_beta_gy : float
    lesion_stats : DoseStatistics
    dvh : DoseVolumeHistogram
    coverage_pass : bool
    verdict : Verdict
    monitor_units : tuple of MonitorUnitCalculation (one per beam, per fraction)
    assumptions, warnings : tuple of str
    structure_doses : tuple of StructureDose
        The dose to each of the case's other structures (``cord`` picks the spinal cord).
    frame_case : Case or None
        The case in the plan's frame of reference (levels and edema mapped onto a planning CT in
        another frame; else ``case``): see :attr:`plan_frame_case`.
    lesion_native_mask : Volume or None
        The lesion on the planning CT (in another frame) or the post-contrast series; None for
        an ellipsoid used exactly.
    """

    case: Case
    settings: PlanSettings
    images: PlanImages
    field: Field
    lesion_levels: LesionLevels
    lesion: LesionMeasurements
    lesion_mask: Volume
    density: Density
    beams: tuple[Beam, ...]
    dose_result: DoseResult
    dose_gy: Volume
    normalisation: Normalisation
    prescription: Prescription
    alpha_beta_gy: float
    lesion_stats: DoseStatistics
    dvh: DoseVolumeHistogram
    coverage_pass: bool
    verdict: Verdict
    monitor_units: tuple[MonitorUnitCalculation, ...]
    grid_spacing_mm: float
    separation_cm: float | None = None
    assumptions: tuple[str, ...] = dataclass_field(default=())
    warnings: tuple[str, ...] = dataclass_field(default=())
    structure_doses: tuple[StructureDose, ...] = dataclass_field(default=())
    frame_case: Case | None = None
    lesion_native_mask: Volume | None = None

    @property
    def plan_frame_case(self) -> Case:
        """The case whose levels and edema are in the plan's frame of reference."""
        return self.frame_case if self.frame_case is not None else self.case

    @property
    def exit_status(self) -> int:
        """0 when coverage passes, 1 when it fails (the command-line contract)."""
        return 0 if self.coverage_pass else 1

    @property
    def cord(self) -> StructureDose | None:
        """The dose to the structure named "Cord" (any letter case), when the case has one."""
        return next((s for s in self.structure_doses if s.is_cord), None)

    def cord_dmax_eqd2_gy(self) -> float | None:
        """EQD2 of the cord's maximum dose (alpha/beta ``CORD_ALPHA_BETA_GY``), Gy."""
        cord = self.cord
        if cord is None or cord.stats is None:
            return None
        return Prescription(max(cord.stats.dmax_gy, 1e-6), self.prescription.fractions).eqd2_gy(
            CORD_ALPHA_BETA_GY
        )


def plan_case(
    case: Case,
    settings: PlanSettings | None = None,
    *,
    images: PlanImages | None = None,
    grid_spacing_mm: float = DEFAULT_GRID_SPACING_MM,
    separation_cm: float | None = None,
    calibration: Calibration | None = None,
    alpha_beta_gy: float = DEFAULT_ALPHA_BETA_GY,
    should_stop: Callable[[], bool] | None = None,
) -> PlanResult:
    """Plan a case: field, dose, normalisation, coverage, verdict and monitor units.

    Parameters
    ----------
    case : Case
        A loaded case with levels and a lesion.
    settings : PlanSettings, optional
        Overrides ``case.plan`` (e.g. command-line options).
    images : PlanImages, optional
        Already loaded images (the GUI has them); default: loaded from the case's study.
    grid_spacing_mm : float
        Dose grid spacing (isotropic, axial), mm.
    separation_cm : float, optional
        Patient separation along the beams where the skin is outside every image (lateral
        separation on a sagittal-only study), cm.
    calibration : Calibration, optional
        Machine output for the monitor-unit / time calculation (default: stated assumptions).
    alpha_beta_gy : float
        alpha/beta for BED and EQD2, Gy.
    should_stop : callable, optional
        Asked before each beam's dose; True stops the plan with `PlanCancelled`.

    Raises
    ------
    CaseFileError, LabelError, FieldError, PlanningError
        Bad input: study not found, lesion outside the labelled levels, an energy without beam
        data, and so on.
    """
    geometry = plan_geometry(case, settings, images, separation_cm, grid_spacing_mm=grid_spacing_mm)
    settings, images, plan_field = geometry.settings, geometry.images, geometry.field
    prescription = Prescription(settings.dose_gy, settings.fractions)

    require_supported_position(images)
    model = beam_model_for(settings.energy, settings.machine)
    calibration = machine_calibration(model, calibration)
    if not model.has_depth_dose:
        raise PlanningError(
            f"energy {settings.energy}: no depth-dose table is shipped for this machine "
            "(see resources/beam_data/README.md): choose 6 MV (--energy 6MV) or add the table"
        )
    density, beams = geometry.density, geometry.beams
    frame_uid = images.plan_frame_uid
    grid = dose_grid(plan_field, density.volume, grid_spacing_mm, separation_cm, frame_uid)
    dose_result = compute_dose(
        beams,
        grid,
        density.volume,
        separation_cm,
        models={settings.energy: model},
        should_stop=should_stop,
    )
    point, words = normalisation_point(plan_field, settings, beams)
    per_beam = tuple(float(sample_volume(b.dose, point)[0]) for b in dose_result.beams)
    relative = float(sum(per_beam))
    if not relative > 1e-6:
        raise PlanningError(
            f"no dose at the normalisation point {np.round(point, 1).tolist()} mm ({words})"
        )
    depth_cm = float(sample_volume(dose_result.beams[0].depth_cm, point)[0])
    normalisation = Normalisation(
        point_mm=tuple(float(v) for v in point),  # type: ignore[arg-type]
        description=words,
        depth_cm=depth_cm,
        relative_dose=relative,
        relative_dose_per_beam=per_beam,
    )
    scale_gy = prescription.dose_gy / relative
    dose_gy = grid.with_array((dose_result.dose.array * np.float32(scale_gy)).astype(np.float32))

    mask, single_voxel = lesion_on_dose_grid(case, geometry.lesion_native_mask, grid)
    voxel_cc = float(np.prod(grid.spacing_mm)) / 1000.0
    stats = dose_statistics(dose_gy.array, mask.array, prescription.dose_gy, voxel_cc, "Lesion")
    dvh = cumulative_dvh(
        dose_gy.array, mask.array, bin_width_gy=prescription.dose_gy / 1000.0, structure="Lesion"
    )
    others, structure_notes = structure_doses(case, images, dose_gy, prescription.dose_gy)
    passed = coverage_passes(stats)
    verdict = coverage_verdict(
        stats,
        dose_gy=dose_gy,
        lesion_mask=mask,
        plan_field=plan_field,
        beam_doses=dose_result.beams,
        beams=beams,
        normalisation_depth_cm=depth_cm,
        model=model,
    )
    monitor_units = tuple(
        hand_calculation(
            beam_dose=beam_dose,
            dose_per_fraction_gy=prescription.dose_per_fraction_gy * share / relative,
            depth_cm=float(sample_volume(beam_dose.depth_cm, point)[0]),
            geometric_depth_cm=float(
                mm_to_cm(np.linalg.norm(point - np.asarray(beam_dose.skin_entry_lps_mm)))
            ),
            engine_relative_dose=share,
            calibration=calibration,
            model=model,
        )
        for beam_dose, share in zip(dose_result.beams, per_beam, strict=True)
    )

    assumptions = list(geometry.assumptions)
    assumptions += [a for a in dose_result.assumptions if a not in assumptions]
    if single_voxel:
        assumptions.append(
            f"dose grid: axial, {grid_spacing_mm:g} mm voxels; the lesion is smaller than one "
            "dose voxel (no voxel centre lies inside it), so its coverage is that of the single "
            f"voxel nearest its centroid ({float(np.prod(grid.spacing_mm)) / 1000.0:.3f} cc)"
        )
    else:
        assumptions.append(
            f"dose grid: axial, {grid_spacing_mm:g} mm voxels; the lesion is the voxels whose "
            "centre lies inside it"
        )
    assumptions.append(f"normalisation: 100 % = {prescription.dose_gy:g} Gy at the {words}")
    assumptions += structure_notes
    if any(s.is_cord for s in others):
        assumptions.append(
            f"cord Dmax EQD2 with alpha/beta {CORD_ALPHA_BETA_GY:g} Gy over "
            f"{prescription.fractions} fraction(s); Dmax is the highest dose-grid voxel"
        )
    for calc in monitor_units:
        assumptions += [a for a in calc.assumptions if a not in assumptions]
    warnings = [*plan_field.warnings, *geometry.series_warnings]
    for beam_dose, calc in zip(dose_result.beams, monitor_units, strict=True):
        if beam_dose.depth_from_image_edge:
            warnings.append(
                f"{calc.beam_name}: the skin is not imaged on the central axis and no patient "
                f"separation was entered: depth ({calc.depth_cm:.1f} cm) is counted from the "
                "edge of the images, so it is too shallow and the dose at depth is "
                f"overestimated -- the {'MU' if calc.unit == 'MU' else 'treatment time'} are too "
                "LOW; enter the patient separation (--separation-cm)"
            )
    warnings += geometry.position_warnings
    beams = tuple(
        beam.with_meterset(calc.meterset, calc.unit, calc.dose_per_fraction_gy)
        for beam, calc in zip(beams, monitor_units, strict=True)
    )
    return PlanResult(
        case=case,
        settings=settings,
        images=images,
        field=plan_field,
        lesion_levels=geometry.lesion_levels,
        lesion=geometry.lesion,
        lesion_mask=mask,
        density=density,
        beams=beams,
        dose_result=dose_result,
        dose_gy=dose_gy,
        normalisation=normalisation,
        prescription=prescription,
        alpha_beta_gy=alpha_beta_gy,
        lesion_stats=stats,
        dvh=dvh,
        coverage_pass=passed,
        verdict=verdict,
        monitor_units=monitor_units,
        grid_spacing_mm=grid_spacing_mm,
        separation_cm=separation_cm,
        assumptions=tuple(assumptions),
        warnings=tuple(warnings),
        structure_doses=others,
        frame_case=geometry.frame_case,
        lesion_native_mask=geometry.lesion_native_mask,
    )
