"""The one treatment beam: validation, IEC 61217 directions, set-up and meterset copies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planning.errors import PlanningError
from planning.field.beam import Beam, beam_axes
from tests.planning.plan_fixtures import default_plan


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(energy="10MV"), "energy"),
        (dict(setup="SAS"), "setup must be SSD or SAD"),
        (dict(jaw_x_sad_cm=(2.0, 2.0)), "give no field"),
        (dict(jaw_y_sad_cm=(-1.0, math.nan)), "give no field"),
        (dict(ssd_cm=10.0), "outside 20-200 cm"),
        (dict(weight=-1.0), "weight"),
        (dict(gantry_angle_deg=math.inf), "finite"),
        (dict(meterset_unit="Gy"), "meterset unit"),
    ],
)
def test_a_beam_that_cannot_be_treated_is_refused(kwargs: dict, message: str) -> None:
    arguments = {"name": "PA", "gantry_angle_deg": 180.0, **kwargs}
    with pytest.raises(PlanningError, match=message):
        Beam(**arguments)  # type: ignore[arg-type]


def test_energy_is_stored_canonically_and_fixes_the_sad() -> None:
    assert Beam("PA", 180.0, "Co-60").energy == "Co60"
    assert Beam("PA", 180.0, "Co-60").sad_cm == 80.0
    assert Beam("PA", 180.0, "6 MV").sad_cm == 100.0


@pytest.mark.parametrize("gantry", [0.0, 90.0, 180.0, 270.0, 33.0])
def test_source_direction_is_the_beam_z_axis(gantry: float) -> None:
    # IEC 61217, HFS in LPS: the source direction is (sin g, -cos g, 0).
    direction = Beam("b", gantry).source_direction_lps
    expected = (math.sin(math.radians(gantry)), -math.cos(math.radians(gantry)), 0.0)
    np.testing.assert_allclose(direction, expected, atol=1e-12)
    np.testing.assert_allclose(direction, beam_axes(gantry)[2], atol=1e-12)
    if gantry % 90 == 0:  # exact at the cardinal angles, as field.json writes them
        assert set(direction) <= {0.0, 1.0, -1.0}


def test_jaws_are_needed_before_the_field_size_is_asked() -> None:
    beam = Beam("PA", 180.0)
    with pytest.raises(PlanningError, match="jaws are not set"):
        _ = beam.field_x_sad_cm
    with pytest.raises(PlanningError, match="SSD is not set"):
        _ = Beam.symmetric("6MV", 180.0, (0, 0, 0), 8.0, 10.0).field_at_skin_cm


def test_symmetric_jaws_in_cm_and_mm() -> None:
    beam = Beam.symmetric("6MV", 180.0, (1, 2, 3), 8.0, 10.0, name="PA", ssd_cm=90.0)
    assert beam.isocentre_lps_mm == (1.0, 2.0, 3.0)
    assert beam.jaws_sad_cm == ((-4.0, 4.0), (-5.0, 5.0))
    assert beam.jaw_x_sad_mm == (-40.0, 40.0) and beam.jaw_y_sad_mm == (-50.0, 50.0)
    assert (beam.field_x_sad_cm, beam.field_y_sad_cm) == (8.0, 10.0)
    # divergence: on the skin at SSD 90 cm the 100 cm-SAD jaws give 0.9 of the opening
    assert beam.field_at_skin_cm == pytest.approx((7.2, 9.0))


def test_set_up_and_meterset_are_copies_of_the_same_beam() -> None:
    field_beam = Beam("PA", 180.0, "6MV", (0.0, 20.0, 0.0), ssd_cm=100.0)
    set_up = field_beam.with_setup(
        jaw_x_sad_cm=(-3.0, 3.0),
        jaw_y_sad_cm=(-2.0, 4.0),
        ssd_cm=100.0,
        isocentre_depth_cm=7.0,
        skin_entry_lps_mm=np.array([0.0, 90.0, 0.0]),
        source_lps_mm=[0, 1090, 0],
        machine_isocentre_lps_mm=(0.0, 90.0, 0.0),
        assumptions=("skin imaged",),
    )
    treated = set_up.with_meterset(123.4, "MU", 4.0)
    assert field_beam.jaw_x_sad_cm is None and field_beam.meterset is None  # unchanged
    assert set_up.skin_entry_lps_mm == (0.0, 90.0, 0.0)
    assert set_up.source_lps_mm == (0.0, 1090.0, 0.0)
    assert all(type(v) is float for v in set_up.source_lps_mm)
    assert (treated.name, treated.gantry_angle_deg, treated.energy) == ("PA", 180.0, "6MV")
    assert treated.isocentre_depth_cm == 7.0 and treated.assumptions == ("skin imaged",)
    assert (treated.meterset, treated.meterset_unit, treated.dose_per_fraction_gy) == (
        123.4,
        "MU",
        4.0,
    )


def test_a_plans_beams_are_the_fields_beams_set_up_and_metered() -> None:
    result = default_plan(2)
    for field_beam, beam, calc in zip(
        result.field.beams, result.beams, result.monitor_units, strict=True
    ):
        assert (beam.name, beam.gantry_angle_deg, beam.energy) == (
            field_beam.name,
            field_beam.gantry_angle_deg,
            field_beam.energy,
        )
        assert field_beam.jaw_x_sad_cm is None  # the field stage does not set jaws
        assert beam.isocentre_lps_mm == result.field.isocentre_mm
        assert beam.meterset == calc.meterset and beam.dose_per_fraction_gy is not None
        source_to_iso = np.subtract(beam.isocentre_lps_mm, beam.source_lps_mm)
        np.testing.assert_allclose(
            source_to_iso / np.linalg.norm(source_to_iso),
            -np.asarray(beam.source_direction_lps),
            atol=1e-12,
        )
