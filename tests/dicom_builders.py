"""Synthetic DICOM series made in code, with known geometry, for tests across the project.

Each builder states its own truth: the voxel array (modality values after rescale) and the
4x4 affine mapping (column i, row j, slice k, 1) to patient LPS mm that a correct reader must
reproduce. Any orientation, spacing, slice step (gantry tilt), rescale, instance-number order,
transfer syntax (native, deflate, RLE, JPEG-LS, JPEG 2000 via pydicom's encoders), enhanced
multi-frame, files without preamble or extension, and junk files.

Typical use::

    built = write_series(tmp_path / "t2", orientation="sagittal", shape=(12, 32, 24))
    volume = imaging.load_series(tmp_path / "t2")
    assert np.allclose(volume.affine, built.affine)
    assert np.array_equal(volume.array, built.array)
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    CTImageStorage,
    DeflatedExplicitVRLittleEndian,
    EnhancedMRImageStorage,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    MRImageStorage,
    generate_uid,
)

#: Row and column direction cosines (LPS) of the standard planes, as scanners write them.
PLANE_COSINES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "axial": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "sagittal": ((0.0, 1.0, 0.0), (0.0, 0.0, -1.0)),
    "coronal": ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0)),
}

_UID_ROOT = "1.2.826.0.1.3680043.8.498."  # pydicom's root, for test objects only


@dataclass(frozen=True, eq=False)
class BuiltSeries:
    """What a builder wrote and the truth a reader must recover.

    Attributes
    ----------
    paths : files written, in slice order (k = 0, 1, ...).
    array : expected voxel values (slices, rows, columns) after rescale.
    affine : expected 4x4 (i, j, k, 1) -> LPS mm.
    series_instance_uid, study_instance_uid, frame_of_reference_uid : the UIDs written.
    """

    paths: tuple[Path, ...]
    array: np.ndarray
    affine: np.ndarray
    series_instance_uid: str
    study_instance_uid: str
    frame_of_reference_uid: str

    @property
    def folder(self) -> Path:
        return self.paths[0].parent


def uid(seed: str | None = None) -> str:
    """A valid UID; deterministic when ``seed`` is given."""
    return generate_uid(prefix=_UID_ROOT, entropy_srcs=[seed] if seed else None)


def oblique_cosines(
    plane: str = "sagittal", angle_deg: float = 20.0, axis: Sequence[float] = (1.0, 0.0, 0.0)
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Cosines of ``plane`` rotated by ``angle_deg`` about the LPS ``axis`` (right-handed)."""
    axis_v = np.asarray(axis, float) / np.linalg.norm(axis)
    angle = np.radians(angle_deg)
    cross = np.array(
        [[0, -axis_v[2], axis_v[1]], [axis_v[2], 0, -axis_v[0]], [-axis_v[1], axis_v[0], 0]]
    )
    rotation = np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * cross @ cross
    row, column = (np.asarray(c, float) for c in PLANE_COSINES[plane])
    return tuple(rotation @ row), tuple(rotation @ column)


def smooth_pattern(shape: tuple[int, int, int], maximum: int = 3000, seed: int = 0) -> np.ndarray:
    """A smooth, slice-distinct, non-negative integer pattern (survives lossy compression).

    Every slice differs (so a wrong slice order shows), rows and columns differ (so a
    transposition shows), and values stay within ``[0, maximum]``.
    """
    k, j, i = np.meshgrid(*(np.arange(n, dtype=float) for n in shape), indexing="ij")
    slices, rows, columns = shape
    smooth = (
        0.45 * (1 + np.sin(2 * np.pi * (i / max(columns, 1) + 0.5 * j / max(rows, 1))))
        + 0.35 * j / max(rows - 1, 1)
        + 0.2 * k / max(slices - 1, 1)
    )
    rng = np.random.default_rng(seed)
    smooth += rng.uniform(0.0, 0.002, size=shape)
    return np.clip(np.round(smooth / smooth.max() * maximum), 0, maximum).astype(np.int64)


