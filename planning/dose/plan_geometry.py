"""The geometry of a plan without its dose: field, lesion levels and the beams set up.

:func:`plan_geometry` runs the planning pipeline up to the point where the dose starts:
images (:func:`planning.dose.images.load_plan_images`), the lesion on the post-contrast series,
the field (:func:`planning.field.derivation.derive_case_field`), the density
(:func:`planning.dose.density.density_for_plan`) and each beam's set-up (jaws at the SAD
plane, SSD, skin entry, isocentre depth: :func:`planning.dose.beam_setup.plan_beams`). It needs no
depth-dose table, so it gives the field limits and set-up of a machine without beam data (a
Co-60 unit in this release); :func:`planning.plan.plan_case` builds the dose on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.anatomy.lesion import (
    MR_GRID,
    PLANNING_CT_GRID,
    EllipsoidLesion,
    LesionLevels,
    LesionMeasurements,
    lesion_levels,
    measure_lesion,
)
from planning.case import Case, in_case
from planning.case.settings import PlanSettings
from planning.dose import ct_mapping
from planning.dose.beam_setup import plan_beams
from planning.dose.density import Density, density_for_plan
from planning.dose.grid import DEFAULT_GRID_SPACING_MM, field_box
from planning.dose.images import (
    PlanImages,
    load_plan_images,
    position_assumptions,
    position_warnings,
)
from planning.dose.lesion_on_grid import ellipsoid_measurements, lesion_on_native_grid
from planning.dose.machine_store import beam_model_for
from planning.errors import FieldError, LabelError, PlanningError
from planning.field.beam import Beam
from planning.field.derivation import Field, derive_case_field


@dataclass(frozen=True, eq=False)
class PlanGeometry:
    """A case's field and beam set-up, before any dose.

    Attributes
    ----------
    case, settings : the inputs (``settings`` after overrides).
    images : PlanImages
    field : Field
    lesion_levels : LesionLevels
        The levels the lesion involves (the object :class:`planning.plan.PlanResult` holds).
    lesion : LesionMeasurements
        On the post-contrast series; exact for an ellipsoid.
    lesion_native_mask : Volume or None
        The lesion on the post-contrast series; None for an ellipsoid (used exactly).
    density : Density
        The relative electron density the skin entries were found on (and the dose uses).
    beams : tuple of Beam
        The field's beams set up: jaws at the SAD plane, SSD, isocentre depth, skin entry and
        machine isocentre.
    separation_cm : float or None
        The user-entered patient separation, cm.
    grid_spacing_mm : float
        The dose grid spacing the density was prepared for, mm.
    series_warnings, position_warnings : tuple of str
        The lesion series' loading warnings (those not already the field's), the planning CT's
        (another PatientID) and the warning when the images were not acquired head-first supine.
    frame_case : Case
        The case in the plan's frame of reference: ``case`` itself, or on a planning CT in
        another frame its levels and edema mapped onto the CT (:mod:`planning.dose.ct_mapping`).
    mapping_assumptions : tuple of str
        How the planning CT was chosen and the MR's annotation mapped onto it.
    """

    case: Case
    settings: PlanSettings
    images: PlanImages
    field: Field
    lesion_levels: LesionLevels
    lesion: LesionMeasurements
    lesion_native_mask: Volume | None
    density: Density
    beams: tuple[Beam, ...]
    separation_cm: float | None
    grid_spacing_mm: float
    series_warnings: tuple[str, ...] = ()
    position_warnings: tuple[str, ...] = ()
    frame_case: Case | None = None
    mapping_assumptions: tuple[str, ...] = ()

    @property
    def assumptions(self) -> tuple[str, ...]:
        """The mapping's, the field's, the density's and the beams' assumptions, without repeats."""
        notes = [*self.mapping_assumptions]
        notes += [a for a in self.field.assumptions if a not in notes]
        for more in (self.density.assumptions, *(b.assumptions for b in self.beams)):
            notes += [a for a in more if a not in notes]
        return tuple(notes)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the planner must look at before using the set-up."""
        warnings = [*self.field.warnings, *self.series_warnings]
        warnings += [
            f"{beam.name}: the skin is not imaged on the central axis and no patient separation "
            f"was entered: the isocentre depth ({beam.isocentre_depth_cm:.1f} cm), the SSD "
            "set-up and the jaws are counted from the edge of the images, so the depth is too "
            "shallow; enter the patient separation (--separation-cm)"
            for beam in self.beams
            if beam.depth_from_image_edge
        ]
        return (*warnings, *self.position_warnings)


