"""The measured parts of a score sheet: positions in levels, limit differences, lesion levels,
field and edema comparisons, coverage.

Sign convention: every difference is ``attempt - reference`` measured towards the head
(positive = the trainee's mark lies superior), in mm of patient z (LPS) and in levels counted
along the *reference* labels (:func:`level_coordinate`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from planning.anatomy.levels import (
    ThoracicPrefix,
    VertebralLevel,
    level_index,
    require_consistent,
    segments,
)
from planning.case import Case
from planning.evaluation.coverage import PASS_V95_PERCENT

Side = Literal["superior", "inferior"]

#: A field border within this distance of the reference's counts as right, mm.
BORDER_TOLERANCE_MM = 5.0
#: An edema limit within this distance of the reference's counts as right, mm (the edge of
#: T2 hyperintensity is gradual, so the tolerance is wider than for a border).
EDEMA_TOLERANCE_MM = 10.0
#: The contour agrees when Dice reaches this and the HD95 stays within :data:`HD95_PASS_MM`.
DICE_PASS = 0.7
HD95_PASS_MM = 5.0
#: The lesion volume agrees within this percentage of the reference volume.
VOLUME_TOLERANCE_PERCENT = 30.0


def tolerances() -> dict[str, float]:
    """The thresholds the checks use (units in the names)."""
    return {
        "border_mm": BORDER_TOLERANCE_MM,
        "edema_mm": EDEMA_TOLERANCE_MM,
        "dice_min": DICE_PASS,
        "hd95_max_mm": HD95_PASS_MM,
        "volume_percent": VOLUME_TOLERANCE_PERCENT,
    }


def level_coordinate(
    levels: Sequence[VertebralLevel], z_mm: float, thoracic_prefix: ThoracicPrefix = "T"
) -> float:
    """Position of a patient z along the labelled spine, in levels (increasing downwards).

    Level ``n`` of :data:`planning.anatomy.levels.LEVEL_SEQUENCE` spans ``[n, n + 1)`` over its
    segment (the middle of the disc above its body down to the middle of the disc below). Gaps
    between segments are interpolated linearly; beyond the labels the end segments are extrapolated.
    """
    segs = segments(require_consistent(levels, thoracic_prefix), thoracic_prefix)
    knots: dict[float, float] = {}
    for seg in segs:
        start = float(level_index(seg.level))
        knots.setdefault(seg.superior_z_mm, start)
        knots.setdefault(seg.inferior_z_mm, start + 1.0)
    z = np.array(sorted(knots))  # ascending z: from the feet up
    u = np.array([knots[v] for v in z])
    if z_mm > z[-1]:
        top = segs[0]
        return float(u[-1] - (z_mm - z[-1]) / (top.superior_z_mm - top.inferior_z_mm))
    if z_mm < z[0]:
        bottom = segs[-1]
        return float(u[0] + (z[0] - z_mm) / (bottom.superior_z_mm - bottom.inferior_z_mm))
    return float(np.interp(z_mm, z, u))


@dataclass(frozen=True)
class PositionDifference:
    """One limit (a field border or an edema limit) of the attempt against the reference.

    ``difference_mm`` and ``difference_levels`` are ``attempt - reference`` towards the head
    (positive = the attempt lies superior); levels are counted along the reference labels.
    """

    side: Side
    reference_z_mm: float
    attempt_z_mm: float
    difference_mm: float
    difference_levels: float
    tolerance_mm: float

    @property
    def within_tolerance(self) -> bool:
        return abs(self.difference_mm) <= self.tolerance_mm

    @property
    def whole_levels(self) -> int:
        """The level difference rounded to whole levels (0 for less than half a level)."""
        whole = math.floor(abs(self.difference_levels) + 0.5)
        return whole if self.difference_levels >= 0 else -whole

    @property
    def outward_mm(self) -> float:
        """How far the attempt lies beyond the reference, away from the lesion, mm
        (negative: the attempt stops short)."""
        return self.difference_mm if self.side == "superior" else -self.difference_mm

    def to_json(self) -> dict[str, Any]:
        return {
            "reference_z_mm": round(self.reference_z_mm, 2),
            "attempt_z_mm": round(self.attempt_z_mm, 2),
            "difference_mm": round(self.difference_mm, 2),
            "difference_levels": round(self.difference_levels, 2),
            "within_tolerance": self.within_tolerance,
        }


def position_difference(
    reference: Case, side: Side, reference_z: float, attempt_z: float, tolerance: float
) -> PositionDifference:
    levels, prefix = reference.levels, reference.thoracic_prefix
    return PositionDifference(
        side=side,
        reference_z_mm=float(reference_z),
        attempt_z_mm=float(attempt_z),
        difference_mm=float(attempt_z - reference_z),
        difference_levels=level_coordinate(levels, reference_z, prefix)
        - level_coordinate(levels, attempt_z, prefix),
        tolerance_mm=tolerance,
    )


# -- the parts of the sheet -----------------------------------------------------------------


@dataclass(frozen=True)
class LesionLevelScore:
    """Lesion levels named by each case with its own labels.

    Offsets are in levels, positive when the attempt names a level higher up the spine.
    ``label_offset`` is the most common difference between the name the attempt gives a body
    and the reference's name for the same body (0 = labels agree; 1 = every name one level too
    high, the classic miscount); ``mislabelled`` lists the attempt's names that differ.
    """

    reference_names: tuple[str, ...]
    attempt_names: tuple[str, ...]
    superior_offset: int
    inferior_offset: int
    label_offset: int
    mislabelled: tuple[str, ...]

    @property
    def match(self) -> bool:
        return self.reference_names == self.attempt_names

    @property
    def offset(self) -> int:
        """0 on a match, else the end offset with the larger magnitude (the superior on ties)."""
        if abs(self.inferior_offset) > abs(self.superior_offset):
            return self.inferior_offset
        return self.superior_offset

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": list(self.reference_names),
            "attempt": list(self.attempt_names),
            "match": self.match,
            "offset_levels": self.offset,
            "superior_offset_levels": self.superior_offset,
            "inferior_offset_levels": self.inferior_offset,
            "label_offset_levels": self.label_offset,
            "mislabelled": list(self.mislabelled),
        }


@dataclass(frozen=True)
class FieldScore:
    """The trainee's derived field against the reference's."""

    superior: PositionDifference
    inferior: PositionDifference
    reference_arrangement: str
    attempt_arrangement: str
    reference_levels: tuple[str, ...]
    attempt_levels: tuple[str, ...]

    @property
    def arrangement_match(self) -> bool:
        return self.reference_arrangement == self.attempt_arrangement

    def to_json(self) -> dict[str, Any]:
        return {
            "superior_border": self.superior.to_json(),
            "inferior_border": self.inferior.to_json(),
            "reference_arrangement": self.reference_arrangement,
            "attempt_arrangement": self.attempt_arrangement,
            "arrangement_match": self.arrangement_match,
            "reference_levels": list(self.reference_levels),
            "attempt_levels": list(self.attempt_levels),
        }


@dataclass(frozen=True)
class EdemaScore:
    """The trainee's edema limits against the reference's."""

    superior: PositionDifference
    inferior: PositionDifference

    def to_json(self) -> dict[str, Any]:
        return {"superior": self.superior.to_json(), "inferior": self.inferior.to_json()}


@dataclass(frozen=True)
class CoverageScore:
    """V95 of the reference lesion under the trainee's field (prescription of the attempt)."""

    v95_percent: float

    @property
    def passes(self) -> bool:
        return self.v95_percent >= PASS_V95_PERCENT

    def to_json(self) -> dict[str, Any]:
        return {"v95_percent": round(self.v95_percent, 2), "pass": self.passes}