def image_dataset(
    pixels: np.ndarray,
    *,
    position_mm: Sequence[float],
    row_cosine: Sequence[float],
    column_cosine: Sequence[float],
    pixel_spacing_mm: tuple[float, float],
    slice_thickness_mm: float,
    series_instance_uid: str,
    study_instance_uid: str,
    frame_of_reference_uid: str,
    instance_number: int,
    modality: str = "MR",
    series_number: int = 1,
    series_description: str = "T2 SAG",
    patient_name: str = "TEST^PATIENT",
    patient_id: str = "TEST001",
    study_date: str = "20240101",
    study_description: str = "MRI SPINE",
    rescale_slope: float | None = None,
    rescale_intercept: float | None = None,
    window: tuple[float, float] | None = None,
    pixel_representation: int = 0,
    bits_stored: int = 16,
    transfer_syntax_uid: str = ExplicitVRLittleEndian,
) -> Dataset:
    """One single-frame CT/MR image data set (with file meta) holding stored ``pixels``."""
    sop_class = CTImageStorage if modality == "CT" else MRImageStorage
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = uid()
    ds.file_meta.TransferSyntaxUID = transfer_syntax_uid
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL" if modality == "CT" else "OTHER"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyDate = study_date
    ds.SeriesDate = study_date
    ds.StudyTime = "120000"
    ds.Modality = modality
    ds.Manufacturer = "spineplan tests"
    ds.StudyDescription = study_description
    ds.SeriesDescription = series_description
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19600101"
    ds.PatientSex = "F"
    ds.SliceThickness = f"{slice_thickness_mm:g}"
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = study_instance_uid
    ds.SeriesInstanceUID = series_instance_uid
    ds.StudyID = "1"
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance_number
    ds.ImagePositionPatient = [_ds(v) for v in position_mm]
    ds.ImageOrientationPatient = [_ds(v) for v in (*row_cosine, *column_cosine)]
    ds.FrameOfReferenceUID = frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelSpacing = [_ds(v) for v in pixel_spacing_mm]
    ds.BitsAllocated = 16 if pixels.dtype.itemsize >= 2 else 8
    ds.BitsStored = min(bits_stored, ds.BitsAllocated)
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = pixel_representation
    if rescale_slope is not None or rescale_intercept is not None or modality == "CT":
        ds.RescaleIntercept = _ds(rescale_intercept or 0.0)
        ds.RescaleSlope = _ds(1.0 if rescale_slope is None else rescale_slope)
        if modality == "CT":
            ds.RescaleType = "HU"
    if window is not None:
        ds.WindowCenter = _ds(window[0])
        ds.WindowWidth = _ds(window[1])
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    return ds


