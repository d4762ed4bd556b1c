"""The planning pipeline: case -> images -> lesion -> field -> dose -> normalisation -> coverage.

:func:`plan_case` is what ``spineplan plan`` and the plan panel run. Steps:

1. **Images** (:func:`load_plan_images`): the case's study is found and checked
   (:func:`planning.case.check_study`); the post-contrast series (the lesion's series), a
   sagittal MR, an axial MR and a planning CT are picked from it when present.
2. **Lesion and field**: the lesion mask is built on the post-contrast series (an ellipsoid is
   used exactly), its levels found and the field derived (:func:`planning.field.derive_case_field`).
3. **Density** (:func:`density_for_plan`): a planning CT in the frame of reference gives
   radiological depth from HU (the patient only: what air separates from it in a slice, such as
   the couch, is removed so that it is not taken for the skin); without one the MR outline is
   water. A sagittal MR only spans a
   few cm across the midline, so for posterior and anterior beams its outline is extended
   sideways (each sagittal slab repeated outwards: the back is assumed to be the same across the
   field width); for a lateral pair the axial MR through the lesion gives the outline, extended
   along z. Every such choice is stated in ``assumptions``.
4. **Dose** (:func:`planning.dose.compute_dose`) on an axial grid covering the field with a
   margin and the patient along the beam axis, with jaws set so that the field has the derived
   width and borders in the isocentre plane (SSD set-up).
5. **Normalisation**: 100 % at the lesion centroid depth on the central axis for a PA field (the
   isocentre), at a user depth (``normalisation="depth"``), or at midplane for opposed pairs
   (halfway between the two skin entry points); the plan dose in Gy is the relative dose scaled
   so that this point receives the prescription.
6. **Coverage** (:mod:`planning.coverage`), the **verdict** (:mod:`planning.verdict`) and the
   **monitor units / treatment time** (:mod:`planning.monitor_units`); the dose statistics and
   DVH of the case's other structures (:mod:`planning.structures`; the cord's Dmax).

The result, :class:`PlanResult`, is frozen; exports (:mod:`planning.field_export`, DICOM, the
PDF report) only read it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from imaging.discovery import SeriesInfo
from imaging.errors import SpineplanError
from imaging.loading import load_series
from imaging.resample import resample_to
from imaging.volume import SeriesMetadata, Volume
from planning.beam_model import MACHINES, beam_model
from planning.case import Case, check_study
from planning.coverage import (
    DoseStatistics,
    DoseVolumeHistogram,
    coverage_passes,
    cumulative_dvh,
    dose_statistics,
)
from planning.dose import Beam as DoseBeam
from planning.dose import DoseResult, beam_axes, compute_beam_dose, compute_dose
from planning.errors import FieldError, LabelError, PlanningError
from planning.field import TREATMENT_POSITION, Field, derive_case_field
from planning.lesion import (
    EllipsoidLesion,
    LesionLevels,
    LesionMeasurements,
    MaskLesion,
    build_lesion_mask,
    ellipsoid_mask,
    lesion_levels,
    measure_lesion,
)
from planning.monitor_units import Calibration, MonitorUnitCalculation, hand_calculation
from planning.prescription import DEFAULT_ALPHA_BETA_GY, Prescription
from planning.radiological_depth import (
    BODY_THRESHOLD_HU,
    TISSUE_THRESHOLD,
    body_mask_from_ct,
    body_mask_from_mr,
    density_from_ct,
)
from planning.settings import PlanSettings
from planning.structures import CaseStructure, build_structure_mask, is_cord
from planning.verdict import Verdict, coverage_verdict

#: Default spacing of the (axial, isotropic) dose grid, mm.
DEFAULT_GRID_SPACING_MM = 2.0
#: The dose grid extends this far beyond the field edges (penumbra and divergence), mm.
GRID_FIELD_MARGIN_MM = 20.0
#: ... and this far beyond the patient outline along the beam axis, mm.
GRID_AXIS_MARGIN_MM = 6.0
#: Along the beam axis the grid never extends further than this from the isocentre, mm.
GRID_AXIS_LIMIT_MM = 220.0

_CONTRAST = re.compile(r"(\+\s*c\b|\bc\s*\+|post|gad|\bgd\b|contrast|\bce\b)", re.IGNORECASE)


# -- images ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PlanImages:
    """The series of a case's study used for planning, loaded.

    Attributes
    ----------
    series : tuple of SeriesInfo
        Every usable series of the study in the case's frame of reference.
    lesion_series : SeriesInfo
        The post-contrast series the lesion is built on (sagittal preferred).
    lesion_volume : Volume
    sagittal, axial_mr, ct : Volume or None
        A sagittal MR (T2 preferred, for display and the outline), an axial MR (post-contrast
        preferred) and the planning CT, when the study has them.
    export_series : SeriesInfo
        The series the DICOM exports reference (the CT when present, else the lesion series).
    """

    series: tuple[SeriesInfo, ...]
    lesion_series: SeriesInfo
    lesion_volume: Volume
    sagittal: Volume | None
    axial_mr: Volume | None
    ct: Volume | None
    export_series: SeriesInfo


def _is_post_contrast(info: SeriesInfo) -> bool:
    return bool(_CONTRAST.search(info.description or ""))


def _pick(candidates: Sequence[SeriesInfo], *preferences: Any) -> SeriesInfo | None:
    """The first candidate meeting the most preferences in order (each a predicate)."""
    pool = list(candidates)
    for predicate in preferences:
        narrowed = [s for s in pool if predicate(s)]
        if narrowed:
            pool = narrowed
    if not pool:
        return None
    return max(pool, key=lambda s: s.number_of_images)


def load_plan_images(case: Case) -> PlanImages:
    """Find the case's study, pick and load the series the plan uses.

    Raises
    ------
    CaseFileError
        The study is missing or does not match the case (see :func:`check_study`).
    PlanningError
        No MR or CT series that can form a volume.
    """
    usable = tuple(s for s in check_study(case) if not s.error)
    mr = [s for s in usable if s.modality == "MR"]
    cts = [s for s in usable if s.modality == "CT"]
    source = case.source_path.name if case.source_path is not None else "<case>"
    if not mr and not cts:
        raise PlanningError(f"{source}: the study has no MR or CT series that forms a volume")
    lesion_series = _pick(mr or cts, _is_post_contrast, lambda s: s.orientation == "sagittal")
    assert lesion_series is not None
    sagittal_info = _pick(
        [s for s in mr if s.orientation == "sagittal"],
        lambda s: "t2" in s.description.lower(),
    )
    axial_info = _pick([s for s in mr if s.orientation == "axial"], _is_post_contrast)
    ct_info = _pick(cts)
    loaded: dict[str, Volume] = {}

    def load(info: SeriesInfo | None) -> Volume | None:
        if info is None:
            return None
        if info.key not in loaded:
            loaded[info.key] = load_series(info)
        return loaded[info.key]

    lesion_volume = load(lesion_series)
    assert lesion_volume is not None
    return PlanImages(
        series=usable,
        lesion_series=lesion_series,
        lesion_volume=lesion_volume,
        sagittal=load(sagittal_info),
        axial_mr=load(axial_info),
        ct=load(ct_info),
        export_series=ct_info or lesion_series,
    )


# -- geometry helpers -----------------------------------------------------------------------
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


def _extend_slices(volume: Volume, points_mm: np.ndarray) -> tuple[Volume, bool]:
    """Repeat the first and last slice outwards until ``points_mm`` lie within the slices."""
    k = volume.patient_to_index(points_mm)[:, 2]
    before = max(0, math.ceil(-0.5 - float(k.min())))
    after = max(0, math.ceil(float(k.max()) - (volume.shape[0] - 0.5)))
    if before == 0 and after == 0:
        return volume, False
    array = np.pad(volume.array, ((before, after), (0, 0), (0, 0)), mode="edge")
    affine = volume.affine.copy()
    affine[:3, 3] = affine[:3, 3] - before * affine[:3, 2]
    return Volume(array=array, affine=affine, metadata=volume.metadata), True


def _crop(volume: Volume, points_mm: np.ndarray) -> Volume:
    """The part of ``volume`` holding ``points_mm`` (plus a voxel), for faster dose."""
    ijk = volume.patient_to_index(points_mm)
    size = np.asarray(volume.size_ijk)
    low = np.clip(np.floor(ijk.min(axis=0)).astype(int) - 1, 0, size - 1)
    high = np.clip(np.ceil(ijk.max(axis=0)).astype(int) + 2, low + 1, size)
    array = volume.array[low[2] : high[2], low[1] : high[1], low[0] : high[0]]
    affine = volume.affine.copy()
    affine[:3, 3] = volume.index_to_patient(low.astype(float))
    return Volume(array=array, affine=affine, metadata=volume.metadata)


def _corners(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.array(
        [
            [x, y, z]
            for x in (lower[0], upper[0])
            for y in (lower[1], upper[1])
            for z in (lower[2], upper[2])
        ],
        dtype=float,
    )


def _sample(volume: Volume, points_mm: np.ndarray, order: int = 1) -> np.ndarray:
    ijk = volume.patient_to_index(np.atleast_2d(points_mm))
    return ndimage.map_coordinates(
        np.asarray(volume.array, dtype=np.float32),
        [ijk[:, 2], ijk[:, 1], ijk[:, 0]],
        order=order,
        mode="grid-constant",
        cval=0.0,
    )


@dataclass(frozen=True, eq=False)
class Density:
    """Relative electron density used for the dose, with where it came from."""

    volume: Volume
    source: str
    assumptions: tuple[str, ...] = ()


def density_for_plan(
    images: PlanImages, plan_field: Field, lower_mm: np.ndarray, upper_mm: np.ndarray
) -> Density:
    """The density for the dose: CT when it covers the field, else the MR outline as water.

    ``lower_mm``/``upper_mm`` bound the region the dose grid will cover across the beams.
    """
    corners = _corners(lower_mm, upper_mm)
    iso = np.asarray(plan_field.isocenter_mm, dtype=float)
    if images.ct is not None and bool(images.ct.contains_index(images.ct.patient_to_index(iso))):
        description = images.ct.metadata.series_description or "CT"
        cropped = _crop(images.ct, corners)
        density = density_from_ct(cropped)
        # Only the patient: the couch under the back would otherwise be a PA beam's "skin".
        body = body_mask_from_ct(cropped, iso)
        density = density.with_array(np.where(body, density.array, np.float32(0.0)))
        return Density(
            density,
            f"planning CT '{description}' (radiological depth from HU)",
            (
                "density from the planning CT: HU to relative electron density through a "
                "bilinear curve (air -1000 HU = 0, water 0 HU = 1, cortical bone 1500 HU = 1.78, "
                "ASSUMED; replace with the scanner's calibration)",
                f"CT outside the patient outline (above {BODY_THRESHOLD_HU:g} HU, in each slice "
                "the part around the isocentre) is air: the couch and devices separated from the "
                "patient by air are left out, so their attenuation is not in the dose (apply "
                "the couch factor); a couch in contact with the skin is not removed",
            ),
        )
    lateral = plan_field.arrangement == "lateral_pair"
    if lateral and images.axial_mr is not None:
        axial = images.axial_mr
        if bool(axial.contains_index(axial.patient_to_index(iso))):
            water = axial.with_array(body_mask_from_mr(axial).astype(np.float32))
            extended, padded = _extend_slices(water, corners)
            notes = [
                "no planning CT: the patient is water inside the outline of the axial MR "
                f"'{axial.metadata.series_description}' (no heterogeneity correction)"
            ]
            if padded:
                notes.append(
                    "the axial MR does not span the whole field length: its first and last "
                    "slices' outline is assumed to continue up and down"
                )
            return Density(extended, "MR outline (axial), water", tuple(notes))
    sagittal = images.sagittal if images.sagittal is not None else images.lesion_volume
    water = sagittal.with_array(body_mask_from_mr(sagittal).astype(np.float32))
    notes = [
        "no planning CT: the patient is water inside the outline of the MR "
        f"'{sagittal.metadata.series_description}' (no heterogeneity correction)"
    ]
    if lateral:
        notes.append(
            "lateral beams on a sagittal MR without an axial series or CT: the lateral skin is "
            "not imaged, so the depth rests on the patient separation entered by the user"
        )
        return Density(water, "MR outline (sagittal), water", tuple(notes))
    extended, padded = _extend_slices(water, corners)
    if padded:
        notes.append(
            "the sagittal MR covers only the midline: its outline is assumed to be the same "
            "across the field width (each outer sagittal slab repeated sideways)"
        )
    return Density(extended, "MR outline (sagittal), water", tuple(notes))


def _axis_extent(
    density: Volume, iso: np.ndarray, direction: np.ndarray, separation_cm: float | None
) -> tuple[float, float]:
    """Signed distances (mm, along ``direction`` from the isocentre) covering the patient."""
    t = np.arange(-GRID_AXIS_LIMIT_MM, GRID_AXIS_LIMIT_MM + 0.5, 1.0)
    values = _sample(density, iso[None, :] + t[:, None] * direction[None, :])
    tissue = t[values >= TISSUE_THRESHOLD]
    if tissue.size == 0:
        lo, hi = -100.0, 100.0
    else:
        lo, hi = float(tissue.min()), float(tissue.max())
    if separation_cm is not None:
        half = separation_cm * 5.0
        lo, hi = min(lo, -half), max(hi, half)
    return (
        max(lo - GRID_AXIS_MARGIN_MM, -GRID_AXIS_LIMIT_MM),
        min(hi + GRID_AXIS_MARGIN_MM, GRID_AXIS_LIMIT_MM),
    )


# -- the result -----------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanBeamGeometry:
    """One beam as planned: engine beam (jaws at the SAD plane) and its set-up numbers.

    Attributes
    ----------
    beam : planning.dose.Beam
    jaw_x_cm, jaw_y_cm : (float, float)
        Jaw positions at the machine's SAD plane (IEC X1, X2 and Y1 inferior, Y2 superior).
    ssd_cm : float
    isocentre_depth_cm : float
        Geometric depth of the field's isocentre below this beam's skin entry.
    machine_isocentre_mm : tuple of 3 float
        The point at SAD from the source on the central axis (what the RT Plan calls the
        isocentre of an SSD set-up), LPS mm.
    skin_entry_mm, source_mm : tuple of 3 float
    """

    beam: DoseBeam
    jaw_x_cm: tuple[float, float]
    jaw_y_cm: tuple[float, float]
    ssd_cm: float
    isocentre_depth_cm: float
    machine_isocentre_mm: tuple[float, float, float]
    skin_entry_mm: tuple[float, float, float]
    source_mm: tuple[float, float, float]

    @property
    def name(self) -> str:
        return self.beam.name

    @property
    def gantry_angle_deg(self) -> float:
        return self.beam.gantry_angle_deg

    @property
    def field_at_skin_cm(self) -> tuple[float, float]:
        """Field size (X, Y) on the skin, cm: the jaw opening scaled from the SAD to the SSD."""
        scale = self.ssd_cm / MACHINES[self.beam.energy].sad_cm
        return (
            (self.jaw_x_cm[1] - self.jaw_x_cm[0]) * scale,
            (self.jaw_y_cm[1] - self.jaw_y_cm[0]) * scale,
        )


@dataclass(frozen=True)
class Normalisation:
    """Where 100 % is: the point, how it was chosen and the relative dose there."""

    point_mm: tuple[float, float, float]
    description: str
    depth_cm: float
    relative_dose: float
    relative_dose_per_beam: tuple[float, ...]


#: alpha/beta of the spinal cord for the EQD2 of its maximum dose, Gy (late effects).
CORD_ALPHA_BETA_GY = 2.0


@dataclass(frozen=True, eq=False)
class StructureDose:
    """The dose to one of the case's extra structures (the cord, a bone metastasis...).

    Attributes
    ----------
    name : str
    interpreted_type : str
        DICOM RTROIInterpretedType (ORGAN for the cord).
    mask : Volume
        The structure on the dose grid (voxels whose centre lies inside it); the part of the
        structure beyond the dose grid is not in it.
    volume_cc : float
        The whole structure's volume on the post-contrast series (or exact for an ellipsoid).
    stats : DoseStatistics or None
        Of the part on the dose grid; None when no voxel of it is on the grid.
    dvh : DoseVolumeHistogram or None
        Of the part on the dose grid.
    """

    name: str
    interpreted_type: str
    mask: Volume
    volume_cc: float
    stats: DoseStatistics | None
    dvh: DoseVolumeHistogram | None
    #: how the structure is given, and (for a mask) the structure on the post-contrast series
    shape: EllipsoidLesion | MaskLesion | None = None
    native_mask: Volume | None = None

    def mask_on(self, grid: Volume) -> Volume:
        """The whole structure on another grid (e.g. one reaching beyond the dose grid)."""
        if isinstance(self.shape, EllipsoidLesion):
            return ellipsoid_mask(grid, self.shape.center_mm, self.shape.radii_mm)
        if self.native_mask is not None:
            return _mask_on_grid(self.native_mask, grid)
        return _mask_on_grid(self.mask, grid)

    def z_range_mm(self) -> tuple[float, float] | None:
        """``(superior_z_mm, inferior_z_mm)`` of the whole structure, or None if unknown."""
        if isinstance(self.shape, EllipsoidLesion):
            return self.shape.z_range_mm
        source = self.native_mask if self.native_mask is not None else self.mask
        if not source.array.any():
            return None
        measured = measure_lesion(source)
        return measured.superior_z_mm, measured.inferior_z_mm

    @property
    def volume_in_dose_grid_percent(self) -> float:
        """Share of the structure's volume that lies on the dose grid, %."""
        if self.stats is None or self.volume_cc <= 0:
            return 0.0
        return float(min(100.0, 100.0 * self.stats.volume_cc / self.volume_cc))

    @property
    def is_cord(self) -> bool:
        return is_cord(self.name)


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
    beams : tuple of PlanBeamGeometry
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
    """

    case: Case
    settings: PlanSettings
    images: PlanImages
    field: Field
    lesion_levels: LesionLevels
    lesion: LesionMeasurements
    lesion_mask: Volume
    density: Density
    beams: tuple[PlanBeamGeometry, ...]
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


def inside_field(
    beams: Sequence[PlanBeamGeometry], energy: str, points_mm: np.ndarray
) -> np.ndarray:
    """Whether each point (LPS mm, any shape ``(..., 3)``) lies within a beam's geometric edges.

    A point is inside a beam when its projection along the divergent ray onto the SAD plane
    falls between the jaws; the result is the union over ``beams``.
    """
    points = np.asarray(points_mm, dtype=np.float32)
    sad_mm = MACHINES[energy].sad_cm * 10.0
    inside = np.zeros(points.shape[:-1], dtype=bool)
    for geometry in beams:
        axes = beam_axes(geometry.gantry_angle_deg).astype(np.float32)
        relative = points - np.asarray(geometry.source_mm, dtype=np.float32)
        distance = np.maximum(relative @ -axes[2], np.float32(1.0))
        factor = np.float32(sad_mm / 10.0) / distance  # cm at the SAD plane per mm
        u = (relative @ axes[0]) * factor
        w = (relative @ axes[1]) * factor
        inside |= (
            (u >= geometry.jaw_x_cm[0])
            & (u <= geometry.jaw_x_cm[1])
            & (w >= geometry.jaw_y_cm[0])
            & (w <= geometry.jaw_y_cm[1])
        )
    return inside


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


# -- the pipeline ---------------------------------------------------------------------------
def _in_case(case: Case, message: str) -> str:
    """``message`` prefixed with the case file's name, when the case came from a file."""
    return message if case.source_path is None else f"{Path(case.source_path).name}: {message}"


