"""The images a plan uses: the case's study found, checked and its series picked and loaded.

:func:`load_plan_images` picks from the study (checked by :func:`planning.case.check_study`)
the post-contrast series the lesion is built on (sagittal preferred), a sagittal MR (T2
preferred; display and the outline), an axial MR (post-contrast preferred) and a planning CT,
when present. :func:`position_warnings` says when the images were not acquired head-first
supine, the position the gantry angles are computed for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imaging.discovery import SeriesInfo
from imaging.loading import load_series
from imaging.volume import Volume
from planning.case import Case, check_study
from planning.errors import PlanningError
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
        The series the DICOM exports reference (the CT when present, else the lesion series).
    """

    series: tuple[SeriesInfo, ...]
    lesion_series: SeriesInfo
    lesion_volume: Volume
    sagittal: Volume | None
    axial_mr: Volume | None
    ct: Volume | None
    export_series: SeriesInfo


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
    )


def position_warnings(images: PlanImages) -> list[str]:
    """A warning when the images were not acquired head-first supine.

    Patient LPS coordinates do not depend on the position, so the dose is unaffected; but the
    gantry angles (and the RT Plan's patient position) are for a head-first supine treatment.
    """
    volumes = (images.lesion_volume, images.sagittal, images.axial_mr, images.ct)
    positions = sorted(
        {
            v.metadata.patient_position.strip().upper()
            for v in volumes
            if v is not None and v.metadata.patient_position.strip()
        }
        - {TREATMENT_POSITION}
    )
    if not positions:
        return []
    return [
        f"the images were acquired {', '.join(positions)}, not head-first supine "
        f"({TREATMENT_POSITION}): the gantry angles and the RT Plan are for a head-first supine "
        "treatment (IEC 61217); treat head-first supine or convert the angles (prone: a "
        "posterior field is gantry 0)"
    ]
