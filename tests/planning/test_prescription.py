"""BED and EQD2 against hand-worked values."""

from __future__ import annotations

import pytest

from planning.case.prescription import SCHEDULES, Prescription
from planning.errors import PlanningError


@pytest.mark.parametrize(
    ("dose_gy", "fractions", "alpha_beta", "bed", "eqd2"),
    [
        (8.0, 1, 10.0, 14.4, 12.0),  # 8 (1 + 0.8) ; 14.4 / 1.2
        (30.0, 10, 10.0, 39.0, 32.5),  # 30 (1 + 0.3) ; 39 / 1.2
        (20.0, 5, 2.0, 60.0, 30.0),  # 20 (1 + 2) ; 60 / 2
        (12.0, 2, 3.0, 36.0, 21.6),  # 12 (1 + 2) ; 36 / (5/3)
    ],
)
def test_bed_and_eqd2(dose_gy, fractions, alpha_beta, bed, eqd2) -> None:
    prescription = Prescription(dose_gy, fractions)
    assert prescription.bed_gy(alpha_beta) == pytest.approx(bed)
    assert prescription.eqd2_gy(alpha_beta) == pytest.approx(eqd2)


def test_presets_are_the_four_palliative_schedules() -> None:
    assert [(s.dose_gy, s.fractions) for s in SCHEDULES] == [(8, 1), (12, 2), (20, 5), (30, 10)]
    weekly = SCHEDULES[1]
    assert weekly.interval_days == 7 and weekly.dose_per_fraction_gy == 6.0


def test_bad_values_are_refused() -> None:
    with pytest.raises(PlanningError, match="fractions"):
        Prescription(8.0, 0)
    with pytest.raises(PlanningError, match="alpha/beta"):
        Prescription(8.0, 1).bed_gy(0.0)


@pytest.mark.parametrize(("dose_gy", "fractions"), [(2000.0, 5), (800.0, 1), (30.0, 1)])
def test_doses_no_spine_schedule_uses_are_refused_as_likely_cgy(dose_gy, fractions) -> None:
    with pytest.raises(PlanningError, match="cGy"):
        Prescription(dose_gy, fractions)


def test_the_limits_admit_every_preset_and_single_fraction_sbrt() -> None:
    Prescription(24.0, 1)
    Prescription(80.0, 40)
    for schedule in SCHEDULES:
        assert schedule.dose_gy <= 80.0


def test_plan_settings_refuse_a_cgy_slip() -> None:
    from planning.case.settings import PlanSettings

    with pytest.raises(PlanningError, match="3000 Gy in 10 fractions"):
        PlanSettings(dose_gy=3000.0, fractions=10)