def _lesion_on_native_grid(case: Case, images: PlanImages) -> Volume | None:
    """The lesion mask on the post-contrast series, or None for an ellipsoid (used exactly)."""
    assert case.lesion is not None
    if isinstance(case.lesion, EllipsoidLesion):
        return None
    return build_lesion_mask(
        case.lesion, images.lesion_volume, images.lesion_volume, base_dir=case.base_dir
    )


def _lesion_voxels(case: Case, native: Volume | None, grid: Volume) -> Volume:
    """The dose-grid voxels whose centre lies inside the lesion (possibly none)."""
    if native is None:
        assert isinstance(case.lesion, EllipsoidLesion)
        return ellipsoid_mask(grid, case.lesion.center_mm, case.lesion.radii_mm)
    fraction = resample_to(
        native.with_array(native.array.astype(np.float32)), grid, interpolator="linear"
    )
    return grid.with_array(np.asarray(fraction.array) >= 0.5)


def _lesion_on_grid(case: Case, native: Volume | None, grid: Volume) -> tuple[Volume, bool]:
    """The lesion on the dose grid, and whether it fell back to a single voxel."""
    mask = _lesion_voxels(case, native, grid)
    fallback = not mask.array.any()
    if fallback:
        # A lesion smaller than a dose voxel: keep the voxel nearest its centroid.
        centroid = (
            measure_lesion(native).centroid_mm
            if native is not None
            else (
                case.lesion.center_mm  # type: ignore[union-attr]
            )
        )
        ijk = np.rint(grid.patient_to_index(np.asarray(centroid))).astype(int)
        array = np.zeros(grid.shape, dtype=bool)
        array[ijk[2], ijk[1], ijk[0]] = True
        mask = grid.with_array(array)
    return mask, fallback


