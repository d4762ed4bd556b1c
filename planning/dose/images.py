"""The images a plan uses: the case's study found, checked and its series picked and loaded.

:func:`load_plan_images` picks from the study (checked by :func:`planning.case.check_study`)
the post-contrast series the lesion is built on (sagittal preferred), a sagittal MR (T2
preferred; display and the outline), an axial MR (post-contrast preferred) and a planning CT:
the case's ``planning_ct`` (another study; in another frame of reference it needs the case's
registration, MR LPS mm -> CT LPS mm), else a CT of the study, when present.
:func:`position_warnings` says when the images were not acquired head-first
supine, the position the gantry angles are computed for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from imaging.discovery import SeriesInfo
from imaging.errors import SpineplanError
from imaging.loading import load_series
from imaging.spatial_registration import read_spatial_registration
from imaging.volume import Volume
from planning.case import Case, check_study
from planning.case.planning_ct import rigid_matrix
from planning.errors import CaseFileError, PlanningError
from planning.field.derivation import TREATMENT_POSITION

_CONTRAST = re.compile(r"(\+\s*c\b|\bc\s*\+|post|gad|\bgd\b|contrast|\bce\b)", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class PlanImages:
    """The series of a case's study used for planning, loaded.

    Attributes
    ----------
    series : tuple of SeriesInfo
        Every usable series of the study in the case's frame of reference.
    lesion_series : SeriesInfo
        The post-contrast series the lesion is built on (sagittal preferred).
    lesion_volume : Volume
    sagittal, axial_mr, ct : Volume or None
        A sagittal MR (T2 preferred, for display and the outline), an axial MR (post-contrast
        preferred) and the planning CT, when the study has them.
    export_series : SeriesInfo
        The series the DICOM exports reference (the CT when present, else the lesion series):
        the plan's frame of reference is its frame.
    registration : numpy.ndarray or None
        4x4 rigid transform from the MR's LPS mm to the planning CT's LPS mm when the CT is in
        another frame of reference (the case's ``planning_ct.registration``); None when the plan
        is made in the MR's frame.
    notes, warnings : tuple of str
        How the planning CT was chosen and mapped (assumptions) and what the planner must check
        (a CT of another PatientID).
    """

    series: tuple[SeriesInfo, ...]
    lesion_series: SeriesInfo
    lesion_volume: Volume
    sagittal: Volume | None
    axial_mr: Volume | None
    ct: Volume | None
    export_series: SeriesInfo
    registration: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def plan_frame_uid(self) -> str:
        """The frame of reference the plan is made in (the planning CT's, else the MR's)."""
        return self.export_series.frame_of_reference_uid

    @property
    def export_volume(self) -> Volume:
        """The loaded ``export_series``: the grid the RT Structure Set outlines on."""
        return self.ct if self.ct is not None else self.lesion_volume

    @property
    def on_registered_ct(self) -> bool:
        """Whether the plan is on a CT in another frame than the MR (through the registration)."""
        return self.registration is not None

    def in_plan_frame(self, volume: Volume | None) -> Volume | None:
        """``volume`` when it lies in the plan's frame (e.g. an MR of a plan on its own CT is
        not), else None."""
        if volume is None:
            return None
        if self.registration is not None and volume is not self.ct:
            return None
        return volume


def _is_post_contrast(info: SeriesInfo) -> bool:
    return bool(_CONTRAST.search(info.description or ""))


def _pick(candidates: Sequence[SeriesInfo], *preferences: Any) -> SeriesInfo | None:
    """The first candidate meeting the most preferences in order (each a predicate)."""
    pool = list(candidates)
    for predicate in preferences:
        narrowed = [s for s in pool if predicate(s)]
        if narrowed:
            pool = narrowed
    if not pool:
        return None
    return max(pool, key=lambda s: s.number_of_images)


def load_plan_images(case: Case) -> PlanImages:
    """Find the case's study, pick and load the series the plan uses.

    Raises
    ------
    CaseFileError
        The study is missing or does not match the case (see :func:`check_study`).
    PlanningError
        No MR or CT series that can form a volume.
    """
    usable = tuple(s for s in check_study(case) if not s.error)
    mr = [s for s in usable if s.modality == "MR"]
    cts = [s for s in usable if s.modality == "CT"]
    source = case.source_path.name if case.source_path is not None else "<case>"
    if not mr and not cts:
        raise PlanningError(f"{source}: the study has no MR or CT series that forms a volume")
    lesion_series = _pick(mr or cts, _is_post_contrast, lambda s: s.orientation == "sagittal")
    assert lesion_series is not None
    sagittal_info = _pick(
        [s for s in mr if s.orientation == "sagittal"],
        lambda s: "t2" in s.description.lower(),
    )
    axial_info = _pick([s for s in mr if s.orientation == "axial"], _is_post_contrast)
    ct_info = _pick(cts)
    registration: np.ndarray | None = None
    notes: list[str] = []
    warnings: list[str] = []
    if case.planning_ct is not None:
        ct_info, registration, notes, warnings = _planning_ct(case, lesion_series)
    loaded: dict[str, Volume] = {}

    def load(info: SeriesInfo | None) -> Volume | None:
        if info is None:
            return None
        if info.key not in loaded:
            loaded[info.key] = load_series(info)
        return loaded[info.key]

    lesion_volume = load(lesion_series)
    assert lesion_volume is not None
    return PlanImages(
        series=usable,
        lesion_series=lesion_series,
        lesion_volume=lesion_volume,
        sagittal=load(sagittal_info),
        axial_mr=load(axial_info),
        ct=load(ct_info),
        export_series=ct_info or lesion_series,
        registration=registration,
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def _planning_ct(
    case: Case, mr: SeriesInfo
) -> tuple[SeriesInfo, np.ndarray | None, list[str], list[str]]:
    """The case's ``planning_ct`` found, and the registration it needs (None in the MR's frame).

    Raises
    ------
    CaseFileError
        The CT is missing, not a CT, in another frame without a registration, or its REG file
        cannot be read, holds other frames or a transform that is not rigid.
    """
    from imaging import discover

    reference = case.planning_ct
    assert reference is not None
    source = case.source_path.name if case.source_path is not None else "<case>"
    path = case.planning_ct_path()
    assert path is not None
    if not path.exists():
        raise CaseFileError(f"{source}: planning_ct.path: {path} does not exist")
    try:
        found = [s for s in discover(path).series if not s.error]
    except SpineplanError as exc:
        raise CaseFileError(f"{source}: planning_ct.path: {exc}") from exc
    cts = [s for s in found if s.modality == "CT"]
    if reference.series_instance_uid:
        cts = [s for s in cts if s.series_instance_uid == reference.series_instance_uid]
        if not cts:
            raise CaseFileError(
                f"{source}: planning_ct.series_instance_uid: no CT series "
                f"{reference.series_instance_uid} under {path}"
            )
    ct = _pick(cts)
    if ct is None:
        raise CaseFileError(
            f"{source}: planning_ct.path: no CT series that forms a volume under {path}"
        )
    notes = [
        f"planning CT: series {ct.series_number} '{ct.description}' of study "
        f"{ct.study_instance_uid} (the case's planning_ct)"
    ]
    warnings = []
    mr_patient, ct_patient = mr.metadata.patient_id.strip(), ct.metadata.patient_id.strip()
    if mr_patient and ct_patient and mr_patient != ct_patient:
        warnings.append(
            f"the planning CT's PatientID ({ct_patient}) differs from the MR's ({mr_patient}): "
            "check that both are of the same patient before using the plan"
        )
    if ct.frame_of_reference_uid == mr.frame_of_reference_uid:
        notes.append("the planning CT shares the MR's frame of reference: no registration used")
        return ct, None, notes, warnings
    if reference.registration_path:
        registered, note = _registration_file(case, source, mr, ct)
        notes.append(note)
        return ct, registered, notes, warnings
    matrix = reference.matrix
    if matrix is None:
        raise CaseFileError(
            f"{source}: planning_ct: the CT (frame of reference {ct.frame_of_reference_uid}) is "
            f"not in the MR's frame ({mr.frame_of_reference_uid}): give "
            "planning_ct.registration (matrix_mm, MR LPS mm -> CT LPS mm)"
        )
    notes.append(
        "registration: the MR (frame of reference "
        f"{mr.frame_of_reference_uid}) is mapped onto the planning CT (frame "
        f"{ct.frame_of_reference_uid}) by the case's rigid matrix_mm, taken as given "
        f"(rotation {rotation_degrees(matrix):.2f} deg, translation "
        f"{np.round(matrix[:3, 3], 1).tolist()} mm)"
    )
    return ct, matrix, notes, warnings


def _registration_file(
    case: Case, source: str, mr: SeriesInfo, ct: SeriesInfo
) -> tuple[np.ndarray, str]:
    """The MR -> CT matrix of the case's DICOM Spatial Registration file, checked rigid."""
    assert case.planning_ct is not None
    path = case.resolve(case.planning_ct.registration_path)
    where = f"{source}: planning_ct.registration.path"
    try:
        matrix = read_spatial_registration(
            path,
            moving_frame_of_reference_uid=mr.frame_of_reference_uid,
            fixed_frame_of_reference_uid=ct.frame_of_reference_uid,
        )
        matrix = rigid_matrix(matrix.tolist())
    except SpineplanError as exc:
        raise CaseFileError(f"{where}: {exc}") from exc
    note = (
        f"registration: the MR (frame of reference {mr.frame_of_reference_uid}) is mapped onto "
        f"the planning CT (frame {ct.frame_of_reference_uid}) by the DICOM Spatial Registration "
        f"{path.name} (rotation {rotation_degrees(matrix):.2f} deg, translation "
        f"{np.round(matrix[:3, 3], 1).tolist()} mm)"
    )
    return matrix, note


