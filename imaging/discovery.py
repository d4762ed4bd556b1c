"""Find DICOM images under folders, DICOMDIRs or file lists, and group them into series.

`discover` reads headers only (never pixel data), in a thread pool, and returns a `Discovery`:
studies, each with its series summarised (modality, orientation, matrix, spacing, affine,
geometry warnings), the files it skipped with the reason, and apart from them the case files
(``*.spineplan.json``) it met, which belong in a study folder. A SeriesInstanceUID whose images
differ in orientation or matrix size is split into sub-series; each keeps the true
``series_instance_uid`` and gets a distinct ``key`` (the UID plus ``.1``, ``.2`` ...).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pydicom

from imaging.dicom_headers import (
    ImageFileHeader,
    NotAnImageError,
    SliceHeader,
    is_dicomdir,
    read_image_header,
)
from imaging.errors import LoadCancelled, NoDicomError, SeriesError, UnreadableFileError
from imaging.geometry import Grid, Orientation, orientation_of_normal
from imaging.plurals import plural
from imaging.series_geometry import stack_geometry
from imaging.volume import SeriesMetadata

#: progress(done, total): called from the calling thread as files are read.
ProgressCallback = Callable[[int, int], None]
PathLike = str | os.PathLike[str]

#: A spineplan case file (`planning.case`): expected in a study folder, never a skipped file.
CASE_FILE_SUFFIX = ".spineplan.json"

#: Slice normals further apart than this (degrees) put images in different sub-series.
SPLIT_ANGLE_DEG = 1.0


@dataclass(frozen=True)
class SkippedFile:
    """A file discovery did not use, and why (in words a user can read)."""

    path: Path
    reason: str


@dataclass(frozen=True, eq=False)
class SeriesInfo:
    """Summary of one series (or sub-series) ready to load with `imaging.load_series`.

    Attributes
    ----------
    key : unique id among the discovered series: ``series_instance_uid``, plus ``.1``, ``.2``
        ... when one UID holds images of different orientation or matrix size.
    geometry : the grid the series forms (affine from (column i, row j, slice k, 1) to patient
        LPS mm, shape, spacing...), None when it cannot form one (see ``error``).
    files : the image files in slice order (a multi-frame file appears once).
    warnings : geometry problems in words a user can read.
    error : why the series cannot form a volume ("" when it can; else ``geometry`` is None).
    """

    series_instance_uid: str
    study_instance_uid: str
    frame_of_reference_uid: str
    modality: str
    description: str
    series_number: int | None
    orientation: Orientation
    geometry: Grid | None
    files: tuple[Path, ...]
    warnings: tuple[str, ...]
    key: str
    metadata: SeriesMetadata
    number_of_images: int
    error: str = ""
    slices: tuple[SliceHeader, ...] = field(default=(), repr=False)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(slices, rows, columns)`` the series forms; without a grid, the number of images and
        the first image's matrix."""
        if self.geometry is not None:
            return self.geometry.shape
        first = self.slices[0] if self.slices else None
        return (self.number_of_images, first.rows if first else 0, first.columns if first else 0)

    @property
    def label(self) -> str:
        """Number and description, for messages (e.g. ``#3 'T2 SAG'``)."""
        number = f"#{self.series_number} " if self.series_number is not None else ""
        return f"{number}'{self.description}' ({self.key})"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (units in the names; the affine maps (i, j, k, 1) to LPS mm)."""
        grid = self.geometry
        affine = grid.affine if grid is not None else np.eye(4)
        return {
            "series_instance_uid": self.series_instance_uid,
            "key": self.key,
            "study_instance_uid": self.study_instance_uid,
            "frame_of_reference_uid": self.frame_of_reference_uid,
            "modality": self.modality,
            "description": self.description,
            "series_number": self.series_number,
            "orientation": self.orientation,
            "shape": list(self.shape),
            # a series without a grid writes zero spacing and the identity, as it always has
            "spacing_mm": [round(v, 6) for v in grid.spacing_mm] if grid else [0.0, 0.0, 0.0],
            "affine": [[round(float(v), 6) for v in row] for row in affine],
            "number_of_images": self.number_of_images,
            "number_of_files": len(self.files),
            "warnings": list(self.warnings),
            "error": self.error,
        }


@dataclass(frozen=True)
class StudyInfo:
    """One study and its series, ordered by series number."""

    study_instance_uid: str
    patient_name: str
    patient_id: str
    study_date: str
    study_description: str
    series: list[SeriesInfo]

    def to_json(self) -> dict[str, Any]:
        return {
            "study_instance_uid": self.study_instance_uid,
            "patient_name": self.patient_name,
            "patient_id": self.patient_id,
            "study_date": self.study_date,
            "study_description": self.study_description,
            "series": [series.to_json() for series in self.series],
        }


@dataclass(frozen=True)
class Discovery:
    """What `discover` found: studies (with their series), the files it skipped, and the
    case files met while searching folders (not skipped: they belong there)."""

    studies: list[StudyInfo]
    skipped: list[SkippedFile]
    case_files: list[Path] = field(default_factory=list)

    @property
    def series(self) -> list[SeriesInfo]:
        """All series of all studies, flat."""
        return [series for study in self.studies for series in study.series]

    def find(self, series_instance_uid: str) -> list[SeriesInfo]:
        """Series whose key or SeriesInstanceUID is ``series_instance_uid`` (largest first)."""
        exact = [s for s in self.series if s.key == series_instance_uid]
        if exact:
            return exact
        matches = [s for s in self.series if s.series_instance_uid == series_instance_uid]
        return sorted(matches, key=lambda s: -s.number_of_images)

    def to_json(self) -> dict[str, Any]:
        return {
            "studies": [study.to_json() for study in self.studies],
            "skipped_files": len(self.skipped),
            "case_files": [str(path) for path in self.case_files],
        }


def unused_summary(skipped: Sequence[SkippedFile], case_files: Sequence[Path]) -> str:
    """The files met that are not images, in words: "2 files skipped, e.g. notes.txt: not a
    DICOM file; 1 case file: reference.spineplan.json"; "" when there were none."""
    parts = []
    if skipped:
        first = skipped[0]
        parts.append(
            f"{plural(len(skipped), 'file')} skipped, e.g. {first.path.name}: {first.reason}"
        )
    if case_files:
        parts.append(f"{plural(len(case_files), 'case file')}: {case_files[0].name}")
    return "; ".join(parts)


