"""DICOM Spatial Registration (REG) objects: write spineplan's rigid MR -> CT result, read others'.

Semantics (DICOM PS3.3 C.20.2): a REG object has its own Frame of Reference -- the *registered*
frame. Each item of its RegistrationSequence names one frame of reference and the matrix that
maps coordinates of that frame INTO the registered frame (homogeneous, row-major 4x4 in
FrameOfReferenceTransformationMatrix). A matrix may be given as several MatrixSequence items,
applied in order: the first item's matrix is applied first.

spineplan writes the registered frame = the CT's (fixed) frame: one item for the CT frame with the
identity, one for the MR frame with ``matrix_moving_to_fixed`` (type RIGID); the patient and study
are the CT's, the REG is a new series of that study, and the MR images it refers to are listed as
instances of another study (Common Instance Reference module).

Reading works for objects written by other systems (e.g. 3D Slicer, treatment planning systems):
any item order, the fixed frame's item with an identity, any matrix, or absent (then the fixed
frame must be the registered frame), RIGID, RIGID_SCALE or AFFINE matrices, several matrices
per item. The answer is always the 4x4 matrix from the moving frame to the fixed frame:
``inverse(A_fixed) @ A_moving``.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    UID,
    DeformableSpatialRegistrationStorage,
    ExplicitVRLittleEndian,
    SpatialRegistrationStorage,
    generate_uid,
)

from imaging.discovery import SeriesInfo
from imaging.errors import SpatialRegistrationError, UnreadableFileError, malformed
from imaging.rt_common import PATIENT_STUDY_KEYWORDS, character_set_for, save_atomically

#: Matrices that differ from a rigid one by more than this are not accepted as RIGID.
RIGID_TOLERANCE = 1e-4

_MATRIX_TYPES = ("RIGID", "RIGID_SCALE", "AFFINE")

#: CID 7100 RCS Registration Method codes (scheme DCM).
IDENTITY_CODE = ("125021", "Frame of Reference Identity")
IMAGE_CONTENT_CODE = ("125024", "Image Content-based Alignment")


@dataclass(frozen=True)
class RegisteredSeries:
    """What a REG object needs to know of one registered image series.

    Attributes
    ----------
    frame_of_reference_uid, study_instance_uid, series_instance_uid : its UIDs.
    images : (SOPClassUID, SOPInstanceUID) of each image.
    header : one image's header (patient and study attributes are copied from the fixed one).
    """

    frame_of_reference_uid: str
    study_instance_uid: str
    series_instance_uid: str
    images: tuple[tuple[str, str], ...]
    header: Dataset


def registered_series(info: SeriesInfo) -> RegisteredSeries:
    """Read the SOP UIDs and one header of a discovered series (no pixel data).

    Raises
    ------
    UnreadableFileError
        A file of the series cannot be read.
    """
    images = []
    header: Dataset | None = None
    for path in info.files:
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (OSError, InvalidDicomError) as error:
            raise UnreadableFileError(f"{path}: cannot read the DICOM header ({error})") from error
        images.append((str(ds.SOPClassUID), str(ds.SOPInstanceUID)))
        header = header or ds
    if header is None:
        raise SpatialRegistrationError(f"series {info.label} has no image files")
    return RegisteredSeries(
        frame_of_reference_uid=info.frame_of_reference_uid,
        study_instance_uid=info.study_instance_uid,
        series_instance_uid=info.series_instance_uid,
        images=tuple(images),
        header=header,
    )


def write_spatial_registration(
    path: str | os.PathLike[str],
    matrix_moving_to_fixed: np.ndarray,
    *,
    fixed: RegisteredSeries,
    moving: RegisteredSeries,
    series_number: int = 900,
    description: str = "spineplan rigid MR to CT",
    comment: str = "",
) -> Path:
    """Write a REG object holding the rigid ``matrix_moving_to_fixed`` (MR LPS mm -> CT LPS mm).

    The file appears only when complete: it is written to a temporary file in the same folder
    and then renamed over ``path``.

    Raises
    ------
    SpatialRegistrationError
        The matrix is not a finite rigid 4x4 matrix, or the two series share a frame.
    """
    matrix = np.asarray(matrix_moving_to_fixed, float)
    _check_rigid(matrix)
    if fixed.frame_of_reference_uid == moving.frame_of_reference_uid:
        raise SpatialRegistrationError(
            f"the moving and fixed series share the frame of reference "
            f"{fixed.frame_of_reference_uid}: there is nothing to register"
        )
    ds = _new_dataset(fixed.header, series_number, description)
    ds.FrameOfReferenceUID = fixed.frame_of_reference_uid
    ds.RegistrationSequence = DicomSequence(
        [
            _registration_item(
                fixed, np.eye(4), "fixed (planning CT) frame: identity", IDENTITY_CODE
            ),
            _registration_item(
                moving, matrix, comment or "MR to CT, rigid (spineplan)", IMAGE_CONTENT_CODE
            ),
        ]
    )
    _add_common_instance_reference(ds, fixed, moving)
    return _save_atomically(ds, Path(path))


def read_spatial_registration(
    path: str | os.PathLike[str],
    *,
    moving_frame_of_reference_uid: str,
    fixed_frame_of_reference_uid: str,
) -> np.ndarray:
    """The 4x4 matrix mapping the moving frame's LPS mm to the fixed frame's, from a REG file.

    Raises
    ------
    UnreadableFileError
        ``path`` is not a readable DICOM file.
    SpatialRegistrationError
        A deformable registration, another kind of object, an unusable matrix, or a REG that
        does not relate the two frames (the message names both frames and those it holds).
    """
    with malformed(path, "Spatial Registration"):
        return _read_spatial_registration(
            path,
            moving_frame_of_reference_uid=moving_frame_of_reference_uid,
            fixed_frame_of_reference_uid=fixed_frame_of_reference_uid,
        )


def _read_spatial_registration(
    path: str | os.PathLike[str],
    *,
    moving_frame_of_reference_uid: str,
    fixed_frame_of_reference_uid: str,
) -> np.ndarray:
    path = Path(path)
    try:
        ds = pydicom.dcmread(path)
    except (OSError, InvalidDicomError, ValueError, EOFError) as error:
        raise UnreadableFileError(f"{path}: not a readable DICOM file ({error})") from error
    sop_class = UID(str(ds.get("SOPClassUID", "")))
    if sop_class == DeformableSpatialRegistrationStorage:
        raise SpatialRegistrationError(
            f"{path}: a Deformable Spatial Registration; spineplan uses rigid registrations only "
            "(export a rigid one, or register again with spineplan register)"
        )
    if sop_class != SpatialRegistrationStorage:
        name = sop_class.name if sop_class.is_valid else (str(sop_class) or "no SOP class")
        raise SpatialRegistrationError(
            f"{path}: not a Spatial Registration object (SOP class {name})"
        )
    registered_frame = str(ds.get("FrameOfReferenceUID", ""))
    to_registered: dict[str, np.ndarray] = {}
    for number, item in enumerate(ds.get("RegistrationSequence", []), start=1):
        frame = str(item.get("FrameOfReferenceUID", ""))
        to_registered[frame] = _item_matrix(item, path, number)
    if registered_frame and registered_frame not in to_registered:
        to_registered[registered_frame] = np.eye(4)
    missing = [
        uid
        for uid in (moving_frame_of_reference_uid, fixed_frame_of_reference_uid)
        if uid not in to_registered
    ]
    if missing:
        held = ", ".join(sorted(to_registered)) or "none"
        raise SpatialRegistrationError(
            f"{path}: does not relate the images' frames of reference -- moving "
            f"{moving_frame_of_reference_uid} and fixed {fixed_frame_of_reference_uid}; "
            f"it holds {held}"
        )
    fixed_to_registered = to_registered[fixed_frame_of_reference_uid]
    moving_to_registered = to_registered[moving_frame_of_reference_uid]
    return np.linalg.inv(fixed_to_registered) @ moving_to_registered


# -- writing ----------------------------------------------------------------------------------
def _check_rigid(matrix: np.ndarray) -> None:
    if matrix.shape != (4, 4) or not np.all(np.isfinite(matrix)):
        raise SpatialRegistrationError(f"a registration matrix must be a finite 4x4; got {matrix}")
    rotation = matrix[:3, :3]
    rigid = (
        np.allclose(rotation @ rotation.T, np.eye(3), atol=RIGID_TOLERANCE)
        and np.linalg.det(rotation) > 0
        and np.allclose(matrix[3], (0, 0, 0, 1), atol=1e-12)
    )
    if not rigid:
        raise SpatialRegistrationError("the registration matrix is not rigid (rotation + shift)")


def _new_dataset(fixed_header: Dataset, series_number: int, description: str) -> FileDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SpatialRegistrationStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("", Dataset(), file_meta=meta, preamble=b"\0" * 128)
    now = datetime.datetime.now()
    ds.SpecificCharacterSet = character_set_for(fixed_header)
    ds.SOPClassUID = SpatialRegistrationStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.InstanceCreationDate = now.strftime("%Y%m%d")
    ds.InstanceCreationTime = now.strftime("%H%M%S")
    for keyword in PATIENT_STUDY_KEYWORDS:
        setattr(ds, keyword, getattr(fixed_header, keyword, ""))
    ds.Modality = "REG"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = series_number
    ds.SeriesDescription = description
    ds.BodyPartExamined = "SPINE"  # unpaired: no Laterality
    ds.SeriesDate = now.strftime("%Y%m%d")
    ds.SeriesTime = now.strftime("%H%M%S")
    ds.PositionReferenceIndicator = getattr(fixed_header, "PositionReferenceIndicator", "")
    ds.Manufacturer = "spineplan"
    ds.ManufacturerModelName = "spineplan"
    ds.DeviceSerialNumber = "0"
    ds.SoftwareVersions = "0.1.0"
    ds.InstanceNumber = 1
    ds.ContentDate = now.strftime("%Y%m%d")
    ds.ContentTime = now.strftime("%H%M%S")
    ds.ContentLabel = "SPINEPLAN_REG"
    ds.ContentDescription = description[:64]
    ds.ContentCreatorName = ""
    return ds


def _registration_item(
    series: RegisteredSeries, matrix: np.ndarray, comment: str, method: tuple[str, str]
) -> Dataset:
    item = Dataset()
    item.FrameOfReferenceUID = series.frame_of_reference_uid
    item.ReferencedImageSequence = DicomSequence(
        [_reference(sop_class, sop_instance) for sop_class, sop_instance in series.images]
    )
    matrix_item = Dataset()
    matrix_item.FrameOfReferenceTransformationMatrixType = "RIGID"
    matrix_item.FrameOfReferenceTransformationMatrix = [_ds(v) for v in matrix.ravel()]
    registration = Dataset()
    registration.FrameOfReferenceTransformationComment = comment[:64]
    code = Dataset()
    code.CodeValue, code.CodeMeaning = method
    code.CodingSchemeDesignator = "DCM"
    registration.RegistrationTypeCodeSequence = DicomSequence([code])
    registration.MatrixSequence = DicomSequence([matrix_item])
    item.MatrixRegistrationSequence = DicomSequence([registration])
    return item


def _reference(sop_class: str, sop_instance: str) -> Dataset:
    reference = Dataset()
    reference.ReferencedSOPClassUID = sop_class
    reference.ReferencedSOPInstanceUID = sop_instance
    return reference


def _series_reference(series: RegisteredSeries) -> Dataset:
    item = Dataset()
    item.SeriesInstanceUID = series.series_instance_uid
    item.ReferencedInstanceSequence = DicomSequence(
        [_reference(sop_class, sop_instance) for sop_class, sop_instance in series.images]
    )
    return item


def _add_common_instance_reference(
    ds: Dataset, fixed: RegisteredSeries, moving: RegisteredSeries
) -> None:
    """Referenced series of this study, and of other studies (the MR usually)."""
    same_study = [s for s in (fixed, moving) if s.study_instance_uid == ds.StudyInstanceUID]
    other = [s for s in (fixed, moving) if s.study_instance_uid != ds.StudyInstanceUID]
    if same_study:
        ds.ReferencedSeriesSequence = DicomSequence([_series_reference(s) for s in same_study])
    if other:
        studies = []
        for series in other:
            study = Dataset()
            study.StudyInstanceUID = series.study_instance_uid
            study.ReferencedSeriesSequence = DicomSequence([_series_reference(series)])
            studies.append(study)
        ds.StudiesContainingOtherReferencedInstancesSequence = DicomSequence(studies)


def _save_atomically(ds: Dataset, target: Path) -> Path:
    """Write whole or not at all (:func:`imaging.rt_common.save_atomically`) into an existing
    folder."""
    if not target.parent.is_dir():
        raise SpatialRegistrationError(f"{target.parent}: no such folder for the REG file")
    return save_atomically(ds, target)


def _ds(value: float) -> str:
    """A DICOM decimal string (at most 16 characters)."""
    value = float(value)
    for digits in (12, 11, 10, 9, 8):
        text = f"{value:.{digits}g}"
        if len(text) <= 16:
            return "0" if text in ("-0", "-0.0") else text
    return f"{value:.6e}"


# -- reading ----------------------------------------------------------------------------------
def _item_matrix(item: Dataset, path: Path, number: int) -> np.ndarray:
    """The product of an item's matrices (applied in order), frame -> registered frame."""
    where = f"{path}: RegistrationSequence item {number}"
    registrations = item.get("MatrixRegistrationSequence", [])
    if not registrations:
        raise SpatialRegistrationError(f"{where} has no MatrixRegistrationSequence")
    total = np.eye(4)
    for registration in registrations:
        for matrix_item in registration.get("MatrixSequence", []):
            kind = str(matrix_item.get("FrameOfReferenceTransformationMatrixType", "")).upper()
            if kind not in _MATRIX_TYPES:
                raise SpatialRegistrationError(
                    f"{where}: matrix type {kind or '(none)'}; expected one of {_MATRIX_TYPES}"
                )
            values = matrix_item.get("FrameOfReferenceTransformationMatrix")
            try:
                matrix = np.asarray([float(v) for v in values], float).reshape(4, 4)
            except (TypeError, ValueError):
                raise SpatialRegistrationError(
                    f"{where}: FrameOfReferenceTransformationMatrix is not 16 numbers"
                ) from None
            if not np.all(np.isfinite(matrix)) or abs(np.linalg.det(matrix)) < 1e-9:
                raise SpatialRegistrationError(f"{where}: the matrix is singular or not finite")
            total = matrix @ total
    return total
