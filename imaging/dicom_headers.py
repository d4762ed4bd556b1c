"""Reading DICOM headers without pixel data, and telling DICOM from everything else.

`read_image_header` parses one file up to (not including) its pixel data and returns an
`ImageFileHeader`: who the image belongs to (study, series, patient) and, per frame, a
`SliceHeader` with the plane geometry and pixel encoding needed later to decode it.

pydicom's ``force=True`` parses any bytes into *something*, so a plausibility test
(`looks_like_dicom`) runs first: the ``DICM`` magic after the 128-byte preamble, or, for files
written without preamble, a first element in group 0002/0008 with a valid VR or length.

Headers are read by `imaging.raw_header` (about 0.15 ms per file) when it can, by pydicom
(about 0.6 ms) otherwise: deflated and big-endian files, enhanced multi-frame objects
(``tests/benchmarks/bench_headers.py`` measures both).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    MediaStorageDirectoryStorage,
)

from imaging.dicom_values import (
    HeaderSource,
    ascii_text,
    integer,
    optional_numbers,
    text,
    unsigned_short,
)
from imaging.errors import ImagingError, UnreadableFileError
from imaging.multiframe import frame_geometries
from imaging.raw_header import RawHeader, read_raw_header
from imaging.volume import SeriesMetadata

#: Transfer syntaxes whose pixel data is stored raw, little endian (fast path when loading).
NATIVE_LITTLE_ENDIAN = frozenset({ImplicitVRLittleEndian, ExplicitVRLittleEndian})

_VALID_VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN "
    b"UR US UT UV".split()
)


#: Top-level attributes discovery reads (the fast reader keeps only these).
HEADER_KEYWORDS = (
    "SpecificCharacterSet",
    "SOPClassUID",
    "SOPInstanceUID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "FrameOfReferenceUID",
    "Modality",
    "SeriesDescription",
    "SeriesNumber",
    "InstanceNumber",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientPosition",
    "StudyDate",
    "StudyDescription",
    "InstitutionName",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
    "SliceThickness",
    "SpacingBetweenSlices",
    "Rows",
    "Columns",
    "NumberOfFrames",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "BitsAllocated",
    "BitsStored",
    "PixelRepresentation",
    "RescaleSlope",
    "RescaleIntercept",
    "RescaleType",
    "WindowCenter",
    "WindowWidth",
)
_HEADER_TAGS = frozenset(int(tag_for_keyword(keyword) or 0) for keyword in HEADER_KEYWORDS)


class NotAnImageError(ImagingError):
    """A readable DICOM object that holds no image (DICOMDIR, structured report, RT plan...)."""


@dataclass(frozen=True, slots=True)
class SliceHeader:
    """Geometry and pixel encoding of one 2D image: a single-frame file or one frame of many.

    ``position_mm`` is ImagePositionPatient (LPS mm, centre of the first pixel);
    ``row_cosine``/``column_cosine`` the two halves of ImageOrientationPatient;
    ``pixel_spacing_mm`` PixelSpacing as stored (row spacing, column spacing). Any of them is
    ``None`` when the header lacks it; the series then cannot form a volume.
    """

    path: Path
    frame: int
    number_of_frames: int
    instance_number: int | None
    position_mm: tuple[float, float, float] | None
    row_cosine: tuple[float, float, float] | None
    column_cosine: tuple[float, float, float] | None
    pixel_spacing_mm: tuple[float, float] | None
    slice_thickness_mm: float | None
    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    rescale_slope: float
    rescale_intercept: float
    transfer_syntax_uid: str
    #: Byte offset of the PixelData element (tag included) for native syntaxes, else None.
    pixel_data_offset: int | None
    #: False when the file ends before any pixel data element.
    has_pixel_data: bool = True

    @property
    def label(self) -> str:
        """The file, plus the frame number (1-based) when the file holds several frames."""
        return (
            f"{self.path} frame {self.frame + 1}" if self.number_of_frames > 1 else str(self.path)
        )


@dataclass(frozen=True)
class ImageFileHeader:
    """Everything discovery needs from one image file: identity plus one `SliceHeader` per frame."""

    path: Path
    sop_instance_uid: str
    metadata: SeriesMetadata
    slices: tuple[SliceHeader, ...]


def looks_like_dicom(path: Path) -> bool:
    """Cheap test whether ``path`` holds a DICOM file, with or without the 128-byte preamble."""
    try:
        with open(path, "rb") as file:
            return _plausible_start(file.read(140), os.fstat(file.fileno()).st_size)
    except OSError:
        return False


def _plausible_start(head: bytes, size: int) -> bool:
    if len(head) >= 132 and head[128:132] == b"DICM":
        return True
    if len(head) < 12:
        return False
    # A raw data set (no preamble) starts with its first element, little endian.
    group, element = struct.unpack("<HH", head[:4])
    if group not in (0x0002, 0x0008) or element > 0x1FFF:
        return False
    if head[4:6] in _VALID_VRS:
        return True
    (implicit_length,) = struct.unpack("<I", head[4:8])
    return implicit_length < min(size, 1 << 16)


def is_dicomdir(path: Path) -> bool:
    """Whether ``path`` is a DICOMDIR (Media Storage Directory) file."""
    if not looks_like_dicom(path):
        return False
    try:
        meta = pydicom.filereader.read_file_meta_info(path)
    except Exception:
        return False
    return str(meta.get("MediaStorageSOPClassUID", "")) == MediaStorageDirectoryStorage


def read_image_header(path: Path, *, fast: bool = True) -> ImageFileHeader:
    """Parse one file's header (pixel data excluded).

    ``fast`` tries `imaging.raw_header` first and falls back to pydicom for what it does not
    handle; ``fast=False`` always uses pydicom (both give the same result).

    Raises
    ------
    UnreadableFileError
        The file is not DICOM, or is truncated/corrupt before its pixel data.
    NotAnImageError
        The file is DICOM but holds no image (rows, columns or series UID missing).
    """
    path = Path(path)
    try:
        with open(path, "rb") as file:
            file_size = os.fstat(file.fileno()).st_size
            if not _plausible_start(file.read(140), file_size):
                raise UnreadableFileError(f"{path}: not a DICOM file")
            file.seek(0)
            raw = read_raw_header(file, file_size, _HEADER_TAGS) if fast else None
            if raw is not None:
                dataset: HeaderSource = raw
                meta: HeaderSource = raw.meta_header()
                stop_offset = raw.stop_offset
            else:
                file.seek(0)
                dataset = pydicom.dcmread(file, force=True, stop_before_pixels=True)
                meta = getattr(dataset, "file_meta", None) or Dataset()
                stop_offset = file.tell()
    except (UnreadableFileError, OSError):
        raise
    except Exception as error:  # pydicom raises many types for corrupt data
        raise UnreadableFileError(f"{path}: corrupt DICOM header ({error})") from error
    if ascii_text(meta, "MediaStorageSOPClassUID") == MediaStorageDirectoryStorage:
        raise NotAnImageError(f"{path}: a DICOMDIR index, not an image")
    try:
        return _image_header(path, dataset, meta, stop_offset, file_size)
    except (NotAnImageError, UnreadableFileError):
        raise
    except Exception as error:  # malformed values (e.g. text in a numeric tag)
        raise UnreadableFileError(f"{path}: malformed DICOM header ({error})") from error


def _image_header(
    path: Path, dataset: HeaderSource, meta: HeaderSource, stop_offset: int, file_size: int
) -> ImageFileHeader:
    series_uid = ascii_text(dataset, "SeriesInstanceUID")
    identified = ascii_text(dataset, "SOPClassUID") or ascii_text(dataset, "StudyInstanceUID")
    if not (series_uid or identified):
        raise UnreadableFileError(f"{path}: no DICOM identifiers (not a DICOM file)")
    rows = unsigned_short(dataset, "Rows")
    columns = unsigned_short(dataset, "Columns")
    modality = ascii_text(dataset, "Modality")
    if not series_uid or not rows or not columns:
        sop_class = ascii_text(dataset, "SOPClassUID") or ascii_text(
            meta, "MediaStorageSOPClassUID"
        )
        if "Image" in UID(sop_class).name:  # an image class without image attributes: cut off
            absent = [
                name
                for name, value in (
                    ("SeriesInstanceUID", series_uid),
                    ("Rows", rows),
                    ("Columns", columns),
                )
                if not value
            ]
            raise UnreadableFileError(
                f"{path}: truncated or incomplete image header (no {', '.join(absent)})"
            )
        raise NotAnImageError(
            f"{path}: DICOM object without an image ({modality or 'unknown modality'})"
        )

    syntax = ascii_text(meta, "TransferSyntaxUID") or _guess_syntax(dataset)
    frames = max(1, integer(dataset, "NumberOfFrames") or 1)
    bits_allocated = unsigned_short(dataset, "BitsAllocated") or 16
    samples = unsigned_short(dataset, "SamplesPerPixel") or 1
    pixel_offset: int | None = None
    # A deflated file is inflated whole while reading, so the offset says nothing there.
    has_pixels = file_size > stop_offset or syntax == DeflatedExplicitVRLittleEndian
    if syntax in NATIVE_LITTLE_ENDIAN and has_pixels:
        pixel_offset = stop_offset
        header_bytes = 8 if syntax == ImplicitVRLittleEndian else 12
        expected = rows * columns * samples * frames * bits_allocated // 8
        if file_size < stop_offset + header_bytes + expected:
            missing = stop_offset + header_bytes + expected - file_size
            raise UnreadableFileError(
                f"{path}: truncated file, pixel data is {missing} bytes short of {expected}"
            )

    geometries = frame_geometries(dataset, frames)
    instance_number = integer(dataset, "InstanceNumber")
    bits_stored = unsigned_short(dataset, "BitsStored") or bits_allocated
    pixel_representation = unsigned_short(dataset, "PixelRepresentation") or 0
    slices = tuple(
        SliceHeader(
            path=path,
            frame=index,
            number_of_frames=frames,
            instance_number=instance_number,
            position_mm=geometry.position_mm,
            row_cosine=geometry.row_cosine,
            column_cosine=geometry.column_cosine,
            pixel_spacing_mm=geometry.pixel_spacing_mm,
            slice_thickness_mm=geometry.slice_thickness_mm,
            rows=rows,
            columns=columns,
            samples_per_pixel=samples,
            bits_allocated=bits_allocated,
            bits_stored=bits_stored,
            pixel_representation=pixel_representation,
            rescale_slope=geometry.rescale_slope,
            rescale_intercept=geometry.rescale_intercept,
            transfer_syntax_uid=syntax,
            pixel_data_offset=pixel_offset,
            has_pixel_data=has_pixels,
        )
        for index, geometry in enumerate(geometries)
    )
    rescale_type = ascii_text(dataset, "RescaleType")
    if modality == "CT":
        units = (
            "HU" if rescale_type in ("", "HU") else ("" if rescale_type == "US" else rescale_type)
        )
    else:
        units = "" if rescale_type == "US" else rescale_type
    metadata = SeriesMetadata(
        series_instance_uid=series_uid,
        study_instance_uid=ascii_text(dataset, "StudyInstanceUID"),
        frame_of_reference_uid=ascii_text(dataset, "FrameOfReferenceUID"),
        modality=modality,
        series_description=text(dataset, "SeriesDescription"),
        series_number=integer(dataset, "SeriesNumber"),
        patient_name=text(dataset, "PatientName"),
        patient_id=text(dataset, "PatientID"),
        patient_birth_date=ascii_text(dataset, "PatientBirthDate"),
        patient_sex=ascii_text(dataset, "PatientSex"),
        study_date=ascii_text(dataset, "StudyDate"),
        study_description=text(dataset, "StudyDescription"),
        institution_name=text(dataset, "InstitutionName"),
        patient_position=ascii_text(dataset, "PatientPosition"),
        window_presets=_window_presets(dataset, geometries[0].window_presets),
        units=units,
    )
    return ImageFileHeader(
        path=path,
        sop_instance_uid=ascii_text(dataset, "SOPInstanceUID"),
        metadata=metadata,
        slices=slices,
    )


def _guess_syntax(dataset: HeaderSource) -> str:
    """Transfer syntax of a file without meta header, as detected while reading."""
    if isinstance(dataset, RawHeader):
        return dataset.transfer_syntax_uid
    encoding = dataset.original_encoding
    implicit = encoding[0] if encoding and encoding[0] is not None else True
    if encoding and encoding[1] is False:
        return ExplicitVRBigEndian
    return ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian


def _window_presets(
    dataset: HeaderSource, frame_presets: tuple[tuple[float, float], ...]
) -> tuple[tuple[float, float], ...]:
    centers = optional_numbers(dataset, "WindowCenter")
    widths = optional_numbers(dataset, "WindowWidth")
    presets = tuple((c, w) for c, w in zip(centers, widths, strict=False) if w > 0)
    return presets or frame_presets


__all__ = [
    "HEADER_KEYWORDS",
    "NATIVE_LITTLE_ENDIAN",
    "ImageFileHeader",
    "NotAnImageError",
    "SliceHeader",
    "is_dicomdir",
    "looks_like_dicom",
    "read_image_header",
]
