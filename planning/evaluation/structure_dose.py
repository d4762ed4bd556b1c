"""The dose to a case's extra structures (the cord, a bone metastasis...) on the plan's grid.

Each structure is put on the dose grid (an ellipsoid exactly, a mask resampled from the
post-contrast series); its dose statistics and DVH are of the part on the grid, and the notes
say how much of it that is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.anatomy.lesion import EllipsoidLesion, MaskLesion, ellipsoid_mask, measure_lesion
from planning.anatomy.structures import CaseStructure, build_structure_mask, is_cord
from planning.case import Case, in_case
from planning.dose.ct_mapping import ellipsoid_onto_ct, mask_onto_ct
from planning.dose.grid import GRID_FIELD_MARGIN_MM
from planning.dose.images import PlanImages
from planning.dose.lesion_on_grid import mask_on_grid
from planning.evaluation.coverage import (
    DoseStatistics,
    DoseVolumeHistogram,
    cumulative_dvh,
    dose_statistics,
)

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
        if self.native_mask is not None:
            return mask_on_grid(self.native_mask, grid)
        if isinstance(self.shape, EllipsoidLesion):
            return ellipsoid_mask(grid, self.shape.center_mm, self.shape.radii_mm)
        return mask_on_grid(self.mask, grid)

    def z_range_mm(self) -> tuple[float, float] | None:
        """``(superior_z_mm, inferior_z_mm)`` of the whole structure, or None if unknown."""
        if isinstance(self.shape, EllipsoidLesion) and self.native_mask is None:
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
    registration = images.registration
    if registration is not None and images.ct is not None:
        # the plan is on a CT in another frame: the structure is mapped onto it
        if isinstance(shape, EllipsoidLesion):
            native = ellipsoid_onto_ct(shape, images.ct, registration)
            volume_cc = shape.formula_volume_cc
        else:
            try:
                on_mr = build_structure_mask(structure, images.lesion_volume, case.base_dir)
            except SpineplanError as error:
                raise type(error)(in_case(case, str(error))) from error
            volume_cc = measure_lesion(on_mr).volume_cc
            native = mask_onto_ct(on_mr, images.ct, registration)
        mask = mask_on_grid(native, dose_gy)
    elif isinstance(shape, EllipsoidLesion):
        mask = ellipsoid_mask(dose_gy, shape.center_mm, shape.radii_mm)
        volume_cc = shape.formula_volume_cc
    else:
        try:
            native = build_structure_mask(structure, images.lesion_volume, case.base_dir)
        except SpineplanError as error:
            raise type(error)(in_case(case, str(error))) from error
        volume_cc = measure_lesion(native).volume_cc
        mask = mask_on_grid(native, dose_gy)
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