def _mask_on_grid(native: Volume, grid: Volume) -> Volume:
    """A mask resampled onto the dose grid: the voxels at least half inside it."""
    fraction = resample_to(
        native.with_array(native.array.astype(np.float32)), grid, interpolator="linear"
    )
    return grid.with_array(np.asarray(fraction.array) >= 0.5)


def structure_doses(
    case: Case,
    images: PlanImages,
    dose_gy: Volume,
    prescription_gy: float,
) -> tuple[tuple[StructureDose, ...], list[str]]:
    """Dose statistics and DVH of each of the case's extra structures, with assumptions.

    Raises
    ------
    CaseFileError, PlanningError
        A structure that cannot be built (missing mask file, nothing on the images...).
    """
    results = []
    notes = []
    voxel_cc = float(np.prod(dose_gy.spacing_mm)) / 1000.0
    for structure in case.structures:
        results.append(_structure_dose(structure, case, images, dose_gy, prescription_gy, voxel_cc))
        done = results[-1]
        if done.stats is None:
            notes.append(
                f"{done.name}: no part of it lies on the dose grid (it is more than "
                f"{GRID_FIELD_MARGIN_MM:g} mm beyond the field): no dose statistics"
            )
        elif done.volume_in_dose_grid_percent < 99.0:
            notes.append(
                f"{done.name}: {done.volume_in_dose_grid_percent:.0f} % of its "
                f"{done.volume_cc:.1f} cm³ lies on the dose grid (up to "
                f"{GRID_FIELD_MARGIN_MM:g} mm beyond the field borders); its DVH, Dmean and "
                "volume are of that part (Dmax is in the field)"
            )
    return tuple(results), notes


