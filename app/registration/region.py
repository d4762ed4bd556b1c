"""The MR region that drives the registration: the lesion's levels +/- 2 vertebrae.

The spine bends differently on the MR couch and in the CT's immobilisation, so a fit over the
whole MR would trade the treated levels against distant ones; the fit rests on the levels the
field covers and two on each side (docs/registration.md).
"""

from __future__ import annotations

import numpy as np

from imaging.registration import DEFAULT_VERTEBRAL_PITCH_MM, RegionBox
from planning.anatomy.lesion import EllipsoidLesion
from planning.case import Case

#: vertebrae above and below the lesion's levels that are part of the region
MARGIN_LEVELS = 2


def lesion_z_range_mm(state: Case) -> tuple[float, float] | None:
    """The lesion's (inferior, superior) z in MR LPS mm, or None without a lesion."""
    if isinstance(state.lesion, EllipsoidLesion):
        top, bottom = state.lesion.z_range_mm
        return min(top, bottom), max(top, bottom)
    mask = state.lesion_mask
    if mask is None or not mask.array.any():
        return None
    ijk = np.argwhere(np.asarray(mask.array) != 0)[:, ::-1]  # array (k, j, i) -> (i, j, k)
    z = mask.index_to_patient(ijk.astype(float))[:, 2]
    return float(z.min()), float(z.max())


def registration_region(state: Case) -> tuple[RegionBox | None, str]:
    """The region (MR LPS mm) and a sentence saying what it is, for the panel.

    With labelled levels: from the inferior endplate of the second level below the lesion's
    lowest to the superior endplate of the second above its highest; without levels, the
    lesion's extent +/- two default vertebral pitches. No lesion: the whole MR (None).
    """
    extent = lesion_z_range_mm(state)
    if extent is None:
        return None, "Region: the whole MR (mark the lesion to restrict it to its levels)"
    low, high = extent
    ordered = sorted(state.levels, key=lambda level: -level.superior_z_mm)  # head first
    touched = [
        index
        for index, level in enumerate(ordered)
        if level.inferior_z_mm <= high and level.superior_z_mm >= low
    ]
    if not touched:
        margin = MARGIN_LEVELS * DEFAULT_VERTEBRAL_PITCH_MM
        return (
            RegionBox.z_range(low - margin, high + margin),
            f"Region: the lesion +/- {margin:.0f} mm (z {low - margin:.0f} to "
            f"{high + margin:.0f} mm; label the levels to use them)",
        )
    first = max(0, min(touched) - MARGIN_LEVELS)
    last = min(len(ordered) - 1, max(touched) + MARGIN_LEVELS)
    top, bottom = ordered[first], ordered[last]
    return (
        RegionBox.z_range(bottom.inferior_z_mm, top.superior_z_mm),
        f"Region: {top.name}-{bottom.name}, the lesion's levels +/- {MARGIN_LEVELS} "
        f"(MR z {bottom.inferior_z_mm:.0f} to {top.superior_z_mm:.0f} mm)",
    )
