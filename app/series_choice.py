"""Which series to show first, and which one to put beside it for comparison.

For spine MRI the reading starts on the sagittal T1 post-contrast (the lesion enhances) with the
sagittal T2 beside it (edema, cord, CSF). Series are recognised from their description.
"""

from __future__ import annotations

from collections.abc import Sequence

from imaging.discovery import SeriesInfo

POST_CONTRAST_WORDS = ("+C", "C+", "POST", "GD", "GAD", "CONTRAST", "KM", "CE", "MPR+")


def _description(info: SeriesInfo) -> str:
    return f" {info.description.upper()} "


def is_post_contrast(info: SeriesInfo) -> bool:
    text = _description(info)
    return any(word in text for word in POST_CONTRAST_WORDS) and "PRE" not in text


def is_t2(info: SeriesInfo) -> bool:
    text = _description(info)
    return "T2" in text or "STIR" in text


def load_priority(info: SeriesInfo) -> tuple[int, int]:
    """Sort key: lower loads (and shows) first; sagittal T1 post-contrast MR leads."""
    if info.error:
        rank = 9
    elif info.modality == "MR" and info.orientation == "sagittal":
        rank = 0 if (is_post_contrast(info) and not is_t2(info)) else (1 if not is_t2(info) else 2)
    elif info.modality == "MR":
        rank = 3
    else:
        rank = 4
    return (rank, info.series_number if info.series_number is not None else 10_000)


def ordered_for_loading(series: Sequence[SeriesInfo]) -> list[SeriesInfo]:
    """Series in the order to load them: the one to show first, then the rest."""
    return sorted(series, key=load_priority)


def comparison_for(series: Sequence[SeriesInfo], primary: SeriesInfo) -> SeriesInfo | None:
    """The series to show beside ``primary``: a T2 in the same plane and frame, if any."""
    candidates = [
        s
        for s in series
        if s is not primary
        and not s.error
        and s.frame_of_reference_uid == primary.frame_of_reference_uid
    ]
    for wanted in (
        lambda s: is_t2(s) and s.orientation == primary.orientation,
        lambda s: s.modality == primary.modality and s.orientation == primary.orientation,
    ):
        for s in candidates:
            if wanted(s):
                return s
    return None
