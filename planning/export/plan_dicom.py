"""DICOM exports of a plan: RT Structure Set (lesion, field, the case's other structures such
as the cord), RT Plan and RT Dose.

The three objects reference each other (plan -> structure set, dose -> plan) and the image
series the plan was made on (the planning CT when present, else the post-contrast MR).
Contours lie on the planes of that series' images, each naming its image
(:func:`imaging.rtstruct.contours_on_images`): the planning CT's axial slices, or for an
MR-only plan the MR's own (sagittal) slices. The lesion and the case's other structures are
contoured from their finest mask (the lesion on the planning CT or the post-contrast series;
an ellipsoid evaluated on the referenced series' grid), whole; the edema as the cord between
its limits (:func:`edema_segment`); the field outline from the dose grid; the vertebral levels in
and next to the field as columns between their endplates (:mod:`planning.export.level_rois`).

The beams are fixed-SSD set-ups: each beam's ``IsocenterPosition`` is the point at the source-axis
distance on its central axis (for SSD = SAD, where the axis enters the skin), not the field's
reference point inside the patient (``field.json``'s ``isocentre_mm``); jaw positions are at that
plane. The dose reference point is the normalisation point, with the total prescription. The
patient position is head-first supine (HFS), the position the gantry angles are computed for.
"""

from __future__ import annotations

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
from planning.anatomy.lesion import EllipsoidLesion, ellipsoid_mask, measure_lesion
from planning.anatomy.structures import structure_colour
from planning.display import palette
from planning.dose.beam_setup import inside_field
from planning.dose.grid import grid_points_mm
from planning.dose.radiological_depth import TISSUE_THRESHOLD
from planning.export.level_rois import level_structures, levels_near_field
from planning.export.rtplan import build_rtplan
from planning.field.derivation import TREATMENT_POSITION
from planning.plan import PlanResult

#: ROI names in the structure set.
LESION_ROI = "Lesion"
FIELD_ROI = "Field"
EDEMA_ROI = "Edema (cord segment)"
#: Radius of the cord around the lesion's vertical when no cord is drawn, mm (as File > Export
#: structures does for the annotation).
EDEMA_CORD_RADIUS_MM = 6.0


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
    inside = inside_field(result.beams, grid_points_mm(grid))
    density = result.density.volume
    body = resample_to(density, grid, interpolator="linear").array >= TISSUE_THRESHOLD
    return grid.with_array(inside & body)


def reference_volume(result: PlanResult) -> Volume:
    """The loaded volume of the series the exports reference (its grid)."""
    return result.images.export_volume


def lesion_for_contours(result: PlanResult) -> Volume:
    """The lesion at its finest: on the planning CT or the post-contrast series, or an
    ellipsoid evaluated on the referenced series' grid (not the coarser dose grid)."""
    if result.lesion_native_mask is not None:
        return result.lesion_native_mask
    lesion = result.case.lesion
    if isinstance(lesion, EllipsoidLesion):
        return ellipsoid_mask(reference_volume(result), lesion.center_mm, lesion.radii_mm)
    return result.lesion_mask


def edema_segment(result: PlanResult) -> Volume | None:
    """The edema as the cord between its two limits, on the referenced series' grid, in the
    plan's frame (on a planning CT of another frame: the limits mapped onto it). The cord is
    the case's structure named Cord when there is one, else a cylinder of
    :data:`EDEMA_CORD_RADIUS_MM` around the vertical through the lesion centroid (the lesion is
    intramedullary). None without edema or when nothing of it lies on the grid."""
    edema = result.plan_frame_case.edema
    if edema is None:
        return None
    grid = reference_volume(result)
    k, j, i = np.indices(grid.shape, dtype=float, sparse=True)
    a = grid.affine
    x, y, z = (a[r, 0] * i + a[r, 1] * j + a[r, 2] * k + a[r, 3] for r in range(3))
    between = (z <= edema.superior_z_mm) & (z >= edema.inferior_z_mm)
    if result.cord is not None:
        cord = np.asarray(result.cord.mask_on(grid).array, dtype=bool)
    else:
        x0, y0 = result.lesion.centroid_mm[:2]
        cord = (x - x0) ** 2 + (y - y0) ** 2 <= EDEMA_CORD_RADIUS_MM**2
    mask = np.broadcast_to(cord & between, grid.shape)
    return grid.with_array(mask.copy()) if mask.any() else None


def level_rois(result: PlanResult) -> list[Structure]:
    """The levels in and next to the field as ROIs on the referenced series' grid, in the
    plan's frame (:mod:`planning.export.level_rois`); the lesion on the dose grid (in that
    frame, never empty: a lesion smaller than a voxel keeps the voxel nearest its centre)
    gives the canal's x, y for levels without a clicked body centre."""
    top, bottom = result.field.reach_levels
    levels = levels_near_field(result.plan_frame_case.levels, top, bottom)
    canal_xy = measure_lesion(result.lesion_mask).centroid_mm[:2]
    return level_structures(levels, reference_volume(result), canal_xy)


def write_plan_dicom(result: PlanResult, folder: str | Path) -> DicomExport:
    """Write ``rtstruct.dcm``, ``rtplan.dcm`` and ``rtdose.dcm`` into ``folder``."""
    folder = Path(folder)
    headers = reference_headers(result)
    structures = [Structure(LESION_ROI, lesion_for_contours(result), palette.LESION.rgb, "GTV")]
    edema = edema_segment(result)
    if edema is not None:
        structures.append(Structure(EDEMA_ROI, edema, palette.EDEMA.rgb, "CONTROL"))
    outline = field_mask(result)
    if outline.array.any():
        structures.append(Structure(FIELD_ROI, outline, palette.BEAM_EDGE.rgb, "CONTROL"))
    # the case's other structures whole (a cord drawn far beyond the dose grid included)
    reference = reference_volume(result)
    for index, other in enumerate(result.structure_doses):
        whole = other.native_mask if other.native_mask is not None else other.mask_on(reference)
        if whole.array.any():
            structures.append(
                Structure(
                    other.name,
                    whole,
                    structure_colour(other.name, index),
                    other.interpreted_type,
                )
            )
    structures += level_rois(result)
    rtstruct = build_rtstruct(
        structures,
        headers,
        label="spineplan",
        series_description="spineplan lesion, field, levels and structures"
        if result.structure_doses
        else "spineplan lesion, field and levels",
    )
    rtplan = build_rtplan(
        result.beams,
        headers,
        structure_set_uid=str(rtstruct.SOPInstanceUID),
        prescription_gy=result.prescription.dose_gy,
        fractions=result.prescription.fractions,
        target_point_mm=result.normalisation.point_mm,
        label=f"spine {result.lesion_levels.short}",
        treatment_machine_name=result.settings.machine,
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