def _structure_dose(
    structure: CaseStructure,
    case: Case,
    images: PlanImages,
    dose_gy: Volume,
    prescription_gy: float,
    voxel_cc: float,
) -> StructureDose:
    shape = structure.shape
    native = None
    if isinstance(shape, EllipsoidLesion):
        mask = ellipsoid_mask(dose_gy, shape.center_mm, shape.radii_mm)
        volume_cc = 4.0 / 3.0 * math.pi * float(np.prod(shape.radii_mm)) / 1000.0
    else:
        try:
            native = build_structure_mask(structure, images.lesion_volume, case.base_dir)
        except SpineplanError as error:
            raise type(error)(_in_case(case, str(error))) from error
        volume_cc = measure_lesion(native).volume_cc
        mask = _mask_on_grid(native, dose_gy)
    stats = dvh = None
    if mask.array.any():
        stats = dose_statistics(
            dose_gy.array, mask.array, prescription_gy, voxel_cc, structure.name
        )
        dvh = cumulative_dvh(
            dose_gy.array,
            mask.array,
            bin_width_gy=prescription_gy / 1000.0,
            structure=structure.name,
        )
    return StructureDose(
        name=structure.name,
        interpreted_type=structure.roi_type,
        mask=mask,
        volume_cc=volume_cc,
        stats=stats,
        dvh=dvh,
        shape=shape,
        native_mask=native,
    )


