"""DICOM RT Dose: a dose grid in Gy, written as a multi-frame image and read back."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag
from pydicom.uid import RTDoseStorage, RTPlanStorage

from imaging.errors import GeometryError, UnreadableFileError, malformed
from imaging.rt_common import new_rt_dataset, save_atomically
from imaging.volume import SeriesMetadata, Volume, affine_from_dicom

#: Stored as unsigned 16-bit words: 1/65535 of the maximum dose (0.3 mGy at 20 Gy) is far below
#: anything a plan is judged on, and dicom3tools' dciodvfy (2022) aborts on 32-bit dose pixels.
_MAX_STORED = np.iinfo(np.uint16).max


def _orthonormal_slices(dose: Volume) -> np.ndarray:
    """The slice normal of the grid; RT Dose frames must be stacked along it."""
    direction = dose.direction
    normal = np.cross(direction[:, 0], direction[:, 1])
    if not np.allclose(direction[:, 2], normal, atol=1e-6):
        raise GeometryError(
            "an RT Dose grid must have its slices stacked along the plane normal "
            "(a right-handed, orthogonal grid)"
        )
    return normal


def build_rtdose(
    dose_gy: Volume,
    reference_images: Sequence[Dataset],
    *,
    referenced_plan_uid: str,
    series_number: int = 903,
    series_description: str = "spineplan dose",
    timestamp: _dt.datetime | None = None,
) -> FileDataset:
    """An RT Dose object holding ``dose_gy`` (physical dose in Gy) for the plan's patient.

    Parameters
    ----------
    dose_gy : Volume
        Dose per voxel in Gy, on a grid in the images' frame of reference.
    reference_images : sequence of pydicom Dataset
        Headers of an image series of the same study (patient, study, frame of reference).
    referenced_plan_uid : str
        SOPInstanceUID of the RT Plan this dose belongs to (summation type PLAN, which
        requires the reference).
    """
    if not reference_images:
        raise GeometryError("an RT Dose needs the headers of an image series of its study")
    if not referenced_plan_uid:
        raise GeometryError("an RT Dose of a plan must name the RT Plan it belongs to")
    values = np.asarray(dose_gy.array, dtype=np.float64)
    if not np.all(np.isfinite(values)) or values.min() < 0:
        raise GeometryError("dose values must be finite and not negative")
    normal = _orthonormal_slices(dose_gy)
    first = reference_images[0]
    now = timestamp or _dt.datetime.now()

    ds = new_rt_dataset(
        RTDoseStorage,
        "RTDOSE",
        first,
        series_number=series_number,
        series_description=series_description,
    )
    ds.ContentDate = now.strftime("%Y%m%d")
    ds.ContentTime = now.strftime("%H%M%S")

    direction, spacing = dose_gy.direction, dose_gy.spacing_mm
    ds.ImagePositionPatient = [round(float(v), 4) for v in dose_gy.origin_mm]
    ds.ImageOrientationPatient = [round(float(v), 6) for v in (*direction[:, 0], *direction[:, 1])]
    ds.PixelSpacing = [round(spacing[1], 4), round(spacing[0], 4)]  # row, then column spacing
    ds.SliceThickness = round(spacing[2], 4)
    slices, rows, columns = dose_gy.shape
    ds.NumberOfFrames = slices
    ds.FrameIncrementPointer = Tag("GridFrameOffsetVector")
    offsets = np.arange(slices) * spacing[2] * float(np.dot(direction[:, 2], normal))
    ds.GridFrameOffsetVector = [round(float(v), 4) for v in offsets]
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.DoseUnits = "GY"
    ds.DoseType = "PHYSICAL"
    ds.DoseSummationType = "PLAN"
    maximum = float(values.max())
    scaling = maximum / _MAX_STORED if maximum > 0 else 1.0
    ds.DoseGridScaling = f"{scaling:.10e}"[:16]
    scaling = float(ds.DoseGridScaling)  # what a reader will multiply by
    stored = np.clip(np.rint(values / scaling), 0, _MAX_STORED).astype("<u2")
    ds.PixelData = stored.tobytes()
    plan = Dataset()
    plan.ReferencedSOPClassUID = RTPlanStorage
    plan.ReferencedSOPInstanceUID = referenced_plan_uid
    ds.ReferencedRTPlanSequence = DicomSequence([plan])
    return ds


def write_rtdose(
    path: str | Path, dose_gy: Volume, reference_images: Sequence[Dataset], **options: object
) -> Path:
    """Build an RT Dose (see `build_rtdose`) and write it to ``path`` atomically."""
    dataset = build_rtdose(dose_gy, reference_images, **options)  # type: ignore[arg-type]
    return save_atomically(dataset, path)


def _relative_offsets(
    path: str | Path, ds: Dataset, row_cosine: np.ndarray, column_cosine: np.ndarray
) -> np.ndarray:
    """GridFrameOffsetVector as offsets from the first frame, mm along the plane normal.

    PS3.3 C.8.8.3.2 allows two forms: relative to ImagePositionPatient (first value 0), or,
    for frames in the standard axial orientation only, the frames' absolute z (first value
    the z of ImagePositionPatient). Both give the same grid here; anything else is refused.
    """
    try:
        offsets = np.asarray(getattr(ds, "GridFrameOffsetVector", [0.0]), float).ravel()
    except (TypeError, ValueError):
        raise UnreadableFileError(
            f"{path}: GridFrameOffsetVector is not a list of numbers"
        ) from None
    if offsets.size == 0 or abs(offsets[0]) < 1e-3:
        return offsets
    axial = np.allclose(row_cosine, (1, 0, 0), atol=1e-4) and np.allclose(
        column_cosine, (0, 1, 0), atol=1e-4
    )
    position_z = float(ds.ImagePositionPatient[2])
    if axial and abs(offsets[0] - position_z) < 1e-2:
        return offsets - offsets[0]
    raise GeometryError(
        f"{path}: GridFrameOffsetVector starts at {offsets[0]:g} mm, neither 0 (relative) nor "
        f"the z of ImagePositionPatient ({position_z:g} mm, absolute) of an axial grid"
    )


def read_rtdose(path: str | Path) -> Volume:
    """The dose grid of an RT Dose file as a Volume of float32 Gy."""
    with malformed(path, "RT Dose"):
        return _read_rtdose(path)


def _read_rtdose(path: str | Path) -> Volume:
    try:
        ds = pydicom.dcmread(path)
        stored = ds.pixel_array
    except Exception as error:  # pydicom raises several types for a broken file
        raise UnreadableFileError(f"{path}: not a readable RT Dose ({error})") from error
    if getattr(ds, "Modality", "") != "RTDOSE":
        raise UnreadableFileError(f"{path}: not an RT Dose (Modality {ds.get('Modality')!r})")
    if stored.ndim == 2:
        stored = stored[np.newaxis]
    row_cosine = np.asarray(ds.ImageOrientationPatient[:3], float)
    column_cosine = np.asarray(ds.ImageOrientationPatient[3:], float)
    normal = np.cross(row_cosine, column_cosine)
    offsets = _relative_offsets(path, ds, row_cosine, column_cosine)
    step = float(np.median(np.diff(offsets))) if len(offsets) > 1 else 1.0
    if len(offsets) > 2 and not np.allclose(np.diff(offsets), step, atol=1e-3):
        raise GeometryError(f"{path}: unevenly spaced dose frames are not supported")
    spacing = (float(ds.PixelSpacing[0]), float(ds.PixelSpacing[1]))
    position = np.asarray(ds.ImagePositionPatient, float)
    affine = affine_from_dicom(position, row_cosine, column_cosine, spacing, normal * step)
    if step < 0:  # frames stored from head to feet: keep a right-handed grid
        stored, affine[:3, 2] = stored[::-1], -affine[:3, 2]
        affine[:3, 3] = affine[:3, 3] + normal * step * (stored.shape[0] - 1)
    try:
        scaling = float(ds.DoseGridScaling)
    except (AttributeError, TypeError, ValueError):
        raise UnreadableFileError(
            f"{path}: DoseGridScaling {ds.get('DoseGridScaling')!r} is missing or not a number"
        ) from None
    dose = stored.astype(np.float32) * np.float32(scaling)
    metadata = SeriesMetadata(
        series_instance_uid=str(ds.SeriesInstanceUID),
        study_instance_uid=str(ds.StudyInstanceUID),
        frame_of_reference_uid=str(ds.FrameOfReferenceUID),
        modality="RTDOSE",
        series_description=str(getattr(ds, "SeriesDescription", "")),
        units="Gy",
    )
    return Volume(array=dose, affine=affine, metadata=metadata)
