"""The case's study on disk: found, checked against the case's UIDs, its series listed.

Loading a case never touches the images; this check is separate so that a case can be parsed
(and tested) without DICOM.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from imaging.errors import SpineplanError
from planning.case.model import Case
from planning.errors import CaseFileError


def check_study(case: Case, discover: Callable[[Path], Any] | None = None) -> list[Any]:
    """Find the case's study on disk and check it matches; return its series.

    Parameters
    ----------
    case : Case
        A loaded case (its ``source_path`` resolves a relative study path).
    discover : callable, optional
        ``discover(path) -> Discovery`` whose ``.series`` items have ``study_instance_uid`` and
        ``frame_of_reference_uid``; defaults to :func:`imaging.discover`.

    Returns
    -------
    list
        The series of the study in the case's frame of reference.

    Raises
    ------
    CaseFileError
        ``study.path`` missing or holding no DICOM, no series of ``study.study_instance_uid``,
        or no series in ``study.frame_of_reference_uid``.
    """
    source = case.source_path.name if case.source_path is not None else "<case>"
    path = case.study_path()
    if not path.exists():
        raise CaseFileError(f"{source}: study.path: {path} does not exist")
    if discover is None:
        from imaging import discover as imaging_discover

        discover = imaging_discover
    try:
        found = discover(path)
    except SpineplanError as exc:
        raise CaseFileError(f"{source}: study.path: {exc}") from exc
    series = list(found.series)
    if not series:
        raise CaseFileError(f"{source}: study.path: no image series found under {path}")
    uid = case.study.study_instance_uid
    if uid:
        in_study = [s for s in series if s.study_instance_uid == uid]
        if not in_study:
            others = sorted({s.study_instance_uid for s in series})
            raise CaseFileError(
                f"{source}: study.study_instance_uid: {uid} is not among the studies under "
                f"{path} (found {', '.join(others)})"
            )
        series = in_study
    frame = case.study.frame_of_reference_uid
    if frame:
        in_frame = [s for s in series if s.frame_of_reference_uid == frame]
        if not in_frame:
            others = sorted({s.frame_of_reference_uid for s in series})
            raise CaseFileError(
                f"{source}: study.frame_of_reference_uid: {frame} does not match the images "
                f"(their frame of reference: {', '.join(others)})"
            )
        series = in_frame
    return series