def _probe_grid(point_mm: np.ndarray) -> Volume:
    affine = np.eye(4)
    affine[:3, 3] = point_mm
    return Volume(array=np.zeros((1, 1, 1), dtype=np.float32), affine=affine)


def _plan_beams(
    plan_field: Field, density: Volume, separation_cm: float | None
) -> tuple[PlanBeamGeometry, ...]:
    """Beams with jaws giving the field's width and borders in the isocentre plane."""
    machine = MACHINES[plan_field.energy]
    iso = np.asarray(plan_field.isocenter_mm, dtype=float)
    beams = []
    for field_beam in plan_field.beams:
        provisional = DoseBeam.symmetric(
            plan_field.energy,
            field_beam.gantry_angle_deg,
            plan_field.isocenter_mm,  # type: ignore[arg-type]
            plan_field.width_mm / 10.0,
            plan_field.length_mm / 10.0,
            setup="SSD",
            ssd_cm=plan_field.ssd_cm,
            name=field_beam.name,
        )
        probe = compute_beam_dose(
            provisional, _probe_grid(iso), density, separation_cm, with_depth=False
        )
        distance_cm = probe.ssd_cm + max(probe.isocentre_depth_cm, 0.0)
        scale = machine.sad_cm / distance_cm  # isocentre plane -> SAD plane
        half_width_cm = plan_field.width_mm / 20.0 * scale
        jaw_x = (-half_width_cm, half_width_cm)
        jaw_y = (
            (plan_field.inferior_border_z_mm - iso[2]) / 10.0 * scale,
            (plan_field.superior_border_z_mm - iso[2]) / 10.0 * scale,
        )
        beam = replace(provisional, jaw_x_cm=jaw_x, jaw_y_cm=jaw_y)
        source = np.asarray(probe.source_lps_mm)
        direction = iso - source
        direction /= np.linalg.norm(direction)
        machine_iso = source + machine.sad_cm * 10.0 * direction
        beams.append(
            PlanBeamGeometry(
                beam=beam,
                jaw_x_cm=jaw_x,
                jaw_y_cm=jaw_y,
                ssd_cm=probe.ssd_cm,
                isocentre_depth_cm=probe.isocentre_depth_cm,
                machine_isocentre_mm=tuple(float(v) for v in machine_iso),  # type: ignore[arg-type]
                skin_entry_mm=probe.skin_entry_lps_mm,
                source_mm=probe.source_lps_mm,
            )
        )
    return tuple(beams)


