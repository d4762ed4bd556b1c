"""The inputs and results of `imaging.registration`: region, point pairs, settings, result.

Frozen dataclasses; every matrix maps MR (moving) LPS mm to CT (fixed) LPS mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from imaging.errors import RegistrationError

#: Body height plus disc of a mid-thoracic vertebra (mm); cervical ~20, lumbar ~36.
DEFAULT_VERTEBRAL_PITCH_MM = 25.0


@dataclass(frozen=True)
class RegionBox:
    """An axis-aligned box in the MR's (moving) LPS mm; infinite sides are allowed.

    Planning passes the lesion's levels +/- 2 vertebrae, e.g. ``RegionBox.z_range(-140, -10)``,
    or better also the vertebral column's antero-posterior extent (from just in front of the
    bodies to the laminae, about -30..+45 mm from the bodies' centres): the fit then rests on
    the treated levels, not on the rest of a spine that bends differently on the two couches.
    """

    lower_mm: tuple[float, float, float]
    upper_mm: tuple[float, float, float]

    @classmethod
    def z_range(cls, inferior_z_mm: float, superior_z_mm: float) -> RegionBox:
        """All of the MR between two heights (LPS z, mm)."""
        low, high = sorted((float(inferior_z_mm), float(superior_z_mm)))
        return cls((-math.inf, -math.inf, low), (math.inf, math.inf, high))


@dataclass(frozen=True)
class PointPair:
    """The same anatomical point clicked on the MR and on the CT (each in its own LPS mm)."""

    moving_mm: tuple[float, float, float]
    fixed_mm: tuple[float, float, float]


@dataclass(frozen=True)
class RegistrationSettings:
    """Tuning of `register_rigid`; the defaults suit spine MR/CT pairs.

    Attributes
    ----------
    vertebral_pitch_mm : distance between neighbouring vertebrae (body + disc), mm; candidates
        are searched at multiples of it (each snapped to the nearest dip of the coarse profile).
    neighbour_levels : how many vertebrae above and below the best coarse match are tried.
    ambiguity_gap : two alignments a vertebra or more apart whose Mattes MI differ by less than
        this fraction of the best one's make the result ambiguous.
    level_spacings_mm : voxel sizes of the coarse-to-fine levels (images smoothed and shrunk).
    sampling_fractions : fraction of the region's voxels sampled per level.
    iterations : Powell optimiser iterations (sweeps of line searches over the 6 parameters)
        per level.
    histogram_bins : Mattes MI histogram bins.
    seed : sampling seed, not 0 (results are reproducible; SimpleITK reads 0 as "wall clock").
    """

    vertebral_pitch_mm: float = DEFAULT_VERTEBRAL_PITCH_MM
    neighbour_levels: int = 2
    ambiguity_gap: float = 0.08
    level_spacings_mm: tuple[float, ...] = (4.0, 2.0)
    sampling_fractions: tuple[float, ...] = (1.0, 0.3)
    iterations: tuple[int, ...] = (4, 5)
    histogram_bins: int = 32
    seed: int = 7

    def __post_init__(self) -> None:
        n = len(self.level_spacings_mm)
        if n < 1 or len(self.sampling_fractions) != n or len(self.iterations) != n:
            raise RegistrationError(
                "registration settings: level_spacings_mm, sampling_fractions and iterations "
                "need one value per level"
            )
        if self.seed == 0:
            raise RegistrationError("registration settings: seed must not be 0 (wall clock)")
        if self.vertebral_pitch_mm <= 0:
            raise RegistrationError("registration settings: vertebral_pitch_mm must be > 0")


@dataclass(frozen=True, eq=False)
class Alignment:
    """One alignment found by the automatic search.

    Attributes
    ----------
    matrix_moving_to_fixed : 4x4, MR LPS mm -> CT LPS mm.
    metric : Mattes MI at the finest level (negative; lower is better).
    offset_mm : cranio-caudal (CT z) shift of the region's centre relative to the chosen
        alignment, mm; + = the MR region placed further superior on the CT.
    """

    matrix_moving_to_fixed: np.ndarray
    metric: float
    offset_mm: float

    def to_json(self) -> dict[str, Any]:
        return {
            "matrix_moving_to_fixed": rows(self.matrix_moving_to_fixed),
            "metric": round(self.metric, 6),
            "offset_mm": round(self.offset_mm, 2),
        }


@dataclass(frozen=True, eq=False)
class RegistrationResult:
    """A rigid MR -> CT registration and how far to trust it.

    Attributes
    ----------
    matrix_moving_to_fixed : 4x4 numpy array mapping moving (MR) LPS mm to fixed (CT) LPS mm.
    metric : final Mattes MI (negative; lower is better; near 0 = no shared information).
    normalised_mi : 2 I / (H_mr + H_ct) over the region: 0 = the images share nothing,
        1 = one fully predicts the other.
    metric_gap : (runner-up metric - best metric) / |best metric| for the best alignment at
        another vertebral level (None when no other level was tried).
    ambiguous : another level scores within the ambiguity gap; confirm with a point pair.
    alternatives : the other levels' alignments, best first.
    overlap_fraction : fraction of the MR region that lies inside the CT after registration.
    estimated_pitch_mm : the vertebral pitch seen in this pair: the median cranio-caudal offset
        of the alternatives about one level away (None when there are none).
    """

    matrix_moving_to_fixed: np.ndarray
    metric: float
    normalised_mi: float
    metric_gap: float | None
    ambiguous: bool
    alternatives: tuple[Alignment, ...]
    overlap_fraction: float
    initialisation: str
    moving_frame_of_reference_uid: str
    fixed_frame_of_reference_uid: str
    warnings: tuple[str, ...] = field(default=())
    estimated_pitch_mm: float | None = None

    def map_to_fixed(self, points_mm: np.ndarray) -> np.ndarray:
        """MR LPS points ``(..., 3)`` mapped to CT LPS mm ``(..., 3)``."""
        points = np.asarray(points_mm, float)
        return points @ self.matrix_moving_to_fixed[:3, :3].T + self.matrix_moving_to_fixed[:3, 3]

    @property
    def quality_text(self) -> str:
        """The quality figures in words."""
        text = (
            f"Mattes mutual information {self.metric:.4f} (lower is better, 0 = nothing shared); "
            f"normalised {self.normalised_mi:.2f} (0 = unrelated images, 1 = one predicts the "
            f"other); {100 * self.overlap_fraction:.0f}% of the MR region lies in the CT"
        )
        if self.metric_gap is not None:
            text += (
                f"; the best alignment at another vertebral level scores "
                f"{100 * self.metric_gap:.1f}% worse"
            )
        if self.ambiguous:
            text += " -- AMBIGUOUS: confirm the level with a point pair"
        return text

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (matrix row-major, MR LPS mm -> CT LPS mm)."""
        return {
            "matrix_moving_to_fixed": rows(self.matrix_moving_to_fixed),
            "moving_frame_of_reference_uid": self.moving_frame_of_reference_uid,
            "fixed_frame_of_reference_uid": self.fixed_frame_of_reference_uid,
            "metric": round(self.metric, 6),
            "quality": {
                "normalised_mi": round(self.normalised_mi, 4),
                "metric_gap_to_runner_up": (
                    None if self.metric_gap is None else round(self.metric_gap, 4)
                ),
                "overlap_fraction": round(self.overlap_fraction, 3),
                "estimated_pitch_mm": (
                    None if self.estimated_pitch_mm is None else round(self.estimated_pitch_mm, 1)
                ),
                "text": self.quality_text,
            },
            "ambiguous": self.ambiguous,
            "alternatives": [a.to_json() for a in self.alternatives],
            "initialisation": self.initialisation,
            "warnings": list(self.warnings),
        }


def rows(matrix: np.ndarray) -> list[list[float]]:
    return [[round(float(v), 6) for v in row] for row in np.asarray(matrix)]
