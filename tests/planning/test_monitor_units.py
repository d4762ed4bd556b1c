"""The hand calculation of monitor units and treatment time, checked by hand against the tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from planning.dose.beam_data import Table2D
from planning.dose.beam_model import MACHINES, BeamModel, beam_model
from planning.errors import PlanningError
from planning.evaluation.monitor_units import (
    CO60_HALF_LIFE_YEARS,
    DEFAULT_OUTPUT_CGY_PER_MU,
    Calibration,
    co60_decay_factor,
    monitor_units,
)

# From resources/beam_data: 6 MV, SSD 100: the table value at 1.5 cm (d_max) for 10 x 10 cm is
# 150.1 with 100 at 10 cm, so PDD(10 cm, 10 x 10) = 100 / 150.1 %; Sc(10) = Sp(10) = 1.000;
# Sc(6) = 0.977, Sp(6) = 0.944.
PDD_10CM_10X10 = 100.0 * 100.0 / 150.1


def test_reference_conditions_by_hand() -> None:
    calc = monitor_units(
        energy="6MV", dose_per_fraction_gy=2.0, depth_cm=10.0, ssd_cm=100.0,
        collimator_side_cm=10.0,
    )  # fmt: skip
    assert calc.unit == "MU"
    assert calc.sc == pytest.approx(1.0) and calc.sp == pytest.approx(1.0)
    assert calc.pdd_percent == pytest.approx(PDD_10CM_10X10, rel=1e-6)
    assert calc.inverse_square_factor == pytest.approx(1.0)
    assert calc.output == DEFAULT_OUTPUT_CGY_PER_MU
    assert calc.meterset == pytest.approx(200.0 / (PDD_10CM_10X10 / 100.0), rel=1e-6)
    assert any("ASSUMED" in a for a in calc.assumptions)  # the default output is stated
    assert "MU = 200.0 cGy" in calc.formula and f"{calc.meterset:.1f} MU" in calc.formula


def test_every_factor_enters() -> None:
    model = beam_model("6MV")
    calc = monitor_units(
        energy="6MV", dose_per_fraction_gy=4.0, depth_cm=7.0, ssd_cm=110.0,
        collimator_side_cm=6.0, calibration=Calibration(output_cgy_per_mu=0.98),
    )  # fmt: skip
    surface_side = 6.0 * 110.0 / 100.0
    isf = ((100.0 + 1.5) / (110.0 + 1.5)) ** 2
    pdd = float(model.pdd_at_ssd_percent(7.0, surface_side, 110.0))
    sp = float(model.phantom_scatter(surface_side))
    expected = 400.0 / (0.98 * 0.977 * sp * pdd / 100.0 * isf)
    assert calc.sc == pytest.approx(0.977)
    assert calc.surface_side_cm == pytest.approx(surface_side)
    assert calc.inverse_square_factor == pytest.approx(isf)
    assert calc.meterset == pytest.approx(expected, rel=1e-9)
    assert not any("6 MV output" in a for a in calc.assumptions)  # the user gave the output
    data = calc.to_dict()
    assert data["unit"] == "MU" and data["sc"] == 0.977 and data["ssd_cm"] == 110.0


def test_co60_decay_factor() -> None:
    start = dt.date(2024, 1, 1)
    one_half_life = start + dt.timedelta(days=round(CO60_HALF_LIFE_YEARS * 365.25))
    assert co60_decay_factor(start, one_half_life) == pytest.approx(0.5, abs=1e-3)
    assert co60_decay_factor(start, start) == 1.0
    # About 1.1 % a month, the rule of thumb.
    assert co60_decay_factor(start, start + dt.timedelta(days=30)) == pytest.approx(0.989, abs=1e-3)


def _synthetic_co60_model() -> BeamModel:
    """Co-60 geometry with a made-up exponential depth dose (exercises the code path only)."""
    depths = np.array([0.5, 5.0, 10.0, 20.0])
    sides = np.array([5.0, 10.0, 20.0])
    values = 100.0 * np.exp(-0.06 * (depths - 0.5))[:, None] * np.ones((1, 3))
    table = Table2D(rows=depths, columns=sides, values=values, source="synthetic", path=Path("-"))
    return BeamModel(MACHINES["Co60"], pdd_table_override=table)


def test_co60_without_a_table_is_refused(cobalt_without_data) -> None:
    with pytest.raises(PlanningError, match="Co60"):
        monitor_units(
            energy="Co60", dose_per_fraction_gy=2.0, depth_cm=5.0, ssd_cm=80.0,
            collimator_side_cm=10.0,
        )  # fmt: skip


def test_co60_treatment_time_path() -> None:
    model = _synthetic_co60_model()
    calc = monitor_units(
        energy="Co60", dose_per_fraction_gy=2.0, depth_cm=5.0, ssd_cm=80.0,
        collimator_side_cm=10.0, model=model,
    )  # fmt: skip
    assert calc.unit == "min" and calc.sc == 1.0 and calc.sp == 1.0
    assert any("PLACEHOLDER" in a for a in calc.assumptions)
    assert any("only the total scatter factor is measured" in a for a in calc.assumptions)
    calibration = Calibration(
        dose_rate_cgy_per_min=150.0,
        calibration_date=dt.date(2024, 1, 1),
        treatment_date=dt.date(2024, 7, 1),
        shutter_error_min=0.01,
    )
    calc = monitor_units(
        energy="Co60", dose_per_fraction_gy=2.0, depth_cm=5.0, ssd_cm=80.0,
        collimator_side_cm=10.0, calibration=calibration, model=model,
    )  # fmt: skip
    assert not any("PLACEHOLDER" in a for a in calc.assumptions)
    assert calc.pdd_percent == pytest.approx(100.0 * np.exp(-0.06 * 4.5), rel=1e-6)
    decay = co60_decay_factor(dt.date(2024, 1, 1), dt.date(2024, 7, 1))
    assert calc.unit == "min" and calc.decay_factor == pytest.approx(decay)
    expected = 200.0 / (150.0 * decay * calc.sc * calc.sp * calc.pdd_percent / 100.0) + 0.01
    assert calc.meterset == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"output_cgy_per_mu": 0.0},
        {"dose_rate_cgy_per_min": -5.0},
        {"shutter_error_min": -0.1},
    ],
)
def test_bad_calibration_is_refused(kwargs) -> None:
    with pytest.raises(PlanningError):
        Calibration(**kwargs)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(PlanningError, match="depth"):
        monitor_units(
            energy="6MV", dose_per_fraction_gy=2.0, depth_cm=-1.0, ssd_cm=100.0,
            collimator_side_cm=10.0,
        )  # fmt: skip


def test_co60_treatment_time_by_hand_on_the_reference_beam() -> None:
    """8 x 8 cm at SSD 80 cm, 7 cm deep, 2 Gy, 120 cGy/min calibrated a year ago, 0.02 min
    shutter error: every factor recomputed here from the CSV files."""
    beam_data = Path(__file__).resolve().parents[2] / "resources" / "beam_data"

    def numbers(name: str) -> list[list[float]]:
        lines = (beam_data / name).read_text().splitlines()
        rows = [line.split(",") for line in lines if line and not line.startswith("#")]
        return [[float(v) for v in row] for row in rows[1:]]

    tpr = {row[0]: row[1:] for row in numbers("co60_tpr_viewray.csv")}
    tpr_sides = [0.0, 4.0, 6.0, 8.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0]
    scp_sides, scp = zip(*numbers("co60_scp_viewray.csv"), strict=True)

    def scp_at(side: float) -> float:
        return float(np.interp(side, scp_sides, scp)) / float(np.interp(10.0, scp_sides, scp))

    side_d, side_m = 8.0 * 87.0 / 80.0, 8.0 * 80.5 / 80.0
    tmr = np.interp(side_d, tpr_sides, tpr[7.0]) / np.interp(side_d, tpr_sides, tpr[0.5])
    pdd = 100.0 * tmr * scp_at(side_d) / scp_at(side_m) * (80.5 / 87.0) ** 2
    decay = 0.5 ** ((dt.date(2026, 6, 1) - dt.date(2025, 6, 1)).days / 365.25 / 5.2708)
    expected = 200.0 / (120.0 * decay * scp_at(8.0) * pdd / 100.0) + 0.02

    calibration = Calibration(
        dose_rate_cgy_per_min=120.0,
        calibration_date=dt.date(2025, 6, 1),
        treatment_date=dt.date(2026, 6, 1),
        shutter_error_min=0.02,
    )
    calc = monitor_units(
        energy="Co60", dose_per_fraction_gy=2.0, depth_cm=7.0, ssd_cm=80.0,
        collimator_side_cm=8.0, calibration=calibration,
    )  # fmt: skip
    assert calc.unit == "min"
    assert calc.pdd_percent == pytest.approx(pdd, rel=2e-3)
    assert calc.meterset == pytest.approx(expected, rel=3e-3)
    assert "min" in calc.formula