def _normalisation_point(
    plan_field: Field, settings: PlanSettings, beams: Sequence[PlanBeamGeometry]
) -> tuple[np.ndarray, str]:
    iso = np.asarray(plan_field.isocenter_mm, dtype=float)
    first = beams[0]
    if settings.normalisation == "depth":
        depth_mm = float(settings.normalisation_depth_mm or 0.0)
        skin = np.asarray(first.skin_entry_mm)
        direction = iso - np.asarray(first.source_mm)
        direction /= np.linalg.norm(direction)
        return (
            skin + depth_mm * direction,
            f"user depth {depth_mm / 10:.1f} cm on the central axis of the {first.name} beam",
        )
    if len(beams) >= 2:
        entries = np.asarray([b.skin_entry_mm for b in beams[:2]])
        point = entries.mean(axis=0)
        separation = float(np.linalg.norm(entries[0] - entries[1])) / 10.0
        return point, f"midplane of the opposed pair (separation {separation:.1f} cm)"
    return iso, (
        f"lesion centroid depth on the central axis ({first.isocentre_depth_cm:.1f} cm below "
        f"the {first.name} skin entry)"
    )


def _dose_grid(
    plan_field: Field,
    density: Volume,
    spacing_mm: float,
    separation_cm: float | None,
    frame_uid: str,
) -> Volume:
    iso = np.asarray(plan_field.isocenter_mm, dtype=float)
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


