"""Dose statistics of a structure and the 95%-isodose coverage verdict.

Doses are read voxel by voxel on the dose grid: a voxel belongs to a structure when its centre
lies inside the structure's mask (the mask must already be on the dose grid). Percentages are of
the prescription dose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planning.errors import PlanningError

#: The planning aim: the lesion is covered by the 95% isodose.
COVERAGE_ISODOSE_PERCENT = 95.0
#: Coverage passes when at least this share of the lesion volume is inside that isodose.
PASS_V95_PERCENT = 99.0


@dataclass(frozen=True)
class DoseStatistics:
    """Dose to one structure, in Gy and as percentages of the prescription dose."""

    structure: str
    volume_cc: float
    prescription_gy: float
    v95_percent: float
    d95_gy: float
    dmin_gy: float
    dmax_gy: float
    dmean_gy: float

    def percent(self, dose_gy: float) -> float:
        """``dose_gy`` as a percentage of the prescription dose."""
        return 100.0 * dose_gy / self.prescription_gy

    @property
    def d95_percent(self) -> float:
        return self.percent(self.d95_gy)

    @property
    def dmin_percent(self) -> float:
        return self.percent(self.dmin_gy)

    @property
    def dmax_percent(self) -> float:
        return self.percent(self.dmax_gy)

    @property
    def dmean_percent(self) -> float:
        return self.percent(self.dmean_gy)

    def to_json(self) -> dict[str, float | str]:
        return {
            "structure": self.structure,
            "volume_cc": round(self.volume_cc, 3),
            "v95_percent": round(self.v95_percent, 2),
            "d95_gy": round(self.d95_gy, 3),
            "d95_percent": round(self.d95_percent, 2),
            "dmin_gy": round(self.dmin_gy, 3),
            "dmin_percent": round(self.dmin_percent, 2),
            "dmax_gy": round(self.dmax_gy, 3),
            "dmax_percent": round(self.dmax_percent, 2),
            "dmean_gy": round(self.dmean_gy, 3),
            "dmean_percent": round(self.dmean_percent, 2),
        }


@dataclass(frozen=True)
class DoseVolumeHistogram:
    """Cumulative DVH: ``volume_percent[n]`` of the structure receives at least ``dose_gy[n]``."""

    structure: str
    dose_gy: np.ndarray
    volume_percent: np.ndarray


def _structure_doses(dose_gy: np.ndarray, mask: np.ndarray, structure: str) -> np.ndarray:
    if dose_gy.shape != mask.shape:
        raise PlanningError(
            f"{structure}: mask shape {mask.shape} is not on the dose grid {dose_gy.shape}"
        )
    doses = np.asarray(dose_gy)[np.asarray(mask, dtype=bool)]
    if doses.size == 0:
        raise PlanningError(f"{structure}: the structure has no voxel on the dose grid")
    return doses.astype(np.float64, copy=False)


def dose_statistics(
    dose_gy: np.ndarray,
    mask: np.ndarray,
    prescription_gy: float,
    voxel_volume_cc: float,
    structure: str = "Lesion",
) -> DoseStatistics:
    """Statistics of the dose inside ``mask``.

    Parameters
    ----------
    dose_gy : numpy.ndarray
        Dose per voxel in Gy.
    mask : numpy.ndarray
        Boolean structure mask on the same grid as ``dose_gy``.
    prescription_gy : float
        The prescribed dose in Gy (100%).
    voxel_volume_cc : float
        Volume of one voxel in cm^3.
    structure : str
        Name used in messages and results.

    Notes
    -----
    D95 is the dose that 95% of the structure volume receives at least: the 5th percentile of
    the voxel doses (linear interpolation between order statistics).
    """
    if prescription_gy <= 0:
        raise PlanningError(f"the prescription dose must be positive, got {prescription_gy} Gy")
    doses = _structure_doses(dose_gy, mask, structure)
    threshold_gy = prescription_gy * COVERAGE_ISODOSE_PERCENT / 100.0
    return DoseStatistics(
        structure=structure,
        volume_cc=float(doses.size * voxel_volume_cc),
        prescription_gy=float(prescription_gy),
        v95_percent=float(100.0 * np.count_nonzero(doses >= threshold_gy) / doses.size),
        d95_gy=float(np.percentile(doses, 5.0)),
        dmin_gy=float(doses.min()),
        dmax_gy=float(doses.max()),
        dmean_gy=float(doses.mean()),
    )


def cumulative_dvh(
    dose_gy: np.ndarray, mask: np.ndarray, bin_width_gy: float = 0.01, structure: str = "Lesion"
) -> DoseVolumeHistogram:
    """The cumulative dose-volume histogram of the structure, in bins of ``bin_width_gy``."""
    if bin_width_gy <= 0:
        raise PlanningError(f"the DVH bin width must be positive, got {bin_width_gy} Gy")
    doses = _structure_doses(dose_gy, mask, structure)
    levels_gy = np.arange(int(np.ceil(doses.max() / bin_width_gy)) + 2) * bin_width_gy
    below = np.searchsorted(np.sort(doses), levels_gy, side="left")
    return DoseVolumeHistogram(
        structure=structure,
        dose_gy=levels_gy,
        volume_percent=100.0 * (doses.size - below) / doses.size,
    )


def coverage_passes(lesion: DoseStatistics) -> bool:
    """The planning aim: the 95% isodose covers the lesion (V95 >= 99%)."""
    return lesion.v95_percent >= PASS_V95_PERCENT
