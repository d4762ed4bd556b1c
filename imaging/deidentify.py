"""De-identification of a study for teaching: the DICOM PS3.15 Basic Application Level
Confidentiality Profile with the Retain Longitudinal Temporal Information with Modified Dates
Option and the Clean Descriptors Option (Series Description only).

dicognito replaces names, IDs and every instance UID consistently across the study (series and
the frame of reference still match each other) and shifts dates and times back by one offset;
:mod:`imaging.confidentiality` does the rest of the profile around it: private tags removed,
Table E.1-1's actions at every depth of nested sequences, descriptors removed except a cleaned
Series Description, images that may carry burned-in text refused unless accepted, and the
method recorded in every file.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from dicognito.anonymizer import Anonymizer
from pydicom.dataset import Dataset

from imaging import confidentiality
from imaging.atomic_write import staged_folder
from imaging.dicom_headers import looks_like_dicom
from imaging.errors import (
    BurnedInAnnotationError,
    ImagingError,
    NoDicomError,
    UnreadableFileError,
)

#: UIDs whose old -> new mapping the caller needs (e.g. to rewrite a case file).
MAPPED_UID_KEYWORDS = ("StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID")


@dataclass
class DeidentificationReport:
    """What a de-identification changed, for the user to review."""

    files_written: int = 0
    files_skipped: list[str] = field(default_factory=list)
    #: keyword -> number of files in which it was replaced
    replaced: Counter[str] = field(default_factory=Counter)
    #: keyword -> number of files from which it was removed
    removed: Counter[str] = field(default_factory=Counter)
    #: what the profile did inside sequences, private tags and other elements -> files
    profile: Counter[str] = field(default_factory=Counter)
    #: old UID -> new UID for the study, series and frame-of-reference UIDs
    uid_map: dict[str, str] = field(default_factory=dict)
    #: files written with burned-in text accepted by the user, and why they may carry it
    burned_in_accepted: list[str] = field(default_factory=list)
    #: the date and time shift applied (Modified Dates option), in hours (negative: earlier)
    date_shift_hours: int = 0

    def summary_lines(self) -> list[str]:
        """The changes in words, one attribute a line."""
        lines = [f"{self.files_written} files de-identified"]
        lines += [f"  {text}" for text in confidentiality.METHOD_TEXT]
        lines.append(f"  dates and times shifted by {self.date_shift_hours} hours")
        if self.files_skipped:
            lines.append(f"{len(self.files_skipped)} non-DICOM files not copied")
        if self.burned_in_accepted:
            lines.append(
                f"{len(self.burned_in_accepted)} files may show burned-in text (accepted): "
                + self.burned_in_accepted[0]
            )
        lines += [f"removed  {k} ({n} files)" for k, n in sorted(self.removed.items())]
        lines += [f"replaced {k} ({n} files)" for k, n in sorted(self.replaced.items())]
        lines += [f"{k} ({n} files)" for k, n in sorted(self.profile.items())]
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


def _date_shift_hours(anonymizer: Anonymizer) -> int:
    """The hours by which ``anonymizer`` shifts dates and times, found by shifting a probe."""
    probe = Dataset()
    probe.file_meta = pydicom.dataset.FileMetaDataset()
    probe.StudyDate, probe.StudyTime = "20000301", "000000"
    anonymizer.anonymize(probe)
    shifted = datetime.datetime.strptime(probe.StudyDate + probe.StudyTime[:6], "%Y%m%d%H%M%S")
    return round((shifted - datetime.datetime(2000, 3, 1)).total_seconds() / 3600)


def burned_in_images(source: str | Path) -> list[str]:
    """The DICOM files under ``source`` that may show text in their pixels, each with why
    (headers only; what :func:`deidentify_study` refuses without ``accept_burned_in``)."""
    found = []
    for path in _candidate_files(Path(source)):
        if not looks_like_dicom(path):
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:  # reported as unreadable by the de-identification itself
            continue
        reason = confidentiality.burned_in_reason(ds)
        if reason:
            found.append(f"{path}: {reason}")
    return found


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
    accept_burned_in: bool = False,
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
    progress : callable, optional
        ``progress(done, total)`` over the files.
    accept_burned_in : bool
        De-identify images that may show text in their pixels (Burned In Annotation YES, or a
        secondary capture not marked NO) instead of refusing them; the pixels are not cleaned
        and the method record says so.

    Raises
    ------
    BurnedInAnnotationError
        An image may carry burned-in text and ``accept_burned_in`` is False.
    UnreadableFileError
        A file cannot be read, is truncated, or holds a value that cannot be de-identified.
    """
    source, destination = Path(source), Path(destination)
    if not source.exists():
        raise ImagingError(f"{source}: no such file or folder")
    _check_destination(source, destination)
    files = _candidate_files(source)
    anonymizer = Anonymizer(seed=seed)
    shift_hours = _date_shift_hours(anonymizer)
    report = DeidentificationReport(date_shift_hours=shift_hours)
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
            burned_in = confidentiality.burned_in_reason(ds)
            if burned_in and not accept_burned_in:
                raise BurnedInAnnotationError(
                    f"{path}: may show the patient's name in its pixels ({burned_in}); "
                    "remove it from the study or accept burned-in text (--accept-burned-in)"
                )
            before = _top_level_values(ds)
            prepared: Counter[str] = Counter()
            try:
                confidentiality.prepare(ds, shift_hours, prepared)
                anonymizer.anonymize(ds)
                applied = confidentiality.apply_profile(ds)
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                raise UnreadableFileError(
                    f"{path}: cannot be de-identified ({type(error).__name__}: {error})"
                ) from error
            confidentiality.mark_method(ds, burned_in_accepted=bool(burned_in))
            if burned_in:
                report.burned_in_accepted.append(f"{path.name}: {burned_in}")
            _record_changes(before, ds, report)
            # top-level attributes are counted by _record_changes; the rest here, once a file
            report.profile.update(
                {k: 1 for k in prepared} | {k: 1 for k in applied if k.endswith("a sequence)")}
            )
            target = partial / _neutral_name(ds, counts)
            target.parent.mkdir(parents=True, exist_ok=True)
            ds.save_as(target, enforce_file_format=False)
            report.files_written += 1
            if progress is not None:
                progress(done, len(files))
        if report.files_written == 0:
            raise NoDicomError(f"{source}: no DICOM file to de-identify")
    return report