def _field_box(plan_field: Field, spacing_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """A box holding every dose grid the field can get (for extending MR outlines)."""
    iso = np.asarray(plan_field.isocenter_mm, dtype=float)
    half = plan_field.width_mm / 2.0 + GRID_FIELD_MARGIN_MM + 2 * spacing_mm
    lower = iso - max(half, GRID_AXIS_LIMIT_MM + 2 * spacing_mm)
    upper = iso + max(half, GRID_AXIS_LIMIT_MM + 2 * spacing_mm)
    across = 1 if plan_field.arrangement == "lateral_pair" else 0
    lower[across], upper[across] = iso[across] - half, iso[across] + half
    lower[2] = plan_field.inferior_border_z_mm - GRID_FIELD_MARGIN_MM - 2 * spacing_mm
    upper[2] = plan_field.superior_border_z_mm + GRID_FIELD_MARGIN_MM + 2 * spacing_mm
    return lower, upper


def plan_case(
    case: Case,
    settings: PlanSettings | None = None,
    *,
    images: PlanImages | None = None,
    grid_spacing_mm: float = DEFAULT_GRID_SPACING_MM,
    separation_cm: float | None = None,
    calibration: Calibration | None = None,
    alpha_beta_gy: float = DEFAULT_ALPHA_BETA_GY,
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

    Raises
    ------
    CaseFileError, LabelError, FieldError, PlanningError
        Bad input: study not found, lesion outside the labelled levels, an energy without beam
        data, and so on.
    """
    settings = settings or case.plan
    if case.lesion is None:
        raise PlanningError(
            _in_case(case, "the case has no lesion: mark the lesion before planning")
        )
    if not case.levels:
        raise PlanningError(
            _in_case(case, "the case has no vertebral levels: label the levels before planning")
        )
    if not (0.5 <= grid_spacing_mm <= 5.0):
        raise PlanningError(f"dose grid spacing {grid_spacing_mm} mm is outside 0.5-5 mm")
    if separation_cm is not None and not 1.0 <= separation_cm <= 80.0:
        raise PlanningError(f"separation {separation_cm} cm is outside 1-80 cm")
    prescription = Prescription(settings.dose_gy, settings.fractions)
    images = images or load_plan_images(case)

    try:
        native = _lesion_on_native_grid(case, images)
    except SpineplanError as error:
        raise type(error)(_in_case(case, f"lesion: {error}")) from error
    try:
        plan_field = derive_case_field(case, native, settings)
    except (LabelError, FieldError) as error:
        raise type(error)(_in_case(case, str(error))) from error
    if plan_field.isocenter_mm is None:
        raise PlanningError("the isocentre is unknown: the lesion has no position")
    measured = measure_lesion(native) if native is not None else _exact_ellipsoid(case)
    involved = lesion_levels(
        case.levels, (measured.superior_z_mm, measured.inferior_z_mm), case.thoracic_prefix
    )

    model = beam_model(settings.energy)
    if not model.has_depth_dose:
        raise PlanningError(
            f"energy {settings.energy}: no depth-dose table is shipped for this machine "
            "(see resources/beam_data/README.md): choose 6 MV (--energy 6MV) or add the table"
        )
    frame_uid = images.lesion_series.frame_of_reference_uid
    box_lower, box_upper = _field_box(plan_field, grid_spacing_mm)
    density = density_for_plan(images, plan_field, box_lower, box_upper)
    grid = _dose_grid(plan_field, density.volume, grid_spacing_mm, separation_cm, frame_uid)
    density_volume = density.volume
    if not density_volume.frame_of_reference_uid:
        density_volume = Volume(
            array=density_volume.array,
            affine=density_volume.affine,
            metadata=replace(density_volume.metadata, frame_of_reference_uid=frame_uid),
        )

    beams = _plan_beams(plan_field, density_volume, separation_cm)
    dose_result = compute_dose([b.beam for b in beams], grid, density_volume, separation_cm)
    point, words = _normalisation_point(plan_field, settings, beams)
    per_beam = tuple(float(_sample(b.dose, point)[0]) for b in dose_result.beams)
    relative = float(sum(per_beam))
    if not relative > 1e-6:
        raise PlanningError(
            f"no dose at the normalisation point {np.round(point, 1).tolist()} mm ({words})"
        )
    depth_cm = float(_sample(dose_result.beams[0].depth_cm, point)[0])
    normalisation = Normalisation(
        point_mm=tuple(float(v) for v in point),  # type: ignore[arg-type]
        description=words,
        depth_cm=depth_cm,
        relative_dose=relative,
        relative_dose_per_beam=per_beam,
    )
    scale_gy = prescription.dose_gy / relative
    dose_gy = grid.with_array((dose_result.dose.array * np.float32(scale_gy)).astype(np.float32))

    mask, single_voxel = _lesion_on_grid(case, native, grid)
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
        beams=[b.beam for b in beams],
        normalisation_depth_cm=depth_cm,
        model=model,
    )
    monitor_units = tuple(
        hand_calculation(
            beam_dose=beam_dose,
            dose_per_fraction_gy=prescription.dose_per_fraction_gy * share / relative,
            depth_cm=float(_sample(beam_dose.depth_cm, point)[0]),
            geometric_depth_cm=float(
                np.linalg.norm(point - np.asarray(beam_dose.skin_entry_lps_mm)) / 10.0
            ),
            engine_relative_dose=share,
            calibration=calibration,
            model=model,
        )
        for beam_dose, share in zip(dose_result.beams, per_beam, strict=True)
    )

    assumptions = list(plan_field.assumptions)
    assumptions += [a for a in density.assumptions if a not in assumptions]
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
    warnings = list(plan_field.warnings)
    for series_warning in images.lesion_volume.warnings or ():
        if series_warning not in warnings:
            warnings.append(series_warning)
    for beam_dose, calc in zip(dose_result.beams, monitor_units, strict=True):
        if beam_dose.depth_from_image_edge:
            warnings.append(
                f"{calc.beam_name}: the skin is not imaged on the central axis and no patient "
                f"separation was entered: depth ({calc.depth_cm:.1f} cm) is counted from the "
                "edge of the images, so it is too shallow and the dose at depth is "
                f"overestimated -- the {'MU' if calc.unit == 'MU' else 'treatment time'} are too "
                "LOW; enter the patient separation (--separation-cm)"
            )
    warnings += _position_warnings(images)
    return PlanResult(
        case=case,
        settings=settings,
        images=images,
        field=plan_field,
        lesion_levels=involved,
        lesion=measured,
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
    )


def _position_warnings(images: PlanImages) -> list[str]:
    """A warning when the images were not acquired head-first supine.

    Patient LPS coordinates do not depend on the position, so the dose is unaffected; but the
    gantry angles (and the RT Plan's patient position) are for a head-first supine treatment.
    """
    volumes = (images.lesion_volume, images.sagittal, images.axial_mr, images.ct)
    positions = sorted(
        {
            v.metadata.patient_position.strip().upper()
            for v in volumes
            if v is not None and v.metadata.patient_position.strip()
        }
        - {TREATMENT_POSITION}
    )
    if not positions:
        return []
    return [
        f"the images were acquired {', '.join(positions)}, not head-first supine "
        f"({TREATMENT_POSITION}): the gantry angles and the RT Plan are for a head-first supine "
        "treatment (IEC 61217); treat head-first supine or convert the angles (prone: a "
        "posterior field is gantry 0)"
    ]


def _exact_ellipsoid(case: Case) -> LesionMeasurements:
    """Measurements of an ellipsoid lesion from its formula (when no voxel of it is imaged)."""
    lesion = case.lesion
    assert isinstance(lesion, EllipsoidLesion)
    top, bottom = lesion.z_range_mm
    volume_cc = 4.0 / 3.0 * math.pi * float(np.prod(lesion.radii_mm)) / 1000.0
    return LesionMeasurements(
        volume_cc=volume_cc,
        superior_z_mm=top,
        inferior_z_mm=bottom,
        si_extent_mm=top - bottom,
        centroid_mm=tuple(float(v) for v in lesion.center_mm),  # type: ignore[arg-type]
        voxel_count=0,
    )