def plan_geometry(
    case: Case,
    settings: PlanSettings | None = None,
    images: PlanImages | None = None,
    separation_cm: float | None = None,
    *,
    grid_spacing_mm: float = DEFAULT_GRID_SPACING_MM,
) -> PlanGeometry:
    """The field and the beams' set-up of a case, without dose (any machine, even no PDD table).

    Parameters
    ----------
    case : Case
        A loaded case with levels and a lesion.
    settings : PlanSettings, optional
        Overrides ``case.plan`` (e.g. command-line options).
    images : PlanImages, optional
        Already loaded images; default: loaded from the case's study.
    separation_cm : float, optional
        Patient separation along the beams where the skin is outside every image, cm.
    grid_spacing_mm : float
        Spacing of the dose grid the density is prepared for, mm (0.5-5); only the extent of
        the prepared density depends on it, not the set-up.

    Raises
    ------
    CaseFileError, LabelError, FieldError, PlanningError
        Bad input: study not found, no lesion or levels, lesion outside the labelled levels, an
        adjacent vertebra not labelled, a spacing or separation out of range, and so on.
    """
    settings = settings or case.plan
    if case.lesion is None:
        raise PlanningError(
            in_case(case, "the case has no lesion: mark the lesion before planning")
        )
    if not case.levels:
        raise PlanningError(
            in_case(case, "the case has no vertebral levels: label the levels before planning")
        )
    if not (0.5 <= grid_spacing_mm <= 5.0):
        raise PlanningError(f"dose grid spacing {grid_spacing_mm} mm is outside 0.5-5 mm")
    if separation_cm is not None and not 1.0 <= separation_cm <= 80.0:
        raise PlanningError(f"separation {separation_cm} cm is outside 1-80 cm")
    # The commissioned machine and its data source lead every output (field.json too); loaded
    # once here, which also names an unknown machine before any image is read.
    machine_notes: tuple[str, ...] = ()
    machine_sad_cm: float | None = None
    if settings.machine is not None:
        machine = beam_model_for(settings.energy, settings.machine).machine
        machine_notes, machine_sad_cm = (machine.data_statement,), machine.sad_cm
    images = images or load_plan_images(case)

    try:
        native = lesion_on_native_grid(case, images)
    except SpineplanError as error:
        raise type(error)(in_case(case, f"lesion: {error}")) from error
    frame_case, mapping_notes = case, list(images.notes)
    if images.on_registered_ct:
        frame_case, native, fallback = _onto_planning_ct(case, images, native)
        mapping_notes += [*ct_mapping.mapping_notes(), *fallback]
    try:
        plan_field = derive_case_field(frame_case, native, settings)
    except (LabelError, FieldError) as error:
        raise type(error)(in_case(case, str(error))) from error
    if plan_field.isocentre_mm is None:
        raise PlanningError("the isocentre is unknown: the lesion has no position")
    if images.on_registered_ct:
        assert images.ct is not None
        iso = images.ct.patient_to_index(np.asarray(plan_field.isocentre_mm))
        if not bool(images.ct.contains_index(iso)):
            raise PlanningError(
                in_case(
                    case,
                    f"the isocentre {np.round(plan_field.isocentre_mm, 1).tolist()} mm (CT) lies "
                    "outside the planning CT: it must cover the lesion's region",
                )
            )
    measured = _measured(case, images, native)
    involved = lesion_levels(
        frame_case.levels, (measured.superior_z_mm, measured.inferior_z_mm), case.thoracic_prefix
    )

    frame_uid = images.plan_frame_uid
    box_lower, box_upper = field_box(plan_field, grid_spacing_mm)
    density = density_for_plan(images, plan_field, box_lower, box_upper)
    volume = density.volume
    if not volume.frame_of_reference_uid:
        # The dose grid is in the lesion series' frame: the density must say so too.
        metadata = replace(volume.metadata, frame_of_reference_uid=frame_uid)
        volume = Volume(array=volume.array, affine=volume.affine, metadata=metadata)
    beams = plan_beams(plan_field, volume, separation_cm, machine_sad_cm)
    series_warnings = tuple(
        w
        for w in dict.fromkeys(images.lesion_volume.warnings or ())
        if w not in plan_field.warnings
    )
    return PlanGeometry(
        case=case,
        settings=settings,
        images=images,
        field=plan_field,
        lesion_levels=involved,
        lesion=measured,
        lesion_native_mask=native,
        density=density if volume is density.volume else replace(density, volume=volume),
        beams=beams,
        separation_cm=separation_cm,
        grid_spacing_mm=grid_spacing_mm,
        series_warnings=(*series_warnings, *images.warnings),
        position_warnings=tuple(position_warnings(images)),
        frame_case=frame_case,
        mapping_assumptions=(*machine_notes, *mapping_notes, *position_assumptions(images)),
    )


