"""Teaching export: a case and its study, de-identified, that still plans to the same field.

The study is de-identified by :func:`imaging.deidentify.deidentify_study`: the DICOM PS3.15
Basic Application Level Confidentiality Profile with the Retain Longitudinal Temporal
Information with Modified Dates Option and the Clean Descriptors Option for Series Description
only (names and IDs replaced, dates shifted consistently, UIDs replaced consistently, private
tags and descriptors removed, images with burned-in text refused unless accepted). The case
file is then rewritten to match the copy:

* ``study.study_instance_uid`` and ``study.frame_of_reference_uid`` mapped old -> new through
  the de-identification's UID map, so the case still finds its study and every coordinate stays
  in the (renamed) frame of reference; coordinates are unchanged because the image geometry is;
* ``study.path`` points at the copy: the case file is written inside the exported folder with
  ``"path": "."`` (or the DICOM file's name for a one-file study);
* free text that may identify the patient is dropped: ``description`` and text ``findings``
  (structured findings are kept);
* a lesion mask image is rewritten next to the case file as ``lesion_mask<suffix>`` with its
  voxels and geometry only (no metadata dictionary);
* the file is named ``reference.spineplan.json`` for a reference case, else
  ``case.spineplan.json`` (the original name may hold the patient's name).

The export is atomic: everything is staged in a hidden sibling folder, checked (the new case
file loads and finds its study by its new UIDs), then renamed to the destination; a failure
leaves no destination behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import SimpleITK as sitk

from imaging.atomic_write import staged_folder
from imaging.deidentify import DeidentificationReport, burned_in_images, deidentify_study
from imaging.errors import ImagingError, SpineplanError
from planning.anatomy.lesion import MaskLesion
from planning.case import Case, StudyReference, check_study, load_case, save_case
from planning.case.planning_ct import PlanningCtReference
from planning.errors import CaseFileError

REFERENCE_FILE_NAME = "reference.spineplan.json"
CASE_FILE_NAME = "case.spineplan.json"
MASK_FILE_STEM = "lesion_mask"


@dataclass(frozen=True)
class TeachingExport:
    """What a teaching export wrote and removed.

    Attributes
    ----------
    folder : Path
        The exported folder (the de-identified study with the case file inside).
    case_path : Path
        The de-identified case file.
    deidentification : DeidentificationReport
        What was removed or replaced in the DICOM files.
    case_changes : tuple of str
        What changed in the case file, in words.
    """

    folder: Path
    case_path: Path
    deidentification: DeidentificationReport
    case_changes: tuple[str, ...]

    def summary_lines(self) -> list[str]:
        """The export in words, for the terminal and the export dialog."""
        return [
            f"Teaching export written to {self.folder}",
            *self.deidentification.summary_lines(),
            f"case file {self.case_path.name}:",
            *(f"  {change}" for change in self.case_changes),
        ]


def _mapped(uid: str, report: DeidentificationReport, field: str, source: str) -> str:
    if not uid:
        return ""
    new = report.uid_map.get(uid)
    if new is None:
        raise CaseFileError(
            f"{source}: {field}: {uid} is not in any de-identified file of the study, "
            "so the exported case could not find its images"
        )
    return new


def _study_source(case: Case) -> tuple[Path, str]:
    """The file or folder to de-identify and the study path to write in the exported case."""
    path = case.study_path()
    if path.is_file() and path.name.upper() == "DICOMDIR":
        return path.parent, "."  # the DICOMDIR and the files it lists
    if path.is_file():
        return path, path.name
    return path, "."


def _copy_mask(
    case: Case, mask: MaskLesion, folder: Path, stem: str, field: str
) -> tuple[MaskLesion, str]:
    """Rewrite a mask image into ``folder`` as ``stem`` with voxels and geometry only."""
    source = case.resolve(mask.path)
    suffix = "".join(source.suffixes) or ".nrrd"
    target = folder / f"{stem}{suffix}"
    try:
        image = sitk.ReadImage(str(source))
    except RuntimeError as exc:
        raise CaseFileError(f"{source}: {field}: cannot read the mask ({exc})") from exc
    clean = sitk.GetImageFromArray(sitk.GetArrayFromImage(image))
    clean.CopyInformation(image)  # origin, spacing and direction; no metadata dictionary
    sitk.WriteImage(clean, str(target), useCompression=True)
    return (
        replace(mask, path=target.name),
        f"{field}: mask rewritten as {target.name} (voxels and geometry only)",
    )


def _deidentified_case(
    case: Case, report: DeidentificationReport, study_path: str, folder: Path
) -> tuple[Case, list[str]]:
    source = case.source_path.name if case.source_path is not None else "<case>"
    study = StudyReference(
        path=study_path,
        study_instance_uid=_mapped(
            case.study.study_instance_uid, report, "study.study_instance_uid", source
        ),
        frame_of_reference_uid=_mapped(
            case.study.frame_of_reference_uid, report, "study.frame_of_reference_uid", source
        ),
    )
    changes = [f"study.path: {study_path!r} (the de-identified copy beside the case file)"]
    for field in ("study_instance_uid", "frame_of_reference_uid"):
        if getattr(case.study, field):
            changes.append(f"study.{field}: replaced by the de-identified study's UID")
    lesion = case.lesion
    if isinstance(lesion, MaskLesion):
        lesion, change = _copy_mask(case, lesion, folder, MASK_FILE_STEM, "lesion.path")
        changes.append(change)
    structures = []
    for n, structure in enumerate(case.structures):
        if isinstance(structure.shape, MaskLesion):
            shape, change = _copy_mask(
                case, structure.shape, folder, f"structure_{n + 1}", f"structures[{n}].path"
            )
            structure = replace(structure, shape=shape)
            changes.append(change)
        structures.append(structure)
    planning_ct, change = _deidentified_planning_ct(case, report, study_path, source)
    if change:
        changes.append(change)
    if case.description:
        changes.append("description: removed (free text may identify the patient)")
    text_findings = [f for f in case.findings if isinstance(f, str)]
    if text_findings:
        changes.append(
            f"findings: {len(text_findings)} free-text "
            f"{'entry' if len(text_findings) == 1 else 'entries'} removed"
        )
    new = replace(
        case,
        study=study,
        lesion=lesion,
        structures=tuple(structures),
        description="",
        findings=tuple(f for f in case.findings if not isinstance(f, str)),
        source_path=None,
        planning_ct=planning_ct,
    )
    return new, changes


def _deidentified_planning_ct(
    case: Case, report: DeidentificationReport, study_path: str, source: str
) -> tuple[PlanningCtReference | None, str]:
    """The case's planning CT in the export: inside the study folder it was de-identified with
    it (the files renamed, its series UID replaced), else it is left out (not de-identified)."""
    reference = case.planning_ct
    if reference is None:
        return None, ""
    ct_path, study = case.planning_ct_path(), case.study_path()
    assert ct_path is not None
    if not (study.is_dir() and ct_path.resolve().is_relative_to(study.resolve())):
        return None, (
            "planning_ct: left out (the CT lies outside the study folder and was not "
            "de-identified); de-identify it and add it again"
        )
    series_uid = reference.series_instance_uid
    if series_uid:
        series_uid = _mapped(series_uid, report, "planning_ct.series_instance_uid", source)
    new = replace(reference, path=study_path, series_instance_uid=series_uid)
    return new, (
        f"planning_ct.path: {study_path!r} (de-identified with the study); "
        "series_instance_uid replaced; the registration kept"
    )


def teaching_burned_in_images(case: Case | str | Path) -> list[str]:
    """The images of the case's study that may show text in their pixels, each with why: the
    export refuses them unless ``accept_burned_in`` (headers only, for asking the user first).

    Raises
    ------
    CaseFileError
        The case or its study cannot be used.
    """
    if not isinstance(case, Case):
        case = load_case(case)
    check_study(case)
    return burned_in_images(_study_source(case)[0])


def export_case_for_teaching(
    case: Case | str | Path,
    destination: str | Path,
    *,
    seed: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    accept_burned_in: bool = False,
) -> TeachingExport:
    """De-identify a case's study and write its case file to match, into ``destination``.

    Parameters
    ----------
    case : Case or path
        A loaded case (with ``source_path``) or a ``*.spineplan.json`` file.
    destination : path
        A new (or empty) folder: it receives the de-identified study and the case file.
    seed : str, optional
        Makes the replacement values reproducible.
    progress : callable, optional
        ``progress(done, total)`` over the DICOM files.
    accept_burned_in : bool
        Export images that may show text in their pixels instead of refusing them (see
        :func:`teaching_burned_in_images`).

    Raises
    ------
    CaseFileError
        The case or its study cannot be used (the study is checked before anything is
        written), a UID of the case is not in the study, or the mask cannot be read.
    BurnedInAnnotationError
        An image may carry burned-in text and ``accept_burned_in`` is False.
    ImagingError
        The destination is not empty, or a DICOM file cannot be read or written.
    """
    if not isinstance(case, Case):
        case = load_case(case)
    destination = Path(destination)
    if destination.exists() and not destination.is_dir():
        raise ImagingError(f"{destination}: the output exists and is not a folder")
    if destination.exists() and any(destination.iterdir()):
        raise ImagingError(f"{destination}: the output folder exists and is not empty")
    check_study(case)  # a clear message about the study before any work
    source, study_path = _study_source(case)
    if source.is_dir() and destination.resolve().is_relative_to(source.resolve()):
        raise ImagingError(
            f"{destination}: the output folder must not lie inside the study folder {source}"
        )
    with staged_folder(destination) as staging:
        report = deidentify_study(
            source, staging, seed=seed, progress=progress, accept_burned_in=accept_burned_in
        )
        new_case, changes = _deidentified_case(case, report, study_path, staging)
        name = REFERENCE_FILE_NAME if case.reference else CASE_FILE_NAME
        staged_case = save_case(new_case, staging / name)
        try:
            check_study(load_case(staged_case.source_path or staging / name))
        except SpineplanError as exc:
            raise CaseFileError(
                f"the de-identified case does not find its de-identified study: {exc}"
            ) from exc
    return TeachingExport(
        folder=destination,
        case_path=destination / name,
        deidentification=report,
        case_changes=tuple(changes),
    )