def rotation_degrees(matrix: np.ndarray) -> float:
    """The angle of the rotation part of a rigid 4x4 matrix, degrees."""
    cosine = (float(np.trace(matrix[:3, :3])) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))


def recorded_positions(images: PlanImages) -> tuple[set[str], bool]:
    """The PatientPosition values of the images that set the treatment set-up, and whether any
    of them records none (the CT when the plan is on a registered CT, else every plan image)."""
    volumes: tuple[Volume | None, ...] = (
        images.lesion_volume,
        images.sagittal,
        images.axial_mr,
        images.ct,
    )
    if images.on_registered_ct:
        # the plan is on the CT: the MR's position does not set the gantry angles
        volumes = (images.ct,)
    present = [v for v in volumes if v is not None]
    positions = {v.metadata.patient_position.strip().upper() for v in present}
    return positions - {""}, "" in positions


def position_assumptions(images: PlanImages) -> list[str]:
    """Said in every output when the images do not record the patient position."""
    _, missing = recorded_positions(images)
    if not missing:
        return []
    return [
        "patient position: not recorded in the images (PatientPosition absent); head-first "
        f"supine ({TREATMENT_POSITION}) ASSUMED -- the gantry angles and the RT Plan are for it"
    ]


def position_warnings(images: PlanImages) -> list[str]:
    """A warning when the images were not acquired head-first supine (field-only set-ups).

    Patient LPS coordinates do not depend on the position, so the field's borders stand; but
    the gantry angles are IEC 61217 for a head-first supine treatment, and a dose or an RT Plan
    for another position is refused (:func:`require_supported_position`).
    """
    others = sorted(recorded_positions(images)[0] - {TREATMENT_POSITION})
    if not others:
        return []
    return [
        f"the images were acquired {', '.join(others)}, not head-first supine "
        f"({TREATMENT_POSITION}): the gantry angles are for a head-first supine treatment "
        "(IEC 61217); dose and RT Plan are computed for head-first supine only"
    ]


def require_supported_position(images: PlanImages) -> None:
    """Refuse a dose and an RT Plan for a position the gantry geometry is not computed for.

    Raises
    ------
    PlanningError
        The images record a position other than head-first supine (HFP, FFS, FFP...): the
        gantry angles of the field would aim the beams at the wrong side (prone: a posterior
        field is gantry 0, not 180).
    """
    others = sorted(recorded_positions(images)[0] - {TREATMENT_POSITION})
    if others:
        raise PlanningError(
            f"the images were acquired {', '.join(others)}: spineplan computes gantry angles, "
            f"dose and the RT Plan for head-first supine ({TREATMENT_POSITION}) patients only "
            "(IEC 61217); `spineplan field` still gives the field's borders"
        )