def _measured(case: Case, images: PlanImages, native: Volume | None) -> LesionMeasurements:
    """The lesion's volume, extent and centroid, counted on the grid the RT Structure Set
    outlines it on: the planning CT's for a plan on a CT, else the post-contrast MR's (a mask
    lesion on a CT of the study's own frame keeps the MR's voxels, its native grid)."""
    formula_cc = None
    if isinstance(case.lesion, EllipsoidLesion):
        if native is None:
            basis = PLANNING_CT_GRID if images.ct is not None else MR_GRID
            return ellipsoid_measurements(case, images.export_volume, basis)
        formula_cc = case.lesion.formula_volume_cc
    assert native is not None
    basis = PLANNING_CT_GRID if images.on_registered_ct else MR_GRID
    return replace(measure_lesion(native, basis), formula_volume_cc=formula_cc)


def _onto_planning_ct(
    case: Case, images: PlanImages, native: Volume | None
) -> tuple[Case, Volume, list[str]]:
    """The case's levels and edema and the lesion mask carried onto the planning CT."""
    matrix, ct = images.registration, images.ct
    assert matrix is not None and ct is not None and case.lesion is not None
    if native is None:
        assert isinstance(case.lesion, EllipsoidLesion)
        on_ct = ct_mapping.ellipsoid_onto_ct(case.lesion, ct, matrix)
        centroid = case.lesion.center_mm
    else:
        on_ct = ct_mapping.mask_onto_ct(native, ct, matrix)
        centroid = measure_lesion(native).centroid_mm
    centre_ct = ct_mapping.map_points(matrix, np.asarray(centroid, dtype=float))
    ijk = ct.patient_to_index(centre_ct)
    if not bool(ct.contains_index(ijk)):
        raise PlanningError(
            in_case(
                case,
                f"the lesion centre mapped through the registration ({np.round(centre_ct, 1)} mm) "
                "lies outside the planning CT: check planning_ct.registration and that the CT "
                "covers the lesion",
            )
        )
    notes: list[str] = []
    if not on_ct.array.any():
        # smaller than half a CT voxel everywhere: keep the voxel nearest its centre, stated
        k, j, i = (int(v) for v in np.rint(ijk[::-1]))
        array = np.zeros(ct.shape, dtype=bool)
        array[k, j, i] = True
        on_ct = ct.with_array(array)
        notes.append(
            "on the planning CT: the lesion covers no CT voxel by half; it is the one CT voxel "
            "nearest its mapped centre"
        )
    return ct_mapping.case_on_ct(case, matrix, centroid[:2]), on_ct, notes
