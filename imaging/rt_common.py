"""What every DICOM RT object spineplan writes shares: file meta, patient, study, series,
frame of reference, equipment, taken from an image of the study it belongs to."""

from __future__ import annotations

from pathlib import Path

from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from imaging.atomic_write import save_atomic

#: Copied from the referenced image so the object files under the same patient and study.
PATIENT_STUDY_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
    "StudyDescription",
)


def character_set_for(reference_image: Dataset) -> str | list[str]:
    """The SpecificCharacterSet an object copying the reference image's text must declare.

    The image's own, verbatim, when it has one (so a name in ISO 2022 or UTF-8 round-trips);
    otherwise Latin-1 (ISO_IR 100) when the copied text fits it, else UTF-8 (ISO_IR 192), never
    a character set that would turn a patient's name into question marks.
    """
    declared = reference_image.get("SpecificCharacterSet")
    if declared:
        return declared if isinstance(declared, str) else list(declared)
    texts = [str(reference_image.get(keyword, "")) for keyword in PATIENT_STUDY_KEYWORDS]
    try:
        "".join(texts).encode("latin-1")
    except UnicodeEncodeError:
        return "ISO_IR 192"
    return "ISO_IR 100"


def new_rt_dataset(
    sop_class_uid: UID,
    modality: str,
    reference_image: Dataset,
    *,
    series_number: int,
    series_description: str,
) -> FileDataset:
    """A new RT object in its own series, in the study and frame of reference of the image."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class_uid
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset("", Dataset(), file_meta=meta, preamble=b"\0" * 128)
    ds.SpecificCharacterSet = character_set_for(reference_image)
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    for keyword in PATIENT_STUDY_KEYWORDS:
        setattr(ds, keyword, getattr(reference_image, keyword, ""))
    ds.Modality = modality
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = series_number
    ds.SeriesDescription = series_description
    ds.OperatorsName = ""
    ds.FrameOfReferenceUID = reference_image.FrameOfReferenceUID
    ds.PositionReferenceIndicator = getattr(reference_image, "PositionReferenceIndicator", "")
    ds.Manufacturer = "spineplan"
    ds.InstanceNumber = 1
    return ds


def save_atomically(dataset: Dataset, path: str | Path) -> Path:
    """Write ``dataset`` to ``path`` as a DICOM file (with preamble and file meta), atomically
    (`imaging.atomic_write.save_atomic`), so no half-written file remains."""
    return save_atomic(path, lambda partial: dataset.save_as(partial, enforce_file_format=True))
