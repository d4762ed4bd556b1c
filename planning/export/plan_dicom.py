"""DICOM exports of a plan: RT Structure Set (lesion, field, the case's other structures such
as the cord), RT Plan and RT Dose.

The three objects reference each other (plan -> structure set, dose -> plan) and the image
series the plan was made on (the planning CT when present, else the post-contrast MR).
Contours are written on the axial planes of the dose grid, which DVH tools such as
dicompyler-core expect, so the RT Dose plus the RT Structure Set reproduce spineplan's V95; for
structures reaching beyond the dose grid (a cord drawn over many levels) the same lattice of
planes is extended up and down, so they are exported whole.

The beams are fixed-SSD set-ups: each beam's ``IsocenterPosition`` is the point at the source-axis
distance on its central axis (for SSD = SAD, where the axis enters the skin), not the field's
reference point inside the patient (``field.json``'s ``isocentre_mm``); jaw positions are at that
plane. The dose reference point is the normalisation point, with the total prescription. The
patient position is head-first supine (HFS), the position the gantry angles are computed for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from imaging.errors import UnreadableFileError
from imaging.resample import resample_to
from imaging.rt_common import save_atomically
from imaging.rtdose import build_rtdose
from imaging.rtstruct import Structure, build_rtstruct
from imaging.volume import Volume
from planning.anatomy.structures import structure_colour
from planning.dose.beam_setup import inside_field
from planning.dose.grid import grid_points_mm
from planning.dose.radiological_depth import TISSUE_THRESHOLD
from planning.export.rtplan import build_rtplan
from planning.field.derivation import TREATMENT_POSITION
from planning.plan import PlanResult

#: ROI names in the structure set.
LESION_ROI = "Lesion"
FIELD_ROI = "Field"


@dataclass(frozen=True)
class DicomExport:
    """Paths and SOP Instance UIDs of the written objects."""

    rtstruct: Path
    rtplan: Path
    rtdose: Path
    structure_set_uid: str
    plan_uid: str
    dose_uid: str


def reference_headers(result: PlanResult) -> list[Dataset]:
    """Headers (no pixels) of the series the exports reference."""
    headers: list[Dataset] = []
    for path in result.images.export_series.files:
        try:
            headers.append(pydicom.dcmread(path, stop_before_pixels=True))
        except Exception as error:  # pydicom raises several types for a broken file
            raise UnreadableFileError(f"{path}: cannot read its header ({error})") from error
    return headers


def field_mask(result: PlanResult) -> Volume:
    """Voxels of the dose grid inside the geometric edges of any beam and inside the patient."""
    grid = result.dose_gy
    inside = inside_field(result.beams, result.field.energy, grid_points_mm(grid))
    density = result.density.volume
    body = resample_to(density, grid, interpolator="linear").array >= TISSUE_THRESHOLD
    return grid.with_array(inside & body)


def contour_grid(result: PlanResult) -> Volume:
    """The grid whose axial planes carry the contours: the dose grid, extended up and down (on
    the same lattice, so the lesion and field contours are those of the dose grid) to hold the
    whole of the case's other structures, e.g. a cord drawn far beyond the field."""
    grid = result.dose_gy
    ranges = [r for r in (s.z_range_mm() for s in result.structure_doses) if r is not None]
    step = grid.affine[:3, 2]
    dz = float(step[2])
    if not ranges or dz <= 0 or abs(step[0]) + abs(step[1]) > 1e-6:
        return grid
    first = float(grid.affine[2, 3])
    last = first + (grid.shape[0] - 1) * dz
    top = max(r[0] for r in ranges)
    bottom = min(r[1] for r in ranges)
    below = max(0, math.ceil((first - bottom) / dz))
    above = max(0, math.ceil((top - last) / dz))
    if below == 0 and above == 0:
        return grid
    affine = grid.affine.copy()
    affine[:3, 3] = affine[:3, 3] - below * step
    shape = (grid.shape[0] + below + above, grid.shape[1], grid.shape[2])
    return Volume(array=np.zeros(shape, dtype=np.uint8), affine=affine, metadata=grid.metadata)


def write_plan_dicom(result: PlanResult, folder: str | Path) -> DicomExport:
    """Write ``rtstruct.dcm``, ``rtplan.dcm`` and ``rtdose.dcm`` into ``folder``."""
    folder = Path(folder)
    headers = reference_headers(result)
    structures = [Structure(LESION_ROI, result.lesion_mask, (255, 0, 0), "GTV")]
    outline = field_mask(result)
    if outline.array.any():
        structures.append(Structure(FIELD_ROI, outline, (255, 200, 0), "CONTROL"))
    # the case's other structures whole, on the dose grid's planes extended along z
    grid = contour_grid(result)
    for index, other in enumerate(result.structure_doses):
        whole = other.mask_on(grid)
        if whole.array.any():
            structures.append(
                Structure(
                    other.name,
                    whole,
                    structure_colour(other.name, index),
                    other.interpreted_type,
                )
            )
    rtstruct = build_rtstruct(
        structures,
        headers,
        contour_grid=grid,
        label="spineplan",
        series_description="spineplan lesion, field and structures"
        if result.structure_doses
        else "spineplan lesion and field",
    )
    rtplan = build_rtplan(
        result.beams,
        headers,
        structure_set_uid=str(rtstruct.SOPInstanceUID),
        prescription_gy=result.prescription.dose_gy,
        fractions=result.prescription.fractions,
        target_point_mm=result.normalisation.point_mm,
        label=f"spine {result.lesion_levels.short}",
    )
    # The gantry angles are for a head-first supine patient whatever position the images were
    # acquired in (an HFP plan would turn the PA field at gantry 180 into an anterior one).
    for setup in rtplan.PatientSetupSequence:
        setup.PatientPosition = TREATMENT_POSITION
    rtdose = build_rtdose(result.dose_gy, headers, referenced_plan_uid=str(rtplan.SOPInstanceUID))
    return DicomExport(
        rtstruct=save_atomically(rtstruct, folder / "rtstruct.dcm"),
        rtplan=save_atomically(rtplan, folder / "rtplan.dcm"),
        rtdose=save_atomically(rtdose, folder / "rtdose.dcm"),
        structure_set_uid=str(rtstruct.SOPInstanceUID),
        plan_uid=str(rtplan.SOPInstanceUID),
        dose_uid=str(rtdose.SOPInstanceUID),
    )