def discover(
    sources: PathLike | Sequence[PathLike],
    *,
    progress: ProgressCallback | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Discovery:
    """Find and group the DICOM images under ``sources``.

    Parameters
    ----------
    sources : a folder (searched recursively), a DICOMDIR file, a single file, or a list of
        any of these.
    progress : optional ``progress(done, total)`` callback, counted in files.
    should_cancel : optional ``should_cancel() -> bool``, polled between files.

    Raises
    ------
    LoadCancelled
        ``should_cancel`` returned True.
    NoDicomError
        No DICOM image was found (the message names the path and the number of skipped files).
    UnreadableFileError
        A file named explicitly (not found by searching a folder) is not readable DICOM.
    """
    roots = (
        [Path(sources)] if isinstance(sources, str | os.PathLike) else [Path(s) for s in sources]
    )
    candidates: list[tuple[Path, bool]] = []  # (path, named explicitly)
    skipped: list[SkippedFile] = []
    case_files: list[Path] = []
    for root in roots:
        candidates.extend(_candidates(root, skipped, case_files))

    headers = _read_headers(candidates, skipped, progress, should_cancel)
    if not headers:
        where = ", ".join(str(r) for r in roots[:3]) + (" ..." if len(roots) > 3 else "")
        unused = unused_summary(skipped, case_files)
        raise NoDicomError(f"{where}: no DICOM images found" + (f" ({unused})" if unused else ""))
    return Discovery(studies=_group_studies(headers), skipped=skipped, case_files=case_files)


def _candidates(
    root: Path, skipped: list[SkippedFile], case_files: list[Path]
) -> Iterable[tuple[Path, bool]]:
    if root.is_dir():
        for folder, subfolders, names in os.walk(root):
            subfolders.sort()
            for name in sorted(names):
                if name.endswith(CASE_FILE_SUFFIX):
                    case_files.append(Path(folder) / name)
                else:
                    yield Path(folder) / name, False
    elif root.is_file():
        if is_dicomdir(root):
            yield from _dicomdir_files(root, skipped)
        else:
            yield root, True
    else:
        raise UnreadableFileError(f"{root}: no such file or folder")


def _dicomdir_files(path: Path, skipped: list[SkippedFile]) -> Iterable[tuple[Path, bool]]:
    """The files a DICOMDIR references (ReferencedFileID is relative to its folder)."""
    try:
        records = pydicom.dcmread(path).get("DirectoryRecordSequence") or []
    except Exception as error:
        raise UnreadableFileError(f"{path}: unreadable DICOMDIR ({error})") from error
    for record in records:
        file_id = record.get("ReferencedFileID")
        if not file_id:
            continue
        parts = [file_id] if isinstance(file_id, str) else list(file_id)
        referenced = _case_insensitive(path.parent, [str(part).strip() for part in parts])
        if referenced.is_file():
            yield referenced, False
        else:
            skipped.append(SkippedFile(referenced, f"listed in {path.name} but missing"))


def _reason(path: Path, error: Exception) -> str:
    """An error message without the leading file name (SkippedFile carries the path)."""
    message = str(error)
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _case_insensitive(folder: Path, parts: list[str]) -> Path:
    """``folder/parts...``, matching each part regardless of case (IDs are upper case on CDs,
    file names often lower case once copied)."""
    current = folder
    for part in parts:
        exact = current / part
        if exact.exists() or not current.is_dir():
            current = exact
            continue
        matches = [child for child in current.iterdir() if child.name.upper() == part.upper()]
        current = matches[0] if matches else exact
    return current


def _read_headers(
    candidates: list[tuple[Path, bool]],
    skipped: list[SkippedFile],
    progress: ProgressCallback | None,
    should_cancel: Callable[[], bool] | None,
) -> list[ImageFileHeader]:
    def read(path: Path) -> ImageFileHeader | tuple[SkippedFile, bool, str]:
        """The header, or (why skipped, whether fatal if named explicitly, the full message)."""
        try:
            return read_image_header(path)
        except NotAnImageError as error:
            return SkippedFile(path, _reason(path, error)), False, str(error)
        except UnreadableFileError as error:
            return SkippedFile(path, _reason(path, error)), True, str(error)
        except OSError as error:
            reason = f"cannot read ({error.strerror or error})"
            return SkippedFile(path, reason), True, f"{path}: {reason}"

    headers: list[ImageFileHeader] = []
    seen: set[Path] = set()
    unique = []
    for path, explicit in candidates:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append((path, explicit))
    total = len(unique)
    # Parsing holds the GIL; a few threads only overlap file reads on a cold cache.
    workers = min(4, os.cpu_count() or 2)
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        results = pool.map(read, [path for path, _ in unique])
        for done, ((_, explicit), result) in enumerate(zip(unique, results, strict=True), 1):
            if isinstance(result, tuple):
                skip, fatal, message = result
                if explicit and fatal:
                    raise UnreadableFileError(message)
                skipped.append(skip)
            else:
                headers.append(result)
            if progress is not None:
                progress(done, total)
            if should_cancel is not None and should_cancel():
                raise LoadCancelled(f"reading DICOM headers was cancelled after {done} files")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return headers


def _group_studies(headers: list[ImageFileHeader]) -> list[StudyInfo]:
    by_series: dict[str, list[ImageFileHeader]] = {}
    for header in headers:
        by_series.setdefault(header.metadata.series_instance_uid, []).append(header)
    series_by_study: dict[str, list[SeriesInfo]] = {}
    for files in by_series.values():
        for info in _series_infos(files):
            series_by_study.setdefault(info.study_instance_uid, []).append(info)
    studies = []
    for study_uid, series in series_by_study.items():
        series.sort(key=lambda s: (s.series_number is None, s.series_number or 0, s.key))
        first = series[0].metadata
        studies.append(
            StudyInfo(
                study_instance_uid=study_uid,
                patient_name=first.patient_name,
                patient_id=first.patient_id,
                study_date=first.study_date,
                study_description=first.study_description,
                series=series,
            )
        )
    studies.sort(key=lambda s: (s.patient_name, s.study_date, s.study_instance_uid))
    return studies


def _series_infos(files: list[ImageFileHeader]) -> list[SeriesInfo]:
    """One SeriesInfo per group of compatible images of one SeriesInstanceUID."""
    groups: list[list[SliceHeader]] = []
    group_normals: list[np.ndarray | None] = []
    group_matrix: list[tuple[int, int]] = []
    group_files: list[set[Path]] = []
    metadata_by_path = {f.path: f.metadata for f in files}
    for header in sorted(files, key=lambda f: str(f.path)):
        multi = header.slices[0].number_of_frames > 1
        for item in header.slices:
            normal = _normal(item)
            matrix = (item.rows, item.columns)
            target = None
            for index, group in enumerate(groups):
                # Images of two multi-frame files are never stacked together.
                if multi and header.path not in group_files[index]:
                    continue
                if not multi and any(s.number_of_frames > 1 for s in group[:1]):
                    continue
                if group_matrix[index] == matrix and _same_plane(group_normals[index], normal):
                    target = index
                    break
            if target is None:
                groups.append([])
                group_normals.append(normal)
                group_matrix.append(matrix)
                group_files.append(set())
                target = len(groups) - 1
            groups[target].append(item)
            group_files[target].add(header.path)

    uid = files[0].metadata.series_instance_uid
    split = len(groups) > 1
    ordered = sorted(range(len(groups)), key=lambda i: -len(groups[i]))
    infos = []
    for rank, index in enumerate(ordered, 1):
        slices = groups[index]
        key = f"{uid}.{rank}" if split else uid
        metadata = metadata_by_path[slices[0].path]
        extra: tuple[str, ...] = ()
        if split:
            first = slices[0]
            extra = (
                f"mixed orientations or matrix sizes: series {uid} holds {len(groups)} different "
                f"image stacks; this one has {len(slices)} image(s) of "
                f"{first.rows}x{first.columns} in the {_plane_name(slices[0])} plane",
            )
        infos.append(_summarise(slices, metadata, key, extra))
    return infos


def _summarise(
    slices: list[SliceHeader], metadata: SeriesMetadata, key: str, extra: tuple[str, ...]
) -> SeriesInfo:
    label = f"#{metadata.series_number} '{metadata.series_description}' ({key})"
    error = ""
    try:
        stack = stack_geometry(slices, label)
        orientation: Orientation = stack.orientation
        geometry: Grid | None = stack.geometry
        ordered, warnings = stack.slices, (*extra, *stack.warnings)
    except SeriesError as problem:
        error = str(problem)
        orientation = _plane_name(slices[0])
        geometry = None
        ordered, warnings = tuple(slices), extra
    return SeriesInfo(
        series_instance_uid=metadata.series_instance_uid,
        study_instance_uid=metadata.study_instance_uid,
        frame_of_reference_uid=metadata.frame_of_reference_uid,
        modality=metadata.modality,
        description=metadata.series_description,
        series_number=metadata.series_number,
        orientation=orientation,
        geometry=geometry,
        files=tuple(dict.fromkeys(s.path for s in ordered)),
        warnings=warnings,
        key=key,
        metadata=metadata,
        number_of_images=len(slices),
        error=error,
        slices=ordered,
    )


def _normal(item: SliceHeader) -> np.ndarray | None:
    if item.row_cosine is None or item.column_cosine is None:
        return None
    normal = np.cross(item.row_cosine, item.column_cosine)
    norm = float(np.linalg.norm(normal))
    return normal / norm if norm > 1e-6 else None


def _same_plane(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return True  # lacking orientation: stays in the series, which then reports the gap
    return float(a @ b) >= float(np.cos(np.radians(SPLIT_ANGLE_DEG)))


def _plane_name(item: SliceHeader) -> Orientation:
    normal = _normal(item)
    return orientation_of_normal(normal) if normal is not None else "oblique"


__all__ = [
    "Discovery",
    "SeriesInfo",
    "SkippedFile",
    "StudyInfo",
    "discover",
]
