"""De-identification of a study for teaching, after the DICOM Basic Application Confidentiality
Profile (PS3.15 Annex E), with the dicognito library doing the profile's work.

Names, IDs and other identifying text are replaced, dates and times are shifted back by one
consistent offset (the Retain Longitudinal Temporal Information with Modified Dates option),
and every instance UID is replaced by a new one consistently across the study, so series and
the frame of reference still match each other. A few attributes the profile removes that
dicognito leaves are removed here. Burned-in text is not handled (synthetic and MR data here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from dicognito.anonymizer import Anonymizer
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from imaging.atomic_write import staged_folder
from imaging.dicom_headers import looks_like_dicom
from imaging.errors import ImagingError, NoDicomError, UnreadableFileError

#: Attributes the Basic Profile removes (action X) that dicognito does not touch.
EXTRA_REMOVALS = (
    "PatientAge",
    "PatientWeight",
    "PatientSize",
    "OtherPatientNames",
    "EthnicGroup",
    "AdditionalPatientHistory",
    "PatientComments",
    "MedicalAlerts",
    "Allergies",
    "DeviceSerialNumber",
    "ImageComments",
    "RequestAttributesSequence",
    "PerformedProcedureStepDescription",
    "ReferencedStudySequence",
    "ReferencedPatientSequence",
)

#: UIDs whose old -> new mapping the caller needs (e.g. to rewrite a case file).
MAPPED_UID_KEYWORDS = ("StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID")

#: DICOM PS3.16 CID 7050 codes recorded in DeidentificationMethodCodeSequence.
_METHOD_CODES = (
    ("113100", "Basic Application Confidentiality Profile"),
    ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
)


@dataclass
class DeidentificationReport:
    """What a de-identification changed, for the user to review."""

    files_written: int = 0
    files_skipped: list[str] = field(default_factory=list)
    #: keyword -> number of files in which it was replaced
    replaced: Counter[str] = field(default_factory=Counter)
    #: keyword -> number of files from which it was removed
    removed: Counter[str] = field(default_factory=Counter)
    #: old UID -> new UID for the study, series and frame-of-reference UIDs
    uid_map: dict[str, str] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        """The changes in words, one attribute a line."""
        lines = [f"{self.files_written} files de-identified"]
        if self.files_skipped:
            lines.append(f"{len(self.files_skipped)} non-DICOM files not copied")
        lines += [f"removed  {k} ({n} files)" for k, n in sorted(self.removed.items())]
        lines += [f"replaced {k} ({n} files)" for k, n in sorted(self.replaced.items())]
        return lines


def _top_level_values(ds: Dataset) -> dict[str, object]:
    return {
        element.keyword: element.value
        for element in ds
        if element.keyword and element.keyword != "PixelData"
    }


def _record_changes(
    before: dict[str, object], after: Dataset, report: DeidentificationReport
) -> None:
    for keyword, old in before.items():
        if keyword not in after:
            report.removed[keyword] += 1
        elif after[keyword].value != old:
            report.replaced[keyword] += 1
    for keyword in MAPPED_UID_KEYWORDS:
        if keyword in before and keyword in after:
            report.uid_map[str(before[keyword])] = str(after[keyword].value)


def _mark_method(ds: Dataset) -> None:
    ds.PatientIdentityRemoved = "YES"
    items = []
    for value, meaning in _METHOD_CODES:
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, "DCM", meaning
        items.append(code)
    ds.DeidentificationMethodCodeSequence = DicomSequence(items)


def _neutral_name(ds: Dataset, counts: Counter[str]) -> Path:
    """A path that says nothing of the patient: original folder and file names may."""
    number = ds.get("SeriesNumber")
    folder = f"S{int(number):03d}_{ds.get('Modality', 'OT')}" if number is not None else "other"
    folder += f"_{str(ds.get('SeriesInstanceUID', ''))[-6:]}"
    counts[folder] += 1
    return Path(folder) / f"IM{counts[folder]:04d}.dcm"


def _check_destination(source: Path, destination: Path) -> None:
    """Refuse an output that is a file, holds files, or lies inside the study it copies."""
    if destination.exists() and not destination.is_dir():
        raise ImagingError(f"{destination}: the output exists and is not a folder")
    if destination.exists() and any(destination.iterdir()):
        raise ImagingError(f"{destination}: the output folder exists and is not empty")
    if source.is_dir() and destination.resolve().is_relative_to(source.resolve()):
        raise ImagingError(
            f"{destination}: the output folder must not lie inside the study folder {source}"
        )


def _check_pixel_data_complete(path: Path, ds: Dataset) -> None:
    """A truncated image is refused rather than copied into the teaching set half-empty."""
    if "PixelData" not in ds or "Rows" not in ds or "Columns" not in ds:
        return
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is not None and syntax.is_compressed:
        return  # encapsulated frames have no fixed length to check against
    frames = int(ds.get("NumberOfFrames") or 1)
    expected = (
        int(ds.Rows)
        * int(ds.Columns)
        * int(ds.get("SamplesPerPixel") or 1)
        * frames
        * int(ds.get("BitsAllocated") or 16)
        // 8
    )
    present = len(ds.PixelData)
    if present < expected:
        raise UnreadableFileError(
            f"{path}: truncated file, pixel data is {expected - present} bytes short of {expected}"
        )


def _candidate_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.is_file())


def deidentify_study(
    source: str | Path,
    destination: str | Path,
    *,
    seed: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DeidentificationReport:
    """De-identify every DICOM file under ``source`` into the new folder ``destination``.

    Files are renamed ``S<series number>_<modality>_<uid tail>/IM0001.dcm`` because original
    folder and file names may carry the patient's name; non-DICOM files are not copied (listed
    in the report).
    Nothing is written to ``destination`` unless the whole study succeeds: the files go to a
    sibling ``.partial`` folder that is renamed at the end.

    Parameters
    ----------
    seed : str, optional
        Makes the replacement values reproducible (same seed, same output).
    """
    source, destination = Path(source), Path(destination)
    if not source.exists():
        raise ImagingError(f"{source}: no such file or folder")
    _check_destination(source, destination)
    files = _candidate_files(source)
    anonymizer = Anonymizer(seed=seed)
    report = DeidentificationReport()
    counts: Counter[str] = Counter()
    with staged_folder(destination) as partial:
        for done, path in enumerate(files, start=1):
            if not looks_like_dicom(path):
                report.files_skipped.append(str(path))
                continue
            try:
                ds = pydicom.dcmread(path)
            except Exception as error:  # pydicom raises several types for a broken file
                raise UnreadableFileError(f"{path}: cannot be read ({error})") from error
            _check_pixel_data_complete(path, ds)
            before = _top_level_values(ds)
            anonymizer.anonymize(ds)
            for keyword in EXTRA_REMOVALS:
                if keyword in ds:
                    del ds[keyword]
            _mark_method(ds)
            _record_changes(before, ds, report)
            target = partial / _neutral_name(ds, counts)
            target.parent.mkdir(parents=True, exist_ok=True)
            ds.save_as(target, enforce_file_format=False)
            report.files_written += 1
            if progress is not None:
                progress(done, len(files))
        if report.files_written == 0:
            raise NoDicomError(f"{source}: no DICOM file to de-identify")
    return report
