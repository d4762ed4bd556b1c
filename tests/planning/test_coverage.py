"""Coverage statistics on doses whose answers are known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from planning.errors import PlanningError
from planning.evaluation.coverage import coverage_passes, cumulative_dvh, dose_statistics


def _ramp_dose() -> tuple[np.ndarray, np.ndarray]:
    # 100 lesion voxels with doses 0.91, 0.92, ... 1.90 Gy; prescription 1 Gy.
    dose = np.zeros((4, 10, 10))
    dose[1] = (np.arange(100).reshape(10, 10) + 91) / 100.0
    mask = np.zeros_like(dose, dtype=bool)
    mask[1] = True
    return dose, mask


def test_statistics_of_a_known_ramp() -> None:
    dose, mask = _ramp_dose()
    stats = dose_statistics(dose, mask, prescription_gy=1.0, voxel_volume_cc=0.001)
    # doses >= 0.95 Gy: 0.95 .. 1.90 -> 96 voxels of 100
    assert stats.v95_percent == pytest.approx(96.0)
    assert stats.dmin_gy == pytest.approx(0.91)
    assert stats.dmax_gy == pytest.approx(1.90)
    assert stats.dmean_gy == pytest.approx(np.mean(np.arange(91, 191) / 100.0))
    assert stats.d95_gy == pytest.approx(np.percentile(np.arange(91, 191) / 100.0, 5))
    assert stats.volume_cc == pytest.approx(0.1)
    assert stats.dmax_percent == pytest.approx(190.0)
    assert not coverage_passes(stats)


def test_uniform_dose_passes_and_scales_with_prescription() -> None:
    dose = np.full((3, 3, 3), 20.0)
    mask = np.ones_like(dose, dtype=bool)
    stats = dose_statistics(dose, mask, prescription_gy=20.0, voxel_volume_cc=1.0)
    assert stats.v95_percent == 100.0 and coverage_passes(stats)
    assert stats.to_json()["d95_percent"] == pytest.approx(100.0)
    under = dose_statistics(dose * 0.94, mask, prescription_gy=20.0, voxel_volume_cc=1.0)
    assert under.v95_percent == 0.0 and not coverage_passes(under)


def test_dvh_is_cumulative_and_matches_v95() -> None:
    dose, mask = _ramp_dose()
    dvh = cumulative_dvh(dose, mask, bin_width_gy=0.01)
    assert dvh.volume_percent[0] == pytest.approx(100.0)
    assert np.all(np.diff(dvh.volume_percent) <= 0)
    assert dvh.volume_percent[-1] == 0.0
    doses = dose[mask]
    expected = [100.0 * np.mean(doses >= level) for level in dvh.dose_gy]
    np.testing.assert_allclose(dvh.volume_percent, expected)
    assert np.interp(0.955, dvh.dose_gy, dvh.volume_percent) == pytest.approx(95.0)


def test_errors_name_the_structure() -> None:
    dose, mask = _ramp_dose()
    with pytest.raises(PlanningError, match="Cord: the structure has no voxel"):
        dose_statistics(dose, np.zeros_like(mask), 1.0, 0.001, structure="Cord")
    with pytest.raises(PlanningError, match="not on the dose grid"):
        dose_statistics(dose, mask[:2], 1.0, 0.001)
