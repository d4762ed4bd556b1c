"""What practice scoring compares on: the two cases on one study, their lesions on one grid."""

from __future__ import annotations

from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.anatomy.lesion import EllipsoidLesion, build_lesion_mask
from planning.case import Case, check_study
from planning.errors import CaseFileError
from planning.practice.contour_metrics import ellipsoid_grid


def study_grid(case: Case) -> Volume:
    """The study's post-contrast series, loaded: the grid painted or grown lesions are compared
    on (the series ``spineplan plan`` builds the lesion on, see ``load_plan_images``).

    Raises
    ------
    CaseFileError
        When the study cannot be found or does not match the case.
    """
    from planning.dose.images import load_plan_images  # the image pipeline loads only when needed

    return load_plan_images(case).lesion_volume


def require_same_study(reference: Case, attempt: Case, att_name: str) -> None:
    """Raise unless the attempt is on the reference's study (its frame of reference).

    Raises
    ------
    CaseFileError
        Naming the attempt (``att_name``) and the frames of reference that differ.
    """
    ref_frame = reference.study.frame_of_reference_uid
    att_frame = attempt.study.frame_of_reference_uid
    if ref_frame and att_frame and ref_frame != att_frame:
        raise CaseFileError(
            f"{att_name}: study.frame_of_reference_uid: {att_frame} is not the reference's "
            f"frame of reference ({ref_frame}): the attempt is not on the same study"
        )
    if not (ref_frame and att_frame):
        _check_same_study_without_uids(reference, attempt, att_name)


def _study_frames(case: Case) -> set[str]:
    """The frames of reference of the case's study on disk (empty when it cannot be read)."""
    try:
        return {str(s.frame_of_reference_uid) for s in check_study(case)}
    except SpineplanError:
        return set()


def _check_same_study_without_uids(reference: Case, attempt: Case, att_name: str) -> None:
    """A case without frame-of-reference UID is only known to be on the reference's study
    by its images: when the two study paths differ, their frames must overlap."""
    if reference.source_path is None or attempt.source_path is None:
        return
    ref_path, att_path = reference.study_path(), attempt.study_path()
    if ref_path.resolve() == att_path.resolve():
        return
    ref_frames, att_frames = _study_frames(reference), _study_frames(attempt)
    if reference.study.frame_of_reference_uid:
        ref_frames = {reference.study.frame_of_reference_uid}
    if attempt.study.frame_of_reference_uid:
        att_frames = {attempt.study.frame_of_reference_uid}
    if ref_frames and att_frames and not ref_frames & att_frames:
        raise CaseFileError(
            f"{att_name}: study.path: {att_path} is in frame of reference "
            f"{', '.join(sorted(att_frames))}, not the reference's "
            f"({', '.join(sorted(ref_frames))}): the attempt is not on the same study"
        )


def case_source(case: Case, default: str) -> str:
    """The case file's path for messages, or ``default`` for a case not read from a file."""
    return str(case.source_path) if case.source_path is not None else default


def lesion_masks(
    reference: Case, attempt: Case, grid: Volume | None, post_contrast: Volume | None
) -> tuple[Volume, Volume | None, str]:
    """Both lesion masks on one grid (the attempt's is None without a lesion)."""
    assert reference.lesion is not None
    lesions = [reference.lesion] + ([attempt.lesion] if attempt.lesion is not None else [])
    ellipsoids = [lesion for lesion in lesions if isinstance(lesion, EllipsoidLesion)]
    if grid is None and len(ellipsoids) == len(lesions):
        grid = ellipsoid_grid(
            ellipsoids, frame_of_reference_uid=reference.study.frame_of_reference_uid
        )
        name = f"isotropic {grid.spacing_mm[0]:g} mm grid around both ellipsoids"
    else:
        if grid is None:
            grid = study_grid(reference)
            post_contrast = post_contrast or grid
        name = f"series {grid.metadata.series_description!r}".replace(" ''", "")
    ref_mask = build_lesion_mask(reference.lesion, grid, post_contrast, reference.base_dir)
    att_mask = None
    if attempt.lesion is not None:
        try:
            att_mask = build_lesion_mask(attempt.lesion, grid, post_contrast, attempt.base_dir)
        except SpineplanError as exc:
            raise CaseFileError(f"{case_source(attempt, 'attempt')}: lesion: {exc}") from exc
    return ref_mask, att_mask, name