def write_series(
    folder: Path,
    *,
    shape: tuple[int, int, int] = (8, 20, 16),
    orientation: str = "axial",
    cosines: tuple[Sequence[float], Sequence[float]] | None = None,
    pixel_spacing_mm: tuple[float, float] = (0.8, 0.7),
    slice_spacing_mm: float = 3.0,
    slice_step_mm: Sequence[float] | None = None,
    origin_mm: Sequence[float] = (-10.0, 20.0, 30.0),
    modality: str = "MR",
    values: np.ndarray | None = None,
    rescale_slope: float | None = None,
    rescale_intercept: float | None = None,
    instance_numbers: Sequence[int] | None = None,
    series_instance_uid: str | None = None,
    study_instance_uid: str | None = None,
    frame_of_reference_uid: str | None = None,
    series_number: int = 1,
    series_description: str | None = None,
    transfer_syntax_uid: str = ExplicitVRLittleEndian,
    preamble: bool = True,
    extension: str = ".dcm",
    file_prefix: str = "IM",
    skip_slices: Sequence[int] = (),
    window: tuple[float, float] | None = None,
    seed: int = 0,
    compress_options: dict[str, object] | None = None,
    bits_allocated: int = 16,
    **dataset_fields: object,
) -> BuiltSeries:
    """Write one single-frame series and return what a reader must find.

    Parameters
    ----------
    shape : (slices, rows, columns).
    orientation : "axial", "sagittal" or "coronal" (ignored when ``cosines`` is given).
    cosines : explicit (row cosine, column cosine) for oblique planes.
    pixel_spacing_mm : PixelSpacing as stored: (between rows, between columns) in mm.
    slice_spacing_mm : distance between slices along the normal, in mm.
    slice_step_mm : explicit vector between successive slices (e.g. sheared for gantry tilt);
        overrides ``slice_spacing_mm``.
    origin_mm : ImagePositionPatient of slice k = 0.
    values : modality values (slices, rows, columns); default `smooth_pattern`. Stored values are
        ``(values - intercept) / slope`` and must be whole numbers.
    instance_numbers : InstanceNumber per slice k (default 1..n); shuffle it to test sorting.
    transfer_syntax_uid : native, deflated, or a compressed syntax pydicom can encode.
    preamble : False writes the file without the 128-byte preamble and DICM prefix.
    extension : file name suffix ("" for none).
    skip_slices : slice indices not written (the returned array and paths omit them).
    compress_options : encoder options for `Dataset.compress` (e.g. ``{"jls_error": 2}``).
    bits_allocated : 16, or 8 for byte pixels (values must then fit 0..255).
    dataset_fields : extra attributes set on every data set (e.g. ``Manufacturer="X"``).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    slices = shape[0]
    row_cos, col_cos = cosines if cosines is not None else PLANE_COSINES[orientation]
    row_v, col_v = np.asarray(row_cos, float), np.asarray(col_cos, float)
    normal = np.cross(row_v, col_v)
    step = (
        np.asarray(slice_step_mm, float) if slice_step_mm is not None else normal * slice_spacing_mm
    )
    origin = np.asarray(origin_mm, float)
    values = smooth_pattern(shape, seed=seed) if values is None else np.asarray(values)
    slope = 1.0 if rescale_slope is None else rescale_slope
    intercept = 0.0 if rescale_intercept is None else rescale_intercept
    stored = (values - intercept) / slope
    if not np.allclose(stored, np.round(stored)):
        raise ValueError("values must be whole numbers after removing the rescale")
    stored = np.round(stored)
    signed = bool(stored.min() < 0)
    if bits_allocated == 8:
        if signed or stored.max() > 255:
            raise ValueError("8-bit pixels need stored values in 0..255")
        stored = stored.astype(np.uint8)
    else:
        stored = stored.astype(np.int16 if signed else np.uint16)
    series_uid = series_instance_uid or uid()
    study_uid = study_instance_uid or uid()
    frame_uid = frame_of_reference_uid or uid()
    numbers = list(instance_numbers) if instance_numbers is not None else list(range(1, slices + 1))
    description = series_description or f"{modality} {orientation}"

    paths, kept = [], []
    for k in range(slices):
        if k in skip_slices:
            continue
        ds = image_dataset(
            stored[k],
            position_mm=origin + k * step,
            row_cosine=row_v,
            column_cosine=col_v,
            pixel_spacing_mm=pixel_spacing_mm,
            slice_thickness_mm=float(np.linalg.norm(step)),
            series_instance_uid=series_uid,
            study_instance_uid=study_uid,
            frame_of_reference_uid=frame_uid,
            instance_number=numbers[k],
            modality=modality,
            series_number=series_number,
            series_description=description,
            rescale_slope=rescale_slope,
            rescale_intercept=rescale_intercept,
            window=window,
            pixel_representation=int(signed),
        )
        for keyword, value in dataset_fields.items():
            setattr(ds, keyword, value)
        path = folder / f"{file_prefix}{k:04d}{extension}"
        save(
            ds,
            path,
            transfer_syntax_uid=transfer_syntax_uid,
            preamble=preamble,
            compress_options=compress_options,
        )
        paths.append(path)
        kept.append(k)

    row_spacing, column_spacing = pixel_spacing_mm
    affine = np.eye(4)
    affine[:3, 0] = row_v * column_spacing
    affine[:3, 1] = col_v * row_spacing
    affine[:3, 2] = step
    affine[:3, 3] = origin + kept[0] * step
    return BuiltSeries(
        paths=tuple(paths),
        array=values[kept],
        affine=affine,
        series_instance_uid=series_uid,
        study_instance_uid=study_uid,
        frame_of_reference_uid=frame_uid,
    )


def save(
    ds: Dataset,
    path: Path,
    *,
    transfer_syntax_uid: str = ExplicitVRLittleEndian,
    preamble: bool = True,
    compress_options: dict[str, object] | None = None,
) -> None:
    """Write ``ds`` in ``transfer_syntax_uid`` (compressing with pydicom's encoders if needed).

    ``preamble=False`` omits the 128-byte preamble and the ``DICM`` prefix but keeps the file
    meta group, as some old archives and PACS exports do.
    """
    if transfer_syntax_uid in (ExplicitVRLittleEndian, ImplicitVRLittleEndian):
        ds.file_meta.TransferSyntaxUID = transfer_syntax_uid
    elif transfer_syntax_uid == DeflatedExplicitVRLittleEndian:
        ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    else:
        ds.compress(transfer_syntax_uid, generate_instance_uid=False, **(compress_options or {}))
    implicit = transfer_syntax_uid == ImplicitVRLittleEndian
    pydicom.dcmwrite(path, ds, implicit_vr=implicit, little_endian=True, enforce_file_format=True)
    if not preamble:
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[132:])


def write_raw_dataset(ds: Dataset, path: Path) -> None:
    """Write only the data set, implicit VR little endian: no preamble, no file meta group."""
    raw = Dataset()
    raw.update(ds)
    pydicom.dcmwrite(path, raw, implicit_vr=True, little_endian=True)


def write_enhanced_mr(
    path: Path,
    *,
    shape: tuple[int, int, int] = (6, 16, 12),
    orientation: str = "sagittal",
    pixel_spacing_mm: tuple[float, float] = (0.9, 0.8),
    slice_spacing_mm: float = 4.0,
    origin_mm: Sequence[float] = (-20.0, -50.0, 100.0),
    frame_order: Sequence[int] | None = None,
    rescale_slopes: Sequence[float] | None = None,
    shared_geometry: bool = True,
    frame_planes: Sequence[str] | None = None,
    series_description: str = "T1 SAG ENHANCED",
    seed: int = 1,
) -> BuiltSeries:
    """Write an Enhanced MR Image (multi-frame) with per-frame functional groups.

    Parameters
    ----------
    frame_order : which slice k each stored frame holds (default 0..n-1); permute it to check
        that frames are placed by PlanePositionSequence, not by frame number.
    rescale_slopes : a PixelValueTransformationSequence slope per slice k (per-frame); the
        expected array is then ``stored * slope``.
    shared_geometry : orientation and pixel spacing in the shared functional groups (True) or
        repeated in every per-frame item (False).
    frame_planes : a plane name per slice k (e.g. a three-plane localizer in one object);
        frame k then lies at ``origin + k * spacing * normal(plane k)`` and the returned affine
        describes ``orientation`` only.
    """
    slices, rows, columns = shape
    row_v, col_v = (np.asarray(c, float) for c in PLANE_COSINES[orientation])
    step = np.cross(row_v, col_v) * slice_spacing_mm
    origin = np.asarray(origin_mm, float)
    stored = smooth_pattern(shape, maximum=2000, seed=seed).astype(np.uint16)
    slopes = list(rescale_slopes) if rescale_slopes is not None else [1.0] * slices
    order = list(frame_order) if frame_order is not None else list(range(slices))

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = EnhancedMRImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = EnhancedMRImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
    ds.Modality = "MR"
    ds.StudyInstanceUID = uid()
    ds.SeriesInstanceUID = uid()
    ds.FrameOfReferenceUID = uid()
    ds.SeriesNumber = 7
    ds.InstanceNumber = 1
    ds.SeriesDescription = series_description
    ds.PatientName = "TEST^ENHANCED"
    ds.PatientID = "TEST002"
    ds.StudyDate = datetime.date(2024, 2, 1).strftime("%Y%m%d")
    ds.StudyTime = "120000"
    ds.StudyID = "2"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.ContentDate = ds.StudyDate
    ds.ContentTime = "120000"
    ds.AcquisitionDateTime = ds.StudyDate + "120000"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = rows, columns
    ds.NumberOfFrames = slices
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0

    def plane_orientation(plane: str = orientation) -> DicomSequence:
        item = Dataset()
        row, column = PLANE_COSINES[plane]
        item.ImageOrientationPatient = [_ds(v) for v in (*row, *column)]
        return DicomSequence([item])

    def pixel_measures() -> DicomSequence:
        item = Dataset()
        item.PixelSpacing = [_ds(v) for v in pixel_spacing_mm]
        item.SliceThickness = _ds(slice_spacing_mm)
        return DicomSequence([item])

    shared = Dataset()
    if shared_geometry:
        shared.PixelMeasuresSequence = pixel_measures()
        if frame_planes is None:
            shared.PlaneOrientationSequence = plane_orientation()
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    frames = []
    for k in order:
        item = Dataset()
        position = Dataset()
        plane = frame_planes[k] if frame_planes is not None else orientation
        frame_step = np.cross(*(np.asarray(c, float) for c in PLANE_COSINES[plane]))
        position.ImagePositionPatient = [_ds(v) for v in origin + k * slice_spacing_mm * frame_step]
        item.PlanePositionSequence = DicomSequence([position])
        if frame_planes is not None:
            item.PlaneOrientationSequence = plane_orientation(plane)
        if not shared_geometry:
            item.PlaneOrientationSequence = plane_orientation(plane)
            item.PixelMeasuresSequence = pixel_measures()
        transform = Dataset()
        transform.RescaleSlope = _ds(slopes[k])
        transform.RescaleIntercept = "0"
        transform.RescaleType = "US"
        item.PixelValueTransformationSequence = DicomSequence([transform])
        content = Dataset()
        content.InStackPositionNumber = k + 1
        content.StackID = "1"
        item.FrameContentSequence = DicomSequence([content])
        frames.append(item)
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(frames)
    ds.PixelData = np.ascontiguousarray(stored[order]).tobytes()
    pydicom.dcmwrite(path, ds, enforce_file_format=True)

    row_spacing, column_spacing = pixel_spacing_mm
    affine = np.eye(4)
    affine[:3, 0] = row_v * column_spacing
    affine[:3, 1] = col_v * row_spacing
    affine[:3, 2] = step
    affine[:3, 3] = origin
    expected = stored.astype(float) * np.asarray(slopes)[:, None, None]
    return BuiltSeries(
        paths=(Path(path),),
        array=expected,
        affine=affine,
        series_instance_uid=str(ds.SeriesInstanceUID),
        study_instance_uid=str(ds.StudyInstanceUID),
        frame_of_reference_uid=str(ds.FrameOfReferenceUID),
    )


# -- junk ---------------------------------------------------------------------------------------
def write_text_file(path: Path, text: str = "patient notes: not an image\n") -> Path:
    """A plain text file (e.g. a README left in an export folder)."""
    Path(path).write_text(text)
    return Path(path)


def write_garbage_file(path: Path, size: int = 4096, seed: int = 3) -> Path:
    """Random bytes (no DICOM magic, no plausible first element)."""
    Path(path).write_bytes(np.random.default_rng(seed).bytes(size))
    return Path(path)


def write_truncated_copy(source: Path, path: Path, keep_fraction: float = 0.5) -> Path:
    """The first ``keep_fraction`` of ``source``'s bytes (a broken download or copy)."""
    data = Path(source).read_bytes()
    Path(path).write_bytes(data[: max(1, int(len(data) * keep_fraction))])
    return Path(path)


def write_without(source: Path, path: Path, *keywords: str) -> Path:
    """A copy of ``source`` with the attributes ``keywords`` removed (e.g. PixelSpacing)."""
    ds = pydicom.dcmread(source)
    for keyword in keywords:
        if keyword in ds:
            delattr(ds, keyword)
    ds.save_as(path, enforce_file_format=True)
    return Path(path)


def _ds(value: float) -> str:
    """A DICOM decimal string (at most 16 characters) for ``value``."""
    text = f"{float(value):.10g}"
    if len(text) > 16:
        text = f"{float(value):.8g}"
    return "0" if text in ("-0", "-0.0") else text
